"""The scheduler's jobs: one planner at a time across instances, a daily SMS cap, the job layout."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select, text

from service.extensions import db
from service.jobs import PLANNING_LOCK, dispatch_due, plan_changes
from service.models import Appointment, Reminder
from service.runtime import override
from service.scheduler import build_scheduler
from tests.helpers import booking, paris, post_booking


def test_while_another_instance_plans_this_one_skips_planning(app, client, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the advisory lock is PostgreSQL's; SQLite has one process")
    post_booking(client, booking(paris(5)))
    with app.app_context():
        db.session.execute(select(Appointment)).scalar_one().needs_planning = True
        db.session.commit()
    other = create_engine(database_url)
    with other.connect() as conn:  # another instance, mid-planning
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PLANNING_LOCK})
        with app.app_context():
            assert plan_changes(paris(1)) is None
            assert db.session.execute(select(Appointment.needs_planning)).scalar_one() is True
        conn.rollback()
    other.dispose()
    with app.app_context():
        assert plan_changes(paris(1)) is not None
        assert db.session.execute(select(Appointment.needs_planning)).scalar_one() is False


def test_the_daily_sms_cap_holds_the_rest_back_for_later(app, client, fake_twilio, settings):
    starts = paris(5)
    for i in range(3):
        # Hours apart: a confirmation due within the hour of its 24 h reminder would be skipped as unnecessary.
        post_booking(
            client,
            booking(
                starts + timedelta(hours=2 * i), event_id=f"b{i}", appointment_id=f"a{i}", id=f"p{i}", phone=f"+3361234567{i}"
            ),
        )
    override(app, settings=settings.with_overrides(sms_daily_cap=2))
    with app.app_context():
        report = dispatch_due(starts - timedelta(hours=24))
        held = (
            db.session.execute(
                select(Reminder).where(
                    Reminder.channel == "sms", Reminder.status == "pending", Reminder.status_reason.like("%daily SMS cap (2)%")
                )
            )
            .scalars()
            .all()
        )
    assert len(fake_twilio.messages) == 2 and report.sent == 2
    assert len(held) >= 1 and report.deferred == len(held)
    assert all(r.next_attempt_at > starts - timedelta(hours=24) for r in held)


def test_a_message_the_daily_cap_would_hold_past_its_usefulness_is_skipped_saying_so(app, client, fake_twilio, settings):
    starts = paris(5)
    for i in range(2):
        post_booking(client, booking(starts, event_id=f"b{i}", appointment_id=f"a{i}", id=f"p{i}", phone=f"+3361234567{i}"))
    override(app, settings=settings.with_overrides(sms_daily_cap=1))
    with app.app_context():
        # Half an hour before the sessions: the 2 h reminders are late but still useful, until the sessions start.
        report = dispatch_due(starts - timedelta(minutes=30))
        late = db.session.execute(select(Reminder).where(Reminder.kind == "reminder_2h")).scalars().all()
    assert len(fake_twilio.messages) == 1 and report.sent == 1
    (held,) = [r for r in late if r.status != "sent"]
    # Waiting an hour for the cap would pass the session: skipped with both reasons, never sent after it began.
    assert held.status == "skipped" and held.status_reason == (
        "the daily SMS cap (1) is reached until it was too late to be useful"
    )
    assert report.skipped >= 1 and report.deferred == 0


def test_the_scheduler_runs_dispatch_planning_with_the_sweep_recovery_and_housekeeping(app):
    scheduler = build_scheduler(app, blocking=False)
    scheduler.start(paused=True)  # jobs get their defaults once the scheduler starts; paused, nothing runs
    jobs = {job.id: job for job in scheduler.get_jobs()}
    scheduler.shutdown(wait=False)
    assert set(jobs) == {"dispatch", "plan", "recover", "housekeeping"}
    assert jobs["dispatch"].trigger.interval == timedelta(seconds=30)
    # Planning sweeps too (it costs what came due, not the patient list), from the start: a restart misses nothing.
    assert jobs["plan"].trigger.interval == timedelta(minutes=5) and jobs["plan"].args[1] == "plan"
    housekeeping = jobs["housekeeping"].trigger
    assert str(housekeeping.timezone) == "Europe/Paris" and str(housekeeping.fields[5]) == "3"
    assert all(j.max_instances == 1 and j.coalesce for j in jobs.values())
