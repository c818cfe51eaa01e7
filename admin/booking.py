"""Booking from the panel: find the patient (or add them), then the day, time, length, area and course; move and
cancel. The work is `service.panel_bookings`, the webhooks' own path; these pages only ask and answer in words."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import and_, or_, select
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, TimeField
from wtforms.validators import InputRequired, Length, ValidationError

from service.contacts import ContactError, mask_phone, normalise_email, normalise_phone
from service.domain.vocabulary import AppointmentStatus
from service.extensions import db
from service.i18n import _, _l, day, when
from service.models import Appointment, Course, Patient
from service.panel_bookings import (
    MAX_MINUTES,
    MIN_MINUTES,
    BookingError,
    NewPatient,
    Slot,
    book,
    check_duration,
    local_start,
    mark,
    movable,
    move,
    patient_zone,
    usable_key,
)
from service.runtime import get_settings
from service.timeutil import utcnow

from .redirects import safe_next
from .security import ConfirmForm, ProtectedView, audit
from .validators import LANGUAGES

SEARCH_LIMIT = 20
EXPIRED = _l("The page had expired or was not sent from the panel; nothing was changed. Please try again.")


def _phone(form: Any, field: Any) -> None:
    try:
        field.data = normalise_phone(str(field.data or ""), get_settings().clinic_region)
    except ContactError:
        raise ValidationError(
            _(
                "%(phone)s is not a phone number we can text. Type it as the patient would dial it, or with +country code.",
                phone=str(field.data or "").strip()[:40],
            )
        ) from None


def _email(form: Any, field: Any) -> None:
    if not (field.data or "").strip():
        field.data = None
        return
    try:
        field.data = normalise_email(field.data)
    except ContactError:
        raise ValidationError(_("%(email)s is not an email address.", email=field.data.strip()[:80])) from None


class SessionForm(FlaskForm):
    """When, how long, where: typed in the patient's own time zone."""

    key = HiddenField()
    date = DateField(_l("Date"), validators=[InputRequired(_l("Choose the day of the session."))])
    time = TimeField(_l("Time"), validators=[InputRequired(_l("Choose the time of the session."))])
    duration_minutes = IntegerField(
        _l("Duration (minutes)"),
        default=10,
        validators=[InputRequired(_l("Say how many minutes the session lasts."))],
        render_kw={"min": MIN_MINUTES, "max": MAX_MINUTES, "type": "number"},
    )
    area = StringField(
        _l("Area"),
        validators=[InputRequired(_l("Name the area treated, e.g. thighs.")), Length(max=100)],
        render_kw={"maxlength": 100},
    )
    course = SelectField(_l("Course"), choices=[], validate_choice=False)


