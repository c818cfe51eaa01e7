"""Store a verified webhook post and apply its events, exactly once per event id."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from ..domain.events import StatusEvent
from ..extensions import db
from ..ingest import apply_booking_event, apply_status_event
from ..models import WebhookEvent
from ..settings import Settings
from ..textclean import storable
from .posts import WebhookPost

log = logging.getLogger(__name__)


def body_hash(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def record_rejected(source: str, raw: bytes, error: str, now: datetime) -> None:
    """Keep a verified but unusable post for staff to see, keyed by its bytes (its id may be the problem)."""
    key = body_hash(raw)
    log.warning("%s webhook post rejected: %s", source, error[:300])  # the formatter masks any number or address quoted
    if db.session.execute(select(WebhookEvent.id).where(WebhookEvent.source == source, WebhookEvent.event_id == key)).first():
        return
    db.session.add(
        WebhookEvent(
            source=source,
            event_id=key,
            payload=storable(raw.decode("utf-8", "replace")),
            outcome="rejected",
            error=storable(error[:2000]),
            received_at=now,
        )
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()


def accept(source: str, post: WebhookPost, raw: bytes, settings: Settings, now: datetime) -> tuple[dict[str, object], int]:
    """Apply the events of one post in one transaction; a repeated event id changes nothing."""
    event_id, events, ignored, warnings = post.event_id, post.events, post.ignored, post.warnings
    outcome, error = ("ignored", storable(ignored[:2000])) if ignored else ("processed", None)
    if warnings and not ignored:
        error = storable("; ".join(warnings)[:2000])
    table = cast(Table, WebhookEvent.__table__)
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    try:
        # The unique (source, event_id) claims this post before any work: one statement, and none inserted
        # (no error either) when it was seen before.
        record_id = db.session.execute(
            insert(table)
            .values(
                source=source,
                event_id=storable(event_id),
                event_type=storable((post.event_type or "")[:64]) or None,
                payload=storable(raw.decode("utf-8", "replace")),
                outcome=outcome,
                received_at=now,
                error=error,
            )
            .on_conflict_do_nothing(index_elements=["source", "event_id"])
            .returning(table.c.id)
        ).scalar_one_or_none()
        if record_id is None:
            db.session.rollback()
            return {"status": "duplicate", "event_id": event_id}, 200
        results = [
            apply_status_event(db.session, e, settings, now)
            if isinstance(e, StatusEvent)
            else apply_booking_event(db.session, e, settings, now)
            for e in events
        ]
        if results and all(r.outcome == "stale" for r in results):
            outcome = "ignored"
            db.session.execute(
                update(table).where(table.c.id == record_id).values(outcome=outcome, error="older than what was already applied")
            )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return {"status": "duplicate", "event_id": event_id}, 200
    except LookupError as exc:  # a status for an appointment never booked here
        db.session.rollback()
        record_rejected(source, raw, str(exc), now)
        return {"error": str(exc), "details": []}, 422
    body: dict[str, object] = {"status": outcome, "event_id": event_id}
    if results:
        body["appointment_ids"] = [r.appointment_id for r in results]
    if warnings:
        body["warnings"] = warnings
    return body, 200
