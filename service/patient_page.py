"""The patient's personal page, /r/<token>: the session, and what they may do about it, without signing in.

A GET never changes anything: mail scanners and link previews fetch links before the patient does. The actions are
CSRF-protected posts that answer with a redirect back to the page (what was done is said once, by a flashed code).
The page speaks the patient's language; an unknown, tampered or malformed token gets one page in both languages that
never says whether the token existed. Requests are limited per address.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, flash, g, get_flashed_messages, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_limiter import RequestLimit
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectMultipleField, TextAreaField
from wtforms.validators import Length, Optional

from . import links
from .confirmations import confirm
from .domain.patient_actions import Allowed, SessionState, Stage, allowed
from .extensions import db, limiter
from .i18n import _, _l
from .messages import course_progress
from .models import Appointment
from .patient_requests import WEEKDAYS, ask_another_time, cancel
from .rendering import language_of
from .runtime import get_settings
from .timeutil import utcnow

bp = Blueprint("patient_page", __name__)
log = logging.getLogger(__name__)
MAX_TEXT = 500
GET_LIMIT = "30 per minute"
POST_LIMIT = "10 per minute"


class ConfirmForm(FlaskForm):
    """The confirm button: just the CSRF token."""


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=MAX_TEXT)])


class RescheduleForm(FlaskForm):
    days = SelectMultipleField(_l("Days that suit you (optional)"), choices=[(d, d) for d in WEEKDAYS], validate_choice=True)
    message = TextAreaField(_l("Message (optional)"), validators=[Optional(), Length(max=MAX_TEXT)])


def _too_many(_limit: RequestLimit) -> Response:
    return Response(render_template("patient/too_many.html"), 429, {"Retry-After": "60"})


@bp.context_processor
def _clinic() -> dict[str, Any]:
    return {"clinic": get_settings()}


@bp.after_request
def _private(response: Response) -> Response:
    """A personal page: not cached, not indexed, and its address never sent on to another site."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _find(token: str) -> Appointment | None:
    """The session the link names or, when its booking system moved it by booking anew (Calendly, Cal.com), the
    session that replaced it: an older message's link still shows the time the patient now has."""
    appointment = links.find(db.session, token)
    for _hop in range(5):
        if appointment is None or not appointment.replaced_by_external_id:
            break
        successor = db.session.execute(
            select(Appointment).where(
                Appointment.source == appointment.source, Appointment.external_id == appointment.replaced_by_external_id
            )
        ).scalar_one_or_none()
        if successor is None:
            break
        appointment = successor
    if appointment is not None:
        # Every language a patient's messages are written in has the page's words (service/translations/*).
        g.recall_language = language_of(appointment.patient.language)
    return appointment


def _not_found() -> ResponseReturnValue:
    return render_template("patient/not_found.html"), 404


def _allowed(appointment: Appointment) -> Allowed:
    state = SessionState(appointment.starts_at, appointment.status, appointment.confirmed_at is not None, appointment.source)
    return allowed(state, utcnow(), get_settings().self_cancel_hours)


def _notices() -> dict[str, str]:
    """What a post did, said once on the page it leads back to."""
    return {
        "confirmed": _("Thank you: your session is confirmed."),
        "already_confirmed": _("Your session was already confirmed."),
        "cancelled": _("Your session is cancelled. Thank you for letting us know."),
        "already_cancelled": _("This session was already cancelled."),
        "asked": _("Thank you: the clinic will call you back to find another time."),
        "already_asked": _("You have already asked for another time: the clinic will call you back."),
        "call": _("It is too late to do this here: please call the clinic."),
        "not_now": _("This session can no longer be changed here."),
    }


@bp.get("/r/<token>")
@limiter.limit(GET_LIMIT, on_breach=_too_many)
def page(token: str) -> ResponseReturnValue:
    appointment = _find(token)
    if appointment is None:
        return _not_found()
    return _render(appointment, token)


