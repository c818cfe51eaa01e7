"""WhatsApp's rule of the customer-service window: free text only within 24 hours of the patient's last message.

Outside it WhatsApp accepts only a template the clinic had approved (a Content template, HX…); a kind without one
is not sent by WhatsApp at all but goes to the next channel in CHANNEL_ORDER, decided before sending.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

WINDOW = timedelta(hours=24)


class Mode(StrEnum):
    FREE_TEXT = "free_text"  # inside the window: the rendered text, as for SMS
    TEMPLATE = "template"  # outside it: the approved Content template with its numbered variables
    UNAVAILABLE = "unavailable"  # outside it, and no approved template: the next channel carries it


def mode(*, last_inbound_at: datetime | None, has_template: bool, now: datetime) -> Mode:
    """How a WhatsApp message may go now."""
    if last_inbound_at is not None and now - last_inbound_at < WINDOW:
        return Mode.FREE_TEXT
    return Mode.TEMPLATE if has_template else Mode.UNAVAILABLE


def numbered(mapping: dict[str, str], variables: dict[str, object]) -> dict[str, str]:
    """The template's numbered variables ({"1": "first_name"}) filled from Recall's ({"first_name": "Léa"})."""
    return {number: str(variables.get(name, "") or "") for number, name in sorted(mapping.items())}
