"""`reminders tick` says in plain words what it did, and its counts are the rows it touched."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from service.extensions import db
from service.models import Appointment, Reminder
from tests.helpers import booking, paris, post_booking, tick


def counts(summary: str) -> dict[str, int]:
    return {word: int(n) for word, n in re.findall(r"([a-z]+) (-?\d+)", summary)}


def test_the_summary_counts_the_rows_planned_updated_and_cancelled(app, client):
    for i in range(4):
        post_booking(
            client, booking(paris(6, 10 + i), event_id=f"b{i}", appointment_id=f"a{i}", id=f"p{i}", phone=f"+3361234560{i}")
        )
    with app.app_context():  # the webhooks planned already; make every patient's plan run again in the tick
        db.session.execute(Reminder.__table__.delete())
        db.session.execute(Appointment.__table__.update().values(needs_planning=True))
        db.session.commit()

    first = counts(tick(app, paris(1, 3, 0)))  # at night: nothing is sent
    with app.app_context():
        rows = db.session.execute(select(func.count()).select_from(Reminder)).scalar_one()
    assert first["planned"] == rows and rows >= 4 * 4  # per patient: a confirmation and three session reminders at least
    assert set(first) >= {"planned", "updated", "cancelled", "sent", "failed", "deferred", "skipped", "retrying", "recovered"}

    post_booking(
        client,
        booking(paris(6, 10), event_id="cx", appointment_id="a0", id="p0", phone="+33612345600", type="appointment.cancelled"),
    )
    again = counts(tick(app, paris(1, 3, 0)))
    assert again["planned"] == 0 and all(n >= 0 for n in again.values())
