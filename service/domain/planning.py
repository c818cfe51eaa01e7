"""What reminders a patient's sessions call for, and when.

Each function turns a snapshot of state into `Wanted` reminders carrying a
deterministic dedupe key. The key names exactly what the message is about
(which sessions, at which times), so planning twice yields the same keys, and a
reschedule yields new keys while the old ones become unwanted and are cancelled.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from . import channel_order
from .channel_order import DEFAULT_ORDER
from .quiet_hours import QuietHours, latest_allowed_at_or_before, local_moment
from .vocabulary import AppointmentStatus, Channel, ReminderKind


@dataclass(frozen=True)
class SessionRule:
    """Send `kind` on `channel`, `offset` (elapsed time) before a session starts.

    With `at_local`, the rule is a calendar one instead: `offset`'s whole days before
    the session's local date, at that wall time in the patient's zone ("the day
    before at 10:00"), whatever the clocks do in between.
    """

    kind: str
    channel: Channel
    offset: timedelta
    at_local: time | None = None

    def due_before(self, starts_at: datetime, zone: ZoneInfo) -> datetime:
        if self.at_local is None:
            return starts_at - self.offset
        local_day = starts_at.astimezone(zone).date() - timedelta(days=self.offset.days)
        return local_moment(local_day, self.at_local, zone)


DEFAULT_SESSION_RULES = (
    SessionRule(ReminderKind.REMINDER_48H, Channel.EMAIL, timedelta(hours=48)),
    SessionRule(ReminderKind.REMINDER_24H, Channel.SMS, timedelta(hours=24)),
    SessionRule(ReminderKind.REMINDER_2H, Channel.SMS, timedelta(hours=2)),
)


@dataclass(frozen=True)
class Reach:
    """Which channels may carry a message to this patient right now."""

    sms: bool
    email: bool
    whatsapp: bool = False
    order: tuple[Channel, ...] = DEFAULT_ORDER  # CHANNEL_ORDER: a channel outside it is never used
    preferred: Channel | None = None  # the patient's own choice, when they made one

    def allows(self, channel: Channel) -> bool:
        flags = {Channel.SMS: self.sms, Channel.EMAIL: self.email, Channel.WHATSAPP: self.whatsapp}
        return channel in self.order and flags[channel]

    def pick(self, preferred: Channel) -> Channel | None:
        """The patient's choice, else the kind's preferred channel (as the order has it), else its fallbacks, else none."""
        return next((c for c in channel_order.candidates(self.order, preferred, self.preferred) if self.allows(c)), None)

    def fallback(self, channel: Channel) -> Channel | None:
        """Where a message that cannot go by `channel` goes instead: the next allowed channel in the order."""
        return next((c for c in channel_order.after(self.order, channel) if self.allows(c)), None)


@dataclass(frozen=True)
class SessionSnapshot:
    appointment_id: int
    starts_at: datetime  # aware
    status: str
    slot_changed_at: datetime  # when this time was booked (creation or last reschedule)


@dataclass(frozen=True)
class Wanted:
    """A reminder the rules call for; the outbox row is made from this."""

    dedupe_key: str
    kind: str
    channel: Channel
    due_at: datetime
    expires_at: datetime | None = None
    planned_for: datetime | None = None  # the session start it is about
    appointment_id: int | None = None
    course_id: int | None = None
    appointments: tuple[tuple[int, str], ...] = field(default=())  # (id, UTC ISO start) named in it
    variables: dict[str, object] = field(default_factory=dict)  # facts fixed at planning (a week's tip, a due date)


def _digest(parts: list[str]) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


def group_same_day(sessions: list[SessionSnapshot], zone: ZoneInfo) -> list[list[SessionSnapshot]]:
    """Booked sessions grouped by local calendar day, earliest first: one reminder names a whole day."""
    by_day: dict[date, list[SessionSnapshot]] = defaultdict(list)
    for session in sorted(sessions, key=lambda s: (s.starts_at, s.appointment_id)):
        if session.status == AppointmentStatus.BOOKED:
            by_day[session.starts_at.astimezone(zone).date()].append(session)
    return [by_day[day] for day in sorted(by_day)]


def _supersede(reminders: list[Wanted]) -> list[Wanted]:
    """On one channel, a reminder is only useful until the next one is due.

    So a 48-hour SMS (an email fallen back to SMS) that is late never goes out
    together with the 24-hour one, and two reminders pulled to the same moment by
    quiet hours become one.
    """
    kept: list[Wanted] = []
    for r in sorted(reminders, key=lambda w: (w.due_at, w.kind)):
        later = [o.due_at for o in reminders if o.channel == r.channel and o.due_at > r.due_at]
        same_time = [o for o in reminders if o.channel == r.channel and o.due_at == r.due_at and o is not r]
        if same_time and any((o.planned_for or o.due_at) - o.due_at < (r.planned_for or r.due_at) - r.due_at for o in same_time):
            continue
        expires = min([*later, r.expires_at] if r.expires_at else later) if (later or r.expires_at) else None
        kept.append(replace(r, expires_at=expires))
    return kept


def plan_session_reminders(
    sessions: list[SessionSnapshot],
    rules: tuple[SessionRule, ...] | list[SessionRule],
    reach: Reach,
    zone: ZoneInfo,
    window: QuietHours,
) -> list[Wanted]:
    """Reminders before a patient's booked sessions.

    Due times are elapsed offsets before the first session of the day, pulled back
    out of quiet hours to the latest allowed moment. A reminder whose time came
    before the session was booked is not wanted (no 24-hour reminder for a
    booking made 3 hours ahead).
    """
    wanted: list[Wanted] = []
    for day in group_same_day(sessions, zone):
        first = day[0]
        named = tuple((s.appointment_id, s.starts_at.isoformat()) for s in day)
        digest = _digest([f"{a}@{t}" for a, t in named])
        booked_at = max(s.slot_changed_at for s in day)
        day_wanted: list[Wanted] = []
        for rule in rules:
            channel = reach.pick(rule.channel)
            if channel is None:
                continue
            due = latest_allowed_at_or_before(rule.due_before(first.starts_at, zone), zone, window)
            if due < booked_at or due >= first.starts_at:
                continue
            day_wanted.append(
                Wanted(
                    dedupe_key=f"session:{first.appointment_id}:{rule.kind}:{digest}",
                    kind=rule.kind,
                    channel=channel,
                    due_at=due,
                    expires_at=first.starts_at,
                    planned_for=first.starts_at,
                    appointment_id=first.appointment_id,
                    appointments=named,
                )
            )
        wanted.extend(_supersede(day_wanted))
    return wanted


@dataclass(frozen=True)
class NoticeState:
    """One appointment, and the start time the patient was last told is booked (None: never told, or told it was cancelled)."""

    session: SessionSnapshot
    notified_start: datetime | None


def plan_notices(states: list[NoticeState], reach: Reach, debounce: timedelta) -> list[Wanted]:
    """Confirmations, change notices and cancellation notices, once each appointment has been stable for `debounce`.

    A booking made and undone within the debounce sends nothing: the confirmation
    is no longer wanted before it is due, and nobody was told, so no cancellation
    notice either. At most one cancellation notice per appointment. Sessions booked
    within `debounce` of each other (a course booked in one go) get one confirmation
    naming them all, not one text each in the same minute.
    """
    channel = reach.pick(Channel.SMS)
    if channel is None:
        return []
    wanted: list[Wanted] = []
    unconfirmed: list[SessionSnapshot] = []
    for state in states:
        s = state.session
        due = s.slot_changed_at + debounce
        # Keyed on the change itself: re-booking after a cancellation is a new thing to tell, repeated webhooks are not.
        change_key = _digest([s.starts_at.isoformat(), s.slot_changed_at.isoformat()])
        if s.status == AppointmentStatus.BOOKED:
            if state.notified_start == s.starts_at:
                continue
            if state.notified_start is None:
                unconfirmed.append(s)
                continue
            checked = ((s.appointment_id, s.starts_at.isoformat()),)
            wanted.append(
                Wanted(
                    f"notice:{s.appointment_id}:change_notice:{change_key}",
                    ReminderKind.CHANGE_NOTICE,
                    channel,
                    due,
                    expires_at=s.starts_at,
                    planned_for=s.starts_at,
                    appointment_id=s.appointment_id,
                    appointments=checked,
                )
            )
        elif s.status == AppointmentStatus.CANCELLED and state.notified_start is not None:
            wanted.append(
                Wanted(
                    f"notice:{s.appointment_id}:cancellation_notice:{change_key}",
                    ReminderKind.CANCELLATION_NOTICE,
                    channel,
                    due,
                    expires_at=s.starts_at,
                    planned_for=s.starts_at,
                    appointment_id=s.appointment_id,
                )
            )
    for group in booked_together(unconfirmed, debounce):
        first = min(group, key=lambda g: (g.starts_at, g.appointment_id))
        by_start = sorted(group, key=lambda g: (g.starts_at, g.appointment_id))
        key = _digest([part for g in by_start for part in (g.starts_at.isoformat(), g.slot_changed_at.isoformat())])
        wanted.append(
            Wanted(
                f"notice:{first.appointment_id}:confirmation:{key}",
                ReminderKind.CONFIRMATION,
                channel,
                max(g.slot_changed_at for g in group) + debounce,
                expires_at=first.starts_at,
                planned_for=first.starts_at,
                appointment_id=first.appointment_id,
                appointments=tuple((g.appointment_id, g.starts_at.isoformat()) for g in by_start),
            )
        )
    return wanted


def booked_together(sessions: list[SessionSnapshot], debounce: timedelta) -> list[list[SessionSnapshot]]:
    """Sessions whose bookings follow each other by at most `debounce`: one booking, to the patient."""
    groups: list[list[SessionSnapshot]] = []
    for s in sorted(sessions, key=lambda x: (x.slot_changed_at, x.appointment_id)):
        if groups and s.slot_changed_at - groups[-1][-1].slot_changed_at <= debounce:
            groups[-1].append(s)
        else:
            groups.append([s])
    return groups
