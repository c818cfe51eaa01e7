"""Whether the messages work: the outcome figures' arithmetic, per clinic-local week and month.

Pure: the queries (service/outcomes.py) hand over plain facts; here they are bucketed into periods and counted.
A rate whose denominator is zero is None (shown as "—"), never 0 %: nothing happened, nothing can be said.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .courses import CourseSession, attended
from .vocabulary import AppointmentStatus, ReminderKind

LATE_CANCELLATION = timedelta(hours=24)  # cancelled less than this before the start: late
INTERRUPTED_AFTER = timedelta(days=28)  # a course short of its plan, this long without a session: interrupted
MAINTENANCE_BOOKING_WINDOW = timedelta(days=60)  # a booking this close to a maintenance due date answers it
NUDGE_BOOKING_WINDOW = timedelta(days=7)  # a booking this soon after a rebook nudge answers it
REBOOK_KIND = ReminderKind.REBOOK  # the nudge's reminder kind

Figure = int | float | None

# The figures in the order every output lists them.
FIGURES = (
    "sessions_held",
    "no_shows",
    "no_show_rate",
    "late_cancellations",
    "confirmation_rate",
    "median_lead_time_days",
    "courses_started",
    "courses_completed",
    "courses_interrupted",
    "completion_rate",
    "maintenance_due",
    "maintenance_reminded",
    "maintenance_reminded_booked",
    "maintenance_unreachable",
    "maintenance_unreachable_booked",
    "rebook_nudged",
    "rebook_booked",
)
RATES = frozenset({"no_show_rate", "confirmation_rate", "completion_rate"})


@dataclass(frozen=True)
class Period:
    kind: str  # week | month
    start: date  # clinic-local, inclusive
    end: date  # clinic-local, exclusive

    @property
    def label(self) -> str:
        """ "2026-W49" (ISO week) or "2026-12": stable keys for machines."""
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"

    def holds(self, moment: datetime | date | None, zone: ZoneInfo) -> bool:
        if moment is None:
            return False
        day = moment.astimezone(zone).date() if isinstance(moment, datetime) else moment
        return self.start <= day < self.end


def week_start(day: date) -> date:
    """The Monday of `day`'s ISO week."""
    return day - timedelta(days=day.weekday())


def weeks(today: date, count: int) -> list[Period]:
    """The last `count` ISO weeks (Monday start), oldest first, the current one last."""
    monday = week_start(today)
    return [
        Period("week", monday - timedelta(weeks=n), monday - timedelta(weeks=n) + timedelta(weeks=1))
        for n in range(count - 1, -1, -1)
    ]


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def months(today: date, since: date, minimum: int = 3) -> list[Period]:
    """Calendar months from the one holding `since` to the current one, and at least `minimum`, oldest first."""
    first = since.replace(day=1)
    current = today.replace(day=1)
    back = current
    for _ in range(minimum - 1):
        back = (back - timedelta(days=1)).replace(day=1)
    start = min(first, back)
    periods = []
    while start <= current:
        periods.append(Period("month", start, _next_month(start)))
        start = _next_month(start)
    return periods


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def median_days(spans: Iterable[timedelta]) -> float | None:
    values = [s.total_seconds() / 86400 for s in spans]
    return round(statistics.median(values), 1) if values else None


@dataclass(frozen=True)
class SessionFact:
    starts_at: datetime
    ends_at: datetime
    session_status: str  # the appointment's status
    created_at: datetime  # when it was booked
    status_changed_at: datetime  # Appointment.slot_changed_at: for a cancellation, when it was cancelled
    confirmed: bool
    rescheduled: bool = False  # cancelled because a new booking replaced it: a move, not a cancellation


def held(session: SessionFact, now: datetime) -> bool:
    """The panel's rule (service.domain.courses.attended): completed, or booked and over."""
    return attended(CourseSession(0, session.starts_at, session.ends_at, session.session_status), now)


def late_cancellation(session: SessionFact) -> bool:
    return (
        session.session_status == AppointmentStatus.CANCELLED
        and not session.rescheduled
        and session.starts_at - session.status_changed_at < LATE_CANCELLATION
    )


@dataclass(frozen=True)
class CourseFact:
    first_session_at: datetime | None
    last_attended_at: datetime | None
    attended: int
    planned: int | None  # sessions planned; None when unknown
    booked_ahead: bool
    completed_at: datetime | None  # Course.completed_at as Recall keeps it
    # How long after its last session a course short of its plan counts as interrupted (service/outcomes.py passes
    # the plan's interval + 1 + 14 days, when the front desk's "course interrupted" item appears).
    stalled_after: timedelta = INTERRUPTED_AFTER


