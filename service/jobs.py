"""The background jobs, each a plain function of `now`: what the scheduler runs and `reminders tick` chains.

On PostgreSQL the planning jobs take a transaction-level advisory lock, so when
several instances run a scheduler only one plans at a time (the others skip);
dispatch needs no such lock, its claims use SKIP LOCKED.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import text

from .delivery_days import keep_settled_days
from .dispatcher import Dispatcher, DispatchReport
from .extensions import DbSession, db
from .metrics import OUTCOMES
from .outbound_delivery import DeliveryReport, deliver_due
from .planner import PlanResult, plan_changed, plan_due
from .privacy import purge_expired
from .runtime import get_pacer, get_senders, get_settings, get_whatsapp_pacer

log = logging.getLogger(__name__)
PLANNING_LOCK = 0x5245_4341  # "RECA": one number for every planning job
SWEEP_BATCH = 200  # patients planned per transaction by the sweep
SWEEP_LOCK_WAIT_SECONDS = 60  # how long the sweep waits for another planning job before leaving the rest to its next run


def _with_planning_lock(session: DbSession, work: Callable[[], PlanResult]) -> PlanResult | None:
    if session.get_bind().dialect.name == "postgresql":
        got = session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": PLANNING_LOCK}).scalar_one()
        if not got:
            session.rollback()
            log.info("planning skipped: another instance is planning")
            return None
    try:
        result = work()
        session.commit()
    except Exception:
        session.rollback()
        raise
    return result


def plan_changes(now: datetime) -> PlanResult | None:
    """Every 5 minutes: patients whose sessions changed and are not yet planned (a webhook's own planning failed)."""
    settings = get_settings()
    return _with_planning_lock(db.session, lambda: plan_changed(db.session, settings, now))


def plan_sweep(now: datetime) -> PlanResult | None:
    """Every 5 minutes, after `plan_changes`: courses that ended by time alone, next week's tips, maintenance reminders.

    Only patients whose plan time may have changed by `now` (`Patient.replan_at`), so the cost follows what came
    due, not the patient list. One transaction per batch, so that a long sweep (the first after an upgrade plans
    everyone once) never holds many patients' rows from the dispatcher. The planning lock is taken again for each
    batch; while another planner holds it (a second scheduler by mistake, `reminders tick` by hand), the sweep
    waits, and only after a minute leaves what is left, still due, to its next run.
    """
    settings = get_settings()
    total: PlanResult | None = None
    waited = 0
    while True:
        batch = _with_planning_lock(db.session, lambda: plan_due(db.session, settings, now, limit=SWEEP_BATCH))
        if batch is None:
            if waited >= SWEEP_LOCK_WAIT_SECONDS:
                return total
            time.sleep(1)
            waited += 1
            continue
        if total is None:
            total = batch
        else:
            total += batch
        if batch.patients < SWEEP_BATCH:
            return total


def plan(now: datetime) -> PlanResult:
    """The planning job: what events changed, then what time alone changed. Both cost what came due, so every 5 minutes."""
    result = PlanResult()
    result += plan_changes(now) or PlanResult()
    result += plan_sweep(now) or PlanResult()
    return result


def dispatcher() -> Dispatcher:
    app = current_app
    return Dispatcher(
        db.session, get_senders(app), get_settings(app), pacer=get_pacer(app), whatsapp_pacer=get_whatsapp_pacer(app)
    )


def recover_leases(now: datetime) -> int:
    return dispatcher().recover_expired(now)


def dispatch_due(now: datetime) -> DispatchReport:
    return dispatcher().run(now)


def deliver_events(now: datetime) -> DeliveryReport:
    """Every 30 s: post the outbound events that are due to the booking system (nothing without OUTBOUND_WEBHOOK_URL)."""
    return deliver_due(db.session, get_settings(), now)


def housekeeping(now: datetime) -> dict[str, int]:
    """Daily, in the quiet hours: purge what is past its retention, count the days that have settled, refresh the
    outcome gauges of /metrics."""
    settings = get_settings()
    purged = purge_expired(
        db.session, retention_months=settings.retention_months, payload_days=settings.webhook_payload_retention_days, now=now
    )
    db.session.commit()
    today = now.astimezone(ZoneInfo(settings.clinic_timezone)).date()
    counted = keep_settled_days(db.session, settings.clinic_timezone, today)
    outcome_gauges = OUTCOMES.refresh(db.session, settings.clinic_timezone, now)
    return {
        "bodies_purged": purged.bodies,
        "replies_purged": purged.replies,
        "payloads_purged": purged.payloads,
        "days_counted": counted,
        "outcome_gauges": outcome_gauges,
    }


def staff_digest(now: datetime) -> str:
    """Daily at 08:00 clinic time: email the front desk's open to-do items (once a day, only when there are some)."""
    from .digest import send_digest

    return send_digest(db.session, get_settings(), get_senders(), now)
