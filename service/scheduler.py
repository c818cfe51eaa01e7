"""APScheduler 3 jobs. All state lives in our tables, so the scheduler keeps no job store of its own.

APScheduler job stores must never be shared between processes; instead every job
is safe to run twice (claims use SKIP LOCKED, dedupe keys, an advisory lock for
planning), and one process per deployment should run this scheduler:
`flask --app wsgi scheduler`, or the demo's `serve` command in-process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy.exc import OperationalError

from . import jobs
from .digest import DIGEST_HOUR
from .metrics import JOB_MISFIRES, JOB_RUNS
from .runtime import get_settings
from .timeutil import utcnow

log = logging.getLogger(__name__)
PLAN_MINUTES = 5
RECOVER_SECONDS = 60
DELIVER_EVENTS_SECONDS = 30  # outbound events: the booking system hears of a patient's action within the minute
HOUSEKEEPING_HOUR = 3  # clinic time: the quietest hour


def job_log(job: str) -> logging.Logger:
    """Each job logs under its own name (`service.jobs.dispatch`), so an operator can tell, and filter, which ran."""
    return logging.getLogger(f"{jobs.__name__}.{job}")


def run_job(app: Flask, name: str, job: str | None = None) -> None:
    """Run `jobs.<name>` in an app context, logging as `job` (the scheduler's id for it); a failure is logged and the
    next run tries again."""
    work: Callable[[datetime], Any] = getattr(jobs, name)
    logger = job_log(job or name)
    with app.app_context():
        try:
            result = work(utcnow())
        except OperationalError as exc:  # the database is away: say so in one line, the next run tries again
            JOB_RUNS.labels(job=name, outcome="database_down").inc()
            logger.warning(
                "job %s: database unavailable (%s); it runs again at its next time",
                job or name,
                type(exc.orig).__name__ if exc.orig else type(exc).__name__,
            )
            return
        except Exception:
            JOB_RUNS.labels(job=name, outcome="failed").inc()
            logger.exception("job %s failed; it runs again at its next time", job or name)
            return
        JOB_RUNS.labels(job=name, outcome="ok").inc()
        logger.info("job %s: %s", job or name, result)


def _missed(event: JobExecutionEvent) -> None:
    JOB_MISFIRES.labels(job=event.job_id).inc()
    log.warning("job %s missed its time (%s): the process was busy or asleep", event.job_id, event.scheduled_run_time)


def build_scheduler(app: Flask, *, blocking: bool) -> BaseScheduler:
    settings = get_settings(app)
    interval = settings.dispatch_interval_seconds
    defaults: dict[str, Any] = {"coalesce": True, "max_instances": 1, "misfire_grace_time": interval}
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(timezone="UTC", job_defaults=defaults)
    scheduler.add_listener(_missed, EVENT_JOB_MISSED)
    now = utcnow()
    # id and name alike: APScheduler's own "Running job" lines then say "dispatch", not a function's repr.
    table: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
        ("dispatch", "dispatch_due", "interval", {"seconds": interval, "next_run_time": now}),
        ("plan", "plan", "interval", {"minutes": PLAN_MINUTES, "next_run_time": now}),
        ("recover", "recover_leases", "interval", {"seconds": RECOVER_SECONDS}),
        (
            "housekeeping",
            "housekeeping",
            "cron",
            {"hour": HOUSEKEEPING_HOUR, "timezone": settings.clinic_timezone, "misfire_grace_time": 6 * 3600},
        ),
        *([digest_job(settings.clinic_timezone)] if settings.staff_digest_email else []),
    )
    for job, work, trigger, options in table:
        scheduler.add_job(run_job, trigger, args=[app, work, job], id=job, name=job, replace_existing=True, **options)
    if settings.outbound_webhook_url:  # the booking system's endpoint (docs/webhooks.md); without it no event is kept
        scheduler.add_job(
            run_job,
            "interval",
            args=[app, "deliver_events", "deliver_events"],
            id="deliver_events",
            name="deliver_events",
            replace_existing=True,
            seconds=DELIVER_EVENTS_SECONDS,
            next_run_time=now,
        )
    return scheduler


def digest_job(zone: str) -> tuple[str, str, str, dict[str, Any]]:
    """The front desk's email at 08:00 on the clinic's wall clock, whatever the clock change; a scheduler that was
    down at 08:00 still sends it until noon (the job itself never sends twice a day, nor before 08:00)."""
    return (
        "staff_digest",
        "staff_digest",
        "cron",
        {"hour": DIGEST_HOUR, "minute": 0, "timezone": zone, "misfire_grace_time": 4 * 3600},
    )
