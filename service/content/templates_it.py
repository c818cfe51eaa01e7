"""The shipped templates in Italian (Lei), keyed (kind, channel).

GSM-7 has à è é ì ò ù, so Italian SMS keep every accent they need.
"""

from __future__ import annotations

_TIMES = "{{ session_date }} alle {{ session_times }}"
_STOP = " STOP per non ricevere più SMS"
_MANAGE_SMS = (
    "{% if manage_url %} Modifica o disdetta: {{ manage_url }} o chiami il {{ clinic_phone }}."
    "{% else %} Per cambiarlo chiami il {{ clinic_phone }}.{% endif %}"
)
_REMINDER_MANAGE_SMS = (
    "{% if manage_url %} Conferma, modifica o disdetta: {{ manage_url }} o chiami il {{ clinic_phone }}."
    "{% else %} Per cambiarlo chiami il {{ clinic_phone }}.{% endif %}"
)
_MANAGE_MAIL = (
    "{% if manage_url %}Per confermarlo, modificarlo o disdirlo, apra la sua pagina:\n{{ manage_url }}\n\n"
    "Oppure ci chiami al {{ clinic_phone }}.{% else %}Per modificarlo, ci chiami al {{ clinic_phone }}.{% endif +%}"
)
_BOOK_SMS = (
    "{% if booking_url %}Prenoti: {{ booking_url }} o chiami il {{ clinic_phone }}."
    "{% else %}Prenoti al {{ clinic_phone }}.{% endif %}"
)
_BOOK_MAIL = (
    "{% if booking_url %}Per prenotare: {{ booking_url }} oppure ci chiami al {{ clinic_phone }}."
    "{% else %}Per prenotare, ci chiami al {{ clinic_phone }}.{% endif +%}"
)
_BOOK_AGAIN_MAIL = (
    "{% if booking_url %}Per prenotare di nuovo: {{ booking_url }} oppure ci chiami al {{ clinic_phone }}."
    "{% else %}Per prenotare di nuovo, ci chiami al {{ clinic_phone }}.{% endif +%}"
)


def _mail(middle: str) -> str:
    return "Buongiorno {{ first_name }},\n\n" + middle + "\n\n{{ clinic_name }}"


