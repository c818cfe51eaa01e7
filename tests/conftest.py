"""Fixtures: an app on SQLite (always) and on PostgreSQL (when TEST_DATABASE_URL is set), a fake
Twilio API and a real SMTP server on 127.0.0.1.

Each PostgreSQL test run gets a database of its own, created here and dropped at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from service import create_app
from service.content.seed import seed_tips
from service.extensions import db
from service.settings import Settings
from tests.fakes.smtp_server import FakeSmtp
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio

WEBHOOK_SECRET = "whsec-test-secret"
CLINIC_PHONE = "+33142868200"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(scope="session", autouse=True)
def test_clock() -> Iterator[None]:
    """`RECALL_TEST_CLOCK=<ISO-8601>` runs the whole suite as if the machine's clock read that moment (and ran on
    from it): the suite must pass at any hour, and tests/test_any_hour.py runs the time-sensitive parts so."""
    moment = os.environ.get("RECALL_TEST_CLOCK")
    if not moment:
        yield
        return
    import time_machine

    with time_machine.travel(datetime.fromisoformat(moment), tick=True):
        yield


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("RECALL_TEST_CLOCK"):
        skip = pytest.mark.skip(reason="a child process keeps the real clock")
        for item in items:
            if "real_clock" in item.keywords:
                item.add_marker(skip)


def _admin_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A fresh PostgreSQL database for this run, dropped afterwards."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield None
        return
    base = _admin_url(base)
    name = f"recall_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    schema_app = create_app(make_settings(url))
    with schema_app.app_context():
        db.create_all()
        db.engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def make_settings(database_url: str, **overrides: object) -> Settings:
    base = Settings(
        environment="test",
        database_url=database_url,
        secret_key="test-secret-key-0123456789",
        clinic_name="Clinique Lumière",
        clinic_phone=CLINIC_PHONE,
        clinic_timezone="Europe/Paris",
        clinic_region="FR",
        clinic_language="en",  # most tests read the panel in English; the French ones ask for fr
        public_base_url="https://recall.clinic.test",
        booking_webhook_secret=WEBHOOK_SECRET,
        calcom_webhook_secret="cal-test-secret",
        calendly_webhook_signing_key="calendly-test-signing-key",
        acuity_user_id="11145481",
        acuity_api_key="acuity-test-api-key",
        fhir_webhook_token="fhir-test-bearer-token",
        scheduler_enabled=False,
        sms_rate_per_second=1000.0,
    )
    return base.with_overrides(**overrides)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str | None) -> str:
    if request.param == "postgresql":
        assert postgres_url is not None
        return postgres_url
    return f"sqlite:///{tmp_path / 'recall.sqlite3'}"


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    server = FakeTwilio().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server() -> Iterator[FakeSmtp]:
    server = FakeSmtp().start()
    yield server
    server.stop()


@pytest.fixture
def settings(request: pytest.FixtureRequest, database_url: str) -> Settings:
    """Production transports (Twilio client, SMTP) pointed at the fakes on 127.0.0.1, for the tests that ask for a fake;
    the others get the console transport and start no server."""
    overrides: dict[str, object] = {"twilio_auth_token": AUTH_TOKEN}  # Twilio's callbacks are signed with it
    if "fake_twilio" in request.fixturenames:
        fake_twilio: FakeTwilio = request.getfixturevalue("fake_twilio")
        # A generous timeout: a loaded CI machine once took over 0.5 s to answer, which made a plain send look
        # ambiguous. Tests about timeouts ask for a short one with @pytest.mark.twilio_timeout(seconds).
        marker = request.node.get_closest_marker("twilio_timeout")
        overrides.update(
            twilio_account_sid=ACCOUNT_SID,
            twilio_from_number=FROM_NUMBER,
            twilio_api_base_url=fake_twilio.base_url,
            twilio_timeout_seconds=marker.args[0] if marker else 10.0,
        )
    if "smtp_server" in request.fixturenames:
        smtp_server: FakeSmtp = request.getfixturevalue("smtp_server")
        overrides.update(
            smtp_host="127.0.0.1",
            smtp_port=smtp_server.port,
            smtp_starttls=False,
            mail_from="Clinique Lumière <rappels@clinique.test>",
        )
    return make_settings(database_url, **overrides)


def _empty_tables() -> None:
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        db.session.commit()


@pytest.fixture
def app(settings: Settings) -> Iterator[object]:
    app = create_app(settings)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            db.create_all()
        else:
            _empty_tables()
        seed_tips(db.session)  # what migration 0002 does on a real database
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()
