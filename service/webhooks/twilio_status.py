"""Twilio's status callbacks: what happened to each SMS after Twilio took it.

The callback URL carries our reminder id (`?reminder=<id>`), which is what closes
the one window the outbox cannot: Twilio accepted a message but our process never
recorded the answer (a timeout, a crash). The first callback for such a reminder
settles it as sent, so it is not sent again.

Twilio signs the URL it called. Behind a proxy that is not the URL Flask sees, so
the signature is checked against `PUBLIC_BASE_URL` + the path and query received.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from twilio.request_validator import RequestValidator

from .. import todo
from ..consent import opt_out
from ..domain import lifecycle
from ..domain.vocabulary import WENT_OUT, Channel, ReminderStatus
from ..extensions import DbSession
from ..metrics import count_message
from ..models import DeliveryEvent, Patient, Reminder
from ..planner import reach_of
from ..settings import Settings
from .errors import PayloadError, SignatureError

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Twilio-Signature"
# How far along a message is; a callback never moves a reminder back down this scale.
RANK = {
    "accepted": 1,
    "scheduled": 1,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "read": 5,
    "canceled": 4,
}
FAILED = ("undelivered", "failed")
OPTED_OUT = "21610"
SID = re.compile(r"[A-Za-z0-9]{2,64}")


def public_url(base_url: str, path: str, query: bytes) -> str:
    return base_url + path + (("?" + query.decode("latin-1")) if query else "")


def verify(auth_token: str, url: str, form: Mapping[str, str], signature: str | None) -> None:
    if not signature:
        raise SignatureError(f"missing {SIGNATURE_HEADER} header")
    if not RequestValidator(auth_token).validate(url, dict(form), signature):
        raise SignatureError(f"{SIGNATURE_HEADER} does not match {url} and the parameters posted")


def record_status(
    db_session: DbSession, form: Mapping[str, str], reminder_id: int | None, settings: Settings, now: datetime
) -> str:
    """Store the callback and move the reminder forward; returns what was done, for the response and the logs."""
    sid = form.get("MessageSid") or form.get("SmsSid")
    status = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
    if not sid or not status:
        raise PayloadError("MessageSid and MessageStatus are required", [f"received: {sorted(form)}"])
    if status not in RANK:
        raise PayloadError(f"unknown MessageStatus {status[:40]!r}", [f"expected one of {sorted(RANK)}"])
    if not SID.fullmatch(sid):
        raise PayloadError("MessageSid is not a Twilio message id", [f"MessageSid: {sid[:40]!r}"])
    error_code = (form.get("ErrorCode") or "")[:16] or None
    reminder = _find(db_session, reminder_id, sid)
    db_session.add(
        DeliveryEvent(
            reminder_id=reminder.id if reminder else None,
            provider_message_id=sid,
            status=status,
            error_code=error_code,
            received_at=now,
        )
    )
    if reminder is None:
        return "recorded"
    # An ambiguous send reached Twilio after all: settle it, never send it again.
    if reminder.channel in (Channel.SMS, Channel.WHATSAPP) and lifecycle.settle_by_receipt(
        reminder, provider="twilio", provider_name="Twilio", message_id=sid, now=now
    ):
        log.info("reminder %s reconciled from a status callback", reminder.id)
    if reminder.provider_message_id != sid:
        return "recorded"  # a callback for an earlier message of this reminder (it has since gone another way)
    if RANK[status] <= RANK.get(reminder.provider_status or "", 0):
        return "recorded"  # out of order: never move backwards
    reminder.provider_status = status
    if status in ("delivered", "read"):
        count_message(reminder.channel, reminder.kind, "delivered")
        lifecycle.delivered(reminder)
    elif status in FAILED:
        count_message(reminder.channel, reminder.kind, "undelivered", error_code or status)
        if reminder.status in WENT_OUT:
            return _undelivered(db_session, reminder, status, error_code, settings, now)
    return "updated"


def _find(db_session: DbSession, reminder_id: int | None, sid: str) -> Reminder | None:
    query = select(Reminder).with_for_update()
    query = query.where(Reminder.id == reminder_id) if reminder_id else query.where(Reminder.provider_message_id == sid)
    return db_session.execute(query).scalar_one_or_none()


def _undelivered(
    db_session: DbSession, reminder: Reminder, status: str, error_code: str | None, settings: Settings, now: datetime
) -> str:
    channel = Channel(reminder.channel)
    why = f"{'WhatsApp' if channel is Channel.WHATSAPP else 'SMS'} {status}" + (f" (Twilio {error_code})" if error_code else "")
    patient = db_session.get(Patient, reminder.patient_id)
    to = reach_of(patient, settings).fallback(channel) if patient is not None else None
    after = lifecycle.fall_back_or_fail(reminder, to=to, why=why, now=now)
    todo.add_send_failure(db_session, reminder, provider="twilio", error_code=error_code, now=now)  # 30005, 30006
    if patient is not None and error_code == OPTED_OUT:
        opt_out(db_session, patient, channel, actor=f"twilio:{OPTED_OUT}", settings=settings, now=now)  # that channel only
    return "fallback" if after is ReminderStatus.PENDING else "failed"
