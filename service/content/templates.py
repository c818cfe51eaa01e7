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

_GREETING = {"en": "Hello {{ first_name }},\n\n", "fr": "Bonjour {{ first_name }},\n\n"}


def _mail(language: str, middle: str) -> str:
    """Every email opens with the patient's name and closes with the clinic's."""
    return _GREETING[language] + middle + "\n\n{{ clinic_name }}"


# (kind, channel, language) -> (subject, body)
DEFAULT_TEMPLATES: dict[tuple[str, str, str], tuple[str | None, str]] = {
    ("confirmation", "sms", "en"): (None, "{{ clinic_name }}: your appointment is booked for " + _SESSION_TIMES_EN
                                    + ". To change it call {{ clinic_phone }}. Reply STOP to opt out"),
    ("confirmation", "sms", "fr"): (None, "{{ clinic_name }} : rendez-vous confirmé le " + _SESSION_TIMES_FR
                                    + ". Pour le modifier : {{ clinic_phone }}. STOP pour ne plus recevoir de SMS"),
    ("change_notice", "sms", "en"): (None, "{{ clinic_name }}: your appointment has moved to " + _SESSION_TIMES_EN
                                     + ". Questions: {{ clinic_phone }}. Reply STOP to opt out"),
    ("change_notice", "sms", "fr"): (None, "{{ clinic_name }} : votre rendez-vous est déplacé au " + _SESSION_TIMES_FR
                                     + ". Questions : {{ clinic_phone }}. STOP pour ne plus recevoir de SMS"),
    ("cancellation_notice", "sms", "en"): (None, "{{ clinic_name }}: your appointment on " + _SESSION_TIMES_EN
                                           + " is cancelled. To book again call {{ clinic_phone }}. Reply STOP to opt out"),
    ("cancellation_notice", "sms", "fr"): (None, "{{ clinic_name }} : votre rendez-vous du " + _SESSION_TIMES_FR
                                           + " est annulé. Pour reprendre rendez-vous : {{ clinic_phone }}. STOP pour ne plus recevoir de SMS"),
    ("confirmation", "email", "en"): ("Your appointment at {{ clinic_name }} is booked", _mail(
        "en", "Your appointment at {{ clinic_name }} is booked for " + _SESSION_TIMES_EN
        + ".\n\nTo change it, call {{ clinic_phone }}.")),
    ("confirmation", "email", "fr"): ("Votre rendez-vous chez {{ clinic_name }} est confirmé", _mail(
        "fr", "Votre rendez-vous chez {{ clinic_name }} est confirmé le " + _SESSION_TIMES_FR
        + ".\n\nPour le modifier, appelez le {{ clinic_phone }}.")),
    ("change_notice", "email", "en"): ("Your appointment at {{ clinic_name }} has moved", _mail(
        "en", "Your appointment at {{ clinic_name }} is now on " + _SESSION_TIMES_EN + ".\n\nQuestions: {{ clinic_phone }}.")),
    ("change_notice", "email", "fr"): ("Votre rendez-vous chez {{ clinic_name }} est déplacé", _mail(
        "fr", "Votre rendez-vous chez {{ clinic_name }} a lieu désormais le " + _SESSION_TIMES_FR
        + ".\n\nQuestions : {{ clinic_phone }}.")),
    ("cancellation_notice", "email", "en"): ("Your appointment at {{ clinic_name }} is cancelled", _mail(
        "en", "Your appointment on " + _SESSION_TIMES_EN + " is cancelled. To book again, call {{ clinic_phone }}.")),
    ("cancellation_notice", "email", "fr"): ("Votre rendez-vous chez {{ clinic_name }} est annulé", _mail(
        "fr", "Votre rendez-vous du " + _SESSION_TIMES_FR
        + " est annulé. Pour reprendre rendez-vous, appelez le {{ clinic_phone }}.")),
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
        + ".\n\nA session takes about 10 minutes. If you need to change the time, please call us on "
        "{{ clinic_phone }}.\n\nThe invitation attached adds it to your calendar.\n\n{{ clinic_name }}",
    ),
    ("session_reminder", "email", "fr"): (
        "Votre rendez-vous chez {{ clinic_name }} le {{ session_date }}",
        "Bonjour {{ first_name }},\n\n"
        "Nous vous rappelons votre rendez-vous chez {{ clinic_name }} le "
        + _SESSION_TIMES_FR
        + ".\n\nUne séance dure environ 10 minutes. Pour changer d'horaire, appelez-nous au "
        "{{ clinic_phone }}.\n\nL'invitation jointe l'ajoute à votre agenda.\n\n{{ clinic_name }}",
    ),
}
