"""The outcomes report: one function reads the facts and produces the figures for the panel, the CLI and /metrics.

The arithmetic is in `service.domain.outcomes`; here are the queries, the definitions in words, and the two
machine formats (JSON, CSV). The figures count what the panel lists: sessions by the same "attended" rule,
messages by the outbox's statuses.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import LazyString
from sqlalchemy import or_, select

from . import plans
from .domain import outcomes as rules
from .domain.courses import attended
from .domain.vocabulary import MAINTENANCE_KINDS, WENT_OUT, AppointmentStatus
from .extensions import DbSession
from .i18n import _l
from .models import Appointment, Course, Patient, Reminder
from .planner import course_session, reach_of

DEFAULT_WEEKS = 12

DEFINITIONS: dict[str, LazyString] = {
    "sessions_held": _l(
        "Sessions that started in the period and were marked completed, or were still booked when they ended "
        "(the panel shows these as “Passed, not marked (counted as attended)”)."
    ),
    "no_shows": _l("Sessions in the period marked as no-show."),
    "no_show_rate": _l("No-shows ÷ (sessions held + no-shows)."),
    "late_cancellations": _l(
        "Sessions in the period cancelled less than 24 hours before their start, timed by when the cancellation was "
        "recorded (the moment the session's status last changed). A session moved to another time is not counted."
    ),
    "confirmation_rate": _l(
        "Sessions held or missed in the period that the patient had confirmed (by SMS reply or on their page) ÷ "
        "(sessions held + no-shows)."
    ),
    "median_lead_time_days": _l(
        "The median time between booking a session and its start, in days, over the period's sessions not cancelled."
    ),
    "courses_started": _l("Courses whose first session fell in the period."),
    "courses_completed": _l(
        "Courses that reached their planned number of sessions in the period (a course of unknown size: when Recall "
        "closed it, 8 weeks after its last session)."
    ),
    "courses_interrupted": _l(
        "Courses short of their planned sessions (the course's own number, else its treatment plan's) with nothing "
        "booked, counted on the day the front desk's “course interrupted” item appears: 14 days after the first nudge, "
        "which goes the plan's interval plus one day after the last session."
    ),
    "completion_rate": _l("Completed ÷ (completed + interrupted)."),
    "maintenance_due": _l("Patients whose annual maintenance fell due in the period."),
    "maintenance_reminded": _l("Of them, patients to whom a maintenance reminder went out (sent or delivered)."),
    "maintenance_reminded_booked": _l(
        "Of the reminded, patients who booked a session within 60 days of the due date (before or after)."
    ),
    "maintenance_unreachable": _l(
        "Of the patients due, those no reminder went to because none could: no consent, no phone or email, or "
        "opted out (as they stand today). The comparison group."
    ),
    "maintenance_unreachable_booked": _l(
        "Of those who could not be reminded, patients who booked a session within 60 days of the due date."
    ),
    "rebook_nudged": _l("Patients sent a nudge to book the rest of a stalled course (a “rebook” message) in the period."),
    "rebook_booked": _l("Of them, patients who booked a session within 7 days of the nudge."),
}
assert tuple(DEFINITIONS) == rules.FIGURES


@dataclass(frozen=True)
class PeriodFigures:
    period: rules.Period
    values: dict[str, rules.Figure]


@dataclass(frozen=True)
class Report:
    generated_at: datetime
    zone: str
    weeks: list[PeriodFigures]
    months: list[PeriodFigures]

    @property
    def periods(self) -> list[PeriodFigures]:
        return [*self.weeks, *self.months]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))


def _ends_at(appt: Appointment) -> datetime:
    return _aware(appt.starts_at) + timedelta(minutes=appt.duration_minutes)


def gather(db_session: DbSession, since: date, until: date, zone: ZoneInfo, now: datetime) -> rules.Facts:
    """The facts the periods from `since` to `until` (local days, exclusive end) need, as plain values."""
    start = datetime.combine(since, time(0), tzinfo=zone)
    end = datetime.combine(until, time(0), tzinfo=zone)
    facts = rules.Facts()

    for appt in db_session.execute(
        select(Appointment).where(Appointment.starts_at >= start, Appointment.starts_at < end)
    ).scalars():
        facts.sessions.append(
            rules.SessionFact(
                starts_at=_aware(appt.starts_at),
                ends_at=_ends_at(appt),
                session_status=appt.status,
                created_at=_aware(appt.created_at),
                status_changed_at=_aware(appt.slot_changed_at),
                confirmed=appt.confirmed_at is not None,
                rescheduled=appt.replaced_by_external_id is not None,
            )
        )

    # A course ends (completed or interrupted) after its last session: one still open, or ended since `start`.
    courses = (
        db_session.execute(
            select(Course).where(or_(Course.completed_at.is_(None), Course.completed_at >= start, Course.started_at >= start))
        )
        .scalars()
        .all()
    )
    sessions_of: dict[int, list[Appointment]] = defaultdict(list)
    for appt in db_session.execute(select(Appointment).where(Appointment.course_id.in_([c.id for c in courses]))).scalars():
        if appt.course_id is not None:
            sessions_of[appt.course_id].append(appt)
    patients_booked_ahead = set(
        db_session.execute(
            select(Appointment.patient_id).where(Appointment.status == AppointmentStatus.BOOKED, Appointment.starts_at > now)
        ).scalars()
    )
    for course in courses:
        done = [a for a in sessions_of[course.id] if attended(course_session(a), now)]
        counted = [a for a in sessions_of[course.id] if a.status in (AppointmentStatus.BOOKED, AppointmentStatus.COMPLETED)]
        facts.courses.append(
            rules.CourseFact(
                first_session_at=min((_aware(a.starts_at) for a in counted), default=None),
                last_attended_at=max((_aware(a.starts_at) for a in done), default=None),
                attended=len(done),
                planned=plans.planned_sessions(db_session, course),
                booked_ahead=course.patient_id in patients_booked_ahead,
                completed_at=_aware(course.completed_at) if course.completed_at else None,
                # As the front desk's "course interrupted" item: 14 days after the first nudge (interval + 1 day).
                stalled_after=timedelta(days=(plans.interval_days(db_session, course) or 7) + 1 + 14),
            )
        )

    facts.maintenance = _maintenance(db_session, since, until, zone)
    facts.nudges = _nudges(db_session, start, end)
    return facts


def _maintenance(db_session: DbSession, since: date, until: date, zone: ZoneInfo) -> list[rules.MaintenanceFact]:
    """One fact per patient and due date: reminded if any of its courses' maintenance reminders went out."""
    due = db_session.execute(
        select(Course.id, Course.patient_id, Course.maintenance_due_on).where(
            Course.maintenance_due_on >= since, Course.maintenance_due_on < until
        )
    ).all()
    if not due:
        return []
    reminded_courses = set(
        db_session.execute(
            select(Reminder.course_id).where(
                Reminder.course_id.in_([c for c, _, _ in due]),
                Reminder.kind.in_([str(k) for k in MAINTENANCE_KINDS]),
                Reminder.status.in_([str(s) for s in WENT_OUT]),
            )
        ).scalars()
    )
    patient_ids = {p for _, p, _ in due}
    patients = {p.id: p for p in db_session.execute(select(Patient).where(Patient.id.in_(patient_ids))).scalars()}
    bookings: dict[int, list[date]] = defaultdict(list)
    window = rules.MAINTENANCE_BOOKING_WINDOW
    for patient_id, created_at in db_session.execute(
        select(Appointment.patient_id, Appointment.created_at).where(
            Appointment.patient_id.in_(patient_ids),
            Appointment.created_at >= datetime.combine(since - window, time(0), tzinfo=zone),
        )
    ):
        bookings[patient_id].append(_aware(created_at).astimezone(zone).date())
    merged: dict[tuple[int, date], bool] = {}
    for course_id, patient_id, due_on in due:
        assert due_on is not None  # the range excludes NULL
        merged[(patient_id, due_on)] = merged.get((patient_id, due_on), False) or course_id in reminded_courses
    facts = []
    for (patient_id, due_on), reminded in merged.items():
        reach = reach_of(patients[patient_id])
        facts.append(rules.MaintenanceFact(due_on, reminded, reach.sms or reach.email, tuple(bookings.get(patient_id, ()))))
    return facts


