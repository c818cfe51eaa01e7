"""The Content-Security-Policy: scripts only from this site or with this response's nonce, no inline code else.

Flask-Admin 2.2 puts the nonce on every <script> it renders (Admin(csp_nonce_generator=…)). It also writes a few
fixed inline event handlers (a delete button's confirm, the filter and action menus): those exact strings, and
nothing else, are allowed by hash with 'unsafe-hashes'. A page that gained another inline handler would have it
blocked, and tests/admin/test_csp.py fails on it first. Styles keep 'unsafe-inline': Flask-Admin's templates
and its widgets (select2, the date pickers) set style attributes, and a style cannot run code.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterable

from flask import Flask, current_app, g

# Flask-Admin 2.2's own inline handlers, as the browser reads them; the action menu's are added per action name.
FLASK_ADMIN_HANDLERS = (
    "return faHelpers.safeConfirm('Are you sure you want to delete this record?');",
    "return false;",
    "javascript:void(0)",  # links that only a script's click handler acts on
)


def nonce() -> str:
    """One per response, unguessable: a script injected into a page cannot know it."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return str(g.csp_nonce)


def action_handler(name: str) -> str:
    return f"return modelActions.execute('{name}');"


def allow_handlers(app: Flask, handlers: Iterable[str]) -> None:
    allowed = app.extensions.setdefault("recall.csp.handlers", set(FLASK_ADMIN_HANDLERS))
    allowed.update(handlers)


def source_hash(code: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(code.encode()).digest()).decode() + "'"


def header() -> str:
    handlers = current_app.extensions.get("recall.csp.handlers", set(FLASK_ADMIN_HANDLERS))
    hashes = " ".join(sorted(source_hash(h) for h in handlers))
    return (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce()}' 'unsafe-hashes' {hashes}; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
    )
