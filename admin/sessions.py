"""Sessions: the day's appointments, from booking systems or the front desk, and what staff mark on them."""

from __future__ import annotations

from typing import Any

from flask import flash
from flask_admin.actions import action
from sqlalchemy import select

from service.domain.vocabulary import AppointmentStatus
from service.extensions import db
from service.i18n import when
from service.models import Appointment
from service.timeutil import utcnow

from .patients import replan
from .security import ProtectedModelView, audit


def _session_status_action(status: str, label: str) -> Any:
    def run(self: Any, ids: list[str]) -> None:
        rows = db.session.execute(select(Appointment).where(Appointment.id.in_([int(i) for i in ids]))).scalars().all()
        now = utcnow()
        for appt in rows:
            if (appt.status == AppointmentStatus.BOOKED) != (status == AppointmentStatus.BOOKED):
                appt.slot_changed_at = now
            appt.status = status
            appt.last_event_at = max(appt.last_event_at or now, now)
            audit(status, "appointment", appt.id)
        db.session.flush()
        replan({a.patient_id for a in rows})
        db.session.commit()
        flash(f"{len(rows)} session(s) {label}; their reminders were re-planned.", "success")

    return run


class AppointmentView(ProtectedModelView):
    column_list = ("starts_at", "patient", "course", "area", "status", "confirmed_at", "source")
    column_labels = {"starts_at": "Session (local time)", "confirmed_at": "Confirmed by the patient"}
    column_filters = ("status", "starts_at", "area", "source", "confirmed_at")
    column_default_sort = ("starts_at", False)
    can_create = False  # sessions come from the booking system
    form_columns = ("status", "area", "duration_minutes")
    form_choices = {
        "status": [("booked", "Booked"), ("completed", "Attended"), ("no_show", "No-show"), ("cancelled", "Cancelled")]
    }
    column_formatters = {
        "starts_at": lambda v, c, m, n: when(m.starts_at, m.timezone),
        "patient": lambda v, c, m, n: m.patient.full_name,
        "course": lambda v, c, m, n: f"{m.course.area or 'course'} #{m.course.id}" if m.course else "",
    }

    action_cancel = action("cancel", "Cancel", "Cancel the selected sessions? Their reminders stop.")(
        _session_status_action(AppointmentStatus.CANCELLED, "cancelled")
    )
    action_attended = action("attended", "Mark attended")(_session_status_action(AppointmentStatus.COMPLETED, "marked attended"))
    action_no_show = action("no_show", "Mark no-show")(_session_status_action(AppointmentStatus.NO_SHOW, "marked no-show"))

    def on_model_change(self, form: Any, model: Appointment, is_created: bool) -> None:
        if form.status.data != form.status.object_data:
            model.slot_changed_at = utcnow()

    def after_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        replan({model.patient_id})
        super().after_model_change(form, model, is_created)
