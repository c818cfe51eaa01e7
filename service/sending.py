"""The sending transaction: lock, decide, compose, send, record, for one claimed reminder.

Nothing goes out for a cancelled or moved session: the transaction locks the
patient and the sessions the reminder names (the order webhooks lock them in),
re-reads them, and only then calls the provider. A cancellation either committed
before (seen, no send) or waits until the send is recorded. Every status change is
a transition of `service.domain.lifecycle`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, exists, false, func, select, update

from . import links, staff_content, todo
from .channels import EmailMessageSpec, Senders, SendResult, WhatsAppMessage
from .consent import opt_out
from .domain import lifecycle, whatsapp
from .domain.bursts import AHEAD_NOTICE_KINDS, SessionMessage, is_about_sessions_ahead, redundant
from .domain.care import AFTERCARE_STATUSES, CAPPED_KINDS
from .domain.dispatch_rules import Cancel, Decision, Defer, NamedSession, RetryPolicy, Send, Skip, decide
from .domain.frequency import DayLoad, day_bounds, is_capped, rank, wait_for_free_day
from .domain.vocabulary import (
    AFTERCARE_KINDS,
    MAINTENANCE_KINDS,
    WENT_OUT,
    AppointmentStatus,
    Channel,
    ReminderKind,
    ReminderStatus,
)
from .extensions import DbSession
from .messages import Composed, compose, named_session_ids, whatsapp_template
from .metrics import count_message, observe_send
from .models import Appointment, InboundMessage, Patient, Reminder, SendAttempt, Suppression
from .outbound import message_failed
from .pacing import Pacer, SmsBudget
from .planner import reach_of, window_of
from .privacy import digest
from .rendering import TemplateProblem, language_of
from .settings import Settings
from .timeutil import utcnow

log = logging.getLogger(__name__)
RECONCILE_WAIT = timedelta(minutes=5)  # Twilio's status callback normally arrives within seconds
CAP_RETRY = timedelta(hours=1)
SEND_STATUSES = (AppointmentStatus.BOOKED,)
# What the session a message names may be now, per kind (by default: still booked).
ALLOWED_STATUSES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(AFTERCARE_KINDS, AFTERCARE_STATUSES),
    ReminderKind.NO_SHOW_FOLLOWUP: (AppointmentStatus.NO_SHOW,),
}
# Kinds about booking a session: never sent once one is booked.
BOOKING_NUDGES = (*MAINTENANCE_KINDS, ReminderKind.REBOOK)


@dataclass
class SendContext:
    """What one send needs besides the database: shared by a run's threads."""

    senders: Senders
    settings: Settings
    worker: str  # the lease owner's name
    pacer: Pacer
    budget: SmsBudget
    retry: RetryPolicy
    whatsapp_pacer: Pacer | None = None  # None: WhatsApp shares the SMS pacer


def send_one(db_session: DbSession, ctx: SendContext, reminder_id: int, now: datetime) -> str:
    """Settle one claimed reminder in its own transaction; returns the outcome counted in the run's report."""
    try:
        locked = _lock_for_send(db_session, ctx.worker, reminder_id, now)
        if locked is None:
            db_session.rollback()
            return "lost"
        outcome = _settle(db_session, ctx, locked, now=now)
        db_session.commit()
        return outcome
    except Exception:
        db_session.rollback()
        log.exception("dispatch of reminder %s failed; it will be retried after its lease expires", reminder_id)
        return "error"


@dataclass(frozen=True)
class Locked:
    """What the sending transaction holds: the rows, locked, and whether each of the patient's contacts is suppressed."""

    reminder: Reminder
    patient: Patient
    appointments: list[Appointment]
    suppressed: frozenset[Channel]


