"""Outbound events over real HTTP: a receiver on 127.0.0.1 checks every request with the standardwebhooks library's
own verifier, and answers 500, 429, 400 or 2xx as a test scripts it."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from admin.auth import create_user
from service import create_app
from service.domain.vocabulary import OutboundEventType
from service.extensions import db, limiter
from service.jobs import deliver_events
from service.models import Appointment, AuditEvent, OutboundEvent
from service.outbound import emit
from service.outbound_delivery import deliver_due
from service.runtime import get_settings, override
from service.scheduler import build_scheduler
from service.timeutil import utcnow
from tests.admin.conftest import csrf_token, sign_in
from tests.fakes.twilio_api import FakeResponse, twilio_error
from tests.fakes.webhook_receiver import SECRET, Answer, WebhookReceiver
from tests.helpers import book, booking, paris, post_booking, tick
from tests.integration.test_replies import reply

CONFIRMED = OutboundEventType.APPOINTMENT_CONFIRMED
CANCELLED = OutboundEventType.APPOINTMENT_CANCELLED_BY_PATIENT


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def settings(settings, receiver):  # type: ignore[no-untyped-def]
    """The conftest's settings, with the receiver as the booking system's webhook endpoint."""
    return settings.with_overrides(outbound_webhook_url=receiver.url, outbound_webhook_secret=SECRET)


def make_event(app: Any, type_: OutboundEventType = CONFIRMED, *, appointment_id: int | None = None, n: int = 0) -> str:
    """An event made as the patient page's helper makes one; its webhook-id."""
    with app.app_context():
        event = emit(
            db.session,
            get_settings(app),
            type_,
            {"appointment_id": appointment_id, "n": n},
            utcnow(),
            appointment_id=appointment_id,
        )
        assert event is not None
        db.session.commit()
        return event.webhook_id


def deliver(app: Any, at: datetime | None = None) -> str:
    with app.app_context():
        report = deliver_events(at or utcnow())
        db.session.remove()
        return str(report)


def event(app: Any, webhook_id: str) -> OutboundEvent:
    with app.app_context():
        row = db.session.execute(select(OutboundEvent).where(OutboundEvent.webhook_id == webhook_id)).scalar_one()
        db.session.expunge(row)
        return row


def appointment_id(app: Any, external_id: str = "appt-1") -> int:
    with app.app_context():
        return db.session.execute(select(Appointment.id).where(Appointment.external_id == external_id)).scalar_one()


def test_an_event_arrives_signed_per_standard_webhooks(app, receiver):
    webhook_id = make_event(app)

    assert "delivered 1" in deliver(app)

    (got,) = receiver.received
    payload = got.verified()  # raises unless the signature and timestamp verify
    assert payload["type"] == "appointment.confirmed" and payload["data"]["n"] == 0 and "timestamp" in payload
    assert got.webhook_id == webhook_id and got.headers["content-type"] == "application/json"
    assert got.headers["webhook-signature"].startswith("v1,")
    row = event(app, webhook_id)
    assert (row.status, row.attempts, row.last_status_code) == ("delivered", 1, 200) and row.delivered_at is not None


def test_a_receiver_that_answers_500_twice_gets_it_a_third_time_with_the_same_id_and_never_again(app, receiver):
    webhook_id = make_event(app)
    receiver.answer(500, 500)
    at = utcnow()

    deliver(app, at)
    first = event(app, webhook_id)
    assert first.status == "pending" and first.last_status_code == 500 and first.next_attempt_at > at
    deliver(app, at)  # not due again before its backoff
    assert len(receiver.received) == 1
    deliver(app, first.next_attempt_at)
    deliver(app, event(app, webhook_id).next_attempt_at)
    for hours in (1, 2, 30):  # more passes, long after: a delivered event is never posted again
        deliver(app, at + timedelta(hours=hours))

    assert [r.status for r in receiver.received] == [500, 500, 200]
    assert {r.webhook_id for r in receiver.received} == {webhook_id}
    assert all(r.verified()["type"] == "appointment.confirmed" for r in receiver.received)
    assert len({r.body for r in receiver.received}) == 1  # the same body each time; only the timestamp is the attempt's
    row = event(app, webhook_id)
    assert (row.status, row.attempts) == ("delivered", 3)


def test_a_429_waits_at_least_as_long_as_retry_after_asks(app, receiver):
    webhook_id = make_event(app)
    receiver.answer(Answer(429, {"Retry-After": "900"}, "slow down"))
    at = utcnow()

    deliver(app, at)

    row = event(app, webhook_id)
    assert row.status == "pending" and row.next_attempt_at >= at + timedelta(seconds=900)
    assert row.last_status_code == 429 and row.last_error == "HTTP 429: slow down"
    deliver(app, at + timedelta(seconds=899))
    assert len(receiver.received) == 1


def test_a_400_is_final(app, receiver):
    webhook_id = make_event(app)
    receiver.answer(Answer(400, body="unknown appointment"))
    at = utcnow()

    assert "given up 1" in deliver(app, at)
    for hours in (1, 5, 23):
        deliver(app, at + timedelta(hours=hours))

    assert len(receiver.received) == 1
    row = event(app, webhook_id)
    assert (row.status, row.last_status_code, row.last_error) == ("failed", 400, "HTTP 400: unknown appointment")


