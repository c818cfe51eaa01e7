"""Logs are JSON lines with a request id, and no patient's number, address or name ever reaches them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from admin.auth import create_user
from service.extensions import db, limiter
from service.logs import build_handler, scrub
from service.models import Reminder
from service.timeutil import utcnow
from tests.admin.conftest import sign_in
from tests.helpers import booking, paris, post_booking, tick, twilio_message
from tests.integration.test_delivery_receipts import callback
from tests.integration.test_replies import reply

PATIENTS = [  # (first, last, phone as the booking system sends it, E.164, email)
    ("Camille", "Martin", "06 12 34 56 78", "+33612345678", "camille.martin@example.test"),
    ("Héloïse", "Dufresne", "+44 7911 123456", "+447911123456", "heloise.d@example.test"),
    ("Zoé", "Lambert", "+33698765432", "+33698765432", "zoe.lambert@example.test"),
]


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The production handler (JSON, scrubbing, request ids) on the root logger, at the production level."""
    stream = io.StringIO()
    handler = build_handler("json", stream)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_a_full_run_logs_no_number_address_name_or_secret(app, settings, client, fake_twilio, smtp_server, captured):
    with app.app_context():
        limiter.reset()
        create_user("desk@clinique.test", "correct horse battery", role="staff", now=utcnow())
        db.session.commit()
    fake_twilio.invalid_numbers.add("+33698765432")  # Twilio refuses one number: that path logs too
    for n, (first, last, phone, _, email) in enumerate(PATIENTS):
        body = booking(
            paris(2 + n),
            event_id=f"evt-{n}",
            appointment_id=f"appt-{n}",
            id=f"pat-{n}",
            first_name=first,
            last_name=last,
            phone=phone,
            email=email,
            email_consent=True,
        )
        assert post_booking(client, body).status_code == 200
    post_booking(client, {"id": "bad", "patient": {"phone": "06 12 34 56 78", "first_name": "Camille"}})  # rejected
    for day, hour in ((1, 10), (1, 17), (2, 19), (3, 9)):
        tick(app, paris(day, hour, 5))
    with app.app_context():
        sent = db.session.execute(
            select(Reminder).where(Reminder.provider == "twilio", Reminder.status == "sent").limit(1)
        ).scalar_one()
        message = twilio_message(sent, "+33612345678")
    callback(client, message, "undelivered", error_code="30003")
    reply(client, "STOP", sender="+33612345678", sid="SMstop1")
    reply(client, "Camille here, can we move it?", sender="+447911123456", sid="SMfree1")
    assert sign_in(client, "desk@clinique.test", "correct horse battery").status_code == 302
    client.get("/admin/patient/?search=06+12+34+56+78")
    client.get("/admin/reminder/")
    assert fake_twilio.messages and smtp_server.received  # the run really sent SMS and email

    text = captured.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) > 10
    for first, last, phone, e164, email in PATIENTS:
        for secret in {first, last, phone, e164, e164[1:], phone.replace(" ", ""), email, email.split("@")[0]}:
            assert secret not in text, f"{secret!r} reached the logs"
    for secret in (settings.secret_key, settings.twilio_auth_token, settings.booking_webhook_secret, "correct horse battery"):
        assert secret and secret not in text
    assert any("•" in line["message"] for line in lines)  # numbers are there, masked: staff can still tell them apart


def test_log_lines_carry_the_request_id_given_by_the_proxy_or_made_here(app, client, captured):
    given = client.post(
        "/webhooks/generic", data=b"{", headers={"X-Request-ID": "edge-4f2a9c", "Content-Type": "application/json"}
    )
    made = client.post("/webhooks/generic", data=b"{", headers={"X-Request-ID": "not a valid id!"})
    assert given.headers["X-Request-ID"] == "edge-4f2a9c"
    assert made.headers["X-Request-ID"] != "not a valid id!" and len(made.headers["X-Request-ID"]) == 32
    ids = {json.loads(line).get("request_id") for line in captured.getvalue().splitlines()}
    assert {"edge-4f2a9c", made.headers["X-Request-ID"]} <= ids


@pytest.mark.parametrize(
    ("raw", "leaked"),
    [
        ("sent to +33612345678 ok", "+33612345678"),
        ("Key (phone)=(+33 6 12 34 56 78) already exists", "12 34 56"),
        ("national 06 12 34 56 78 or 0612345678", "0612345678"),
        ("from Camille.Martin@Example.test", "Camille.Martin"),
    ],
)
def test_the_formatter_scrubs_what_a_call_site_forgot(raw, leaked):
    assert leaked not in scrub(raw)


def test_the_scrubber_leaves_ids_dates_and_counts_alone():
    line = "reminder 12345678 due 2026-11-25 13:14:29 took 250 ms, batch of 500"
    assert scrub(line) == line


def test_a_database_error_does_not_quote_the_row_it_refused(app):
    """An IntegrityError's text is what `log.exception` writes: it must not carry the patient's data."""
    from sqlalchemy.exc import IntegrityError

    from service.models import WebhookEvent

    payload = '{"patient": {"phone": "+33612345678", "first_name": "Camille"}}'
    with app.app_context():
        for _ in range(2):
            db.session.add(WebhookEvent(source="generic", event_id="same", payload=payload, outcome="processed"))
        with pytest.raises(IntegrityError) as refused:
            db.session.commit()
        db.session.rollback()
    assert "+33612345678" not in str(refused.value) and "Camille" not in str(refused.value)
