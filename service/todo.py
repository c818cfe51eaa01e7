"""The front desk's to-do list: `add` is the one way an item is made, `done` the one way it ends.

An item has a key naming its cause ("reply:12", "no_show:40"), so the same cause never makes two items however often
its event arrives. Items say who, when and what; the panel lists them and the daily digest emails the open ones.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from .domain.vocabulary import AppointmentStatus, TodoKind
from .extensions import DbSession
from .models import Appointment, InboundMessage, Reminder, TodoItem

REPLY_PREFIX = "reply:"
# Twilio codes that blame the number itself (invalid, unreachable by SMS, not a mobile, unknown, a landline), of its
# permanent ones (channels/twilio_sms.py); the others (a sender or country not enabled) are the clinic's settings.
TWILIO_CONTACT_CODES = {21211, 21612, 21614, 30005, 30006}
# SMTP answers that mean the mailbox does not exist or cannot be (RFC 5321): a hard bounce, not a full inbox.
HARD_BOUNCES = {550, 551, 553}


def add(
    db_session: DbSession,
    kind: TodoKind,
    key: str,
    now: datetime,
    *,
    patient_id: int | None,
    appointment_id: int | None = None,
    detail: str | None = None,
) -> TodoItem:
    """The open item for this cause, made if there is none yet (an item once done is not reopened by a repeat)."""
    found = db_session.execute(select(TodoItem).where(TodoItem.key == key)).scalar_one_or_none()
    if found is not None:
        return found
    item = TodoItem(
        kind=str(kind),
        key=key[:100],
        patient_id=patient_id,
        appointment_id=appointment_id,
        detail=(detail or None) and detail[:2000],
        created_at=now,
    )
    db_session.add(item)
    return item


def done(item: TodoItem, who: str, now: datetime) -> bool:
    """Mark it done by `who`; False if it already was (the first one to act keeps the credit)."""
    if item.done_at is not None:
        return False
    item.done_at, item.done_by = now, who
    return True


def open_items(db_session: DbSession) -> list[TodoItem]:
    """What the front desk has still to do, oldest first: the view and the digest list the same items."""
    return list(
        db_session.execute(select(TodoItem).where(TodoItem.done_at.is_(None)).order_by(TodoItem.created_at, TodoItem.id))
        .scalars()
        .all()
    )


def open_count(db_session: DbSession) -> int:
    return db_session.execute(select(func.count()).select_from(TodoItem).where(TodoItem.done_at.is_(None))).scalar_one()


def reply_key(inbound_id: int) -> str:
    return f"{REPLY_PREFIX}{inbound_id}"


def add_reply(db_session: DbSession, message: InboundMessage, *, asks_another_time: bool, now: datetime) -> TodoItem:
    """A free-text SMS reply, or an SMS asking for another time (R), waits for the front desk until handled."""
    if message.id is None:
        db_session.flush()  # the key names the reply's id
    appointment = _next_session(db_session, message.patient_id, now) if asks_another_time else None
    return add(
        db_session,
        TodoKind.RESCHEDULE_REQUEST if asks_another_time and message.patient_id else TodoKind.REPLY,
        reply_key(message.id),
        now,
        patient_id=message.patient_id,
        appointment_id=appointment,
        detail=None,  # the words stay in the reply alone, which erasure and retention empty: the view reads them there
    )


def reply_handled(db_session: DbSession, inbound_id: int, who: str, now: datetime) -> bool:
    """Mark a reply handled and its to-do item done, together: the Replies view's "Mark handled" and the To do
    view's "Done" both come here, so neither list shows as open what the other closed. False if both already were."""
    changed = False
    message = db_session.get(InboundMessage, inbound_id)
    if message is not None and message.handled_at is None:
        message.handled_at, message.handled_by = now, who
        changed = True
    item = db_session.execute(select(TodoItem).where(TodoItem.key == reply_key(inbound_id))).scalar_one_or_none()
    if item is not None:
        changed = done(item, who, now) or changed
    return changed


def finish(db_session: DbSession, item: TodoItem, who: str, now: datetime) -> bool:
    """End an item from the To do view; one about an SMS reply also marks the reply handled."""
    if item.key.startswith(REPLY_PREFIX) and item.key.removeprefix(REPLY_PREFIX).isdigit():
        return reply_handled(db_session, int(item.key.removeprefix(REPLY_PREFIX)), who, now)
    return done(item, who, now)


def add_send_failure(
    db_session: DbSession, reminder: Reminder, *, provider: str | None, error_code: str | None, now: datetime
) -> TodoItem | None:
    """A message that can never reach this number or address (an invalid or landline number, a hard bounce): someone
    must check it with the patient. Outages and opt-outs are not for the front desk. One open item per patient: a
    wrong number fails every reminder, and one "check the number" is enough until it is done."""
    if not is_contact_problem(provider, error_code):
        return None
    already = db_session.execute(
        select(TodoItem).where(
            TodoItem.kind == TodoKind.SEND_FAILURE, TodoItem.patient_id == reminder.patient_id, TodoItem.done_at.is_(None)
        )
    ).first()
    if already is not None:
        return None
    return add(
        db_session,
        TodoKind.SEND_FAILURE,
        f"send_failure:{reminder.id}",
        now,
        patient_id=reminder.patient_id,
        appointment_id=reminder.appointment_id,
        # "sms twilio 21211": the provider's own text can quote the number, which has no place in a digest email
        detail=f"{reminder.channel} {provider} {error_code}",
    )


def is_contact_problem(provider: str | None, error_code: str | None) -> bool:
    """The provider's code says the number or address itself is wrong (no retry, and no outage, can fix it)."""
    code = (error_code or "").strip()
    if not code.isdigit():
        return False
    if provider == "twilio":
        return int(code) in TWILIO_CONTACT_CODES
    if provider == "smtp":
        return int(code) in HARD_BOUNCES
    return False


def add_no_show(db_session: DbSession, appointment: Appointment, now: datetime) -> TodoItem:
    """A patient missed a session: call them to book again."""
    return add(
        db_session,
        TodoKind.NO_SHOW,
        f"no_show:{appointment.id}",
        now,
        patient_id=appointment.patient_id,
        appointment_id=appointment.id,
    )


def _next_session(db_session: DbSession, patient_id: int | None, now: datetime) -> int | None:
    if patient_id is None:
        return None
    return db_session.execute(
        select(Appointment.id)
        .where(Appointment.patient_id == patient_id, Appointment.status == AppointmentStatus.BOOKED, Appointment.starts_at > now)
        .order_by(Appointment.starts_at)
        .limit(1)
    ).scalar_one_or_none()
