"""The shipped templates in German (Sie), keyed (kind, channel).

GSM-7 has ä ö ü ß and Ä Ö Ü, so German SMS keep every letter they need.
"""

from __future__ import annotations

_TIMES = "{{ session_date }} um {{ session_times }}"
_STOP = " Abmelden: STOP antworten"
_MANAGE_SMS = (
    "{% if manage_url %} Ändern oder absagen: {{ manage_url }} oder Tel. {{ clinic_phone }}."
    "{% else %} Zum Ändern: Tel. {{ clinic_phone }}.{% endif %}"
)
_REMINDER_MANAGE_SMS = (
    "{% if manage_url %} Bestätigen, ändern oder absagen: {{ manage_url }} oder Tel. {{ clinic_phone }}."
    "{% else %} Zum Ändern: Tel. {{ clinic_phone }}.{% endif %}"
)
_MANAGE_MAIL = (
    "{% if manage_url %}Zum Bestätigen, Ändern oder Absagen öffnen Sie Ihre Seite:\n{{ manage_url }}\n\n"
    "Oder rufen Sie uns an: {{ clinic_phone }}.{% else %}Zum Ändern rufen Sie uns an: {{ clinic_phone }}.{% endif +%}"
)
_BOOK_SMS = (
    "{% if booking_url %}Termin: {{ booking_url }} oder Tel. {{ clinic_phone }}."
    "{% else %}Termin unter Tel. {{ clinic_phone }}.{% endif %}"
)
_BOOK_MAIL = (
    "{% if booking_url %}Einen Termin buchen Sie unter {{ booking_url }} oder telefonisch unter {{ clinic_phone }}."
    "{% else %}Für einen Termin rufen Sie uns an: {{ clinic_phone }}.{% endif +%}"
)
_BOOK_AGAIN_MAIL = (
    "{% if booking_url %}Einen neuen Termin buchen Sie unter {{ booking_url }} oder telefonisch unter {{ clinic_phone }}."
    "{% else %}Für einen neuen Termin rufen Sie uns an: {{ clinic_phone }}.{% endif +%}"
)


def _mail(middle: str) -> str:
    return "Hallo {{ first_name }},\n\n" + middle + "\n\n{{ clinic_name }}"


