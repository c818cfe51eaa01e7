"""Form checks that tell staff what is wrong in words, and store what they meant (E.164, lower-case domains)."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from wtforms.validators import ValidationError

from service.contacts import ContactError, normalise_email, normalise_phone
from service.i18n import _
from service.runtime import get_settings

TIMEZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
# The languages of a patient's messages (service.rendering.LANGUAGES), each named in itself.
LANGUAGES = [("fr", "Français"), ("en", "English"), ("es", "Español"), ("de", "Deutsch"), ("it", "Italiano")]


def phone_number(form: Any, field: Any) -> None:
    """National numbers are read in the clinic's region (06 12 34 56 78 -> +33612345678)."""
    if not field.data or not str(field.data).strip():
        field.data = None
        return
    region = get_settings().clinic_region
    try:
        field.data = normalise_phone(str(field.data), region)
    except ContactError:
        raise ValidationError(
            _(
                "%(value)s is not a mobile number we can text. Type it as the patient would dial it "
                "(06 12 34 56 78) or with its country code (+44 7700 900123).",
                value=str(field.data).strip()[:40],
            )
        ) from None


def email_address(form: Any, field: Any) -> None:
    if not field.data or not str(field.data).strip():
        field.data = None
        return
    try:
        field.data = normalise_email(str(field.data))
    except ContactError:
        raise ValidationError(_("%(value)s is not an email address.", value=str(field.data).strip()[:80])) from None


def time_zone(form: Any, field: Any) -> None:
    if field.data and field.data not in TIMEZONES:
        raise ValidationError(_("%(value)s is not a time zone from the list, e.g. Europe/Paris.", value=field.data))
