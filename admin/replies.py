"""Patients' SMS replies, with their next session, for the front desk to answer."""

from __future__ import annotations

from flask import flash
from flask_admin.actions import action
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from service import todo
from service.domain.vocabulary import AppointmentStatus
from service.extensions import db
from service.i18n import _, _l, ngettext, phone_display, when
from service.models import Appointment, Patient
from service.timeutil import utcnow

from . import wording
from .security import ProtectedModelView, audit


class ReplyView(ProtectedModelView):
    column_list = ("received_at", "patient", "body", "intent", "next_session", "handled_at", "handled_by")
    column_labels = {
        "received_at": _l("Received"),
        "patient": _l("Patient"),
        "body": _l("Message"),
        "intent": _l("Understood as"),
        "next_session": _l("Next session"),
        "handled_at": _l("Handled"),
        "handled_by": _l("Handled by"),
        "from_number": _l("From"),
    }
    column_details_list = ("received_at", "patient", "from_number", "body", "intent", "next_session", "handled_at", "handled_by")
    column_filters = ("intent", "handled_at", "received_at")
    column_choices = {"intent": [(k.value, v) for k, v in wording.INTENT.items()]}
    column_default_sort = ("received_at", True)
    can_create = can_edit = False
    column_formatters = {
        "patient": lambda v, c, m, n: (
            Markup('<a href="{}">{}</a>').format(
                f"/admin/patient/details/?id={m.patient_id}", db.session.get_one(Patient, m.patient_id).full_name
            )
            if m.patient_id
            else phone_display(m.from_number)
        ),
        "from_number": lambda v, c, m, n: phone_display(m.from_number),
        "intent": lambda v, c, m, n: wording.intent(m.intent),
        "next_session": lambda v, c, m, n: _next_session(m.patient_id),
    }

    @action("handled", _l("Mark handled"))
    def action_handled(self, ids: list[str]) -> None:
        """Through the one function that also ends the reply's to-do item (service.todo.reply_handled)."""
        from service.models import InboundMessage

        found = db.session.execute(select(InboundMessage.id).where(InboundMessage.id.in_([int(i) for i in ids]))).scalars()
        rows = list(found)
        for row_id in rows:
            todo.reply_handled(db.session, row_id, current_user.email, utcnow())
            audit("handled", "inbound_message", row_id)
        db.session.commit()
        flash(ngettext("%(num)d reply marked handled.", "%(num)d replies marked handled.", len(rows)), "success")


def _next_session(patient_id: int | None) -> str:
    if patient_id is None:
        return ""
    appt = db.session.execute(
        select(Appointment)
        .where(
            Appointment.patient_id == patient_id, Appointment.status == AppointmentStatus.BOOKED, Appointment.starts_at > utcnow()
        )
        .order_by(Appointment.starts_at)
        .limit(1)
    ).scalar_one_or_none()
    return when(appt.starts_at, appt.timezone) if appt else _("none booked")
