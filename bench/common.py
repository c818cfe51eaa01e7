"""Shared bench plumbing: a fresh PostgreSQL database per run, an app on it, bulk rows, the machine's description."""

from __future__ import annotations

import os
import platform
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from service import create_app
from service.extensions import db
from service.settings import Settings

ADMIN_URL = (
    os.environ.get("BENCH_DATABASE_URL")
    or os.environ.get("TEST_DATABASE_URL")
    or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


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
