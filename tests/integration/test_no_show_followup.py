"""A missed session: one "we missed you" message with how to book again (the same day within allowed hours, else
the next morning), never aftercare, and a to-do item for the front desk."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from service.extensions import db
from service.models import Reminder, TodoItem
from tests.helpers import book, booking, paris, post_booking, tick


def missed(app, client, fake_twilio, starts) -> None:
    book(app, client, fake_twilio, booking(starts, language="en"))
    body = booking(starts, event_id="n1", type="appointment.no_show", language="en")
    body["occurred_at"] = (starts + timedelta(minutes=30)).isoformat()
    assert post_booking(client, body).status_code == 200
    fake_twilio.messages.clear()


def bodies(fake_twilio) -> list[str]:
    return [m["body"] for m in fake_twilio.messages]


def kinds(app) -> dict[str, str]:
    with app.app_context():
        return dict(db.session.execute(select(Reminder.kind, Reminder.status).where(Reminder.kind != "confirmation")).all())


def test_a_no_show_gets_one_follow_up_the_same_day_and_no_aftercare(app, client, fake_twilio):
    starts = paris(3, 11, 0)
    missed(app, client, fake_twilio, starts)

    for moment in (starts + timedelta(minutes=40), starts + timedelta(hours=3), starts + timedelta(days=2, hours=1)):
        tick(app, moment)

    sent = bodies(fake_twilio)
    assert len(sent) == 1, sent
    assert "we missed you" in sent[0] and "+33 1 42 86 82 00" in sent[0] and "STOP" in sent[0]
    assert kinds(app)["no_show_followup"] == "sent"
    assert kinds(app).get("aftercare") in (None, "cancelled")
    with app.app_context():
        assert db.session.execute(select(TodoItem.kind)).scalars().all() == ["no_show"]


def test_a_no_show_in_the_evening_is_followed_up_the_next_morning(app, client, fake_twilio):
    starts = paris(3, 20, 55)  # ends 21:05, in quiet hours
    missed(app, client, fake_twilio, starts)

    tick(app, paris(3, 21, 30))
    assert bodies(fake_twilio) == []
    tick(app, paris(4, 7, 59))
    assert bodies(fake_twilio) == []
    tick(app, paris(4, 8, 0))
    assert len(bodies(fake_twilio)) == 1 and "we missed you" in bodies(fake_twilio)[0]
