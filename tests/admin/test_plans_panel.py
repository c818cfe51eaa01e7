"""Treatment plans in the panel: admins set a plan's size, a course without one counts against it; staff close a
course, its nudges stop, and the closing is audited."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from service.extensions import db
from service.models import AuditEvent, Course, Patient, Reminder, TreatmentPlan
from service.timeutil import utcnow
from tests.admin.conftest import csrf_token


def a_course(app, area: str = "cuisses") -> int:
    with app.app_context():
        patient = Patient(first_name="Léa", last_name="Bernard", phone="+33611111111", language="fr", created_at=utcnow())
        db.session.add(patient)
        db.session.flush()
        course = Course(patient_id=patient.id, area=area, started_at=utcnow() - timedelta(days=10))
        db.session.add(course)
        db.session.commit()
        return course.id


def test_an_admin_changes_a_plans_size_and_a_course_without_one_counts_against_it(app, admin_client):
    course_id = a_course(app)
    page = admin_client.get(f"/admin/course/details/?id={course_id}").get_data(as_text=True)
    assert "of 6" in page  # the shipped plan for a small area
    with app.app_context():
        db.session.add(TreatmentPlan(area="cuisses", sessions_planned=8, interval_days=7, maintenance_sessions_planned=4))
        db.session.commit()
    listing = admin_client.get("/admin/treatmentplan/").get_data(as_text=True)
    assert "cuisses" in listing
    with app.app_context():
        plan_id = db.session.execute(select(TreatmentPlan.id).where(TreatmentPlan.area == "cuisses")).scalar_one()
    form = admin_client.get(f"/admin/treatmentplan/edit/?id={plan_id}").get_data(as_text=True)
    admin_client.post(
        f"/admin/treatmentplan/edit/?id={plan_id}",
        data={
            "area": "cuisses",
            "sessions_planned": "10",
            "interval_days": "7",
            "maintenance_sessions_planned": "4",
            "csrf_token": csrf_token(form),
        },
    )
    page = admin_client.get(f"/admin/course/details/?id={course_id}").get_data(as_text=True)
    assert "of 10" in page and "of 6" not in page


def test_treatment_plans_are_for_administrators(app, staff):
    assert staff.get("/admin/treatmentplan/").status_code == 403


def test_staff_close_a_course_its_nudges_stop_and_it_is_audited(app, staff):
    course_id = a_course(app)
    with app.app_context():
        course = db.session.get(Course, course_id)
        db.session.add(
            Reminder(
                patient_id=course.patient_id,
                kind="rebook",
                channel="sms",
                dedupe_key=f"rebook:{course_id}:0:1",
                due_at=utcnow() + timedelta(days=2),
                next_attempt_at=utcnow() + timedelta(days=2),
                expires_at=utcnow() + timedelta(days=4),
                status="pending",
                attempts=0,
                context={"course_id": course_id},
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
        db.session.commit()
    token = csrf_token(staff.get("/admin/course/").get_data(as_text=True))
    answer = staff.post("/admin/course/action/", data={"action": "close", "rowid": [str(course_id)], "csrf_token": token})
    assert answer.status_code == 302
    with app.app_context():
        assert db.session.get(Course, course_id).completed_at is not None
        assert db.session.execute(select(Reminder.status).where(Reminder.kind == "rebook")).scalar_one() == "cancelled"
        assert (
            db.session.execute(
                select(AuditEvent.action).where(AuditEvent.entity == "course", AuditEvent.entity_id == str(course_id))
            ).scalar_one()
            == "close"
        )


def test_closing_a_course_also_stops_its_weekly_tips(app, staff):
    from service.content.seed import seed_tips
    from service.models import Appointment
    from service.planner import plan_patient
    from service.runtime import get_settings

    course_id = a_course(app)
    with app.app_context():
        seed_tips(db.session)
        course = db.session.get(Course, course_id)
        patient = db.session.get(Patient, course.patient_id)
        patient.email, patient.email_consent = "lea@example.test", True
        first = utcnow() - timedelta(days=5)
        db.session.add(
            Appointment(
                patient_id=patient.id,
                course_id=course_id,
                source="panel",
                external_id="panel-tips",
                starts_at=first,
                local_starts_at=first.replace(tzinfo=None),
                timezone="Europe/Paris",
                area="cuisses",
                status="completed",
                slot_changed_at=first,
                created_at=first - timedelta(days=7),
            )
        )
        db.session.flush()
        plan_patient(db.session, patient, get_settings(), utcnow())
        db.session.commit()
        tips = db.session.execute(select(Reminder.status).where(Reminder.kind == "tip")).scalars().all()
        assert "pending" in tips  # an active course: next week's tip is planned
    token = csrf_token(staff.get("/admin/course/").get_data(as_text=True))
    staff.post("/admin/course/action/", data={"action": "close", "rowid": [str(course_id)], "csrf_token": token})
    with app.app_context():
        tips = db.session.execute(select(Reminder.status).where(Reminder.kind == "tip")).scalars().all()
        assert "pending" not in tips and "cancelled" in tips
