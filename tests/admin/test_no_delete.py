"""Nobody deletes a patient from the panel (erasure is the one way), and no message a user reads quotes SQL."""

from __future__ import annotations

from sqlalchemy import select

from service.extensions import db
from service.models import Course, MessageTemplate, Patient
from service.timeutil import utcnow
from tests.admin.conftest import ADMIN, STAFF, csrf_token, sign_in

SQL_WORDS = (
    "INSERT",
    "UPDATE",
    "DELETE FROM",
    "sqlite3",
    "psycopg",
    "[SQL",
    "UNIQUE constraint",
    "duplicate key",
    "IntegrityError",
    "message_template",
)


def a_patient_with_a_course(app) -> int:
    with app.app_context():
        patient = Patient(first_name="Camille", last_name="Martin", phone="+33612345678", language="fr", created_at=utcnow())
        db.session.add(patient)
        db.session.flush()
        db.session.add(Course(patient_id=patient.id, area="thighs", kind="initial", sessions_planned=6, started_at=utcnow()))
        db.session.commit()
        return patient.id


def still_there(app, pid: int) -> bool:
    with app.app_context():
        return db.session.get(Patient, pid) is not None


def test_neither_staff_nor_admin_can_delete_a_patient_one_by_one_or_in_bulk(app):
    pid = a_patient_with_a_course(app)
    for who in (STAFF, ADMIN):
        browser = app.test_client()
        assert sign_in(browser, *who).status_code == 302
        listing = browser.get("/admin/patient/").get_data(as_text=True)
        assert "/admin/patient/delete/" not in listing and 'value="delete"' not in listing  # no trash icon, no bulk action
        token = csrf_token(browser.get("/admin/patient/new/").get_data(as_text=True))
        single = browser.post("/admin/patient/delete/", data={"id": str(pid), "csrf_token": token})
        assert single.status_code in (302, 403, 404, 405)
        bulk = browser.post("/admin/patient/action/", data={"action": "delete", "rowid": [str(pid)], "csrf_token": token})
        assert bulk.status_code in (302, 403, 404, 405)
        assert still_there(app, pid)
        shown = browser.get("/admin/patient/").get_data(as_text=True)
        assert not any(word in shown for word in SQL_WORDS), shown
    details = browser.get(f"/admin/patient/details/?id={pid}").get_data(as_text=True)
    assert f"/admin/patient/privacy/{pid}/erase" in details  # the admin's way remains


def test_a_change_the_database_refuses_is_explained_without_sql(app, admin_client):
    with app.app_context():
        db.session.add(MessageTemplate(kind="confirmation", channel="sms", language="fr", body="{{ clinic_name }}"))
        db.session.commit()
    token = csrf_token(admin_client.get("/admin/messagetemplate/new/").get_data(as_text=True))
    page = admin_client.post(
        "/admin/messagetemplate/new/",
        follow_redirects=True,
        data={
            "kind": "confirmation",
            "channel": "sms",
            "language": "fr",
            "subject": "",
            "body": "Hello {{ first_name }}",
            "csrf_token": token,
        },
    )
    text = page.get_data(as_text=True)
    assert "could not be saved" in text
    assert not any(word in text for word in SQL_WORDS), [w for w in SQL_WORDS if w in text]
    with app.app_context():
        assert len(db.session.execute(select(MessageTemplate)).scalars().all()) == 1
