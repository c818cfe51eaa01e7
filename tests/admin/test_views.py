"""What staff do at the front desk, through the panel as a browser would post it."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from service.extensions import db
from service.models import Appointment, AuditEvent, InboundMessage, MessageTemplate, Patient, Reminder
from tests.admin.conftest import csrf_token
from tests.admin.test_dashboard import chart_day
from tests.helpers import booking, paris, post_booking

PARIS = ZoneInfo("Europe/Paris")


def new_patient(client, **fields):
    token = csrf_token(client.get("/admin/patient/new/").get_data(as_text=True))
    data = {
        "first_name": "Inès",
        "last_name": "Moreau",
        "phone": "",
        "email": "",
        "timezone": "",
        "language": "fr",
        "csrf_token": token,
        **fields,
    }
    return client.post("/admin/patient/new/", data=data, follow_redirects=True)


def test_a_national_phone_is_saved_in_e164_listed_as_dialled_and_consent_is_recorded_with_who(app, staff):
    page = new_patient(staff, phone="06 11 22 33 44", email="Ines@Example.TEST", sms_consent="y")
    assert page.status_code == 200
    new_patient(staff, first_name="Sam", last_name="Taylor", phone="+447911123456")
    listing = staff.get("/admin/patient/").get_data(as_text=True)
    # The clinic's own country in national format, another country's with its code; never the raw E.164.
    assert "06 11 22 33 44" in listing and "+44 7911 123456" in listing
    assert "+33611223344" not in listing
    with app.app_context():
        patient = db.session.execute(select(Patient).where(Patient.last_name != "Taylor")).scalar_one()
        assert (patient.phone, patient.email) == ("+33611223344", "Ines@example.test")
        assert patient.sms_consent and patient.sms_consent_source == "admin:desk@clinique.test"
        assert patient.sms_consent_at is not None
        assert db.session.execute(select(AuditEvent.action, AuditEvent.entity)).all()[-1] == ("create", "patient")


def test_a_bad_phone_email_or_zone_is_explained_in_words_and_nothing_is_saved(app, staff):
    page = new_patient(staff, phone="06 12", email="not-an-email", timezone="Paris").get_data(as_text=True)
    assert "06 12 is not a mobile number we can text" in page and "with its country code" in page
    assert "is not an email address" in page
    assert "Not a valid choice" in page or "IANA" in page
    with app.app_context():
        assert db.session.execute(select(Patient)).first() is None


def test_staff_find_a_patient_by_phone_typed_any_way(app, staff):
    new_patient(staff, phone="+33611223344")
    new_patient(staff, first_name="Sam", last_name="Taylor", phone="+447911123456")
    for typed in ("06 11 22 33 44", "0611223344", "+33 6 11 22 33 44"):
        page = staff.get("/admin/patient/", query_string={"search": typed}).get_data(as_text=True)
        assert "Moreau" in page and "Taylor" not in page
    for partial, found, other in (("Taylor", "Taylor", "Moreau"), ("223344", "Moreau", "Taylor")):  # not a whole number
        page = staff.get("/admin/patient/", query_string={"search": partial}).get_data(as_text=True)
        assert found in page and other not in page


def test_the_patient_page_shows_the_timeline_of_sessions_messages_and_replies(app, client, staff):
    post_booking(client, booking(paris(5)))
    with app.app_context():
        patient_id = db.session.execute(select(Patient.id)).scalar_one()
        db.session.add(
            InboundMessage(
                provider_message_id="SM1",
                patient_id=patient_id,
                from_number="+33612345678",
                body="Can I come earlier?",
                intent="other",
            )
        )
        db.session.commit()
    page = staff.get(f"/admin/patient/details/?id={patient_id}").get_data(as_text=True)
    assert 'id="timeline"' in page and "Booked" in page and "Reminder, the day before" in page and "Waiting" in page
    assert "Can I come earlier?" in page


def test_import_is_all_or_nothing_with_every_problem_named(app, staff):
    bad = (
        "first_name,last_name,phone,email,timezone,language,sms_consent,email_consent\n"
        "Léa,Bernard,06 98 76 54 32,,Europe/Paris,fr,yes,no\n"
        "Nora,Petit,06 12,nora@,Mars/Olympus,pt,maybe,no\n"
    )
    token = csrf_token(staff.get("/admin/patient_import/").get_data(as_text=True))
    page = staff.post(
        "/admin/patient_import/",
        data={"csrf_token": token, "file": (io.BytesIO(bad.encode()), "p.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    for problem in ("Line 3: phone:", "Line 3: email:", "Line 3: timezone", "Line 3: language", "Line 3: sms_consent"):
        assert problem in page
    assert "Import 1 patients" not in page
    forced = staff.post(
        "/admin/patient_import/", data={"csrf_token": token, "content": bad, "confirm": "yes"}, follow_redirects=True
    )
    assert "Nothing was imported" in forced.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(Patient)).first() is None

    good = bad.splitlines()[0] + "\n" + bad.splitlines()[1] + "\nNora,Petit,,nora@example.test,,fr,no,yes\n"
    page = staff.post(
        "/admin/patient_import/",
        data={"csrf_token": token, "file": (io.BytesIO(good.encode()), "p.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Import 2 patients" in page
    staff.post("/admin/patient_import/", data={"csrf_token": token, "content": good, "confirm": "yes"})
    with app.app_context():
        rows = db.session.execute(select(Patient.first_name, Patient.phone, Patient.email_consent)).all()
    assert sorted(tuple(r) for r in rows) == [("Léa", "+33698765432", False), ("Nora", None, True)]


def test_patients_export_as_csv_and_the_export_is_audited(app, staff):
    new_patient(staff, phone="0611223344")
    export = staff.get("/admin/patient/export/csv/")
    assert export.status_code == 200 and "+33611223344" in export.get_data(as_text=True)
    with app.app_context():
        assert ("export", "patient") in db.session.execute(select(AuditEvent.action, AuditEvent.entity)).all()


def test_marking_a_session_no_show_replans_at_once(app, client, staff):
    starts = paris(3)
    post_booking(client, booking(starts))
    with app.app_context():
        appointment_id = db.session.execute(select(Appointment.id)).scalar_one()
    token = csrf_token(staff.get("/admin/appointment/").get_data(as_text=True))
    staff.post("/admin/appointment/action/", data={"action": "no_show", "rowid": str(appointment_id), "csrf_token": token})
    with app.app_context():
        assert db.session.execute(select(Appointment.status)).scalar_one() == "no_show"
        statuses = dict(db.session.execute(select(Reminder.kind, Reminder.status)).all())
    assert statuses["aftercare"] == "cancelled" and statuses["reminder_24h"] == "cancelled"


def test_outbox_actions_cancel_and_send_now(app, client, staff):
    post_booking(client, booking(paris(5)))
    with app.app_context():
        ids = dict(db.session.execute(select(Reminder.kind, Reminder.id)).all())
    token = csrf_token(staff.get("/admin/reminder/").get_data(as_text=True))
    staff.post("/admin/reminder/action/", data={"action": "cancel", "rowid": str(ids["reminder_2h"]), "csrf_token": token})
    staff.post("/admin/reminder/action/", data={"action": "send_now", "rowid": str(ids["reminder_24h"]), "csrf_token": token})
    with app.app_context():
        two, day = (db.session.get(Reminder, ids[k]) for k in ("reminder_2h", "reminder_24h"))
        assert (two.status, two.status_reason) == ("cancelled", "cancelled by desk@clinique.test")
        assert day.status == "pending" and day.next_attempt_at < day.due_at


def test_a_template_that_does_not_render_cannot_be_saved_and_the_preview_shows_encoding(app, admin_client):
    token = csrf_token(admin_client.get("/admin/messagetemplate/new/").get_data(as_text=True))
    page = admin_client.post(
        "/admin/messagetemplate/new/",
        data={
            "kind": "session_reminder",
            "channel": "sms",
            "language": "fr",
            "subject": "",
            "body": "{{ clinic_name }} : RDV {{ sesion_time }}",
            "csrf_token": token,
        },
    ).get_data(as_text=True)
    assert "does not render" in page and "sesion_time" in page and "session_time" in page
    with app.app_context():
        assert db.session.execute(select(MessageTemplate)).first() is None

    preview = admin_client.post(
        "/admin/messagetemplate/preview", data={"body": "{{ clinic_name }} : à {{ session_time }} ✨", "channel": "sms"}
    ).get_json()
    assert preview["text"].startswith("Clinique Lumière") and preview["encoding"] == "UCS-2" and preview["segments"] == 1
    assert (
        "sesion_time"
        in admin_client.post("/admin/messagetemplate/preview", data={"body": "{{ sesion_time }}"}).get_json()["error"]
    )


def test_the_dashboard_shows_todays_sessions_and_what_needs_a_look(app, client, staff):
    post_booking(client, booking(paris(0, 23, 30) if datetime.now(PARIS).hour < 23 else paris(1)))
    page = staff.get("/admin/").get_data(as_text=True)
    assert "Camille Martin" in page and "not confirmed" in page
    assert "unanswered repl" in page and "Messages, last 30 days" in page


def test_patients_can_be_filtered_by_opt_out_and_active_course(app, client, staff):
    post_booking(client, booking(paris(5)))
    new_patient(staff, first_name="Nora", last_name="Petit", email="nora@example.test")
    with app.app_context():
        db.session.execute(select(Patient).where(Patient.first_name == "Nora")).scalar_one().sms_opted_out_at = datetime.now(
            PARIS
        )
        db.session.commit()
    listing = staff.get("/admin/patient/").get_data(as_text=True)
    assert "Opted out of SMS" in listing and "Active course" in listing
    view = next(v for v in app.extensions["recall.admin"]._views if getattr(v, "endpoint", "") == "patient")
    index = {f.name: i for i, f in enumerate(view._filters)}
    opted = staff.get("/admin/patient/", query_string={f"flt0_{index['Opted out of SMS']}": "1"}).get_data(as_text=True)
    assert "Petit" in opted and "Martin" not in opted
    active = staff.get("/admin/patient/", query_string={f"flt0_{index['Active course']}": "1"}).get_data(as_text=True)
    assert "Martin" in active and "Petit" not in active


def test_changing_a_rule_replans_every_session_ahead(app, client, admin_client):
    post_booking(client, booking(paris(5)))
    token = csrf_token(admin_client.get("/admin/reminderrule/new/").get_data(as_text=True))
    admin_client.post(
        "/admin/reminderrule/new/",
        data={
            "kind": "reminder_evening",
            "channel": "sms",
            "offset_minutes": "1440",
            "at_local_time": "18:00",
            "enabled": "y",
            "csrf_token": token,
        },
    )
    with app.app_context():
        assert db.session.execute(select(Appointment.needs_planning)).scalar_one() is True


def test_the_dashboard_counts_messages_per_local_day(app, client, staff):
    post_booking(client, booking(paris(5)))
    with app.app_context():
        rows = db.session.execute(select(Reminder)).scalars().all()
        now = datetime.now(PARIS)
        rows[0].status, rows[0].sent_at = "delivered", now
        rows[1].status, rows[1].sent_at = "sent", now
        rows[2].status = "failed"
        db.session.commit()
    page = staff.get("/admin/").get_data(as_text=True)
    assert f"{chart_day(now.date())}: 2 sent" in page and f"{chart_day(now.date())}: 1 delivered" in page
    assert f"{chart_day(now.date())}: 1 failed" in page


def test_the_dashboard_chart_keeps_settled_days_and_counts_recent_ones_live(app, client, staff):
    """A settled day is counted once (the daily housekeeping keeps it); the last three days follow late receipts."""
    from service.jobs import housekeeping
    from service.models import DeliveryDay

    post_booking(client, booking(paris(5)))
    old_day, recent_day = paris(-10, 12, 0), paris(-1, 12, 0)
    with app.app_context():
        rows = db.session.execute(select(Reminder).order_by(Reminder.id)).scalars().all()
        for row, (status, at) in zip(rows, [("delivered", old_day), ("sent", old_day), ("sent", recent_day)], strict=False):
            row.status, row.sent_at, row.provider_status = status, at, ("delivered" if status == "delivered" else None)
        db.session.commit()
        assert housekeeping(datetime.now(PARIS))["days_counted"] == 26  # 30 days, less today and the 3 settling
        kept = db.session.get(DeliveryDay, (old_day.date(), "Europe/Paris"))
        assert (kept.sent, kept.delivered, kept.reported) == (2, 1, 1)
        assert housekeeping(datetime.now(PARIS))["days_counted"] == 0  # counted once

    page = staff.get("/admin/").get_data(as_text=True)
    old, recent = chart_day(old_day.astimezone(PARIS).date()), chart_day(recent_day.astimezone(PARIS).date())
    assert f"{old}: 2 sent" in page and f"{old}: 1 delivered" in page
    assert f"{recent}: 1 sent" in page

    with app.app_context():  # a receipt arrives late for yesterday's message: the chart shows it at once
        late = db.session.execute(select(Reminder).where(Reminder.sent_at == recent_day)).scalar_one()
        late.status, late.provider_status = "delivered", "delivered"
        db.session.commit()
    assert f"{recent}: 1 delivered" in staff.get("/admin/").get_data(as_text=True)