def test_a_receiver_down_for_24_hours_ends_in_failed_with_the_same_id_every_time(app, receiver):
    start = utcnow().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        webhook_id = make_event(app)
        receiver.answer(*[500] * 200)
        for _ in range(200):
            now = utcnow()
            deliver(app, now)
            assert receiver.received[-1].verified()  # each attempt signed with its own timestamp, current then
            row = event(app, webhook_id)
            if row.status != "pending":
                break
            clock.move_to(row.next_attempt_at)

    assert row.status == "failed" and "gave up after 24 h" in (row.last_error or "")
    assert row.attempts == len(receiver.received) > 10  # retried with backoff all day, not once a minute nor twice
    assert now == start + timedelta(hours=24)  # the last try at the 24th hour, none after
    assert {r.webhook_id for r in receiver.received} == {webhook_id}
    times = [int(r.headers["webhook-timestamp"]) for r in receiver.received]
    assert max(b - a for a, b in itertools.pairwise(times)) <= 3600  # never more than the cap apart


def test_a_timeout_is_retried(app, receiver, monkeypatch):
    monkeypatch.setattr("service.outbound_delivery.TIMEOUT_SECONDS", 0.3)
    webhook_id = make_event(app)
    receiver.answer(Answer(200, delay=1.0))
    at = utcnow()

    deliver(app, at)
    row = event(app, webhook_id)
    assert row.status == "pending" and row.last_status_code is None and "no answer within" in (row.last_error or "")
    deliver(app, row.next_attempt_at)
    assert event(app, webhook_id).status == "delivered"
    assert [r.webhook_id for r in receiver.received] == [webhook_id, webhook_id]  # the receiver dedupes by it


def test_events_of_one_appointment_arrive_in_the_order_they_happened_even_when_the_first_needed_retries(app, client, receiver):
    assert post_booking(client, booking(paris(5))).status_code == 200
    appt = appointment_id(app)
    first = make_event(app, CONFIRMED, appointment_id=appt, n=1)
    second = make_event(app, CANCELLED, appointment_id=appt, n=2)
    free = make_event(app, OutboundEventType.PATIENT_SMS_OPTED_OUT, n=3)  # about no appointment: waits for nobody
    receiver.answer(500)
    at = utcnow()

    deliver(app, at)
    assert [r.webhook_id for r in receiver.received] == [first, free]  # the second is held back by the first
    deliver(app, at + timedelta(milliseconds=500))  # the first waits at least a second before its next try
    assert len(receiver.received) == 2
    deliver(app, event(app, first).next_attempt_at)

    assert [r.webhook_id for r in receiver.received] == [first, free, first, second]
    assert [r.status for r in receiver.received] == [500, 200, 200, 200]
    assert [r.verified()["data"]["n"] for r in receiver.received if r.webhook_id != free] == [1, 1, 2]


def test_a_failed_older_event_does_not_hold_back_the_next_one_for_ever(app, client, receiver):
    assert post_booking(client, booking(paris(5))).status_code == 200
    appt = appointment_id(app)
    first = make_event(app, CONFIRMED, appointment_id=appt)
    second = make_event(app, CANCELLED, appointment_id=appt)
    receiver.answer(400)

    deliver(app)

    assert [(r.webhook_id, r.status) for r in receiver.received] == [(first, 400), (second, 200)]