def _lock_for_send(db_session: DbSession, worker: str, reminder_id: int, now: datetime) -> Locked | None:
    """Lock patient, sessions, then the reminder (the same order as webhooks) and re-read them.

    Three statements: the patient (with, unlocked, the reminder's session ids: which sessions to lock), the
    sessions, and the reminder with the suppression check of the patient's number and address, read under the
    patient's lock. Should the locked reminder name another patient or other sessions than were locked (it never
    changes once planned, but the first read is unlocked), the locks are given up and taken again.
    """
    sqlite = db_session.get_bind().dialect.name == "sqlite"
    for _ in range(2):
        if sqlite:
            # SQLite ignores FOR UPDATE; taking its write lock first makes this transaction see, and
            # block, any concurrent cancellation until the send is recorded.
            db_session.execute(update(Reminder).where(Reminder.id == reminder_id).values(updated_at=now))
        head = db_session.execute(
            select(Patient, Reminder.appointment_id, Reminder.context)
            .join(Reminder, Reminder.patient_id == Patient.id)
            .where(Reminder.id == reminder_id)
            .with_for_update(of=Patient)
            .execution_options(populate_existing=True)
        ).one_or_none()
        if head is None:
            return None
        patient, appointment_id, context = head
        ids = sorted(named_session_ids(appointment_id, context))
        appointments = (
            list(
                db_session.execute(
                    select(Appointment)
                    .where(Appointment.id.in_(ids))
                    .order_by(Appointment.id)
                    .with_for_update()
                    .execution_options(populate_existing=True)
                ).scalars()
            )
            if ids
            else []
        )
        reminder, phone_suppressed, email_suppressed = db_session.execute(
            _LOCK_REMINDER,
            {"reminder_id": reminder_id, "phone": _digest("phone", patient.phone), "email": _digest("email", patient.email)},
        ).one()
        if reminder.patient_id == patient.id and named_session_ids(reminder.appointment_id, reminder.context) <= set(ids):
            break
        db_session.rollback()  # planned rows do not change patient or sessions: never seen, but never sent unlocked
    else:
        return None
    if not lifecycle.holds_lease(reminder, worker):
        return None
    suppressed = frozenset(
        channel for channel, flag in ((Channel.SMS, phone_suppressed), (Channel.EMAIL, email_suppressed)) if flag
    )
    return Locked(reminder, patient, appointments, suppressed)


def _digest(kind: str, address: str | None) -> str:
    """The suppression key of this number or address (privacy.digest); none at all matches no row."""
    return digest(kind, address) if address else ""


# The reminder, locked, with whether the patient's number and address belonged to an erased patient
# (privacy.is_suppressed, as two columns). Built once: SQLAlchemy reuses its compiled form.
_LOCK_REMINDER = (
    select(
        Reminder,
        exists().where(Suppression.digest == bindparam("phone")),
        exists().where(Suppression.digest == bindparam("email")),
    )
    .where(Reminder.id == bindparam("reminder_id"))
    .with_for_update(of=Reminder)
    .execution_options(populate_existing=True)
)


def decision_for(db_session: DbSession, settings: Settings, budget: SmsBudget, locked: Locked, now: datetime) -> Decision:
    """What the dispatcher decides for this reminder at `now`: send (by which channel), or why not. Reads only.

    The sending transaction calls it with rows read under lock; `reminders preview` with rows read plainly and a
    budget of its own (`take` counts only in memory).
    """
    reminder, patient, appointments = locked.reminder, locked.patient, locked.appointments
    current = {a.id: a for a in appointments}
    named = [
        NamedSession(
            appointment_id=int(aid),
            planned_start=datetime.fromisoformat(start),
            current_start=current[int(aid)].starts_at if int(aid) in current else None,
            current_status=current[int(aid)].status if int(aid) in current else None,
            confirmed=int(aid) in current and current[int(aid)].confirmed_at is not None,
        )
        for aid, start in (reminder.context or {}).get("appointments", [])
    ]
    zone = ZoneInfo(patient.timezone or settings.clinic_timezone)
    decision = decide(
        channel=Channel(reminder.channel),
        expires_at=reminder.expires_at,
        sessions=named,
        reach=reach_of(patient, settings),
        may_fall_back=True,
        zone=zone,
        window=window_of(settings),
        now=now,
        allowed_statuses=ALLOWED_STATUSES.get(reminder.kind, SEND_STATUSES),
        skip_when_confirmed=reminder.kind in staff_content.get(db_session).skip_when_confirmed,
    )
    if isinstance(decision, Send) and decision.channel is Channel.WHATSAPP:
        decision = _whatsapp_or_next(db_session, settings, locked, now)
    if isinstance(decision, Send):
        decision = _policy(db_session, settings, locked, decision, zone, now)
    if isinstance(decision, Send) and decision.channel is Channel.SMS and not budget.take():
        log.warning("daily SMS cap of %s reached; reminder %s waits", settings.sms_daily_cap, reminder.id)
        decision = Defer(now + CAP_RETRY, f"the daily SMS cap ({settings.sms_daily_cap}) is reached")
    return decision


