"""What every booking-system adapter hands back: the domain events in one webhook post, and what it had to drop."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from babel import Locale, UnknownLocaleError, negotiate_locale

from ..contacts import ContactError, normalise_email, normalise_phone
from ..domain.events import BookingEvent, StatusEvent
from ..rendering import LANGUAGES
from .errors import PayloadError
from .jsonbody import read_json

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class WebhookPost:
    event_id: str  # the provider's id for this post, or a hash of what identifies it
    event_type: str
    events: list[BookingEvent | StatusEvent]
    ignored: str | None = None  # why nothing is done (an event type Recall does not use)
    warnings: list[str] = field(default_factory=list)  # what was dropped but did not stop the booking


def shape_checked(parse: Callable[P, R]) -> Callable[P, R]:
    """A provider's body in an unexpected shape (a list where an object belongs, a number for a name) is the
    sender's mistake: answer 422 naming it, never 500. Only parsing is guarded; applying the events is not."""

    @functools.wraps(parse)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return parse(*args, **kwargs)
        except PayloadError:
            raise
        except (TypeError, AttributeError, KeyError, IndexError, ValueError, OverflowError) as exc:
            raise PayloadError(
                "the body does not have the shape this provider sends", [f"{type(exc).__name__}: {str(exc)[:200]}"]
            ) from None

    return guarded


def bounded(value: object, limit: int, where: str) -> str:
    """An id we must store whole: too long is an error, not something to cut."""
    text = str(value)
    if not text or len(text) > limit or "\x00" in text:
        raise PayloadError(f"{where} must be 1 to {limit} characters", [f"{where}: {len(text)} characters"])
    return text


def json_envelope(raw: bytes, what: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The body and its `payload` object, as Cal.com and Calendly wrap their events."""
    body = read_json(raw)
    if not isinstance(body, dict) or not isinstance(body.get("payload"), dict):
        raise PayloadError("payload is missing", [f"payload: expected the {what} object"])
    return body, body["payload"]


def digest_id(*parts: object) -> str:
    return "sha256:" + hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:40]


def text_or_empty(value: object, where: str) -> str:
    """A name or label the sender may leave out; anything but text (an object, a list, a number) is its mistake."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PayloadError(f"{where} must be text", [f"{where}: {type(value).__name__}"])
    return value


def split_name(full: str | None) -> tuple[str, str]:
    parts = (full or "").strip().split(None, 1)
    return (parts[0], parts[1]) if len(parts) == 2 else ((parts[0], "") if parts else ("", ""))


def phone_or_warning(raw: object, region: str, where: str, warnings: list[str]) -> str | None:
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        return normalise_phone(raw, region)
    except ContactError as exc:
        warnings.append(f"{where}: {exc}; booked without it")
        return None


def email_or_warning(raw: object, where: str, warnings: list[str]) -> str | None:
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        return normalise_email(raw)
    except ContactError as exc:
        warnings.append(f"{where}: {exc}; booked without it")
        return None


def language_of_locale(locale: object) -> str | None:
    """The supported language closest to a booking system's BCP 47 tag (`fr-CA` → fr, `es-MX` → es, `de-AT` → de),
    or None for a language Recall has no templates in (`pt`) or no tag at all: a new patient then gets the clinic's
    language, a known one keeps theirs (service/ingest.py upsert_patient)."""
    if not isinstance(locale, str) or not locale.strip():
        return None
    tag = locale.strip().replace("_", "-")
    try:
        code = Locale.parse(tag, sep="-").language
    except (ValueError, TypeError, UnknownLocaleError):  # private-use or extension subtags Babel does not read
        code = tag.split("-")[0].lower()
    return negotiate_locale([code], LANGUAGES, sep="-")


def contact_consent(setting: str, phone: str | None, email: str | None) -> tuple[bool | None, bool | None]:
    """(sms_consent, email_consent) for a booking system that says nothing about consent (FHIR, Acuity), as the clinic's
    FHIR_CONTACT_CONSENT / ACUITY_CONTACT_CONSENT decides: `sms`, `email` or `both` count a contact given with the
    booking as consent on that channel; otherwise None, "not said", and staff record it. Never False: a booking does
    not take consent away, and an opt-out (STOP, unsubscribe) is kept apart from consent and never undone here."""
    sms = setting in ("sms", "both") and bool(phone)
    mail = setting in ("email", "both") and bool(email)
    return (True if sms else None), (True if mail else None)
