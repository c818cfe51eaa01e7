"""Posting outbound events to OUTBOUND_WEBHOOK_URL, signed per the Standard Webhooks specification.

Each pass claims due events, posts each outside any transaction, and records the answer through
`service.domain.outbound_lifecycle`. What holds:

- **Same id, every attempt.** The row's `webhook_id` is the `webhook-id` header each time, so the receiver can drop a
  repeat: a post is at least once (an answer lost on the way back means posting again), never again once delivered.
- **One poster per row.** A claim moves `next_attempt_at` ahead by a lease in one UPDATE over
  `SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite has a single writer), so another pass, in this process or
  another, does not see the row due while it is being posted. A deliverer that stops mid-post leaves the row due again
  when the lease ends. The answer is recorded only if the lease is still this pass's.
- **In order per appointment.** An event is not claimed while an older event of its appointment is still pending,
  even one waiting for its next try. An older one that *failed* holds nothing back: it was final, and holding the
  later ones would hide every later change from the booking system (docs/webhooks.md).
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import requests
from sqlalchemy import exists, select, update
from sqlalchemy.orm import aliased
from standardwebhooks import Webhook

from .domain import outbound_lifecycle as lifecycle
from .domain.outbound_lifecycle import Answer
from .extensions import DbSession
from .models import OutboundEvent
from .settings import Settings
from .timeutil import utcnow

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10.0  # connect and read, each: a receiver should answer at once and work later
BATCH = 10  # events claimed at a time
ROUNDS = 20  # claims per pass: the next event of an appointment goes in the same pass once the one before it is in
LEASE = timedelta(seconds=max(120.0, 2 * BATCH * 2 * TIMEOUT_SECONDS))  # a whole batch timing out, twice over
BODY_EXCERPT = 120  # of a refusing receiver's answer, kept in last_error


@dataclass
class DeliveryReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    def add(self, outcome: str | None) -> None:
        if outcome in ("delivered", "retrying", "failed"):
            setattr(self, outcome, getattr(self, outcome) + 1)

    @property
    def posted(self) -> int:
        return self.delivered + self.retrying + self.failed

    def __str__(self) -> str:
        return f"events delivered {self.delivered}, to retry {self.retrying}, given up {self.failed}"


def claim(db_session: DbSession, now: datetime, limit: int, lease: timedelta = LEASE) -> list[tuple[int, datetime]]:
    """Up to `limit` due events that no older pending event of their appointment holds back, oldest first; each now
    leased until `now + lease`. Returns (id, lease end): the lease end is this claim's token."""
    older = aliased(OutboundEvent)
    held_back = exists().where(
        older.appointment_id == OutboundEvent.appointment_id,  # NULL never equals: events of no appointment go freely
        older.status == lifecycle.PENDING,
        older.id < OutboundEvent.id,
    )
    due = (
        select(OutboundEvent.id)
        .where(OutboundEvent.status == lifecycle.PENDING, OutboundEvent.next_attempt_at <= now, ~held_back)
        .order_by(OutboundEvent.id)
        .limit(limit)
        .with_for_update(of=OutboundEvent, skip_locked=True)
    )
    until = now + lease
    stmt = (
        update(OutboundEvent)
        .where(OutboundEvent.id.in_(due.scalar_subquery()))
        .values(**lifecycle.leased(until))
        .returning(OutboundEvent.id)
        .execution_options(synchronize_session=False)
    )
    ids = sorted(db_session.execute(stmt).scalars())
    db_session.commit()
    return [(event_id, until) for event_id in ids]


@dataclass(frozen=True)
class Posted:
    """The receiver's answer, or why there was none."""

    status_code: int | None
    error: str | None
    retry_after: timedelta | None = None


def body_of(event: OutboundEvent) -> bytes:
    """The bytes posted and signed: the same on every attempt."""
    return json.dumps(event.payload, ensure_ascii=False, separators=(",", ":")).encode()


