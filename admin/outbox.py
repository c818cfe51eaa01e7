"""The outbox: every message planned, sent, delivered or not, searchable by staff."""

from __future__ import annotations

from typing import Any

from flask import flash
from flask_admin.actions import action
from flask_login import current_user
from sqlalchemy import select

from service.contacts import mask_phone
from service.domain import lifecycle
from service.domain.vocabulary import ReminderStatus
from service.extensions import db
from service.i18n import when
from service.models import Reminder
from service.timeutil import utcnow

from .security import ProtectedModelView, audit


class ReminderView(ProtectedModelView):
    column_list = ("due_at", "patient", "kind", "channel", "status", "status_reason", "provider_status", "attempts", "segments")
    column_labels = {"due_at": "Due (patient's time)", "status_reason": "Why", "provider_status": "Delivery"}
    column_filters = ("status", "channel", "kind", "due_at", "provider_status")
    column_default_sort = ("due_at", True)
    can_create = can_edit = can_delete = False
    column_details_exclude_list = ("body",)  # the text is on the patient's page for those who need it
    column_formatters = {
        "due_at": lambda v, c, m, n: when(m.due_at, m.patient.timezone),
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
