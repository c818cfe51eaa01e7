"""Which channel is tried first and what falls back to what: CHANNEL_ORDER, as plain rules.

With the default order (sms, email) each channel falls back to the other, as Recall always did. With a third channel
the fallback is the next one in the order, then the ones before it, so a message goes once to each channel at most.
"""

from __future__ import annotations

from collections.abc import Iterable

from .vocabulary import Channel

DEFAULT_ORDER: tuple[Channel, ...] = (Channel.SMS, Channel.EMAIL)
PHONE_CHANNELS = (Channel.SMS, Channel.WHATSAPP)


def parse(names: Iterable[str]) -> tuple[Channel, ...]:
    """The order from the settings' names (validated there)."""
    return tuple(Channel(name) for name in names)


def after(order: tuple[Channel, ...], channel: Channel) -> tuple[Channel, ...]:
    """Where `channel` falls back to, best first: the channels after it in the order, then those before it."""
    if channel not in order:
        return order
    at = order.index(channel)
    return order[at + 1 :] + order[:at]


def first_choice(order: tuple[Channel, ...], preferred: Channel) -> Channel:
    """A kind's preferred channel as the order has it: a message meant for the phone goes by the first phone channel
    in the order (WhatsApp when the clinic puts it before SMS)."""
    if preferred in PHONE_CHANNELS:
        phones = [c for c in order if c in PHONE_CHANNELS]
        if phones:
            return phones[0]
    return preferred


def candidates(order: tuple[Channel, ...], preferred: Channel, patient_choice: Channel | None = None) -> tuple[Channel, ...]:
    """Every channel a message may take, best first: the patient's own choice, the kind's, then the order's fallbacks."""
    start = first_choice(order, preferred)
    ranked = ([patient_choice] if patient_choice in order else []) + [start, *after(order, start)]
    return tuple(dict.fromkeys(c for c in ranked if c is not None and c in order))
