"""Webhook ingestion under gunicorn on PostgreSQL: signed generic bookings posted concurrently, beside /livez."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from bench.common import Figure, bench_settings, fresh_database, make_app, scaled

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-webhook-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def body(i: int) -> bytes:
    starts = datetime.now(UTC) + timedelta(days=5, minutes=i)
    return json.dumps(
        {
            "id": f"evt-{i}",
            "type": "appointment.booked",
            "occurred_at": datetime.now(UTC).isoformat(),
            "appointment": {"id": f"appt-{i}", "starts_at": starts.isoformat(), "duration_minutes": 10, "area": "thighs"},
            "patient": {
                "id": f"p-{i}",
                "first_name": "Camille",
                "phone": f"+3361{i:07d}",
                "timezone": "Europe/Paris",
                "language": "fr",
                "sms_consent": True,
                "email_consent": False,
            },
        }
    ).encode()


def load(url: str, count: int, concurrency: int, make: object) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(count))

    def worker() -> None:
        session = requests.Session()
        for i in counter:
            method, path, data, headers = make(i)  # type: ignore[operator]
            started = time.perf_counter()
            response = session.request(method, url + path, data=data, headers=headers, timeout=30)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.text[:200]
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies


def signed(i: int) -> tuple[str, str, bytes, dict[str, str]]:
    raw = body(i)
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return (
        "POST",
        "/webhooks/generic",
        raw,
        {"X-Recall-Timestamp": stamp, "X-Recall-Signature": f"sha256={digest}", "Content-Type": "application/json"},
    )


def trivial(i: int) -> tuple[str, str, bytes, dict[str, str]]:
    return "GET", "/livez", b"", {}


def main() -> list[Figure]:
    volume = scaled(3000)
    with fresh_database() as url:
        make_app(bench_settings(url))  # the schema
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SMTP_"))}
        env.update(
            RECALL_ENV="test",
            DATABASE_URL=url,
            SECRET_KEY="bench-secret-key-0123456789",
            CLINIC_PHONE="+33142868200",
            BOOKING_WEBHOOK_SECRET=SECRET,
            SCHEDULER_ENABLED="false",
        )
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                "2",
                "--threads",
                "4",
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    if requests.get(base + "/livez", timeout=1).status_code == 200:
                        break
                except requests.RequestException:  # not listening yet, or a worker still importing
                    time.sleep(0.1)
            load(base, 200, 8, signed)  # warm up
            live_time, live = load(base, volume, 16, trivial)
            hook_time, hooks = load(base, volume, 16, signed)
            workers = [
                int(p) for p in subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
            ]
            memory = max((rss_mb(p) for p in workers), default=0.0)
        finally:
            server.terminate()
            server.wait(timeout=10)

    def pct(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100)[int(q) - 1] * 1000

    live_rate, hook_rate = len(live) / live_time, len(hooks) / hook_time
    return [
        Figure(
            "trivial endpoint /livez under gunicorn (2 workers x 4 threads, 16 clients)",
            f"{live_rate:.0f} req/s, p50 {pct(live, 50):.1f} ms, p99 {pct(live, 99):.1f} ms",
            "comparison",
            live_rate,
            "higher",
        ),
        Figure(
            f"signed generic bookings ({volume:,}, 16 clients, PostgreSQL, planned inline)",
            f"{hook_rate:.0f} req/s, p50 {pct(hooks, 50):.1f} ms, p99 {pct(hooks, 99):.1f} ms",
            ">= 300 req/s, p99 < 100 ms",
            hook_rate,
            "higher",
        ),
        Figure("  their p99 latency", f"{pct(hooks, 99):.1f} ms", "< 100 ms", pct(hooks, 99), "lower"),
        Figure(
            "  bookings as a share of the trivial endpoint's rate, same run",
            f"{hook_rate / live_rate * 100:.0f} %",
            "",
            hook_rate / live_rate * 100,
            "higher",
        ),
        Figure("resident memory of a web worker after the load", f"{memory:.0f} MB", "< 150 MB", memory, "lower"),
    ]
