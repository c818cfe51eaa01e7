"""Small builders for tests: signed generic webhooks, booking payloads, CLI ticks."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.conftest import WEBHOOK_SECRET

PARIS = ZoneInfo("Europe/Paris")


def local_day(zone: ZoneInfo, days: int, hour: int, minute: int) -> datetime:
    """`days` from today in `zone`, at that wall-clock time of the local day, whatever the clock changes between.

    Returned as a UTC instant: `starts - timedelta(hours=24)` must be 24 elapsed hours, as the reminder rules mean
    it, and Python's arithmetic on a datetime carrying a ZoneInfo is wall-clock arithmetic (an hour off whenever a
    clock change falls in between).
    """
    day = datetime.now(zone).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)


def paris(days: int, hour: int = 16, minute: int = 45) -> datetime:
    """The clinic's usual session time, `days` from today."""
    return local_day(PARIS, days, hour, minute)


def next_spring_forward(zone: ZoneInfo = PARIS) -> date:
    """The next last Sunday of March more than a day away: Europe springs forward (02:30 does not exist in Paris, and
    08:00 there is 07:00 UTC the day before, 06:00 UTC that day)."""
    today = datetime.now(zone).date()
    for year in (today.year, today.year + 1):
        last = date(year, 3, 31)
        sunday = last - timedelta(days=(last.weekday() + 1) % 7)
        if sunday > today + timedelta(days=1):
            return sunday
    raise AssertionError("unreachable")


def second_patient(starts_at: datetime, **fields: Any) -> dict[str, Any]:
    """A booking for Sam Taylor, an English patient with a UK mobile, beside `booking()`'s Camille Martin."""
    identity = {"id": "pat-2", "first_name": "Sam", "last_name": "Taylor", "phone": "+447911123456", "language": "en"}
    return booking(starts_at, event_id="evt_2", appointment_id="appt-2", **{**identity, **fields})


def sent_bodies(fake_twilio: Any) -> list[str]:
    """The SMS the fake Twilio took since the last call, and forget them."""
    bodies = [m["body"] for m in fake_twilio.messages]
    fake_twilio.messages.clear()
    return bodies


def signed_headers(raw: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return {"X-Recall-Timestamp": stamp, "X-Recall-Signature": f"sha256={digest}", "Content-Type": "application/json"}


def booking(
    starts_at: datetime,
    *,
    event_id: str = "evt_1",
    type: str = "appointment.booked",
    appointment_id: str = "appt-1",
    occurred_at: datetime | None = None,
    **patient: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": event_id,
        "type": type,
        "occurred_at": (occurred_at or datetime.now(starts_at.tzinfo)).isoformat(),
        "appointment": {
            "id": appointment_id,
            "starts_at": starts_at.isoformat(),
            "duration_minutes": 10,
            "treatment": "mesotherapy",
            "area": "thighs",
        },
        "patient": {
            "id": "pat-1",
            "first_name": "Camille",
            "last_name": "Martin",
            "phone": "06 12 34 56 78",
            "email": None,
            "timezone": "Europe/Paris",
            "language": "fr",
            "sms_consent": True,
            "email_consent": False,
        },
    }
    body["patient"].update(patient)
    return copy.deepcopy(body)


def post_booking(client: Any, body: dict[str, Any] | bytes, **kwargs: Any) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post("/webhooks/generic", data=raw, headers=signed_headers(raw, **kwargs))


def tick(app: Any, at: datetime) -> str:
    result = app.test_cli_runner().invoke(args=["reminders", "tick", "--at", at.isoformat()])
    assert result.exit_code == 0, result.output
    return str(result.output.strip())


def book(app: Any, client: Any, fake_twilio: Any, body: dict[str, Any]) -> None:
    """Post a booking and let its confirmation go out (at 09:00 Paris the next day: after the debounce,
    inside the allowed hours from London to Moscow whatever the real clock says, and not within the hour of a
    session reminder, which would make the confirmation unnecessary), then forget the confirmation."""
    response = post_booking(client, body)
    assert response.status_code == 200, response.get_json()
    tick(app, paris(1, 9, 0))
    confirmations = [m for m in fake_twilio.messages if "booked for" in m["body"] or "confirmé" in m["body"]]
    assert len(confirmations) == 1 and len(fake_twilio.messages) == 1, fake_twilio.messages
    fake_twilio.messages.clear()
    fake_twilio.requests.clear()


def assert_one_of_each_pair_sent(rows: list[Any], patients: int) -> None:
    """Each patient's confirmation and 24 h reminder, falling due together: exactly one went out, and the other
    was skipped naming it (the reminder gives the time, which makes the confirmation unnecessary)."""
    by_patient: dict[int, list[Any]] = {}
    for row in rows:
        by_patient.setdefault(row.patient_id, []).append(row)
    assert len(by_patient) == patients
    for pair in by_patient.values():
        sent = [r for r in pair if r.status in ("sent", "delivered")]
        skipped = [r for r in pair if r.status == "skipped"]
        assert len(pair) == 2 and len(sent) == 1 and len(skipped) == 1, [(r.kind, r.status, r.status_reason) for r in pair]
        assert f"(reminder #{sent[0].id})" in (skipped[0].status_reason or ""), (
            sent[0].id,
            skipped[0].kind,
            skipped[0].status_reason,
        )


def twilio_message(reminder: Any, to: str) -> dict[str, str]:
    """What the fake Twilio answered for this sent reminder, enough to post its status callback."""
    return {
        "sid": reminder.provider_message_id,
        "account_sid": "AC" + "0" * 31 + "1",
        "to": to,
        "from": "+15005550006",
        "status_callback": f"https://recall.clinic.test/webhooks/twilio/status?reminder={reminder.id}",
    }