class NewPatientForm(SessionForm):
    first_name = StringField(_l("First name"), validators=[InputRequired(_l("The first name is needed.")), Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[InputRequired(_l("The last name is needed.")), Length(max=100)])
    phone = StringField(
        _l("Mobile phone"), validators=[InputRequired(_l("A mobile number is needed to text the patient.")), _phone]
    )
    email = StringField(_l("Email (optional)"), validators=[_email])
    language = SelectField(_l("Language of the messages"), choices=LANGUAGES)
    sms_consent = BooleanField(_l("The patient agrees to SMS reminders"), default=True)
    email_consent = BooleanField(_l("The patient agrees to email reminders"), default=False)


def find_patients(text: str) -> list[Patient]:
    """By phone typed any way (the phone index), else every word in a first or last name or the email."""
    try:
        number = normalise_phone(text, get_settings().clinic_region)
    except ContactError:
        number = None
    if number:
        condition: Any = Patient.phone == number
    else:
        words = [w for w in text.split() if w][:5]
        condition = and_(
            *(
                or_(Patient.first_name.ilike(f"%{w}%"), Patient.last_name.ilike(f"%{w}%"), Patient.email.ilike(f"%{w}%"))
                for w in words
            )
        )
    query = select(Patient).where(condition).order_by(Patient.last_name, Patient.first_name, Patient.id)
    return list(db.session.execute(query.limit(SEARCH_LIMIT)).scalars())


def _course_choices(patient: Patient | None) -> list[tuple[str, str]]:
    choices = [("", _("Automatic: the patient's open course for this area, or a new one"))]
    if patient is None:
        return choices
    courses = db.session.execute(select(Course).where(Course.patient_id == patient.id).order_by(Course.id)).scalars()
    for c in courses:
        started = day(c.started_at, patient.timezone) if c.started_at else ""
        label = _("%(area)s, started %(day)s", area=c.area or _("no area"), day=started) if started else c.area
        choices.append((str(c.id), label or _("Course")))
    return choices


def _slot(form: SessionForm, zone: str) -> Slot | None:
    """The session the form asks for, or None with the problem on its field."""
    if form.date.data is None or form.time.data is None:
        return None  # InputRequired already said so
    try:
        starts_at = local_start(form.date.data, form.time.data, zone, utcnow())
    except BookingError as exc:
        form.time.errors = [*form.time.errors, str(exc)]
        return None
    try:
        minutes = check_duration(form.duration_minutes.data)
    except BookingError as exc:
        form.duration_minutes.errors = [*form.duration_minutes.errors, str(exc)]
        return None
    course = form.course.data or None
    if course is not None and not course.isdigit():
        form.course.errors = [*form.course.errors, _("Choose a course from the list.")]
        return None
    return Slot(starts_at, zone, minutes, (form.area.data or "").strip(), int(course) if course else None)


def _back(appointment_id: int) -> Any:
    return redirect(safe_next(request.form.get("next")) or url_for("appointment.details_view", id=appointment_id))


class BookingView(ProtectedView):
    """Sessions → New session, and the Move / Cancel / Mark buttons of a session."""

    @expose("/")
    def index(self) -> Any:
        text = (request.args.get("q") or "").strip()[:100]
        found = find_patients(text) if text else []
        return self.render("admin/booking/search.html", q=text, found=found)

    @expose("/new", methods=["GET", "POST"])
    def new(self) -> Any:
        patient_id = request.values.get("patient", type=int)
        patient = db.session.get(Patient, patient_id) if patient_id else None
        if patient_id and patient is None:
            flash(_("That patient is not known here. Search again, or add them as a new patient."), "error")
            return redirect(url_for(".index"))
        form: SessionForm = SessionForm() if patient else NewPatientForm()
        form.course.choices = _course_choices(patient)
        settings = get_settings()
        if request.method == "GET":
            form.key.data = usable_key(None)
            if isinstance(form, NewPatientForm):
                form.language.data = settings.clinic_language
        zone = patient_zone(patient, settings)
        if request.method == "POST":
            if not form.validate_on_submit():
                if form.csrf_token.errors:
                    flash(str(EXPIRED), "error")
                return self._form(form, patient, zone, 400)
            slot = _slot(form, zone)
            if slot is None:
                return self._form(form, patient, zone, 400)
            key = usable_key(form.key.data)
            who: Patient | NewPatient = patient or _newcomer(form)
            try:
                outcome = book(db.session, who, slot, key, settings, utcnow())
            except BookingError as exc:
                db.session.rollback()
                flash(str(exc), "error")
                return self._form(form, patient, zone, 400)
            if not outcome.duplicate:
                self._audit_booking(outcome.appointment_id, patient is None)
            flash(_("Session booked. The patient will get the confirmation in a few minutes."), "success")
            return redirect(url_for("appointment.details_view", id=outcome.appointment_id))
        return self._form(form, patient, zone, 200)

    def _audit_booking(self, appointment_id: int, new_patient: bool) -> None:
        appt = db.session.get(Appointment, appointment_id)
        if appt is None:
            return
        if new_patient:
            who = f"admin:{current_user.email}"  # consent taken at the desk, by whom
            for channel in ("sms", "email"):
                if getattr(appt.patient, f"{channel}_consent_source") == "webhook:panel":
                    setattr(appt.patient, f"{channel}_consent_source", who)
            audit("create", "patient", appt.patient_id, via="booking", phone=mask_phone(appt.patient.phone))
        audit("book", "appointment", appt.id, starts=when(appt.starts_at, appt.timezone), area=appt.area)
        db.session.commit()

    def _form(self, form: SessionForm, patient: Patient | None, zone: str, status: int, appt: Any = None) -> Any:
        return (
            self.render("admin/booking/form.html", form=form, patient=patient, zone=zone, appt=appt),
            status,
        )

    @expose("/move/<int:appointment_id>", methods=["GET", "POST"])
    def move(self, appointment_id: int) -> Any:
        appt = db.session.get(Appointment, appointment_id) or abort(404)
        if not movable(appt):
            flash(_("Only a booked session made at the front desk can be moved here."), "error")
            return redirect(url_for("appointment.details_view", id=appt.id))
        form = SessionForm()
        form.course.choices = _course_choices(appt.patient)
        zone = appt.timezone
        if request.method == "GET":
            local = appt.starts_at.astimezone(ZoneInfo(zone))
            form.key.data, form.date.data, form.time.data = usable_key(None), local.date(), local.time()
            form.duration_minutes.data, form.area.data = appt.duration_minutes, appt.area
            form.course.data = str(appt.course_id) if appt.course_id else ""
            return self._form(form, appt.patient, zone, 200, appt)
        if not form.validate_on_submit():
            if form.csrf_token.errors:
                flash(str(EXPIRED), "error")
            return self._form(form, appt.patient, zone, 400, appt)
        slot = _slot(form, zone)
        if slot is None:
            return self._form(form, appt.patient, zone, 400, appt)
        before = appt.starts_at
        audit("move", "appointment", appt.id, starts=when(slot.starts_at, zone), was=when(before, zone))
        try:
            move(db.session, appt, slot, usable_key(form.key.data), get_settings(), utcnow())
        except BookingError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return self._form(form, appt.patient, zone, 400, appt)
        flash(_("Session moved. The patient will get a message with the new time."), "success")
        return redirect(url_for("appointment.details_view", id=appt.id))

    @expose("/cancel/<int:appointment_id>", methods=["POST"])
    def cancel(self, appointment_id: int) -> Any:
        return self._mark(appointment_id, AppointmentStatus.CANCELLED)

    @expose("/mark/<int:appointment_id>", methods=["POST"])
    def mark_session(self, appointment_id: int) -> Any:
        status = request.form.get("status", "")
        if status not in (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW):
            abort(400)
        return self._mark(appointment_id, status)

    def _mark(self, appointment_id: int, status: str) -> Any:
        appt = db.session.get(Appointment, appointment_id) or abort(404)
        if not ConfirmForm(request.form).validate():
            flash(str(EXPIRED), "error")
            return _back(appt.id)
        if status == AppointmentStatus.CANCELLED and appt.status == AppointmentStatus.CANCELLED:
            flash(_("This session was already cancelled."), "info")
            return _back(appt.id)
        done = mark_sessions([appt], status, request.form.get("key"))
        flash(DONE[status] if done else _("This was already done."), "success")
        return _back(appt.id)


DONE: dict[str, Any] = {
    AppointmentStatus.CANCELLED: _l(
        "Session cancelled. Its reminders stop; a patient who was told of the booking gets the cancellation notice."
    ),
    AppointmentStatus.COMPLETED: _l("Session marked attended."),
    AppointmentStatus.NO_SHOW: _l("Session marked no-show."),
}


def mark_sessions(appts: list[Appointment], status: str, key: str | None = None) -> bool:
    """Cancel or mark sessions through the webhooks' path, with an audit row each (one transaction)."""
    for appt in appts:
        audit(status, "appointment", appt.id, source=appt.source)
    return mark(db.session, appts, status, usable_key(key), get_settings(), utcnow())


def _newcomer(form: Any) -> NewPatient:
    return NewPatient(
        first_name=form.first_name.data.strip(),
        last_name=form.last_name.data.strip(),
        phone=form.phone.data,
        email=form.email.data,
        language=form.language.data,
        sms_consent=bool(form.sms_consent.data),
        email_consent=bool(form.email_consent.data),
    )
