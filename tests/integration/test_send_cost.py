"""What one send costs in SQL: the locks, the checks, the record, and nothing read twice (docs/performance.md)."""

from __future__ import annotations

from sqlalchemy import event

from service.dispatcher import Dispatcher
from service.extensions import db
from service.runtime import get_senders, get_settings
from tests.helpers import booking, paris, post_booking

PER_RUN = 5  # lease recovery, then twice the SMS count and the claim (the second finds nothing)


def test_a_confirmation_costs_six_statements_and_still_checks_the_suppression_list_under_the_lock(app, client):
    assert post_booking(client, booking(paris(5))).status_code == 200
    with app.app_context():
        seen: list[str] = []

        def listen(conn, cursor, statement, *_):  # type: ignore[no-untyped-def]
            seen.append(" ".join(statement.split()).lower())

        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            report = Dispatcher(db.session, get_senders(app), get_settings(app)).run(paris(1, 9, 0))
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
        sqlite = db.engine.dialect.name == "sqlite"
    assert report.sent == 1
    per_send = seen[3:-2]
    # patient (locked), session (locked), reminder (locked) with the suppression check, redundancy, attempt, outcome;
    # SQLite takes its write lock first with an UPDATE.
    assert len(seen) - PER_RUN == len(per_send) == 6 + sqlite, per_send
    lock_reminder = next(s for s in per_send if s.startswith("select reminder.id") and "exists" in s)
    assert "from suppression" in lock_reminder
    if not sqlite:
        assert [s.rsplit(" for update", 1)[1].strip() for s in per_send if " for update" in s][:3] == [
            "of patient",
            "",
            "of reminder",
        ]
    assert not [s for s in per_send if "from message_template" in s or "from tip" in s or "from course" in s]
