"""Claiming due reminders under a lease, and recovering the leases of a dispatcher that died.

Two dispatchers never claim one row: the claim is an UPDATE over
`SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL), or runs under SQLite's single
writer. A claimed row is `sending` until its lease ends; the sending transaction
re-checks the lease before it calls a provider.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from .domain import lifecycle
from .extensions import DbSession
from .models import Reminder
from .settings import Settings


def lease_for(settings: Settings) -> timedelta:
    """Long enough to send a whole batch at the paced rate, twice over."""
    return timedelta(seconds=max(300.0, 2 * settings.dispatch_batch_size / settings.sms_rate_per_second))


def claim(db_session: DbSession, worker: str, now: datetime, limit: int, lease: timedelta) -> list[int]:
    """Up to `limit` due reminders, oldest first, now this worker's until `now + lease`."""
    due = (
        select(Reminder.id)
        .where(Reminder.status == lifecycle.CLAIMABLE, Reminder.next_attempt_at <= now)
        .order_by(Reminder.next_attempt_at, Reminder.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        update(Reminder)
        .where(Reminder.id.in_(due.scalar_subquery()))
        .values(**lifecycle.claimed(worker, now + lease, now))
        .returning(Reminder.id)
        .execution_options(synchronize_session=False)
    )
    ids = list(db_session.execute(stmt).scalars())
    db_session.commit()
    return sorted(ids)


def recover_expired(db_session: DbSession, now: datetime) -> int:
    """Rows whose dispatcher died mid-send: settled as sent if the provider told us, else tried again."""
    rows = (
        db_session.execute(
            select(Reminder)
            .where(Reminder.status == lifecycle.SENDING, Reminder.lease_until < now)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    for row in rows:
        lifecycle.recover(row, now)
    db_session.commit()
    return len(rows)
