"""Three dispatcher processes against one PostgreSQL database and 10,000 due reminders: each sent exactly once."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from service.extensions import db
from service.models import MessageTemplate, Patient, Reminder
from service.planner import NEVER
from service.timeutil import utcnow
from tests.faults.test_sigkill import dispatcher_process

pytestmark = pytest.mark.slow
COUNT = 10_000


def test_three_dispatchers_send_ten_thousand_reminders_each_exactly_once(app, fake_twilio, settings, database_url, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("several dispatchers at once is a PostgreSQL deployment (SKIP LOCKED); SQLite has one writer")
    now = utcnow()
    with app.app_context():
        db.session.add(
            MessageTemplate(
                kind="bulk_check",
                channel="sms",
                language="en",
                body="{{ clinic_name }}: hello {{ first_name }}. Reply STOP to opt out",
            )
        )
        db.session.execute(
            insert(Patient),
            [
                {
                    "first_name": f"P{i}",
                    "last_name": "",
                    "phone": f"+3361{i:07d}",
                    "language": "en",
                    "sms_consent": True,
                    "email_consent": False,
                    "timezone": "Europe/Paris",
                    "replan_at": NEVER,  # no sessions, no course: the planner would leave them be; it need not look
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(COUNT)
            ],
        )
        ids = db.session.execute(select(Patient.id).order_by(Patient.id)).scalars().all()
        at = now.replace(hour=12, minute=0) + timedelta(days=1)  # noon in Paris: inside every window
        db.session.execute(
            insert(Reminder),
            [
                {
                    "patient_id": pid,
                    "kind": "bulk_check",
                    "channel": "sms",
                    "dedupe_key": f"bulk:{pid}",
                    "due_at": at,
                    "next_attempt_at": at,
                    "status": "pending",
                    "attempts": 0,
                    "context": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for pid in ids
            ],
        )
        db.session.commit()

    started = time.monotonic()
    # No daily cap here: this is about sharing the work, not about the guard against runaway loops.
    logs = [tmp_path / f"dispatcher-{n}.log" for n in range(3)]
    workers = [dispatcher_process(settings, at + timedelta(minutes=1), log, SMS_DAILY_CAP="0") for log in logs]
    for worker in workers:
        worker.wait(timeout=600)
    outputs = [log.read_text() for log in logs]
    elapsed = time.monotonic() - started
    assert all(w.returncode == 0 for w in workers), outputs

    per_reminder = Counter(m["status_callback"].rsplit("=", 1)[1] for m in fake_twilio.messages)
    assert len(per_reminder) == COUNT and max(per_reminder.values()) == 1
    with app.app_context():
        statuses = dict(db.session.execute(select(Reminder.status, func.count()).group_by(Reminder.status)).all())
    assert statuses == {"sent": COUNT}
    shares = [int(o.split("sent ")[1].split(",")[0]) for o in (out.strip().splitlines()[-1] for out in outputs)]
    assert sum(shares) == COUNT and min(shares) >= COUNT // 10, shares  # all three did a real share of the work
    print(f"\nthree dispatchers: {COUNT} reminders in {elapsed:.1f} s, shares {shares}, 0 sent twice")
