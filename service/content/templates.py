"""Default message templates, in English and French (mesotherapy comes from France); Spanish, German and Italian
live in templates_es.py, templates_de.py and templates_it.py.

SMS say no more than the clinic's name, the time, how to reach the clinic and how to
opt out: a phone's lock screen is not private. A clinic that wants more can edit
its templates in the admin panel.
"""

from __future__ import annotations

# Reminder kinds that share one template.
TEMPLATE_KIND = {
    "reminder_48h": "session_reminder",
    "reminder_24h": "session_reminder",
    "reminder_2h": "session_reminder",
}

_SESSION_TIMES_EN = "{{ session_date }} at {{ session_times }}"
_SESSION_TIMES_FR = "{{ session_date }} à {{ session_times }}"

# A confirmation may name several sessions booked together.
_APPOINTMENTS_ARE_EN = "{{ 'appointments are' if session_count > 1 else 'appointment is' }}"
_CONFIRMED_FR = "rendez-vous confirmé{{ 's' if session_count > 1 }}"

_GREETING = {"en": "Hello {{ first_name }},\n\n", "fr": "Bonjour {{ first_name }},\n\n"}

# The patient's own page for the session (PUBLIC_BASE_URL/r/<token>), when PUBLIC_BASE_URL is set; else the phone.
# A link is followed by a space, never by punctuation a phone would take into it. `+%}` keeps the line break after a tag.
_MANAGE_SMS = {
    "en": "{% if manage_url %} Change or cancel: {{ manage_url }} or call {{ clinic_phone }}."
    "{% else %} To change it call {{ clinic_phone }}.{% endif %}",
    "fr": "{% if manage_url %} Modifier ou annuler : {{ manage_url }} ou au {{ clinic_phone }}."
    "{% else %} Pour le modifier : {{ clinic_phone }}.{% endif %}",
}
_REMINDER_MANAGE_SMS = {
    "en": "{% if manage_url %} Confirm, change or cancel: {{ manage_url }} or call {{ clinic_phone }}."
    "{% else %} To change it call {{ clinic_phone }}.{% endif %}",
    "fr": "{% if manage_url %} Confirmer, modifier ou annuler : {{ manage_url }} ou au {{ clinic_phone }}."
    "{% else %} Pour le modifier : {{ clinic_phone }}.{% endif %}",
}
_MANAGE_MAIL = {
    "en": "{% if manage_url %}To confirm, change or cancel it, open your page:\n{{ manage_url }}\n\nOr call us on "
    "{{ clinic_phone }}.{% else %}To change it, call {{ clinic_phone }}.{% endif +%}",
    "fr": "{% if manage_url %}Pour le confirmer, le modifier ou l'annuler, ouvrez votre page :\n{{ manage_url }}\n\n"
    "Ou appelez-nous au {{ clinic_phone }}.{% else %}Pour le modifier, appelez le {{ clinic_phone }}.{% endif +%}",
}
# Messages about no particular session point to the clinic's booking page (BOOKING_URL), or give the phone.
_BOOK_SMS = {
    "en": "{% if booking_url %}Book: {{ booking_url }} or call {{ clinic_phone }}."
    "{% else %}Book on {{ clinic_phone }}.{% endif %}",
    "fr": "{% if booking_url %}RDV : {{ booking_url }} ou au {{ clinic_phone }}.{% else %}RDV au {{ clinic_phone }}.{% endif %}",
}
_BOOK_MAIL = {
    "en": "{% if booking_url %}To book, go to {{ booking_url }} or call us on {{ clinic_phone }}."
    "{% else %}To book, call us on {{ clinic_phone }}.{% endif +%}",
    "fr": "{% if booking_url %}Pour prendre rendez-vous : {{ booking_url }} ou appelez-nous au "
    "{{ clinic_phone }}.{% else %}Pour prendre rendez-vous, appelez-nous au {{ clinic_phone }}.{% endif +%}",
}


def _mail(language: str, middle: str) -> str:
    """Every email opens with the patient's name and closes with the clinic's."""
    return _GREETING[language] + middle + "\n\n{{ clinic_name }}"


