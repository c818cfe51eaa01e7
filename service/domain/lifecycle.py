"""A reminder's life, in one place: every change of its status is one of these transitions.

    planned ─► pending ─claim─► sending ─► sent ─► delivered
                 ▲  ▲             │ │ │      │
                 │  └─ retry ◄────┘ │ │      └─ undelivered ─► pending (other channel) / failed
                 │     defer        │ └─► failed
                 │     fall back    └───► skipped / cancelled
                 └── revive (planner) / staff retry ◄── cancelled / skipped / failed

The dispatcher, the planner, receipts, erasure and the staff's actions call these
and never set a status themselves (a test reads the sources to hold that line).
Each transition checks where it starts from, so a stray call is an error, not a
silent second send. Pure: the functions move any object shaped like
`ReminderState` (the ORM row in production, a dataclass in the tests) and do no I/O.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from .vocabulary import OPEN as OPEN_STATUSES
from .vocabulary import Channel, ReminderStatus

PENDING, SENDING, SENT, DELIVERED = ReminderStatus.PENDING, ReminderStatus.SENDING, ReminderStatus.SENT, ReminderStatus.DELIVERED
FAILED, CANCELLED, SKIPPED = ReminderStatus.FAILED, ReminderStatus.CANCELLED, ReminderStatus.SKIPPED
REASON_LIMIT = 255  # the column's width


class ReminderState(Protocol):
    status: str
    status_reason: str | None
    channel: str
    attempts: int
    due_at: datetime
    next_attempt_at: datetime
    expires_at: datetime | None
    leased_by: str | None
    lease_until: datetime | None
    sent_at: datetime | None
    provider: str | None
    provider_message_id: str | None
    provider_status: str | None


class IllegalTransition(RuntimeError):
    """A transition asked of a reminder in a status it cannot leave that way: a bug, never a patient's message."""


def _move(row: ReminderState, to: ReminderStatus, reason: str | None, allowed: tuple[ReminderStatus, ...]) -> None:
    if row.status not in allowed:
        raise IllegalTransition(f"a {row.status} reminder cannot become {to}")
    row.status = to
    row.status_reason = reason[:REASON_LIMIT] if reason else None
    row.leased_by = row.lease_until = None


def _still_useful(row: ReminderState, at: datetime) -> bool:
    return row.expires_at is None or at < row.expires_at


# -- planning ------------------------------------------------------------------


def planned(now: datetime) -> dict[str, Any]:
    """The lifecycle's columns of a reminder the planner inserts (with its own when and what)."""
    return {"status": PENDING, "status_reason": None, "attempts": 0, "created_at": now, "updated_at": now}


def is_movable(row: ReminderState) -> bool:
    """A reminder the planner may still re-time or switch channel: pending and never tried."""
    return row.status == PENDING and row.attempts == 0


def replan(row: ReminderState, *, due_at: datetime, channel: Channel, expires_at: datetime | None) -> None:
    """Moved, or switched channel (an opt-out): the expiry moves too, so two reminders on a channel never go together."""
    if not is_movable(row):
        raise IllegalTransition(f"a {row.status} reminder tried {row.attempts} times cannot be re-planned")
    row.due_at = row.next_attempt_at = due_at
    row.channel, row.expires_at = channel, expires_at


def revive(row: ReminderState, *, due_at: datetime, channel: Channel, expires_at: datetime | None) -> None:
    """A reminder the planner cancelled is wanted again (a session moved back, a consent given back)."""
    _move(row, PENDING, None, (CANCELLED,))
    row.due_at = row.next_attempt_at = due_at
    row.channel, row.expires_at = channel, expires_at


# -- claiming and leases -------------------------------------------------------


def claimed(worker: str, lease_until: datetime, now: datetime) -> dict[str, Any]:
    """The columns a dispatcher's claim sets, in one UPDATE over rows that are `CLAIMABLE`."""
    return {"status": SENDING, "leased_by": worker, "lease_until": lease_until, "updated_at": now}


CLAIMABLE = PENDING


def holds_lease(row: ReminderState, worker: str) -> bool:
    return row.status == SENDING and row.leased_by == worker


def recover(row: ReminderState, now: datetime) -> ReminderStatus:
    """A dispatcher stopped mid-send: sent if the provider already told us its id, else tried again now."""
    if row.provider_message_id:
        _move(row, SENT, None, (SENDING,))
        row.sent_at = row.sent_at or now
    else:
        _move(row, PENDING, "recovered after a dispatcher stopped mid-send", (SENDING,))
        row.next_attempt_at = now
    return ReminderStatus(row.status)


