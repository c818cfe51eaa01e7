"""Schemathesis against docs/openapi.yaml: every documented endpoint, generated inputs, answers as documented.

A small WSGI signer in front of the app signs each generated request the way its
provider would, so the inputs reach the parsers instead of stopping at 401.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from twilio.request_validator import RequestValidator
from werkzeug.wrappers import Request

from service.runtime import get_settings, override
from tests.conftest import WEBHOOK_SECRET
from tests.fakes.acuity_api import FakeAcuity
from tests.fakes.twilio_api import AUTH_TOKEN
from tests.providers import ACUITY_KEY, ACUITY_USER, CALCOM_SECRET, FHIR_TOKEN, acuity_signature, calendly_signature

pytestmark = pytest.mark.slow
OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


class Signer:
    """Signs each request as its sender would: only the test does this, the app checks as in production."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(raw), str(len(raw))
        path = environ.get("PATH_INFO", "")
        if path == "/webhooks/generic":
            stamp = str(int(time.time()))
            environ["HTTP_X_RECALL_TIMESTAMP"] = stamp
            environ["HTTP_X_RECALL_SIGNATURE"] = (
                "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
            )
        elif path == "/webhooks/calcom":
            environ["HTTP_X_CAL_SIGNATURE_256"] = hmac.new(CALCOM_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        elif path == "/webhooks/calendly":
            environ["HTTP_CALENDLY_WEBHOOK_SIGNATURE"] = calendly_signature(raw)
        elif path == "/webhooks/acuity":
            environ["HTTP_X_ACUITY_SIGNATURE"] = acuity_signature(raw, key=ACUITY_KEY)
        elif path == "/webhooks/fhir":
            environ["HTTP_AUTHORIZATION"] = f"Bearer {FHIR_TOKEN}"
        elif path.startswith("/webhooks/twilio/"):
            query = environ.get("QUERY_STRING", "")
            url = "https://recall.clinic.test" + path + (f"?{query}" if query else "")
            form = Request(dict(environ, **{"wsgi.input": io.BytesIO(raw)})).form
            environ["HTTP_X_TWILIO_SIGNATURE"] = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
            environ["wsgi.input"] = io.BytesIO(raw)
        return self.app(environ, start_response)


@pytest.fixture
def api_schema(app: Any) -> Iterator[Any]:
    acuity = FakeAcuity(ACUITY_USER, ACUITY_KEY).start()  # knows no appointment: generated ids get Acuity's 404
    settings_ = get_settings(app)
    override(app, settings=settings_.with_overrides(acuity_api_base_url=acuity.base_url))
    app.wsgi_app = Signer(app.wsgi_app)  # type: ignore[method-assign]
    schema = schemathesis.openapi.from_path(OPENAPI)
    schema.app = app
    yield schema
    acuity.stop()


OPERATIONS = [op.ok() for op in schemathesis.openapi.from_path(OPENAPI).get_all_operations()]


@pytest.mark.parametrize("label", [op.label for op in OPERATIONS])
def test_every_endpoint_answers_as_documented_and_never_with_a_server_error(api_schema: Any, label: str) -> None:
    operation = next(op.ok() for op in api_schema.get_all_operations() if op.ok().label == label)

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        case.call_and_validate(
            checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
        )

    check()
