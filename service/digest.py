"""The front desk's daily email: the open to-do items, at 08:00 clinic time, in the clinic's language.

It names patients by first name and says what is asked and when, never a surname, a number, a treatment or an
area, and never quotes a patient's words (an email travels further than the panel: the list links there instead).
Sent only when something is open, and once a day: the day it went is an audit row (`action="digest"`, the local
date as `entity_id`). Two schedulers, or a re-run, serialise on a lock (PostgreSQL: an advisory lock; SQLite: the
write lock the claim row's insert takes), and the second one sees the first one's row and sends nothing.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from sqlalchemy import select, text

from . import todo
from .channels import EmailMessageSpec, Senders
from .domain.vocabulary import TodoKind
from .extensions import DbSession
from .i18n import _, ngettext, panel_default, when
from .models import Appointment, AuditEvent, TodoItem
from .settings import Settings

log = logging.getLogger(__name__)
DIGEST_HOUR = 8  # clinic time: before the desk opens
DIGEST_LOCK = 0x5245_4344  # "RECD": one number for the digest, apart from the planning jobs' lock
ACTION = "digest"


def send_digest(db_session: DbSession, settings: Settings, senders: Senders, now: datetime) -> str:
    """Email today's open items to STAFF_DIGEST_EMAIL unless already done today; returns what happened, in a line."""
    if not settings.staff_digest_email:
        return "no STAFF_DIGEST_EMAIL: nothing to do"
    local = now.astimezone(ZoneInfo(settings.clinic_timezone))
    if local.hour < DIGEST_HOUR:
        return f"not before {DIGEST_HOUR:02d}:00 clinic time"
    claim = _claim(db_session, local.date(), now)
    if claim is None:
        db_session.rollback()
        return f"already sent for {local.date().isoformat()}"
    items = todo.open_items(db_session)
    if not items:
        db_session.rollback()
        return "nothing open: not sent"
    message = compose(db_session, items, settings, local.date())
    result = senders.email.send_email(message, reminder_id=None, label=f"staff digest, {local.date().isoformat()}")
    if not result.ok:
        db_session.rollback()  # not recorded: a re-run the same day tries again
        log.warning("the staff digest was not sent: %s %s", result.error_code, (result.error_message or "")[:200])
        return f"not sent: {result.provider} {result.error_code}"
    claim.details = {"items": len(items), "provider": result.provider}
    db_session.commit()
    return f"sent, {len(items)} items"


def _claim(db_session: DbSession, day: date, now: datetime) -> AuditEvent | None:
    """Today's claim row, or None when one was already committed. Taken under a lock held to the commit, so two
    runs never both find none."""
    if db_session.get_bind().dialect.name == "postgresql":
        db_session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DIGEST_LOCK})
    claim = AuditEvent(at=now, actor="system", action=ACTION, entity=TodoItem.__tablename__, entity_id=day.isoformat())
    db_session.add(claim)
    db_session.flush()  # on SQLite, the write lock: a second run waits here until this one commits or rolls back
    earlier = db_session.execute(
        select(AuditEvent.id).where(
            AuditEvent.action == ACTION,
            AuditEvent.entity == TodoItem.__tablename__,
            AuditEvent.entity_id == day.isoformat(),
            AuditEvent.id != claim.id,
        )
    ).first()
    return None if earlier is not None else claim


def compose(db_session: DbSession, items: list[TodoItem], settings: Settings, day: date) -> EmailMessageSpec:
    """The email, in the clinic's language: one line per item, first name, what is asked, the session's time."""
    from admin import wording  # the panel's words for each kind, so the email and the To do list say the same

    assert settings.staff_digest_email
    sessions = {
        a.id: a
        for a in db_session.execute(
            select(Appointment).where(Appointment.id.in_({i.appointment_id for i in items if i.appointment_id}))
        ).scalars()
    }
    with force_locale(panel_default()):
        lines = []
        for item in items:
            who = item.patient.first_name if item.patient is not None else _("a number we do not know")
            what = wording.todo_kind(item.kind)
            if item.kind == TodoKind.SEND_FAILURE:
                what = f"{what} ({wording.send_failure(item.detail)})"
            appt = sessions.get(item.appointment_id) if item.appointment_id else None
            line = f"- {who}: {what}"
            if appt is not None:
                line += " · " + _("session %(when)s", when=when(appt.starts_at, appt.timezone))
            lines.append(line + " · " + _("since %(when)s", when=when(item.created_at)))
        count = len(items)
        subject = ngettext(
            "%(clinic)s: %(num)d item to do", "%(clinic)s: %(num)d items to do", count, clinic=settings.clinic_name
        )
        intro = ngettext(
            "Good morning. %(num)d item is waiting on the front desk's list:",
            "Good morning. %(num)d items are waiting on the front desk's list, oldest first:",
            count,
        )
        body = [intro, "", *lines, ""]
        if settings.public_base_url:
            body.append(_("Open the list: %(url)s", url=f"{settings.public_base_url}/admin/todo/"))
        body.append(_("Sent once a day at 08:00 when something is open. Mark items done in the panel."))
    return EmailMessageSpec(to=settings.staff_digest_email, subject=subject, text="\n".join(body) + "\n")
