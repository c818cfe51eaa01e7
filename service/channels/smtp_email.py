"""Email over SMTP with the standard library: multipart text + HTML, and an iCalendar invitation."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from ..contacts import mask_email
from . import EmailMessageSpec, SendResult
from .mailheaders import POLICY, UnsafeHeader, header_text, mailbox

log = logging.getLogger(__name__)


def build_mime(spec: EmailMessageSpec, mail_from: str, *, message_id: str) -> EmailMessage:
    """Every header value goes through mailheaders first: a patient's name in the subject must stay text."""
    msg = EmailMessage(policy=POLICY)
    msg["From"] = mailbox(mail_from)
    msg["To"] = mailbox(spec.to)
    msg["Subject"] = header_text(spec.subject)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = header_text(message_id)
    for name, value in spec.headers.items():
        msg[header_text(name)] = header_text(value)
    msg.set_content(spec.text)
    if spec.html:
        msg.add_alternative(spec.html, subtype="html")
    if spec.ics:
        # RFC 6047: an iMIP part names its METHOD; the attachment copy helps clients that only read attachments.
        # As text with charset=utf-8: a clinic called "Lumière" must not arrive as "LumiÃ¨re" in the calendar.
        ics = spec.ics.decode("utf-8")
        msg.add_alternative(ics, subtype="calendar", charset="utf-8", params={"method": "PUBLISH"})
        msg.add_attachment(ics, subtype="calendar", charset="utf-8", filename="session.ics")
    return msg


class SmtpEmailSender:
    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        *,
        mail_from: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        timeout_seconds: float = 15.0,
    ) -> None:
        self._host, self._port = host, port
        self._from = mail_from
        self._username, self._password = username, password
        self._starttls = starttls
        self._timeout = timeout_seconds

    def send_email(self, message: EmailMessageSpec, *, reminder_id: int | None, label: str | None = None) -> SendResult:
        domain = self._from.rpartition("@")[2].strip(">") or "recall.local"
        message_id = make_msgid(idstring=f"reminder-{reminder_id}", domain=domain)
        try:
            mime = build_mime(message, self._from, message_id=message_id)
        except UnsafeHeader as exc:
            return self._failure(message.to, "invalid-header", str(exc), retryable=False)
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                if self._starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self._username:
                    smtp.login(self._username, self._password or "")
                # The envelope names the one patient, whatever the headers say.
                envelope_to = [mime["To"].addresses[0].addr_spec]
                smtp.send_message(mime, from_addr=mime["From"].addresses[0].addr_spec, to_addrs=envelope_to)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return self._failure(message.to, str(code), text, retryable=code < 500)
        except smtplib.SMTPResponseException as exc:
            return self._failure(message.to, str(exc.smtp_code), exc.smtp_error, retryable=exc.smtp_code < 500)
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            return self._failure(message.to, "connection", str(exc).encode(), retryable=True)
        log.info("smtp accepted email %s to %s", message_id, mask_email(message.to))
        return SendResult(ok=True, provider="smtp", provider_message_id=message_id.strip("<>"))

    def _failure(self, to: str, code: str, text: bytes | str, *, retryable: bool) -> SendResult:
        detail = text.decode(errors="replace") if isinstance(text, bytes) else text
        log.warning("smtp refused email to %s: %s %s", mask_email(to), code, detail[:200])
        return SendResult(ok=False, provider="smtp", error_code=code, error_message=detail[:300], retryable=retryable)
