"""Channels carry a rendered message to a provider. Each is one small module behind one interface."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ..domain.vocabulary import Channel


@dataclass(frozen=True)
class SendResult:
    """What a provider said. `retryable` tells the dispatcher whether trying again can help."""

    ok: bool
    provider: str
    provider_message_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    retryable: bool = False
    retry_after_seconds: float | None = None
    # The provider says this recipient has opted out (Twilio 21610): stop, and remember it.
    recipient_opted_out: bool = False
    # The request may have reached the provider (a read timeout): resend only once its status callback had time to say.
    ambiguous: bool = False
    # This channel cannot carry it now (WhatsApp 63016, outside the 24-hour window): the next channel in the order.
    wrong_channel: bool = False


@dataclass(frozen=True)
class EmailMessageSpec:
    to: str
    subject: str
    text: str
    html: str | None = None
    ics: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WhatsAppMessage:
    """Free text (`body`) inside the 24-hour window, else an approved Content template and its variables (JSON)."""

    to: str  # E.164; the sender adds the whatsapp: prefix
    body: str
    content_sid: str | None = None
    content_variables: str | None = None  # a JSON object of numbered variables: {"1": "Léa", "2": "10:00"}


class SmsSender(Protocol):
    """`label` says what the message is for an operator's log ("reminder_24h, 2026-12-01 10:00 Europe/Paris"):
    never a name, number or address. Providers may ignore it."""

    name: str

    def send_sms(self, to: str, body: str, *, reminder_id: int | None, label: str | None = None) -> SendResult: ...


class EmailSender(Protocol):
    name: str

    def send_email(self, message: EmailMessageSpec, *, reminder_id: int | None, label: str | None = None) -> SendResult: ...


class WhatsAppSender(Protocol):
    name: str

    def send_whatsapp(self, message: WhatsAppMessage, *, reminder_id: int | None, label: str | None = None) -> SendResult: ...


@dataclass(frozen=True)
class Senders:
    """The app's transports, one per channel (the console transport for each when nothing is configured)."""

    sms: SmsSender
    email: EmailSender
    whatsapp: WhatsAppSender | None = None  # None: the console transport stands in (see sending)

    def name_of(self, channel: Channel) -> str:
        if channel is Channel.WHATSAPP:
            return self.whatsapp.name if self.whatsapp is not None else "console"
        return (self.sms if channel is Channel.SMS else self.email).name
