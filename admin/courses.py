"""Courses of treatment: a patient's sessions in one course, its progress and its yearly maintenance."""

from __future__ import annotations

from typing import Any

from service.domain.vocabulary import AppointmentStatus
from service.timeutil import utcnow

from .security import ProtectedModelView


class CourseView(ProtectedModelView):
    column_list = ("patient", "area", "kind", "progress", "started_at", "completed_at", "maintenance_due_on")
    column_filters = ("kind", "area", "maintenance_due_on", "completed_at")
    column_searchable_list = ("area",)
    form_columns = ("patient", "area", "treatment", "kind", "sessions_planned")
    form_choices = {"kind": [("initial", "Initial course"), ("maintenance", "Yearly maintenance")]}

    def _progress(self, context: Any, model: Any, name: str) -> str:
        done = sum(
            1
            for a in model.appointments
            if a.status == AppointmentStatus.COMPLETED or (a.status == AppointmentStatus.BOOKED and a.starts_at <= utcnow())
        )
        return f"{done} of {model.sessions_planned}" if model.sessions_planned else f"{done} done"

    column_formatters = {"progress": _progress, "patient": lambda v, c, m, n: m.patient.full_name}
