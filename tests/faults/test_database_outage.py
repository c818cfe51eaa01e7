"""PostgreSQL stops for 30 s under a running service: /healthz says 503 meanwhile, nothing is lost, work resumes alone.

The test runs a PostgreSQL cluster of its own (initdb into a temporary folder, on its
own port), so stopping it disturbs nothing else on the machine.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, insert, select, text

from service.models import MessageTemplate, Patient, Reminder
from service.planner import NEVER
from service.timeutil import utcnow
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
BINS = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
BIN = BINS[-1] if BINS else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def as_postgres(*args: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)


@pytest.fixture
def private_postgres() -> Iterator[tuple[str, Path, int]]:
    if BIN is None or not (BIN / "initdb").exists() or (shutil.which("runuser") is None and os.geteuid() == 0):
        pytest.skip("PostgreSQL's server binaries are not installed here: the outage test needs a cluster of its own")
    # Not under pytest's tmp_path: its parents are private to root, and the cluster runs as the postgres user.
    folder = Path(tempfile.mkdtemp(prefix="recall-pg-"))
    folder.chmod(0o755)
    data = folder / "pg"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    port = free_port()
    subprocess.run(
        as_postgres(str(BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"), check=True, capture_output=True
    )
    control = as_postgres(
        str(BIN / "pg_ctl"),
        "-D",
        str(data),
        "-l",
        str(data / "log"),
        "-w",
        "-o",
        f"-p {port} -k {data} -c listen_addresses=127.0.0.1",
    )
    subprocess.run([*control, "start"], check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", data, port
    finally:
        subprocess.run([*control, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def pg(data: Path, port: int, action: str) -> None:
    command = as_postgres(
        str(BIN / "pg_ctl"),
        "-D",
        str(data),
        "-l",
        str(data / "log"),
        "-w",
        "-m",
        "fast",
        "-o",
        f"-p {port} -k {data} -c listen_addresses=127.0.0.1",
        action,
    )
    subprocess.run(command, check=True, capture_output=True)


def test_the_service_rides_out_a_database_outage(private_postgres):
    url, data, pg_port = private_postgres
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SMTP_", "DATABASE_URL", "SECRET_KEY"))}
    env.update(RECALL_ENV="test", DATABASE_URL=url, SECRET_KEY="outage-test-secret-key", CLINIC_PHONE="+33142868200")
    assert (
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, capture_output=True
        ).returncode
        == 0
    )
    engine = create_engine(url)
    now = utcnow()
    due = now + timedelta(seconds=20)  # falls due while the database is down
    with engine.begin() as conn:
        conn.execute(
            insert(MessageTemplate),
            [
                {
                    "kind": "outage_check",
                    "channel": "sms",
                    "language": "en",
                    "body": "{{ clinic_name }}: hello. Reply STOP to opt out",
                    "updated_at": now,
                }
            ],
        )
        conn.execute(
            insert(Patient),
            [
                {
                    "first_name": f"P{i}",
                    "last_name": "",
                    "phone": f"+336123460{i:02d}",
                    "language": "en",
                    "sms_consent": True,
                    "email_consent": False,
                    "replan_at": NEVER,  # these reminders are the test's, not the planner's: the sweep need not look
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(20)
            ],
        )
        ids = conn.execute(select(Patient.id)).scalars().all()
        conn.execute(
            insert(Reminder),
            [
                {
                    "patient_id": pid,
                    "kind": "outage_check",
                    "channel": "sms",
                    "dedupe_key": f"outage:{pid}",
                    "due_at": due,
                    "next_attempt_at": due,
                    "status": "pending",
                    "attempts": 0,
                    "context": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for pid in ids
            ],
        )
    engine.dispose()

    fake = FakeTwilio().start()
    port = free_port()
    env.update(
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_FROM_NUMBER=FROM_NUMBER,
        TWILIO_API_BASE_URL=fake.base_url,
        PUBLIC_BASE_URL="https://recall.clinic.test",
        QUIET_HOURS="0-24",
        SCHEDULER_ENABLED="true",
        DISPATCH_INTERVAL_SECONDS="2",
        SMS_RATE_PER_SECOND="100",
    )
    log = (data.parent / "service.log").open("w")  # a file, not a pipe nobody reads until the end: that would block
    server = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    health = f"http://127.0.0.1:{port}/healthz"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(health, timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the service did not start"
            time.sleep(0.2)

        pg(data, pg_port, "stop")
        down_answers = []
        stopped_at = time.monotonic()
        while time.monotonic() - stopped_at < 30:
            down_answers.append(requests.get(health, timeout=10).status_code)
            time.sleep(1)
        assert set(down_answers) == {503}  # honest about it, and never a crash
        assert fake.messages == []
        pg(data, pg_port, "start")

        deadline = time.monotonic() + 30
        while len(fake.messages) < 20 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert requests.get(health, timeout=5).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()
        output = (data.parent / "service.log").read_text()
        fake.stop()
    per_reminder = {m["status_callback"].rsplit("=", 1)[1] for m in fake.messages}
    assert len(fake.messages) == 20 and len(per_reminder) == 20, output[-3000:]  # all of them, once each, by itself
    assert "database unavailable" in output and "Traceback" not in output  # one line per failed run, not a stack
    engine = create_engine(url)
    with engine.connect() as conn:
        assert set(conn.execute(text("SELECT status FROM reminder")).scalars()) == {"sent"}
    engine.dispose()
