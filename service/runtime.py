"""Typed access to what the app factory built: the settings, the senders and the pacer.

One `Runtime` per app, kept in `app.extensions`; code reaches it through these
functions (typed) instead of `app.extensions["recall.*"]` (typed `Any`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask import Flask, current_app

from .channels import Senders
from .pacing import Pacer
from .settings import Settings

KEY = "recall"


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    senders: Senders
    pacer: Pacer  # one per process: every dispatcher thread shares the provider's rate
    whatsapp_pacer: Pacer | None = None  # WhatsApp's own rate (WHATSAPP_RATE_PER_SECOND), paced apart from SMS


def install(app: Flask, runtime: Runtime) -> None:
    app.extensions[KEY] = runtime


def current_runtime(app: Flask | None = None) -> Runtime:
    found = (app or current_app).extensions[KEY]
    assert isinstance(found, Runtime)
    return found


def get_settings(app: Flask | None = None) -> Settings:
    return current_runtime(app).settings


def get_senders(app: Flask | None = None) -> Senders:
    return current_runtime(app).senders


def get_pacer(app: Flask | None = None) -> Pacer:
    return current_runtime(app).pacer


def get_whatsapp_pacer(app: Flask | None = None) -> Pacer | None:
    return current_runtime(app).whatsapp_pacer


def override(app: Flask, *, settings: Settings | None = None, senders: Senders | None = None) -> None:
    """Swap the settings or senders of a running app (tests pointing it at another fake)."""
    now = current_runtime(app)
    install(app, replace(now, settings=settings or now.settings, senders=senders or now.senders))
