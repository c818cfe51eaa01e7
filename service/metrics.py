"""Prometheus metrics: what was sent and delivered, how deep and how late the outbox is, webhooks, jobs.

Counters live in the process where the event happens: sends and jobs in the scheduler process, webhooks and
delivery receipts in the web workers. Each process serves them (the web at `GET /metrics`, the scheduler on
`SCHEDULER_METRICS_PORT`); under gunicorn with several workers, set `PROMETHEUS_MULTIPROC_DIR` and the workers'
counters are summed. The outbox gauges are read from the database at scrape time, so any instance tells the same.
The outcome gauges (this week's and last week's figures, service/outcomes.py) are computed by the daily housekeeping
job; a process that has none yet, or only a day-old one (a web worker), computes them once at its next scrape.
"""

from __future__ import annotations

import hmac
import os
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Flask, Response, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .domain.vocabulary import ReminderStatus
from .models import Reminder
from .runtime import get_settings
from .timeutil import utcnow

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # must exist before the first metric is made
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

MESSAGES = Counter(
    "recall_messages",
    "Messages by channel, kind, outcome (sent, delivered, undelivered, failed) and reason",
    ["channel", "kind", "outcome", "reason"],
)
DISPATCH_LATENCY = Histogram(
    "recall_dispatch_latency_seconds",
    "From a reminder's due time to the provider taking it",
    buckets=(1, 5, 15, 30, 60, 120, 300, 900, 3600, 4 * 3600),
)
WEBHOOKS = Counter("recall_webhook_requests", "Webhook deliveries by provider and outcome", ["provider", "outcome"])
JOB_RUNS = Counter(
    "recall_scheduler_job_runs", "Scheduler job runs by job and outcome (ok, failed, database_down)", ["job", "outcome"]
)
JOB_MISFIRES = Counter("recall_scheduler_job_misfires", "Scheduler runs skipped because they were too late", ["job"])

bp = Blueprint("metrics", __name__)


def count_message(channel: str, kind: str, outcome: str, reason: str = "") -> None:
    # Reasons are provider codes (21211, 30003, smtp 550): a short, bounded set, fit for a label.
    MESSAGES.labels(channel=channel, kind=kind, outcome=outcome, reason=reason[:32]).inc()


def observe_send(due_at: datetime, sent_at: datetime) -> None:
    DISPATCH_LATENCY.observe(max(0.0, (sent_at - due_at).total_seconds()))