def _nudges(db_session: DbSession, start: datetime, end: datetime) -> list[rules.NudgeFact]:
    sent = db_session.execute(
        select(Reminder.patient_id, Reminder.sent_at).where(
            Reminder.kind == rules.REBOOK_KIND,
            Reminder.status.in_([str(s) for s in WENT_OUT]),
            Reminder.sent_at >= start,
            Reminder.sent_at < end,
        )
    ).all()
    if not sent:
        return []
    bookings: dict[int, list[datetime]] = defaultdict(list)
    for patient_id, created_at in db_session.execute(
        select(Appointment.patient_id, Appointment.created_at).where(
            Appointment.patient_id.in_({p for p, _ in sent}), Appointment.created_at >= start
        )
    ):
        bookings[patient_id].append(_aware(created_at))
    return [
        rules.NudgeFact(patient_id, _aware(sent_at), tuple(bookings.get(patient_id, ())))
        for patient_id, sent_at in sent
        if sent_at is not None
    ]


def build_report(db_session: DbSession, zone_name: str, now: datetime, weeks: int = DEFAULT_WEEKS) -> Report:
    """The figures per ISO week (the last `weeks`) and per calendar month (at least 3), in the clinic's zone."""
    zone = ZoneInfo(zone_name)
    today = now.astimezone(zone).date()
    week_periods = rules.weeks(today, max(1, weeks))
    month_periods = rules.months(today, week_periods[0].start)
    since = min(week_periods[0].start, month_periods[0].start)
    until = max(week_periods[-1].end, month_periods[-1].end)
    facts = gather(db_session, since, until, zone, now)
    return Report(
        generated_at=now,
        zone=zone_name,
        weeks=[PeriodFigures(p, rules.figures(p, facts, now, zone)) for p in week_periods],
        months=[PeriodFigures(p, rules.figures(p, facts, now, zone)) for p in month_periods],
    )


def _period_json(line: PeriodFigures) -> dict[str, Any]:
    return {
        "period": line.period.label,
        "start": line.period.start.isoformat(),
        "end": (line.period.end - timedelta(days=1)).isoformat(),
        "figures": line.values,
    }


def as_json(report: Report) -> str:
    return json.dumps(
        {
            "generated_at": report.generated_at.isoformat(),
            "timezone": report.zone,
            "weeks": [_period_json(w) for w in report.weeks],
            "months": [_period_json(m) for m in report.months],
            "definitions": {name: str(text) for name, text in DEFINITIONS.items()},
        },
        ensure_ascii=False,
        indent=2,
    )


def as_csv(report: Report) -> str:
    """One row per period and figure; an undefined rate is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["period_kind", "period", "start", "end", "figure", "value", "definition"])
    for line in report.periods:
        for name in rules.FIGURES:
            value = line.values[name]
            writer.writerow(
                [
                    line.period.kind,
                    line.period.label,
                    line.period.start.isoformat(),
                    (line.period.end - timedelta(days=1)).isoformat(),
                    name,
                    "" if value is None else value,
                    str(DEFINITIONS[name]),
                ]
            )
    return out.getvalue()
