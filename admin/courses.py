"""Courses of treatment: a patient's sessions in one course, its progress and its yearly maintenance.

Times are the patient's own, as on the sessions and in the messages; the patient is chosen by name or phone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import flash, url_for
from flask_admin.actions import action
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from markupsafe import Markup
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from service.contacts import ContactError, normalise_phone
from service.domain.courses import CourseSession, attended
from service.extensions import db
from service.i18n import _, _l, day, ngettext, phone_display, when
from service.models import Course, Patient
from service.plans import planned_sessions
from service.runtime import get_settings
from service.timeutil import utcnow

from .patients import replan
from .security import ProtectedModelView, audit
from .wording import session_status

COURSE_KIND = {"initial": _l("Initial course"), "maintenance": _l("Yearly maintenance")}


def patient_label(patient: Patient) -> str:
    """A name, and the phone that tells two Camille Martin apart."""
    return f"{patient.full_name} · {phone_display(patient.phone)}" if patient.phone else patient.full_name


SEARCHED = (Patient.first_name, Patient.last_name, Patient.phone)


class PatientLookup(QueryAjaxModelLoader):
    """The course form's patient field: found by name or by a phone typed any way, shown by name, never by id."""

    def format(self, model: Any) -> tuple[Any, str] | None:
        return (model.id, patient_label(model)) if model is not None else None

    def get_list(self, term: str, offset: int = 0, limit: int = 10) -> Any:
        query = db.session.query(Patient)
        term = (term or "").strip()
        try:  # a whole number, as staff would say it (06 12 34 56 78): the phone index
            query = query.filter(Patient.phone == normalise_phone(term, get_settings().clinic_region))
        except ContactError:  # words: each one somewhere in the first name, last name or phone
            for word in term.split():
                query = query.filter(
                    or_(
                        *(
                            column.icontains(word, autoescape=True)
                            for column in (Patient.first_name, Patient.last_name, Patient.phone)
                        )
                    )
                )
        return query.order_by(Patient.last_name, Patient.first_name, Patient.id).offset(offset or 0).limit(limit).all()


def attended_count(course: Course, now: datetime) -> int:
    """Sessions counted as done, as the course and aftercare count them: attended, or booked and over unmarked."""
    return sum(1 for a in course.appointments if attended(_session(a), now))


def _session(appointment: Any) -> CourseSession:
    ends_at = appointment.starts_at + timedelta(minutes=appointment.duration_minutes or 0)
    return CourseSession(appointment.id, appointment.starts_at, ends_at, appointment.status)


def progress_words(course: Course, now: datetime) -> str:
    """ "3 of 6": the total is the course's own size, else its area's treatment plan."""
    done = attended_count(course, now)
    planned = planned_sessions(db.session, course)
    if planned:
        return _("%(done)d of %(planned)d", done=done, planned=planned)
    return ngettext("%(num)d session attended", "%(num)d sessions attended", done)


def course_sessions(course: Course, now: datetime) -> list[dict[str, Any]]:
    """The course's sessions in order, each at the patient's local time and with its status in words."""
    zone = course.patient.timezone
    return [
        {
            "when": when(a.starts_at, zone),
            "status": session_status(a.status, a.starts_at, a.duration_minutes, now),
            "status_key": a.status,
            "area": a.area,
            "confirmed": when(a.confirmed_at, zone) if a.confirmed_at else "",
            "url": url_for("appointment.details_view", id=a.id),
        }
        for a in sorted(course.appointments, key=lambda a: (a.starts_at, a.id))
    ]


def _patient_link(view: Any, context: Any, model: Course, name: str) -> Markup:
    href = url_for("patient.details_view", id=model.patient_id)
    return Markup('<a href="{}">{}</a>').format(href, model.patient.full_name)


class CourseView(ProtectedModelView):
    column_list = ("patient", "area", "kind", "progress", "started_at", "completed_at", "maintenance_due_on")
    column_details_list = ("patient", "area", "treatment", "kind", "progress", "started_at", "completed_at", "maintenance_due_on")
    column_labels = {
        "patient": _l("Patient"),
        "area": _l("Area"),
        "treatment": _l("Treatment"),
        "kind": _l("Kind"),
        "progress": _l("Sessions attended"),
        "started_at": _l("Started (patient's time)"),
        "completed_at": _l("Completed (patient's time)"),
        "maintenance_due_on": _l("Maintenance due"),
        "sessions_planned": _l("Sessions planned"),
        "patient.first_name": _l("Patient's first name"),
        "patient.last_name": _l("Patient's last name"),
    }
    column_filters = ("kind", "area", "maintenance_due_on", "completed_at")
    column_choices = {"kind": list(COURSE_KIND.items())}
    column_searchable_list = ("area", "patient.first_name", "patient.last_name")
    form_columns = ("patient", "area", "treatment", "kind", "sessions_planned")
    form_choices = {"kind": list(COURSE_KIND.items())}
    form_args = {
        "patient": {"label": _l("Patient")},
        "area": {"label": _l("Area")},
        "treatment": {"label": _l("Treatment")},
        "kind": {"label": _l("Kind")},
        "sessions_planned": {"label": _l("Sessions planned")},
    }
    form_ajax_refs = {
        "patient": PatientLookup(
            "patient", db, Patient, fields=("first_name", "last_name", "phone"), placeholder=_l("Name or phone")
        )
    }
    details_template = "admin/course_details.html"
    column_formatters = {
        "patient": _patient_link,
        "kind": lambda v, c, m, n: str(COURSE_KIND.get(m.kind, m.kind)),
        "progress": lambda v, c, m, n: progress_words(m, utcnow()),
        "started_at": lambda v, c, m, n: when(m.started_at, m.patient.timezone),
        "completed_at": lambda v, c, m, n: when(m.completed_at, m.patient.timezone),
        "maintenance_due_on": lambda v, c, m, n: day(m.maintenance_due_on),
    }

    @action("close", _l("Close the course"), _l("Close the selected courses? Their nudges to book stop."))
    def action_close(self, ids: list[str]) -> None:
        """Staff close a course (interrupted, or finished early): its nudges stop and the front desk is not asked to call."""
        now = utcnow()
        courses = db.session.execute(select(Course).where(Course.id.in_([int(i) for i in ids]))).scalars().all()
        for course in courses:
            if course.completed_at is None:
                course.completed_at = now
                audit("close", "course", course.id)
        db.session.flush()
        replan({c.patient_id for c in courses})
        db.session.commit()
        flash(ngettext("%(num)d course closed.", "%(num)d courses closed.", len(courses)), "success")

    def after_model_change(self, form: Any, model: Course, is_created: bool) -> None:
        replan({model.patient_id})  # a new size or area changes the course's progress and its nudges
        super().after_model_change(form, model, is_created)

    def get_query(self) -> Any:
        # One statement for the patients and one for the sessions of the page, not two per course listed.
        return super().get_query().options(joinedload(Course.patient), selectinload(Course.appointments))

    def render(self, template: str, **kwargs: Any) -> Any:
        if template == self.details_template and "model" in kwargs:
            kwargs["sessions"] = course_sessions(kwargs["model"], utcnow())
        return super().render(template, **kwargs)
