"""The session email: text and HTML, a calendar entry that opens right, and an unsubscribe link that works."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar
from sqlalchemy import select

from service.extensions import db
from service.models import MessageTemplate, Patient, Reminder
from service.runtime import override
from tests.helpers import booking, paris, post_booking, tick

EMAIL_ONLY = {"phone": None, "sms_consent": False, "email": "camille@example.test", "email_consent": True}


def with_course(body: dict, planned: int) -> dict:
    body["appointment"]["course"] = {"id": "c1", "sessions_planned": planned}
    return body


def the_48h_email(app, client, smtp_server, **patient):
    first, second = paris(3), paris(10)
    post_booking(client, with_course(booking(first, event_id="b1", appointment_id="a1", **{**EMAIL_ONLY, **patient}), 6))
    post_booking(client, with_course(booking(second, event_id="b2", appointment_id="a2", **{**EMAIL_ONLY, **patient}), 6))
    tick(app, paris(1, 10))  # the confirmations
    smtp_server.received.clear()
    tick(app, second - timedelta(hours=48))
    (mail,) = smtp_server.received
    return second, mail.message


def test_the_session_email_carries_a_calendar_event_for_the_right_time_and_the_course_progress(app, client, smtp_server):
    starts, message = the_48h_email(app, client, smtp_server, language="en")

    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "4:45 PM" in text and "session 2 of 6" in text and "Clinique Lumière" in text
    assert "session 2 of 6" in html and "<p>" in html
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar" and p.get_filename() is None]
    assert part.get_param("method") == "PUBLISH"
    (event,) = Calendar.from_ical(part.get_content()).walk("VEVENT")
    assert event.decoded("dtstart") == starts and event.decoded("dtend") == starts + timedelta(minutes=10)
    assert str(event["uid"]).startswith("appointment-") and event.get("dtstamp") is not None
    assert str(event["location"]) == "Clinique Lumière" and "+33 1 42 86 82 00" in str(event["description"])
    assert [p.get_filename() for p in message.walk() if p.get_filename()] == ["session.ics"]


def test_one_click_unsubscribe_stops_email_and_a_get_changes_nothing(app, client, smtp_server):
    _, message = the_48h_email(app, client, smtp_server, language="fr")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message["List-Unsubscribe"].strip("<>")
    assert link.startswith("https://recall.clinic.test/unsubscribe/")
    assert link in message.get_body(("plain",)).get_content()
    path = link.removeprefix("https://recall.clinic.test")

    page = client.get(path)  # a mail scanner prefetching the link
    assert page.status_code == 200 and b"<form method=post" in page.data
    with app.app_context():
        assert db.session.execute(select(Patient.email_unsubscribed_at)).scalar_one() is None

    with app.app_context():
        planned = set(
            db.session.execute(select(Reminder.id).where(Reminder.channel == "email", Reminder.status == "pending")).scalars()
        )
    assert planned  # there is something planned for the unsubscribe to stop

    done = client.post(path, data={"List-Unsubscribe": "One-Click"})  # the mail provider, no cookie, no CSRF token
    assert done.status_code == 200 and b"no longer receive emails" in done.data
    with app.app_context():
        assert db.session.execute(select(Patient.email_unsubscribed_at)).scalar_one() is not None
        # An email-only patient: what was planned is cancelled at once, with its reason.
        after = db.session.execute(select(Reminder.status).where(Reminder.id.in_(planned))).scalars().all()
        assert set(after) == {"cancelled"}
    smtp_server.received.clear()
    for days in (9, 10, 11, 17):
        tick(app, paris(days, 10))
    assert smtp_server.received == []  # nothing more by email, whatever was already planned


def test_a_tampered_unsubscribe_link_is_refused_and_changes_nothing(app, client, smtp_server):
    _, message = the_48h_email(app, client, smtp_server)
    path = message["List-Unsubscribe"].strip("<>").removeprefix("https://recall.clinic.test")
    assert client.post(path[:-2] + "xx").status_code == 404
    assert client.post("/unsubscribe/not-a-token").status_code == 404
    with app.app_context():
        assert db.session.execute(select(Patient.email_unsubscribed_at)).scalar_one() is None


def test_an_email_with_a_long_message_id_is_recorded_and_never_sent_twice(app, client, smtp_server, settings):
    from service import build_senders

    long_domain = "rappels." + "clinique-lumiere-" * 4 + "paris.test"  # Message-IDs take the sender's domain
    override(app, senders=build_senders(settings.with_overrides(mail_from=f"Clinique <r@{long_domain}>")))
    starts = paris(5)
    post_booking(client, booking(starts, **EMAIL_ONLY))
    tick(app, paris(1, 10))  # the confirmation, not in the same hour as the reminder (which would make it unnecessary)
    tick(app, starts - timedelta(hours=48))
    tick(app, starts - timedelta(hours=40))  # well after any lease would have expired

    assert len(smtp_server.received) == 2  # the confirmation and the 48 h reminder, once each
    with app.app_context():
        ids = (
            db.session.execute(
                select(Reminder.provider_message_id).where(Reminder.channel == "email").where(Reminder.status == "sent")
            )
            .scalars()
            .all()
        )
    assert len(ids) == 2 and all(len(i) > 64 and long_domain in i for i in ids)


def test_list_unsubscribe_crosses_smtp_raw_so_providers_offer_one_click(app, client, smtp_server):
    the_48h_email(app, client, smtp_server, language="fr")
    raw = smtp_server.received[0].raw
    headers = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    (line,) = [h for h in headers if h.lower().startswith(b"list-unsubscribe:")]
    assert line.startswith(b"List-Unsubscribe: <https://recall.clinic.test/unsubscribe/") and line.endswith(b">")
    assert b"=?" not in line
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in headers


INJECTED_NAME = "=?utf-8?q?Eve=0D=0ABcc=3A_x=40evil.example?="


def test_an_encoded_word_in_a_name_adds_no_header_and_no_recipient(app, client, smtp_server):
    """CVE-2024-6923: on Python before 3.11.10 this name became a real Bcc: line. Our cleaning is what stops it."""
    with app.app_context():
        db.session.add(
            MessageTemplate(
                kind="confirmation",
                channel="email",
                language="en",
                subject="See you soon, {{ first_name }} =?utf-8?q?=0D=0AReply-To=3A_x=40evil.example?=",
                body="Hello {{ first_name }}",
            )
        )
        db.session.commit()
    post_booking(client, booking(paris(3), **{**EMAIL_ONLY, "language": "en", "first_name": INJECTED_NAME}))
    tick(app, paris(1, 10))

    (mail,) = smtp_server.received
    assert mail.rcpt_tos == ["camille@example.test"]
    assert mail.message["Bcc"] is None and mail.message["Reply-To"] is None
    head = mail.raw.split(b"\r\n\r\n", 1)[0].lower()
    assert b"\r\nbcc:" not in head and b"\r\nreply-to:" not in head and b"evil.example" in head  # still there, as text
    assert "\n" not in mail.message["Subject"] and mail.message["Subject"].startswith("See you soon, utf-8")
