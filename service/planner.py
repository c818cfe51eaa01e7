"""Keep the outbox equal to what the rules want for a patient.

Planning is idempotent: it computes every reminder the rules want, inserts the
missing ones (a unique dedupe key makes a concurrent planner harmless), updates
pending ones whose time or channel moved, and cancels pending ones that are no
longer wanted. Run it as often as you like.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from . import plans, staff_content, todo
from .domain import channel_order, lifecycle
from .domain.care import TipRef, plan_aftercare, plan_maintenance, plan_tips
from .domain.courses import CourseSession, course_state
from .domain.nudges import Stall, find_stall, plan_no_show_followup, plan_nudges
from .domain.planning import (
    NoticeState,
    Reach,
    SessionRule,
    SessionSnapshot,
    Wanted,
    plan_notices,
    plan_session_reminders,
)
from .domain.quiet_hours import QuietHours
from .domain.replanning import LOOKBACK, CourseFacts, next_replan_at
from .domain.vocabulary import (
    MAINTENANCE_KINDS,
    NOTICE_KINDS,
    OPEN,
    WENT_OUT,
    AppointmentStatus,
    Channel,
    ReminderKind,
    ReminderStatus,
    TodoKind,
)
from .extensions import DbSession
from .models import Appointment, Course, Patient, Reminder
from .rendering import language_of
from .settings import Settings

CHANNEL_NAMES = frozenset(str(c) for c in Channel)

log = logging.getLogger(__name__)

LIFESTYLE_CATEGORIES = ("diet", "exercise", "water", "circulation")
UNWANTED = "unwanted: "  # prefix of reasons the planner writes; only such rows may come back to life
# Stored in `Patient.replan_at` when time alone never changes a patient's plan: far enough, and a year every
# database and driver reads back in any session time zone.
NEVER = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass
class PlanResult:
    created: int = 0
    updated: int = 0
    cancelled: int = 0
    patients: int = 0  # patients planned

    def __iadd__(self, other: PlanResult) -> PlanResult:
        self.created += other.created
        self.updated += other.updated
        self.cancelled += other.cancelled
        self.patients += other.patients
        return self


def reach_of(patient: Patient, settings: Settings | None = None) -> Reach:
    """Which channels may carry a message to `patient`, in the clinic's CHANNEL_ORDER (sms, email without settings)."""
    preferred = patient.preferred_channel
    return Reach(
        sms=bool(patient.phone and patient.sms_consent and patient.sms_opted_out_at is None),
        email=bool(patient.email and patient.email_consent and patient.email_unsubscribed_at is None),
        whatsapp=bool(patient.phone and patient.whatsapp_consent and patient.whatsapp_opted_out_at is None),
        order=channel_order.parse(settings.channel_order) if settings is not None else channel_order.DEFAULT_ORDER,
        preferred=Channel(preferred) if preferred in CHANNEL_NAMES else None,
    )


def session_rules(db_session: DbSession) -> list[SessionRule]:
    """The clinic's rules (cached per process, see staff_content); the shipped defaults until it has any."""
    return list(staff_content.get(db_session).rules)


def window_of(settings: Settings) -> QuietHours:
    return QuietHours(*settings.quiet_hours)


@dataclass(frozen=True)
class PatientRows:
    """A patient's appointments and courses, read once for both the plan and its replan_at."""

    appointments: Sequence[Appointment]
    courses: Sequence[Course]


def patient_rows(db_session: DbSession, patient: Patient) -> PatientRows:
    return PatientRows(
        db_session.execute(select(Appointment).where(Appointment.patient_id == patient.id)).scalars().all(),
        db_session.execute(select(Course).where(Course.patient_id == patient.id).order_by(Course.id)).scalars().all(),
    )


def wanted_for_patient(
    db_session: DbSession, patient: Patient, settings: Settings, now: datetime, rows: PatientRows | None = None
) -> list[Wanted]:
    zone = ZoneInfo(patient.timezone or settings.clinic_timezone)
    window = window_of(settings)
    rows = rows or patient_rows(db_session, patient)
    every = rows.appointments
    appointments = [a for a in every if a.starts_at >= now - LOOKBACK]
    snapshots = [SessionSnapshot(a.id, a.starts_at, a.status, a.slot_changed_at) for a in appointments]
    reach = reach_of(patient, settings)
    wanted = plan_session_reminders(snapshots, session_rules(db_session), reach, zone, window)
    predecessors = {a.id: a.replaces_id for a in appointments if a.replaces_id}
    told = _notified_starts(db_session, patient.id, list(predecessors.values()))
    debounce = timedelta(minutes=settings.confirmation_debounce_minutes)
    successors = {a.id for a in appointments if a.replaced_by_external_id}
    states: list[NoticeState] = []
    for snap in snapshots:
        if snap.starts_at <= now or (snap.status == AppointmentStatus.CANCELLED and snap.appointment_id in successors):
            continue  # a booking replaced by a new one is not "cancelled" to the patient: the new one's notice says it moved
        notified = told.get(snap.appointment_id)
        if notified is None and snap.appointment_id in predecessors:
            notified = told.get(predecessors[snap.appointment_id])  # what the patient knows is the old booking
        states.append(NoticeState(snap, notified))
    wanted.extend(plan_notices(states, reach, debounce))
    for appt in appointments:
        wanted.extend(plan_aftercare(course_session(appt), reach, zone, window))
        wanted.extend(plan_no_show_followup(course_session(appt), reach, zone, window))
    wanted.extend(wanted_for_courses(db_session, patient, every, settings, reach, zone, now, rows.courses))
    return wanted


