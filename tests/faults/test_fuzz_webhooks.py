"""Hypothesis throws garbage at every webhook, correctly signed: never a 5xx, never a half-written booking.

Besides random junk, it aims at what parsers leave unbounded: nesting far past 64 levels, numbers of thousands of
digits or beyond a float, instants near years 1 and 9999 in any offset, and durations of zero, minus or a lifetime."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from service.extensions import db
from service.models import Appointment, Patient, Reminder, WebhookEvent
from service.runtime import get_settings, override
from service.webhooks.intake import body_hash
from tests.fakes.acuity_api import FakeAcuity
from tests.fakes.twilio_api import AUTH_TOKEN
from tests.helpers import paris, signed_headers
from tests.providers import ACUITY_KEY, ACUITY_USER, CALCOM_SECRET, FHIR_TOKEN, acuity_signature, calendly_signature, load

pytestmark = pytest.mark.slow
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# What parsers leave unbounded, each aimed at on purpose.
huge_numbers = (
    st.integers(min_value=10**20, max_value=10**4000)
    | st.integers(min_value=-(10**4000), max_value=-(10**20))
    | st.sampled_from([float("inf"), float("-inf"), float("nan"), 1e308, -1e308, 5e-324])
)
OFFSETS = [timezone(timedelta(hours=h)) for h in (-12, -1, 0, 5.75, 14)]
# Malformed shapes of a session a few days ahead of the test's clock (read when drawn, so a frozen clock is obeyed and
# the instant never slips into the past), and the out-of-range ends of the calendar, which never pass.
ODD_SHAPES = [
    lambda at: at.replace(tzinfo=None).isoformat(timespec="seconds"),  # no offset
    lambda at: at.replace(tzinfo=None).isoformat(timespec="seconds") + "+24:00",
    lambda at: "+00" + at.strftime("%Y-%m-%dT%H:%M:%SZ"),  # an expanded year
    lambda at: at.strftime("%Y-%m-%dT%H:%M:%S") + ".123456789Z",  # nanoseconds
    lambda at: at.date().isoformat() + "0" * 200,
]
odd_instants = (
    st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "1969-12-31T23:59:59Z", "2201-01-01T00:00:00Z"])
    | st.sampled_from(ODD_SHAPES).map(lambda shape: shape(paris(4)))
    | st.datetimes(
        min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59), timezones=st.sampled_from(OFFSETS)
    ).map(datetime.isoformat)
)
odd_durations = (
    st.integers(min_value=-(10**6), max_value=10**7)
    | st.sampled_from(["0", "-1", "1e9", "99999999", "", "ten"])
    | st.floats(allow_nan=False, allow_infinity=False)
    | huge_numbers
)
junk_scalar = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.text(alphabet="\u0000\u202e\ud7ff\ufffe€ç漢😀\r\n\t", max_size=20)
    | st.just("x" * 5000)
    | st.sampled_from(["2026-02-30T25:61:00Z", "", "+33", "0612", "Europe/Nowhere", "Z", "1e309", "NaN"])
    | huge_numbers
    | odd_instants
    | odd_durations
)
junk = st.recursive(
    junk_scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8
)


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


def generic() -> dict[str, Any]:
    """Recall's own booking: a session four days ahead of the test's clock, booked a moment ago."""
    return {
        "id": "evt_1",
        "type": "appointment.booked",
        "occurred_at": datetime.now(UTC).isoformat(),
        "appointment": {
            "id": "appt-1",
            "starts_at": paris(4).isoformat(),
            "duration_minutes": 10,
            "course": {"id": "c1", "sessions_planned": 6},
        },
        "patient": {
            "id": "p1",
            "first_name": "Camille",
            "phone": "06 12 34 56 78",
            "timezone": "Europe/Paris",
            "language": "fr",
            "sms_consent": True,
        },
    }


# The instants and durations each provider reads, to be set to odd values on purpose.
TIMED = {
    "calcom/booking_created.json": [("createdAt",), ("payload", "startTime"), ("payload", "endTime"), ("payload", "length")],
    "calendly/invitee_created.json": [
        ("created_at",),
        ("payload", "scheduled_event", "start_time"),
        ("payload", "scheduled_event", "end_time"),
    ],
    "fhir/bundle.json": [],
    "fhir/appointment_contained.json": [("start",), ("end",), ("minutesDuration",), ("meta", "lastUpdated")],
    "acuity/appointment.json": [("datetime",), ("duration",)],
    "generic": [("occurred_at",), ("appointment", "starts_at"), ("appointment", "duration_minutes")],
}


@st.composite
def timed(draw: Any, original: Any, fields: list[tuple]) -> Any:
    """A realistic payload with one or more of its instants or durations set to an odd value."""
    doc = copy.deepcopy(original)
    for where in draw(st.lists(st.sampled_from(fields), min_size=1, max_size=len(fields), unique=True)):
        parent = doc
        for step in where[:-1]:
            parent = parent.setdefault(step, {})
        parent[where[-1]] = draw(
            odd_instants
            if "duration" not in where[-1] and "length" not in where[-1] and "minutes" not in where[-1]
            else odd_durations
        )
    return doc


def deep() -> st.SearchStrategy[bytes]:
    """Arrays or objects nested far past Recall's 64 levels (json.loads raises RecursionError near 1,000)."""
    levels = st.integers(65, 3000)
    return (
        levels.map(lambda n: b"[" * n + b"]" * n)
        | levels.map(lambda n: b'{"a":' * n + b"1" + b"}" * n)
        | levels.map(lambda n: b"[" * n)
    )


