"""`make demo` opens on a login: a demo account made once, `/` leads to the panel, and a console an operator can read."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from service.demo import DEMO_EMAIL
from service.extensions import db, limiter
from service.logs import quiet_static_assets
from service.models import User
from service.runtime import override
from service.scheduler import build_scheduler
from service.timeutil import utcnow
from tests.admin.conftest import sign_in
from tests.helpers import booking, paris, post_booking, tick


def seed(app: Any) -> Any:
    return app.test_cli_runner().invoke(args=["demo", "seed"])


@pytest.fixture
def development(app: Any, settings: Any) -> Any:
    override(app, settings=settings.with_overrides(environment="development", clinic_language="fr"))
    return app


def test_the_demo_account_is_made_once_and_its_password_shown_once_signs_in(development, client):
    first = seed(development)
    assert first.exit_code == 0, first.output
    password = re.search(rf"{re.escape(DEMO_EMAIL)}\s+password: (\S+)", first.output)
    assert password, first.output
    again = seed(development)
    assert again.exit_code == 0, again.output
    assert password.group(1) not in again.output  # only its hash is kept: it cannot be shown again
    assert f"flask --app wsgi users set-password {DEMO_EMAIL}" in again.output
    with development.app_context():
        (user,) = db.session.execute(select(User).where(User.email == DEMO_EMAIL)).scalars()
        assert user.role == "admin" and user.language == "fr"
        limiter.reset()
    assert sign_in(client, DEMO_EMAIL, password.group(1)).status_code == 302  # no second factor outside production
    assert client.get("/admin/").status_code == 200


def test_outside_development_the_demo_seed_refuses_and_makes_no_account(app):
    result = seed(app)  # the suite's settings say RECALL_ENV=test
    assert result.exit_code != 0
    assert "development only" in result.output and "RECALL_ENV=test" in result.output
    with app.app_context():
        assert db.session.execute(select(User).where(User.email == DEMO_EMAIL)).first() is None


def test_the_bare_address_leads_to_the_panel_and_its_login(client):
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/admin/")
    panel = client.get(home.headers["Location"])
    assert panel.status_code == 302 and "/login" in panel.headers["Location"]
    assert client.get("/healthz").status_code == 200  # the rest is untouched
    assert client.get("/livez").status_code == 200
    assert client.post("/webhooks/generic", data=b"{}").status_code != 302


def test_the_favicon_is_served_as_an_svg(client):
    response = client.get("/static/favicon.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"


@pytest.fixture
def served(app: Any) -> Iterator[str]:
    """The app behind Werkzeug's dev server, as `serve` runs it, with its static-asset filter."""
    quiet = quiet_static_assets()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    logging.getLogger("werkzeug").removeFilter(quiet)


def fetch(url: str) -> None:
    with contextlib.suppress(urllib.error.HTTPError):  # a 404 is fine: the access line is what this test reads
        urllib.request.urlopen(url, timeout=5).read()


def test_the_dev_server_logs_no_line_per_static_file_but_every_other_request(served, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    for path in ("/static/favicon.svg", "/admin/static/admin/js/helpers.js?v=1.0.0", "/healthz", "/static/missing.css"):
        fetch(served + path)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any("missing.css" in r.getMessage() for r in caplog.records):
        time.sleep(0.05)  # the server writes its line after the answer
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("GET /healthz" in line for line in lines), lines
    assert any("missing.css" in line for line in lines), lines  # a failing asset still shows
    assert not any("favicon.svg" in line or "helpers.js" in line for line in lines), lines


def test_each_scheduler_job_logs_under_its_own_name(app, caplog):
    caplog.set_level(logging.INFO)
    scheduler = build_scheduler(app, blocking=False)
    scheduler.start(paused=True)
    for job in scheduler.get_jobs():
        if job.id != "recover":
            job.pause()
    scheduler.get_job("recover").modify(next_run_time=utcnow())
    scheduler.resume()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(r.name == "service.jobs.recover" for r in caplog.records):
        time.sleep(0.05)
    scheduler.shutdown(wait=True)
    ours = [r for r in caplog.records if r.name == "service.jobs.recover"]
    assert ours and ours[0].getMessage().startswith("job recover: ")
    running = [r.getMessage() for r in caplog.records if r.name.startswith("apscheduler") and "Running job" in r.getMessage()]
    assert running and all(m.startswith('Running job "recover (trigger') for m in running), running
    assert not any("run_job" in r.getMessage() for r in caplog.records)


def test_the_console_line_names_the_kind_and_the_patients_local_time_and_nothing_personal(app, client, caplog):
    starts = paris(2)
    body = booking(starts, first_name="Camille", last_name="Martin", phone="+33612345678")
    assert post_booking(client, body).status_code == 200
    caplog.set_level(logging.INFO, logger="service.channels.console")
    at = starts - timedelta(hours=24) + timedelta(minutes=5)
    tick(app, at)
    lines = [r.getMessage() for r in caplog.records if r.name == "service.channels.console"]
    local = at.astimezone(ZoneInfo("Europe/Paris"))
    assert any(f"+33 6 •• •• •• 78: reminder_24h, {local:%Y-%m-%d} {local:%H:%M} Europe/Paris" in line for line in lines), lines
    for line in lines:
        assert "Camille" not in line and "Martin" not in line and "612345678" not in line
