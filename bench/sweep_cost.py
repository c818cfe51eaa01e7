"""The time-driven sweep: a `reminders tick` with nothing due at 1,000 vs 100,000 patients, and the daily sweep
when few or many patients' plans have come due.

Every patient has a course that time moves: half an open course (a session attended 6 days ago, the next booked
in 3 weeks, a tip a week), half a completed one whose maintenance falls due in 45 days. Nothing is due: no message,
no plan change (the confirmations went out, the next tip is days ahead). Rows go in with COPY; each patient's
`replan_at` is what the planner would store (`domain/replanning.next_replan_at`), so the bench measures the sweep,
not a first planning of 100,000 patients.

`BENCH_SWEEP_PATIENTS=1000,10000` changes the two sizes (the sweep before `replan_at` plans every such patient on
every tick: at 100,000 one tick takes tens of minutes).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update

from bench.common import bench_settings, copy_rows, fresh_database, make_app
from service import jobs, ticker
from service.domain.courses import CourseSession, add_months
from service.extensions import db
from service.models import Patient
from service.timeutil import utcnow

PARIS = ZoneInfo("Europe/Paris")
HAS_REPLAN_AT = hasattr(Patient, "replan_at")  # False when measuring the code before it
FEW, MANY = 100, 2_000  # patients whose plans came due, for the daily sweep
BOOKED_AHEAD = timedelta(days=30)  # each session was booked this long before it
COURSE_COLUMNS = [
    "patient_id",
    "area",
    "treatment",
    "kind",
    "sessions_planned",
    "started_at",
    "completed_at",
    "maintenance_due_on",
    "created_at",
]
APPOINTMENT_COLUMNS = [
    "patient_id",
    "course_id",
    "source",
    "external_id",
    "starts_at",
    "local_starts_at",
    "timezone",
    "duration_minutes",
    "treatment",
    "area",
    "status",
    "slot_changed_at",
    "needs_planning",
    "created_at",
    "updated_at",
]
REMINDER_COLUMNS = [
    "patient_id",
    "appointment_id",
    "kind",
    "channel",
    "dedupe_key",
    "planned_for",
    "due_at",
    "next_attempt_at",
    "status",
    "sent_at",
    "attempts",
    "context",
    "created_at",
    "updated_at",
]


def _sizes() -> tuple[int, int]:
    small, large = os.environ.get("BENCH_SWEEP_PATIENTS", "1000,100000").split(",")
    return int(small), int(large)


def _local(moment: datetime) -> datetime:
    return moment.astimezone(PARIS).replace(tzinfo=None)


def populate(url: str, count: int, now: datetime) -> None:
    """`count` patients, one course each, one or two sessions; the sent confirmation of every booked session."""
    attended_at = now - timedelta(days=6)  # out of the planner's 5-day look-back: its aftercare is over
    last_year = now + timedelta(days=45) - timedelta(days=365)
    patients, courses, appointments, notices = [], [], [], []
    for i in range(count):
        pid = i + 1
        booked_at = now + timedelta(days=21, minutes=i % 1440)
        open_course = i % 2 == 0
        replan: datetime | None = None
        if open_course:
            courses.append((pid, "thighs", "mesotherapy", "initial", 6, attended_at, None, None, now))
            appointments.append((pid, pid, "bench", f"a{pid}", attended_at, _local(attended_at), "completed", now))
            appointments.append((pid, pid, "bench", f"b{pid}", booked_at, _local(booked_at), "booked", now))
            booked_id = len(appointments)  # ids follow the order of the COPY
            told = booked_at - BOOKED_AHEAD + timedelta(minutes=3)  # when it was booked, after the debounce
            notices.append((pid, booked_id, "confirmation", "sms", f"bench:confirm:{pid}", booked_at, told, told, "sent", told))
        else:
            due_on = add_months(last_year.astimezone(PARIS).date(), 12)
            courses.append(
                (pid, "thighs", "mesotherapy", "initial", 1, last_year, last_year + timedelta(minutes=10), due_on, now)
            )
            appointments.append((pid, pid, "bench", f"a{pid}", last_year, _local(last_year), "completed", now))
        if HAS_REPLAN_AT:
            from service.domain.replanning import CourseFacts, next_replan_at

            sessions = tuple(
                CourseSession(n, at, at + timedelta(minutes=10), status)
                for n, (_, _, _, _, at, _, status, _) in enumerate(appointments[-2 if open_course else -1 :])
            )
            facts = CourseFacts(sessions, 6 if open_course else 1)
            replan = next_replan_at(list(sessions), [facts], now, PARIS)
            assert replan is not None and replan > now + timedelta(hours=1), replan
        patients.append((f"P{i}", "", f"+3361{i:07d}", "Europe/Paris", "en", True, False, now, now, replan))
    patient_columns = ["first_name", "last_name", "phone", "timezone", "language", "sms_consent", "email_consent"]
    patient_columns += ["created_at", "updated_at", *(["replan_at"] if HAS_REPLAN_AT else [])]
    copy_rows(url, "patient", patient_columns, (row if HAS_REPLAN_AT else row[:-1] for row in patients))
    copy_rows(
        url,
        "course",
        COURSE_COLUMNS,
        iter(courses),
    )
    rows: Iterator[tuple[Any, ...]] = (
        (
            p,
            c,
            src,
            ext,
            at,
            local,
            "Europe/Paris",
            10,
            "mesotherapy",
            "thighs",
            status,
            at - BOOKED_AHEAD,
            False,
            made,
            made,
        )
        for p, c, src, ext, at, local, status, made in appointments
    )
    copy_rows(
        url,
        "appointment",
        APPOINTMENT_COLUMNS,
        rows,
    )
    copy_rows(
        url,
        "reminder",
        REMINDER_COLUMNS,
        (
            (p, a, k, ch, key, planned, due, nxt, st, sent, 1, "{}", now, now)
            for p, a, k, ch, key, planned, due, nxt, st, sent in notices
        ),
    )


def settle(url: str) -> None:
    """VACUUM what COPY loaded, so that autovacuum does not start on it in the middle of the measurement."""
    import psycopg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) patient, course, appointment, reminder")


def _timed(work: Any) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def measure_tick(count: int, repeat: int) -> float:
    """Median seconds of a full tick (plan what changed, sweep, dispatch) with nothing due."""
    with fresh_database() as url:
        settings = bench_settings(url)
        app = make_app(settings)
        now = utcnow()
        populate(url, count, now)
        settle(url)
        with app.app_context():
            ticker.tick(now)  # warm-up: before `replan_at`, the first tick plans the reminders ahead
            timings = [_timed(lambda: ticker.tick(now)) for _ in range(repeat)]
            db.session.remove()
            db.engine.dispose()
    return statistics.median(timings)


def measure_sweep(count: int, due: tuple[int, ...]) -> list[tuple[int, float]]:
    """Seconds of the daily sweep when `due` patients' plans have come due (each on the database as left by the last)."""
    results = []
    with fresh_database() as url:
        settings = bench_settings(url)
        app = make_app(settings)
        now = utcnow()
        populate(url, count, now)
        settle(url)
        with app.app_context():
            jobs.plan_sweep(now)  # warm-up, as above
            for n, k in enumerate(due):
                at = now + timedelta(minutes=n + 1)
                if HAS_REPLAN_AT:  # `k` patients not planned by this sweep yet, whose plans came due
                    first = 1 + sum(due[:n])
                    db.session.execute(
                        update(Patient)
                        .where(Patient.id.between(first, first + k - 1))
                        .values(replan_at=at - timedelta(seconds=1))
                    )
                    db.session.commit()
                results.append((k, _timed(lambda at=at: jobs.plan_sweep(at))))
            db.session.remove()
            db.engine.dispose()
    return results


def main() -> list[tuple[str, str, str]]:
    small, large = _sizes()
    code = "with replan_at" if HAS_REPLAN_AT else "before replan_at"
    repeat = 20 if HAS_REPLAN_AT else 2
    tick_small = measure_tick(small, repeat)
    tick_large = measure_tick(large, repeat)
    rows = [
        (f"tick, nothing due, {small:,} patients ({code})", f"{tick_small * 1000:.1f} ms (median of {repeat})", ""),
        (
            f"tick, nothing due, {large:,} patients ({code})",
            f"{tick_large * 1000:.1f} ms, ratio {tick_large / tick_small:.2f}",
            "ratio < 2",
        ),
    ]
    for k, seconds in measure_sweep(large, (FEW, MANY) if HAS_REPLAN_AT else (large,)):
        per = seconds / k * 1000
        rows.append(
            (
                f"daily sweep, {large:,} patients, {k:,} plans due ({code})",
                f"{seconds:.2f} s ({per:.1f} ms a patient)",
                "grows with the plans due",
            )
        )
    return rows


if __name__ == "__main__":
    for label, value, goal in main():
        print(f"{label}: {value}   goal: {goal}", flush=True)
