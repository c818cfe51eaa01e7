"""The transport used when no provider is configured: it logs (masked) and keeps what it 'sent'.

This is what lets `make demo` run anywhere; the rows it sends are marked
provider `console`, so nobody mistakes them for delivered messages.
"""

from __future__ import annotations

import itertools
import logging
import threading
from dataclasses import dataclass

from ..contacts import mask_email, mask_phone
from . import EmailMessageSpec, SendResult, WhatsAppMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConsoleRecord:
    channel: str
    to: str
    body: str
    subject: str | None
    reminder_id: int | None
    message_id: str


class ConsoleTransport:
    """An SmsSender, an EmailSender and a WhatsAppSender."""

    name = "console"

    def __init__(self) -> None:
        self.sent: list[ConsoleRecord] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def _record(self, channel: str, to: str, body: str, subject: str | None, reminder_id: int | None) -> SendResult:
        with self._lock:
            message_id = f"console-{channel}-{next(self._ids)}"
            self.sent.append(ConsoleRecord(channel, to, body, subject, reminder_id, message_id))
        return SendResult(ok=True, provider="console", provider_message_id=message_id)

    def send_sms(self, to: str, body: str, *, reminder_id: int | None, label: str | None = None) -> SendResult:
        result = self._record("sms", to, body, None, reminder_id)
        log.info(
            "console sms %s to %s%s (reminder %s, %d chars)",
            result.provider_message_id,
            mask_phone(to),
            f": {label}" if label else "",
            reminder_id,
            len(body),
        )
        return result

    def send_whatsapp(self, message: WhatsAppMessage, *, reminder_id: int | None, label: str | None = None) -> SendResult:
        body = message.body if not message.content_sid else f"[{message.content_sid}] {message.content_variables}"
        result = self._record("whatsapp", message.to, body, None, reminder_id)
        log.info("console whatsapp %s to %s%s", result.provider_message_id, mask_phone(message.to), f": {label}" if label else "")
        return result

    def send_email(self, message: EmailMessageSpec, *, reminder_id: int | None, label: str | None = None) -> SendResult:
        result = self._record("email", message.to, message.text, message.subject, reminder_id)
        log.info(
            "console email %s to %s%s (reminder %s)",
            result.provider_message_id,
            mask_email(message.to),
            f": {label}" if label else "",
            reminder_id,
        )
        return result
