"""SMS encoding and segments, phone normalisation and masking."""

from __future__ import annotations

import pytest

from service.contacts import ContactError, mask_email, mask_phone, normalise_phone
from service.domain.sms_encoding import sms_encoding


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, ("GSM-7", 1)),
        ("a" * 161, ("GSM-7", 2)),
        ("a" * 306, ("GSM-7", 2)),
        ("a" * 307, ("GSM-7", 3)),
        ("€" * 80, ("GSM-7", 1)),  # extension characters count twice
        ("€" * 81, ("GSM-7", 2)),
        ("Séance à 16:45 ✨", ("UCS-2", 1)),
        ("’" + "a" * 70, ("UCS-2", 2)),  # one curly quote turns the whole text into UCS-2
        ("ê" * 134, ("UCS-2", 2)),
        ("ê" * 135, ("UCS-2", 3)),
    ],
)
def test_encoding_and_segment_count(text, expected):
    result = sms_encoding(text)
    assert (result.encoding, result.segments) == expected


def test_national_numbers_are_read_in_the_clinic_region():
    assert normalise_phone("06 12 34 56 78", "FR") == "+33612345678"
    assert normalise_phone("+44 7911 123456", "FR") == "+447911123456"
    with pytest.raises(ContactError, match="not a valid phone number"):
        normalise_phone("01 00 00", "FR")


def test_masks_keep_enough_to_tell_numbers_apart_and_not_enough_to_dial():
    assert mask_phone("+33612345678") == "+33 6 •• •• •• 78"
    assert "12345" not in mask_phone("+447911123456")
    assert mask_email("camille@example.test") == "c•••@example.test"
