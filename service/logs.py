"""Logs an operator can ship anywhere: one JSON object a line, a request id, and no patient's number or address.

Call sites already mask what they log (`contacts.mask_phone`); the formatter scrubs again whatever slips
through, exception text included, because a database error can quote the row it refused.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from datetime import UTC, datetime
from typing import IO, Any

from flask import Flask, Response, g, has_request_context, request

from .contacts import mask_email, mask_phone

E164_RE = re.compile(r"\+\d[\d \-.]{6,18}\d")
NATIONAL_RE = re.compile(r"(?<![\w+])0\d(?:[ .\-]?\d{2}){4}(?!\w)")  # 06 11 22 33 44, 0611223344
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")


def _mask_e164(match: re.Match[str]) -> str:
    digits = "+" + re.sub(r"\D", "", match.group(0))
    return mask_phone(digits) if 9 <= len(digits) <= 16 else match.group(0)


def scrub(text: str) -> str:
    """Mask anything shaped like a phone number or an email address."""
    if not text:
        return text
    text = EMAIL_RE.sub(lambda m: mask_email(m.group(0)), text)
    text = E164_RE.sub(_mask_e164, text)
    return NATIONAL_RE.sub(lambda m: m.group(0)[:2] + "•• •• •• " + m.group(0)[-2:], text)


def current_request_id() -> str | None:
    return getattr(g, "request_id", None) if has_request_context() else None


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        if request_id := getattr(record, "request_id", None):  # set by the request's log filter
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = scrub(super().format(record))
        rid = getattr(record, "request_id", None)
        return f"{line} [request {rid}]" if rid else line


def build_handler(log_format: str, stream: IO[str] | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    handler.set_name("recall")
    return handler


def configure_logging(log_format: str) -> None:
    """Our handler on the root logger, once per process; a host that set up logging itself (pytest) keeps its own."""
    root = logging.getLogger()
    if not root.handlers:  # gunicorn.conf.py installs the same formatter itself
        root.addHandler(build_handler(log_format))
        root.setLevel(logging.INFO)
    logging.getLogger("service").setLevel(logging.INFO)
    # twilio's HTTP client logs every request's headers and URL at INFO: noise at best, and not ours to vouch for.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)


ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")
STATIC_REQUEST_RE = re.compile(r"^[A-Z]+ (?:/admin)?/static/")


class QuietStaticAssets(logging.Filter):
    """The dev server's access lines for stylesheets, scripts and icons drown the ones that matter in the demo's
    console: drop those that succeeded (2xx, 304); a failing asset and every other request still show."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        if len(args) != 3 or not isinstance(args[0], str):  # werkzeug's access line: ('"%s" %s %s', line, code, size)
            return True
        request_line, code = ANSI_RE.sub("", args[0]), str(args[1])
        return not (STATIC_REQUEST_RE.match(request_line) and (code.startswith("2") or code == "304"))


def quiet_static_assets() -> QuietStaticAssets:
    """Install the filter on the werkzeug logger (the `serve` command's); returns it so a caller can remove it."""
    quiet = QuietStaticAssets()
    logging.getLogger("werkzeug").addFilter(quiet)
    return quiet


def init_request_ids(app: Flask) -> None:
    """Take the proxy's X-Request-ID when it is sane, else make one; hand it back, and put it on every log line."""

    @app.before_request
    def _request_id() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID_RE.match(given) else uuid.uuid4().hex

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        if getattr(g, "request_id", None):
            response.headers.setdefault("X-Request-ID", g.request_id)
        return response
