"""Export and erasure from the patient's page: for administrators, with CSRF and a typed confirmation."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from service.extensions import db
from service.models import AuditEvent, Patient, Reminder
from tests.admin.conftest import csrf_token
from tests.helpers import booking, post_booking

PARIS = ZoneInfo("Europe/Paris")


def booked_patient(client) -> int:
    day = datetime.now(PARIS).date() + timedelta(days=6)
    assert post_booking(client, booking(datetime(day.year, day.month, day.day, 15, 0, tzinfo=PARIS))).status_code == 200
    return 1


def patient_id(app) -> int:
    with app.app_context():
        return db.session.execute(select(Patient.id)).scalar_one()


def test_an_admin_downloads_the_patients_data_and_it_is_audited(app, client, admin_client):
    booked_patient(client)
    pid = patient_id(app)
    page = admin_client.get(f"/admin/patient/details/?id={pid}").get_data(as_text=True)
    assert "Export all data (JSON)" in page and "Type ERASE" in page

    response = admin_client.get(f"/admin/patient/privacy/{pid}/export")

    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["profile"]["phone"] == "+33612345678" and data["sessions"][0]["status"] == "booked"
    with app.app_context():
        assert db.session.execute(
            select(AuditEvent.actor).where(AuditEvent.action == "export", AuditEvent.entity_id == str(pid))
        ).scalar_one()


def test_an_admin_erases_a_patient_only_after_typing_erase(app, client, admin_client):
    booked_patient(client)
    pid = patient_id(app)
    page = admin_client.get(f"/admin/patient/details/?id={pid}").get_data(as_text=True)
    token = csrf_token(page)

    refused = admin_client.post(
        f"/admin/patient/privacy/{pid}/erase", data={"csrf_token": token, "confirm": "yes"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "type ERASE in the box" in refused
    without_token = admin_client.post(f"/admin/patient/privacy/{pid}/erase", data={"confirm": "ERASE"}, follow_redirects=True)
    assert "nothing was erased" in without_token.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Patient, pid).first_name == "Camille"

    done = admin_client.post(
        f"/admin/patient/privacy/{pid}/erase", data={"csrf_token": token, "confirm": "ERASE"}, follow_redirects=True
    ).get_data(as_text=True)

    assert "Patient erased" in done
    with app.app_context():
        patient = db.session.get(Patient, pid)
        assert (patient.first_name, patient.phone) == ("(erased)", None)
        assert not db.session.execute(select(Reminder).where(Reminder.status == "pending")).scalars().all()
        assert (
            db.session.execute(select(AuditEvent.actor).where(AuditEvent.action == "erase")).scalar_one() == "owner@clinique.test"
        )


def test_staff_cannot_export_or_erase(app, client, staff):
    booked_patient(client)
    pid = patient_id(app)
    assert "Type ERASE" not in staff.get(f"/admin/patient/details/?id={pid}").get_data(as_text=True)
    assert staff.get(f"/admin/patient/privacy/{pid}/export").status_code == 403
    assert staff.post(f"/admin/patient/privacy/{pid}/erase", data={"confirm": "ERASE"}).status_code == 403
    with app.app_context():
        assert db.session.get(Patient, pid).first_name == "Camille"
