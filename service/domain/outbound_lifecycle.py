"""An outbound event's life, in one place: every change of its status is one of these transitions.

    pending ─2xx─► delivered
     │  ▲ └─ 5xx, 429, timeout: pending again later (backoff), for up to 24 h after the event was made
     │  └──── an administrator's retry ◄─┐
     └─ a 4xx but 429, or 24 h spent ─► failed

Delivery (service/outbound_delivery.py) and the admin's retry call these and never set a status themselves (a test
reads the sources to hold that line). A delivered event is never posted again: nothing leads out of `delivered`.
Pure: the functions move any object shaped like `EventState` (the ORM row, a dataclass in the tests) and do no I/O.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from .vocabulary import OutboundStatus

PENDING, DELIVERED, FAILED = OutboundStatus.PENDING, OutboundStatus.DELIVERED, OutboundStatus.FAILED
RETRY_WINDOW = timedelta(hours=24)  # how long after its making an event is still retried
ERROR_LIMIT = 300  # what `last_error` keeps: enough to tell why, never a whole HTML error page


class EventState(Protocol):
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class IllegalTransition(RuntimeError):
    """A transition asked of an event in a status it cannot leave that way: a bug, or a row another worker settled."""


class Answer(StrEnum):
    """What the receiver's answer means for the event."""

    DELIVERED = "delivered"  # 2xx
    RETRY = "retry"  # 5xx, 429, no answer (timeout, connection refused)
    FINAL = "final"  # anything else: the receiver refused this request, and the same request would be refused again


def answer(status_code: int | None) -> Answer:
    """A 2xx delivers; a 5xx, a 429 or no answer at all is worth another try; any other code (4xx, an unfollowed
    3xx) is final."""
    if status_code is None or status_code == 429 or status_code >= 500:
        return Answer.RETRY
    if 200 <= status_code < 300:
        return Answer.DELIVERED
    return Answer.FINAL


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with full jitter: 30 s, 1 min, 2 min … up to an hour apart, at random below that."""

    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)

    def delay(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        doublings = min(max(0, attempts - 1), 30)  # past the cap long before; bounded so the product never overflows
        ceiling = min(self.cap, self.base * (2**doublings))
        return max(timedelta(seconds=1), timedelta(seconds=(rng or random).uniform(0, ceiling.total_seconds())))


def _move(row: EventState, to: OutboundStatus, allowed: tuple[OutboundStatus, ...]) -> None:
    if row.status not in allowed:
        raise IllegalTransition(f"a {row.status} event cannot become {to}")
    row.status = to


def _note(row: EventState, status_code: int | None, error: str | None) -> None:
    row.last_status_code = status_code
    row.last_error = error[:ERROR_LIMIT] if error else None


def leased(until: datetime) -> dict[str, datetime]:
    """The column a deliverer's claim sets, in one UPDATE over pending rows: no other deliverer sees them due until
    `until`, and should this one stop mid-post they come due again then. The status stays pending."""
    return {"next_attempt_at": until}


def attempt(row: EventState) -> int:
    """About to post: the attempt's number."""
    if row.status != PENDING:
        raise IllegalTransition(f"a {row.status} event is not posted")
    row.attempts += 1
    return row.attempts


def delivered(row: EventState, status_code: int, now: datetime) -> bool:
    """The receiver answered 2xx; False when the row was already settled (another deliverer got there first)."""
    if row.status != PENDING:
        return False
    _move(row, DELIVERED, (PENDING,))
    _note(row, status_code, None)
    row.delivered_at = now
    return True


def fail(row: EventState, status_code: int | None, error: str | None) -> None:
    """A final answer: the same request would be refused again, so it is not repeated."""
    _move(row, FAILED, (PENDING,))
    _note(row, status_code, error)


def retry_or_fail(
    row: EventState,
    *,
    status_code: int | None,
    error: str | None,
    now: datetime,
    retry_after: timedelta | None = None,
    backoff: Backoff = Backoff(),
    rng: random.Random | None = None,
) -> OutboundStatus:
    """No answer, or one worth another try: pending again after the backoff (at least `retry_after` when the receiver
    asked for it), the last try at the 24th hour after the event was made; failed once that hour has passed."""
    deadline = row.created_at + RETRY_WINDOW
    if now >= deadline:
        fail(row, status_code, f"gave up after {RETRY_WINDOW.total_seconds() / 3600:.0f} h: {error or ''}".rstrip(": "))
        return FAILED
    _move(row, PENDING, (PENDING,))
    _note(row, status_code, error)
    delay = backoff.delay(row.attempts, rng)
    if retry_after is not None:
        delay = max(delay, retry_after)
    row.next_attempt_at = min(now + delay, deadline)
    return PENDING


def retry_by_admin(row: EventState, now: datetime) -> None:
    """An administrator asks for another try of a failed event, at the next delivery pass, with the same webhook-id.
    The retry window still counts from the event's making: past it, one more failed answer fails it again."""
    _move(row, PENDING, (FAILED,))
    row.next_attempt_at = now


def is_open(status: str) -> bool:
    """Still to be delivered: it holds back the later events of its appointment."""
    return status == PENDING
