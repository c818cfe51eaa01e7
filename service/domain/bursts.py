"""One message about a session where several would say the same thing.

A patient with two sessions on a day, a reminder held overnight, a booking made
the day before: each can leave several messages about the same sessions due
together (a 48-hour email, a 24-hour SMS, a confirmation), and a reminder for one
session after an earlier one already named it. Each message says the same time;
the patient should get the most useful one, and the others are skipped with the
reason. Pure: the dispatcher passes what it read under the patient's lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .vocabulary import Channel, ReminderKind

# The notices about sessions still ahead (a cancellation notice is about one that is not).
AHEAD_NOTICE_KINDS = (ReminderKind.CONFIRMATION, ReminderKind.CHANGE_NOTICE)
BURST_WINDOW = timedelta(hours=1)
# How useful a message about a session ahead is: a change notice says the time and that it moved; a reminder
# gives the time, which makes a confirmation of that time unnecessary.
_USEFULNESS = {ReminderKind.CHANGE_NOTICE: 3, "reminder": 2, ReminderKind.CONFIRMATION: 1}


def is_about_sessions_ahead(kind: str, dedupe_key: str) -> bool:
    """Confirmations, change notices and every session rule's reminders (staff may add rules of their own)."""
    return kind in AHEAD_NOTICE_KINDS or dedupe_key.startswith("session:")


@dataclass(frozen=True)
class SessionMessage:
    reminder_id: int
    kind: str
    channel: Channel
    sessions: frozenset[tuple[int, datetime]]  # (appointment id, start) it names
    lead: timedelta  # how long before the first session it was planned to go out
    due_at: datetime  # its next attempt, for one not sent yet
    sent_at: datetime | None = None  # set once it went out (or is going out)
    expires_at: datetime | None = None

    @property
    def is_reminder(self) -> bool:
        return self.kind not in AHEAD_NOTICE_KINDS

    def usefulness(self) -> tuple[int, float, int, int]:
        """A total order: the class, then the nearer reminder, then SMS, then the older row."""
        cls = _USEFULNESS["reminder" if self.is_reminder else self.kind]
        return cls, -self.lead.total_seconds(), int(self.channel is Channel.SMS), -self.reminder_id

    def describe(self) -> str:
        return f"the {self.kind.replace('_', ' ')} by {self.channel.value} (reminder #{self.reminder_id})"


def redundant(
    candidate: SessionMessage, others: Iterable[SessionMessage], *, booked_since: datetime, now: datetime
) -> str | None:
    """Why `candidate` need not go out, or None to send it.

    Only another message naming every session the candidate names counts, and a sent
    one only if it went out after those sessions were booked at these times (a
    patient told of a cancellation, then re-booked, is told again). Of several due that
    would each do, the reason names the best: the one that will go out.
    """
    winner: SessionMessage | None = None
    for other in others:
        if other.reminder_id == candidate.reminder_id or not candidate.sessions <= other.sessions:
            continue
        if other.sent_at is not None:
            if other.sent_at < booked_since:
                continue
            if candidate.is_reminder and other.is_reminder and other.usefulness()[:2] >= candidate.usefulness()[:2]:
                # The same rule, or a nearer one (a 48-hour reminder held until after the 24-hour one went out).
                return f"already covered: {other.describe()} named {_these(candidate)}"
            if now - other.sent_at < BURST_WINDOW:
                return f"{other.describe()} about {_these(candidate)} went out less than an hour ago"
        elif other.expires_at is not None and other.expires_at <= now:
            continue  # past its usefulness: it will be skipped, not sent, so it makes nothing unnecessary
        elif other.due_at <= now + BURST_WINDOW and (
            other.usefulness() > candidate.usefulness() or candidate.sessions < other.sessions
        ):
            # One that names more sessions cannot be dropped for this one, so it will go: this adds nothing.
            winner = other if winner is None or _outranks(other, winner) else winner
    return None if winner is None else f"{winner.describe()}, due within the hour, makes this one unnecessary"


def _outranks(one: SessionMessage, other: SessionMessage) -> bool:
    return other.sessions < one.sessions or (not one.sessions < other.sessions and one.usefulness() > other.usefulness())


def _these(message: SessionMessage) -> str:
    return "these sessions" if len(message.sessions) > 1 else "this session"