def _render(appointment: Appointment, token: str, error: str | None = None, status: int = 200) -> ResponseReturnValue:
    settings = get_settings()
    patient = appointment.patient
    cancel_url, reschedule_url = links.provider_links(appointment, settings)
    notices = _notices()
    context: dict[str, Any] = {
        "token": token,
        "appointment": appointment,
        "first_name": patient.first_name,
        "zone": patient.timezone or settings.clinic_timezone,
        "progress": course_progress(db.session, appointment, g.recall_language),
        "can": _allowed(appointment),
        "stage": Stage,
        "cancel_url": cancel_url,
        "reschedule_url": reschedule_url,
        "notices": [notices[c] for c in get_flashed_messages() if c in notices],
        "error": error,
        "confirm_form": ConfirmForm(),
        "cancel_form": CancelForm(),
        "reschedule_form": RescheduleForm(),
        "weekdays": _weekday_labels(),
    }
    return render_template("patient/page.html", **context), status


def _weekday_labels() -> list[tuple[str, str]]:
    labels = (_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday"))
    return list(zip(WEEKDAYS, labels, strict=True))


def _invalid(appointment: Appointment, token: str, form: FlaskForm) -> ResponseReturnValue:
    """A post that did not validate: 400, and the page again saying why."""
    if form.csrf_token.errors:
        message = _("This form has expired or was not sent from this page. Please try again.")
    else:
        message = _(
            "This form could not be read: keep messages under %(count)d characters and pick days from the list.",
            count=MAX_TEXT,
        )
    return _render(appointment, token, message, 400)


def _back(token: str, notice: str) -> ResponseReturnValue:
    flash(notice)
    return redirect(url_for("patient_page.page", token=token), 303)


@bp.post("/r/<token>/confirm")
@limiter.shared_limit(POST_LIMIT, scope="patient-page-post", on_breach=_too_many)
def confirm_session(token: str) -> ResponseReturnValue:
    appointment = _find(token)
    if appointment is None:
        return _not_found()
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _invalid(appointment, token, form)
    if appointment.confirmed_at is not None:
        return _back(token, "already_confirmed")
    if not _allowed(appointment).confirm:
        return _back(token, "not_now")
    confirm(db.session, appointment, get_settings(), utcnow(), via="page")
    db.session.commit()
    log.info("appointment %s confirmed from the patient's page", appointment.id)
    return _back(token, "confirmed")


@bp.post("/r/<token>/cancel")
@limiter.shared_limit(POST_LIMIT, scope="patient-page-post", on_breach=_too_many)
def cancel_session(token: str) -> ResponseReturnValue:
    appointment = _find(token)
    if appointment is None:
        return _not_found()
    form = CancelForm()
    if not form.validate_on_submit():
        return _invalid(appointment, token, form)
    can = _allowed(appointment)
    if can.stage is Stage.CANCELLED:
        return _back(token, "already_cancelled")
    if can.stage is not Stage.UPCOMING:
        return _back(token, "not_now")
    if not can.cancel:
        return _back(token, "call")
    if can.provider:  # the booking system keeps the slot: its own page cancels it, and its webhook tells Recall
        cancel_url = links.provider_links(appointment, get_settings())[0]
        return redirect(cancel_url, 303) if cancel_url else _back(token, "call")
    reason = (form.reason.data or "").strip()
    done = cancel(db.session, appointment, reason, get_settings(), utcnow())
    log.info("appointment %s cancelled from the patient's page", appointment.id)
    return _back(token, "cancelled" if done else "already_cancelled")


@bp.post("/r/<token>/reschedule")
@limiter.shared_limit(POST_LIMIT, scope="patient-page-post", on_breach=_too_many)
def reschedule_session(token: str) -> ResponseReturnValue:
    appointment = _find(token)
    if appointment is None:
        return _not_found()
    form = RescheduleForm()
    if not form.validate_on_submit():
        return _invalid(appointment, token, form)
    can = _allowed(appointment)
    if can.stage is not Stage.UPCOMING:
        return _back(token, "already_cancelled" if can.stage is Stage.CANCELLED else "not_now")
    if not can.reschedule:
        return _back(token, "call")
    if can.provider:
        reschedule_url = links.provider_links(appointment, get_settings())[1]
        return redirect(reschedule_url, 303) if reschedule_url else _back(token, "call")
    days = [d for d in WEEKDAYS if d in (form.days.data or [])]
    done = ask_another_time(db.session, appointment, (form.message.data or "").strip(), days, get_settings(), utcnow())
    return _back(token, "asked" if done else "already_asked")
