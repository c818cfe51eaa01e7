"""The time-driven sweep plans a patient when time alone can change its plan, not before, and never misses it.

`Patient.replan_at` holds that instant; `reminders tick --at` just before it leaves the patient alone, at it plans
the patient (and what came due: a week's tip entering the planning horizon, a course complete by time alone).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

import service.jobs
import service.planner
from service.domain.care import TIP_HORIZON
from service.extensions import db
from service.models import Course, Patient, Reminder
from tests.helpers import book, booking, local_day, tick

PARIS = ZoneInfo("Europe/Paris")
MINUTE = timedelta(minutes=1)


def on(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS).astimezone(UTC)  # an instant


def with_course(body: dict, planned: int | None = None) -> dict:
    body["appointment"]["course"] = {"id": "c1", **({"sessions_planned": planned} if planned else {})}
    return body


@pytest.fixture
def planned(monkeypatch) -> list[tuple[int, datetime]]:
    """Every (patient, instant) the scheduled jobs plan from now on."""
    calls: list[tuple[int, datetime]] = []
    real = service.planner.plan_patient

    def spy(session, patient, settings, now):
        calls.append((patient.id, now))
        return real(session, patient, settings, now)

    monkeypatch.setattr(service.planner, "plan_patient", spy)
    return calls


def replan_at(app) -> datetime | None:
    with app.app_context():
        return db.session.execute(select(Patient.replan_at)).scalar_one()


def tip_weeks(app) -> list[int]:
    with app.app_context():
        contexts = db.session.execute(select(Reminder.context).where(Reminder.kind == "tip")).scalars().all()
    return sorted(c["variables"]["week"] for c in contexts)


def test_a_patient_is_planned_again_when_time_can_change_its_plan_and_not_before(app, client, fake_twilio, planned):
    starts = local_day(PARIS, 3, 11, 0)
    body = with_course(booking(starts, email="camille@example.test", email_consent=True, language="en"), planned=6)
    book(app, client, fake_twilio, body)  # planned by the webhook; the confirmation went out
    # Nothing changes with time before week 1's tip (10:00 local, a week after the first session's day) enters
    # the planning horizon: not the session, which comes later.
    week1 = on(starts.astimezone(PARIS).date() + timedelta(weeks=1))
    first_change = week1 - TIP_HORIZON
    assert replan_at(app) == first_change
    assert tip_weeks(app) == []

    tick(app, first_change - MINUTE)
    assert planned == [] and tip_weeks(app) == []

    tick(app, first_change)
    assert [at for _, at in planned] == [first_change]
    ((patient_id, _),) = planned
    assert tip_weeks(app) == [1]  # planned the moment it entered the horizon
    # Next: the session starts (its notices stop being wanted, "a session booked ahead" flips).
    assert replan_at(app) == starts

    planned.clear()
    tick(app, starts - MINUTE)
    assert planned == []
    tick(app, starts + MINUTE)  # a tick after the instant plans it too
    assert planned == [(patient_id, starts + MINUTE)]
    assert replan_at(app) == starts + timedelta(minutes=10)  # the session ends: it counts as attended


def test_a_course_complete_by_time_alone_gets_its_maintenance_reminders_through_the_narrowed_sweep(
    app, client, fake_twilio, planned
):
    starts = local_day(PARIS, 3, 11, 0)
    book(app, client, fake_twilio, with_course(booking(starts)))  # no number of sessions: complete 8 weeks after
    for moment in (starts + timedelta(days=1), starts + timedelta(weeks=3), starts + timedelta(weeks=8) - MINUTE):
        tick(app, moment)
    with app.app_context():
        assert db.session.execute(select(Course.completed_at)).scalar_one() is None
    assert replan_at(app) == starts + timedelta(weeks=8)
    planned.clear()

    tick(app, starts + timedelta(weeks=8))
    assert len(planned) == 1
    with app.app_context():
        course = db.session.execute(select(Course)).scalar_one()
        assert course.completed_at == starts + timedelta(weeks=8)
        kinds = db.session.execute(select(Reminder.kind, Reminder.status).where(Reminder.kind.like("maintenance%"))).all()
    assert sorted(kinds) == [("maintenance_due", "pending"), ("maintenance_early", "pending"), ("maintenance_overdue", "pending")]
    # Maintenance 30 days before: planned long ago, sent at its time.
    fake_twilio.messages.clear()
    tick(app, on(course.maintenance_due_on - timedelta(days=30)))
    assert len(fake_twilio.messages) == 1


def test_after_the_upgrade_a_patient_never_planned_since_is_swept_once(app, client, fake_twilio, planned):
    starts = local_day(PARIS, 3, 11, 0)
    book(app, client, fake_twilio, with_course(booking(starts), planned=1))
    with app.app_context():  # as migration 0006 leaves every existing patient
        db.session.execute(update(Patient).values(replan_at=None))
        db.session.commit()
    later = starts + timedelta(days=3)  # the only session is done: the course is complete
    tick(app, later)
    assert len(planned) == 1
    with app.app_context():
        assert db.session.execute(select(Course.completed_at)).scalar_one() is not None
        assert db.session.execute(select(Reminder.kind).where(Reminder.kind == "maintenance_due")).scalar_one()
    assert replan_at(app) is not None and replan_at(app) > later
    tick(app, later + MINUTE)
    assert len(planned) == 1


def test_a_patient_whose_plan_time_cannot_change_is_never_swept(app, client, planned):
    with app.app_context():
        db.session.add(Patient(first_name="Ada", phone="+33611223344", sms_consent=True))
        db.session.commit()
    tick(app, local_day(PARIS, 1, 9, 0))  # never planned: swept once
    assert len(planned) == 1 and replan_at(app) == service.planner.NEVER
    tick(app, local_day(PARIS, 400, 9, 0))
    assert len(planned) == 1


def test_the_sweep_plans_in_batches_until_none_is_due(app, monkeypatch):
    monkeypatch.setattr(service.jobs, "SWEEP_BATCH", 2)
    with app.app_context():
        db.session.add_all(Patient(first_name=f"P{i}") for i in range(5))
        db.session.commit()
        result = service.jobs.plan_sweep(local_day(PARIS, 1, 9, 0))
        assert result is not None and result.patients == 5
        assert db.session.execute(select(Patient.id).where(Patient.replan_at.is_(None))).all() == []
        again = service.jobs.plan_sweep(local_day(PARIS, 1, 9, 1))
        assert again is not None and again.patients == 0


def test_a_sweep_kept_waiting_by_another_planning_job_carries_on_once_it_is_done(app, monkeypatch):
    """The 5-minute planning holds the lock between two of the sweep's batches: the sweep waits, then finishes."""
    monkeypatch.setattr(service.jobs, "SWEEP_BATCH", 2)
    monkeypatch.setattr(service.jobs, "time", SimpleNamespace(sleep=lambda seconds: None), raising=False)
    real, busy = service.jobs._with_planning_lock, iter([False, True, True, False])

    def sometimes_busy(session, work):
        return None if next(busy, False) else real(session, work)

    monkeypatch.setattr(service.jobs, "_with_planning_lock", sometimes_busy)
    with app.app_context():
        db.session.add_all(Patient(first_name=f"P{i}") for i in range(5))
        db.session.commit()
        result = service.jobs.plan_sweep(local_day(PARIS, 1, 9, 0))
        assert result is not None and result.patients == 5
        assert db.session.execute(select(Patient.id).where(Patient.replan_at.is_(None))).all() == []
