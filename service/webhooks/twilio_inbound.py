"""Patients' SMS replies: opt out and in, help, confirm, ask to reschedule, or anything else for staff to read.

Every reply is kept as an `InboundMessage`. STOP and START take effect at once and
re-plan the patient, so pending SMS move to email where the patient allows it.
Answers go back as TwiML; their texts are templates (`reply_help`, `reply_confirm`,
`reply_reschedule`). STOP and START get no answer from us: Twilio sends its own.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from twilio.twiml.messaging_response import MessagingResponse

from .. import todo
from ..confirmations import appointment_data, confirm
from ..consent import opt_in, opt_out
from ..contacts import ContactError, mask_phone, normalise_phone
from ..domain.replies import Intent, classify
from ..domain.vocabulary import AppointmentStatus, Channel, OutboundEventType
from ..extensions import DbSession
from ..messages import base_variables, find_template, patient_zone
from ..models import Appointment, InboundMessage, Patient
from ..outbound import emit
from ..rendering import TemplateProblem, default_template, language_of, render_text, session_variables, template_kind
from ..settings import Settings
from .errors import PayloadError
from .twilio_status import SID

log = logging.getLogger(__name__)
PATIENT_BY_SMS = "patient:sms"


def handle_inbound(db_session: DbSession, form: Mapping[str, str], settings: Settings, now: datetime) -> str | None:
    """Apply a reply; returns the text to answer with, or None for no answer."""
    sid = form.get("MessageSid") or form.get("SmsSid")
    sender = form.get("From")
    if not sid or not sender:
        raise PayloadError("MessageSid and From are required", [f"received: {sorted(form)}"])
    if not SID.fullmatch(sid):
        raise PayloadError("MessageSid is not a Twilio message id", [f"MessageSid: {sid[:40]!r}"])
    if db_session.execute(select(InboundMessage.id).where(InboundMessage.provider_message_id == sid)).first():
        return None  # Twilio retried a post we already handled
    # WhatsApp arrives at the same webhook, addressed "whatsapp:+33…": the same patient, on another channel.
    channel = Channel.WHATSAPP if sender.lower().startswith("whatsapp:") else Channel.SMS
    sender = sender.split(":", 1)[1] if channel is Channel.WHATSAPP else sender
    try:
        number = normalise_phone(sender, settings.clinic_region)
    except ContactError:
        number = sender[:20]  # kept as received (a short code, a foreign sender), for staff to see
    patients = list(db_session.execute(select(Patient).where(Patient.phone == number).order_by(Patient.id)).scalars())
    body = form.get("Body") or ""
    intent = classify(body)
    message = InboundMessage(
        provider_message_id=sid,
        patient_id=patients[0].id if patients else None,
        from_number=number,
        body=body[:2000],
        intent=intent.value,
        channel=str(channel),
        received_at=now,
    )
    db_session.add(message)
    log.info("%s reply %s from %s: %s", channel, sid, mask_phone(number), intent.value)
    if intent in (Intent.OTHER, Intent.RESCHEDULE):  # words for a person to read: the front desk's to-do list
        todo.add_reply(db_session, message, asks_another_time=intent is Intent.RESCHEDULE, now=now)
    if not patients:
        return None
    patient = patients[0]
    if intent is Intent.STOP:
        for p in patients:  # the number opted out of this channel, whoever shares it
            opt_out(db_session, p, channel, actor=_actor(channel), settings=settings, now=now)
        message.handled_at, message.handled_by = now, "system"
        return None
    if intent is Intent.START:
        for p in patients:  # texting START is an explicit request for messages on this channel
            opt_in(db_session, p, channel, actor=_actor(channel), source=f"{channel}:START", settings=settings, now=now)
        message.handled_at, message.handled_by = now, "system"
        return None
    if intent is Intent.HELP:
        message.handled_at, message.handled_by = now, "system"
        return _reply(db_session, "reply_help", patient, settings, None)
    if intent is Intent.CONFIRM:
        upcoming = _next_session(db_session, patient, now)
        if upcoming is None:
            return _reply(db_session, "reply_no_session", patient, settings, None)
        confirm(db_session, upcoming, settings, now, via="sms")  # a repeated OUI changes nothing more
        message.handled_at, message.handled_by = now, "system"
        return _reply(db_session, "reply_confirm", patient, settings, upcoming)
    if intent is Intent.RESCHEDULE:
        upcoming = _next_session(db_session, patient, now)
        if upcoming is not None:  # the booking system hears of it as of a request made on the patient's page
            emit(
                db_session,
                settings,
                OutboundEventType.APPOINTMENT_RESCHEDULE_REQUESTED,
                {**appointment_data(upcoming), "via": "sms"},
                now,
                appointment_id=upcoming.id,
            )
        return _reply(db_session, "reply_reschedule", patient, settings, upcoming)
    return None  # kept for staff, unanswered until they call or write back


def _actor(channel: Channel) -> str:
    return PATIENT_BY_SMS if channel is Channel.SMS else f"patient:{channel}"


def twiml(reply: str | None) -> str:
    """`<Response><Message>…</Message></Response>`, or an empty `<Response/>` for no answer."""
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return str(response)


def _next_session(db_session: DbSession, patient: Patient, now: datetime) -> Appointment | None:
    return db_session.execute(
        select(Appointment)
        .where(Appointment.patient_id == patient.id, Appointment.status == AppointmentStatus.BOOKED, Appointment.starts_at > now)
        .order_by(Appointment.starts_at)
        .limit(1)
    ).scalar_one_or_none()


def _reply(db_session: DbSession, kind: str, patient: Patient, settings: Settings, appointment: Appointment | None) -> str:
    language = language_of(patient.language)
    variables: dict[str, Any] = base_variables(patient, settings)
    if appointment is not None:
        variables.update(session_variables([appointment.starts_at], patient_zone(patient, settings), language))
    _, body = find_template(db_session, kind, "sms", language)
    try:
        return render_text(body, variables)
    except TemplateProblem as exc:  # the clinic's own reply: the patient's confirmation must not be lost to a 500
        log.warning("the %s template does not render (%s); the shipped one answers", kind, exc)
        return render_text(default_template(template_kind(kind), "sms", language)[1], variables)