def signed_headers(webhook: Webhook, webhook_id: str, body: bytes, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers for one attempt; the timestamp is the attempt's, the id the event's."""
    at = at.replace(microsecond=0)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(math.floor(at.timestamp())),
        "webhook-signature": webhook.sign(webhook_id, at, body),
        "Content-Type": "application/json",
        "User-Agent": "Recall-Webhooks/1",
    }


@dataclass(frozen=True)
class Outgoing:
    """What one attempt posts, read from the row before its transaction ends (no row is held open while posting)."""

    event_id: int
    webhook_id: str
    type: str
    body: bytes
    attempt: int


def post(session: requests.Session, url: str, webhook: Webhook, outgoing: Outgoing) -> Posted:
    body = outgoing.body
    # Signed with the machine's clock, not the pass's `now`: the receiver checks the timestamp against its own clock.
    headers = signed_headers(webhook, outgoing.webhook_id, body, utcnow())
    try:
        response = session.post(url, data=body, headers=headers, timeout=TIMEOUT_SECONDS, allow_redirects=False)
    except requests.Timeout as exc:
        return Posted(None, f"no answer within {TIMEOUT_SECONDS:.0f} s ({type(exc).__name__})")
    except requests.RequestException as exc:  # its text names the URL, which may carry a token: the type only
        return Posted(None, f"could not connect ({type(exc).__name__})")
    code = response.status_code
    if lifecycle.answer(code) is Answer.DELIVERED:
        return Posted(code, None)
    excerpt = " ".join(response.text[:BODY_EXCERPT].split())
    return Posted(code, f"HTTP {code}" + (f": {excerpt}" if excerpt else ""), _retry_after(response))


def _retry_after(response: requests.Response) -> timedelta | None:
    """`Retry-After` in seconds or as an HTTP date; None when absent or unreadable."""
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        return max(timedelta(0), parsedate_to_datetime(value) - utcnow())
    except (TypeError, ValueError):
        return None


def record(db_session: DbSession, outgoing: Outgoing, lease_until: datetime, posted: Posted, now: datetime) -> str | None:
    """Settle one attempt in its own transaction; None when the row is no longer this pass's (its lease ended and
    another deliverer took it, or an admin changed it)."""
    event = db_session.execute(
        select(OutboundEvent)
        .where(OutboundEvent.id == outgoing.event_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    outcome: str | None = None
    if event is not None and event.status == lifecycle.PENDING:
        verdict = lifecycle.answer(posted.status_code)
        if verdict is Answer.DELIVERED:  # delivered is delivered, whoever holds the lease now
            lifecycle.delivered(event, posted.status_code or 200, now)
            outcome = "delivered"
        elif event.next_attempt_at == lease_until:
            if verdict is Answer.FINAL:
                lifecycle.fail(event, posted.status_code, posted.error)
                outcome = "failed"
            else:
                after = lifecycle.retry_or_fail(
                    event, status_code=posted.status_code, error=posted.error, now=now, retry_after=posted.retry_after
                )
                outcome = "retrying" if after is lifecycle.PENDING else "failed"
    db_session.commit()
    if outcome:
        log.info(
            "outbound event %s (%s) attempt %s: %s%s",
            outgoing.event_id,
            outgoing.type,
            outgoing.attempt,
            outcome,
            f" after {posted.error}" if posted.error else "",
        )
    return outcome


def _attempt(db_session: DbSession, event_id: int, lease_until: datetime) -> Outgoing | None:
    """Count the attempt before posting (committed, so a crash mid-post still shows it); None if the row changed."""
    event = db_session.execute(
        select(OutboundEvent).where(OutboundEvent.id == event_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if event is None or event.status != lifecycle.PENDING or event.next_attempt_at != lease_until:
        db_session.rollback()
        return None
    outgoing = Outgoing(event.id, event.webhook_id, event.type, body_of(event), lifecycle.attempt(event))
    db_session.commit()
    return outgoing


def deliver_due(db_session: DbSession, settings: Settings, now: datetime, *, batch: int = BATCH) -> DeliveryReport:
    """One delivery pass: every due event, in order per appointment. Nothing to do without a receiver configured."""
    report = DeliveryReport()
    url, secret = settings.outbound_webhook_url, settings.outbound_webhook_secret
    if not url or not secret:
        return report
    webhook = Webhook(secret)
    with requests.Session() as session:
        for _ in range(ROUNDS):
            claimed = claim(db_session, now, batch)
            if not claimed:
                break
            for event_id, lease_until in claimed:
                outgoing = _attempt(db_session, event_id, lease_until)
                if outgoing is None:
                    continue
                posted = post(session, url, webhook, outgoing)
                try:
                    report.add(record(db_session, outgoing, lease_until, posted, now))
                except Exception:
                    db_session.rollback()
                    log.exception("outbound event %s: the answer could not be recorded; it is posted again later", event_id)
    return report