@st.composite
def deep_inside(draw: Any, original: Any) -> bytes:
    """A realistic payload carrying a deeply nested value under one of its keys."""
    doc = dict(original) if isinstance(original, dict) else {"value": original}
    key = draw(st.sampled_from(sorted(doc)))
    doc[key] = "DEEP"
    return json.dumps(doc).encode().replace(b'"DEEP"', draw(deep()), 1)


def bodies(fixture: str) -> st.SearchStrategy[bytes]:
    if fixture == "generic":  # built at the first draw, inside the test, from the test's clock
        return st.deferred(lambda: payloads(generic(), fixture))
    return payloads(load(fixture), fixture)


def payloads(original: Any, fixture: str) -> st.SearchStrategy[bytes]:
    as_json = mutated(original) | timed(original, TIMED[fixture]) if TIMED[fixture] else mutated(original)
    return (
        as_json.map(lambda d: json.dumps(d).encode())
        | st.binary(max_size=300)
        | junk.map(lambda d: json.dumps(d).encode())
        | deep()
        | deep_inside(original)
    )


def counts() -> tuple[int, int, int]:
    return tuple(
        db.session.execute(select(func.count()).select_from(m)).scalar_one()  # type: ignore[return-value]
        for m in (Patient, Appointment, Reminder)
    )


def check(app: Any, response: Any, before: tuple[int, int, int]) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    with app.app_context():
        after = counts()
        if response.status_code >= 300:
            assert after == before, "a refused delivery left rows behind"
        for (outcome,) in db.session.execute(select(WebhookEvent.outcome)).all():
            assert outcome in ("processed", "ignored", "rejected")


def state(app: Any) -> tuple[int, int, int]:
    with app.app_context():
        return counts()


