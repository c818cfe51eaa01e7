"""Hypothesis throws garbage at every webhook, correctly signed: never a 5xx, never a half-written booking."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from service.extensions import db
from service.models import Appointment, Patient, Reminder, WebhookEvent
from tests.fakes.acuity_api import FakeAcuity
from tests.fakes.twilio_api import AUTH_TOKEN
from tests.helpers import signed_headers
from tests.providers import ACUITY_KEY, ACUITY_USER, CALCOM_SECRET, FHIR_TOKEN, acuity_signature, calendly_signature, load

pytestmark = pytest.mark.slow
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])
junk_scalar = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
               | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40)
               | st.text(alphabet="\u0000\u202e\ud7ff\ufffe€ç漢😀\r\n\t", max_size=20) | st.just("x" * 5000)
               | st.sampled_from(["2026-02-30T25:61:00Z", "", "+33", "0612", "Europe/Nowhere", "Z", "1e309", "NaN"]))
junk = st.recursive(junk_scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                              max_size=3), max_leaves=8)


def paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, (*prefix, index))


@st.composite
def mutated(draw: Any, original: Any) -> Any:
    """A realistic payload with a few parts replaced by junk or removed."""
    doc = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(list(paths(doc))))
        if not where:
            return draw(junk)
        parent = doc
        for step in where[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and draw(st.booleans()):
            parent.pop(where[-1], None)
        else:
            parent[where[-1]] = draw(junk)
    return doc


def bodies(fixture: str) -> st.SearchStrategy[bytes]:
    as_json = mutated(load(fixture)).map(lambda d: json.dumps(d).encode())
    return as_json | st.binary(max_size=300) | junk.map(lambda d: json.dumps(d).encode())


def counts() -> tuple[int, int, int]:
    return tuple(db.session.execute(select(func.count()).select_from(m)).scalar_one()  # type: ignore[return-value]
                 for m in (Patient, Appointment, Reminder))


def check(app: Any, response: Any, before: tuple[int, int, int]) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    with app.app_context():
        after = counts()
        if response.status_code >= 300:
            assert after == before, "a refused delivery left rows behind"
        for outcome, in db.session.execute(select(WebhookEvent.outcome)).all():
            assert outcome in ("processed", "ignored", "rejected")


def state(app: Any) -> tuple[int, int, int]:
    with app.app_context():
        return counts()


@FUZZ
@given(raw=bodies("calcom/booking_created.json"))
def test_calcom_survives_garbage(app, client, raw):
    import hashlib
    import hmac

    before = state(app)
    sig = hmac.new(CALCOM_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    check(app, client.post("/webhooks/calcom", data=raw, headers={"X-Cal-Signature-256": sig}), before)


@FUZZ
@given(raw=bodies("calendly/invitee_created.json"))
def test_calendly_survives_garbage(app, client, raw):
    before = state(app)
    check(app, client.post("/webhooks/calendly", data=raw,
                           headers={"Calendly-Webhook-Signature": calendly_signature(raw)}), before)


@FUZZ
@given(raw=bodies("fhir/bundle.json") | bodies("fhir/appointment_contained.json"))
def test_fhir_survives_garbage(app, client, raw):
    before = state(app)
    check(app, client.post("/webhooks/fhir", data=raw, headers={"Authorization": f"Bearer {FHIR_TOKEN}",
                                                                "Content-Type": "application/fhir+json"}), before)


GENERIC = {"id": "evt_1", "type": "appointment.booked", "occurred_at": "2026-03-01T09:12:00+01:00",
           "appointment": {"id": "appt-1", "starts_at": "2026-03-05T16:45:00+01:00", "duration_minutes": 10,
                           "course": {"id": "c1", "sessions_planned": 6}},
           "patient": {"id": "p1", "first_name": "Camille", "phone": "06 12 34 56 78", "timezone": "Europe/Paris",
                       "language": "fr", "sms_consent": True}}


@FUZZ
@given(raw=mutated(GENERIC).map(lambda d: json.dumps(d).encode()) | st.binary(max_size=200))
def test_the_generic_webhook_survives_garbage(app, client, raw):
    before = state(app)
    check(app, client.post("/webhooks/generic", data=raw, headers=signed_headers(raw)), before)


@pytest.fixture
def acuity(app) -> Iterator[FakeAcuity]:
    server = FakeAcuity(ACUITY_USER, ACUITY_KEY).start()
    app.extensions["recall.settings"] = app.extensions["recall.settings"].with_overrides(acuity_api_base_url=server.base_url)
    yield server
    server.stop()


@FUZZ
@given(appointment=mutated(load("acuity/appointment.json")),
       form=st.sampled_from([b"action=scheduled&id=1001", b"action=changed&id=1001", b"id=1001", b"action=&id=x",
                             b"action=canceled&id=1001&id=2", b"\xff\xfe=\x00"]))
def test_acuity_survives_garbage_in_its_form_and_in_what_its_api_returns(app, client, acuity, appointment, form):
    acuity.appointments["1001"] = appointment
    before = state(app)
    check(app, client.post("/webhooks/acuity", data=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Acuity-Signature": acuity_signature(form)}), before)


@FUZZ
@given(form=st.dictionaries(st.sampled_from(["MessageSid", "MessageStatus", "From", "Body", "ErrorCode", "SmsSid", "To"]),
                            st.text(max_size=30), max_size=6),
       path=st.sampled_from(["/webhooks/twilio/status?reminder=1", "/webhooks/twilio/status?reminder=abc",
                             "/webhooks/twilio/inbound"]))
def test_twilio_callbacks_survive_garbage(app, client, form, path):
    url = "https://recall.clinic.test" + path
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
    before = state(app)
    check(app, client.post(path, data=form, headers={"X-Twilio-Signature": signature}), before)
