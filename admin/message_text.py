"""A message as staff read it: its channel, status, text and delivery receipts, on the patient's page and in the outbox.

A message that went out shows what was sent (stored with it). One still to go out shows the text it would have if it
were sent now, composed by the dispatcher's own code (`service.messages.compose_now`), which writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from service.domain.vocabulary import OPEN, ReminderStatus
from service.extensions import db
from service.i18n import _, _l, when
from service.messages import compose_now
from service.models import DeliveryEvent, Reminder
from service.rendering import TemplateProblem
from service.settings import Settings

from . import wording

# The provider's receipt statuses (Twilio's MessageStatus), in words.
RECEIPT_STATUS = {
    "accepted": _l("Accepted by the provider"),
    "queued": _l("Queued at the provider"),
    "sending": _l("Being sent by the provider"),
    "sent": _l("Handed to the phone network"),
    "delivered": _l("Delivered to the phone"),
    "read": _l("Read"),
    "undelivered": _l("Not delivered"),
    "failed": _l("Failed at the provider"),
    "canceled": _l("Cancelled at the provider"),
}


def receipt_status(status: str | None) -> str:
    return str(RECEIPT_STATUS.get(status or "", status or ""))


@dataclass(frozen=True)
class Receipt:
    local: str
    status: str
    error: str


@dataclass(frozen=True)
class MessageText:
    kind: str
    channel: str
    state: str  # the reminder's status, in words
    subject: str | None
    text: str | None
    note: str  # how to read the text: a preview, an emptied body, none written
    receipts: list[Receipt] = field(default_factory=list)


def receipts_for(reminder_ids: Iterable[int], zone_name: str | None) -> dict[int, list[Receipt]]:
    """Every reminder's delivery receipts, oldest first, in the patient's local time; one statement."""
    ids = list(reminder_ids)
    found: dict[int, list[Receipt]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = db.session.execute(
        select(DeliveryEvent).where(DeliveryEvent.reminder_id.in_(ids)).order_by(DeliveryEvent.received_at, DeliveryEvent.id)
    ).scalars()
    for d in rows:
        error = _("error %(code)s", code=d.error_code) if d.error_code else ""
        found[d.reminder_id or 0].append(Receipt(when(d.received_at, zone_name), receipt_status(d.status), error))
    return found


def message_text(reminder: Reminder, settings: Settings, now: datetime, receipts: list[Receipt] | None = None) -> MessageText:
    """What staff read for one message; composing a pending one writes nothing."""
    subject, text, note = reminder.subject, reminder.body, ""
    if reminder.status == ReminderStatus.PENDING or (reminder.status in OPEN and text is None):
        note = _("Not sent yet. If it were sent now, it would read:")
        try:
            composed = compose_now(db.session, reminder, settings, now)
            subject, text = composed.subject, composed.text
        except TemplateProblem as exc:
            subject, text, note = None, None, _("It cannot be written now: %(why)s", why=str(exc))
    elif text is None and reminder.attempts:
        retained = now - timedelta(days=round(settings.retention_months * 30.44))
        note = (
            _("The text is no longer kept: messages are emptied after %(months)d months.", months=settings.retention_months)
            if reminder.created_at < retained
            else _("The text is no longer kept: the patient's personal data was erased.")
        )
    elif text is None:
        note = _("Never sent, so it has no text.")
    return MessageText(
        kind=wording.reminder_kind(reminder.kind),
        channel=wording.channel(reminder.channel),
        state=wording.reminder_status(reminder.status),
        subject=subject,
        text=text,
        note=note,
        receipts=receipts or [],
    )
