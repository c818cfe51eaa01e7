"""Aftercare, weekly tips and annual maintenance, end to end: signed webhook -> `reminders tick --at` ->
the real Twilio client against the fake API, and real SMTP into aiosmtpd."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from service.extensions import db
from service.models import Course, Reminder
from tests.helpers import book, booking, local_day, post_booking, tick

PARIS = ZoneInfo("Europe/Paris")
CLINIC_PHONE_SHOWN = "+33 1 42 86 82 00"


def paris(days: int, hour: int = 11, minute: int = 0) -> datetime:
    return local_day(PARIS, days, hour, minute)


def on(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS).astimezone(UTC)  # an instant: see local_day


def with_course(body: dict, course_id: str = "c1", planned: int | None = None) -> dict:
    body["appointment"]["course"] = {"id": course_id, **({"sessions_planned": planned} if planned else {})}
    return body


def rows(app, kind: str) -> list[Reminder]:
    with app.app_context():
        found = db.session.execute(select(Reminder).where(Reminder.kind == kind).order_by(Reminder.id)).scalars().all()
        db.session.expunge_all()
        return list(found)


def plain_text(received) -> str:
    return received.message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def drain(fake_twilio, smtp_server) -> tuple[list[dict], list]:
    sms, mail = list(fake_twilio.messages), list(smtp_server.received)
    fake_twilio.messages.clear()
    smtp_server.received.clear()
    return sms, mail


# -- aftercare -------------------------------------------------------------------------------------


def test_aftercare_arrives_two_hours_after_the_session_with_the_clinic_phone_then_a_check_in(
    app, client, fake_twilio, smtp_server
):
    starts = paris(3)
    book(app, client, fake_twilio, booking(starts, language="en"))
    ends = starts + timedelta(minutes=10)

    tick(app, ends + timedelta(hours=1))
    assert fake_twilio.messages == []  # not yet (the 24 h and 2 h reminders, never ticked in time, expired)

    tick(app, ends + timedelta(hours=2, minutes=1))
    (aftercare,) = fake_twilio.messages
    body = aftercare["body"]
    assert "bruising" in body and "tenderness" in body and "rash" in body and "fever" in body
    assert CLINIC_PHONE_SHOWN in body and "Clinique Lumière" in body
    assert "mesotherapy" not in body.lower() and "thigh" not in body.lower()  # nothing a lock screen should not show
    fake_twilio.messages.clear()

    tick(app, ends + timedelta(days=2, minutes=1))
    (checkin,) = fake_twilio.messages
    assert "two days" in checkin["body"] and CLINIC_PHONE_SHOWN in checkin["body"]


def test_the_aftercare_email_lists_what_helps_and_when_to_call(app, client, fake_twilio, smtp_server):
    starts = paris(3)
    post_booking(
        client, booking(starts, phone=None, sms_consent=False, email="camille@example.test", email_consent=True, language="en")
    )
    tick(app, starts - timedelta(days=1))  # the confirmation and the 48 h reminder, by email
    drain(fake_twilio, smtp_server)
    tick(app, starts + timedelta(hours=2, minutes=11))
    (mail,) = smtp_server.received
    text = plain_text(mail)
    assert "Aftercare" in mail.message["Subject"]
    assert "slight bruising" in text and "allergic reaction" in text and "infection" in text
    assert "Skip the sauna" in text  # from the tip library's aftercare tips
    assert CLINIC_PHONE_SHOWN in text
    assert not any(p.get_content_type() == "text/calendar" for p in mail.message.walk())


def test_no_aftercare_after_a_no_show_or_a_cancellation(app, client, fake_twilio):
    first, second = paris(3), paris(4)
    book(app, client, fake_twilio, booking(first, event_id="b1", appointment_id="a1"))
    post_booking(client, booking(second, event_id="b2", appointment_id="a2"))
    tick(app, paris(1, 10))  # the second session's confirmation
    fake_twilio.messages.clear()
    post_booking(client, booking(first, event_id="n1", appointment_id="a1", type="appointment.no_show"))
    post_booking(client, booking(second, event_id="c2", appointment_id="a2", type="appointment.cancelled"))
    fake_twilio.messages.clear()

    for moment in (first + timedelta(hours=3), second + timedelta(hours=3), second + timedelta(days=2, hours=1)):
        tick(app, moment)

    assert not [m for m in fake_twilio.messages if "bruising" in m["body"] or "bleu" in m["body"]]
    assert {r.status for r in rows(app, "aftercare")} == {"cancelled"}


def test_aftercare_made_stale_by_an_outage_is_skipped_but_the_check_in_still_goes(app, client, fake_twilio):
    starts = paris(3)
    book(app, client, fake_twilio, booking(starts))
    back_up = starts + timedelta(minutes=10, hours=2) + timedelta(days=2, hours=1)  # down for more than two days

    tick(app, back_up)

    (aftercare,) = rows(app, "aftercare")
    assert aftercare.status == "skipped" and "too late" in aftercare.status_reason
    (checkin,) = fake_twilio.messages
    assert "2 jours" in checkin["body"]


# -- tips and the daily cap ------------------------------------------------------------------------


def test_a_different_lifestyle_tip_each_week_of_the_course(app, client, fake_twilio, smtp_server):
    starts = paris(3)
    body = with_course(booking(starts, email="camille@example.test", email_consent=True, language="en"), planned=6)
    book(app, client, fake_twilio, body)
    tick(app, starts + timedelta(days=3))  # aftercare and check-in out of the way
    drain(fake_twilio, smtp_server)

    tips = []
    for week in (1, 2, 3):
        tick(app, on(starts.date() + timedelta(weeks=week)))
        _, mail = drain(fake_twilio, smtp_server)
        (tip,) = mail
        assert "tip of the week" in tip.message["Subject"]
        tips.append(plain_text(tip).split("\n\n")[1])
    assert len(set(tips)) == 3
    assert tips[0] == "Fill half your plate with vegetables at lunch and dinner."  # the library's first lifestyle tip


def test_a_tip_due_on_a_session_day_waits_for_the_next_day(app, client, fake_twilio, smtp_server):
    first = paris(3)
    second = first + timedelta(weeks=1)  # week 1's tip falls on this session's day
    patient = {"email": "camille@example.test", "email_consent": True, "language": "en"}
    book(app, client, fake_twilio, with_course(booking(first, event_id="b1", appointment_id="a1", **patient), planned=6))
    post_booking(client, with_course(booking(second, event_id="b2", appointment_id="a2", **patient), planned=6))
    tick(app, first + timedelta(days=3))
    drain(fake_twilio, smtp_server)

    tick(app, on(second.date(), 10, 0))  # the tip's time: the day's aftercare is still to come, so the tip waits
    tick(app, second + timedelta(hours=2, minutes=11))
    sms, mail = drain(fake_twilio, smtp_server)
    assert [m for m in sms if "bruising" in m["body"]]  # the aftercare went out
    assert not [m for m in mail if "tip" in m.message["Subject"]]
    (tip,) = rows(app, "tip")[:1]
    assert tip.status == "pending" and "already has a message today" in tip.status_reason

    tick(app, on(second.date() + timedelta(days=1), 8, 1))
    _, mail = drain(fake_twilio, smtp_server)
    assert [m for m in mail if "tip of the week" in m.message["Subject"]]


# -- annual maintenance ----------------------------------------------------------------------------


def test_maintenance_is_due_a_year_after_the_course_and_stops_once_a_session_is_booked(app, client, fake_twilio, smtp_server):
    last = paris(3)
    patient = {"email": "camille@example.test", "email_consent": True}
    book(app, client, fake_twilio, with_course(booking(last, event_id="b1", appointment_id="a1", **patient), planned=1))
    tick(app, last + timedelta(days=3))  # the course's only session is done: the course is complete
    drain(fake_twilio, smtp_server)
    with app.app_context():
        course = db.session.execute(select(Course)).scalar_one()
        due = course.maintenance_due_on
        assert course.completed_at is not None
    assert due == date(last.year + 1, last.month, min(last.day, 28 if last.month == 2 else 31))

    tick(app, on(due - timedelta(days=30)))
    _, (early,) = drain(fake_twilio, smtp_server)
    text = plain_text(early)
    assert "entretien" in early.message["Subject"] and "4 à 6 semaines" in text
    assert str(due.year) in text and CLINIC_PHONE_SHOWN in text

    # The patient books the maintenance course: the remaining reminders stop at once.
    post_booking(client, booking(on(due + timedelta(days=10), 11), event_id="b2", appointment_id="a2", **patient))
    tick(app, on(due))
    tick(app, on(due + timedelta(days=30)))
    sms, mail = drain(fake_twilio, smtp_server)
    assert not [m for m in sms if "entretien" in m["body"]]
    assert not [m for m in mail if "entretien" in m.message["Subject"]]
    assert {r.status for r in rows(app, "maintenance_due") + rows(app, "maintenance_overdue")} == {"cancelled"}
    with app.app_context():
        kinds = dict(db.session.execute(select(Course.external_id, Course.kind)).all())
    assert kinds == {"c1": "initial", None: "maintenance"}  # the new session started the maintenance course


def test_maintenance_reminders_follow_through_when_nothing_is_booked(app, client, fake_twilio, smtp_server):
    last = paris(3)
    book(app, client, fake_twilio, with_course(booking(last), planned=1))  # SMS only
    tick(app, last + timedelta(days=3))
    fake_twilio.messages.clear()
    with app.app_context():
        due = db.session.execute(select(Course.maintenance_due_on)).scalar_one()

    for moment in (on(due - timedelta(days=30)), on(due), on(due + timedelta(days=30))):
        tick(app, moment)
    bodies = [m["body"] for m in fake_twilio.messages]
    assert len(bodies) == 3 and all("Clinique Lumière" in b and "STOP" in b for b in bodies)
    assert "cure d'entretien de 4 à 6" in bodies[1]


def test_sessions_without_a_course_id_join_the_open_course_and_a_late_one_resets_the_due_date(app, client, fake_twilio):
    first = paris(3)
    book(app, client, fake_twilio, booking(first, event_id="b1", appointment_id="a1"))
    post_booking(client, booking(first + timedelta(weeks=2), event_id="b2", appointment_id="a2"))
    with app.app_context():
        assert db.session.execute(select(db.func.count()).select_from(Course)).scalar_one() == 1
    tick(app, first + timedelta(weeks=11))  # 8 weeks after the last session: complete
    with app.app_context():
        first_due = db.session.execute(select(Course.maintenance_due_on)).scalar_one()
    assert first_due == (first + timedelta(weeks=2)).date().replace(year=first.year + 1)

    maintenance = on(first_due - timedelta(days=20), 11)
    post_booking(client, booking(maintenance, event_id="b3", appointment_id="a3"))
    tick(app, maintenance + timedelta(weeks=9))
    with app.app_context():
        courses = db.session.execute(select(Course).order_by(Course.id)).scalars().all()
        assert [c.kind for c in courses] == ["initial", "maintenance"]
        assert courses[1].maintenance_due_on == maintenance.date().replace(year=maintenance.year + 1)