TEMPLATES: dict[tuple[str, str], tuple[str | None, str]] = {
    ("confirmation", "sms"): (
        None,
        "{{ clinic_name }}: {{ 'Ihre Termine' if session_count > 1 else 'Ihr Termin' }} am {{ sessions_when }}"
        " {{ 'sind' if session_count > 1 else 'ist' }} gebucht." + _MANAGE_SMS + _STOP,
    ),
    ("change_notice", "sms"): (None, "{{ clinic_name }}: Ihr Termin ist verlegt auf " + _TIMES + "." + _MANAGE_SMS + _STOP),
    ("cancellation_notice", "sms"): (
        None,
        "{{ clinic_name }}: Ihr Termin am " + _TIMES + " ist abgesagt. Neuer Termin: "
        "{% if booking_url %}{{ booking_url }} oder {% endif %}Tel. {{ clinic_phone }}." + _STOP,
    ),
    ("confirmation", "email"): (
        "Ihr Termin bei {{ clinic_name }} ist gebucht",
        _mail(
            "{% if session_count > 1 %}Ihre Termine bei {{ clinic_name }} am {{ sessions_when }} sind gebucht.{% else %}"
            "Ihr Termin bei {{ clinic_name }} am {{ sessions_when }} ist gebucht.{% endif %}\n\n" + _MANAGE_MAIL
        ),
    ),
    ("change_notice", "email"): (
        "Ihr Termin bei {{ clinic_name }} wurde verlegt",
        _mail("Ihr Termin bei {{ clinic_name }} ist jetzt am " + _TIMES + ".\n\n" + _MANAGE_MAIL),
    ),
    ("cancellation_notice", "email"): (
        "Ihr Termin bei {{ clinic_name }} ist abgesagt",
        _mail("Ihr Termin am " + _TIMES + " ist abgesagt.\n\n" + _BOOK_AGAIN_MAIL),
    ),
    ("session_reminder", "sms"): (
        None,
        "{{ clinic_name }}: Erinnerung an Ihren Termin am " + _TIMES + "." + _REMINDER_MANAGE_SMS + _STOP,
    ),
    ("session_reminder", "email"): (
        "Ihr Termin bei {{ clinic_name }} am {{ session_date }}",
        "Hallo {{ first_name }},\n\n"
        "wir erinnern Sie an Ihren Termin{{ 'e' if session_count > 1 }} bei {{ clinic_name }} am "
        + _TIMES
        + ".{% if course_progress is defined %} Es ist die {{ course_progress }} Ihrer Behandlungsreihe.{% endif +%}"
        "\n\nEine Sitzung dauert etwa 10 Minuten. "
        + _MANAGE_MAIL
        + "\n\nMit der angehängten Einladung tragen Sie den Termin in Ihren Kalender ein.\n\n{{ clinic_name }}",
    ),
    ("aftercare", "sms"): (
        None,
        "{{ clinic_name }}: Ein kleiner Bluterguss oder Empfindlichkeit ist normal. 24 Std. keine Sauna, kein heißes"
        " Bad, kein harter Sport. Sofort {{ clinic_phone }} anrufen bei Schwellung, Juckreiz, Ausschlag, Fieber oder"
        " warmer, sich ausbreitender Rötung." + _STOP,
    ),
    ("aftercare", "email"): (
        "Nach Ihrer Sitzung bei {{ clinic_name }}",
        _mail(
            "danke für Ihren Besuch heute. Ein paar Worte zu den nächsten Tagen:\n\n"
            "Normal sind: ein kleiner Bluterguss, Rötungen, kleine Erhebungen oder Empfindlichkeit an den "
            "Einstichstellen. Sie klingen innerhalb weniger Tage ab.\n\n"
            "Was hilft:\n{% for tip in aftercare_tips %}- {{ tip }}\n{% endfor %}\n"
            "Rufen Sie uns sofort an unter {{ clinic_phone }} bei zunehmender Schwellung, Juckreiz, Quaddeln oder "
            "Ausschlag (Zeichen einer allergischen Reaktion) oder bei Wärme, zunehmenden Schmerzen, Eiter oder Fieber "
            "(Zeichen einer Infektion). Bei Atemnot rufen Sie den Notruf 112."
        ),
    ),
    ("aftercare_checkin", "sms"): (
        None,
        "{{ clinic_name }}: Wie geht es Ihnen zwei Tage nach Ihrem Besuch? Ein Bluterguss sollte abklingen. Ist die"
        " Stelle warm, geschwollen oder schmerzhaft oder haben Sie Fieber, rufen Sie {{ clinic_phone }} an." + _STOP,
    ),
    ("aftercare_checkin", "email"): (
        "Wie geht es Ihnen? {{ clinic_name }}",
        _mail(
            "zwei Tage nach Ihrer Sitzung sollten ein Bluterguss oder Empfindlichkeit abklingen.\n\n"
            "Ist die behandelte Stelle warm, geschwollen oder schmerzhafter, zeigt sich ein Ausschlag oder haben Sie "
            "Fieber, rufen Sie uns bitte an: {{ clinic_phone }}."
        ),
    ),
    ("tip", "sms"): (None, "{{ clinic_name }}, Tipp der Woche: {{ tip }}" + _STOP),
    ("tip", "email"): (
        "Ihr Tipp der Woche von {{ clinic_name }}",
        _mail("{{ tip }}\n\nKleine Gewohnheiten zwischen den Sitzungen helfen, dass Ihre Ergebnisse anhalten."),
    ),
    ("maintenance_early", "sms"): (
        None,
        "{{ clinic_name }}: Ihre letzte Behandlungsreihe ist bald ein Jahr her. 4-6 Wochen Auffrischung erhalten"
        " Ihre Ergebnisse. " + _BOOK_SMS + _STOP,
    ),
    ("maintenance_early", "email"): (
        "Ihre jährliche Auffrischung bei {{ clinic_name }}: ab dem {{ due_date }}",
        _mail(
            "Ihre letzte Behandlungsreihe ist bald ein Jahr her. Damit Ihre Ergebnisse erhalten bleiben, empfehlen wir "
            "jedes Jahr eine kurze Auffrischung von 4 bis 6 Wochen; Ihre ist ab dem {{ due_date }} fällig.\n\n" + _BOOK_MAIL
        ),
    ),
    ("maintenance_due", "sms"): (
        None,
        "{{ clinic_name }}: Zeit für Ihre Auffrischung von 4-6 Wochen, damit Ihre Ergebnisse bleiben. " + _BOOK_SMS + _STOP,
    ),
    ("maintenance_due", "email"): (
        "Zeit für Ihre Auffrischung bei {{ clinic_name }}",
        _mail(
            "Es ist Zeit für Ihre Auffrischung von 4 bis 6 Wochen, die die Ergebnisse der Sitzungen vom letzten Jahr "
            "erhält.\n\n" + _BOOK_MAIL
        ),
    ),
    ("maintenance_overdue", "sms"): (
        None,
        "{{ clinic_name }}: Ihre jährliche Auffrischung ist noch nicht gebucht, damit Ihre Ergebnisse bleiben. "
        + _BOOK_SMS
        + _STOP,
    ),
    ("maintenance_overdue", "email"): (
        "Ihre Auffrischung bei {{ clinic_name }}",
        _mail(
            "Ihre jährliche Auffrischung war ab dem {{ due_date }} fällig und ist noch nicht gebucht. Vier bis sechs "
            "Wochen Sitzungen erhalten Ihre Ergebnisse.\n\n" + _BOOK_MAIL + " Dies ist unsere letzte Erinnerung daran."
        ),
    ),
    ("rebook", "sms"): (
        None,
        "{{ clinic_name }}: Ihre Behandlung geht weiter mit {{ course_progress }}, noch nicht gebucht. Regelmäßige"
        " Sitzungen bringen die besten Ergebnisse. " + _BOOK_SMS + _STOP,
    ),
    ("rebook", "email"): (
        "Ihre nächste Sitzung bei {{ clinic_name }}",
        _mail(
            "Ihre Behandlung geht weiter mit {{ course_progress }}, die noch nicht gebucht ist. Sitzungen in "
            "regelmäßigen Abständen bringen die besten Ergebnisse; buchen Sie sie deshalb am besten bald.\n\n" + _BOOK_MAIL
        ),
    ),
    ("no_show_followup", "sms"): (
        None,
        "{{ clinic_name }}: Wir haben Sie am {{ session_date }} vermisst. Wir hoffen, es geht Ihnen gut. " + _BOOK_SMS + _STOP,
    ),
    ("no_show_followup", "email"): (
        "Wir haben Sie bei {{ clinic_name }} vermisst",
        _mail(
            "wir haben Sie bei Ihrem Termin am {{ session_date }} vermisst und hoffen, es geht Ihnen gut. Wenn Sie "
            "einen neuen Termin möchten, freuen wir uns auf Sie.\n\n" + _BOOK_MAIL
        ),
    ),
    ("reply_help", "sms"): (
        None,
        "{{ clinic_name }}, Terminerinnerungen. Fragen oder Änderungen: Tel. {{ clinic_phone }}."
        " Antworten Sie C zum Bestätigen, R zum Verlegen." + _STOP,
    ),
    ("reply_confirm", "sms"): (None, "{{ clinic_name }}: Danke, Ihr Termin am " + _TIMES + " ist bestätigt."),
    ("reply_reschedule", "sms"): (
        None,
        "{{ clinic_name }}: Notiert, wir rufen Sie für einen neuen Termin an. Sie erreichen uns auch unter {{ clinic_phone }}.",
    ),
    ("reply_no_session", "sms"): (
        None,
        "{{ clinic_name }}: Wir finden keinen anstehenden Termin zum Bestätigen. Fragen: Tel. {{ clinic_phone }}.",
    ),
}