# (kind, channel, language) -> (subject, body)
DEFAULT_TEMPLATES: dict[tuple[str, str, str], tuple[str | None, str]] = {
    ("confirmation", "sms", "en"): (
        None,
        "{{ clinic_name }}: your " + _APPOINTMENTS_ARE_EN + " booked for {{ sessions_when }}"
        "." + _MANAGE_SMS["en"] + " Reply STOP to opt out",
    ),
    ("confirmation", "sms", "fr"): (
        None,
        "{{ clinic_name }} : " + _CONFIRMED_FR + " le {{ sessions_when }}"
        "." + _MANAGE_SMS["fr"] + " STOP pour ne plus recevoir de SMS",
    ),
    ("change_notice", "sms", "en"): (
        None,
        "{{ clinic_name }}: your appointment has moved to "
        + _SESSION_TIMES_EN
        + "."
        + _MANAGE_SMS["en"]
        + " Reply STOP to opt out",
    ),
    ("change_notice", "sms", "fr"): (
        None,
        "{{ clinic_name }} : votre rendez-vous est déplacé au "
        + _SESSION_TIMES_FR
        + "."
        + _MANAGE_SMS["fr"]
        + " STOP pour ne plus recevoir de SMS",
    ),
    ("cancellation_notice", "sms", "en"): (
        None,
        "{{ clinic_name }}: your appointment on "
        + _SESSION_TIMES_EN
        + " is cancelled. To book again: {% if booking_url %}{{ booking_url }} or {% endif %}{{ clinic_phone }}."
        " Reply STOP to opt out",
    ),
    ("cancellation_notice", "sms", "fr"): (
        None,
        "{{ clinic_name }} : votre rendez-vous du "
        + _SESSION_TIMES_FR
        + " est annulé. Pour reprendre rendez-vous : {% if booking_url %}{{ booking_url }} ou {% endif %}"
        "{{ clinic_phone }}. STOP pour ne plus recevoir de SMS",
    ),
    ("confirmation", "email", "en"): (
        "Your appointment at {{ clinic_name }} is booked",
        _mail(
            "en",
            "Your appointment{{ 's' if session_count > 1 }} at {{ clinic_name }} {{ 'are' if session_count > 1 else 'is' }}"
            " booked for {{ sessions_when }}"
            ".\n\n" + _MANAGE_MAIL["en"],
        ),
    ),
    ("confirmation", "email", "fr"): (
        "Votre rendez-vous chez {{ clinic_name }} est confirmé",
        _mail(
            "fr",
            "{% if session_count > 1 %}Vos rendez-vous chez {{ clinic_name }} sont confirmés{% else %}"
            "Votre rendez-vous chez {{ clinic_name }} est confirmé{% endif %} le {{ sessions_when }}"
            ".\n\n" + _MANAGE_MAIL["fr"],
        ),
    ),
    ("change_notice", "email", "en"): (
        "Your appointment at {{ clinic_name }} has moved",
        _mail("en", "Your appointment at {{ clinic_name }} is now on " + _SESSION_TIMES_EN + ".\n\n" + _MANAGE_MAIL["en"]),
    ),
    ("change_notice", "email", "fr"): (
        "Votre rendez-vous chez {{ clinic_name }} est déplacé",
        _mail(
            "fr",
            "Votre rendez-vous chez {{ clinic_name }} a lieu désormais le " + _SESSION_TIMES_FR + ".\n\n" + _MANAGE_MAIL["fr"],
        ),
    ),
    ("cancellation_notice", "email", "en"): (
        "Your appointment at {{ clinic_name }} is cancelled",
        _mail(
            "en",
            "Your appointment on "
            + _SESSION_TIMES_EN
            + " is cancelled.\n\n"
            + _BOOK_MAIL["en"].replace("To book", "To book again"),
        ),
    ),
    ("cancellation_notice", "email", "fr"): (
        "Votre rendez-vous chez {{ clinic_name }} est annulé",
        _mail(
            "fr",
            "Votre rendez-vous du "
            + _SESSION_TIMES_FR
            + " est annulé.\n\n"
            + _BOOK_MAIL["fr"].replace("Pour prendre", "Pour reprendre"),
        ),
    ),
    ("session_reminder", "sms", "en"): (
        None,
        "{{ clinic_name }}: reminder of your appointment{{ 's' if session_count > 1 }} on "
        + _SESSION_TIMES_EN
        + "."
        + _REMINDER_MANAGE_SMS["en"]
        + " Reply STOP to opt out",
    ),
    ("session_reminder", "sms", "fr"): (
        None,
        "{{ clinic_name }} : rappel, rendez-vous le "
        + _SESSION_TIMES_FR
        + "."
        + _REMINDER_MANAGE_SMS["fr"]
        + " STOP pour ne plus recevoir de SMS",
    ),
    ("session_reminder", "email", "en"): (
        "Your appointment at {{ clinic_name }} on {{ session_date }}",
        "Hello {{ first_name }},\n\n"
        "This is a reminder of your appointment{{ 's' if session_count > 1 }} at {{ clinic_name }} on "
        + _SESSION_TIMES_EN
        + ".{% if course_progress is defined %} This will be {{ course_progress }} of your course.{% endif +%}"
        "\n\nA session takes about 10 minutes. "
        + _MANAGE_MAIL["en"]
        + "\n\nThe invitation attached adds it to your calendar.\n\n{{ clinic_name }}",
    ),
    ("session_reminder", "email", "fr"): (
        "Votre rendez-vous chez {{ clinic_name }} le {{ session_date }}",
        "Bonjour {{ first_name }},\n\n"
        "Nous vous rappelons votre rendez-vous chez {{ clinic_name }} le "
        + _SESSION_TIMES_FR
        + ".{% if course_progress is defined %} Ce sera la {{ course_progress }} de votre cure.{% endif +%}"
        "\n\nUne séance dure environ 10 minutes. "
        + _MANAGE_MAIL["fr"]
        + "\n\nL'invitation jointe l'ajoute à votre agenda.\n\n{{ clinic_name }}",
    ),
}

