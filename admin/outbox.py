"""The outbox: every message planned, sent, delivered or not, in words, searchable by a patient's name or phone.

It opens on what is still to come, soonest first (the `due_at` index reads it from today on); a sort, a filter or a
search shows everything. Each message's page shows its text (what was sent, or what would be sent now) and receipts;
the machinery (dedupe key, lease, context, provider ids) is folded away, for administrators only.
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import flash, request, url_for
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import DateBetweenFilter, DateGreaterFilter, DateSmallerFilter, FilterEqual, FilterLike
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select

from service.contacts import ContactError, normalise_phone
from service.domain import lifecycle
from service.domain.vocabulary import ReminderStatus
from service.extensions import db
from service.i18n import _, _l, phone_display, when
from service.models import Patient, Reminder
from service.runtime import get_settings
from service.timeutil import utcnow

from . import wording
from .message_text import RECEIPT_STATUS, message_text, receipt_status, receipts_for
from .security import ProtectedModelView, audit, is_admin


def _day_start(day: Any) -> datetime:
    """Where a day of the clinic's calendar begins, as an instant (the filters take days, staff think in local days)."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(get_settings().clinic_timezone))


class _DueBetween(DateBetweenFilter):
    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        start, end = value
        column = self.get_column(alias)
        return query.filter(column >= _day_start(start), column < _day_start(end + timedelta(days=1)))


class _DueFrom(DateGreaterFilter):
    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(self.get_column(alias) >= _day_start(value))

    def operation(self) -> Any:
        return _l("on or after")


class _DueUntil(DateSmallerFilter):
    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(self.get_column(alias) < _day_start(value + timedelta(days=1)))

    def operation(self) -> Any:
        return _l("on or before")


class _PatientName(FilterLike):
    """A patient by name: each word typed found in the first or last name."""

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        names = select(Patient.id)
        for word in str(value).split():
            like = f"%{word.lower()}%"
            names = names.where(func.lower(Patient.first_name).like(like) | func.lower(Patient.last_name).like(like))
        return query.filter(Reminder.patient_id.in_(names))


def _options(words: dict[Any, Any]) -> list[tuple[str, Any]]:
    return [(str(value), label) for value, label in words.items()]


def _patient(view: Any, context: Any, model: Reminder, name: str) -> Markup:
    patient = model.patient
    link = url_for("patient.details_view", id=patient.id)
    phone = phone_display(patient.phone)
    number = Markup("<br><small>{}</small>").format(phone) if phone else ""
    return Markup('<a href="{}">{}</a>{}').format(link, patient.full_name, number)


def _technical(model: Reminder) -> list[tuple[str, str]]:
    """What only an administrator debugging the outbox needs: raw keys and identifiers."""
    return [
        (_("Dedupe key"), model.dedupe_key),
        (_("Lease held by"), model.leased_by or ""),
        (_("Lease until"), when(model.lease_until) if model.lease_until else ""),
        (_("Provider"), model.provider or ""),
        (_("Provider message id"), model.provider_message_id or ""),
        (_("Encoding and segments"), f"{model.encoding or ''} {model.segments or ''}".strip()),
        (_("Context"), json.dumps(model.context or {}, ensure_ascii=False, indent=1, sort_keys=True)),
    ]


