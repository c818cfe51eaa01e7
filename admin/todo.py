"""The front desk's To do list: who, when and what, oldest first, each ended by a "Done" that records who did it.

Items are made where their cause happens (a reply, a failed send, a no-show, the patient's page) by `service.todo`;
this view only lists them and ends them, through `service.todo.finish`, which also marks a reply handled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import flash, has_request_context, redirect, request, url_for
from flask_admin import expose
from flask_babel import LazyString
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from service import todo
from service.domain.vocabulary import TodoKind
from service.extensions import db
from service.i18n import _, phone_display, when
from service.models import Appointment, InboundMessage, Patient, TodoItem
from service.timeutil import utcnow

from . import wording
from .security import ConfirmForm, ProtectedView, audit

DONE_DAYS = 7  # how far back the "done" list looks


@dataclass(frozen=True)
class TodoLine:
    """One item as the page shows it: every value already in the reader's words."""

    item: TodoItem
    patient: Patient | None
    phone: str  # national format, or "" when unknown
    noted: str  # when the item was made, the clinic's clock
    what: str  # the kind in words
    detail: str  # the reply's words, the reason, or the session's local time
    session: str  # the session concerned, in the patient's time zone, or ""


def menu_name() -> str:
    """ "To do (3)": the menu item carries the open count, read once per page."""
    count = todo.open_count(db.session) if has_request_context() and current_user.is_authenticated else 0
    return _("To do (%(num)d)", num=count) if count else _("To do")


MENU_NAME = LazyString(menu_name)


def lines_for(items: list[TodoItem]) -> list[TodoLine]:
    """The page's lines, with two queries for what they name: the sessions and the replies."""
    appointments = {
        a.id: a
        for a in db.session.execute(
            select(Appointment).where(Appointment.id.in_({i.appointment_id for i in items if i.appointment_id}))
        ).scalars()
    }
    reply_ids = {int(i.key.removeprefix(todo.REPLY_PREFIX)) for i in items if i.key.startswith(todo.REPLY_PREFIX)}
    replies = {m.id: m for m in db.session.execute(select(InboundMessage).where(InboundMessage.id.in_(reply_ids))).scalars()}
    lines = []
    for item in items:
        appt = appointments.get(item.appointment_id) if item.appointment_id else None
        reply = replies.get(int(item.key.removeprefix(todo.REPLY_PREFIX))) if item.key.startswith(todo.REPLY_PREFIX) else None
        patient = item.patient
        phone = patient.phone if patient is not None else (reply.from_number if reply is not None else None)
        lines.append(
            TodoLine(
                item=item,
                patient=patient,
                phone=phone_display(phone) if phone else "",
                noted=when(item.created_at),
                what=wording.todo_kind(item.kind),
                detail=_detail(item, reply),
                session=when(appt.starts_at, appt.timezone) if appt is not None else "",
            )
        )
    return lines


def _detail(item: TodoItem, reply: InboundMessage | None) -> str:
    if reply is not None:
        return f"“{reply.body}”" if reply.body else _("(the reply's text was erased)")
    if item.kind == TodoKind.SEND_FAILURE:
        return wording.send_failure(item.detail)
    return item.detail or ""


class TodoView(ProtectedView):
    """Staff and admins alike: the front desk works this list."""

    @expose("/")
    def index(self) -> Any:
        now = utcnow()
        done = list(
            db.session.execute(
                select(TodoItem)
                .options(selectinload(TodoItem.patient))
                .where(TodoItem.done_at >= now - timedelta(days=DONE_DAYS))
                .order_by(TodoItem.done_at.desc(), TodoItem.id.desc())
            ).scalars()
        )
        return self.render(
            "admin/todo.html",
            open_lines=lines_for(todo.open_items(db.session)),
            done_lines=lines_for(done),
            done_days=DONE_DAYS,
            form=ConfirmForm(),
        )

    @expose("/done/", methods=["POST"])
    def done_view(self) -> Any:
        """End one item: who and when are recorded on it and in the audit trail."""
        if not ConfirmForm(request.form).validate():
            flash(_("The page had expired; nothing was changed. Please try again."), "error")
            return redirect(url_for(".index")), 303
        raw = request.form.get("item", "")
        item = db.session.get(TodoItem, int(raw)) if raw.isdigit() else None
        if item is None:
            flash(_("This item is not on the list any more."), "error")
            return redirect(url_for(".index")), 303
        if todo.finish(db.session, item, current_user.email, utcnow()):
            audit("done", TodoItem.__tablename__, item.id, kind=item.kind, key=item.key)
            db.session.commit()
            flash(_("Done: %(what)s.", what=wording.todo_kind(item.kind)), "success")
        else:
            flash(_("Already done by %(who)s.", who=item.done_by or ""), "info")
        return redirect(url_for(".index")), 303
