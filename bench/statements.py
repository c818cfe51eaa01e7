"""SQL statements per send and per booking webhook, counted with a `before_cursor_execute` listener.

Bookings go through the signed generic webhook (Flask's test client, no server), so the
count is the application's alone; the first booking of the process is counted apart from
the rest (the per-process caches are cold for it). Then the dispatcher sends what the
bookings planned, at the moments it falls due: the confirmations, then the session
reminders, with the console transport (no provider: only the database work is counted).
The throughput bench's own reminders ("bench" kind, no session) are counted too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bench.common import Figure, bench_settings, counting_statements, fresh_database, make_app, senders_of
from bench.dispatch import seed
from bench.webhooks import SECRET, body, signed
from service.dispatcher import Dispatcher
from service.extensions import db
from service.models import Reminder
from service.timeutil import utcnow

BOOKINGS = 60
RETURNING = 20


def _next_session(raw: bytes) -> bytes:
    event = json.loads(raw)
    event["id"] += "-next"
    event["appointment"]["id"] += "-next"
    starts = datetime.fromisoformat(event["appointment"]["starts_at"]) + timedelta(days=7)
    event["appointment"]["starts_at"] = starts.isoformat()
    return json.dumps(event).encode()


def signed_body(raw: bytes) -> tuple[str, str, bytes, dict[str, str]]:
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    headers = {"X-Recall-Timestamp": stamp, "X-Recall-Signature": f"sha256={digest}", "Content-Type": "application/json"}
    return "POST", "/webhooks/generic", raw, headers


BENCH_SENDS = 300


def _dispatch(app: Any, settings: Any, now: datetime) -> tuple[int, int, dict[str, int]]:
    """Statements and settled reminders of one dispatcher run at `now`, one send at a time."""
    with app.app_context():
        dispatcher = Dispatcher(db.session, senders_of(app), settings)
        with counting_statements(db.engine) as count:
            report = dispatcher.run(now)
        db.session.remove()
    outcomes = {k: v for k, v in vars(report).items() if v and k != "recovered"}
    return count.total, sum(outcomes.values()), outcomes


def _said(outcomes: dict[str, int]) -> str:
    return ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))


def bookings_and_sends() -> list[Figure]:
    with fresh_database() as url:
        settings = bench_settings(url, booking_webhook_secret=SECRET, dispatch_concurrency=1, sms_rate_per_second=1000.0)
        app = make_app(settings)
        client = app.test_client()
        per_booking = []
        with app.app_context():
            engine = db.engine
        for i in range(BOOKINGS):
            method, path, data, headers = signed(i)
            with counting_statements(engine) as count:
                response = client.open(path, method=method, data=data, headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)[:200]
            per_booking.append(count.total)
        with app.app_context():
            first_due = db.session.execute(select(func.min(Reminder.next_attempt_at))).scalar_one()
            kinds = dict(
                db.session.execute(
                    select(Reminder.kind, func.count()).where(Reminder.status == "pending").group_by(Reminder.kind)
                ).all()
            )
            last_due = dict(
                db.session.execute(
                    select(Reminder.kind, func.max(Reminder.next_attempt_at))
                    .where(Reminder.kind.in_(("reminder_48h", "reminder_24h")))
                    .group_by(Reminder.kind)
                ).all()
            )
            db.session.remove()
        # The confirmations (due a few minutes after booking), then the 48-hour and the 24-hour reminders as each falls due.
        confirm = _dispatch(app, settings, max(first_due, utcnow()) + timedelta(minutes=10))
        remind_48h = _dispatch(app, settings, last_due["reminder_48h"] + timedelta(minutes=1))
        remind_24h = _dispatch(app, settings, last_due["reminder_24h"] + timedelta(minutes=1))
        remind_stmts, remind_settled = remind_48h[0] + remind_24h[0], remind_48h[1] + remind_24h[1]
        remind_outcomes = {k: remind_48h[2].get(k, 0) + remind_24h[2].get(k, 0) for k in {*remind_48h[2], *remind_24h[2]}}
        returning = []
        for i in range(RETURNING):  # the same patients' next session, a week later: the usual booking in a course, with history
            method, path, data, headers = signed_body(_next_session(body(i)))
            with counting_statements(engine) as count:
                response = client.open(path, method=method, data=data, headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)[:200]
            returning.append(count.total)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    rest = per_booking[1:]
    later = sum(rest) / len(rest)
    return [
        Figure(
            f"statements per booking webhook, first of the process ({BOOKINGS} signed generic bookings, planned inline)",
            f"{per_booking[0]} statements",
            "",
            per_booking[0],
            "lower",
        ),
        Figure(
            "statements per booking webhook, the later ones",
            f"{later:.1f} statements ({sum(kinds.values()) / BOOKINGS:.0f} reminders planned each)",
            "fewer",
            later,
            "lower",
        ),
        Figure(
            "statements per booking webhook, a returning patient's next session",
            f"{sum(returning) / len(returning):.1f} statements",
            "fewer",
            sum(returning) / len(returning),
            "lower",
        ),
        Figure(
            "statements per send: confirmations (a booked session of a course)",
            f"{confirm[0] / max(1, confirm[1]):.1f} statements ({_said(confirm[2])})",
            "fewer",
            confirm[0] / max(1, confirm[1]),
            "lower",
        ),
        Figure(
            "statements per send: session reminders (48 h and 24 h, each dispatched when due)",
            f"{remind_stmts / max(1, remind_settled):.1f} statements ({_said(remind_outcomes)})",
            "fewer",
            remind_stmts / max(1, remind_settled),
            "lower",
        ),
    ]


def bench_kind() -> list[Figure]:
    """The reminders of the throughput bench (no session), counted the same way."""
    with fresh_database() as url:
        settings = bench_settings(url, dispatch_concurrency=1, dispatch_batch_size=100, sms_rate_per_second=1000.0)
        app = make_app(settings)
        now = seed(url, app, BENCH_SENDS)
        stmts, settled, outcomes = _dispatch(app, settings, now)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return [
        Figure(
            f"statements per send: the throughput bench's reminders ({BENCH_SENDS}, no session, batches of 100)",
            f"{stmts / max(1, settled):.1f} statements ({_said(outcomes)})",
            "fewer",
            stmts / max(1, settled),
            "lower",
        )
    ]


def main() -> list[Figure]:
    return bench_kind() + bookings_and_sends()
