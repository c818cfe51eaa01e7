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


def provider_links(appointment: Appointment, settings: Settings) -> tuple[str | None, str | None]:
    """(cancel_url, reschedule_url): where the booking system lets the patient act itself, or None where it has none.

    Calendly's and Acuity's come with the booking and are stored; Cal.com's are built from the booking's uid.
    """
    if appointment.source == "calcom":
        base = settings.calcom_app_url.rstrip("/")
        return f"{base}/booking/{appointment.external_id}?cancel=true", f"{base}/reschedule/{appointment.external_id}"
    return appointment.cancel_url, appointment.reschedule_url