# -- the sending transaction ---------------------------------------------------


def skip(row: ReminderState, reason: str) -> None:
    """Still true, not worth sending: too late, another message said it, nobody to send it to."""
    _move(row, SKIPPED, reason, (SENDING, PENDING))


def cancel(row: ReminderState, reason: str) -> None:
    """No longer true or wanted: the session changed, the patient opted out or was erased, staff said so."""
    _move(row, CANCELLED, reason, (SENDING, PENDING))


def cancelled(reason: str, now: datetime) -> dict[str, Any]:
    """`cancel` for a bulk UPDATE over open reminders (erasure)."""
    return {
        "status": CANCELLED,
        "status_reason": reason[:REASON_LIMIT],
        "leased_by": None,
        "lease_until": None,
        "updated_at": now,
    }


OPEN = OPEN_STATUSES  # still to go out: the planner may move them, the dispatcher may claim them


def defer(row: ReminderState, until: datetime, reason: str) -> ReminderStatus:
    """Not now (quiet hours, the day's message already sent, the daily cap); skipped if `until` is too late."""
    if not _still_useful(row, until):
        skip(row, f"{reason} until it was too late to be useful")
    else:
        _move(row, PENDING, f"deferred: {reason}", (SENDING,))
        row.next_attempt_at = until
    return ReminderStatus(row.status)


def attempt(row: ReminderState, channel: Channel) -> int:
    """About to call the provider on `channel`: the attempt's number."""
    if row.status != SENDING:
        raise IllegalTransition(f"a {row.status} reminder cannot be sent")
    row.channel = channel
    row.attempts += 1
    return row.attempts


def sent(row: ReminderState, *, provider: str, message_id: str | None, now: datetime) -> None:
    _move(row, SENT, None, (SENDING,))
    row.provider, row.provider_message_id, row.sent_at = provider, message_id, now


def retry(row: ReminderState, at: datetime, reason: str) -> None:
    """A transient failure: try again at `at` (the retry policy's choice)."""
    _move(row, PENDING, reason, (SENDING,))
    row.next_attempt_at = at


def fall_back_or_fail(row: ReminderState, *, to: Channel | None, why: str, now: datetime) -> ReminderStatus:
    """A channel failed for good (at send, or by a receipt): the same row goes by `to` (the next channel in the order
    the patient allows, `Reach.fallback`) while still useful, so the patient is told once; else it failed."""
    if to is not None and _still_useful(row, now):
        other = to
        _move(row, PENDING, f"{other} fallback after {why}", (SENDING, SENT, DELIVERED))
        row.channel, row.next_attempt_at = other, now
        row.provider_message_id = row.provider_status = None
    else:
        _move(row, FAILED, why, (SENDING, SENT, DELIVERED))
    return ReminderStatus(row.status)


def fail(row: ReminderState, reason: str) -> None:
    """Nothing more can be done: a template that no longer renders, retries spent."""
    _move(row, FAILED, reason, (SENDING,))


# -- receipts ------------------------------------------------------------------


def settle_by_receipt(row: ReminderState, *, provider: str, provider_name: str, message_id: str, now: datetime) -> bool:
    """A send we never heard back from reached the provider after all: sent, never to be sent again."""
    if row.provider_message_id is not None or row.status not in OPEN:
        return False
    _move(row, SENT, f"confirmed by {provider_name}'s status callback after an unanswered request", OPEN)
    row.provider, row.provider_message_id, row.sent_at = provider, message_id, row.sent_at or now
    return True


def delivered(row: ReminderState) -> bool:
    if row.status != SENT:
        return False
    _move(row, DELIVERED, row.status_reason, (SENT,))
    return True


# -- staff ---------------------------------------------------------------------


RETRYABLE_BY_STAFF = (FAILED, SKIPPED, CANCELLED)


def retry_by_staff(row: ReminderState, who: str, now: datetime) -> None:
    """Staff ask for another try: from the start, with the checks at send time still applying."""
    _move(row, PENDING, f"retry asked by {who}", RETRYABLE_BY_STAFF)
    row.next_attempt_at, row.attempts = now, 0


def send_now(row: ReminderState, now: datetime) -> None:
    if row.status != PENDING:
        raise IllegalTransition(f"a {row.status} reminder cannot be brought forward")
    row.next_attempt_at = now
