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


def test_english_and_french_ship_the_same_set_of_templates():
    english = {(kind, channel) for kind, channel, lang in DEFAULT_TEMPLATES if lang == "en"}
    french = {(kind, channel) for kind, channel, lang in DEFAULT_TEMPLATES if lang == "fr"}
    assert english == french