class OutboxCollector:
    """Outbox depth and the age of the oldest due reminder, read at scrape time (two index scans)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = utcnow()
        up = GaugeMetricFamily("recall_database_up", "1 when the database answered this scrape's outbox queries")
        pending = GaugeMetricFamily(
            "recall_outbox_pending", "Reminders waiting to be sent, by channel and whether due now", labels=["channel", "due"]
        )
        oldest = GaugeMetricFamily(
            "recall_outbox_oldest_due_age_seconds", "How long the oldest due reminder has waited (0 when nothing is due)"
        )
        try:
            with self.engine.connect() as conn:
                due = Reminder.next_attempt_at <= now
                counts = conn.execute(
                    select(Reminder.channel, due, func.count())
                    .where(Reminder.status == ReminderStatus.PENDING)
                    .group_by(Reminder.channel, due)
                ).all()
                first = conn.execute(
                    select(func.min(Reminder.next_attempt_at)).where(Reminder.status == ReminderStatus.PENDING, due)
                ).scalar_one_or_none()
        except SQLAlchemyError:  # the counters must still be scraped when the database is away: say it is
            up.add_metric([], 0)
            yield up
            return
        for channel, is_due, count in counts:
            pending.add_metric([channel, "yes" if is_due else "no"], count)
        if isinstance(first, str):  # SQLite hands back text from an aggregate
            first = datetime.fromisoformat(first)
        if first is not None and first.tzinfo is None:
            first = first.replace(tzinfo=UTC)
        oldest.add_metric([], max(0.0, (now - first).total_seconds()) if first else 0.0)
        up.add_metric([], 1)
        yield up
        yield pending
        yield oldest


OUTCOMES_MAX_AGE = timedelta(hours=25)  # housekeeping runs daily; older than this, a scrape computes afresh


class OutcomeGauges:
    """The weekly outcome figures for the current and the last ISO week, kept in this process between refreshes.

    Only counts and rates leave: no patient, session or message is named in a label.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.values: dict[tuple[str, str], float] = {}  # (week, figure) -> value
        self.computed_at: datetime | None = None

    def refresh(self, db_session: Any, zone_name: str, now: datetime) -> int:
        """Compute the figures afresh; returns how many gauges there are (rates with no denominator are left out)."""
        from .outcomes import build_report

        report = build_report(db_session, zone_name, now, weeks=2)
        values = {
            (week, name): float(value)
            for week, line in (("last", report.weeks[0]), ("current", report.weeks[1]))
            for name, value in line.values.items()
            if value is not None
        }
        with self._lock:
            self.values, self.computed_at = values, now
        return len(values)

    def stale(self, now: datetime) -> bool:
        return self.computed_at is None or now - self.computed_at > OUTCOMES_MAX_AGE

    def collect(self, engine: Engine, zone_name: str) -> Iterator[GaugeMetricFamily]:
        now = utcnow()
        if self.stale(now):
            try:
                with Session(engine) as session:
                    self.refresh(session, zone_name, now)
            except SQLAlchemyError:
                return  # recall_database_up already tells the database is away
        gauge = GaugeMetricFamily(
            "recall_outcome",
            "Outcome figures per ISO week in the clinic's zone (see /admin/outcomes/ for each definition); rates are 0..1",
            labels=["week", "figure"],
        )
        with self._lock:
            for (week, name), value in sorted(self.values.items()):
                gauge.add_metric([week, name], value)
        yield gauge


OUTCOMES = OutcomeGauges()


class _OutcomeCollector:
    def __init__(self, engine: Engine, zone_name: str) -> None:
        self.engine, self.zone_name = engine, zone_name

    def collect(self) -> Iterator[GaugeMetricFamily]:
        return OUTCOMES.collect(self.engine, self.zone_name)


def exposition(engine: Engine) -> bytes:
    """The text format: this process's (or all workers') counters, then the outbox read from the database."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry: Any = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    outbox = CollectorRegistry(auto_describe=False)
    outbox.register(OutboxCollector(engine))
    outbox.register(_OutcomeCollector(engine, get_settings().clinic_timezone))
    return generate_latest(registry) + generate_latest(outbox)


def authorised(token: str | None, header: str | None) -> bool:
    if not token:
        return True
    given = (header or "").removeprefix("Bearer ").strip()
    return hmac.compare_digest(given.encode(), token.encode())


@bp.get("/metrics")
def metrics() -> Response:
    settings = get_settings()
    if not authorised(settings.metrics_token, request.headers.get("Authorization")):
        return Response(
            "a bearer token is required: Authorization: Bearer $METRICS_TOKEN\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"', "Content-Type": "text/plain"},
        )
    from .extensions import db

    return Response(exposition(db.engine), 200, {"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})


def metrics_wsgi_app(app: Flask) -> Any:
    """A WSGI app serving only /metrics, for the scheduler process (which has no web server of its own)."""

    def serve(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"only /metrics here\n"]
        settings = get_settings(app)
        if not authorised(settings.metrics_token, environ.get("HTTP_AUTHORIZATION")):
            start_response("401 Unauthorized", [("Content-Type", "text/plain"), ("WWW-Authenticate", 'Bearer realm="metrics"')])
            return [b"a bearer token is required\n"]
        with app.app_context():
            from .extensions import db

            body = exposition(db.engine)
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
        return [body]

    return serve


def serve_scheduler_metrics(app: Flask, port: int, host: str = "0.0.0.0") -> Any:
    """Serve /metrics from a daemon thread; returns the server (its `server_port`, `shutdown()`)."""
    import threading
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = make_server(host, port, metrics_wsgi_app(app), handler_class=Quiet)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
