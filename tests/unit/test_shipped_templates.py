"""Every shipped template renders, names the clinic, and keeps SMS discreet, short and in plain GSM-7 where it can."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date

from service.content.templates import DEFAULT_TEMPLATES
from service.content.tips import tip_texts
from service.domain.sms_encoding import sms_encoding
from service.messages import PROGRESS
from service.rendering import LANGUAGES, SAMPLE_VARIABLES, render_text, session_variables

VARIABLES = {
    **SAMPLE_VARIABLES,
    "clinic_name": "Clinique Lumière",
    "aftercare_tips": ["Drink water."],
    "due_date": "23 mars 2027",
}
TREATMENT_WORDS = ("mesotherap", "mésothérap", "cellulite", "injection", "thigh", "cuisse")


@pytest.mark.parametrize("key", sorted(DEFAULT_TEMPLATES), ids=lambda k: "/".join(k))
def test_each_template_renders_and_names_the_clinic(key):
    subject, body = DEFAULT_TEMPLATES[key]
    text = render_text(body, VARIABLES)
    assert "Clinique Lumière" in text
    if key[1] == "email":
        assert subject and render_text(subject, VARIABLES)


@pytest.mark.parametrize("key", sorted(k for k in DEFAULT_TEMPLATES if k[1] == "sms"), ids=lambda k: "/".join(k))
def test_sms_say_how_to_opt_out_and_nothing_a_lock_screen_should_not_show(key):
    text = render_text(DEFAULT_TEMPLATES[key][1], VARIABLES)
    if not key[0].startswith("reply_") or key[0] == "reply_help":  # answers to a reply need not repeat it
        assert "STOP" in text
    assert not any(word in text.lower() for word in TREATMENT_WORDS)
    encoding = sms_encoding(text)
    assert encoding.encoding == "GSM-7", text  # one accent outside GSM-7 would cut a segment to 70 characters
    assert encoding.segments <= 2, (encoding.units, text)


# Every value at its longest, as a real clinic would have it: a long clinic name (CLINIC_NAME is free text; this one
# has the accents GSM-7 keeps), a public host of its own, the longest day and month names, and two sessions that day.
LONG_LINK = "https://rappels.clinique-lumiere.fr/r/Xq3vT9bLw2Kp_7-N"  # PUBLIC_BASE_URL + /r/ + the 16-character token
LONG_BOOKING = "https://www.doctolib.fr/medecin-esthetique/paris/clinique-lumiere-paris"
LONGEST = {
    **VARIABLES,
    "clinic_name": "Clinique Esthétique Lumière Paris 8e",
    "clinic_phone": "+33 1 42 86 82 00",
    "manage_url": LONG_LINK,
    "booking_url": LONG_BOOKING,
    "session_count": 2,
}
LONGEST_DATES = {
    "en": {
        "session_date": "Wednesday, September 30, 2026",
        "session_times": "10:45 AM and 11:15 AM",
        "sessions_when": "Wednesday, September 30, 2026 at 10:45 AM and 11:15 AM",
        "due_date": "September 30, 2027",
    },
    "fr": {
        "session_date": "mercredi 30 septembre 2026",
        "session_times": "10:45 et 11:15",
        "sessions_when": "mercredi 30 septembre 2026 à 10:45 et 11:15",
        "due_date": "30 septembre 2027",
    },
}
PARIS = ZoneInfo("Europe/Paris")


def longest_dates(language: str) -> dict[str, object]:
    """Two sessions on the day whose name is longest, in September (the longest month name in every language here),
    formatted by the very function a real message uses, with the words for a session at its longest."""
    week = [datetime(2026, 9, 21 + i, 10, 45, tzinfo=PARIS) for i in range(7)]
    longest = max(
        (session_variables([day, day + timedelta(minutes=30)], PARIS, language) for day in week),
        key=lambda v: len(str(v["sessions_when"])),
    )
    with_total, _alone = PROGRESS[language]
    return {
        **longest,
        "due_date": format_date(date(2027, 9, 30), format="long", locale=language),
        "course_progress": with_total.format(n=10, total=10),
    }


LONGEST_DATES.update({language: longest_dates(language) for language in ("es", "de", "it")})
SESSION_KINDS = ("confirmation", "change_notice", "session_reminder")
MAINTENANCE = ("maintenance_early", "maintenance_due", "maintenance_overdue")


@pytest.mark.parametrize("key", sorted(k for k in DEFAULT_TEMPLATES if k[1] == "sms"), ids=lambda k: "/".join(k))
def test_sms_stay_within_two_segments_with_the_patients_link_at_its_longest(key):
    text = render_text(DEFAULT_TEMPLATES[key][1], {**LONGEST, **LONGEST_DATES[key[2]]})
    encoding = sms_encoding(text)
    assert encoding.encoding == "GSM-7", text
    assert encoding.segments <= 2, (encoding.units, text)


@pytest.mark.parametrize("key", sorted(k for k in DEFAULT_TEMPLATES if k[0] in SESSION_KINDS), ids=lambda k: "/".join(k))
def test_messages_about_a_session_carry_the_patients_link_and_still_read_well_without_it(key):
    body = DEFAULT_TEMPLATES[key][1]
    text = render_text(body, {**LONGEST, **LONGEST_DATES[key[2]]})
    assert LONG_LINK in text
    assert LONG_LINK + " " in text or LONG_LINK + "\n" in text  # never a full stop a phone would take into the link
    without = render_text(body, {**LONGEST, **LONGEST_DATES[key[2]], "manage_url": ""})
    assert "+33 1 42 86 82 00" in without
    assert "/r/" not in without and ":." not in without and "  " not in without


@pytest.mark.parametrize("key", sorted(k for k in DEFAULT_TEMPLATES if k[0] in MAINTENANCE), ids=lambda k: "/".join(k))
def test_maintenance_messages_link_to_the_booking_page_or_give_the_phone(key):
    body = DEFAULT_TEMPLATES[key][1]
    assert LONG_BOOKING in render_text(body, LONGEST)
    without = render_text(body, {**LONGEST, "booking_url": ""})
    assert "+33 1 42 86 82 00" in without and "http" not in without


def test_emails_keep_their_paragraphs_whatever_the_conditions_say():
    for language in LANGUAGES:
        body = DEFAULT_TEMPLATES[("session_reminder", "email", language)][1]
        for manage in (LONG_LINK, ""):
            text = render_text(body, {**LONGEST, **LONGEST_DATES[language], "manage_url": manage})
            paragraphs = text.split("\n\n")
            assert len(paragraphs) >= 5, text  # greeting, when, how to change, the invitation, the clinic
            assert paragraphs[-1] == LONGEST["clinic_name"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_ships_the_same_set_of_templates_as_english(language):
    english = {(kind, channel) for kind, channel, lang in DEFAULT_TEMPLATES if lang == "en"}
    assert {(kind, channel) for kind, channel, lang in DEFAULT_TEMPLATES if lang == language} == english


@pytest.mark.parametrize("key", sorted(k for k in DEFAULT_TEMPLATES if k[0] in ("rebook", "no_show_followup")), ids="/".join)
def test_nudges_and_the_no_show_follow_up_say_how_to_book_with_or_without_a_booking_link(key):
    body = DEFAULT_TEMPLATES[key][1]
    with_link = render_text(body, {**LONGEST, **LONGEST_DATES[key[2]]})
    without = render_text(body, {**LONGEST, **LONGEST_DATES[key[2]], "booking_url": ""})
    assert LONG_BOOKING in with_link and LONG_BOOKING not in without and "+33 1 42 86 82 00" in without
    if key[0] == "rebook":
        assert "{{ course_progress }}" in body
        assert str(LONGEST_DATES[key[2]].get("course_progress", "session 3 of 6")) in with_link


def every_day_of_a_week(language: str, *, sms: bool) -> list[dict[str, object]]:
    """Two sessions on each day of a week in September, as a message in `language` would show them."""
    week = [datetime(2026, 9, 21 + i, 10, 45, tzinfo=PARIS) for i in range(7)]
    return [session_variables([day, day + timedelta(minutes=30)], PARIS, language, sms=sms) for day in week]


SMS_KEYS = sorted((kind, language) for kind, channel, language in DEFAULT_TEMPLATES if channel == "sms")


@pytest.mark.parametrize("key", SMS_KEYS, ids="/".join)
def test_every_sms_in_every_language_stays_within_its_encoding_and_two_segments_whatever_the_day(key):
    """Spanish has á í ó ú, which GSM-7 lacks: the templates avoid them, and a day's name in an SMS drops its accent
    ("sabado"), so no day of the week turns a message into UCS-2. Answers to a patient's text are composed without that
    (service/webhooks/twilio_inbound.py) and may be UCS-2, but still fit in two segments."""
    kind, language = key
    body = DEFAULT_TEMPLATES[(kind, "sms", language)][1]
    answer = kind.startswith("reply_")
    for day in every_day_of_a_week(language, sms=not answer):
        text = render_text(body, {**LONGEST, **LONGEST_DATES[language], **day})
        encoding = sms_encoding(text)
        if not answer:
            assert encoding.encoding == "GSM-7", text
        assert encoding.segments <= 2, (encoding.encoding, encoding.units, text)
        if language != "en" and kind != "reply_reschedule":
            assert str(day["session_date"]) in text or "{{ session_date" not in body


def test_a_spanish_saturday_keeps_its_accent_in_an_email_and_drops_it_in_an_sms():
    saturday = datetime(2026, 9, 26, 10, 45, tzinfo=PARIS)
    assert session_variables([saturday], PARIS, "es")["session_date"].startswith("sábado")
    assert session_variables([saturday], PARIS, "es", sms=True)["session_date"].startswith("sabado")
    assert session_variables([saturday], PARIS, "it", sms=True)["session_date"] == "sabato 26 settembre 2026"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_weekly_tip_goes_by_sms_in_gsm_7_within_two_segments(language):
    """Lifestyle tips go out by SMS (aftercare tips only in the aftercare email)."""
    body = DEFAULT_TEMPLATES[("tip", "sms", language)][1]
    tips = [text for category, text in tip_texts(language) if category != "aftercare"]
    assert len(tips) == 12
    for tip in tips:
        encoding = sms_encoding(render_text(body, {**LONGEST, "tip": tip}))
        assert (encoding.encoding, encoding.segments <= 2) == ("GSM-7", True), tip


def test_every_language_ships_every_tip_in_the_same_place():
    english = tip_texts("en")
    for language in LANGUAGES:
        assert [category for category, _ in tip_texts(language)] == [category for category, _ in english]
        assert len({text for _, text in tip_texts(language)}) == len(english)
