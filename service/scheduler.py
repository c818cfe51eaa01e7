"""APScheduler 3 jobs. All state lives in our tables, so the scheduler keeps no job store of its own.

APScheduler job stores must never be shared between processes; instead every job
is safe to run twice (claims use SKIP LOCKED and dedupe keys), and exactly one
process should run this scheduler: `flask --app wsgi scheduler`, or the demo's
`serve` command in-process.
"""

from __future__ import annotations

import logging
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from .timeutil import utcnow

log = logging.getLogger(__name__)
TICK_SECONDS = 30


def run_tick(app: Flask) -> None:
    from .ticker import tick

    with app.app_context():
        report = tick(utcnow())
        log.info("tick: %s", report.summary())


def build_scheduler(app: Flask, *, blocking: bool) -> BaseScheduler:
    defaults: dict[str, Any] = {"coalesce": True, "max_instances": 1, "misfire_grace_time": TICK_SECONDS}
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(timezone="UTC", job_defaults=defaults)
    scheduler.add_job(run_tick, "interval", seconds=TICK_SECONDS, args=[app], id="tick", replace_existing=True,
                      next_run_time=utcnow())
    return scheduler
