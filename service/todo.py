"""The front desk's to-do list: `add` is the one way an item is made, `done` the one way it ends.

An item has a key naming its cause ("reply:12", "no_show:40"), so the same cause never makes two items however often
its event arrives. Items say who, when and what; the panel lists them and the daily digest emails the open ones.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from .domain.vocabulary import TodoKind
from .extensions import DbSession
from .models import TodoItem


def add(
    db_session: DbSession,
    kind: TodoKind,
    key: str,
    now: datetime,
    *,
    patient_id: int | None,
    appointment_id: int | None = None,
    detail: str | None = None,
) -> TodoItem:
    """The open item for this cause, made if there is none yet (an item once done is not reopened by a repeat)."""
    found = db_session.execute(select(TodoItem).where(TodoItem.key == key)).scalar_one_or_none()
    if found is not None:
        return found
    item = TodoItem(
        kind=str(kind),
        key=key[:100],
        patient_id=patient_id,
        appointment_id=appointment_id,
        detail=(detail or None) and detail[:2000],
        created_at=now,
    )
    db_session.add(item)
    return item


def done(item: TodoItem, who: str, now: datetime) -> bool:
    """Mark it done by `who`; False if it already was (the first one to act keeps the credit)."""
    if item.done_at is not None:
        return False
    item.done_at, item.done_by = now, who
    return True
