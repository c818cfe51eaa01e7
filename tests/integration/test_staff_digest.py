"""The front desk's daily email: at 08:00 clinic time, through SMTP, first names and what is asked (no surname, number,
area or treatment), in the clinic's language, only when something is open, and once a day."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from babel.dates import format_skeleton
from sqlalchemy import select

from service import jobs
from service.extensions import db
from service.models import AuditEvent
from service.runtime import get_settings, override
from service.scheduler import build_scheduler
from tests.helpers import booking, next_spring_forward, paris, post_booking
from tests.integration.test_replies import reply

PARIS = ZoneInfo("Europe/Paris")
DESK = "accueil@clinique.test"


def at_paris(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def digest(app) -> str:
    result = app.test_cli_runner().invoke(args=["todo", "digest"])
    assert result.exit_code == 0, result.output
    return str(result.output)


@pytest.fixture
def desk(app):
    """STAFF_DIGEST_EMAIL set, the clinic speaking French."""
    override(app, settings=get_settings(app).with_overrides(staff_digest_email=DESK, clinic_language="fr"))
    return app


def something_to_do(client) -> datetime:
    """A missed session and a free-text reply from Camille Martin (thighs, mesotherapy); returns the session's start."""
    missed = paris(-1, 10, 30)
    post_booking(client, booking(missed, event_id="b1", appointment_id="a1"))
    post_booking(client, booking(missed, event_id="ns1", appointment_id="a1", type="appointment.no_show"))
    post_booking(client, booking(paris(6), event_id="b2", appointment_id="a2"))
    reply(client, "Mes cuisses sont un peu rouges, est-ce normal ?", sid="SMdigest1")
    return missed


def test_the_digest_goes_at_08_00_paris_with_first_names_and_what_is_asked_and_never_twice(desk, client, smtp_server):
    day = datetime.now(PARIS).date() + timedelta(days=1)
    with time_machine.travel(at_paris(day, 7, 0), tick=False):
        missed = something_to_do(client)
    with time_machine.travel(at_paris(day, 7, 59), tick=False):
        assert "not before 08:00" in digest(desk)
    assert smtp_server.received == []

    with time_machine.travel(at_paris(day, 8, 0), tick=False):
        assert "sent, 2 items" in digest(desk)
    (mail,) = smtp_server.received
    assert mail.rcpt_tos == [DESK]
    assert mail.message["Subject"].startswith("Clinique Lumière")
    text = mail.message.get_body(("plain",)).get_content()
    assert "Camille" in text
    for private in ("Martin", "cuisses", "thighs", "mesotherapy", "06 12 34 56 78", "+33612345678"):
        assert private not in text, private
    assert format_skeleton("yMMMEd", missed, tzinfo=PARIS, locale="fr") in text and "10:30" in text
    assert "AM" not in text  # French times
    assert "https://recall.clinic.test/admin/todo/" in text

    with time_machine.travel(at_paris(day, 8, 30), tick=False):
        assert "already sent" in digest(desk)
    with time_machine.travel(at_paris(day, 15, 0), tick=False):
        digest(desk)
    assert len(smtp_server.received) == 1
    with desk.app_context():
        assert db.session.execute(select(AuditEvent.entity_id).where(AuditEvent.action == "digest")).scalars().all() == [
            day.isoformat()
        ]

    with time_machine.travel(at_paris(day + timedelta(days=1), 8, 0), tick=False):
        assert "sent" in digest(desk)  # the next day, the items still open
    assert len(smtp_server.received) == 2


def test_no_digest_when_nothing_is_open(desk, client, smtp_server):
    day = datetime.now(PARIS).date() + timedelta(days=1)
    with time_machine.travel(at_paris(day, 7, 0), tick=False):
        post_booking(client, booking(paris(3)))  # a booking alone asks nothing of the desk
    with time_machine.travel(at_paris(day, 8, 0), tick=False):
        assert "nothing open" in digest(desk)
    assert smtp_server.received == []
    with desk.app_context():
        assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "digest")).first() is None


def test_on_the_day_the_clocks_change_the_digest_still_goes_at_08_00_on_the_wall_clock(desk, client, smtp_server):
    day = next_spring_forward()
    eight = at_paris(day, 8, 0)
    assert eight.utcoffset() == timedelta(hours=2) and at_paris(day - timedelta(days=1), 8).utcoffset() == timedelta(hours=1)
    with time_machine.travel(at_paris(day, 1, 0), tick=False):  # before the change
        something_to_do(client)
        scheduler = build_scheduler(desk, blocking=False)
        trigger = scheduler.get_job("staff_digest").trigger
        assert trigger.get_next_fire_time(None, at_paris(day, 1, 0)) == eight
    with time_machine.travel(eight - timedelta(minutes=1), tick=False):
        assert "not before 08:00" in digest(desk)
    with time_machine.travel(eight, tick=False):
        assert "sent" in digest(desk)
    assert len(smtp_server.received) == 1


def test_two_schedulers_at_08_00_send_one_digest(desk, client, smtp_server):
    day = datetime.now(PARIS).date() + timedelta(days=1)
    with time_machine.travel(at_paris(day, 7, 0), tick=False):
        something_to_do(client)
    eight = at_paris(day, 8, 0)
    outcomes: list[str] = []

    def run() -> None:
        with desk.app_context():
            outcomes.append(jobs.staff_digest(eight))
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(o.split(",")[0].split(" for ")[0] for o in outcomes) == ["already sent", "sent"], outcomes
    assert len(smtp_server.received) == 1


def test_without_staff_digest_email_there_is_no_job_and_nothing_is_sent(app, client, smtp_server):
    assert build_scheduler(app, blocking=False).get_job("staff_digest") is None
    post_booking(client, booking(paris(-1), event_id="b1"))
    post_booking(client, booking(paris(-1), event_id="ns1", type="appointment.no_show"))
    with app.app_context():
        assert "no STAFF_DIGEST_EMAIL" in jobs.staff_digest(at_paris(datetime.now(PARIS).date(), 9))
    assert smtp_server.received == []
