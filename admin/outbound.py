"""Outbound events: what Recall told the clinic's booking system, whether it arrived, and a retry for those that
failed (administrators only). Status changes go through `service.domain.outbound_lifecycle`."""

from __future__ import annotations

import json
from typing import Any

from flask import flash
from flask_admin.actions import action
from markupsafe import Markup
from sqlalchemy import select

from service.domain import outbound_lifecycle as lifecycle
from service.domain.vocabulary import OutboundStatus
from service.extensions import db
from service.i18n import _, _l, when
from service.models import OutboundEvent
from service.timeutil import utcnow

from .security import AdminModelView, audit

STATUS = {
    OutboundStatus.PENDING: _l("Waiting"),
    OutboundStatus.DELIVERED: _l("Delivered"),
    OutboundStatus.FAILED: _l("Failed"),
}


def _status(view: Any, context: Any, model: OutboundEvent, name: str) -> str:
    if model.status == OutboundStatus.PENDING and model.attempts:
        return _("Waiting to be tried again")
    return str(STATUS.get(OutboundStatus(model.status), model.status))


def _last_answer(view: Any, context: Any, model: OutboundEvent, name: str) -> str:
    """The receiver's last answer in one line: "HTTP 500: …", "no answer within 10 s …", or just the 2xx."""
    if model.last_error:
        return model.last_error
    return f"HTTP {model.last_status_code}" if model.last_status_code else ""


def _moment(view: Any, context: Any, model: OutboundEvent, name: str) -> str:
    return when(getattr(model, name))


def _payload(view: Any, context: Any, model: OutboundEvent, name: str) -> Markup:
    """The JSON as posted, folded: for whoever checks the receiver's side."""
    text = json.dumps(model.payload, ensure_ascii=False, indent=2)
    return Markup('<details id="technical-details"><summary>{}</summary><pre>{}</pre></details>').format(_("Show"), text)


class OutboundEventView(AdminModelView):
    column_list = ("created_at", "type", "status", "attempts", "last_status_code", "delivered_at")
    column_details_list = (
        "created_at",
        "type",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
        "webhook_id",
        "payload",
    )
    column_labels = {
        "created_at": _l("Happened"),
        "type": _l("Event"),
        "status": _l("Status"),
        "attempts": _l("Attempts"),
        "last_status_code": _l("Last answer"),
        "next_attempt_at": _l("Next try"),
        "delivered_at": _l("Delivered"),
        "webhook_id": _l("Event id (webhook-id)"),
        "payload": _l("Content"),
    }
    column_formatters = {
        "status": _status,
        "last_status_code": _last_answer,
        "created_at": _moment,
        "delivered_at": _moment,
        "next_attempt_at": lambda v, c, m, n: when(m.next_attempt_at) if m.status == OutboundStatus.PENDING else "",
        "payload": _payload,
    }
    column_filters = ("status", "type", "created_at")
    column_choices = {"status": [(str(s), w) for s, w in STATUS.items()]}
    column_default_sort = ("id", True)
    can_create = can_edit = can_delete = False

    @action("retry", _l("Retry"), _l("Post the selected failed events again, with the same event id?"))
    def action_retry(self, ids: list[str]) -> None:
        rows = db.session.execute(select(OutboundEvent).where(OutboundEvent.id.in_([int(i) for i in ids]))).scalars().all()
        done = 0
        for row in rows:
            try:
                lifecycle.retry_by_admin(row, utcnow())
            except lifecycle.IllegalTransition:
                continue
            audit("retry", "outbound_event", row.id, type=row.type)
            done += 1
        db.session.commit()
        flash(
            _("%(done)d of %(total)d event(s) queued again.", done=done, total=len(rows))
            + ("" if done == len(rows) else " " + _("Only failed events can be retried.")),
            "success" if done else "warning",
        )