_STOP_EN = " Reply STOP to opt out"
_STOP_FR = " STOP pour ne plus recevoir de SMS"

# A WhatsApp message in free text is the SMS text; where the opt-out line names SMS, it names WhatsApp instead
# (STOP on WhatsApp stops WhatsApp only). English, Spanish and German lines do not name the channel.
WHATSAPP_STOP = {
    " STOP pour ne plus recevoir de SMS": " STOP pour ne plus recevoir de messages WhatsApp",
    " STOP per non ricevere più SMS": " STOP per non ricevere più messaggi WhatsApp",
}


def for_whatsapp(text: str) -> str:
    for sms_line, whatsapp_line in WHATSAPP_STOP.items():
        text = text.replace(sms_line, whatsapp_line)
    return text


# Aftercare, tips and maintenance. SMS stay free of treatment names and body areas; emails say more.
# French SMS keep to GSM-7's accents (é è à ù) and avoid ç ê ô â î, any of which would halve the characters per segment.
DEFAULT_TEMPLATES.update(
    {
        ("aftercare", "sms", "en"): (
            None,
            "{{ clinic_name }}: after today's visit, slight bruising or tenderness is normal."
            " Avoid sauna, hot baths and hard exercise for 24h. Call {{ clinic_phone }} at once if you"
            " get swelling, itching, a rash, fever or warm spreading redness." + _STOP_EN,
        ),
        ("aftercare", "sms", "fr"): (
            None,
            "{{ clinic_name }} : après votre visite, un petit bleu ou une sensibilité sont normaux."
            " Évitez sauna, bain chaud et sport intense 24h. Appelez le {{ clinic_phone }} si gonflement,"
            " démangeaisons, plaques, fièvre ou rougeur chaude qui s'étend." + _STOP_FR,
        ),
        ("aftercare", "email", "en"): (
            "Aftercare after your session at {{ clinic_name }}",
            _mail(
                "en",
                "Thank you for coming in today. A few words on the next days:\n\n"
                "What is normal: slight bruising, redness, small bumps or tenderness where the injections were made. "
                "They fade within a few days.\n\n"
                "What helps:\n{% for tip in aftercare_tips %}- {{ tip }}\n{% endfor %}\n"
                "When to call us on {{ clinic_phone }} straight away: swelling that grows, itching, hives or a rash "
                "(signs of an allergic reaction), or heat, increasing pain, pus or fever (signs of an infection). "
                "If you have trouble breathing, call the emergency services.",
            ),
        ),
        ("aftercare", "email", "fr"): (
            "Conseils après votre séance chez {{ clinic_name }}",
            _mail(
                "fr",
                "Merci de votre visite aujourd'hui. Quelques conseils pour les jours qui viennent :\n\n"
                "Ce qui est normal : un petit bleu, une rougeur, de petites bosses ou une sensibilité aux points d'injection. "
                "Ils disparaissent en quelques jours.\n\n"
                "Ce qui aide :\n{% for tip in aftercare_tips %}- {{ tip }}\n{% endfor %}\n"
                "Appelez-nous sans attendre au {{ clinic_phone }} en cas de gonflement qui augmente, de démangeaisons, "
                "d'urticaire ou de plaques (signes d'une réaction allergique), ou de chaleur, de douleur croissante, de pus "
                "ou de fièvre (signes d'une infection). En cas de gêne pour respirer, appelez le 15 ou le 112.",
            ),
        ),
        ("aftercare_checkin", "sms", "en"): (
            None,
            "{{ clinic_name }}: how are you two days after your visit? Any bruising"
            " should be fading. If the area is hot, swollen or painful, or you have a fever,"
            " call {{ clinic_phone }}." + _STOP_EN,
        ),
        ("aftercare_checkin", "sms", "fr"): (
            None,
            "{{ clinic_name }} : comment allez-vous 2 jours après votre visite ? Un bleu"
            " doit s'estomper. Si la zone est chaude, gonflée ou douloureuse, ou en cas de"
            " fièvre, appelez le {{ clinic_phone }}." + _STOP_FR,
        ),
        ("aftercare_checkin", "email", "en"): (
            "How are you feeling? {{ clinic_name }}",
            _mail(
                "en",
                "Two days after your session, any bruising or tenderness should be fading.\n\n"
                "If the treated area is hot, swollen or more painful, if a rash appears or you have a fever, "
                "please call us on {{ clinic_phone }}.",
            ),
        ),
        ("aftercare_checkin", "email", "fr"): (
            "Comment allez-vous ? {{ clinic_name }}",
            _mail(
                "fr",
                "Deux jours après votre séance, un bleu ou une sensibilité doivent s'estomper.\n\n"
                "Si la zone traitée est chaude, gonflée ou plus douloureuse, si des plaques apparaissent ou en cas de fièvre, "
                "appelez-nous au {{ clinic_phone }}.",
            ),
        ),
        ("tip", "sms", "en"): (None, "{{ clinic_name }} tip of the week: {{ tip }}" + _STOP_EN),
        ("tip", "sms", "fr"): (None, "{{ clinic_name }}, le conseil de la semaine : {{ tip }}" + _STOP_FR),
        ("tip", "email", "en"): (
            "Your tip of the week from {{ clinic_name }}",
            _mail("en", "{{ tip }}\n\nSmall habits between sessions help your results last."),
        ),
        ("tip", "email", "fr"): (
            "Votre conseil de la semaine, {{ clinic_name }}",
            _mail("fr", "{{ tip }}\n\nDe petites habitudes entre les séances aident vos résultats à durer."),
        ),
        ("maintenance_early", "sms", "en"): (
            None,
            "{{ clinic_name }}: it will soon be a year since your last course. A 4-6"
            " week maintenance course keeps your results. " + _BOOK_SMS["en"] + _STOP_EN,
        ),
        ("maintenance_early", "sms", "fr"): (
            None,
            "{{ clinic_name }} : votre dernière cure date de près d'un an. 4 à 6"
            " semaines d'entretien gardent vos résultats. " + _BOOK_SMS["fr"] + _STOP_FR,
        ),
        ("maintenance_early", "email", "en"): (
            "Your yearly maintenance at {{ clinic_name }} is due on {{ due_date }}",
            _mail(
                "en",
                "It will soon be a year since your last course of sessions. To keep your results, a short maintenance "
                "course of 4 to 6 weeks is recommended every year; yours is due on {{ due_date }}.\n\n" + _BOOK_MAIL["en"],
            ),
        ),
        ("maintenance_early", "email", "fr"): (
            "Votre entretien annuel chez {{ clinic_name }} : à partir du {{ due_date }}",
            _mail(
                "fr",
                "Votre dernière cure date bientôt d'un an. Pour garder vos résultats, une courte cure d'entretien de 4 à 6 "
                "semaines est conseillée chaque année ; la vôtre est prévue à partir du {{ due_date }}.\n\n" + _BOOK_MAIL["fr"],
            ),
        ),
        ("maintenance_due", "sms", "en"): (
            None,
            "{{ clinic_name }}: time for your 4-6 week maintenance course, to keep your results. " + _BOOK_SMS["en"] + _STOP_EN,
        ),
        ("maintenance_due", "sms", "fr"): (
            None,
            "{{ clinic_name }} : c'est le moment de votre cure d'entretien de 4 à 6 semaines. " + _BOOK_SMS["fr"] + _STOP_FR,
        ),
        ("maintenance_due", "email", "en"): (
            "Time for your maintenance course at {{ clinic_name }}",
            _mail(
                "en",
                "It is time for your 4 to 6 week maintenance course, which keeps the results of last year's sessions.\n\n"
                + _BOOK_MAIL["en"],
            ),
        ),
        ("maintenance_due", "email", "fr"): (
            "C'est le moment de votre cure d'entretien chez {{ clinic_name }}",
            _mail(
                "fr",
                "C'est le moment de votre cure d'entretien de 4 à 6 semaines, qui prolonge les résultats de l'an dernier.\n\n"
                + _BOOK_MAIL["fr"],
            ),
        ),
        ("maintenance_overdue", "sms", "en"): (
            None,
            "{{ clinic_name }}: your yearly maintenance course is still to book, to keep your results. "
            + _BOOK_SMS["en"]
            + _STOP_EN,
        ),
        ("maintenance_overdue", "sms", "fr"): (
            None,
            "{{ clinic_name }} : votre cure d'entretien annuelle reste à réserver. " + _BOOK_SMS["fr"] + _STOP_FR,
        ),
        ("maintenance_overdue", "email", "en"): (
            "Your maintenance course at {{ clinic_name }}",
            _mail(
                "en",
                "Your yearly maintenance course was due on {{ due_date }} and is not booked yet. Four to six weeks of "
                "sessions keep your results.\n\n" + _BOOK_MAIL["en"] + " This is our last reminder about it.",
            ),
        ),
        ("maintenance_overdue", "email", "fr"): (
            "Votre cure d'entretien chez {{ clinic_name }}",
            _mail(
                "fr",
                "Votre cure d'entretien annuelle était prévue à partir du {{ due_date }} et n'est pas encore réservée. "
                "Quatre à six semaines de séances prolongent vos résultats.\n\n"
                + _BOOK_MAIL["fr"]
                + " C'est notre dernier rappel à ce sujet.",
            ),
        ),
    }
)

