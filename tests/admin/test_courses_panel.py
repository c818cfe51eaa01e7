"""Courses in the panel: the patient chosen by name or phone, a course's sessions with their statuses in words and its
progress, and every time in the patient's own zone."""

from __future__ import annotations

import html
from datetime import timedelta
from zoneinfo import ZoneInfo

from service.extensions import db
from service.models import Appointment, Course, Patient
from service.timeutil import utcnow
from tests.admin.conftest import csrf_token
from tests.helpers import local_day

LONDON = ZoneInfo("Europe/London")


def add_patient(app, first: str, last: str, phone: str, zone: str | None = None) -> int:
    with app.app_context():
        patient = Patient(first_name=first, last_name=last, phone=phone, timezone=zone, language="en", created_at=utcnow())
        db.session.add(patient)
        db.session.commit()
        return patient.id


def london_course(app) -> int:
    """Sam Taylor, in London, six sessions planned at 10:00 London time: two attended (one marked, one unmarked but
    over), a no-show, and one ahead."""
    patient_id = add_patient(app, "Sam", "Taylor", "+447911123456", "Europe/London")
    sessions = [(-21, "completed"), (-14, "booked"), (-7, "no_show"), (7, "booked")]
    with app.app_context():
        course = Course(
            patient_id=patient_id,
            area="thighs",
            kind="initial",
            sessions_planned=6,
            started_at=local_day(LONDON, sessions[0][0], 10, 0),
        )
        db.session.add(course)
        db.session.flush()
        for n, (days, status) in enumerate(sessions):
            starts = local_day(LONDON, days, 10, 0)
            db.session.add(
                Appointment(
                    patient_id=patient_id,
                    course_id=course.id,
                    source="panel",
                    external_id=f"s{n}",
                    starts_at=starts,
                    local_starts_at=starts.astimezone(LONDON).replace(tzinfo=None),
                    timezone="Europe/London",
                    duration_minutes=30,
                    area="thighs",
                    status=status,
                    slot_changed_at=utcnow() - timedelta(days=30),
                )
            )
        db.session.commit()
        return course.id


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


def test_the_course_forms_patient_is_found_by_name_or_phone_and_shown_by_name(app, staff):
    camille = add_patient(app, "Camille", "Martin", "+33612345678")
    add_patient(app, "Sam", "Taylor", "+447911123456", "Europe/London")
    for typed in ("martin", "Camille Mar", "06 12 34 56 78", "+33 6 12 34 56 78"):
        found = staff.get("/admin/course/ajax/lookup/", query_string={"name": "patient", "query": typed}).get_json()
        assert found == [[camille, "Camille Martin · 06 12 34 56 78"]], typed
    form = text(staff.get("/admin/course/new/"))
    assert 'data-role="select2-ajax"' in form and "/admin/course/ajax/lookup/" in form

    token = csrf_token(form)
    saved = staff.post(
        "/admin/course/new/",
        data={"patient": str(camille), "area": "thighs", "treatment": "mesotherapy", "kind": "initial", "csrf_token": token},
    )
    assert saved.status_code == 302
    listing = text(staff.get("/admin/course/"))
    assert "Camille Martin" in listing and "Initial course" in listing and "<Patient" not in listing


def test_a_course_page_lists_its_sessions_with_statuses_in_words_and_its_progress(app, staff):
    course_id = london_course(app)
    page = text(staff.get(f"/admin/course/details/?id={course_id}"))
    assert "Sam Taylor" in page and "Initial course" in page
    assert "2 of 6" in page  # the marked session and the unmarked one that is over; not the no-show
    assert page.count("Passed, not marked (counted as attended)") == 1
    for words in ("Attended", "No-show", "Booked"):
        assert f"<td>{words}</td>" in page, words
    assert "2 of 6" in text(staff.get("/admin/course/"))


def test_a_london_patients_course_and_sessions_show_the_same_local_time_not_the_clinics(app, staff):
    course_id = london_course(app)
    page = text(staff.get(f"/admin/course/details/?id={course_id}"))
    assert page.count("10:00 AM") == 5  # the course's start and its four sessions, at 10:00 in London
    assert "11:00 AM" not in page  # the clinic's time in Paris
    listing = text(staff.get("/admin/course/"))
    assert "10:00 AM" in listing and "11:00 AM" not in listing
