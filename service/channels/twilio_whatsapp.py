"""WhatsApp through the same official Twilio client as SMS: `whatsapp:+E164` addresses, free text or a Content template."""

from __future__ import annotations

import logging

from twilio.base.exceptions import TwilioRestException

from . import SendResult, WhatsAppMessage
from .twilio_sms import TwilioSmsSender, classify, create_message

log = logging.getLogger(__name__)

OUTSIDE_WINDOW = 63016  # free text outside the 24-hour window: the next channel (or a template) carries it
INVALID_RECIPIENT = 63024  # not a WhatsApp user: the front desk checks the number
RATE_LIMITED = 63018  # WhatsApp's own rate limit: try again later


def classify_whatsapp(exc: TwilioRestException) -> SendResult:
    code = exc.code if isinstance(exc.code, int) else None
    message = str(exc.msg or "")[:300]
    if code == OUTSIDE_WINDOW:
        return SendResult(ok=False, provider="twilio", error_code=str(code), error_message=message, wrong_channel=True)
    if code == INVALID_RECIPIENT:
        return SendResult(ok=False, provider="twilio", error_code=str(code), error_message=message)
    if code == RATE_LIMITED:
        return SendResult(ok=False, provider="twilio", error_code=str(code), error_message=message, retryable=True)
    return classify(exc)


def address(phone: str) -> str:
    return phone if phone.startswith("whatsapp:") else f"whatsapp:{phone}"


class TwilioWhatsAppSender:
    """Shares the SMS sender's client (one connection pool, one status callback URL); only the addressing differs."""

    name = "twilio"

    def __init__(self, sms: TwilioSmsSender, *, whatsapp_from: str | None, messaging_service_sid: str | None) -> None:
        self._sms = sms
        self._from = whatsapp_from
        self._service = messaging_service_sid

    def send_whatsapp(self, message: WhatsAppMessage, *, reminder_id: int | None, label: str | None = None) -> SendResult:
        kwargs: dict[str, object] = {"to": address(message.to)}
        if self._from:
            kwargs["from_"] = self._from
        else:
            kwargs["messaging_service_sid"] = self._service
        if message.content_sid:
            kwargs["content_sid"] = message.content_sid
            kwargs["content_variables"] = message.content_variables or "{}"
        else:
            kwargs["body"] = message.body
        callback = self._sms.status_callback_url(reminder_id)
        if callback:
            kwargs["status_callback"] = callback
        return create_message(self._sms.client, kwargs, classify_whatsapp, "whatsapp", message.to)