# A course that stalled, and a missed session: how to book again, nothing about the treatment.
DEFAULT_TEMPLATES.update(
    {
        ("rebook", "sms", "en"): (
            None,
            "{{ clinic_name }}: your course continues with {{ course_progress }}, not booked yet."
            " Regular sessions give the best results. " + _BOOK_SMS["en"] + _STOP_EN,
        ),
        ("rebook", "sms", "fr"): (
            None,
            "{{ clinic_name }} : votre cure continue avec la {{ course_progress }}, pas encore"
            " réservée. Des séances régulières donnent les meilleurs résultats. " + _BOOK_SMS["fr"] + _STOP_FR,
        ),
        ("rebook", "email", "en"): (
            "Your next session at {{ clinic_name }}",
            _mail(
                "en",
                "Your course continues with {{ course_progress }}, which is not booked yet. Sessions at regular "
                "intervals give the best results, so we suggest booking it soon.\n\n" + _BOOK_MAIL["en"],
            ),
        ),
        ("rebook", "email", "fr"): (
            "Votre prochaine séance chez {{ clinic_name }}",
            _mail(
                "fr",
                "Votre cure continue avec la {{ course_progress }}, qui n'est pas encore réservée. Des séances "
                "régulières donnent les meilleurs résultats : nous vous conseillons de la réserver bientôt.\n\n"
                + _BOOK_MAIL["fr"],
            ),
        ),
        ("no_show_followup", "sms", "en"): (
            None,
            "{{ clinic_name }}: we missed you at your appointment on {{ session_date }}. We hope all is well."
            " " + _BOOK_SMS["en"] + _STOP_EN,
        ),
        ("no_show_followup", "sms", "fr"): (
            None,
            "{{ clinic_name }} : nous ne vous avons pas vu(e) au rendez-vous du {{ session_date }}."
            " Nous espérons que tout va bien. " + _BOOK_SMS["fr"] + _STOP_FR,
        ),
        ("no_show_followup", "email", "en"): (
            "We missed you at {{ clinic_name }}",
            _mail(
                "en",
                "We missed you at your appointment on {{ session_date }}. We hope all is well. If you would like "
                "another time, we will be glad to see you.\n\n" + _BOOK_MAIL["en"],
            ),
        ),
        ("no_show_followup", "email", "fr"): (
            "Nous ne vous avons pas vu(e) chez {{ clinic_name }}",
            _mail(
                "fr",
                "Nous ne vous avons pas vu(e) à votre rendez-vous du {{ session_date }}. Nous espérons que tout va "
                "bien. Si vous souhaitez un autre horaire, nous serons heureux de vous recevoir.\n\n" + _BOOK_MAIL["fr"],
            ),
        ),
    }
)

