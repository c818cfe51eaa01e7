"""The table of booking systems and the one handler it feeds: every booking route comes from the table, and a signed
body that cannot be used is kept as rejected the same way whichever provider sent it."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from service import create_app
from service.extensions import db
from service.models import Appointment, Patient, WebhookEvent
from service.webhooks.handler import Provider
from service.webhooks.intake import body_hash
from service.webhooks.providers import PROVIDERS
from tests.conftest import make_settings
from tests.helpers import signed_headers
from tests.providers import ACUITY_KEY, CALCOM_SECRET, FHIR_TOKEN, acuity_signature, calendly_signature

BY_SOURCE = {p.source: p for p in PROVIDERS}

# How each sender signs a body, and a body it could sign that its parser refuses (Acuity's before Acuity is asked).
SIGN: dict[str, Callable[[bytes], dict[str, str]]] = {
    "generic": lambda raw: signed_headers(raw),
    "calcom": lambda raw: {"X-Cal-Signature-256": hmac.new(CALCOM_SECRET.encode(), raw, hashlib.sha256).hexdigest()},
    "calendly": lambda raw: {"Calendly-Webhook-Signature": calendly_signature(raw)},
    "acuity": lambda raw: {"X-Acuity-Signature": acuity_signature(raw, key=ACUITY_KEY)},
    "fhir": lambda raw: {"Authorization": f"Bearer {FHIR_TOKEN}"},
}
UNUSABLE: dict[str, bytes] = {
    "generic": json.dumps({"id": "evt_1", "type": "appointment.booked"}).encode(),
    "calcom": json.dumps({"triggerEvent": "BOOKING_CREATED", "payload": []}).encode(),
    "calendly": json.dumps({"event": "invitee.created", "payload": {"uri": "https://api.calendly.com/i/1"}}).encode(),
    "acuity": b"action=scheduled&calendarID=7",
    "fhir": json.dumps({"resourceType": "Patient", "id": "p-1"}).encode(),
}


def refusal_words(response: Any) -> list[str]:
    """The message then the details, from Recall's JSON error or a FHIR OperationOutcome alike."""
    body = response.get_json()
    if body.get("resourceType") == "OperationOutcome":
        return [issue["diagnostics"] for issue in body["issue"]]
    return [body["error"], *body["details"]]


def test_the_table_lists_every_booking_route_the_app_serves(tmp_path: Path) -> None:
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'routes.sqlite3'}"))
    served = {
        rule.rule: rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/webhooks/") and not rule.rule.startswith("/webhooks/twilio/")
    }
    assert set(served) == {f"/webhooks{p.path}" for p in PROVIDERS}
    for provider in PROVIDERS:
        rule = served[f"/webhooks{provider.path}"]
        assert rule.endpoint == f"webhooks.{provider.endpoint}"
        assert rule.methods is not None and rule.methods - {"OPTIONS"} == {"POST"}
    assert sorted(BY_SOURCE) == sorted(SIGN) == ["acuity", "calcom", "calendly", "fhir", "generic"]
    assert len(BY_SOURCE) == len(PROVIDERS)  # one entry per source


@pytest.mark.parametrize("source", sorted(SIGN))
def test_a_signed_body_that_cannot_be_used_is_kept_as_rejected_the_same_way_for_every_provider(app, client, source):
    provider: Provider = BY_SOURCE[source]
    raw = UNUSABLE[source]
    headers = SIGN[source](raw)
    for _ in range(2):  # a repeat is answered alike and kept once
        response = client.post(f"/webhooks{provider.path}", data=raw, headers=headers)
        assert response.status_code == provider.rejected_status, response.get_data(as_text=True)[:300]
    words = refusal_words(response)
    with app.app_context():
        kept = db.session.execute(select(WebhookEvent)).scalars().all()
        assert [(r.source, r.event_id, r.outcome) for r in kept] == [(source, body_hash(raw), "rejected")]
        assert kept[0].payload == raw.decode()  # the bytes that were verified, for staff to debug
        assert kept[0].error == "; ".join(words)  # what the sender was told
        assert db.session.execute(select(Appointment)).first() is None
        assert db.session.execute(select(Patient)).first() is None


@pytest.mark.parametrize("source", sorted(SIGN))
def test_a_body_signed_with_the_wrong_key_is_401_and_nothing_is_kept_for_every_provider(app, client, source):
    provider: Provider = BY_SOURCE[source]
    raw = UNUSABLE[source]
    # Signed over other bytes; FHIR has no signature, only a bearer token, here not the configured one.
    headers = {"Authorization": "Bearer not-the-token"} if source == "fhir" else SIGN[source](raw + b" ")
    response = client.post(f"/webhooks{provider.path}", data=raw, headers=headers)
    assert response.status_code == 401
    assert refusal_words(response)
    with app.app_context():
        assert db.session.execute(select(WebhookEvent)).first() is None
