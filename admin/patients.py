"""Patients: the list staff search by name or phone (any format), their form, page and privacy actions."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask import Response, abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectField

from service.contacts import ContactError, normalise_phone
from service.domain.vocabulary import AppointmentStatus, Channel
from service.extensions import db
from service.i18n import _, _l, phone_display
from service.models import Appointment, Course, Patient
from service.planner import plan_patient
from service.privacy import erase_patient, export_patient
from service.runtime import get_settings
from service.timeutil import utcnow

from .security import ConfirmForm, ProtectedModelView, audit, is_admin
from .validators import LANGUAGES, TIMEZONES, email_address, phone_number, time_zone
from .wording import CHANNEL, consent_source
from .wording import channel as channel_word


def replan(patient_ids: set[int]) -> None:
    now = utcnow()
    for patient_id in patient_ids:
        patient = db.session.get(Patient, patient_id)
        if patient is not None:
            plan_patient(db.session, patient, get_settings(), now)


class _PatientFilter(BaseSQLAFilter):
    """A yes/no question about a patient, answered by a SQL condition."""

    def __init__(self, name: Any, condition: Any) -> None:
        super().__init__(Patient.id, name, options=(("1", _l("Yes")), ("0", _l("No"))))
        self.condition = condition

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(self.condition() if value == "1" else ~self.condition())

    def operation(self) -> Any:
        return _l("is")


def _active_course() -> Any:
    return Patient.id.in_(select(Course.patient_id).where(Course.completed_at.is_(None)))


def _maintenance_due() -> Any:
    soon = (utcnow() + timedelta(days=30)).date()
    booked = select(Appointment.patient_id).where(
        Appointment.status == AppointmentStatus.BOOKED, Appointment.starts_at > utcnow()
    )
    return Patient.id.in_(select(Course.patient_id).where(Course.maintenance_due_on <= soon)) & Patient.id.notin_(booked)


def _language(view: Any, context: Any, model: Patient, name: str) -> str:
    return dict(LANGUAGES).get(model.language, model.language)


def _zone(view: Any, context: Any, model: Patient, name: str) -> str:
    return model.timezone or _("The clinic's (%(zone)s)", zone=get_settings().clinic_timezone)


class PatientView(ProtectedModelView):
    column_list = (
        "last_name",
        "first_name",
        "phone",
        "email",
        "language",
        "sms_consent",
        "email_consent",
        "whatsapp_consent",
        "sms_opted_out_at",
    )
    column_labels = {
        "last_name": _l("Last name"),
        "first_name": _l("First name"),
        "phone": _l("Mobile"),
        "email": _l("Email"),
        "language": _l("Language"),
        "timezone": _l("Time zone"),
        "sms_consent": _l("SMS consent"),
        "email_consent": _l("Email consent"),
        "sms_opted_out_at": _l("Opted out of SMS"),
        "sms_consent_at": _l("SMS consent recorded"),
        "sms_consent_source": _l("SMS consent given through"),
        "email_consent_at": _l("Email consent recorded"),
        "email_consent_source": _l("Email consent given through"),
        "email_unsubscribed_at": _l("Unsubscribed from email"),
        "whatsapp_consent": _l("WhatsApp consent"),
        "whatsapp_consent_at": _l("WhatsApp consent recorded"),
        "whatsapp_consent_source": _l("WhatsApp consent given through"),
        "whatsapp_opted_out_at": _l("Opted out of WhatsApp"),
        "preferred_channel": _l("Preferred channel"),
        "created_at": _l("Added"),
    }
    column_searchable_list = ("first_name", "last_name", "phone", "email")
    column_filters = (
        "sms_consent",
        "email_consent",
        _PatientFilter(_l("Opted out of SMS"), lambda: Patient.sms_opted_out_at.is_not(None)),
        _PatientFilter(_l("Unsubscribed from email"), lambda: Patient.email_unsubscribed_at.is_not(None)),
        _PatientFilter(_l("Active course"), _active_course),
        _PatientFilter(_l("Maintenance due within 30 days, nothing booked"), _maintenance_due),
        "language",
    )
    column_default_sort = ("last_name", False)
    column_formatters = {
        "phone": lambda v, c, m, n: phone_display(m.phone),
        "language": _language,
        "timezone": _zone,
        "sms_consent_source": lambda v, c, m, n: consent_source(m.sms_consent_source),
        "email_consent_source": lambda v, c, m, n: consent_source(m.email_consent_source),
        "whatsapp_consent_source": lambda v, c, m, n: consent_source(m.whatsapp_consent_source),
        "preferred_channel": lambda v, c, m, n: channel_word(m.preferred_channel) if m.preferred_channel else "",
    }
    column_formatters_export = {
        "phone": lambda v, c, m, n: m.phone or "",  # a spreadsheet keeps the number it can dial from anywhere
        "language": _language,
    }
    form_columns = (
        "first_name",
        "last_name",
        "phone",
        "email",
        "timezone",
        "language",
        "sms_consent",
        "email_consent",
        "whatsapp_consent",
        "preferred_channel",
    )
    form_overrides = {"timezone": SelectField, "language": SelectField, "preferred_channel": SelectField}
    form_args = {
        "phone": {
            "validators": [phone_number],
            "description": _l("Mobile, as the patient dials it (06 12 34 56 78) or with its country code"),
        },
        "email": {"validators": [email_address]},
        "timezone": {
            "choices": [("", _l("The clinic's"))] + [(z, z) for z in TIMEZONES],
            "validators": [time_zone],
            "description": _l("Only for a patient who lives in another time zone"),
        },
        "language": {"choices": LANGUAGES, "description": _l("The language of the patient's messages")},
        "preferred_channel": {
            "choices": [("", _l("The clinic's order"))] + [(str(c), CHANNEL[c]) for c in Channel],
            "description": _l("Where the patient prefers to read their messages, when they can be reached there"),
        },
    }
    column_details_list = (
        *column_list,
        "timezone",
        "sms_consent_at",
        "sms_consent_source",
        "email_consent_at",
        "email_consent_source",
        "email_unsubscribed_at",
        "whatsapp_consent_at",
        "whatsapp_consent_source",
        "whatsapp_opted_out_at",
        "preferred_channel",
        "created_at",
    )
    can_export = True
    # No delete, single or bulk (can_delete covers both): erasure, for admins, is the one way a patient goes, and it
    # keeps a suppression row so the number and address are never messaged again.
    can_delete = False
    details_template = "admin/patient_details.html"

    def search_placeholder(self) -> str:
        return str(_("Name, phone (any format) or email"))

    def _apply_search(self, query: Any, count_query: Any, joins: Any, count_joins: Any, search: str) -> Any:
        # A phone typed as staff would say it (06 12 34 56 78) finds the E.164 stored, by the phone index: a whole
        # number is never part of a name or an address, and a substring scan of 100,000 patients costs 300 ms.
        try:
            number = normalise_phone(search, get_settings().clinic_region)
        except ContactError:  # not a phone number: search the text as typed
            return super()._apply_search(query, count_query, joins, count_joins, search)
        return query.filter(Patient.phone == number), count_query.filter(Patient.phone == number), joins, count_joins

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        if request.method == "GET":  # a new patient speaks the clinic's language until staff say otherwise
            form.language.data = get_settings().clinic_language
        return form

    def on_model_change(self, form: Any, model: Patient, is_created: bool) -> None:
        now, who = utcnow(), f"admin:{current_user.email}"
        model.timezone = model.timezone or None
        model.preferred_channel = model.preferred_channel or None
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

        return {"timeline": patient_timeline(model, get_settings())}

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
            return _("Exporting a patient's data is for clinic administrators."), 403
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
            return _("Erasing a patient is for clinic administrators."), 403
        patient = db.session.get(Patient, patient_id) or abort(404)
        back = redirect(url_for(".details_view", id=patient_id))
        if not ConfirmForm(request.form).validate():
            flash(_("The page had expired; nothing was erased. Please try again."), "error")
            return back
        if request.form.get("confirm", "").strip().upper() != "ERASE":
            flash(_("Nothing was erased: type ERASE in the box to confirm."), "error")
            return back
        done = erase_patient(db.session, patient, actor=current_user.email, now=utcnow())
        db.session.commit()
        flash(
            _(
                "Patient erased: %(cancelled)d pending messages cancelled, %(bodies)d messages and %(replies)d replies "
                "emptied. This number and address will never be messaged again.",
                cancelled=done.cancelled,
                bodies=done.bodies_removed,
                replies=done.replies_removed,
            ),
            "success",
        )
        return back