def whatsapp_mode(db_session: DbSession, reminder: Reminder, patient: Patient, now: datetime) -> whatsapp.Mode:
    """Free text inside the 24-hour window after the patient's last WhatsApp message; else the approved template."""
    last = db_session.execute(
        select(func.max(InboundMessage.received_at)).where(
            InboundMessage.patient_id == patient.id, InboundMessage.channel == Channel.WHATSAPP
        )
    ).scalar_one_or_none()
    approved = whatsapp_template(db_session, reminder.kind, language_of(patient.language)) is not None
    return whatsapp.mode(last_inbound_at=last, has_template=approved, now=now)


def _whatsapp_or_next(db_session: DbSession, settings: Settings, locked: Locked, now: datetime) -> Decision:
    """A kind with no approved template, outside the window, is not sent by WhatsApp: the next channel takes it."""
    if whatsapp_mode(db_session, locked.reminder, locked.patient, now) is not whatsapp.Mode.UNAVAILABLE:
        return Send(Channel.WHATSAPP)
    following = reach_of(locked.patient, settings).fallback(Channel.WHATSAPP)
    if following is None:
        return Skip("outside WhatsApp's 24-hour window with no approved template, and no other channel allowed")
    return Send(following)


def _settle(db_session: DbSession, ctx: SendContext, locked: Locked, *, now: datetime) -> str:
    reminder, patient, appointments = locked.reminder, locked.patient, locked.appointments
    decision = decision_for(db_session, ctx.settings, ctx.budget, locked, now)
    if isinstance(decision, Cancel):
        lifecycle.cancel(reminder, decision.reason)
        return "cancelled"
    if isinstance(decision, Skip):
        lifecycle.skip(reminder, decision.reason)
        return "skipped"
    if isinstance(decision, Defer):
        after = lifecycle.defer(reminder, decision.until, decision.reason)
        return "deferred" if after is ReminderStatus.PENDING else "skipped"
    assert isinstance(decision, Send)
    ordered = sorted(appointments, key=lambda a: a.starts_at)
    for appointment in ordered:  # booked before links existed: from now on the link the message carries finds it
        links.remember(appointment, ctx.settings)
    try:
        composed = compose(db_session, reminder, patient, ordered, ctx.settings, decision.channel, now)
    except TemplateProblem as exc:  # a staff template that stopped rendering: say so, do not loop
        lifecycle.fail(reminder, str(exc))
        return "failed"
    reminder.body, reminder.subject = composed.text, composed.subject
    reminder.encoding, reminder.segments = composed.encoding, composed.segments
    number = lifecycle.attempt(reminder, decision.channel)
    attempt = SendAttempt(reminder_id=reminder.id, number=number, started_at=now)
    db_session.add(attempt)
    zone = ZoneInfo(patient.timezone or ctx.settings.clinic_timezone)
    if decision.channel is Channel.WHATSAPP and whatsapp_mode(db_session, reminder, patient, now) is whatsapp.Mode.FREE_TEXT:
        composed = replace(composed, content_sid=None, content_variables=None)  # inside the window: the text itself
    result = _send(ctx, reminder, patient, composed, label=_label(reminder, zone, now))
    if decision.channel is Channel.SMS and not result.ok:
        ctx.budget.give_back()
    attempt.finished_at = now
    return _record(db_session, ctx, reminder, patient, attempt, result, now=now)


def _policy(db_session: DbSession, settings: Settings, locked: Locked, decision: Send, zone: ZoneInfo, now: datetime) -> Decision:
    """Checks that need the rest of the patient's outbox; run under the patient's lock (the suppression was read with
    the reminder, under it too)."""
    reminder, appointments = locked.reminder, locked.appointments
    if decision.channel in locked.suppressed:
        return Cancel("this number or address belonged to an erased patient: never messaged again")
    if reminder.kind in BOOKING_NUDGES and _session_ahead(db_session, reminder.patient_id, now):
        return Cancel("a session is booked")
    if is_about_sessions_ahead(reminder.kind, reminder.dedupe_key) and appointments:
        why = _redundant(db_session, reminder, appointments, now)
        if why is not None:
            return Skip(why)
    if is_capped(reminder.kind):
        wait = wait_for_free_day(
            reminder.kind,
            _day_load(db_session, reminder, zone, now),
            now,
            zone,
            window_of(settings),
            settings.max_messages_per_day,
        )
        if wait is not None:
            return Defer(wait, "the patient already has a message today")
    return decision


