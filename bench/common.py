"""Shared bench plumbing: a fresh PostgreSQL database per run, an app on it, bulk rows, the machine's description."""

from __future__ import annotations

import os
import platform
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from service import create_app
from service.extensions import db
from service.settings import Settings

ADMIN_URL = (
    os.environ.get("BENCH_DATABASE_URL")
    or os.environ.get("TEST_DATABASE_URL")
    or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


# BENCH_SCALE=0.3 runs the volume benchmarks (pooled dispatch, webhook load) on 30 % of their rows or requests:
# a before/after sitting in a third of the time. Labels say the counts actually used.
SCALE = float(os.environ.get("BENCH_SCALE") or 1.0)


def scaled(count: int) -> int:
    return max(100, int(count * SCALE))


class Figure(NamedTuple):
    """One line of the report: `number` (in the unit `value` names first) lets a baseline run compute the change."""

    label: str
    value: str
    goal: str
    number: float | None = None
    better: str | None = None  # "higher" | "lower": which way a change is an improvement


def machine() -> str:
    with open("/proc/cpuinfo") as info:
        cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), "?")
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}"


@contextmanager
def fresh_database() -> Iterator[str]:
    name = f"recall_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# The columns the benches COPY into `reminder` (sent_at left out: not sent yet).
REMINDER_COLUMNS = [
    "patient_id",
    "kind",
    "channel",
    "dedupe_key",
    "due_at",
    "next_attempt_at",
    "status",
    "attempts",
    "context",
    "created_at",
    "updated_at",
]


def bench_settings(url: str, **overrides: Any) -> Settings:
    base = Settings(
        environment="test",
        database_url=url,
        secret_key="bench-secret-key-0123456789",
        clinic_name="Bench",
        clinic_phone="+33142868200",
        public_base_url="https://recall.bench.test",
        scheduler_enabled=False,
        quiet_hours=(0, 24),
        sms_daily_cap=0,
        max_messages_per_day=0,
    )
    return base.with_overrides(**overrides)


def make_app(settings: Settings) -> Any:
    app = create_app(settings)
    with app.app_context():
        db.create_all()
    return app


def copy_rows(url: str, table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> None:
    """COPY, the fast way to put a million rows in PostgreSQL."""
    import psycopg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        cur.execute(f"ANALYZE {table}")


def iso(moment: datetime) -> str:
    return moment.isoformat()


def senders_of(app: Any) -> Any:
    """The app's senders, at this revision and at older ones (a baseline run: `make bench BASELINE=rev`)."""
    try:
        from service.runtime import get_senders
    except ImportError:  # before the typed runtime accessors
        return app.extensions["recall.senders"]
    return get_senders(app)


@dataclass
class StatementCount:
    """SQL statements the engine sent (one per cursor execution; COMMIT and ROLLBACK not counted)."""

    total: int = 0


@contextmanager
def counting_statements(engine: Any) -> Iterator[StatementCount]:
    count = StatementCount()

    def _count(*_: Any) -> None:
        count.total += 1

    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield count
    finally:
        event.remove(engine, "before_cursor_execute", _count)