@FUZZ
@given(raw=bodies("calcom/booking_created.json"))
def test_calcom_survives_garbage(app, client, raw):
    before = state(app)
    sig = hmac.new(CALCOM_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    check(app, client.post("/webhooks/calcom", data=raw, headers={"X-Cal-Signature-256": sig}), before)


@FUZZ
@given(raw=bodies("calendly/invitee_created.json"))
def test_calendly_survives_garbage(app, client, raw):
    before = state(app)
    check(
        app, client.post("/webhooks/calendly", data=raw, headers={"Calendly-Webhook-Signature": calendly_signature(raw)}), before
    )


@FUZZ
@given(raw=bodies("fhir/bundle.json") | bodies("fhir/appointment_contained.json"))
def test_fhir_survives_garbage(app, client, raw):
    before = state(app)
    check(
        app,
        client.post(
            "/webhooks/fhir", data=raw, headers={"Authorization": f"Bearer {FHIR_TOKEN}", "Content-Type": "application/fhir+json"}
        ),
        before,
    )


@FUZZ
@given(raw=bodies("generic"))
def test_the_generic_webhook_survives_garbage(app, client, raw):
    before = state(app)
    check(app, client.post("/webhooks/generic", data=raw, headers=signed_headers(raw)), before)


@pytest.fixture
def acuity(app) -> Iterator[FakeAcuity]:
    server = FakeAcuity(ACUITY_USER, ACUITY_KEY).start()
    override(app, settings=get_settings(app).with_overrides(acuity_api_base_url=server.base_url))
    yield server
    server.stop()


ACUITY = load("acuity/appointment.json")


@FUZZ
@given(
    appointment=mutated(ACUITY) | timed(ACUITY, TIMED["acuity/appointment.json"]),
    answer=st.none() | deep() | deep_inside(ACUITY) | huge_numbers.map(lambda n: json.dumps(n).encode()),
    form=st.sampled_from(
        [
            b"action=scheduled&id=1001",
            b"action=changed&id=1001",
            b"id=1001",
            b"action=&id=x",
            b"action=canceled&id=1001&id=2",
            b"\xff\xfe=\x00",
        ]
    ),
)
def test_acuity_survives_garbage_in_its_form_and_in_what_its_api_returns(app, client, acuity, appointment, answer, form):
    acuity.appointments["1001"] = appointment
    acuity.raw_answers.clear()
    if answer is not None:
        acuity.raw_answers["1001"] = answer
    before = state(app)
    check(
        app,
        client.post(
            "/webhooks/acuity",
            data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded", "X-Acuity-Signature": acuity_signature(form)},
        ),
        before,
    )


@FUZZ
@given(
    form=st.dictionaries(
        st.sampled_from(["MessageSid", "MessageStatus", "From", "Body", "ErrorCode", "SmsSid", "To"]),
        st.text(max_size=30),
        max_size=6,
    ),
    path=st.sampled_from(
        ["/webhooks/twilio/status?reminder=1", "/webhooks/twilio/status?reminder=abc", "/webhooks/twilio/inbound"]
    ),
)
def test_twilio_callbacks_survive_garbage(app, client, form, path):
    url = "https://recall.clinic.test" + path
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
    before = state(app)
    check(app, client.post(path, data=form, headers={"X-Twilio-Signature": signature}), before)


SENDERS = {  # how each JSON endpoint is signed, and what it answers when a verified body cannot be used
    "generic": (lambda raw: ("/webhooks/generic", signed_headers(raw)), 400),
    "calcom/booking_created.json": (
        lambda raw: (
            "/webhooks/calcom",
            {"X-Cal-Signature-256": hmac.new(CALCOM_SECRET.encode(), raw, hashlib.sha256).hexdigest()},
        ),
        422,
    ),
    "calendly/invitee_created.json": (
        lambda raw: ("/webhooks/calendly", {"Calendly-Webhook-Signature": calendly_signature(raw)}),
        422,
    ),
    "fhir/appointment_contained.json": (lambda raw: ("/webhooks/fhir", {"Authorization": f"Bearer {FHIR_TOKEN}"}), 422),
}


@pytest.mark.parametrize("fixture", sorted(SENDERS))
def test_deep_nesting_is_always_refused_and_kept_as_rejected(app, client, fixture):
    sign, status = SENDERS[fixture]
    original = generic() if fixture == "generic" else load(fixture)

    @FUZZ
    @given(raw=deep() | deep_inside(original))
    def check_refused(raw: bytes) -> None:
        path, headers = sign(raw)
        response = client.post(path, data=raw, headers=headers)
        assert response.status_code == status, response.get_data(as_text=True)[:300]
        with app.app_context():
            kept = db.session.execute(
                select(WebhookEvent.outcome, WebhookEvent.error).where(WebhookEvent.event_id == body_hash(raw))
            ).one()
            assert kept.outcome == "rejected" and "64 levels" in kept.error

    check_refused()