def _redundant(db_session: DbSession, reminder: Reminder, appointments: list[Appointment], now: datetime) -> str | None:
    """Another message about the same sessions that went out, or will within the hour and says it better."""
    earliest = min(a.starts_at for a in appointments)
    rows = db_session.execute(
        select(
            Reminder.id,
            Reminder.kind,
            Reminder.channel,
            Reminder.context,
            Reminder.status,
            Reminder.sent_at,
            Reminder.next_attempt_at,
            Reminder.due_at,
            Reminder.planned_for,
            Reminder.expires_at,
        ).where(
            Reminder.patient_id == reminder.patient_id,
            Reminder.id != reminder.id,
            Reminder.status.in_((*lifecycle.OPEN, *WENT_OUT)),
            Reminder.planned_for >= earliest - timedelta(days=1),
            Reminder.kind.in_(AHEAD_NOTICE_KINDS) | Reminder.dedupe_key.startswith("session:"),
        )
    ).all()
    others = [
        _session_message(
            r.id,
            r.kind,
            r.channel,
            r.context,
            r.due_at,
            r.planned_for,
            due=now if r.status == ReminderStatus.SENDING else r.next_attempt_at,
            sent_at=r.sent_at or now if r.status in WENT_OUT else None,
            expires_at=r.expires_at,
        )
        for r in rows
    ]
    mine = _session_message(
        reminder.id, reminder.kind, reminder.channel, reminder.context, reminder.due_at, reminder.planned_for, due=now
    )
    return redundant(mine, others, booked_since=max(a.slot_changed_at for a in appointments), now=now)


def _session_ahead(db_session: DbSession, patient_id: int, now: datetime) -> bool:
    return (
        db_session.execute(
            select(Appointment.id)
            .where(
                Appointment.patient_id == patient_id,
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.starts_at > now,
            )
            .limit(1)
        ).first()
        is not None
    )


def _day_load(db_session: DbSession, reminder: Reminder, zone: ZoneInfo, now: datetime) -> DayLoad:
    """Both counts in one statement: capped messages sent today, and more important ones still due today."""
    start, end = day_bounds(now, zone)
    sent_today = (
        Reminder.kind.in_(CAPPED_KINDS) & Reminder.status.in_(WENT_OUT) & (Reminder.sent_at >= start) & (Reminder.sent_at < end)
    )
    higher = [k for k in CAPPED_KINDS if rank(k) < rank(reminder.kind)]
    due_today = (
        Reminder.kind.in_(higher)
        & Reminder.status.in_(lifecycle.OPEN)
        & (Reminder.next_attempt_at < end)
        & ((Reminder.expires_at.is_(None)) | (Reminder.expires_at > now))
        if higher
        else false()
    )
    sent, waiting = db_session.execute(
        select(func.count().filter(sent_today), func.count().filter(due_today))
        .select_from(Reminder)
        .where(Reminder.patient_id == reminder.patient_id, Reminder.id != reminder.id, sent_today | due_today)
    ).one()
    return DayLoad(sent_today=sent, more_important_due_today=waiting)


def _label(reminder: Reminder, zone: ZoneInfo, now: datetime) -> str:
    """What a transport's log line may say about the message: its kind and the patient's local time, nothing personal."""
    return f"{reminder.kind}, {now.astimezone(zone):%Y-%m-%d %H:%M} {zone.key}"


def _send(ctx: SendContext, reminder: Reminder, patient: Patient, composed: Composed, *, label: str) -> SendResult:
    channel = Channel(reminder.channel)
    sender_name = ctx.senders.name_of(channel)
    try:
        if channel is Channel.SMS:
            ctx.pacer.wait()
            return ctx.senders.sms.send_sms(patient.phone or "", composed.text, reminder_id=reminder.id, label=label)
        if channel is Channel.WHATSAPP:
            if ctx.senders.whatsapp is None:
                return SendResult(ok=False, provider=sender_name, error_code="unconfigured", wrong_channel=True)
            (ctx.whatsapp_pacer or ctx.pacer).wait()
            message = WhatsAppMessage(patient.phone or "", composed.text, composed.content_sid, composed.content_variables)
            return ctx.senders.whatsapp.send_whatsapp(message, reminder_id=reminder.id, label=label)
        spec = EmailMessageSpec(
            to=patient.email or "",
            subject=composed.subject or "",
            text=composed.text,
            html=composed.html,
            ics=composed.ics,
            headers=composed.headers,
        )
        return ctx.senders.email.send_email(spec, reminder_id=reminder.id, label=label)
    except Exception as exc:  # a bug in a channel must not lose the reminder
        log.exception("channel %s raised", channel)
        return SendResult(
            ok=False, provider=sender_name, error_code="exception", error_message=type(exc).__name__, retryable=True
        )