# Answers to patients' SMS replies (TwiML). No answer to STOP or START: Twilio sends its own.
DEFAULT_TEMPLATES.update(
    {
        ("reply_help", "sms", "en"): (
            None,
            "{{ clinic_name }} appointment reminders. Questions or changes: call {{ clinic_phone }}."
            " Reply C to confirm your next appointment, R to ask us to move it." + _STOP_EN,
        ),
        ("reply_help", "sms", "fr"): (
            None,
            "{{ clinic_name }}, rappels de rendez-vous. Questions ou changement : {{ clinic_phone }}."
            " Répondez C pour confirmer, R pour le déplacer." + _STOP_FR,
        ),
        ("reply_confirm", "sms", "en"): (
            None,
            "{{ clinic_name }}: thank you, your appointment on " + _SESSION_TIMES_EN + " is confirmed.",
        ),
        ("reply_confirm", "sms", "fr"): (
            None,
            "{{ clinic_name }} : merci, votre rendez-vous du " + _SESSION_TIMES_FR + " est confirmé.",
        ),
        ("reply_reschedule", "sms", "en"): (
            None,
            "{{ clinic_name }}: noted, we will call you to find a new time. You can also call us on {{ clinic_phone }}.",
        ),
        ("reply_reschedule", "sms", "fr"): (
            None,
            "{{ clinic_name }} : c'est noté, nous vous rappelons pour trouver un autre"
            " horaire. Vous pouvez aussi appeler le {{ clinic_phone }}.",
        ),
        ("reply_no_session", "sms", "en"): (
            None,
            "{{ clinic_name }}: we found no upcoming appointment to confirm. Questions: {{ clinic_phone }}.",
        ),
        ("reply_no_session", "sms", "fr"): (
            None,
            "{{ clinic_name }} : aucun rendez-vous à venir à confirmer. Questions : {{ clinic_phone }}.",
        ),
    }
)


def _more_languages() -> None:
    """Spanish, German and Italian, each in its own module, under the same keys."""
    from . import templates_de, templates_es, templates_it

    for language, module in (("es", templates_es), ("de", templates_de), ("it", templates_it)):
        DEFAULT_TEMPLATES.update({(kind, channel, language): text for (kind, channel), text in module.TEMPLATES.items()})


_more_languages()