class ReminderView(ProtectedModelView):
    column_list = ("due_at", "patient", "kind", "channel", "status", "status_reason", "provider_status", "attempts")
    column_labels = {
        "due_at": _l("Due (patient's time)"),
        "patient": _l("Patient"),
        "kind": _l("Message"),
        "channel": _l("Channel"),
    } | {  # where it stands, apart (tests/unit/test_one_owner_of_statuses.py reads a dict with both as a row)
        "status": _l("Status"),
        "status_reason": _l("Why"),
        "provider_status": _l("Delivery"),
        "attempts": _l("Attempts"),
        "sent_at": _l("Sent (patient's time)"),
        "next_attempt_at": _l("Next attempt (patient's time)"),
        "expires_at": _l("Useless after (patient's time)"),
    }
    column_details_list = (
        "patient",
        "kind",
        "channel",
        "status",
        "status_reason",
        "due_at",
        "next_attempt_at",
        "expires_at",
        "sent_at",
        "provider_status",
        "attempts",
    )
    column_sortable_list = ("due_at", "kind", "channel", "status", "attempts")
    column_default_sort = ("due_at", False)  # soonest first; `get_query` starts it at today when nothing else is asked
    column_searchable_list = ("patient.first_name", "patient.last_name")
    column_filters = (
        FilterEqual(Reminder.status, _l("Status"), options=_options(wording.REMINDER_STATUS)),
        FilterEqual(Reminder.kind, _l("Message"), options=_options(wording.REMINDER_KIND)),
        FilterEqual(Reminder.channel, _l("Channel"), options=_options(wording.CHANNEL)),
        _DueBetween(Reminder.due_at, _l("Due")),
        _DueFrom(Reminder.due_at, _l("Due")),
        _DueUntil(Reminder.due_at, _l("Due")),
        _PatientName(Reminder.patient_id, _l("Patient's name")),
        FilterEqual(Reminder.provider_status, _l("Delivery"), options=_options(RECEIPT_STATUS)),
    )
    can_create = can_edit = can_delete = False
    details_template = "admin/outbox_details.html"
    list_template = "admin/outbox_list.html"
    column_formatters = {
        "due_at": lambda v, c, m, n: when(m.due_at, m.patient.timezone),
        "sent_at": lambda v, c, m, n: when(m.sent_at, m.patient.timezone),
        "next_attempt_at": lambda v, c, m, n: when(m.next_attempt_at, m.patient.timezone),
        "expires_at": lambda v, c, m, n: when(m.expires_at, m.patient.timezone),
        "patient": _patient,
        "kind": lambda v, c, m, n: wording.reminder_kind(m.kind),
        "channel": lambda v, c, m, n: wording.channel(m.channel),
    } | {
        "status": lambda v, c, m, n: wording.reminder_status(m.status),
        "status_reason": lambda v, c, m, n: wording.reason(m.status_reason),
        "provider_status": lambda v, c, m, n: receipt_status(m.provider_status),
    }
    column_formatters_export = {
        **column_formatters,
        "patient": lambda v, c, m, n: m.patient.full_name,
    }

    def search_placeholder(self) -> str:
        return str(_("Patient's name or phone (any format)"))

    def _apply_search(self, query: Any, count_query: Any, joins: Any, count_joins: Any, search: str) -> Any:
        # A phone typed as staff say it (06 12 34 56 78) finds the patient's E.164 number, as on the patients' list.
        try:
            number = normalise_phone(search, get_settings().clinic_region)
        except ContactError:  # not a phone number: a name, word by word
            return super()._apply_search(query, count_query, joins, count_joins, search)
        theirs = Reminder.patient_id.in_(select(Patient.id).where(Patient.phone == number))
        return query.filter(theirs), count_query.filter(theirs), joins, count_joins

    def opens_at_today(self) -> bool:
        """The bare outbox (no sort, filter, search or page asked): what is still to come, from today."""
        return not any(key == "sort" or key == "search" or key == "page" or key.startswith("flt") for key in request.args)

    def _from_today(self, query: Any) -> Any:
        return query.filter(Reminder.due_at >= _day_start(datetime.now(ZoneInfo(get_settings().clinic_timezone)).date()))

    def get_query(self) -> Any:
        query = super().get_query()
        return self._from_today(query) if self.opens_at_today() else query

    def get_count_query(self) -> Any:
        query = super().get_count_query()
        return self._from_today(query) if self.opens_at_today() else query

    def render(self, template: str, **kwargs: Any) -> Any:
        if template == self.details_template and "model" in kwargs:
            model: Reminder = kwargs["model"]
            zone = model.patient.timezone
            kwargs["message"] = message_text(model, get_settings(), utcnow(), receipts_for([model.id], zone)[model.id])
            kwargs["technical"] = _technical(model) if is_admin() else None
        if template == self.list_template:
            kwargs["opens_at_today"] = self.opens_at_today()
        return super().render(template, **kwargs)

    def _set(self, ids: list[str], change: Any, name: str, done_words: Any) -> None:
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
            _("%(done)d of %(total)d message(s): %(what)s.", done=done, total=len(rows), what=done_words)
            + ("" if done == len(rows) else " " + _("The others were not in a state that allows it.")),
            "success" if done else "warning",
        )

    @action("retry", _l("Retry"), _l("Try the selected failed or skipped reminders again?"))
    def action_retry(self, ids: list[str]) -> None:
        self._set(ids, lambda row: lifecycle.retry_by_staff(row, "staff", utcnow()), "retry", _("queued again"))

    @action("cancel", _l("Cancel"), _l("Cancel the selected reminders? They will not be sent."))
    def action_cancel(self, ids: list[str]) -> None:
        def change(row: Reminder) -> None:
            if row.status != ReminderStatus.PENDING:  # one being sent right now is the dispatcher's
                raise lifecycle.IllegalTransition(f"a {row.status} reminder is not the staff's to cancel")
            lifecycle.cancel(row, f"cancelled by {current_user.email}")

        self._set(ids, change, "cancel", _("cancelled"))

    @action("send_now", _l("Send now"), _l("Send the selected reminders at the next dispatch (within 30 s)?"))
    def action_send_now(self, ids: list[str]) -> None:
        self._set(
            ids,
            lambda row: lifecycle.send_now(row, utcnow()),
            "send-now",
            _("moved to the next dispatch (quiet hours and consent still apply)"),
        )