def course_session(appt: Appointment) -> CourseSession:
    return CourseSession(appt.id, appt.starts_at, appt.starts_at + timedelta(minutes=appt.duration_minutes), appt.status)


def wanted_for_courses(
    db_session: DbSession,
    patient: Patient,
    appointments: Sequence[Appointment],
    settings: Settings,
    reach: Reach,
    zone: ZoneInfo,
    now: datetime,
    courses: Sequence[Course] | None = None,
) -> list[Wanted]:
    """Tips while a course runs, maintenance once it is over; course progress is saved for staff to see."""
    if courses is None:
        courses = db_session.execute(select(Course).where(Course.patient_id == patient.id).order_by(Course.id)).scalars().all()
    if not courses:
        return []
    sessions_by_course: dict[int, list[CourseSession]] = {c.id: [] for c in courses}
    future_booked = False
    for appt in appointments:
        future_booked |= appt.status == AppointmentStatus.BOOKED and appt.starts_at > now
        if appt.course_id in sessions_by_course:
            sessions_by_course[appt.course_id].append(course_session(appt))
    planned = {c.id: plans.planned_sessions(db_session, c) for c in courses}
    states = {
        c.id: course_state(
            sessions_by_course[c.id], planned[c.id], now, zone, interval_months=settings.maintenance_interval_months
        )
        for c in courses
    }
    library = tip_library(db_session, patient.language)
    assigned, last_sent = _tips_seen(db_session, patient.id)
    wanted: list[Wanted] = []
    for course in courses:
        state = states[course.id]
        course.started_at = state.first_session_at or course.started_at
        # Staff may close a course by hand (interrupted, or finished early): that stays, whatever the sessions say.
        course.completed_at = state.completed_at or course.completed_at
        stall = course_stall(db_session, course, sessions_by_course[course.id], planned[course.id], future_booked, zone, now)
        wanted.extend(plan_nudges(stall, reach, zone, window_of(settings)))
        if stall is not None and now >= stall.interrupted_at(zone):
            todo.add(db_session, TodoKind.COURSE_INTERRUPTED, stall.todo_key, now, patient_id=patient.id)
        course.maintenance_due_on = state.maintenance_due_on
        if state.active and course.completed_at is None:  # a course staff closed gets no more tips either
            wanted.extend(plan_tips(course.id, state, library, assigned.get(course.id, {}), last_sent, reach, zone, now))
        superseded = any(
            other.id != course.id
            and other.area.strip().lower() == course.area.strip().lower()
            and (other_first := states[other.id].first_session_at) is not None
            and state.last_session_at is not None
            and other_first > state.last_session_at
            for other in courses
        )
        wanted.extend(
            plan_maintenance(
                course.id,
                state.maintenance_due_on,
                superseded=superseded,
                future_session_booked=future_booked,
                reach=reach,
                zone=zone,
            )
        )
    return wanted


def course_stall(
    db_session: DbSession,
    course: Course,
    sessions: Sequence[CourseSession],
    planned: int | None,
    session_booked: bool,
    zone: ZoneInfo,
    now: datetime,
) -> Stall | None:
    """The course's stall, if it is waiting for a session nobody booked (the planner and its replan time agree)."""
    return find_stall(
        course.id,
        sessions,
        planned,
        plans.interval_days(db_session, course),
        closed=course.completed_at is not None,
        session_booked=session_booked,
        now=now,
        zone=zone,
    )


def tip_library(db_session: DbSession, language: str | None) -> list[TipRef]:
    """Active lifestyle tips in the patient's language (English when the clinic has none in it), in library order."""
    content = staff_content.get(db_session)
    for lang in dict.fromkeys((language_of(language), "en")):
        tips = content.active_tips(lang, LIFESTYLE_CATEGORIES)
        if tips:
            return [TipRef(t.id, t.category) for t in tips]
    return []


