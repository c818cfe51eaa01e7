"""The last word before a message leaves: is it still true, still useful, allowed now?

The dispatcher calls `decide` with what it re-read under lock in the sending
transaction, so a cancellation or reschedule that committed a moment ago is seen.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .planning import Reach
from .quiet_hours import QuietHours, next_allowed_at_or_after
from .vocabulary import AppointmentStatus, Channel


@dataclass(frozen=True)
class NamedSession:
    """A session a reminder names, as the reminder saw it and as the database says now."""

    appointment_id: int
    planned_start: datetime
    current_start: datetime | None  # None: the appointment is gone
    current_status: str | None
    confirmed: bool = False  # the patient has confirmed it (SMS reply, or their page)


@dataclass(frozen=True)
class Send:
    channel: Channel


@dataclass(frozen=True)
class Cancel:
    reason: str


@dataclass(frozen=True)
class Skip:
    reason: str


@dataclass(frozen=True)
class Defer:
    until: datetime
    reason: str


Decision = Send | Cancel | Skip | Defer


def decide(
    *,
    channel: Channel,
    expires_at: datetime | None,
    sessions: list[NamedSession],
    reach: Reach,
    may_fall_back: bool,
    zone: ZoneInfo,
    window: QuietHours,
    now: datetime,
    allowed_statuses: tuple[str, ...] = (AppointmentStatus.BOOKED,),
    skip_when_confirmed: bool = False,
) -> Decision:
    """Send, or why not. `allowed_statuses`: what the named sessions may be (aftercare also follows a completed one).

    `skip_when_confirmed`: the reminder's rule says a confirmed session needs no more reminders; decided here, at send
    time, because a patient may confirm after the reminder was planned.
    """
    for session in sessions:
        if session.current_status is None:
            return Cancel("the session no longer exists")
        if session.current_status == AppointmentStatus.CANCELLED:
            return Cancel("the session was cancelled")
        if session.current_status not in allowed_statuses:
            return Cancel(f"the session is {session.current_status.replace('_', '-')}")
        if session.current_start != session.planned_start:
            return Cancel("the session was moved; a reminder for the new time replaces this one")
    if skip_when_confirmed and sessions and all(s.confirmed for s in sessions):
        return Skip("the patient has confirmed the session, and this rule skips confirmed sessions")
    if expires_at is not None and now >= expires_at:
        return Skip("too late to be useful")
    if not reach.allows(channel):
        fallback = reach.fallback(channel) if may_fall_back else None
        if fallback is None:
            return Skip(f"no consent to send by {channel.value}" + (" or the other channel" if may_fall_back else ""))
        channel = fallback
    if not window.allows(now, zone):
        opens = next_allowed_at_or_after(now, zone, window)
        if expires_at is not None and opens >= expires_at:
            return Skip("quiet hours last until it is too late to be useful")
        return Defer(opens, "quiet hours in the patient's time zone")
    return Send(channel)


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with full jitter (AWS architecture blog), a bounded number of times."""

    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)
    max_attempts: int = 6

    def next_attempt(
        self,
        *,
        attempts: int,
        now: datetime,
        expires_at: datetime | None,
        retry_after: timedelta | None = None,
        rng: random.Random | None = None,
    ) -> datetime | None:
        """When to try again, or None when retrying is over (attempts spent or too late)."""
        if attempts >= self.max_attempts:
            return None
        ceiling = min(self.cap, self.base * (2 ** max(0, attempts - 1)))
        delay = timedelta(seconds=(rng or random).uniform(0, ceiling.total_seconds()))
        if retry_after is not None:
            delay = max(delay, retry_after)
        at = now + max(delay, timedelta(seconds=1))
        if expires_at is not None and at >= expires_at:
            return None
        return at
