"""Phone numbers and email addresses: normalised on the way in, masked on the way to a log."""

from __future__ import annotations

import re

import phonenumbers

EMAIL_RE = re.compile(r"^[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f]+$")


class ContactError(ValueError):
    """A phone number or email address that cannot be used; the message says why in plain words."""


def normalise_phone(raw: str, region: str) -> str:
    """E.164 from an international or national number (national ones read in the clinic's region)."""
    text = raw.strip()
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ContactError(f"{text!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ContactError(f"{text!r} is not a valid phone number for {region} or in +country format")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    text = raw.strip()
    if len(text) > 254 or not EMAIL_RE.match(text):
        raise ContactError(f"{text!r} is not an email address")
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def display_phone(e164: str | None, region: str) -> str:
    """National format for the clinic's own country ("06 12 34 56 78"), international otherwise ("+44 7700 900123");
    as stored if it does not parse."""
    if not e164:
        return ""
    try:
        parsed = phonenumbers.parse(e164, region)
    except phonenumbers.NumberParseException:
        return e164
    national = phonenumbers.region_code_for_number(parsed) == region
    return phonenumbers.format_number(
        parsed, phonenumbers.PhoneNumberFormat.NATIONAL if national else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )


def mask_phone(e164: str | None) -> str:
    """`+33 6•• •• •• 78`: enough for staff to tell two numbers apart, not enough to dial."""
    if not e164:
        return "-"
    try:
        number = phonenumbers.parse(e164, None)
        pretty = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return "•" * 6
    country, _, national = pretty.partition(" ")
    digits_seen = 0
    total = sum(ch.isdigit() for ch in national)
    out = []
    for ch in national:
        if ch.isdigit():
            digits_seen += 1
            keep = digits_seen == 1 or digits_seen > total - 2
            out.append(ch if keep else "•")
        else:
            out.append(ch)
    return f"{country} {''.join(out)}"


def mask_email(address: str | None) -> str:
    """`j•••@example.com`."""
    if not address or "@" not in address:
        return "-"
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}•••@{domain}"
