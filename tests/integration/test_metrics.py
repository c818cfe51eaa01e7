"""`GET /metrics`: what an operator's Prometheus sees after a real run, and who may read it."""

from __future__ import annotations

import time
from datetime import timedelta

import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from service import create_app
from service.extensions import db
from service.metrics import serve_scheduler_metrics
from service.models import Reminder
from service.scheduler import build_scheduler, run_job
from service.timeutil import utcnow
from tests.helpers import book, booking, paris, post_booking, tick, twilio_message
from tests.integration.test_delivery_receipts import callback


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(scrape: dict, name: str, **labels: str) -> float:
    return scrape.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(client, **headers: str) -> dict:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return samples(response.get_data(as_text=True))


def test_metrics_after_a_run_count_sends_receipts_failures_webhooks_and_the_outbox(app, client, fake_twilio):
    before = scrape(client)
    book(app, client, fake_twilio, booking(paris(7)))  # a booking; its confirmation goes out
    fake_twilio.invalid_numbers.add("+33698765432")
    second = booking(paris(8), event_id="evt_2", appointment_id="appt-2", id="pat-2", phone="+33698765432", first_name="Léa")
    assert post_booking(client, second).status_code == 200
    tick(app, paris(1, 10, 5))  # Léa's confirmation: Twilio says the number is invalid (21211), not retried
    assert post_booking(client, b'{"id": "x"}', secret="wrong").status_code == 401
    with app.app_context():
        sent = db.session.execute(select(Reminder).where(Reminder.kind == "confirmation", Reminder.status == "sent")).scalar_one()
        message = twilio_message(sent, "+33612345678")
    assert callback(client, message, "delivered").status_code == 200

    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    sms = {"channel": "sms", "kind": "confirmation"}
    assert delta("recall_messages_total", **sms, outcome="sent", reason="") == 1
    assert delta("recall_messages_total", **sms, outcome="delivered", reason="") == 1
    assert delta("recall_messages_total", **sms, outcome="failed", reason="21211") == 1
    assert delta("recall_dispatch_latency_seconds_count") == 1
    assert delta("recall_webhook_requests_total", provider="generic", outcome="processed") == 2
    assert delta("recall_webhook_requests_total", provider="generic", outcome="unauthorised") == 1
    assert delta("recall_webhook_requests_total", provider="twilio_status", outcome="updated") == 1
    with app.app_context():
        pending = db.session.execute(select(func.count()).select_from(Reminder).where(Reminder.status == "pending")).scalar_one()
    assert value(after, "recall_database_up") == 1
    shown = sum(v for (name, _), v in after.items() if name == "recall_outbox_pending")
    assert pending > 0 and shown == pending


def test_the_oldest_due_reminder_shows_how_late_the_outbox_is(app, client, fake_twilio):
    assert post_booking(client, booking(paris(7))).status_code == 200
    assert value(scrape(client), "recall_outbox_oldest_due_age_seconds") < 600  # nothing has waited yet
    with app.app_context():
        late = db.session.execute(select(Reminder).where(Reminder.status == "pending").limit(1)).scalar_one()
        late.next_attempt_at = utcnow() - timedelta(minutes=20)  # the dispatcher has been away for 20 minutes
        db.session.commit()
    age = value(scrape(client), "recall_outbox_oldest_due_age_seconds")
    assert 20 * 60 <= age < 25 * 60
    assert value(scrape(client), "recall_outbox_pending", channel="sms", due="yes") >= 1


def test_job_runs_and_misfires_are_counted(app):
    client = app.test_client()
    before = scrape(client)
    run_job(app, "recover_leases")
    scheduler = build_scheduler(app, blocking=False)
    scheduler.remove_all_jobs()  # only the late job below: dispatch and planning have nothing to do here
    scheduler.add_job(lambda: None, "date", run_date=utcnow() - timedelta(minutes=10), id="late", misfire_grace_time=1)
    scheduler.start(paused=False)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and value(scrape(client), "recall_scheduler_job_misfires_total", job="late") < 1:
            time.sleep(0.05)
    finally:
        scheduler.shutdown(wait=False)
    after = scrape(client)
    assert (
        value(after, "recall_scheduler_job_runs_total", job="recover_leases", outcome="ok")
        - value(before, "recall_scheduler_job_runs_total", job="recover_leases", outcome="ok")
        == 1
    )
    assert value(after, "recall_scheduler_job_misfires_total", job="late") >= 1


def test_with_a_metrics_token_only_its_bearer_reads_the_metrics(app, settings):
    app = create_app(settings.with_overrides(metrics_token="scrape-me-0123456789"))
    client = app.test_client()
    refused = client.get("/metrics")
    assert refused.status_code == 401 and "Bearer" in refused.headers["WWW-Authenticate"]
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert "recall_outbox_pending" in client.get("/metrics", headers={"Authorization": "Bearer scrape-me-0123456789"}).get_data(
        as_text=True
    )
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_scheduler_process_serves_its_own_metrics(app, settings):
    protected = create_app(settings.with_overrides(metrics_token="scrape-me-0123456789"))
    server = serve_scheduler_metrics(protected, 0, host="127.0.0.1")
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        run_job(protected, "recover_leases")
        assert requests.get(base + "/metrics", timeout=5).status_code == 401
        page = requests.get(base + "/metrics", headers={"Authorization": "Bearer scrape-me-0123456789"}, timeout=5)
        assert page.status_code == 200
        assert value(samples(page.text), "recall_scheduler_job_runs_total", job="recover_leases", outcome="ok") >= 1
        assert "recall_outbox_oldest_due_age_seconds" in page.text
        assert requests.get(base + "/admin/", timeout=5).status_code == 404  # only metrics on that port
    finally:
        server.shutdown()
        with protected.app_context():
            db.session.remove()
            db.engine.dispose()


def test_metrics_still_answer_when_the_database_is_away(settings, tmp_path):
    """Prometheus must keep the counters while the database is down, and be told it is down."""
    away = create_app(settings.with_overrides(database_url="postgresql+psycopg://nobody@127.0.0.1:9/nowhere"))
    page = away.test_client().get("/metrics")
    assert page.status_code == 200
    scraped = samples(page.get_data(as_text=True))
    assert value(scraped, "recall_database_up") == 0
    assert ("recall_dispatch_latency_seconds_count", ()) in scraped  # this process's own metrics are still there
