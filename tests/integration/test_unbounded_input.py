"""Bad input never gets a 500 (issue 12): deep JSON, huge numbers, instants and durations out of range.

Senders retry every 5xx, so each of these must be a 4xx naming what is wrong, and be
kept in the webhook log as rejected with that reason, for staff to see.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Appointment, Patient, WebhookEvent
from service.runtime import get_settings, override
from tests.fakes.acuity_api import FakeAcuity
from tests.helpers import booking, paris, post_booking
from tests.integration.test_fhir import appointment as fhir_appointment
from tests.integration.test_fhir import post as post_fhir
from tests.providers import ACUITY_KEY, ACUITY_USER, acuity_signature, calcom, calendly, load, post_calcom, post_calendly

DEEP = b"[" * 1000 + b"]" * 1000  # 1,000 levels in 2 KB: json.loads raises RecursionError on it
OUT_OF_RANGE = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"]  # parse, but overflow once made UTC


@pytest.fixture
def acuity(app) -> Iterator[FakeAcuity]:
    server = FakeAcuity(ACUITY_USER, ACUITY_KEY).start()
    override(app, settings=get_settings(app).with_overrides(acuity_api_base_url=server.base_url))
    yield server
    server.stop()


def post_acuity(client: Any) -> Any:
    raw = b"action=scheduled&id=1001&calendarID=7&appointmentTypeID=42"
    return client.post(
        "/webhooks/acuity",
        data=raw,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Acuity-Signature": acuity_signature(raw, key=ACUITY_KEY),
        },
    )


def as_json(body: dict) -> bytes:
    return json.dumps(body).encode()


def refusal(response: Any) -> str:
    """The words of a refusal, whether Recall's error body or a FHIR OperationOutcome."""
    body = response.get_json()
    if body.get("resourceType") == "OperationOutcome":
        return " | ".join(issue["diagnostics"] for issue in body["issue"])
    return " | ".join([body["error"], *body["details"]])


def assert_refused(app: Any, response: Any, status: int, *words: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    said = refusal(response)
    assert all(w in said for w in words), said
    with app.app_context():
        kept = db.session.execute(select(WebhookEvent.outcome, WebhookEvent.error)).all()
        assert [o for o, _ in kept] == ["rejected"], kept
        assert all(w in kept[0].error for w in words), kept[0].error
        assert db.session.execute(select(Appointment)).first() is None
        assert db.session.execute(select(Patient)).first() is None


# --- JSON nested 1,000 levels deep ------------------------------------------------------------------------------------

DEEP_POSTS: dict[str, tuple[Callable[[Any, bytes], Any], int]] = {
    "generic": (post_booking, 400),
    "calcom": (post_calcom, 422),
    "calendly": (post_calendly, 422),
    "fhir": (post_fhir, 422),
}


@pytest.mark.parametrize("provider", sorted(DEEP_POSTS))
def test_json_nested_a_thousand_levels_deep_is_refused_naming_the_nesting(app, client, provider):
    post, status = DEEP_POSTS[provider]
    response = post(client, b'{"resourceType": "Appointment", "payload": ' + DEEP + b"}")
    assert_refused(app, response, status, "more than 64 levels deep")
    if provider == "fhir":
        assert response.get_json()["resourceType"] == "OperationOutcome"


def test_a_deep_answer_from_acuitys_api_is_refused_and_kept(app, client, acuity):
    acuity.raw_answers["1001"] = b'{"id": 1001, "forms": ' + DEEP + b"}"
    assert_refused(app, post_acuity(client), 422, "Acuity's answer for appointment 1001", "more than 64 levels deep")


def test_json_just_within_the_depth_limit_is_still_read(app, client):
    body = booking(paris(5))
    body["patient"]["notes"] = json.loads("[" * 60 + "]" * 60)  # an unknown field: the schema lets it through
    assert post_booking(client, body).get_json()["status"] == "processed"


# --- numbers Python reads but Recall should not ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (b"1" * 5000, "5000 digits"),  # json.loads raises ValueError past 4,300 digits
        (b"1e999", "too large a number"),  # json.loads reads it as infinity
        (b"NaN", "NaN is not a JSON number"),
    ],
)
def test_numbers_json_loads_reads_badly_are_refused_naming_them(app, client, number, words):
    raw = as_json(booking(paris(5))).replace(b'"duration_minutes": 10', b'"duration_minutes": ' + number)
    assert_refused(app, post_booking(client, raw), 400, words)


