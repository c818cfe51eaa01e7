"""Dispatch throughput against a fake Twilio with 100 ms latency: pooled vs sequential, and paced at 30/s."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from bench.common import REMINDER_COLUMNS, Figure, bench_settings, copy_rows, fresh_database, make_app, scaled, senders_of
from service import create_app
from service.dispatcher import Dispatcher
from service.extensions import db
from service.models import MessageTemplate
from service.timeutil import utcnow
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio, twilio_error


def seed(url: str, app: Any, count: int) -> Any:
    now = utcnow()
    with app.app_context():
        db.session.add(
            MessageTemplate(kind="bench", channel="sms", language="en", body="{{ clinic_name }}: hello. STOP to opt out")
        )
        db.session.commit()
    copy_rows(
        url,
        "patient",
        ["first_name", "last_name", "phone", "language", "sms_consent", "email_consent", "created_at", "updated_at"],
        ((f"P{i}", "", f"+3361{i:07d}", "en", True, False, now, now) for i in range(count)),
    )
    due = now - timedelta(minutes=1)
    rows: Iterator[tuple[Any, ...]] = (
        (i + 1, "bench", "sms", f"bench:{i}", due, due, "pending", 0, "{}", now, now) for i in range(count)
    )
    copy_rows(
        url,
        "reminder",
        REMINDER_COLUMNS,
        rows,
    )
    return now


def run(count: int, *, concurrency: int, rate: float, fake: Any) -> tuple[float, int]:
    with fresh_database() as url:
        settings = bench_settings(
            url,
            twilio_account_sid=ACCOUNT_SID,
            twilio_auth_token=AUTH_TOKEN,
            twilio_from_number=FROM_NUMBER,
            twilio_api_base_url=fake.base_url,
            dispatch_concurrency=concurrency,
            sms_rate_per_second=rate,
            dispatch_batch_size=500,
        )
        app = make_app(settings)
        now = seed(url, app, count)
        with app.app_context():
            dispatcher = Dispatcher(db.session, senders_of(app), settings)
            started = time.perf_counter()
            report = dispatcher.run(now)
            elapsed = time.perf_counter() - started
            db.session.remove()
            db.engine.dispose()
        return elapsed, report.sent


def _drain(url: str, settings: Any, now: Any, done: Any) -> None:
    import logging

    logging.disable(logging.WARNING)
    app = create_app(settings)
    with app.app_context():
        report = Dispatcher(db.session, senders_of(app), settings).run(now)
        db.session.remove()
        db.engine.dispose()
    done.put(report.sent)


def run_processes(count: int, *, processes: int, concurrency: int, fake: Any) -> tuple[float, int]:
    """The same drain split over dispatcher processes, as several scheduler instances would run it."""
    with fresh_database() as url:
        settings = bench_settings(
            url,
            twilio_account_sid=ACCOUNT_SID,
            twilio_auth_token=AUTH_TOKEN,
            twilio_from_number=FROM_NUMBER,
            twilio_api_base_url=fake.base_url,
            dispatch_concurrency=concurrency,
            sms_rate_per_second=1000.0,
            dispatch_batch_size=500,
        )
        now = seed(url, make_app(settings), count)
        spawn = multiprocessing.get_context("spawn")
        done = spawn.Queue()
        workers = [spawn.Process(target=_drain, args=(url, settings, now, done)) for _ in range(processes)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        sent = sum(done.get(timeout=600) for _ in workers)
        elapsed = time.perf_counter() - started
        for worker in workers:
            worker.join(timeout=30)
        return elapsed, sent


class RemoteFake:
    """Where the fake listens when it runs in a process of its own."""

    def __init__(self, port: int) -> None:
        self.base_url = f"http://127.0.0.1:{port}"


def _serve(latency: float, limit: float | None, ports: Any, stop: Any) -> None:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request would cost the fake its CPU
    fake = (RateLimitedTwilio(limit=limit) if limit else FakeTwilio(latency=latency)).start()
    ports.put(fake.port)
    stop.wait()
    ports.put({"messages": len(fake.messages), "refused": getattr(fake, "refused", 0)})
    fake.stop()


@contextmanager
def fake_process(*, latency: float = 0.0, limit: float | None = None) -> Iterator[tuple[RemoteFake, dict[str, int]]]:
    """The fake Twilio in its own process, as the real one is: it does not compete with the sender for the GIL."""
    spawn = multiprocessing.get_context("spawn")
    ports, stop = spawn.Queue(), spawn.Event()
    process = spawn.Process(target=_serve, args=(latency, limit, ports, stop), daemon=True)
    process.start()
    counts: dict[str, int] = {}
    try:
        yield RemoteFake(ports.get(timeout=30)), counts
    finally:
        stop.set()
        counts.update(ports.get(timeout=30))
        process.join(timeout=10)


class RateLimitedTwilio(FakeTwilio):
    """Answers 429 (20429) to any request beyond `limit` in a rolling second, as a real long code's queue would."""

    def __init__(self, limit: float = 30.0) -> None:
        super().__init__()
        self.limit = limit

    def _handle(self, request: Any) -> Any:
        with self._lock:
            moment = time.monotonic()
            self._times = [t for t in getattr(self, "_times", []) if moment - t < 1.0]
            over = len(self._times) >= self.limit
            if not over:
                self._times.append(moment)
            self.refused = getattr(self, "refused", 0) + int(over)
        if over:
            self.fail_next(twilio_error(20429, 429, "Too Many Requests"))
        return super()._handle(request)


def main() -> list[Figure]:
    results = []
    volume = scaled(10_000)
    with fake_process(latency=0.1) as (fake, _):
        seq_time, seq_sent = run(200, concurrency=1, rate=1000.0, fake=fake)
        seq_rate = seq_sent / seq_time
        results.append(
            Figure("sequential sender (200 SMS, 100 ms latency)", f"{seq_rate:.1f} msg/s", "baseline", seq_rate, "higher")
        )
        pool_time, pool_sent = run(volume, concurrency=48, rate=1000.0, fake=fake)
        pool_rate = pool_sent / pool_time
        results.append(
            Figure(
                f"pooled dispatch ({volume:,} SMS, 100 ms latency, 48 in flight)",
                f"{pool_rate:.0f} msg/s in {pool_time:.1f} s, {pool_rate / seq_rate:.1f}x sequential",
                ">= 200 msg/s, 20x",
                pool_rate,
                "higher",
            )
        )
        two_time, two_sent = run_processes(volume, processes=2, concurrency=24, fake=fake)
        two_rate = two_sent / two_time
        results.append(
            Figure(
                f"pooled dispatch, two dispatcher processes ({volume:,} SMS, 2 x 24 in flight)",
                f"{two_rate:.0f} msg/s in {two_time:.1f} s, {two_rate / seq_rate:.1f}x sequential",
                ">= 200 msg/s, 20x",
                two_rate,
                "higher",
            )
        )
    with fake_process(limit=30.0) as (limited, counts):
        paced_time, paced_sent = run(600, concurrency=8, rate=30.0, fake=limited)
    achieved = paced_sent / paced_time
    results.append(
        Figure(
            "paced at 30/s (600 SMS, the fake refuses above 30 in any rolling second)",
            f"{achieved:.1f} msg/s ({(achieved / 30 - 1) * 100:+.1f} %), {counts['refused']} x 429",
            "within 5 %, zero 429",
            achieved,
            None,  # closer to 30 is better, not more
        )
    )
    return results
