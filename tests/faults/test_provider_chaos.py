"""A provider that fails 30 % of the time (500, 503, 429, timeouts): everything arrives in the end, exactly once."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from service.extensions import db
from service.models import Reminder, SendAttempt
from tests.fakes.twilio_api import AUTH_TOKEN
from tests.helpers import booking, local_day, post_booking, tick

pytestmark = pytest.mark.slow
PARIS = ZoneInfo("Europe/Paris")
PUBLIC = "https://recall.clinic.test"


def paris(days: int, hour: int = 16, minute: int = 0) -> datetime:
    return local_day(PARIS, days, hour, minute)


def relay_callbacks(client, fake_twilio, seen: set[str]) -> None:
    """What Twilio does for every message it took: a signed `sent` callback to the URL the message named."""
    for message in list(fake_twilio.messages):
        if message["sid"] in seen:
            continue
        seen.add(message["sid"])
        form = {
            "MessageSid": message["sid"],
            "MessageStatus": "sent",
            "AccountSid": message["account_sid"],
            "To": message["to"],
            "From": message["from"],
        }
        signature = RequestValidator(AUTH_TOKEN).compute_signature(message["status_callback"], form)
        response = client.post(
            message["status_callback"].removeprefix(PUBLIC), data=form, headers={"X-Twilio-Signature": signature}
        )
        assert response.status_code == 200


@pytest.mark.twilio_timeout(0.5)
def test_every_reminder_is_delivered_once_through_a_flaky_provider_and_permanent_errors_are_not_retried(app, client, fake_twilio):
    starts = paris(5)
    invalid = {f"+336123450{i:02d}" for i in range(3)}
    for i in range(30):
        phone = f"+336123450{i:02d}"
        assert (
            post_booking(
                client, booking(starts + timedelta(minutes=i), event_id=f"b{i}", appointment_id=f"a{i}", id=f"p{i}", phone=phone)
            ).status_code
            == 200
        )
    fake_twilio.invalid_numbers = invalid
    fake_twilio.chaos_rate, fake_twilio.timeout_delay = 0.3, 0.8
    seen: set[str] = set()
    # The confirmations the next morning, then the 24 h reminders: apart, so each is needed (a reminder due within
    # the hour of a confirmation would make it unnecessary).
    for at in (paris(1, 9), starts - timedelta(hours=24)):
        for _ in range(30):  # ten-minute steps: past every backoff and the 5-minute wait for a callback
            tick(app, at)
            with time_machine.travel(at + timedelta(minutes=1), tick=False):  # Twilio calls back right away
                relay_callbacks(client, fake_twilio, seen)
            at += timedelta(minutes=10)

    with app.app_context():
        rows = db.session.execute(select(Reminder).where(Reminder.channel == "sms")).scalars().all()
        attempts = db.session.execute(select(SendAttempt.reminder_id, SendAttempt.outcome, SendAttempt.error_code)).all()
        phones = {r.id: r.patient.phone for r in rows}
    good = [r for r in rows if phones[r.id] not in invalid and r.kind in ("confirmation", "reminder_24h")]
    bad = [r for r in rows if phones[r.id] in invalid and r.attempts]
    assert len(good) == 54 and {r.status for r in good} == {"sent"}
    per_reminder = Counter(int(m["status_callback"].rsplit("=", 1)[1]) for m in fake_twilio.messages)
    assert max(per_reminder.values()) == 1, "a reminder reached a patient twice"

    assert bad and {(r.status, r.attempts) for r in bad} == {("failed", 1)} and all("21211" in r.status_reason for r in bad)
    requests_to_invalid = [q for q in fake_twilio.requests if q["To"] in invalid]
    assert len(requests_to_invalid) == len(bad)  # one request each: a permanent error is never retried
    failures = Counter(code for _, outcome, code in attempts if outcome in ("retry", "unknown"))
    # The history shows the backoff: which errors were retried, and that the timeouts waited for a callback.
    assert {"20500", "20503", "20429", "timeout"} <= set(failures), failures
    print(
        f"\nchaos: {len(fake_twilio.requests)} requests for {sum(1 for r in rows if r.attempts)} reminders; "
        f"retried {dict(failures)}; "
        f"{sum(1 for _, o, _ in attempts if o == 'unknown')} timeouts settled by callback or retried; 0 duplicates"
    )