def test_a_fhir_duration_of_a_billion_minutes_is_refused_naming_the_field(app, client):
    body = fhir_appointment(paris(5))
    body["minutesDuration"] = 10**9
    assert_refused(app, post_fhir(client, body), 422, "Appointment.minutesDuration must be 1 to 1440 minutes")


# --- instants out of Python's range -------------------------------------------------------------------------------------


def generic_with(path: tuple[str, ...], value: str) -> bytes:
    body = booking(paris(5))
    (body[path[0]] if len(path) == 2 else body)[path[-1]] = value
    return as_json(body)


def calcom_with(key: str, value: str) -> bytes:
    body = calcom("booking_created", paris(5))
    (body["payload"] if key != "createdAt" else body)[key] = value
    return as_json(body)


def calendly_with(key: str, value: str) -> bytes:
    body = calendly("invitee_created", paris(5))
    (body["payload"]["scheduled_event"] if key != "created_at" else body)[key] = value
    return as_json(body)


def fhir_with(key: str, value: str) -> bytes:
    body = fhir_appointment(paris(5))
    (body["meta"] if key == "lastUpdated" else body)[key] = value
    return as_json(body)


INSTANTS = [  # (how to post, the body with the instant, the status, the field named)
    (post_booking, lambda v: generic_with(("occurred_at",), v), 400, "occurred_at"),
    (post_booking, lambda v: generic_with(("appointment", "starts_at"), v), 400, "appointment.starts_at"),
    (post_calcom, lambda v: calcom_with("createdAt", v), 422, "createdAt"),
    (post_calcom, lambda v: calcom_with("startTime", v), 422, "payload.startTime"),
    (post_calendly, lambda v: calendly_with("created_at", v), 422, "created_at"),
    (post_calendly, lambda v: calendly_with("start_time", v), 422, "payload.scheduled_event.start_time"),
    (post_fhir, lambda v: fhir_with("start", v), 422, "Appointment.start"),
    (post_fhir, lambda v: fhir_with("lastUpdated", v), 422, "Appointment.meta.lastUpdated"),
]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize(("post", "body", "status", "field"), INSTANTS, ids=[f"{c[0].__name__}:{c[3]}" for c in INSTANTS])
def test_an_instant_out_of_range_is_refused_naming_its_field(app, client, post, body, status, field, value):
    assert_refused(app, post(client, body(value)), status, f"{field} is out of range", value)


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_an_acuity_appointment_out_of_range_is_refused_naming_its_field(app, client, acuity, value):
    acuity.appointments["1001"] = load("acuity/appointment.json") | {"datetime": value}
    assert_refused(app, post_acuity(client), 422, "appointment.datetime is out of range")


# --- durations -----------------------------------------------------------------------------------------------------------


def test_a_calcom_booking_ending_before_it_starts_is_refused_naming_the_end(app, client):
    body = calcom("booking_created", paris(5), minutes=-30)
    assert_refused(app, post_calcom(client, body), 422, "payload.endTime must be after the start")


def test_a_calendly_event_lasting_two_days_is_refused_naming_the_end(app, client):
    body = calendly("invitee_created", paris(5), minutes=2 * 24 * 60)
    assert_refused(app, post_calendly(client, body), 422, "scheduled_event.end_time must be after the start and at most 24 h")


def test_an_acuity_duration_of_zero_is_refused_rather_than_guessed(app, client, acuity):
    acuity.appointments["1001"] = load("acuity/appointment.json") | {"datetime": paris(5).isoformat(), "duration": "0"}
    assert_refused(app, post_acuity(client), 422, "appointment.duration must be 1 to 1440 minutes")