@pytest.mark.postgres
def test_two_deliverers_at_once_post_each_event_once_and_in_order(app, client, receiver, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("several deliverers at once is a PostgreSQL deployment (SKIP LOCKED); SQLite has one writer")
    for i in range(4):
        body = booking(paris(5, 10 + i), event_id=f"e{i}", appointment_id=f"a{i}", id=f"p{i}", phone=f"+3361234567{i}")
        assert post_booking(client, body).status_code == 200
    appts = [appointment_id(app, f"a{i}") for i in range(4)]
    made = [make_event(app, CONFIRMED, appointment_id=appts[n % 4], n=n) for n in range(24)]
    made += [make_event(app, OutboundEventType.PATIENT_SMS_OPTED_IN, n=100 + n) for n in range(8)]
    receiver.answer(*[Answer(200, delay=0.02)] * 100)
    at = utcnow()

    def run() -> None:
        with app.app_context():
            deliver_due(db.session, get_settings(app), at, batch=3)
            db.session.remove()

    workers = [threading.Thread(target=run) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()

    ids = [r.webhook_id for r in receiver.received]
    assert sorted(ids) == sorted(made)  # each once
    for appt in appts:
        ns = [r.verified()["data"]["n"] for r in receiver.received if r.verified()["data"]["appointment_id"] == appt]
        assert ns == sorted(ns) and len(ns) == 6


def test_a_stop_reply_reaches_the_booking_system_as_a_signed_opt_out_without_the_number(app, client, fake_twilio, receiver):
    book(app, client, fake_twilio, booking(paris(5), id="pat-42", phone="+33612345678"))

    assert reply(client, "STOP").status_code == 200
    deliver(app)

    (got,) = receiver.of_type("patient.sms_opted_out")
    data = got.verified()["data"]
    assert data["external_ids"] == [{"source": "generic", "external_id": "pat-42"}] and data["channel"] == "sms"
    assert data["via"] == "patient" and isinstance(data["patient_id"], int)
    assert b"612345678" not in got.body and b"Camille" not in got.body
    reply(client, "STOP", sid="SM2")  # a second STOP changes nothing, and says nothing
    reply(client, "START", sid="SM3")
    deliver(app)
    assert [r.verified()["type"] for r in receiver.received] == ["patient.sms_opted_out", "patient.sms_opted_in"]


def test_an_invalid_number_is_reported_as_message_failed_and_an_outage_is_not(app, client, fake_twilio, receiver):
    starts = paris(10)
    book(app, client, fake_twilio, booking(starts, phone="+33612345678"))
    fake_twilio.fail_next(FakeResponse(500, {"code": 20500, "message": "Internal", "status": 500}))

    tick(app, starts - timedelta(hours=48))  # an outage: retried, not a person's problem
    assert receiver.received == []
    fake_twilio.fail_next(twilio_error(21211, 400, "The 'To' number +33612345678 is not a valid phone number."))
    summary = tick(app, starts - timedelta(hours=24))  # the tick posts the events the sends just made

    assert "delivered 1" in summary
    (got,) = receiver.received
    payload = got.verified()
    assert payload["type"] == "message.failed"
    data = payload["data"]
    assert (data["error_code"], data["channel"], data["provider"], data["kind"]) == ("21211", "sms", "twilio", "reminder_24h")
    assert (data["appointment_id"], data["source"], data["external_id"]) == (appointment_id(app), "generic", "appt-1")
    assert b"612345678" not in got.body  # Twilio's words quote the number: they stay out


def test_nothing_is_kept_without_a_receiver_configured(app, client, fake_twilio, receiver):
    override(app, settings=get_settings(app).with_overrides(outbound_webhook_url=None))
    book(app, client, fake_twilio, booking(paris(5)))

    reply(client, "STOP")
    deliver(app)

    with app.app_context():
        assert db.session.execute(select(OutboundEvent)).first() is None
    assert receiver.received == []


def _accounts(app: Any) -> None:
    with app.app_context():
        limiter.reset()
        create_user("owner@clinique.test", "staple battery horse", role="admin", now=utcnow())
        create_user("desk@clinique.test", "correct horse battery", role="staff", now=utcnow())
        db.session.commit()


def test_an_admin_retries_a_failed_event_with_the_same_id_and_it_is_audited(app, client, receiver):
    _accounts(app)
    webhook_id = make_event(app)
    receiver.answer(Answer(410, body="gone"))
    deliver(app)
    assert event(app, webhook_id).status == "failed"
    assert sign_in(client, "owner@clinique.test", "staple battery horse").status_code == 302

    page = client.get("/admin/outboundevent/").get_data(as_text=True)
    assert "appointment.confirmed" in page and "Failed" in page and "HTTP 410: gone" in page
    row_id = event(app, webhook_id).id
    answer = client.post(
        "/admin/outboundevent/action/", data={"action": "retry", "rowid": [str(row_id)], "csrf_token": csrf_token(page)}
    )
    assert answer.status_code == 302
    assert event(app, webhook_id).status == "pending"
    deliver(app)

    assert [(r.webhook_id, r.status) for r in receiver.received] == [(webhook_id, 410), (webhook_id, 200)]
    assert event(app, webhook_id).status == "delivered"
    with app.app_context():
        audit = db.session.execute(select(AuditEvent).where(AuditEvent.entity == "outbound_event")).scalar_one()
        assert (audit.action, audit.actor, audit.entity_id) == ("retry", "owner@clinique.test", str(row_id))
    page = client.get("/admin/outboundevent/").get_data(as_text=True)
    assert "Delivered" in page


def test_staff_cannot_see_outbound_events(app, client):
    _accounts(app)
    assert sign_in(client, "desk@clinique.test", "correct horse battery").status_code == 302
    assert client.get("/admin/outboundevent/").status_code == 403
    assert client.post("/admin/outboundevent/action/", data={"action": "retry", "rowid": ["1"]}).status_code in (400, 403)


def test_the_scheduler_posts_events_every_30_seconds_only_when_a_receiver_is_configured(app, settings):
    def jobs(app: Any) -> dict[str, Any]:
        scheduler = build_scheduler(app, blocking=False)
        scheduler.start(paused=True)  # jobs get their defaults once the scheduler starts; paused, nothing runs
        found = {job.id: job for job in scheduler.get_jobs()}
        scheduler.shutdown(wait=False)
        return found

    job = jobs(app)["deliver_events"]
    assert job.trigger.interval == timedelta(seconds=30) and job.args[1] == "deliver_events"
    assert job.max_instances == 1 and job.coalesce
    assert "deliver_events" not in jobs(create_app(settings.with_overrides(outbound_webhook_url=None)))
