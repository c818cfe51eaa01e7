"""A dispatcher killed with SIGKILL in the middle of a batch: after a restart every reminder is sent, none twice.

The one window the outbox cannot close by itself: Twilio accepted a message and the
process died before recording it. Twilio's status callback, carrying our reminder
id, settles those; this test counts them and reports how many there were.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from service.extensions import db
from service.models import Reminder
from tests.conftest import CLINIC_PHONE, WEBHOOK_SECRET
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER
from tests.faults.test_provider_chaos import relay_callbacks
from tests.helpers import assert_one_of_each_pair_sent, booking, local_day, post_booking, tick

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
PARIS = ZoneInfo("Europe/Paris")


def paris(days: int, hour: int = 16, minute: int = 0) -> datetime:
    return local_day(PARIS, days, hour, minute)


def dispatcher_process(settings, at: datetime, log: Path | None = None, **extra: str) -> subprocess.Popen[str]:
    """`flask reminders tick` in a process of its own, configured like the app under test.

    Give several processes a `log` file each: a pipe read only at the end fills up, and a process blocked on
    writing its log stops sending (it looked like one dispatcher taking all the work).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SMTP_", "DATABASE_URL", "SECRET_KEY"))}
    env.update(
        {
            "RECALL_ENV": "test",
            "DATABASE_URL": settings.database_url,
            "SECRET_KEY": settings.secret_key,
            "CLINIC_NAME": settings.clinic_name,
            "CLINIC_PHONE": CLINIC_PHONE,
            "CLINIC_TIMEZONE": settings.clinic_timezone,
            "PUBLIC_BASE_URL": settings.public_base_url,
            "BOOKING_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": FROM_NUMBER,
            "TWILIO_API_BASE_URL": settings.twilio_api_base_url,
            "SMS_RATE_PER_SECOND": "1000",
            "SCHEDULER_ENABLED": "false",
            "DISPATCH_BATCH_SIZE": "100",
            **extra,
        }
    )
    output = log.open("w") if log is not None else subprocess.PIPE
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "reminders", "tick", "--at", at.isoformat()],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_dispatcher_killed_mid_batch_loses_nothing_and_sends_nothing_twice(app, client, fake_twilio, settings):
    starts = paris(5)
    for i in range(40):
        assert (
            post_booking(
                client, booking(starts, event_id=f"b{i}", appointment_id=f"a{i}", id=f"p{i}", phone=f"+336123451{i:02d}")
            ).status_code
            == 200
        )
    at = starts - timedelta(hours=24)
    fake_twilio.answer_delay = 0.3  # Twilio takes each message, then answers late: a kill falls inside the window
    process = dispatcher_process(settings, at)
    deadline = time.monotonic() + 60
    while len(fake_twilio.messages) < 8:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        assert time.monotonic() < deadline, "the dispatcher never started sending"
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    fake_twilio.answer_delay = 0.0

    with app.app_context():
        recorded = set(
            db.session.execute(select(Reminder.provider_message_id).where(Reminder.provider_message_id.is_not(None))).scalars()
        )
        stuck = db.session.execute(select(Reminder.id).where(Reminder.status == "sending")).scalars().all()
    in_window = [m for m in fake_twilio.messages if m["sid"] not in recorded]
    assert stuck, "the kill should leave claimed rows behind"
    assert in_window, "the kill should fall between Twilio taking a message and our commit"

    with time_machine.travel(at + timedelta(minutes=1), tick=False):  # Twilio reports on what it took, naming our reminder
        relay_callbacks(client, fake_twilio, set())
    tick(app, at + timedelta(minutes=10))  # the restarted service: leases expire, the rest is sent

    per_reminder = Counter(int(m["status_callback"].rsplit("=", 1)[1]) for m in fake_twilio.messages)
    with app.app_context():
        wanted = db.session.execute(select(Reminder).where(Reminder.kind.in_(("confirmation", "reminder_24h")))).scalars().all()
        reconciled = (
            db.session.execute(select(Reminder.id).where(Reminder.status_reason.like("confirmed by Twilio's status callback%")))
            .scalars()
            .all()
        )
        assert_one_of_each_pair_sent(wanted, patients=40)
    assert all(per_reminder[r.id] == 1 for r in wanted if r.status == "sent"), per_reminder.most_common(3)
    assert max(per_reminder.values()) == 1
    print(
        f"\nsigkill: {len(stuck)} rows left mid-send, {len(in_window)} taken by Twilio but not recorded "
        f"(the window), {len(reconciled)} settled by status callback, 0 sent twice"
    )
