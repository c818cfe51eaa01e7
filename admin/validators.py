"""Form checks that tell staff what is wrong in words, and store what they meant (E.164, lower-case domains)."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from wtforms.validators import ValidationError

from service.contacts import ContactError, normalise_email, normalise_phone
from service.runtime import get_settings

TIMEZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
LANGUAGES = [("fr", "Français"), ("en", "English")]


def phone_number(form: Any, field: Any) -> None:
    """National numbers are read in the clinic's region (06 12 34 56 78 -> +33612345678)."""
    if not field.data or not str(field.data).strip():
        field.data = None
        return
    region = get_settings().clinic_region
    try:
        field.data = normalise_phone(str(field.data), region)
    except ContactError as exc:
        raise ValidationError(f"{exc}. Type it as the patient would dial it, or with +country code.") from None


def email_address(form: Any, field: Any) -> None:
    if not field.data or not str(field.data).strip():
        field.data = None
        return
    try:
        field.data = normalise_email(str(field.data))
    except ContactError as exc:
        raise ValidationError(str(exc)) from None


def time_zone(form: Any, field: Any) -> None:
    if field.data and field.data not in TIMEZONES:
        raise ValidationError(f"{field.data!r} is not a time zone from the IANA list, e.g. Europe/Paris")
