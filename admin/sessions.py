"""Sessions: the day's appointments, from booking systems or the front desk, and what staff do with them.

Cancel, Mark attended and Mark no-show go through the webhooks' own path (`service.panel_bookings`), whatever the
session's source, so the patient gets the same messages as when their booking system says it. Only the front desk's
own sessions can be moved here (admin/booking.py): a booking system's next webhook would undo a move of one of its.
"""

from __future__ import annotations

from typing import Any

from flask import flash
from flask_admin.actions import action
from sqlalchemy import select

from service.domain.vocabulary import AppointmentStatus
from service.extensions import db
from service.i18n import _, _l, when
from service.models import Appointment
from service.timeutil import utcnow

from .booking import mark_sessions
from .security import ConfirmForm, ProtectedModelView
from .wording import session_status, source


def _session_status_action(status: str) -> Any:
    def run(self: Any, ids: list[str]) -> None:
        rows = list(db.session.execute(select(Appointment).where(Appointment.id.in_([int(i) for i in ids]))).scalars().all())
        if status == AppointmentStatus.CANCELLED:
            rows = [a for a in rows if a.status != AppointmentStatus.CANCELLED]
        mark_sessions(rows, status)
        flash(_("%(count)d session(s) changed; their reminders were re-planned.", count=len(rows)), "success")

    return run


class AppointmentView(ProtectedModelView):
    column_list = ("starts_at", "patient", "course", "area", "status", "confirmed_at", "source")
    column_labels = {
        "starts_at": _l("Session (patient's time)"),
        "patient": _l("Patient"),
        "course": _l("Course"),
        "area": _l("Area"),
        "status": _l("Status"),
        "confirmed_at": _l("Confirmed by the patient"),
        "source": _l("Booked in"),
        "duration_minutes": _l("Duration (minutes)"),
    }
    column_filters = ("status", "starts_at", "area", "source", "confirmed_at")
    column_default_sort = ("starts_at", False)
    column_details_list = ("starts_at", "patient", "course", "area", "duration_minutes", "status", "confirmed_at", "source")
    # New sessions come from Sessions → New session, changes from Move / Cancel / Mark: all through the webhooks' path.
    # A deleted session would vanish without the cancellation notice its patient is owed: Cancel instead.
    can_create = can_edit = can_delete = False
    list_template = "admin/booking/session_list.html"
    details_template = "admin/booking/session_details.html"
    column_formatters = {
        "starts_at": lambda v, c, m, n: when(m.starts_at, m.timezone),
        "patient": lambda v, c, m, n: m.patient.full_name,
        "course": lambda v, c, m, n: (m.course.area or _("course")) if m.course else "",
        "status": lambda v, c, m, n: session_status(m.status, m.starts_at, m.duration_minutes, utcnow()),
        "source": lambda v, c, m, n: source(m.source),
    }

    action_cancel = action("cancel", _l("Cancel"), _l("Cancel the selected sessions? Their reminders stop."))(
        _session_status_action(AppointmentStatus.CANCELLED)
    )
    action_attended = action("attended", _l("Mark attended"))(_session_status_action(AppointmentStatus.COMPLETED))
    action_no_show = action("no_show", _l("Mark no-show"))(_session_status_action(AppointmentStatus.NO_SHOW))

    def render(self, template: str, **kwargs: Any) -> Any:
        kwargs.setdefault("confirm_form", ConfirmForm())
        if "model" in kwargs and isinstance(kwargs["model"], Appointment):
            kwargs["source_words"] = source(kwargs["model"].source)
        return super().render(template, **kwargs)
