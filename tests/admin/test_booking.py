"""Booking, moving and cancelling sessions from the panel: the patient hears exactly what a booking webhook would tell
them, and a booking system's session says where to change it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from service.extensions import db
from service.models import Appointment, AuditEvent, Course, Patient, Reminder, WebhookEvent
from service.timeutil import utcnow
from tests.admin.conftest import csrf_token
from tests.helpers import book, booking, next_spring_forward, paris, post_booking, sent_bodies, tick

PARIS = ZoneInfo("Europe/Paris")


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html)
    assert found, f"no hidden {name} in the page"
    return found.group(1)


def when_fields(starts_at: datetime) -> dict[str, str]:
    local = starts_at.astimezone(PARIS)
    return {"date": local.date().isoformat(), "time": local.strftime("%H:%M"), "duration_minutes": "10", "area": "thighs"}


def post_form(client, path: str, **fields):
    page = client.get(path).get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "key": hidden(page, "key"), **fields}
    return client.post(path, data=data)


def book_new_patient(client, starts_at: datetime, **fields):
    person = {"first_name": "Camille", "last_name": "Durand", "phone": "06 11 22 33 44", "email": "", "language": "fr"}
    return post_form(client, "/admin/booking/new", **{**person, "sms_consent": "y", **when_fields(starts_at), **fields})


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(  # type: ignore[return-value]
            db.session.execute(select(func.count()).select_from(m)).scalar_one() for m in (Patient, Appointment, WebhookEvent)
        )


def the_session(app, **where) -> Appointment:
    with app.app_context():
        appt = db.session.execute(select(Appointment).filter_by(**where)).scalar_one()
        db.session.expunge(appt)
        return appt


def audited(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [tuple(r) for r in db.session.execute(select(AuditEvent.action, AuditEvent.entity).order_by(AuditEvent.id))]


def add_patient(app, first: str, last: str, phone: str, *areas: str) -> int:
    with app.app_context():
        patient = Patient(first_name=first, last_name=last, phone=phone, language="fr", sms_consent=True, created_at=utcnow())
        db.session.add(patient)
        db.session.flush()
        for area in areas:
            db.session.add(Course(patient_id=patient.id, area=area, started_at=utcnow() - timedelta(days=20)))
        db.session.commit()
        return patient.id


def test_a_new_patient_booked_at_the_desk_gets_the_same_confirmation_as_a_webhook_booking(app, client, staff, fake_twilio):
    starts = paris(3)
    assert "Nobody matches" in staff.get("/admin/booking/", query_string={"q": "Durand"}).get_data(as_text=True)

    response = book_new_patient(staff, starts)
    # The same session for another patient, booked in a booking system: the message to compare with.
    post_booking(client, booking(starts, first_name="Camille", phone="+33699887766"))

    assert response.status_code == 302 and "/admin/appointment/details/" in response.headers["Location"]
    with app.app_context():
        patient = db.session.execute(select(Patient).where(Patient.last_name == "Durand")).scalar_one()
        assert (patient.phone, patient.sms_consent, patient.sms_consent_source) == (
            "+33611223344",
            True,
            "admin:desk@clinique.test",
        )
        appt = db.session.execute(select(Appointment).where(Appointment.patient_id == patient.id)).scalar_one()
        assert (appt.source, appt.starts_at, appt.area) == ("panel", starts, "thighs")
    assert ("create", "patient") in audited(app) and ("book", "appointment") in audited(app)
    details = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "Front desk" in details and "Durand" in details

    tick(app, utcnow() + timedelta(minutes=1))
    assert fake_twilio.messages == []  # the same debounce as a webhook booking: nothing at once
    tick(app, paris(1, 9, 0))
    by_number = {m["to"]: m["body"] for m in fake_twilio.messages}
    assert set(by_number) == {"+33611223344", "+33699887766"}
    assert "confirmé" in by_number["+33611223344"] and "16:45" in by_number["+33611223344"]
    # The same words; each patient's own link to their own session.
    desk, webhook = (re.sub(r"/r/[\w-]{16}", "/r/<token>", by_number[n]) for n in ("+33611223344", "+33699887766"))
    assert desk == webhook and by_number["+33611223344"] != by_number["+33699887766"]


def test_an_existing_patient_found_by_phone_is_booked_with_one_of_their_own_courses(app, staff, fake_twilio):
    inès = add_patient(app, "Inès", "Moreau", "+33612345678", "abdomen")
    add_patient(app, "Sam", "Taylor", "+447911123456", "knees")

    found = staff.get("/admin/booking/", query_string={"q": "06 12 34 56 78"}).get_data(as_text=True)
    assert "Moreau" in found and "Taylor" not in found and f"/admin/booking/new?patient={inès}" in found
    assert "Moreau" in staff.get("/admin/booking/", query_string={"q": "inès mor"}).get_data(as_text=True)
    form = staff.get(f"/admin/booking/new?patient={inès}").get_data(as_text=True)
    assert "abdomen" in form and "knees" not in form and 'name="first_name"' not in form
    with app.app_context():
        course_id = db.session.execute(select(Course.id).where(Course.patient_id == inès)).scalar_one()

    response = post_form(
        staff, f"/admin/booking/new?patient={inès}", **{**when_fields(paris(4, 11, 15)), "course": str(course_id)}
    )

    assert response.status_code == 302
    appt = the_session(app, source="panel")
    assert (appt.patient_id, appt.course_id) == (inès, course_id)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Patient)).scalar_one() == 2  # nobody new
    tick(app, paris(1, 9, 0))
    (sms,) = sent_bodies(fake_twilio)
    assert "confirmé" in sms and "11:15" in sms


def test_a_move_sends_the_change_notice_with_the_new_local_time(app, staff, fake_twilio):
    book_new_patient(staff, paris(5))
    tick(app, paris(1, 9, 0))
    assert len(sent_bodies(fake_twilio)) == 1  # the confirmation
    appt = the_session(app)
    assert "Move" in staff.get(f"/admin/appointment/details/?id={appt.id}").get_data(as_text=True)

    response = post_form(staff, f"/admin/booking/move/{appt.id}", **when_fields(paris(6, 10, 30)))

    assert response.status_code == 302
    moved = the_session(app)
    assert (moved.id, moved.starts_at, moved.local_starts_at.strftime("%H:%M")) == (appt.id, paris(6, 10, 30), "10:30")
    assert ("move", "appointment") in audited(app)
    tick(app, paris(2, 9, 0))
    (notice,) = sent_bodies(fake_twilio)
    assert "déplacé" in notice and "10:30" in notice


def test_a_cancel_sends_the_cancellation_notice_and_stops_the_reminders(app, staff, fake_twilio):
    book_new_patient(staff, paris(5))
    tick(app, paris(1, 9, 0))
    sent_bodies(fake_twilio)
    appt = the_session(app)
    details = staff.get(f"/admin/appointment/details/?id={appt.id}").get_data(as_text=True)

    staff.post(f"/admin/booking/cancel/{appt.id}", data={"csrf_token": csrf_token(details)})

    assert the_session(app).status == "cancelled"
    assert ("cancelled", "appointment") in audited(app)
    with app.app_context():
        waiting = db.session.execute(select(Reminder.kind).where(Reminder.status == "pending")).scalars().all()
    assert all(kind == "cancellation_notice" for kind in waiting)
    for days in (2, 4, 5):
        tick(app, paris(days, 10, 0))
    (notice,) = sent_bodies(fake_twilio)
    assert "annulé" in notice and "16:45" in notice


def test_a_booking_systems_session_offers_no_move_says_where_to_change_it_and_can_be_cancelled(app, client, staff, fake_twilio):
    book(app, client, fake_twilio, booking(paris(5)))
    appt = the_session(app)

    details = staff.get(f"/admin/appointment/details/?id={appt.id}").get_data(as_text=True)
    listing = staff.get("/admin/appointment/").get_data(as_text=True)
    assert "Booked in Booking system: change it there" in details and "overwritten by the next booking webhook" in details
    assert "move-session" not in details and "move-session" not in listing and "cancel-session" in listing
    refused = staff.get(f"/admin/booking/move/{appt.id}", follow_redirects=True).get_data(as_text=True)
    assert "Only a booked session made at the front desk can be moved here" in refused

    staff.post(f"/admin/booking/cancel/{appt.id}", data={"csrf_token": csrf_token(details)})

    cancelled = the_session(app)
    assert (cancelled.status, cancelled.source, cancelled.starts_at) == ("cancelled", "generic", appt.starts_at)
    tick(app, paris(2, 10, 0))
    (notice,) = sent_bodies(fake_twilio)
    assert "annulé" in notice


def test_attended_and_no_show_marks_work_on_any_session_and_are_audited(app, client, staff):
    post_booking(client, booking(paris(5)))
    appt = the_session(app)
    details = staff.get(f"/admin/appointment/details/?id={appt.id}").get_data(as_text=True)
    assert "Mark attended" in details and "Mark no-show" in details

    staff.post(f"/admin/booking/mark/{appt.id}", data={"csrf_token": csrf_token(details), "status": "no_show"})
    assert the_session(app).status == "no_show"
    staff.post(f"/admin/booking/mark/{appt.id}", data={"csrf_token": csrf_token(details), "status": "completed"})
    assert the_session(app).status == "completed"
    assert [a for a in audited(app) if a[1] == "appointment"] == [("no_show", "appointment"), ("completed", "appointment")]


def test_the_same_form_sent_twice_books_once(app, staff):
    page = staff.get("/admin/booking/new").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "key": hidden(page, "key"),
        "first_name": "Léa",
        "last_name": "Petit",
        "phone": "0611223344",
        "language": "fr",
        "sms_consent": "y",
        **when_fields(paris(3)),
    }
    first, second = staff.post("/admin/booking/new", data=data), staff.post("/admin/booking/new", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert counts(app) == (1, 1, 1)


def test_bad_input_is_explained_in_words_and_changes_nothing(app, staff):
    past = paris(-1)
    gap = next_spring_forward()
    cases = [
        ({**when_fields(past)}, "That time has already passed"),
        ({"date": gap.isoformat(), "time": "02:30"}, "does not exist on that day in Europe/Paris"),
        ({"duration_minutes": "300"}, "A session lasts 5 to 240 minutes"),
        ({"phone": "06 12"}, "is not a phone number we can text"),
        ({"first_name": ""}, "The first name is needed"),
        ({"date": ""}, "Choose the day of the session"),
    ]
    for fields, words in cases:
        response = book_new_patient(staff, paris(3), **fields)
        assert response.status_code == 400 and words in response.get_data(as_text=True), words

    page = staff.get("/admin/booking/new").get_data(as_text=True)
    no_token = {"key": hidden(page, "key"), "first_name": "A", "last_name": "B", "phone": "0611223344", **when_fields(paris(3))}
    refused = staff.post("/admin/booking/new", data=no_token)
    assert refused.status_code == 400 and "nothing was changed" in refused.get_data(as_text=True)

    unknown = staff.get("/admin/booking/new?patient=987654", follow_redirects=True).get_data(as_text=True)
    assert "That patient is not known here" in unknown
    assert counts(app) == (0, 0, 0)


def test_a_new_patient_with_a_known_phone_is_refused_and_a_cancel_without_its_token_changes_nothing(app, client, staff):
    post_booking(client, booking(paris(5), phone="06 11 22 33 44"))
    before = counts(app)

    page = book_new_patient(staff, paris(3)).get_data(as_text=True)
    assert "already has this phone or email" in page and "Camille Martin" in page
    appt = the_session(app)
    staff.post(f"/admin/booking/cancel/{appt.id}", data={})

    assert counts(app) == before and the_session(app).status == "booked"


def test_a_time_typed_for_a_patient_abroad_is_read_in_their_zone(app, staff):
    with app.app_context():
        patient = Patient(first_name="Sam", last_name="Taylor", phone="+447911123456", timezone="Europe/London", sms_consent=True)
        db.session.add(patient)
        db.session.commit()
        patient_id = patient.id
    local_day = datetime.now(ZoneInfo("Europe/London")).date() + timedelta(days=3)

    post_form(
        staff,
        f"/admin/booking/new?patient={patient_id}",
        date=local_day.isoformat(),
        time="09:00",
        duration_minutes="20",
        area="arms",
    )

    appt = the_session(app)
    expected = datetime(local_day.year, local_day.month, local_day.day, 9, 0, tzinfo=ZoneInfo("Europe/London"))
    assert (appt.starts_at, appt.timezone, appt.duration_minutes) == (expected.astimezone(UTC), "Europe/London", 20)


def test_the_patient_page_books_a_session_for_that_patient(app, staff):
    patient_id = add_patient(app, "Léa", "Bernard", "+33611111111")
    page = staff.get(f"/admin/patient/details/?id={patient_id}").get_data(as_text=True)
    link = re.search(r'id="book-for-patient" href="([^"]+)"', page)
    assert link, "no New session button on the patient's page"
    form = staff.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "Léa Bernard" in form and 'name="first_name"' not in form  # booking for her, not for a new patient
