"""A course that stalls: two `rebook` nudges at 10:00 local, then a to-do item for the front desk; each stops at
once when a session is booked, the course is closed, or the patient opts out. End to end: signed webhook ->
`reminders tick --at` -> the real Twilio client against the fake API."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from service import consent
from service.domain.vocabulary import Channel
from service.extensions import db
from service.models import Course, Patient, Reminder, TodoItem
from service.runtime import get_settings
from tests.helpers import booking, local_day, post_booking, tick

PARIS = ZoneInfo("Europe/Paris")
LONDON = ZoneInfo("Europe/London")
FIRST_SESSION_DAY, LAST_SESSION_DAY = 3, 10
FIRST_NUDGE_DAY = LAST_SESSION_DAY + 7 + 1  # the last session + the plan's 7 days + 1 day
SECOND_NUDGE_DAY = FIRST_NUDGE_DAY + 7
TODO_DAY = FIRST_NUDGE_DAY + 14


def course_of_two(app, client, fake_twilio, zone: ZoneInfo = PARIS, **patient) -> None:
    """Two sessions of a thighs course (no size given: the plan says 6), both attended; nothing booked after."""
    for n, day in enumerate((FIRST_SESSION_DAY, LAST_SESSION_DAY), start=1):
        body = booking(local_day(zone, day, 11, 0), event_id=f"b{n}", appointment_id=f"a{n}", **patient)
        body["appointment"]["course"] = {"id": "c1"}
        assert post_booking(client, body).status_code == 200
    tick(app, local_day(zone, 1, 9, 0))  # the confirmation naming both
    fake_twilio.messages.clear()


def nudges_sent(fake_twilio) -> list[str]:
    return [m["body"] for m in fake_twilio.messages if "pas encore" in m["body"] or "not booked yet" in m["body"]]


def rebook_rows(app) -> list[Reminder]:
    with app.app_context():
        found = list(db.session.execute(select(Reminder).where(Reminder.kind == "rebook").order_by(Reminder.id)).scalars())
        db.session.expunge_all()
        return found


def todo_keys(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(select(TodoItem.key).where(TodoItem.kind == "course_interrupted")).scalars())


@pytest.mark.parametrize(("zone", "language", "words"), [(PARIS, "fr", "séance 3 sur 6"), (LONDON, "en", "session 3 of 6")])
def test_a_stalled_course_gets_two_nudges_at_ten_local_then_the_front_desk_is_asked_to_call(
    app, client, fake_twilio, zone, language, words
):
    course_of_two(app, client, fake_twilio, zone, timezone=zone.key, language=language)

    tick(app, local_day(zone, FIRST_NUDGE_DAY, 9, 59))
    assert nudges_sent(fake_twilio) == []
    tick(app, local_day(zone, FIRST_NUDGE_DAY, 10, 0))
    first = nudges_sent(fake_twilio)
    assert len(first) == 1 and words in first[0] and "Clinique Lumière" in first[0] and "STOP" in first[0]
    assert "cuisse" not in first[0].lower() and "thigh" not in first[0].lower()

    tick(app, local_day(zone, SECOND_NUDGE_DAY, 9, 59))
    assert len(nudges_sent(fake_twilio)) == 1
    tick(app, local_day(zone, SECOND_NUDGE_DAY, 10, 0))
    assert len(nudges_sent(fake_twilio)) == 2
    sent_at = [r.sent_at for r in rebook_rows(app)]
    assert [t.astimezone(zone).strftime("%H:%M") for t in sent_at] == ["10:00", "10:00"]

    tick(app, local_day(zone, TODO_DAY, 9, 59))
    assert todo_keys(app) == []
    tick(app, local_day(zone, TODO_DAY, 10, 0))
    assert len(todo_keys(app)) == 1
    assert len(nudges_sent(fake_twilio)) == 2  # and nothing more to the patient


def test_a_booking_between_the_two_nudges_stops_the_second(app, client, fake_twilio):
    course_of_two(app, client, fake_twilio)
    tick(app, local_day(PARIS, FIRST_NUDGE_DAY, 10, 0))
    assert len(nudges_sent(fake_twilio)) == 1

    third = booking(local_day(PARIS, SECOND_NUDGE_DAY + 2, 11, 0), event_id="b3", appointment_id="a3")
    third["appointment"]["course"] = {"id": "c1"}
    third["occurred_at"] = local_day(PARIS, FIRST_NUDGE_DAY + 1, 12, 0).isoformat()
    tick(app, local_day(PARIS, FIRST_NUDGE_DAY + 1, 12, 0))
    assert post_booking(client, third).status_code == 200
    second = rebook_rows(app)[1]
    assert second.status == "cancelled"

    for moment in (local_day(PARIS, SECOND_NUDGE_DAY, 10, 0), local_day(PARIS, TODO_DAY, 10, 0)):
        tick(app, moment)
    assert len(nudges_sent(fake_twilio)) == 1
    assert todo_keys(app) == []


def _on_patient(app, change) -> None:
    with app.app_context():
        change(db.session.execute(select(Patient)).scalar_one(), db.session.execute(select(Course)).scalar_one())
        db.session.commit()


def test_closing_the_course_stops_the_nudges(app, client, fake_twilio):
    course_of_two(app, client, fake_twilio)
    tick(app, local_day(PARIS, FIRST_NUDGE_DAY, 10, 0))
    closed_at = local_day(PARIS, FIRST_NUDGE_DAY, 12, 0)
    _on_patient(app, lambda patient, course: setattr(course, "completed_at", closed_at))

    for moment in (local_day(PARIS, SECOND_NUDGE_DAY, 10, 0), local_day(PARIS, TODO_DAY, 10, 0)):
        tick(app, moment)
    assert len(nudges_sent(fake_twilio)) == 1
    assert rebook_rows(app)[1].status == "cancelled"
    assert todo_keys(app) == []
    with app.app_context():
        assert db.session.execute(select(Course.completed_at)).scalar_one() == closed_at  # the planner kept staff's word


def test_an_sms_opt_out_stops_sms_nudges(app, client, fake_twilio):
    course_of_two(app, client, fake_twilio)
    tick(app, local_day(PARIS, FIRST_NUDGE_DAY, 10, 0))
    moment = local_day(PARIS, FIRST_NUDGE_DAY, 12, 0)

    def stop(patient, course):
        consent.opt_out(db.session, patient, Channel.SMS, actor="test", settings=get_settings(), now=moment)

    _on_patient(app, stop)
    tick(app, local_day(PARIS, SECOND_NUDGE_DAY, 10, 0))
    assert len(nudges_sent(fake_twilio)) == 1
    assert rebook_rows(app)[1].status in ("cancelled", "skipped")


def test_a_course_with_all_its_sessions_done_is_not_nudged(app, client, fake_twilio):
    for n, day in enumerate((FIRST_SESSION_DAY, LAST_SESSION_DAY), start=1):
        body = booking(local_day(PARIS, day, 11, 0), event_id=f"b{n}", appointment_id=f"a{n}")
        body["appointment"]["course"] = {"id": "c1", "sessions_planned": 2}
        post_booking(client, body)
    for moment in (local_day(PARIS, FIRST_NUDGE_DAY, 10, 0), local_day(PARIS, TODO_DAY, 10, 0)):
        tick(app, moment)
    assert rebook_rows(app) == [] and todo_keys(app) == []