TEMPLATES: dict[tuple[str, str], tuple[str | None, str]] = {
    ("confirmation", "sms"): (
        None,
        "{{ clinic_name }}: {{ 'i suoi appuntamenti sono confermati' if session_count > 1 else "
        "'il suo appuntamento è confermato' }} per {{ sessions_when }}." + _MANAGE_SMS + _STOP,
    ),
    ("change_notice", "sms"): (
        None,
        "{{ clinic_name }}: il suo appuntamento è spostato a " + _TIMES + "." + _MANAGE_SMS + _STOP,
    ),
    ("cancellation_notice", "sms"): (
        None,
        "{{ clinic_name }}: il suo appuntamento di " + _TIMES + " è annullato. Per prenotare di nuovo: "
        "{% if booking_url %}{{ booking_url }} o {% endif %}{{ clinic_phone }}." + _STOP,
    ),
    ("confirmation", "email"): (
        "Il suo appuntamento da {{ clinic_name }} è confermato",
        _mail(
            "{% if session_count > 1 %}I suoi appuntamenti da {{ clinic_name }} sono confermati{% else %}"
            "Il suo appuntamento da {{ clinic_name }} è confermato{% endif %} per {{ sessions_when }}.\n\n" + _MANAGE_MAIL
        ),
    ),
    ("change_notice", "email"): (
        "Il suo appuntamento da {{ clinic_name }} è stato spostato",
        _mail("Il suo appuntamento da {{ clinic_name }} è ora " + _TIMES + ".\n\n" + _MANAGE_MAIL),
    ),
    ("cancellation_notice", "email"): (
        "Il suo appuntamento da {{ clinic_name }} è annullato",
        _mail("Il suo appuntamento di " + _TIMES + " è annullato.\n\n" + _BOOK_AGAIN_MAIL),
    ),
    ("session_reminder", "sms"): (
        None,
        "{{ clinic_name }}: promemoria, appuntamento " + _TIMES + "." + _REMINDER_MANAGE_SMS + _STOP,
    ),
    ("session_reminder", "email"): (
        "Il suo appuntamento da {{ clinic_name }} {{ session_date }}",
        "Buongiorno {{ first_name }},\n\n"
        "le ricordiamo il suo appuntamento da {{ clinic_name }} "
        + _TIMES
        + ".{% if course_progress is defined %} Sarà la {{ course_progress }} del suo ciclo.{% endif +%}"
        "\n\nUna seduta dura circa 10 minuti. "
        + _MANAGE_MAIL
        + "\n\nL'invito allegato lo aggiunge al suo calendario.\n\n{{ clinic_name }}",
    ),
    ("aftercare", "sms"): (
        None,
        "{{ clinic_name }}: dopo la visita, un piccolo livido o un po' di sensibilità sono normali. Eviti"
        " sauna, bagni caldi e sport intenso per 24h. Chiami subito il {{ clinic_phone }} in caso di gonfiore,"
        " prurito, chiazze, febbre o rossore caldo che si estende." + _STOP,
    ),
    ("aftercare", "email"): (
        "Consigli dopo la sua seduta da {{ clinic_name }}",
        _mail(
            "grazie per la sua visita di oggi. Qualche parola sui prossimi giorni:\n\n"
            "È normale: un piccolo livido, arrossamento, piccoli rigonfiamenti o sensibilità nei punti di iniezione. "
            "Scompaiono in pochi giorni.\n\n"
            "Cosa aiuta:\n{% for tip in aftercare_tips %}- {{ tip }}\n{% endfor %}\n"
            "Ci chiami subito al {{ clinic_phone }} in caso di gonfiore che aumenta, prurito, orticaria o chiazze "
            "(segni di una reazione allergica), oppure calore, dolore crescente, pus o febbre (segni di un'infezione). "
            "Se ha difficoltà a respirare, chiami il 112."
        ),
    ),
    ("aftercare_checkin", "sms"): (
        None,
        "{{ clinic_name }}: come sta due giorni dopo la visita? Un eventuale livido dovrebbe attenuarsi. Se la zona"
        " è calda, gonfia o dolente, o se ha febbre, chiami il {{ clinic_phone }}." + _STOP,
    ),
    ("aftercare_checkin", "email"): (
        "Come sta? {{ clinic_name }}",
        _mail(
            "a due giorni dalla seduta, un eventuale livido o la sensibilità dovrebbero attenuarsi.\n\n"
            "Se la zona trattata è calda, gonfia o più dolente, se compaiono chiazze o se ha febbre, "
            "ci chiami al {{ clinic_phone }}."
        ),
    ),
    ("tip", "sms"): (None, "{{ clinic_name }}, il consiglio della settimana: {{ tip }}" + _STOP),
    ("tip", "email"): (
        "Il suo consiglio della settimana da {{ clinic_name }}",
        _mail("{{ tip }}\n\nPiccole abitudini tra una seduta e l'altra aiutano i risultati a durare."),
    ),
    ("maintenance_early", "sms"): (
        None,
        "{{ clinic_name }}: tra poco sarà passato un anno dal suo ultimo ciclo. Un mantenimento di 4-6 settimane"
        " conserva i risultati. " + _BOOK_SMS + _STOP,
    ),
    ("maintenance_early", "email"): (
        "Il suo mantenimento annuale da {{ clinic_name }}: dal {{ due_date }}",
        _mail(
            "tra poco sarà passato un anno dal suo ultimo ciclo di sedute. Per conservare i risultati, si consiglia "
            "ogni anno un breve ciclo di mantenimento di 4-6 settimane; il suo è previsto dal {{ due_date }}.\n\n" + _BOOK_MAIL
        ),
    ),
    ("maintenance_due", "sms"): (
        None,
        "{{ clinic_name }}: è il momento del suo mantenimento di 4-6 settimane, per conservare i risultati. " + _BOOK_SMS + _STOP,
    ),
    ("maintenance_due", "email"): (
        "È il momento del suo mantenimento da {{ clinic_name }}",
        _mail(
            "è il momento del suo ciclo di mantenimento di 4-6 settimane, che prolunga i risultati delle sedute "
            "dell'anno scorso.\n\n" + _BOOK_MAIL
        ),
    ),
    ("maintenance_overdue", "sms"): (
        None,
        "{{ clinic_name }}: il suo mantenimento annuale è ancora da prenotare, per conservare i risultati. " + _BOOK_SMS + _STOP,
    ),
    ("maintenance_overdue", "email"): (
        "Il suo mantenimento da {{ clinic_name }}",
        _mail(
            "il suo ciclo di mantenimento annuale era previsto dal {{ due_date }} e non è ancora prenotato. Da quattro "
            "a sei settimane di sedute conservano i risultati.\n\n" + _BOOK_MAIL + " È il nostro ultimo promemoria "
            "al riguardo."
        ),
    ),
    ("rebook", "sms"): (
        None,
        "{{ clinic_name }}: il suo ciclo prosegue con la {{ course_progress }}, non ancora prenotata. Sedute"
        " regolari danno i risultati migliori. " + _BOOK_SMS + _STOP,
    ),
    ("rebook", "email"): (
        "La sua prossima seduta da {{ clinic_name }}",
        _mail(
            "il suo ciclo prosegue con la {{ course_progress }}, non ancora prenotata. Sedute a intervalli regolari "
            "danno i risultati migliori: le consigliamo di prenotarla presto.\n\n" + _BOOK_MAIL
        ),
    ),
    ("no_show_followup", "sms"): (
        None,
        "{{ clinic_name }}: non l'abbiamo vista all'appuntamento di {{ session_date }}. Speriamo che stia bene. "
        + _BOOK_SMS
        + _STOP,
    ),
    ("no_show_followup", "email"): (
        "Non l'abbiamo vista da {{ clinic_name }}",
        _mail(
            "non l'abbiamo vista all'appuntamento di {{ session_date }}. Speriamo che stia bene. Se desidera un altro "
            "orario, saremo lieti di riceverla.\n\n" + _BOOK_MAIL
        ),
    ),
    ("reply_help", "sms"): (
        None,
        "{{ clinic_name }}, promemoria degli appuntamenti. Domande o modifiche: {{ clinic_phone }}."
        " Risponda C per confermare, R per spostarlo." + _STOP,
    ),
    ("reply_confirm", "sms"): (None, "{{ clinic_name }}: grazie, il suo appuntamento di " + _TIMES + " è confermato."),
    ("reply_reschedule", "sms"): (
        None,
        "{{ clinic_name }}: preso nota, la richiameremo per trovare un altro orario. Può anche chiamarci al {{ clinic_phone }}.",
    ),
    ("reply_no_session", "sms"): (
        None,
        "{{ clinic_name }}: nessun appuntamento in programma da confermare. Domande: {{ clinic_phone }}.",
    ),
}
