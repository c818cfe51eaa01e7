"""A patient's language from a booking system's BCP 47 tag: the closest language Recall writes in, else none."""

from __future__ import annotations

import pytest

from service.rendering import LANGUAGES, language_of
from service.webhooks.posts import language_of_locale


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        ("fr-CA", "fr"),
        ("es-MX", "es"),
        ("de-AT", "de"),
        ("it-CH", "it"),
        ("en_GB", "en"),  # Cal.com and others write an underscore
        ("FR", "fr"),
        ("es-419", "es"),  # Latin American Spanish: a region that is a number
        ("de-CH-1996", "de"),  # a variant
        ("fr-CA-u-ca-gregory", "fr"),  # an extension Babel does not read
        ("pt", None),  # no Portuguese templates: the clinic's language
        ("pt-BR", None),
        ("zh-Hant-TW", None),
        ("French", None),  # a name, not a tag
        ("", None),
        ("  ", None),
        (None, None),
        (3, None),
    ],
)
def test_a_booking_systems_tag_becomes_the_closest_language_recall_writes_in(tag, language):
    assert language_of_locale(tag) == language


def test_every_closest_language_is_one_the_messages_are_written_in():
    assert {language_of_locale(code) for code in LANGUAGES} == set(LANGUAGES)
    assert all(language_of(code) == code for code in LANGUAGES)
