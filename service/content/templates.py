"""Default message templates, in English and French (mesotherapy comes from France).

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


def _mail(language: str, middle: str) -> str:
    """Every email opens with the patient's name and closes with the clinic's."""
    return _GREETING[language] + middle + "\n\n{{ clinic_name }}"


# (kind, channel, language) -> (subject, body)
DEFAULT_TEMPLATES: dict[tuple[str, str, str], tuple[str | None, str]] = {
    ("confirmation", "sms", "en"): (
        None,
        "{{ clinic_name }}: your " + _APPOINTMENTS_ARE_EN + " booked for {{ sessions_when }}"
        ". To change it call {{ clinic_phone }}. Reply STOP to opt out",
    ),
    ("confirmation", "sms", "fr"): (
        None,
        "{{ clinic_name }} : " + _CONFIRMED_FR + " le {{ sessions_when }}"
        ". Pour le modifier : {{ clinic_phone }}. STOP pour ne plus recevoir de SMS",
    ),
    ("change_notice", "sms", "en"): (
        None,
        "{{ clinic_name }}: your appointment has moved to "
        + _SESSION_TIMES_EN
        + ". Questions: {{ clinic_phone }}. Reply STOP to opt out",
    ),
    ("change_notice", "sms", "fr"): (
        None,
        "{{ clinic_name }} : votre rendez-vous est déplacé au "
        + _SESSION_TIMES_FR
        + ". Questions : {{ clinic_phone }}. STOP pour ne plus recevoir de SMS",
    ),
    ("cancellation_notice", "sms", "en"): (
        None,
        "{{ clinic_name }}: your appointment on "
        + _SESSION_TIMES_EN
        + " is cancelled. To book again call {{ clinic_phone }}. Reply STOP to opt out",
    ),
    ("cancellation_notice", "sms", "fr"): (
        None,
        "{{ clinic_name }} : votre rendez-vous du "
        + _SESSION_TIMES_FR
        + " est annulé. Pour reprendre rendez-vous : {{ clinic_phone }}."
        " STOP pour ne plus recevoir de SMS",
    ),
    ("confirmation", "email", "en"): (
        "Your appointment at {{ clinic_name }} is booked",
        _mail(
            "en",
            "Your appointment{{ 's' if session_count > 1 }} at {{ clinic_name }} {{ 'are' if session_count > 1 else 'is' }}"
            " booked for {{ sessions_when }}"
            ".\n\nTo change it, call {{ clinic_phone }}.",
        ),
    ),
    ("confirmation", "email", "fr"): (
        "Votre rendez-vous chez {{ clinic_name }} est confirmé",
        _mail(
            "fr",
            "{% if session_count > 1 %}Vos rendez-vous chez {{ clinic_name }} sont confirmés{% else %}"
            "Votre rendez-vous chez {{ clinic_name }} est confirmé{% endif %} le {{ sessions_when }}"
            ".\n\nPour le modifier, appelez le {{ clinic_phone }}.",
        ),
    ),
    ("change_notice", "email", "en"): (
        "Your appointment at {{ clinic_name }} has moved",
        _mail(
            "en", "Your appointment at {{ clinic_name }} is now on " + _SESSION_TIMES_EN + ".\n\nQuestions: {{ clinic_phone }}."
        ),
    ),
    ("change_notice", "email", "fr"): (
        "Votre rendez-vous chez {{ clinic_name }} est déplacé",
        _mail(
            "fr",
            "Votre rendez-vous chez {{ clinic_name }} a lieu désormais le "
            + _SESSION_TIMES_FR
            + ".\n\nQuestions : {{ clinic_phone }}.",
        ),
    ),
    ("cancellation_notice", "email", "en"): (
        "Your appointment at {{ clinic_name }} is cancelled",
        _mail("en", "Your appointment on " + _SESSION_TIMES_EN + " is cancelled. To book again, call {{ clinic_phone }}."),
    ),
    ("cancellation_notice", "email", "fr"): (
        "Votre rendez-vous chez {{ clinic_name }} est annulé",
        _mail(
            "fr",
            "Votre rendez-vous du "
            + _SESSION_TIMES_FR
            + " est annulé. Pour reprendre rendez-vous, appelez le {{ clinic_phone }}.",
        ),
    ),
    ("session_reminder", "sms", "en"): (
        None,
        "{{ clinic_name }}: reminder of your appointment{{ 's' if session_count > 1 }} on "
        + _SESSION_TIMES_EN
        + ". To change it call {{ clinic_phone }}. Reply STOP to opt out",
    ),
    ("session_reminder", "sms", "fr"): (
        None,
        "{{ clinic_name }} : rappel, rendez-vous le "
        + _SESSION_TIMES_FR
        + ". Pour le modifier : {{ clinic_phone }}. STOP pour ne plus recevoir de SMS",
    ),
    ("session_reminder", "email", "en"): (
        "Your appointment at {{ clinic_name }} on {{ session_date }}",
        "Hello {{ first_name }},\n\n"
        "This is a reminder of your appointment{{ 's' if session_count > 1 }} at {{ clinic_name }} on "
        + _SESSION_TIMES_EN
        + ".{% if course_progress is defined %} This will be {{ course_progress }} of your course.{% endif %}"
        "\n\nA session takes about 10 minutes. If you need to change the time, please call us on "
        "{{ clinic_phone }}.\n\nThe invitation attached adds it to your calendar.\n\n{{ clinic_name }}",
    ),
    ("session_reminder", "email", "fr"): (
        "Votre rendez-vous chez {{ clinic_name }} le {{ session_date }}",
        "Bonjour {{ first_name }},\n\n"
        "Nous vous rappelons votre rendez-vous chez {{ clinic_name }} le "
        + _SESSION_TIMES_FR
        + ".{% if course_progress is defined %} Ce sera la {{ course_progress }} de votre cure.{% endif %}"
        "\n\nUne séance dure environ 10 minutes. Pour changer d'horaire, appelez-nous au "
        "{{ clinic_phone }}.\n\nL'invitation jointe l'ajoute à votre agenda.\n\n{{ clinic_name }}",
    ),
}

_STOP_EN = " Reply STOP to opt out"
_STOP_FR = " STOP pour ne plus recevoir de SMS"

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
            " week maintenance course keeps your results. Book on {{ clinic_phone }}." + _STOP_EN,
        ),
        ("maintenance_early", "sms", "fr"): (
            None,
            "{{ clinic_name }} : votre dernière cure date de près d'un an. 4 à 6"
            " semaines d'entretien gardent vos résultats. RDV au {{ clinic_phone }}." + _STOP_FR,
        ),
        ("maintenance_early", "email", "en"): (
            "Your yearly maintenance at {{ clinic_name }} is due on {{ due_date }}",
            _mail(
                "en",
                "It will soon be a year since your last course of sessions. To keep your results, a short maintenance "
                "course of 4 to 6 weeks is recommended every year; yours is due on {{ due_date }}.\n\n"
                "To book, call us on {{ clinic_phone }}.",
            ),
        ),
        ("maintenance_early", "email", "fr"): (
            "Votre entretien annuel chez {{ clinic_name }} : à partir du {{ due_date }}",
            _mail(
                "fr",
                "Votre dernière cure date bientôt d'un an. Pour garder vos résultats, une courte cure d'entretien de 4 à 6 "
                "semaines est conseillée chaque année ; la vôtre est prévue à partir du {{ due_date }}.\n\n"
                "Pour prendre rendez-vous, appelez-nous au {{ clinic_phone }}.",
            ),
        ),
        ("maintenance_due", "sms", "en"): (
            None,
            "{{ clinic_name }}: time for your 4-6 week maintenance course, to keep your"
            " results. Book on {{ clinic_phone }}." + _STOP_EN,
        ),
        ("maintenance_due", "sms", "fr"): (
            None,
            "{{ clinic_name }} : c'est le moment de votre cure d'entretien de 4 à 6"
            " semaines. RDV au {{ clinic_phone }}." + _STOP_FR,
        ),
        ("maintenance_due", "email", "en"): (
            "Time for your maintenance course at {{ clinic_name }}",
            _mail(
                "en",
                "It is time for your 4 to 6 week maintenance course, which keeps the results of last year's sessions.\n\n"
                "To book, call us on {{ clinic_phone }}.",
            ),
        ),
        ("maintenance_due", "email", "fr"): (
            "C'est le moment de votre cure d'entretien chez {{ clinic_name }}",
            _mail(
                "fr",
                "C'est le moment de votre cure d'entretien de 4 à 6 semaines, qui prolonge les résultats de l'an dernier.\n\n"
                "Pour prendre rendez-vous, appelez-nous au {{ clinic_phone }}.",
            ),
        ),
        ("maintenance_overdue", "sms", "en"): (
            None,
            "{{ clinic_name }}: your yearly maintenance course is still to book."
            " Call {{ clinic_phone }} to keep your results." + _STOP_EN,
        ),
        ("maintenance_overdue", "sms", "fr"): (
            None,
            "{{ clinic_name }} : votre cure d'entretien annuelle reste à réserver. Appelez le {{ clinic_phone }}." + _STOP_FR,
        ),
        ("maintenance_overdue", "email", "en"): (
            "Your maintenance course at {{ clinic_name }}",
            _mail(
                "en",
                "Your yearly maintenance course was due on {{ due_date }} and is not booked yet. Four to six weeks of "
                "sessions keep your results.\n\nTo book, call us on {{ clinic_phone }}. This is our last reminder about it.",
            ),
        ),
        ("maintenance_overdue", "email", "fr"): (
            "Votre cure d'entretien chez {{ clinic_name }}",
            _mail(
                "fr",
                "Votre cure d'entretien annuelle était prévue à partir du {{ due_date }} et n'est pas encore réservée. "
                "Quatre à six semaines de séances prolongent vos résultats.\n\nPour prendre rendez-vous, appelez-nous au "
                "{{ clinic_phone }}. C'est notre dernier rappel à ce sujet.",
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