def _tips_seen(db_session: DbSession, patient_id: int) -> tuple[dict[int, dict[int, int]], dict[int, datetime]]:
    """Which tip each planned week got (per course), and when each tip last reached this patient."""
    assigned: dict[int, dict[int, int]] = {}
    last_sent: dict[int, datetime] = {}
    rows = db_session.execute(
        select(Reminder.course_id, Reminder.context, Reminder.status, Reminder.sent_at).where(
            Reminder.patient_id == patient_id, Reminder.kind == ReminderKind.TIP
        )
    ).all()
    for course_id, context, status, sent_at in rows:
        variables = (context or {}).get("variables", {})
        tip_id, week = variables.get("tip_id"), variables.get("week")
        if tip_id is None:
            continue
        if status in (*OPEN, *WENT_OUT) and course_id is not None and week is not None:
            assigned.setdefault(course_id, {})[int(week)] = int(tip_id)
        if status in WENT_OUT and sent_at is not None:
            last_sent[int(tip_id)] = max(sent_at, last_sent.get(int(tip_id), sent_at))
    return assigned, last_sent


def _notified_starts(db_session: DbSession, patient_id: int, predecessor_ids: list[int]) -> dict[int, datetime]:
    """For each appointment, the start time the patient was last told is booked; none after a cancellation notice.

    One confirmation may name several sessions booked together: each one it named counts as told.
    """
    rows = db_session.execute(
        select(Reminder.appointment_id, Reminder.kind, Reminder.planned_for, Reminder.context)
        .where(
            # A booking this one replaced may sit with another patient row (a booking system's second record).
            (Reminder.patient_id == patient_id) | Reminder.appointment_id.in_(predecessor_ids),
            Reminder.kind.in_(NOTICE_KINDS),
            Reminder.status.in_((ReminderStatus.SENDING, ReminderStatus.SENT, ReminderStatus.DELIVERED)),
        )
        .order_by(Reminder.id)
    ).all()
    told: dict[int, datetime | None] = {}
    for appointment_id, kind, planned_for, context in rows:  # in send order: the last word counts
        if kind == ReminderKind.CANCELLATION_NOTICE:
            told[appointment_id] = None
            continue
        named = (context or {}).get("appointments") or [[appointment_id, planned_for.isoformat() if planned_for else None]]
        for named_id, start in named:
            told[int(named_id)] = datetime.fromisoformat(start) if start else planned_for
    return {a: start for a, start in told.items() if start is not None}


def _insert_ignoring_duplicates(db_session: DbSession, rows: list[dict[str, object]]) -> int:
    """One INSERT for all new rows; a row a concurrent planner already made is skipped, not an error."""
    if not rows:
        return 0
    insert = pg_insert if db_session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = cast(Table, Reminder.__table__)  # Core, not ORM bulk: every row keeps every key
    stmt = insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.id)
    # Counted from RETURNING: a driver's rowcount for a multi-row upsert may be -1 ("planned -400"). The rows go as
    # parameters (SQLAlchemy batches them into one INSERT … VALUES), so the statement is compiled once per process.
    return len(db_session.execute(stmt, rows).all())


def _why_unwanted(row: Reminder, appointments: dict[int, Appointment]) -> str:
    if row.kind in MAINTENANCE_KINDS:
        return UNWANTED + "a session is booked, or a newer course has started"
    if row.kind == ReminderKind.TIP:
        return UNWANTED + "the course is over"
    if row.kind == ReminderKind.REBOOK:
        return UNWANTED + "a session is booked, or the course is closed, or the patient cannot be reached that way"
    appt = appointments.get(row.appointment_id or -1)
    if appt is not None and appt.status != AppointmentStatus.BOOKED:
        return UNWANTED + f"the session is {appt.status.replace('_', '-')}"
    if appt is not None and row.planned_for is not None and appt.starts_at != row.planned_for:
        return UNWANTED + "the session was moved"
    if row.kind == ReminderKind.CONFIRMATION:
        return UNWANTED + "another session was booked with it: one confirmation names them all"
    if row.dedupe_key.startswith("session:"):
        return UNWANTED + "the day's sessions changed: one reminder names them all"
    return UNWANTED + "the rules or the patient's details changed"


def replan_at(
    db_session: DbSession, patient: Patient, settings: Settings, now: datetime, rows: PatientRows | None = None
) -> datetime:
    """When time alone may next change what the rules want for this patient (NEVER: only an event can)."""
    zone = ZoneInfo(patient.timezone or settings.clinic_timezone)
    rows = rows or patient_rows(db_session, patient)
    sessions = [
        (a.course_id, CourseSession(a.id, a.starts_at, a.starts_at + timedelta(minutes=a.duration_minutes), a.status))
        for a in rows.appointments
    ]
    future_booked = any(s.status == AppointmentStatus.BOOKED and s.starts_at > now for _, s in sessions)
    courses = []
    for c in rows.courses:
        own = tuple(s for course_id, s in sessions if course_id == c.id)
        planned = plans.planned_sessions(db_session, c)
        stall = course_stall(db_session, c, own, planned, future_booked, zone, now)
        courses.append(CourseFacts(own, planned, stall))
    at = next_replan_at([s for _, s in sessions], courses, now, zone, interval_months=settings.maintenance_interval_months)
    return NEVER if at is None else at


