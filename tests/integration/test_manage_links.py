"""The patient's personal link in every message about a session, the booking page in the others, the booking systems'
own cancel and reschedule pages, and reminders a clinic skips once the patient has confirmed: end to end, through the
real Twilio client against the fake API on 127.0.0.1."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update

from admin import wording
from service import links
from service.extensions import db
from service.models import Appointment, Course, Reminder, ReminderRule
from service.runtime import get_settings, override
from tests.fakes.acuity_api import FakeAcuity
from tests.helpers import PARIS, book, booking, local_day, paris, post_booking, sent_bodies, tick
from tests.integration.test_replies import reply
from tests.providers import ACUITY_KEY, ACUITY_USER, acuity_signature, calcom, calendly, load, post_calcom, post_calendly

LINK = re.compile(r"https://recall\.clinic\.test/r/([A-Za-z0-9_-]{16})(?=\s)")
BOOKING_URL = "https://www.clinique-lumiere.test/prendre-rendez-vous"
CLINIC_PHONE_SHOWN = "+33 1 42 86 82 00"


def link_in(body: str) -> str:
    """The one personal link an SMS carries (followed by a space: nothing a phone would take into it)."""
    (token,) = LINK.findall(body)
    return token


def appointment(app, external_id: str) -> Appointment:
    with app.app_context():
        found = db.session.execute(select(Appointment).where(Appointment.external_id == external_id)).scalar_one()
        db.session.expunge(found)
        return found


def test_a_reminder_sms_carries_the_patients_link_and_the_link_finds_the_session(app, client, fake_twilio):
    starts = paris(4)
    post_booking(client, booking(starts))
    tick(app, paris(1, 9, 0))
    (confirmation,) = sent_bodies(fake_twilio)
    tick(app, starts - timedelta(hours=24))
    (reminder,) = sent_bodies(fake_twilio)

    token = link_in(reminder)
    with app.app_context():
        found = links.find(db.session, token)
        assert found is not None and found.external_id == "appt-1"
        assert links.find(db.session, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert link_in(confirmation) == token  # the same link in every message about the session
    assert CLINIC_PHONE_SHOWN in reminder  # and the phone, for a patient who would rather call


def test_every_message_about_a_session_carries_the_same_link_and_another_session_its_own(app, client, fake_twilio):
    first, second = paris(5), paris(8, 10, 0)
    book(app, client, fake_twilio, booking(first))
    post_booking(client, booking(second, event_id="evt_2", appointment_id="appt-2"))
    tick(app, paris(2, 9, 0))
    (second_confirmation,) = sent_bodies(fake_twilio)

    moved = paris(9, 11, 0)  # the second session moves: the change notice names it with the same link
    post_booking(client, booking(moved, event_id="evt_3", appointment_id="appt-2", type="appointment.rescheduled"))
    tick(app, paris(3, 9, 0))
    (notice,) = sent_bodies(fake_twilio)
    assert "11:00" in notice and link_in(notice) == link_in(second_confirmation)

    tick(app, first - timedelta(hours=24))
    (first_reminder,) = sent_bodies(fake_twilio)
    assert link_in(first_reminder) != link_in(notice)
    with app.app_context():
        assert links.find(db.session, link_in(first_reminder)).external_id == "appt-1"  # type: ignore[union-attr]
        assert links.find(db.session, link_in(notice)).external_id == "appt-2"  # type: ignore[union-attr]


def test_a_session_booked_before_links_existed_gets_one_when_its_reminder_goes(app, client, fake_twilio):
    starts = paris(4)
    book(app, client, fake_twilio, booking(starts))
    with app.app_context():  # as a session booked before this version: no digest kept
        db.session.execute(update(Appointment).values(manage_token_digest=None))
        db.session.commit()
    tick(app, starts - timedelta(hours=24))
    (reminder,) = sent_bodies(fake_twilio)
    with app.app_context():
        assert links.find(db.session, link_in(reminder)) is not None


def test_without_a_public_address_messages_give_the_phone_and_no_link(app, client, fake_twilio):
    override(app, settings=get_settings(app).with_overrides(public_base_url=None))
    starts = paris(4)
    post_booking(client, booking(starts))
    tick(app, paris(1, 9, 0))
    tick(app, starts - timedelta(hours=24))
    bodies = sent_bodies(fake_twilio)
    assert len(bodies) == 2
    assert all("/r/" not in b and "http" not in b and CLINIC_PHONE_SHOWN in b for b in bodies), bodies


def _on(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=PARIS).astimezone(UTC)


def _maintenance_sms(app, client, fake_twilio) -> str:
    """The SMS a patient gets a month before their yearly maintenance course (nothing booked: no session to link to)."""
    last = local_day(PARIS, 4, 11, 0)
    body = booking(last)
    body["appointment"]["course"] = {"id": "c1", "sessions_planned": 1}
    assert post_booking(client, body).status_code == 200
    tick(app, last + timedelta(days=3))  # the course's only session is done
    fake_twilio.messages.clear()
    with app.app_context():
        due = db.session.execute(select(Course.maintenance_due_on)).scalar_one()
    tick(app, _on(due - timedelta(days=30)))
    bodies = [b for b in sent_bodies(fake_twilio) if "entretien" in b]
    assert len(bodies) == 1, bodies
    return bodies[0]


def test_a_maintenance_message_links_to_the_clinics_booking_page(app, client, fake_twilio):
    override(app, settings=get_settings(app).with_overrides(booking_url=BOOKING_URL))
    text = _maintenance_sms(app, client, fake_twilio)
    assert BOOKING_URL + " " in text and "/r/" not in text


def test_without_a_booking_page_a_maintenance_message_gives_the_phone(app, client, fake_twilio):
    text = _maintenance_sms(app, client, fake_twilio)
    assert CLINIC_PHONE_SHOWN in text and "http" not in text


# -- the booking systems' own pages -----------------------------------------------------------------------------------


def test_calendly_bookings_keep_calendlys_own_cancel_and_reschedule_pages(app, client, settings):
    starts = paris(5)
    post_calendly(client, calendly("invitee_created", starts, created=datetime.now(starts.tzinfo) - timedelta(days=1)))
    invitee = load("calendly/invitee_created.json")["payload"]
    first = appointment(app, invitee["uri"])
    assert links.provider_links(first, settings) == (invitee["cancel_url"], invitee["reschedule_url"])

    # Rescheduled on Calendly: the new invitee has pages of its own.
    post_calendly(client, calendly("invitee_canceled_rescheduled", starts))
    post_calendly(client, calendly("invitee_created_rescheduled", paris(6)))
    new_invitee = load("calendly/invitee_created_rescheduled.json")["payload"]
    assert links.provider_links(appointment(app, new_invitee["uri"]), settings) == (
        new_invitee["cancel_url"],
        new_invitee["reschedule_url"],
    )


def test_calcom_bookings_lead_to_calcoms_pages_built_from_the_booking_uid(app, client, settings):
    assert post_calcom(client, calcom("booking_created", paris(5))).status_code == 200
    uid = load("calcom/booking_created.json")["payload"]["uid"]
    appt = appointment(app, uid)
    assert links.provider_links(appt, settings) == (
        f"https://app.cal.com/booking/{uid}?cancel=true",
        f"https://app.cal.com/reschedule/{uid}",
    )
    own = settings.with_overrides(calcom_app_url="https://cal.clinique-lumiere.test")
    assert links.provider_links(appt, own)[1] == f"https://cal.clinique-lumiere.test/reschedule/{uid}"


def test_acuity_bookings_lead_to_the_clients_confirmation_page_where_acuity_allows_changes(app, client, settings):
    server = FakeAcuity(ACUITY_USER, ACUITY_KEY).start()
    try:
        override(app, settings=get_settings(app).with_overrides(acuity_api_base_url=server.base_url))
        fetched = load("acuity/appointment.json")
        fetched["datetime"] = paris(5).strftime("%Y-%m-%dT%H:%M:%S%z")
        server.appointments["1001"] = fetched
        raw = b"action=scheduled&id=1001&calendarID=7&appointmentTypeID=42"
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Acuity-Signature": acuity_signature(raw)}
        assert client.post("/webhooks/acuity", data=raw, headers=headers).status_code == 200
        page = fetched["confirmationPage"]
        assert links.provider_links(appointment(app, "1001"), settings) == (page, page)

        server.appointments["1001"] = {**fetched, "canClientCancel": False}  # the clinic stopped self-cancelling
        raw = raw.replace(b"scheduled", b"changed")
        headers["X-Acuity-Signature"] = acuity_signature(raw)
        assert client.post("/webhooks/acuity", data=raw, headers=headers).status_code == 200
        assert links.provider_links(appointment(app, "1001"), settings) == (None, page)
    finally:
        server.stop()


def test_bookings_recall_handles_itself_have_no_provider_pages(app, client, settings):
    post_booking(client, booking(paris(5)))
    assert links.provider_links(appointment(app, "appt-1"), settings) == (None, None)


# -- skip_when_confirmed ----------------------------------------------------------------------------------------------


def test_a_rule_that_skips_confirmed_sessions_skips_the_confirmed_one_and_reminds_the_other(app, client, fake_twilio):
    with app.app_context():  # as staff would set it in the rule form
        db.session.add(ReminderRule(kind="reminder_24h", channel="sms", offset_minutes=1440, skip_when_confirmed=True))
        db.session.commit()
    starts = paris(4)
    book(app, client, fake_twilio, booking(starts))
    other = booking(starts, event_id="evt_2", appointment_id="appt-2", id="pat-2", first_name="Léa", phone="06 98 76 54 32")
    book(app, client, fake_twilio, other)

    assert reply(client, "OUI").status_code == 200  # Camille confirms; Léa does not
    fake_twilio.messages.clear()
    tick(app, starts - timedelta(hours=24))

    (sent,) = fake_twilio.messages
    assert sent["to"] == "+33698765432"
    with app.app_context():
        rows = db.session.execute(
            select(Appointment.external_id, Reminder.status, Reminder.status_reason)
            .join(Reminder, Reminder.appointment_id == Appointment.id)
            .where(Reminder.kind == "reminder_24h")
        ).all()
    by_session = {external_id: (status, reason) for external_id, status, reason in rows}
    stored = "the patient has confirmed the session, and this rule skips confirmed sessions"
    assert by_session["appt-1"] == ("skipped", stored)
    assert by_session["appt-2"][0] == "sent"
    with app.test_request_context():  # and the outbox says so in words of its own
        assert wording.reason(stored) == "the patient has confirmed the session (this rule is not sent for confirmed sessions)"
