"""Daily delivery counts in the clinic's calendar: counted in SQL, kept once a day is settled.

Receipts and retries still change a day for a while after it ends, so the last `SETTLING_DAYS` days and today
are always counted live; older days are counted once and kept in `delivery_day`.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .models import DeliveryDay, Reminder
from .timeutil import utcnow

SETTLING_DAYS = 3
FINAL_PROVIDER_STATUSES = ("delivered", "read", "undelivered", "failed")


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _local_day(session: Session, column: Any, zone: str) -> Any:
    """The clinic's calendar day of a UTC timestamp, in SQL. PostgreSQL converts zones itself; SQLite is given
    today's UTC offset (a day next to a clock change may be off by an hour there, a development setup)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(zone, column))
    offset = datetime.now(ZoneInfo(zone)).utcoffset() or timedelta(0)
    return func.date(column, f"{int(offset.total_seconds() // 60):+d} minutes")


def count_days(session: Session, zone: str, first: date, last: date) -> dict[date, Counter[str]]:
    """sent, delivered, failed and reported per local day from `first` to `last` included, from the reminders."""
    tz = ZoneInfo(zone)
    since, until = _start_of(first, tz), _start_of(last + timedelta(days=1), tz)
    per_day: dict[date, Counter[str]] = {}

    def add(column: Any, where: Any, name: str | None) -> None:
        """Counts per day and status, or per day under `name`."""
        day = _local_day(session, column, zone)
        keys = (day,) if name else (day, Reminder.status)
        for row in session.execute(
            select(*keys, func.count()).where(column >= since, column < until, where).group_by(*keys)
        ).all():
            key = name or str(row[1])
            per_day.setdefault(date.fromisoformat(str(row[0])[:10]), Counter())[key] += row[-1]

    add(Reminder.sent_at, Reminder.status.in_(("sent", "delivered")), None)
    add(Reminder.updated_at, Reminder.status == "failed", None)
    add(Reminder.sent_at, Reminder.provider_status.in_(FINAL_PROVIDER_STATUSES), "reported")
    return per_day


def keep_settled_days(session: Session, zone: str, today: date, days: int = 30) -> int:
    """Count and keep the settled days of the last `days` that are not kept yet; the daily sweep calls it."""
    settled_until = today - timedelta(days=SETTLING_DAYS + 1)
    first = today - timedelta(days=days - 1)
    if settled_until < first:
        return 0
    kept = set(session.execute(
        select(DeliveryDay.day).where(DeliveryDay.zone == zone, DeliveryDay.day >= first, DeliveryDay.day <= settled_until)
    ).scalars())
    missing = [first + timedelta(days=n) for n in range((settled_until - first).days + 1)]
    missing = [d for d in missing if d not in kept]
    if not missing:
        return 0
    counts = count_days(session, zone, missing[0], missing[-1])
    now = utcnow()
    session.execute(delete(DeliveryDay).where(DeliveryDay.zone == zone, DeliveryDay.day.in_(missing)))
    for day in missing:
        c = counts.get(day, Counter())
        session.add(DeliveryDay(day=day, zone=zone, sent=c["sent"] + c["delivered"], delivered=c["delivered"],
                                failed=c["failed"], reported=c["reported"], counted_at=now))
    session.commit()
    return len(missing)


def daily_counts(session: Session, zone: str, today: date, days: int = 30) -> list[tuple[date, int, int, int, int]]:
    """(day, sent, delivered, failed, reported) for the last `days` local days, oldest first."""
    keep_settled_days(session, zone, today, days)
    first = today - timedelta(days=days - 1)
    kept = {row.day: row for row in session.execute(
        select(DeliveryDay).where(DeliveryDay.zone == zone, DeliveryDay.day >= first, DeliveryDay.day <= today)
    ).scalars()}
    live_from = max(first, today - timedelta(days=SETTLING_DAYS))
    live = count_days(session, zone, live_from, today)
    rows = []
    for n in range(days):
        day = first + timedelta(days=n)
        if day < live_from and day in kept:
            k = kept[day]
            rows.append((day, k.sent, k.delivered, k.failed, k.reported))
        else:
            c = live.get(day, Counter())
            rows.append((day, c["sent"] + c["delivered"], c["delivered"], c["failed"], c["reported"]))
    return rows