def _record(
    db_session: DbSession,
    ctx: SendContext,
    reminder: Reminder,
    patient: Patient,
    attempt: SendAttempt,
    result: SendResult,
    *,
    now: datetime,
) -> str:
    if result.ok:
        attempt.outcome = "sent"
        lifecycle.sent(reminder, provider=result.provider, message_id=result.provider_message_id, now=now)
        count_message(reminder.channel, reminder.kind, "sent")
        observe_send(reminder.due_at, max(now, utcnow()))  # `now` is the tick's; a paced batch sends later
        return "sent"
    reminder.provider = result.provider
    attempt.error_code, attempt.error_message = result.error_code, result.error_message
    why = f"{result.provider} {result.error_code}: {result.error_message or ''}".strip()
    if result.wrong_channel:  # WhatsApp 63016: not a problem with the patient's number, just the next channel's turn
        attempt.outcome = "failed"
        after = lifecycle.fall_back_or_fail(
            reminder, to=reach_of(patient, ctx.settings).fallback(Channel(reminder.channel)), why=why, now=now
        )
        if after is ReminderStatus.PENDING:
            return "retried"
        count_message(reminder.channel, reminder.kind, "failed", str(result.error_code or ""))
        return "failed"
    if result.retryable:
        retry_after = timedelta(seconds=result.retry_after_seconds) if result.retry_after_seconds else None
        if result.ambiguous:
            # The provider may have taken it: give its status callback (carrying our id) time to say so first.
            retry_after = max(retry_after or RECONCILE_WAIT, RECONCILE_WAIT)
        at = ctx.retry.next_attempt(attempts=reminder.attempts, now=now, expires_at=reminder.expires_at, retry_after=retry_after)
        if at is not None:
            attempt.outcome = "unknown" if result.ambiguous else "retry"
            reason = (
                f"no answer ({why}); waiting for the status callback before trying again"
                if result.ambiguous
                else f"retrying after {why}"
            )
            lifecycle.retry(reminder, at, reason)
            return "retried"
        why = f"gave up after {reminder.attempts} attempts: {why}"
    attempt.outcome = "failed"
    channel = Channel(reminder.channel)
    after = lifecycle.fall_back_or_fail(reminder, to=reach_of(patient, ctx.settings).fallback(channel), why=why, now=now)
    if not result.retryable:  # an invalid number or a hard bounce: the front desk checks it with the patient
        todo.add_send_failure(db_session, reminder, provider=result.provider, error_code=result.error_code, now=now)
    if result.recipient_opted_out:
        opt_out(db_session, patient, channel, actor=f"{result.provider}:{result.error_code}", settings=ctx.settings, now=now)
    if after is ReminderStatus.PENDING:  # the same row goes by the other channel: still at most one reminder
        return "retried"
    if not result.retryable and not result.recipient_opted_out:  # an invalid number: a person must fix it
        code = result.error_code
        message_failed(db_session, ctx.settings, reminder, patient, provider=result.provider, error_code=code, now=now)
    count_message(reminder.channel, reminder.kind, "failed", str(result.error_code or ""))
    return "failed"


def _session_message(
    reminder_id: int,
    kind: str,
    channel: str,
    context: dict[str, Any] | None,
    due_at: datetime,
    planned_for: datetime | None,
    *,
    due: datetime,
    sent_at: datetime | None = None,
    expires_at: datetime | None = None,
) -> SessionMessage:
    named = frozenset((int(a), datetime.fromisoformat(start)) for a, start in (context or {}).get("appointments", []))
    return SessionMessage(reminder_id, kind, Channel(channel), named, (planned_for or due_at) - due_at, due, sent_at, expires_at)