def course_end(course: CourseFact, now: datetime) -> tuple[str, datetime] | None:
    """("completed" | "interrupted", when), or None while the course runs.

    Completed: its planned sessions attended, at `completed_at`; a course of unknown size, when Recall closes it
    (8 weeks without a session). Interrupted: nothing booked, short of its plan (or, size unknown, not yet closed),
    the last session more than `stalled_after` ago; counted on that day.
    """
    if course.booked_ahead or course.last_attended_at is None:
        return None
    short = course.attended < course.planned if course.planned else course.completed_at is None
    if not short:
        return ("completed", course.completed_at) if course.completed_at is not None else None
    stalled_at = course.last_attended_at + course.stalled_after
    return ("interrupted", stalled_at) if stalled_at <= now else None


@dataclass(frozen=True)
class MaintenanceFact:
    due_on: date
    reminded: bool  # a maintenance reminder went out (sent or delivered)
    reachable: bool  # the patient can be messaged on some channel (consent, a contact, not opted out)
    bookings: tuple[date, ...]  # local days the patient booked sessions on


def booked_in_time(fact: MaintenanceFact) -> bool:
    window = MAINTENANCE_BOOKING_WINDOW.days
    return any(abs((day - fact.due_on).days) <= window for day in fact.bookings)


@dataclass(frozen=True)
class NudgeFact:
    patient_id: int
    sent_at: datetime
    bookings: tuple[datetime, ...]  # when the patient booked sessions


def answered(nudge: NudgeFact) -> bool:
    return any(nudge.sent_at <= b <= nudge.sent_at + NUDGE_BOOKING_WINDOW for b in nudge.bookings)


@dataclass
class Facts:
    sessions: list[SessionFact] = field(default_factory=list)
    courses: list[CourseFact] = field(default_factory=list)
    maintenance: list[MaintenanceFact] = field(default_factory=list)
    nudges: list[NudgeFact] = field(default_factory=list)


def figures(period: Period, facts: Facts, now: datetime, zone: ZoneInfo) -> dict[str, Figure]:
    """Every figure for one period, keyed and ordered as FIGURES."""
    inside: Callable[[datetime | date | None], bool] = lambda moment: period.holds(moment, zone)  # noqa: E731
    sessions = [s for s in facts.sessions if inside(s.starts_at)]
    took_place = [s for s in sessions if held(s, now)]
    missed = [s for s in sessions if s.session_status == AppointmentStatus.NO_SHOW]
    expected = len(took_place) + len(missed)
    confirmed = sum(1 for s in [*took_place, *missed] if s.confirmed)
    not_cancelled = [s for s in sessions if s.session_status != AppointmentStatus.CANCELLED]

    ends = [course_end(c, now) for c in facts.courses]
    completed = sum(1 for e in ends if e and e[0] == "completed" and inside(e[1]))
    interrupted = sum(1 for e in ends if e and e[0] == "interrupted" and inside(e[1]))

    due = [m for m in facts.maintenance if inside(m.due_on)]
    reminded = [m for m in due if m.reminded]
    unreachable = [m for m in due if not m.reminded and not m.reachable]

    nudged: dict[int, bool] = {}
    for nudge in facts.nudges:
        if inside(nudge.sent_at):
            nudged[nudge.patient_id] = nudged.get(nudge.patient_id, False) or answered(nudge)

    return {
        "sessions_held": len(took_place),
        "no_shows": len(missed),
        "no_show_rate": rate(len(missed), expected),
        "late_cancellations": sum(1 for s in sessions if late_cancellation(s)),
        "confirmation_rate": rate(confirmed, expected),
        "median_lead_time_days": median_days(s.starts_at - s.created_at for s in not_cancelled),
        "courses_started": sum(1 for c in facts.courses if inside(c.first_session_at)),
        "courses_completed": completed,
        "courses_interrupted": interrupted,
        "completion_rate": rate(completed, completed + interrupted),
        "maintenance_due": len(due),
        "maintenance_reminded": len(reminded),
        "maintenance_reminded_booked": sum(1 for m in reminded if booked_in_time(m)),
        "maintenance_unreachable": len(unreachable),
        "maintenance_unreachable_booked": sum(1 for m in unreachable if booked_in_time(m)),
        "rebook_nudged": len(nudged),
        "rebook_booked": sum(1 for answered_it in nudged.values() if answered_it),
    }
