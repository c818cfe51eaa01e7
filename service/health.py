"""Liveness that means something: the database answers."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.warning("health check: database down: %s", type(exc).__name__)
        return jsonify({"status": "down", "database": "down"}), 503
    return jsonify({"status": "ok", "database": "ok"}), 200


@bp.get("/livez")
def livez() -> ResponseReturnValue:
    """The process answers, nothing more (a liveness probe; /healthz is the readiness one)."""
    return jsonify({"status": "ok"}), 200
