"""One-click email unsubscribe (RFC 8058) with a signed link that identifies the patient and nothing else.

GET shows a page with a button and changes nothing: mail scanners prefetch links.
POST unsubscribes at once, with no cookie, login or CSRF token, because the mail
provider posts `List-Unsubscribe=One-Click` on the patient's behalf; the HMAC in the
token is what makes it safe.
"""

from __future__ import annotations

import logging
from html import escape

from flask import Blueprint, request
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, URLSafeSerializer

from .consent import opt_out
from .domain.vocabulary import Channel
from .extensions import db
from .models import Patient
from .runtime import get_settings
from .timeutil import utcnow

bp = Blueprint("unsubscribe", __name__)
log = logging.getLogger(__name__)
SALT = "recall.email-unsubscribe"


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=SALT)


def make_token(secret_key: str, patient_id: int) -> str:
    return _serializer(secret_key).dumps({"p": patient_id, "c": "email"})


def read_token(secret_key: str, token: str) -> int | None:
    try:
        data = _serializer(secret_key).loads(token)
    except BadSignature:
        return None
    return int(data["p"]) if isinstance(data, dict) and data.get("c") == "email" else None


def unsubscribe_url(base_url: str | None, secret_key: str, patient_id: int) -> str | None:
    if not base_url:
        return None
    return f"{base_url}/unsubscribe/{make_token(secret_key, patient_id)}"


def _page(title: str, body: str, status: int = 200) -> ResponseReturnValue:
    settings = get_settings()
    html = (
        "<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport content='width=device-width'>"
        f"<title>{escape(title)}</title><body style='font-family:sans-serif;max-width:32em;margin:3em auto'>"
        f"<h1>{escape(settings.clinic_name)}</h1>{body}</body></html>"
    )
    return html, status, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> ResponseReturnValue:
    settings = get_settings()
    patient_id = read_token(settings.secret_key, token)
    patient = db.session.get(Patient, patient_id) if patient_id is not None else None
    if patient is None:
        return _page(
            "Link not valid",
            f"<p>This unsubscribe link is not valid. Please call the clinic on {escape(settings.clinic_phone)}.</p>",
            404,
        )
    if request.method == "GET":
        if patient.email_unsubscribed_at is not None:
            return _page("Unsubscribed", "<p>You no longer receive emails from us.</p>")
        return _page(
            "Unsubscribe",
            "<p>Stop receiving reminder emails from us?</p>"
            "<form method=post><input type=hidden name=List-Unsubscribe value=One-Click>"
            "<button type=submit>Unsubscribe</button></form>",
        )
    if opt_out(db.session, patient, Channel.EMAIL, actor="patient:one-click-unsubscribe", settings=settings, now=utcnow()):
        log.info("patient %s unsubscribed from email", patient.id)
    db.session.commit()
    return _page(
        "Unsubscribed",
        "<p>You will no longer receive emails from us. Text messages, if you receive them,"
        " are not affected; reply STOP to stop those.</p>",
    )
