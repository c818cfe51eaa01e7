"""The clinic's tables as Flask-Admin views: declarative settings, small named helpers beside them."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select, update
from wtforms import SelectField
from wtforms.validators import ValidationError

from service.contacts import ContactError, mask_phone, normalise_phone
from service.content.templates import DEFAULT_TEMPLATES
from service.domain import lifecycle
from service.domain.sms_encoding import sms_encoding
from service.domain.vocabulary import AppointmentStatus, Channel, ReminderStatus
from service.extensions import db
from service.models import Appointment, Course, Patient, Reminder
from service.planner import plan_patient
from service.privacy import erase_patient, export_patient
from service.rendering import SAMPLE_VARIABLES, TemplateProblem, render_text
from service.runtime import get_settings
from service.timeutil import utcnow

from .security import AdminModelView, ConfirmForm, ProtectedModelView, audit, is_admin
from .validators import LANGUAGES, TIMEZONES, email_address, phone_number, time_zone

TEMPLATE_KINDS = sorted({kind for kind, _, _ in DEFAULT_TEMPLATES})


def settings() -> Any:
    return get_settings()


def local_time(moment: Any, zone_name: str | None) -> str:
    if moment is None:
        return ""
    zone = ZoneInfo(zone_name or settings().clinic_timezone)
    return moment.astimezone(zone).strftime("%a %d %b %Y %H:%M")


def replan(patient_ids: set[int]) -> None:
    now = utcnow()
    for patient_id in patient_ids:
        patient = db.session.get(Patient, patient_id)
        if patient is not None:
            plan_patient(db.session, patient, settings(), now)


class _PatientFilter(BaseSQLAFilter):
    """A yes/no question about a patient, answered by a SQL condition."""

    def __init__(self, name: str, condition: Any) -> None:
        super().__init__(Patient.id, name, options=(("1", "Yes"), ("0", "No")))
        self.condition = condition

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(self.condition() if value == "1" else ~self.condition())

    def operation(self) -> str:
        return "is"


def _active_course() -> Any:
    return Patient.id.in_(select(Course.patient_id).where(Course.completed_at.is_(None)))


def _maintenance_due() -> Any:
    soon = (utcnow() + timedelta(days=30)).date()
    booked = select(Appointment.patient_id).where(
        Appointment.status == AppointmentStatus.BOOKED, Appointment.starts_at > utcnow()
    )
    return Patient.id.in_(select(Course.patient_id).where(Course.maintenance_due_on <= soon)) & Patient.id.notin_(booked)


class PatientView(ProtectedModelView):
    column_list = (
        "last_name",
        "first_name",
        "phone",
        "email",
        "language",
        "sms_consent",
        "email_consent",
        "sms_opted_out_at",
        "timezone",
    )
    column_labels = {"sms_opted_out_at": "SMS opt-out", "sms_consent": "SMS consent", "email_consent": "Email consent"}
    column_searchable_list = ("first_name", "last_name", "phone", "email")
    column_filters = (
        "sms_consent",
        "email_consent",
        _PatientFilter("Opted out of SMS", lambda: Patient.sms_opted_out_at.is_not(None)),
        _PatientFilter("Unsubscribed from email", lambda: Patient.email_unsubscribed_at.is_not(None)),
        _PatientFilter("Active course", _active_course),
        _PatientFilter("Maintenance due within 30 days, nothing booked", _maintenance_due),
        "language",
    )
    column_default_sort = ("last_name", False)
    form_columns = ("first_name", "last_name", "phone", "email", "timezone", "language", "sms_consent", "email_consent")
    form_overrides = {"timezone": SelectField, "language": SelectField}
    form_args = {
        "phone": {"validators": [phone_number], "description": "Mobile, national (06 12 34 56 78) or +country format"},
        "email": {"validators": [email_address]},
        "timezone": {"choices": [("", "The clinic's")] + [(z, z) for z in TIMEZONES], "validators": [time_zone]},
        "language": {"choices": LANGUAGES},
    }
    column_details_list = (
        *column_list,
        "sms_consent_at",
        "sms_consent_source",
        "email_consent_at",
        "email_consent_source",
        "email_unsubscribed_at",
        "created_at",
    )
    can_export = True
    # No delete, single or bulk (can_delete covers both): erasure, for admins, is the one way a patient goes, and it
    # keeps a suppression row so the number and address are never messaged again.
    can_delete = False
    details_template = "admin/patient_details.html"

    def search_placeholder(self) -> str:
        return "Name, phone (any format) or email"

    def _apply_search(self, query: Any, count_query: Any, joins: Any, count_joins: Any, search: str) -> Any:
        # A phone typed as staff would say it (06 12 34 56 78) finds the E.164 stored, by the phone index: a whole
        # number is never part of a name or an address, and a substring scan of 100,000 patients costs 300 ms.
        try:
            number = normalise_phone(search, settings().clinic_region)
        except ContactError:  # not a phone number: search the text as typed
            return super()._apply_search(query, count_query, joins, count_joins, search)
        return query.filter(Patient.phone == number), count_query.filter(Patient.phone == number), joins, count_joins

    def on_model_change(self, form: Any, model: Patient, is_created: bool) -> None:
        now, who = utcnow(), f"admin:{current_user.email}"
        model.timezone = model.timezone or None
        for channel in Channel:
            field = getattr(form, f"{channel}_consent")
            if is_created or bool(field.data) != bool(field.object_data):
                setattr(model, f"{channel}_consent_at", now)
                setattr(model, f"{channel}_consent_source", who)

    def after_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        replan({model.id})
        super().after_model_change(form, model, is_created)

    def get_details_context(self, model: Patient) -> dict[str, Any]:
        from .timeline import patient_timeline

        return {"timeline": patient_timeline(model, settings())}

    def render(self, template: str, **kwargs: Any) -> Any:
        if template == self.details_template and "model" in kwargs:
            kwargs.update(self.get_details_context(kwargs["model"]))
            kwargs.update(privacy_form=ConfirmForm(), can_erase=is_admin())
        return super().render(template, **kwargs)

    # -- privacy: the patient's right of access and to erasure, for administrators ------------------------------

    @expose("/privacy/<int:patient_id>/export")
    def privacy_export(self, patient_id: int) -> Any:
        """All we hold about the patient, as the JSON `patients export` prints."""
        if not is_admin():
            return "Exporting a patient's data is for clinic administrators.", 403
        patient = db.session.get(Patient, patient_id) or abort(404)
        data = export_patient(db.session, patient)
        audit("export", "patient", patient.id, scope="all the patient's data")
        db.session.commit()
        return Response(
            json.dumps(data, ensure_ascii=False, indent=2),
            mimetype="application/json",
            headers={"Content-Disposition": f'attachment; filename="patient-{patient.id}.json"'},
        )

    @expose("/privacy/<int:patient_id>/erase", methods=["POST"])
    def privacy_erase(self, patient_id: int) -> Any:
        if not is_admin():
            return "Erasing a patient is for clinic administrators.", 403
        patient = db.session.get(Patient, patient_id) or abort(404)
        back = redirect(url_for(".details_view", id=patient_id))
        if not ConfirmForm(request.form).validate():
            flash("The page had expired; nothing was erased. Please try again.", "error")
            return back
        if request.form.get("confirm", "").strip().upper() != "ERASE":
            flash("Nothing was erased: type ERASE in the box to confirm.", "error")
            return back
        done = erase_patient(db.session, patient, actor=current_user.email, now=utcnow())
        db.session.commit()
        flash(
            f"Patient erased: {done.cancelled} pending messages cancelled, {done.bodies_removed} messages and "
            f"{done.replies_removed} replies emptied. This number and address will never be messaged again.",
            "success",
        )
        return back


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
        "starts_at": lambda v, c, m, n: local_time(m.starts_at, m.timezone),
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


class ReminderView(ProtectedModelView):
    column_list = ("due_at", "patient", "kind", "channel", "status", "status_reason", "provider_status", "attempts", "segments")
    column_labels = {"due_at": "Due (patient's time)", "status_reason": "Why", "provider_status": "Delivery"}
    column_filters = ("status", "channel", "kind", "due_at", "provider_status")
    column_default_sort = ("due_at", True)
    can_create = can_edit = can_delete = False
    column_details_exclude_list = ("body",)  # the text is on the patient's page for those who need it
    column_formatters = {
        "due_at": lambda v, c, m, n: local_time(m.due_at, m.patient.timezone),
        "patient": lambda v, c, m, n: f"{m.patient.full_name} ({mask_phone(m.patient.phone)})",
    }

    def _set(self, ids: list[str], change: Any, name: str, message: str) -> None:
        rows = db.session.execute(select(Reminder).where(Reminder.id.in_([int(i) for i in ids]))).scalars().all()
        done = 0
        for row in rows:
            try:
                change(row)
            except lifecycle.IllegalTransition:
                continue  # counted below as "not in a state that allows it"
            audit(name, "reminder", row.id)
            done += 1
        db.session.commit()
        flash(
            f"{done} of {len(rows)} reminder(s) {message}."
            + ("" if done == len(rows) else " The others were not in a state that allows it."),
            "success" if done else "warning",
        )

    @action("retry", "Retry", "Try the selected failed or skipped reminders again?")
    def action_retry(self, ids: list[str]) -> None:
        self._set(ids, lambda row: lifecycle.retry_by_staff(row, "staff", utcnow()), "retry", "queued again")

    @action("cancel", "Cancel", "Cancel the selected reminders? They will not be sent.")
    def action_cancel(self, ids: list[str]) -> None:
        def change(row: Reminder) -> None:
            if row.status != ReminderStatus.PENDING:  # one being sent right now is the dispatcher's
                raise lifecycle.IllegalTransition(f"a {row.status} reminder is not the staff's to cancel")
            lifecycle.cancel(row, f"cancelled by {current_user.email}")

        self._set(ids, change, "cancel", "cancelled")

    @action("send_now", "Send now", "Send the selected reminders at the next dispatch (within 30 s)?")
    def action_send_now(self, ids: list[str]) -> None:
        self._set(
            ids,
            lambda row: lifecycle.send_now(row, utcnow()),
            "send-now",
            "moved to the next dispatch (quiet hours and consent still apply)",
        )


# Variables only some kinds have, with sample values: the save check, the preview and the editor's list share them.
EXTRA_SAMPLES: dict[str, Any] = {"aftercare_tips": ["Drink water."], "due_date": "23 March 2027"}


def template_check(form: Any, field: Any) -> None:
    """A template that does not render with a sample patient cannot be saved."""
    try:
        render_text(field.data or "", {**SAMPLE_VARIABLES, **EXTRA_SAMPLES})
    except TemplateProblem as exc:
        names = ", ".join(sorted({*SAMPLE_VARIABLES, *EXTRA_SAMPLES}))
        raise ValidationError(f"{exc}. Variables you can use: {names}") from None


class TemplateView(AdminModelView):
    column_list = ("kind", "channel", "language", "subject", "updated_at")
    column_filters = ("kind", "channel", "language")
    form_columns = ("kind", "channel", "language", "subject", "body")
    form_choices = {
        "kind": [(k, k.replace("_", " ")) for k in TEMPLATE_KINDS],
        "channel": [("sms", "SMS"), ("email", "Email")],
        "language": LANGUAGES,
    }
    form_args = {"body": {"validators": [template_check]}, "subject": {"validators": [template_check]}}
    create_template = edit_template = "admin/template_edit.html"

    @expose("/preview", methods=["POST"])
    def preview(self) -> Any:
        """Live preview while typing: the text a sample patient would get, its SMS encoding and segments."""
        variables = {**SAMPLE_VARIABLES, **EXTRA_SAMPLES, "clinic_name": settings().clinic_name}
        try:
            text = render_text(request.form.get("body", ""), variables)
            subject = render_text(request.form["subject"], variables) if request.form.get("subject") else ""
        except TemplateProblem as exc:
            return jsonify({"error": str(exc)})
        out: dict[str, Any] = {"text": text, "subject": subject, "length": len(text)}
        if request.form.get("channel", Channel.SMS) == Channel.SMS:
            encoding = sms_encoding(text)
            out.update(encoding=encoding.encoding, segments=encoding.segments)
        return jsonify(out)

    def render(self, template: str, **kwargs: Any) -> Any:
        if template == self.edit_template:
            kwargs["sample"] = {**SAMPLE_VARIABLES, **EXTRA_SAMPLES}
        return super().render(template, **kwargs)


class RuleView(AdminModelView):
    column_list = ("kind", "channel", "offset_minutes", "at_local_time", "enabled")
    column_labels = {"offset_minutes": "Minutes before the session", "at_local_time": "At local time (HH:MM)"}
    form_choices = {"channel": [("sms", "SMS"), ("email", "Email")]}

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        if not model.kind.startswith("reminder_"):
            raise ValidationError("A session rule's kind starts with reminder_ (e.g. reminder_evening).")
        if model.at_local_time:
            from datetime import time

            try:
                time.fromisoformat(model.at_local_time)
            except ValueError:
                raise ValidationError("At local time must look like 18:00.") from None
            if model.offset_minutes % 1440:
                raise ValidationError("With a local time, the offset must be whole days (1440 = the day before).")

    def after_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        # Every session ahead is planned again by the next planning run (within 5 minutes).
        db.session.execute(update(Appointment).where(Appointment.starts_at > utcnow()).values(needs_planning=True))
        super().after_model_change(form, model, is_created)


class TipView(AdminModelView):
    column_list = ("position", "category", "language", "text", "active")
    column_filters = ("category", "language", "active")
    column_default_sort = ("position", False)
    form_choices = {
        "category": [(c, c) for c in ("aftercare", "diet", "exercise", "water", "circulation")],
        "language": LANGUAGES,
    }


class ReplyView(ProtectedModelView):
    column_list = ("received_at", "patient", "body", "intent", "next_session", "handled_at", "handled_by")
    column_filters = ("intent", "handled_at", "received_at")
    column_default_sort = ("received_at", True)
    can_create = can_edit = False
    column_formatters = {
        "patient": lambda v, c, m, n: (
            Markup('<a href="{}">{}</a>').format(
                f"/admin/patient/details/?id={m.patient_id}", db.session.get_one(Patient, m.patient_id).full_name
            )
            if m.patient_id
            else mask_phone(m.from_number)
        ),
        "next_session": lambda v, c, m, n: _next_session(m.patient_id),
    }

    @action("handled", "Mark handled")
    def action_handled(self, ids: list[str]) -> None:
        from service.models import InboundMessage

        rows = db.session.execute(select(InboundMessage).where(InboundMessage.id.in_([int(i) for i in ids]))).scalars().all()
        for row in rows:
            row.handled_at, row.handled_by = utcnow(), current_user.email
            audit("handled", "inbound_message", row.id)
        db.session.commit()
        flash(f"{len(rows)} repl{'y' if len(rows) == 1 else 'ies'} marked handled.", "success")


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
    return local_time(appt.starts_at, appt.timezone) if appt else "none booked"


class UserView(AdminModelView):
    column_list = ("email", "role", "active", "last_login_at", "created_at")
    column_exclude_list = ("password_hash",)
    column_details_list = ("email", "role", "active", "totp_enabled_at", "last_login_at", "created_at")  # no hash, no secret
    column_labels = {"totp_enabled_at": "Two-factor since"}
    form_columns = ("email", "role", "active")  # deactivating ends the user's sessions (service/models.py)
    form_choices = {"role": [("staff", "Staff"), ("admin", "Admin")]}
    can_create = False  # `flask --app wsgi users create` sets the password; nobody types one into a web form


class AuditView(AdminModelView):
    column_list = ("at", "actor", "action", "entity", "entity_id", "details")
    column_filters = ("actor", "action", "entity", "at")
    column_default_sort = ("at", True)
    can_create = can_edit = can_delete = False


class WebhookEventView(AdminModelView):
    column_list = ("received_at", "source", "event_type", "outcome", "error")
    column_filters = ("source", "outcome", "received_at")
    column_default_sort = ("received_at", True)
    can_create = can_edit = can_delete = False
    column_formatters = {"error": lambda v, c, m, n: escape((m.error or "")[:200])}


__all__ = [
    "AppointmentView",
    "AuditView",
    "CourseView",
    "PatientView",
    "ReminderView",
    "ReplyView",
    "RuleView",
    "TemplateView",
    "TipView",
    "UserView",
    "WebhookEventView",
]
