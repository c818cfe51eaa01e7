"""The cost of a dispatch tick as the outbox grows: 1,000 vs 1,000,000 pending future reminders, 100,000 patients."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from sqlalchemy import select, text

from bench.common import REMINDER_COLUMNS, bench_settings, copy_rows, fresh_database, make_app, senders_of
from service.dispatcher import Dispatcher
from service.extensions import db
from service.models import Reminder
from service.timeutil import utcnow

PATIENTS = 100_000


def measure(future: int) -> tuple[float, str]:
    with fresh_database() as url:
        settings = bench_settings(url)
        app = make_app(settings)
        now = utcnow()
        copy_rows(
            url,
            "patient",
            ["first_name", "last_name", "language", "sms_consent", "email_consent", "created_at", "updated_at"],
            ((f"P{i}", "", "en", True, False, now, now) for i in range(PATIENTS)),
        )
        later = now + timedelta(days=30)
        copy_rows(
            url,
            "reminder",
            REMINDER_COLUMNS,
            (
                (
                    i % PATIENTS + 1,
                    "reminder_24h",
                    "sms",
                    f"f:{i}",
                    later + timedelta(seconds=i),
                    later + timedelta(seconds=i),
                    "pending",
                    0,
                    "{}",
                    now,
                    now,
                )
                for i in range(future)
            ),
        )
        with app.app_context():
            dispatcher = Dispatcher(db.session, senders_of(app), settings)
            timings = []
            for _ in range(20):  # nothing is due: the tick is the due scan and the lease recovery
                started = time.perf_counter()
                dispatcher.run(now)
                timings.append(time.perf_counter() - started)
            due = (
                select(Reminder.id)
                .where(Reminder.status == "pending", Reminder.next_attempt_at <= now)
                .order_by(Reminder.next_attempt_at, Reminder.id)
                .limit(100)
                .with_for_update(skip_locked=True)
            )
            compiled = due.compile(db.engine, compile_kwargs={"literal_binds": True})
            plan = "\n".join(r[0] for r in db.session.execute(text(f"EXPLAIN ANALYZE {compiled}")))
            db.session.remove()
            db.engine.dispose()
        return statistics.median(timings), plan


def main() -> tuple[list[tuple[str, str, str]], str]:
    small, _ = measure(1_000)
    large, plan = measure(1_000_000)
    return [
        ("dispatch tick, 1,000 pending future reminders", f"{small * 1000:.1f} ms (median of 20)", ""),
        ("dispatch tick, 1,000,000 pending future reminders", f"{large * 1000:.1f} ms, ratio {large / small:.2f}", "ratio < 2"),
    ], plan
