"""Messages between and after sessions: aftercare, weekly lifestyle tips, annual maintenance.

Unlike session reminders, none of these is pulled earlier by quiet hours: they
wait for the window to open. Each carries an expiry so that a message made late
by an outage is still sent while useful and never when stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .courses import CourseSession, CourseState
from .planning import Reach, Wanted, _digest
from .quiet_hours import QuietHours, local_moment, next_allowed_at_or_after
from .vocabulary import AppointmentStatus, Channel, ReminderKind

AFTERCARE_DELAY = timedelta(hours=2)  # after the session ends
CHECKIN_DELAY = timedelta(days=2)
STALE_AFTER = timedelta(days=2)  # aftercare more late than this is never sent
TIP_EVERY = timedelta(weeks=1)
TIP_HORIZON = timedelta(days=8)  # tips are planned this far ahead (the daily sweep plans the rest)
LOCAL_SEND_TIME = time(10, 0)  # date-based messages go out at this local time
MAINTENANCE_STAGES = (
    (ReminderKind.MAINTENANCE_EARLY, -30),
    (ReminderKind.MAINTENANCE_DUE, 0),
    (ReminderKind.MAINTENANCE_OVERDUE, 30),
)

# Kinds counted by the one-message-a-day cap, most important first (a tip waits for a free day).
CAPPED_KINDS = (
    ReminderKind.AFTERCARE,
    ReminderKind.AFTERCARE_CHECKIN,
    ReminderKind.NO_SHOW_FOLLOWUP,
    ReminderKind.REBOOK,
    ReminderKind.MAINTENANCE_DUE,
    ReminderKind.MAINTENANCE_EARLY,
    ReminderKind.MAINTENANCE_OVERDUE,
    ReminderKind.TIP,
)
# The statuses a session may have for aftercare to be sent about it.
AFTERCARE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.COMPLETED)
# Which channel each kind prefers; the other is used when the patient can only be reached there.
PREFERRED_CHANNEL = {
    ReminderKind.AFTERCARE: Channel.SMS,  # timely: the patient is just home and may wonder about a bruise
    ReminderKind.AFTERCARE_CHECKIN: Channel.SMS,
    ReminderKind.TIP: Channel.EMAIL,
    ReminderKind.MAINTENANCE_EARLY: Channel.EMAIL,
    ReminderKind.MAINTENANCE_DUE: Channel.SMS,
    ReminderKind.MAINTENANCE_OVERDUE: Channel.EMAIL,
    ReminderKind.REBOOK: Channel.SMS,
    ReminderKind.NO_SHOW_FOLLOWUP: Channel.SMS,
}


def plan_aftercare(session: CourseSession, reach: Reach, zone: ZoneInfo, window: QuietHours) -> list[Wanted]:
    """An aftercare message about 2 h after a session ends, and a check-in 2 days later; both stale after 2 days."""
    if session.status not in AFTERCARE_STATUSES:
        return []
    named = ((session.appointment_id, session.starts_at.isoformat()),)
    stamp = _digest([session.starts_at.isoformat()])
    wanted = []
    for kind, intended in (
        (ReminderKind.AFTERCARE, session.ends_at + AFTERCARE_DELAY),
        (ReminderKind.AFTERCARE_CHECKIN, session.ends_at + CHECKIN_DELAY),
    ):
        channel = reach.pick(PREFERRED_CHANNEL[kind])
        if channel is None:
            continue
        wanted.append(
            Wanted(
                dedupe_key=f"care:{session.appointment_id}:{kind}:{stamp}",
                kind=kind,
                channel=channel,
                due_at=next_allowed_at_or_after(intended, zone, window),
                expires_at=intended + STALE_AFTER,
                planned_for=session.starts_at,
                appointment_id=session.appointment_id,
                appointments=named,
            )
        )
    return wanted


@dataclass(frozen=True)
class TipRef:
    tip_id: int
    category: str


def choose_tip(library: list[TipRef], last_sent: dict[int, datetime], taken: set[int]) -> TipRef | None:
    """The next tip in library order this patient has not had; once all are used, the one sent longest ago."""
    fresh = [t for t in library if t.tip_id not in last_sent and t.tip_id not in taken]
    if fresh:
        return fresh[0]
    used = [t for t in library if t.tip_id not in taken]  # every one of them has been sent (none is fresh)
    return min(used, key=lambda t: last_sent[t.tip_id], default=None)


def plan_tips(
    course_id: int,
    state: CourseState,
    library: list[TipRef],
    assigned: dict[int, int],
    last_sent: dict[int, datetime],
    reach: Reach,
    zone: ZoneInfo,
    now: datetime,
) -> list[Wanted]:
    """One lifestyle tip a week while a course is active, at 10:00 local, planned a week ahead.

    `assigned` maps week numbers already planned to their tip, so a week keeps its
    tip however often planning runs, and no two weeks share one.
    """
    if state.first_session_at is None or not library:
        return []
    channel = reach.pick(PREFERRED_CHANNEL[ReminderKind.TIP])
    if channel is None:
        return []
    start_day = state.first_session_at.astimezone(zone).date()
    wanted: list[Wanted] = []
    taken = set(assigned.values())
    week = 1
    while True:
        due = local_moment(start_day + timedelta(weeks=week), LOCAL_SEND_TIME, zone)
        if due > now + TIP_HORIZON:
            break
        still_active = state.completed_at is None or due < state.completed_at
        if still_active and due + TIP_EVERY > now:  # a week's tip is pointless once the next one is due
            tip_id = assigned.get(week)
            if tip_id is None:
                chosen = choose_tip(library, last_sent, taken)
                if chosen is None:
                    break
                tip_id = chosen.tip_id
                taken.add(tip_id)
            wanted.append(
                Wanted(
                    dedupe_key=f"tip:{course_id}:week{week}",
                    kind=ReminderKind.TIP,
                    channel=channel,
                    due_at=due,
                    expires_at=due + TIP_EVERY,
                    course_id=course_id,
                    variables={"tip_id": tip_id, "week": week},
                )
            )
        week += 1
    return wanted


def plan_maintenance(
    course_id: int,
    due_on: date | None,
    *,
    superseded: bool,
    future_session_booked: bool,
    reach: Reach,
    zone: ZoneInfo,
) -> list[Wanted]:
    """Reminders 30 days before, on, and 30 days after the maintenance due date, while nothing is booked.

    They stop as soon as the patient has a session ahead, and for good once a newer
    course of the same area (the maintenance course) exists: it has its own due date.
    """
    if due_on is None or superseded or future_session_booked:
        return []
    moments = [(kind, local_moment(due_on + timedelta(days=days), LOCAL_SEND_TIME, zone)) for kind, days in MAINTENANCE_STAGES]
    wanted = []
    for index, (kind, due) in enumerate(moments):
        channel = reach.pick(PREFERRED_CHANNEL[kind])
        if channel is None:
            continue
        # Each stage is useful until the next one is due; the last for another 30 days.
        expires = moments[index + 1][1] if index + 1 < len(moments) else due + timedelta(days=30)
        wanted.append(
            Wanted(
                dedupe_key=f"maintenance:{course_id}:{due_on.isoformat()}:{kind}",
                kind=kind,
                channel=channel,
                due_at=due,
                expires_at=expires,
                course_id=course_id,
                variables={"due_on": due_on.isoformat()},
            )
        )
    return wanted
