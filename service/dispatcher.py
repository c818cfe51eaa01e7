"""Send what is due from the outbox: claim, re-check under lock, send, record.

Guarantees, and how:
- Two dispatchers never send one reminder: a row is claimed by an UPDATE over
  `SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL) or under SQLite's single writer,
  and the sending transaction re-checks that this worker still holds the lease.
- Nothing goes out for a cancelled or moved session: the sending transaction
  locks the patient and the sessions the reminder names, re-reads them, and only
  then calls the provider. A cancellation either committed before (seen, no
  send) or waits until the send is recorded.
- Nothing is lost: a crash leaves the row `sending` with a lease; once the lease
  expires it is recovered (sent, if the provider's status callback already told us
  the message id; otherwise tried again). The only duplicate window is a crash
  between the provider accepting and our commit with no status callback configured.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .channels import EmailMessageSpec, SendResult
from .domain.bursts import NOTICE_KINDS as SESSION_NOTICE_KINDS
from .domain.bursts import SessionMessage, is_about_sessions_ahead, redundant
from .domain.care import AFTERCARE_STATUSES, CAPPED_KINDS
from .domain.dispatch_rules import Cancel, Decision, Defer, NamedSession, RetryPolicy, Send, Skip, decide
from .domain.frequency import DayLoad, day_bounds, is_capped, rank, wait_for_free_day
from .domain.planning import Channel
from .extensions import DbSession
from .messages import compose
from .metrics import count_message, observe_send
from .models import Appointment, Patient, Reminder, SendAttempt
from .pacing import Pacer
from .planner import reach_of, window_of
from .privacy import is_suppressed
from .rendering import TemplateProblem
from .settings import Settings
from .timeutil import utcnow

log = logging.getLogger(__name__)
AFTERCARE_KINDS = ("aftercare", "aftercare_checkin")
RECONCILE_WAIT = timedelta(minutes=5)  # Twilio's status callback normally arrives within seconds
CAP_RETRY = timedelta(hours=1)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    retried: int = 0
    skipped: int = 0
    cancelled: int = 0
    recovered: int = 0

    def count(self, outcome: str) -> None:
        if hasattr(self, outcome):
            setattr(self, outcome, getattr(self, outcome) + 1)


class Dispatcher:
    """One per process; `run(now)` drains what is due at `now`."""

    def __init__(
        self,
        session: DbSession,
        senders: Mapping[str, Any],
        settings: Settings,
        *,
        worker: str | None = None,
        pacer: Pacer | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.session = session
        self.senders = senders
        self.settings = settings
        self.worker = worker or worker_name()
        self.pacer = pacer or Pacer(settings.sms_rate_per_second)
        self.retry = retry or RetryPolicy()
        self.budget = SmsBudget(settings.sms_daily_cap, 0)

    @property
    def lease(self) -> timedelta:
        # Long enough to send a whole batch at the paced rate, twice over.
        return timedelta(seconds=max(300.0, 2 * self.settings.dispatch_batch_size / self.settings.sms_rate_per_second))

    # -- claiming ---------------------------------------------------------------

    def claim(self, now: datetime, limit: int) -> list[int]:
        due = (
            select(Reminder.id)
            .where(Reminder.status == "pending", Reminder.next_attempt_at <= now)
            .order_by(Reminder.next_attempt_at, Reminder.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(Reminder)
            .where(Reminder.id.in_(due.scalar_subquery()))
            .values(status="sending", leased_by=self.worker, lease_until=now + self.lease, updated_at=now)
            .returning(Reminder.id)
            .execution_options(synchronize_session=False)
        )
        ids = list(self.session.execute(stmt).scalars())
        self.session.commit()
        return sorted(ids)

    def recover_expired(self, now: datetime) -> int:
        """Rows whose dispatcher died mid-send: settle them as sent if the provider told us, else retry."""
        rows = (
            self.session.execute(
                select(Reminder).where(Reminder.status == "sending", Reminder.lease_until < now).with_for_update(skip_locked=True)
            )
            .scalars()
            .all()
        )
        for row in rows:
            if row.provider_message_id:
                row.status, row.status_reason = "sent", None
                row.sent_at = row.sent_at or now
            else:
                row.status = "pending"
                row.status_reason = "recovered after a dispatcher stopped mid-send"
                row.next_attempt_at = now
            row.leased_by = row.lease_until = None
        self.session.commit()
        return len(rows)

    # -- sending ----------------------------------------------------------------

    def _lock_for_send(self, reminder_id: int, now: datetime) -> tuple[Reminder, Patient, list[Appointment]] | None:
        """Lock patient, sessions, then the reminder (the same order as webhooks) and re-read them."""
        session = self.session
        head = session.execute(
            select(Reminder.patient_id, Reminder.appointment_id, Reminder.context).where(Reminder.id == reminder_id)
        ).one_or_none()
        if head is None:
            return None
        if session.get_bind().dialect.name == "sqlite":
            # SQLite ignores FOR UPDATE; taking its write lock first makes this transaction see, and
            # block, any concurrent cancellation until the send is recorded.
            session.execute(update(Reminder).where(Reminder.id == reminder_id).values(updated_at=now))
        patient = session.execute(
            select(Patient).where(Patient.id == head.patient_id).with_for_update().execution_options(populate_existing=True)
        ).scalar_one()
        named_ids = {int(a) for a, _ in (head.context or {}).get("appointments", [])}
        ids = sorted(named_ids | ({head.appointment_id} if head.appointment_id else set()))
        appointments = (
            list(
                session.execute(
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
        reminder = session.execute(
            select(Reminder).where(Reminder.id == reminder_id).with_for_update().execution_options(populate_existing=True)
        ).scalar_one()
        if reminder.status != "sending" or reminder.leased_by != self.worker:
            return None
        return reminder, patient, appointments

    def deliver(self, reminder_id: int, now: datetime) -> str:
        """Settle one claimed reminder; returns the outcome name counted in the report."""
        try:
            locked = self._lock_for_send(reminder_id, now)
            if locked is None:
                self.session.rollback()
                return "lost"
            outcome = self._settle(*locked, now=now)
            self.session.commit()
            return outcome
        except Exception:
            self.session.rollback()
            log.exception("dispatch of reminder %s failed; it will be retried after its lease expires", reminder_id)
            return "error"

    def _settle(self, reminder: Reminder, patient: Patient, appointments: list[Appointment], *, now: datetime) -> str:
        current = {a.id: a for a in appointments}
        named = [
            NamedSession(
                appointment_id=int(aid),
                planned_start=datetime.fromisoformat(start),
                current_start=current[int(aid)].starts_at if int(aid) in current else None,
                current_status=current[int(aid)].status if int(aid) in current else None,
            )
            for aid, start in (reminder.context or {}).get("appointments", [])
        ]
        zone = ZoneInfo(patient.timezone or self.settings.clinic_timezone)
        decision = decide(
            channel=Channel(reminder.channel),
            expires_at=reminder.expires_at,
            sessions=named,
            reach=reach_of(patient),
            may_fall_back=True,
            zone=zone,
            window=window_of(self.settings),
            now=now,
            allowed_statuses=AFTERCARE_STATUSES if reminder.kind in AFTERCARE_KINDS else ("booked",),
        )
        if isinstance(decision, Send):
            decision = self._policy(reminder, patient, appointments, decision, zone, now)
        if isinstance(decision, Cancel | Skip):
            status = "cancelled" if isinstance(decision, Cancel) else "skipped"
            self._finish(reminder, status, decision.reason)
            return status
        if isinstance(decision, Defer):
            if reminder.expires_at is not None and decision.until >= reminder.expires_at:
                self._finish(reminder, "skipped", f"{decision.reason} until it was too late to be useful")
                return "skipped"
            self._finish(reminder, "pending", f"deferred: {decision.reason}")
            reminder.next_attempt_at = decision.until
            return "deferred"
        assert isinstance(decision, Send)
        if decision.channel is Channel.SMS and not self.budget.take():
            log.warning("daily SMS cap of %s reached; reminder %s waits", self.settings.sms_daily_cap, reminder.id)
            self._finish(reminder, "pending", f"deferred: the daily SMS cap ({self.settings.sms_daily_cap}) is reached")
            reminder.next_attempt_at = now + CAP_RETRY
            return "deferred"
        reminder.channel = decision.channel.value
        ordered = sorted(appointments, key=lambda a: a.starts_at)
        try:
            composed = compose(self.session, reminder, patient, ordered, self.settings, reminder.channel, now)
        except TemplateProblem as exc:  # a staff template that stopped rendering: say so, do not loop
            self._finish(reminder, "failed", str(exc)[:255])
            return "failed"
        reminder.body, reminder.subject = composed.text, composed.subject
        reminder.encoding, reminder.segments = composed.encoding, composed.segments
        reminder.attempts += 1
        attempt = SendAttempt(reminder_id=reminder.id, number=reminder.attempts, started_at=now)
        self.session.add(attempt)
        result = self._send(reminder, patient, composed)
        if reminder.channel == "sms" and not result.ok:
            self.budget.give_back()
        attempt.finished_at = now
        return self._record(reminder, patient, attempt, result, now=now, may_fall_back=True)

    def _policy(
        self, reminder: Reminder, patient: Patient, appointments: list[Appointment], decision: Send, zone: ZoneInfo, now: datetime
    ) -> Decision:
        """Checks that need the rest of the patient's outbox; run under the patient's lock."""
        address = patient.phone if decision.channel is Channel.SMS else patient.email
        if address and is_suppressed(self.session, "phone" if decision.channel is Channel.SMS else "email", address):
            return Cancel("this number or address belonged to an erased patient: never messaged again")
        if reminder.kind.startswith("maintenance") and self._session_ahead(reminder.patient_id, now):
            return Cancel("a session is booked")
        if is_about_sessions_ahead(reminder.kind, reminder.dedupe_key) and appointments:
            why = self._redundant(reminder, appointments, now)
            if why is not None:
                return Skip(why)
        if is_capped(reminder.kind):
            wait = wait_for_free_day(
                reminder.kind,
                self._day_load(reminder, zone, now),
                now,
                zone,
                window_of(self.settings),
                self.settings.max_messages_per_day,
            )
            if wait is not None:
                return Defer(wait, "the patient already has a message today")
        return decision

    def _redundant(self, reminder: Reminder, appointments: list[Appointment], now: datetime) -> str | None:
        """Another message about the same sessions that went out, or will within the hour and says it better."""
        earliest = min(a.starts_at for a in appointments)
        rows = self.session.execute(
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
                Reminder.status.in_(("pending", "sending", "sent", "delivered")),
                Reminder.planned_for >= earliest - timedelta(days=1),
                Reminder.kind.in_(SESSION_NOTICE_KINDS) | Reminder.dedupe_key.startswith("session:"),
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
                due=now if r.status == "sending" else r.next_attempt_at,
                sent_at=r.sent_at or now if r.status in ("sent", "delivered") else None,
                expires_at=r.expires_at,
            )
            for r in rows
        ]
        mine = _session_message(
            reminder.id, reminder.kind, reminder.channel, reminder.context, reminder.due_at, reminder.planned_for, due=now
        )
        return redundant(mine, others, booked_since=max(a.slot_changed_at for a in appointments), now=now)

    def _session_ahead(self, patient_id: int, now: datetime) -> bool:
        return (
            self.session.execute(
                select(Appointment.id)
                .where(Appointment.patient_id == patient_id, Appointment.status == "booked", Appointment.starts_at > now)
                .limit(1)
            ).first()
            is not None
        )

    def _day_load(self, reminder: Reminder, zone: ZoneInfo, now: datetime) -> DayLoad:
        start, end = day_bounds(now, zone)
        capped = Reminder.kind.in_(CAPPED_KINDS)
        sent = self.session.execute(
            select(func.count())
            .select_from(Reminder)
            .where(
                Reminder.patient_id == reminder.patient_id,
                capped,
                Reminder.id != reminder.id,
                Reminder.status.in_(("sent", "delivered")),
                Reminder.sent_at >= start,
                Reminder.sent_at < end,
            )
        ).scalar_one()
        higher = [k for k in CAPPED_KINDS if rank(k) < rank(reminder.kind)]
        waiting = (
            self.session.execute(
                select(func.count())
                .select_from(Reminder)
                .where(
                    Reminder.patient_id == reminder.patient_id,
                    Reminder.kind.in_(higher),
                    Reminder.id != reminder.id,
                    Reminder.status.in_(("pending", "sending")),
                    Reminder.next_attempt_at < end,
                    (Reminder.expires_at.is_(None)) | (Reminder.expires_at > now),
                )
            ).scalar_one()
            if higher
            else 0
        )
        return DayLoad(sent_today=sent, more_important_due_today=waiting)

    def _send(self, reminder: Reminder, patient: Patient, composed: Any) -> SendResult:
        sender = self.senders[reminder.channel]
        try:
            if reminder.channel == "sms":
                self.pacer.wait()
                return sender.send_sms(patient.phone, composed.text, reminder_id=reminder.id)
            spec = EmailMessageSpec(
                to=patient.email or "",
                subject=composed.subject or "",
                text=composed.text,
                html=composed.html,
                ics=composed.ics,
                headers=composed.headers,
            )
            return sender.send_email(spec, reminder_id=reminder.id)
        except Exception as exc:  # a bug in a channel must not lose the reminder
            log.exception("channel %s raised", reminder.channel)
            return SendResult(
                ok=False,
                provider=getattr(sender, "name", "?"),
                error_code="exception",
                error_message=type(exc).__name__,
                retryable=True,
            )

    def _record(
        self,
        reminder: Reminder,
        patient: Patient,
        attempt: SendAttempt,
        result: SendResult,
        *,
        now: datetime,
        may_fall_back: bool,
    ) -> str:
        reminder.provider = result.provider
        if result.ok:
            attempt.outcome = "sent"
            reminder.provider_message_id = result.provider_message_id
            reminder.sent_at = now
            self._finish(reminder, "sent", None)
            count_message(reminder.channel, reminder.kind, "sent")
            observe_send(reminder.due_at, max(now, utcnow()))  # `now` is the tick's; a paced batch sends later
            return "sent"
        attempt.error_code, attempt.error_message = result.error_code, result.error_message
        why = f"{result.provider} {result.error_code}: {result.error_message or ''}".strip()
        if result.recipient_opted_out:
            patient.sms_opted_out_at = patient.sms_opted_out_at or now
        if result.retryable:
            retry_after = timedelta(seconds=result.retry_after_seconds) if result.retry_after_seconds else None
            if result.ambiguous:
                # The provider may have taken it: give its status callback (carrying our id) time to say so first.
                retry_after = max(retry_after or RECONCILE_WAIT, RECONCILE_WAIT)
            at = self.retry.next_attempt(
                attempts=reminder.attempts, now=now, expires_at=reminder.expires_at, retry_after=retry_after
            )
            if at is not None:
                attempt.outcome = "unknown" if result.ambiguous else "retry"
                reason = (
                    f"no answer ({why}); waiting for the status callback before trying again"
                    if result.ambiguous
                    else f"retrying after {why}"
                )
                self._finish(reminder, "pending", reason[:255])
                reminder.next_attempt_at = at
                return "retried"
        attempt.outcome = "failed"
        other = Channel(reminder.channel).other
        if may_fall_back and reach_of(patient).allows(other):
            # The patient can still be told by the other channel; same row, so still at most one reminder.
            reminder.channel = other.value
            self._finish(reminder, "pending", f"{reminder.channel} fallback after {why}")
            reminder.next_attempt_at = now
            return "retried"
        self._finish(reminder, "failed", why if not result.retryable else f"gave up after {reminder.attempts} attempts: {why}")
        count_message(reminder.channel, reminder.kind, "failed", str(result.error_code or ""))
        return "failed"

    @staticmethod
    def _finish(reminder: Reminder, status: str, reason: str | None) -> None:
        reminder.status, reminder.status_reason = status, reason
        reminder.leased_by = reminder.lease_until = None

    # -- the loop ---------------------------------------------------------------

    def sms_sent_since(self, since: datetime) -> int:
        return int(
            self.session.execute(
                select(func.count()).select_from(Reminder).where(Reminder.sent_at >= since, Reminder.channel == "sms")
            ).scalar_one()
        )

    def concurrency(self) -> int:
        # SQLite has one writer and a send holds it: threads would only queue behind each other.
        return 1 if self.session.get_bind().dialect.name == "sqlite" else self.settings.dispatch_concurrency

    def _deliver_apart(self, bind: Any, reminder_id: int, now: datetime) -> str:
        """Deliver on a session of this thread's own, sharing the pacer, the cap and the lease owner's name."""
        with Session(bind=bind) as own:
            twin = Dispatcher(own, self.senders, self.settings, worker=self.worker, pacer=self.pacer, retry=self.retry)
            twin.budget = self.budget
            return twin.deliver(reminder_id, now)

    def run(self, now: datetime, *, max_batches: int = 1000) -> DispatchReport:
        """Drain what is due: claim a batch, send it through a bounded pool, repeat until nothing is due."""
        report = DispatchReport(recovered=self.recover_expired(now))
        workers = self.concurrency()
        bind = self.session.get_bind()  # read here: Flask's scoped session is not reachable from pool threads
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dispatch") if workers > 1 else None
        try:
            for _ in range(max_batches):
                # Recount before each batch: other instances send too, and the cap is for the whole clinic.
                self.budget = SmsBudget(self.settings.sms_daily_cap, self.sms_sent_since(now - timedelta(days=1)))
                ids = self.claim(now, self.settings.dispatch_batch_size)
                if not ids:
                    break
                log.info("%s claimed %d due reminders", self.worker, len(ids))
                if pool is None:
                    outcomes = [self.deliver(reminder_id, now) for reminder_id in ids]
                else:
                    outcomes = list(pool.map(lambda reminder_id: self._deliver_apart(bind, reminder_id, now), ids))
                for outcome in outcomes:
                    report.count(outcome)
        finally:
            if pool is not None:
                pool.shutdown(wait=True)
        return report


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


class SmsBudget:
    """The daily SMS cap (0: none), shared by a run's threads: a runaway loop cannot text the whole list twice."""

    def __init__(self, cap: int, used: int) -> None:
        self.cap, self.used = cap, used
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.cap and self.used >= self.cap:
                return False
            self.used += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self.used -= 1
