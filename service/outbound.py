"""Events for the clinic's booking system: a row before it is a request.

`emit` is the one way an event is made; it writes an `outbound_event` row in the caller's transaction, so the event
exists exactly when what it reports was committed. `service/outbound_delivery.py` posts the rows, signed per the
Standard Webhooks specification, retrying with the same `webhook-id`. Without OUTBOUND_WEBHOOK_URL nothing is kept.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from .domain.vocabulary import OutboundEventType
from .extensions import DbSession
from .models import OutboundEvent
from .settings import Settings


def emit(
    db_session: DbSession,
    settings: Settings,
    type: OutboundEventType,
    data: dict[str, Any],
    now: datetime,
    *,
    appointment_id: int | None = None,
) -> OutboundEvent | None:
    """Record an event to post; None when no receiver is configured. `data` must hold no name, phone or email:
    the booking system knows its patients by its own ids, which `data` carries."""
    if not settings.outbound_webhook_url:
        return None
    event = OutboundEvent(
        webhook_id=f"msg_{secrets.token_urlsafe(18)}",
        type=str(type),
        payload={"type": str(type), "timestamp": now.isoformat(), "data": data},
        appointment_id=appointment_id,
        next_attempt_at=now,
        created_at=now,
    )
    db_session.add(event)
    return event
