"""Every shipped template renders, names the clinic, and keeps SMS discreet, short and in plain GSM-7 where it can."""

from __future__ import annotations

import pytest

from service.content.templates import DEFAULT_TEMPLATES
from service.domain.sms_encoding import sms_encoding
from service.rendering import SAMPLE_VARIABLES, render_text

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
    for language in ("en", "fr"):
        body = DEFAULT_TEMPLATES[("session_reminder", "email", language)][1]
        for manage in (LONG_LINK, ""):
            text = render_text(body, {**LONGEST, **LONGEST_DATES[language], "manage_url": manage})
            paragraphs = text.split("\n\n")
            assert len(paragraphs) >= 5, text  # greeting, when, how to change, the invitation, the clinic
            assert paragraphs[-1] == LONGEST["clinic_name"]


def test_english_and_french_ship_the_same_set_of_templates():
    english = {(kind, channel) for kind, channel, lang in DEFAULT_TEMPLATES if lang == "en"}
    french = {(kind, channel) for kind, channel, lang in DEFAULT_TEMPLATES if lang == "fr"}
    assert english == french


@pytest.mark.parametrize("key", sorted(k for k in DEFAULT_TEMPLATES if k[0] in ("rebook", "no_show_followup")), ids="/".join)
def test_nudges_and_the_no_show_follow_up_say_how_to_book_with_or_without_a_booking_link(key):
    body = DEFAULT_TEMPLATES[key][1]
    with_link = render_text(body, {**LONGEST, **LONGEST_DATES[key[2]]})
    without = render_text(body, {**LONGEST, **LONGEST_DATES[key[2]], "booking_url": ""})
    assert LONG_BOOKING in with_link and LONG_BOOKING not in without and "+33 1 42 86 82 00" in without
    if key[0] == "rebook":
        assert "{{ course_progress }}" in body and "session 3 of 6" in with_link
