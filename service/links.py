"""The patient's personal link, PUBLIC_BASE_URL/r/<token>: one per appointment, unguessable, never stored in clear.

The token is derived, not drawn: HMAC-SHA256(SECRET_KEY, appointment id), 16 URL-safe characters (96 bits). So
every message about the session can carry the same link without the token being kept anywhere; the database holds
only its SHA-256 (`appointment.manage_token_digest`), which is what a request is looked up by. Rotating SECRET_KEY
therefore retires every link already sent (docs/deploy.md says so).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import quote

from sqlalchemy import select

from .extensions import DbSession
from .models import Appointment
from .settings import Settings

TOKEN_LENGTH = 16
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16}$")


def token_for(appointment_id: int, settings: Settings) -> str:
    mac = hmac.new(settings.secret_key.encode(), f"recall-manage:{appointment_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode()[:TOKEN_LENGTH]


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def remember(appointment: Appointment, settings: Settings) -> None:
    """Keep the digest of the appointment's token so its link can be found (needs the appointment's id: flush first)."""
    if appointment.manage_token_digest is None:
        appointment.manage_token_digest = digest(token_for(appointment.id, settings))


def manage_url(appointment_id: int, settings: Settings) -> str:
    base = (settings.public_base_url or "").rstrip("/")
    return f"{base}/r/{token_for(appointment_id, settings)}"


def find(db_session: DbSession, token: str) -> Appointment | None:
    """The appointment a link names; None for anything else, malformed or unknown alike (the page says the same)."""
    if not _TOKEN.match(token or ""):
        return None
    return db_session.execute(select(Appointment).where(Appointment.manage_token_digest == digest(token))).scalar_one_or_none()


# Bookings whose slot the booking system lets the patient change on its own pages: Recall sends the patient there.
CALENDLY, ACUITY, CALCOM = "calendly", "acuity", "calcom"


def provider_links(appointment: Appointment, settings: Settings) -> tuple[str | None, str | None]:
    """Where the patient cancels and reschedules this booking on the booking system's own pages: (cancel, reschedule).

    Calendly and Acuity send their links with the booking (stored on the appointment); Cal.com's are built from the
    booking's uid (its external id here) under CALCOM_APP_URL. (None, None) for bookings Recall handles itself
    (generic, FHIR, panel): the patient's page then records a cancellation, and a reschedule request, on its own.
    """
    if appointment.source == CALCOM and appointment.external_id:
        uid = quote(appointment.external_id, safe="")
        base = settings.calcom_app_url.rstrip("/")
        return f"{base}/booking/{uid}?cancel=true", f"{base}/reschedule/{uid}"
    if appointment.source in (CALENDLY, ACUITY):
        return appointment.cancel_url, appointment.reschedule_url
    return None, None
