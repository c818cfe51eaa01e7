"""Opting out and back in: one function each, whoever asks.

A STOP reply, Twilio's 21610 at send time, a failed receipt carrying 21610, and an
email unsubscribe link all call `opt_out`, so each has the same effects: the
patient's flag, an audit row saying who asked, and a re-plan that moves what was
pending on that channel to the other one where the patient allows it, and, for SMS, a `patient.sms_opted_out` (or
`…_opted_in`) event for the booking system (service/outbound.py).
"""

from __future__ import annotations

from datetime import datetime

from .domain.vocabulary import Channel
from .extensions import DbSession
from .models import AuditEvent, Patient
from .outbound import sms_consent_changed
from .planner import plan_patient
from .settings import Settings

# Where each channel keeps its opt-out: STOP on WhatsApp stops WhatsApp only, STOP by SMS stops SMS only.
OPTED_OUT_AT = {
    Channel.SMS: "sms_opted_out_at",
    Channel.WHATSAPP: "whatsapp_opted_out_at",
    Channel.EMAIL: "email_unsubscribed_at",
}


def is_opted_out(patient: Patient, channel: Channel) -> bool:
    return getattr(patient, OPTED_OUT_AT[channel]) is not None


def opt_out(db_session: DbSession, patient: Patient, channel: Channel, *, actor: str, settings: Settings, now: datetime) -> bool:
    """Stop `channel` for this patient; True when it changed anything (a second STOP changes nothing)."""
    if is_opted_out(patient, channel):
        return False
    setattr(patient, OPTED_OUT_AT[channel], now)
    _audit(db_session, patient, channel, actor, "opt-out", now)
    if channel is Channel.SMS:
        sms_consent_changed(db_session, settings, patient, opted_out=True, actor=actor, now=now)
    db_session.flush()
    plan_patient(db_session, patient, settings, now)
    return True


def opt_in(
    db_session: DbSession, patient: Patient, channel: Channel, *, actor: str, source: str, settings: Settings, now: datetime
) -> None:
    """An explicit request for messages on `channel` (texting START): consent recorded with when and how (`source`).
    The booking system hears of it when SMS was off before (opted out, or never agreed to)."""
    if channel is Channel.SMS and (patient.sms_opted_out_at is not None or not patient.sms_consent):
        sms_consent_changed(db_session, settings, patient, opted_out=False, actor=actor, now=now)
    setattr(patient, OPTED_OUT_AT[channel], None)
    setattr(patient, f"{channel}_consent", True)
    setattr(patient, f"{channel}_consent_at", now)
    setattr(patient, f"{channel}_consent_source", source)
    _audit(db_session, patient, channel, actor, "opt-in", now)
    db_session.flush()
    plan_patient(db_session, patient, settings, now)


def _audit(db_session: DbSession, patient: Patient, channel: Channel, actor: str, action: str, now: datetime) -> None:
    db_session.add(
        AuditEvent(
            at=now, actor=actor, action=action, entity="patient", entity_id=str(patient.id), details={"channel": str(channel)}
        )
    )
