"""SMS through the official Twilio client: the only module that sends with `twilio` (webhooks/twilio_* read its callbacks)."""

from __future__ import annotations

import logging
import os
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ..contacts import mask_phone
from . import SendResult

log = logging.getLogger(__name__)

# Twilio error codes that no retry can fix (invalid, unroutable or landline numbers, geo permissions).
PERMANENT_CODES = {21211, 21212, 21408, 21606, 21608, 21612, 21614, 21635, 30005, 30006}
# Rate and queue limits: the request was not processed, so trying later is safe.
BACKOFF_CODES = {20429, 21611, 30001}
OPTED_OUT_CODE = 21610


def classify(exc: TwilioRestException) -> SendResult:
    code = exc.code if isinstance(exc.code, int) else None
    message = str(exc.msg or "")[:300]

    def refused(*, retryable: bool, opted_out: bool = False) -> SendResult:
        return SendResult(
            ok=False,
            provider="twilio",
            error_code=str(code or exc.status),
            error_message=message,
            retryable=retryable,
            recipient_opted_out=opted_out,
        )

    if code == OPTED_OUT_CODE:
        return refused(retryable=False, opted_out=True)
    if code in PERMANENT_CODES:
        return refused(retryable=False)
    if code in BACKOFF_CODES or exc.status == 429 or exc.status >= 500:
        return refused(retryable=True)
    return refused(retryable=False)


class TwilioSmsSender:
    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_number: str | None,
        messaging_service_sid: str | None,
        api_base_url: str | None = None,
        status_callback_base: str | None = None,
        timeout_seconds: float = 10.0,
        concurrency: int = 8,
    ) -> None:
        # The environment's proxy for the API, read once: with `trust_env`, requests re-reads it on every send.
        proxies = get_environ_proxies(api_base_url or "https://api.twilio.com")
        http = TwilioHttpClient(timeout=timeout_seconds, proxy=proxies or None)
        http.session.trust_env = False
        ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if ca_bundle:  # what trust_env would have read: a clinic behind an inspecting proxy has its own CA
            http.session.verify = ca_bundle
        # One kept-alive connection per sending thread: twilio's default pool keeps min(32, CPUs + 4), so with more
        # threads than that every extra send paid for a new TCP and TLS handshake, and urllib3 warned on each one.
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(1, concurrency))
        http.session.mount("https://", adapter)
        http.session.mount("http://", adapter)
        self._client = Client(account_sid, auth_token, http_client=http)
        if api_base_url:
            # twilio 9.x builds every Messages URL from this attribute (tests point it at a fake on 127.0.0.1).
            self._client.api.base_url = api_base_url
        self._from = from_number
        self._service = messaging_service_sid
        self._callback_base = status_callback_base

    @property
    def client(self) -> Client:
        """The configured client, shared with the WhatsApp sender."""
        return self._client

    def status_callback_url(self, reminder_id: int | None) -> str | None:
        if not self._callback_base or reminder_id is None:
            return None
        return f"{self._callback_base}/webhooks/twilio/status?reminder={reminder_id}"

    def send_sms(self, to: str, body: str, *, reminder_id: int | None, label: str | None = None) -> SendResult:
        kwargs: dict[str, object] = {"to": to, "body": body}
        if self._service:
            kwargs["messaging_service_sid"] = self._service
        else:
            kwargs["from_"] = self._from
        callback = self.status_callback_url(reminder_id)
        if callback:
            kwargs["status_callback"] = callback
        return create_message(self._client, kwargs, classify, "sms", to)


def create_message(client: Any, kwargs: dict[str, object], classify_error: Any, what: str, to: str) -> SendResult:
    """One Messages API call and what became of it, for SMS and WhatsApp alike (only the error codes' meaning differs)."""
    try:
        message = client.messages.create(**kwargs)
    except TwilioRestException as exc:
        result: SendResult = classify_error(exc)
        log.warning("twilio refused %s to %s: %s %s", what, mask_phone(to), result.error_code, result.error_message)
        return result
    except requests.Timeout as exc:
        # Twilio may have accepted it; the status callback carrying our reminder id will tell.
        return SendResult(
            ok=False,
            provider="twilio",
            error_code="timeout",
            error_message=str(exc)[:300],
            retryable=True,
            ambiguous=not isinstance(exc, requests.ConnectTimeout),
        )
    except requests.RequestException as exc:
        return SendResult(ok=False, provider="twilio", error_code="connection", error_message=str(exc)[:300], retryable=True)
    log.info("twilio accepted %s %s to %s", what, message.sid, mask_phone(to))
    return SendResult(ok=True, provider="twilio", provider_message_id=message.sid)
