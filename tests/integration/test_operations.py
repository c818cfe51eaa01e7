"""What the person deploying Recall relies on: start-up errors, migrations, health, the demo."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from service import create_app
from service.content.tips import SHIPPED_TIPS, TIP_LANGUAGES
from service.extensions import db
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]


def run_flask(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SMTP_", "DATABASE_URL", "SECRET_KEY"))}
    full.update(env)
    return subprocess.run([*FLASK, *args], cwd=ROOT, env=full, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"RECALL_ENV": "production", "CLINIC_PHONE": "+33142868200"}, "SECRET_KEY"),
        ({"RECALL_ENV": "test"}, "SECRET_KEY is required outside development"),
        ({"RECALL_ENV": "development", "LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({"RECALL_ENV": "development", "CLINIC_TIMEZONE": "Paris/France"}, "CLINIC_TIMEZONE"),
        ({"RECALL_ENV": "development", "SMS_RATE_PER_SECOND": "fast"}, "SMS_RATE_PER_SECOND"),
        ({"RECALL_ENV": "development", "TWILIO_ACCOUNT_SID": "AC123"}, "TWILIO_AUTH_TOKEN"),
    ],
)
def test_a_bad_setting_stops_start_up_with_one_line_naming_it(tmp_path, env, named):
    result = run_flask(["reminders", "tick"], {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", **env})
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("recall: configuration error:") and named in lines[0]


def test_migrations_build_exactly_the_schema_the_models_describe(database_url, tmp_path):
    if database_url.startswith("postgresql"):
        # A database of its own: the suite's shared one was built from the models, not the migrations.
        name = f"recall_mig_{os.getpid()}"
        admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    else:
        admin, name, url = None, None, f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    app = create_app(make_settings(url))
    try:
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
            assert diff == []
            # A new clinic starts with the shipped tip library in every language, ready to edit.
            by_language = dict(db.session.execute(text("SELECT language, COUNT(*) FROM tip GROUP BY language")).all())
            assert by_language == {language: len(SHIPPED_TIPS) for language in TIP_LANGUAGES}
            rules = db.session.execute(text("SELECT kind, channel, offset_minutes FROM reminder_rule ORDER BY id")).all()
            assert [tuple(r) for r in rules] == [
                ("reminder_48h", "email", 2880),
                ("reminder_24h", "sms", 1440),
                ("reminder_2h", "sms", 120),
            ]
            db.session.remove()
            db.engine.dispose()
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def test_health_is_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_health_is_503_naming_the_database_when_it_is_down():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(make_settings(f"postgresql+psycopg://postgres@127.0.0.1:{port}/nowhere"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "down"
    # Liveness is the process alone: a database outage must not get the service restarted in a loop.
    assert app.test_client().get("/livez").get_json() == {"status": "ok"}


def test_the_connection_pool_has_a_connection_for_every_send_in_flight(settings):
    app = create_app(
        settings.with_overrides(database_url="postgresql+psycopg://postgres@127.0.0.1:5432/x", dispatch_concurrency=48)
    )
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["pool_size"] >= 48 + 1  # the senders, and the dispatcher's own claims


@pytest.mark.real_clock
def test_the_demo_seeds_once_and_its_console_transport_sends_masked_reminders(tmp_path):
    env = {"RECALL_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}", "CLINIC_NAME": "Demo Clinic"}
    assert run_flask(["db", "upgrade"], env).returncode == 0
    first = run_flask(["demo", "seed"], env)
    second = run_flask(["demo", "seed"], env)
    assert "7 bookings added" in first.stdout
    assert "0 bookings added, 7 demo sessions" in second.stdout

    paris = ZoneInfo("Europe/Paris")
    tomorrow = datetime.now(paris).date() + timedelta(days=1)
    at = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 11, 0, tzinfo=paris)
    result = run_flask(["reminders", "tick", "--at", at.isoformat()], env)

    assert result.returncode == 0, result.stderr
    assert "console sms" in result.stderr
    assert "+33 6 •• •• •• 78" in result.stderr  # Camille's number, masked
    for secret in ("612345678", "+33612345678", "camille@example.test", "Camille"):
        assert secret not in result.stderr
    sent = int(result.stdout.split("sent ")[1].split(",")[0])
    assert sent >= 1


def test_the_demo_server_answers_health_with_the_scheduler_running(tmp_path):
    env = {"RECALL_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}
    assert run_flask(["db", "upgrade"], env).returncode == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    full = {**os.environ, **env}
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [*FLASK, "serve", "--port", str(port)], cwd=ROOT, env=full, stdout=log, stderr=subprocess.STDOUT, text=True
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    response = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                    break
                except requests.ConnectionError:
                    assert time.monotonic() < deadline, "the demo server did not start"
                    time.sleep(0.3)
            assert response.status_code == 200
            assert response.json()["database"] == "ok"
            # The jobs run at start in the scheduler's thread: wait for them to report (slow machines take a moment).
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not all(
                line in log_path.read_text() for line in ("job dispatch: DispatchReport(", "job plan: PlanResult(")
            ):
                time.sleep(0.3)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    output = log_path.read_text()
    assert "scheduler: running in-process" in output
    assert "job dispatch: DispatchReport(" in output and "job plan: PlanResult(" in output
