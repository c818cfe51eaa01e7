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


@dataclass(frozen=True)
class EmailMessageSpec:
    to: str
    subject: str
    text: str
    html: str | None = None
    ics: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


class SmsSender(Protocol):
    """`label` says what the message is for an operator's log ("reminder_24h, 2026-12-01 10:00 Europe/Paris"):
    never a name, number or address. Providers may ignore it."""

    name: str

    def send_sms(self, to: str, body: str, *, reminder_id: int | None, label: str | None = None) -> SendResult: ...


class EmailSender(Protocol):
    name: str

    def send_email(self, message: EmailMessageSpec, *, reminder_id: int | None, label: str | None = None) -> SendResult: ...


@dataclass(frozen=True)
class Senders:
    """The app's transports, one per channel (the console transport for both when nothing is configured)."""

    sms: SmsSender
    email: EmailSender

    def name_of(self, channel: Channel) -> str:
        return (self.sms if channel is Channel.SMS else self.email).name
