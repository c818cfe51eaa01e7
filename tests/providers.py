"""Realistic provider payloads from tests/fixtures, moved to the times a test needs, and signed as each provider signs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
CALCOM_SECRET = "cal-test-secret"
CALENDLY_KEY = "calendly-test-signing-key"
ACUITY_KEY = "acuity-test-api-key"
ACUITY_USER = "11145481"
FHIR_TOKEN = "fhir-test-bearer-token"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def calcom(name: str, starts: datetime, *, created: datetime | None = None, minutes: int = 10, **payload: Any) -> dict:
    body = load(f"calcom/{name}.json")
    body["createdAt"] = iso(created or datetime.now(UTC))
    body["payload"]["startTime"] = iso(starts)
    body["payload"]["endTime"] = iso(starts + timedelta(minutes=minutes))
    body["payload"].update(payload)
    return body


def post_calcom(client: Any, body: dict | bytes, *, secret: str = CALCOM_SECRET, signature: str | None = None) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    sig = signature if signature is not None else hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post("/webhooks/calcom", data=raw, headers={"Content-Type": "application/json", "X-Cal-Signature-256": sig})


def calendly_signature(raw: bytes, *, key: str = CALENDLY_KEY, at: int | None = None) -> str:
    stamp = str(int(time.time()) if at is None else at)
    return f"t={stamp},v1=" + hmac.new(key.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()


def acuity_signature(raw: bytes, *, key: str = ACUITY_KEY) -> str:
    return base64.b64encode(hmac.new(key.encode(), raw, hashlib.sha256).digest()).decode()


def calendly(name: str, starts: datetime | None = None, *, created: datetime | None = None, minutes: int = 10) -> dict:
    body = load(f"calendly/{name}.json")
    body["created_at"] = iso(created or datetime.now(UTC))
    if starts is not None:
        body["payload"]["scheduled_event"]["start_time"] = iso(starts)
        body["payload"]["scheduled_event"]["end_time"] = iso(starts + timedelta(minutes=minutes))
    return body


def post_calendly(
    client: Any, body: dict | bytes, *, key: str = CALENDLY_KEY, at: int | None = None, signature: str | None = None
) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    sig = signature if signature is not None else calendly_signature(raw, key=key, at=at)
    return client.post(
        "/webhooks/calendly", data=raw, headers={"Content-Type": "application/json", "Calendly-Webhook-Signature": sig}
    )