def _remember_replan_at(db_session: DbSession, patient: Patient, at: datetime) -> None:
    """Store it without touching `updated_at` (which tells staff when someone changed the patient, not the planner)."""
    if patient.replan_at == at:
        return
    db_session.execute(
        update(Patient)
        .where(Patient.id == patient.id)
        .values(replan_at=at, updated_at=Patient.updated_at)
        .execution_options(synchronize_session=False)
    )
    db_session.expire(patient, ["replan_at"])  # read again if asked (a rolled-back savepoint must not leave it stale)


def plan_patient(db_session: DbSession, patient: Patient, settings: Settings, now: datetime) -> PlanResult:
    # First, so that the patient's row is locked before any reminder's, in the order the dispatcher and webhooks use.
    loaded = patient_rows(db_session, patient)  # one read of the appointments and courses for both
    _remember_replan_at(db_session, patient, replan_at(db_session, patient, settings, now, loaded))
    result = PlanResult(patients=1)
    wanted = {w.dedupe_key: w for w in wanted_for_patient(db_session, patient, settings, now, loaded)}
    rows = (
        db_session.execute(
            select(Reminder).where(
                Reminder.patient_id == patient.id,
                (Reminder.status == ReminderStatus.PENDING) | Reminder.dedupe_key.in_(list(wanted)),
            )
        )
        .scalars()
        .all()
    )
    existing = {r.dedupe_key: r for r in rows}

    new_rows: list[dict[str, object]] = []
    for key, w in wanted.items():
        row = existing.get(key)
        if row is None:
            new_rows.append(
                {
                    "patient_id": patient.id,
                    "appointment_id": w.appointment_id,
                    "course_id": w.course_id,
                    "kind": w.kind,
                    "channel": w.channel.value,
                    "dedupe_key": key,
                    "planned_for": w.planned_for,
                    "due_at": w.due_at,
                    "next_attempt_at": w.due_at,
                    "expires_at": w.expires_at,
                    "context": {"appointments": [list(a) for a in w.appointments], "variables": dict(w.variables)},
                    **lifecycle.planned(now),
                },
            )
        elif row.status == ReminderStatus.CANCELLED and (row.status_reason or "").startswith(UNWANTED):
            lifecycle.revive(row, due_at=w.due_at, channel=w.channel, expires_at=w.expires_at)
            result.updated += 1
        elif lifecycle.is_movable(row) and (row.due_at, row.channel, row.expires_at) != (w.due_at, w.channel, w.expires_at):
            lifecycle.replan(row, due_at=w.due_at, channel=w.channel, expires_at=w.expires_at)
            result.updated += 1

    result.created += _insert_ignoring_duplicates(db_session, new_rows)

    stale = [r for r in rows if r.status == ReminderStatus.PENDING and r.dedupe_key not in wanted]
    if stale:
        appointments = {
            a.id: a
            for a in db_session.execute(
                select(Appointment).where(Appointment.id.in_({r.appointment_id for r in stale if r.appointment_id}))
            ).scalars()
        }
        for row in stale:
            lifecycle.cancel(row, _why_unwanted(row, appointments))
            result.cancelled += 1
    return result


def plan_due(db_session: DbSession, settings: Settings, now: datetime, *, limit: int | None = None) -> PlanResult:
    """Plan every patient whose plan time alone may have changed by `now`, and those never planned yet.

    Each planning stores the next such instant in `Patient.replan_at` (indexed), so this costs what has
    come due, not the size of the patient list. `limit` plans the first ones only (the sweep commits in batches).
    """
    query = select(Patient.id).where(or_(Patient.replan_at.is_(None), Patient.replan_at <= now)).order_by(Patient.id).limit(limit)
    result = PlanResult()
    for patient_id in db_session.execute(query).scalars().all():
        patient = db_session.get(Patient, patient_id)
        if patient is not None:
            result += plan_patient(db_session, patient, settings, now)
    return result


def plan_changed(db_session: DbSession, settings: Settings, now: datetime) -> PlanResult:
    """Plan every patient with an appointment changed since it was last planned."""
    result = PlanResult()
    patient_ids = (
        db_session.execute(select(Appointment.patient_id).where(Appointment.needs_planning.is_(True)).distinct()).scalars().all()
    )
    for patient_id in patient_ids:
        patient = db_session.get(Patient, patient_id)
        if patient is not None:
            result += plan_patient(db_session, patient, settings, now)
        db_session.execute(update(Appointment).where(Appointment.patient_id == patient_id).values(needs_planning=False))
    return result
