"""Daily delivery counts in the clinic's calendar: counted in SQL, kept once a day is settled.

Receipts and retries still change a day for a while after it ends, so the last `SETTLING_DAYS` days and today
are always counted live; older days are counted once and kept in `delivery_day`.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select

from .domain.vocabulary import WENT_OUT, ReminderStatus
from .extensions import DbSession
from .models import DeliveryDay, Reminder
from .timeutil import utcnow

SETTLING_DAYS = 3
FINAL_PROVIDER_STATUSES = ("delivered", "read", "undelivered", "failed")


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def count_days(session: DbSession, zone: str, first: date, last: date) -> dict[date, Counter[str]]:
    """sent (or delivered), delivered, failed and reported per local day from `first` to `last` included.

    Each day's bounds are computed here in the clinic's zone (a day can be 23 or 25 hours long) and counted with
    `FILTER`, so the database compares timestamps on an index range instead of converting every row's zone.
    """
    tz = ZoneInfo(zone)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    bounds = [(_start_of(day, tz), _start_of(day + timedelta(days=1), tz)) for day in days]
    since, until = bounds[0][0], bounds[-1][1]
    sent, delivered = (
        Reminder.status.in_(WENT_OUT),
        Reminder.status == ReminderStatus.DELIVERED,
    )
    reported = Reminder.provider_status.in_(FINAL_PROVIDER_STATUSES)
    by_sent = session.execute(
        select(
            *[
                func.count().filter(Reminder.sent_at >= start, Reminder.sent_at < end, condition)
                for start, end in bounds
                for condition in (sent, delivered, reported)
            ]
        ).where(Reminder.sent_at >= since, Reminder.sent_at < until, sent | reported)
    ).one()
    by_failure = session.execute(
        select(*[func.count().filter(Reminder.updated_at >= start, Reminder.updated_at < end) for start, end in bounds]).where(
            Reminder.status == ReminderStatus.FAILED, Reminder.updated_at >= since, Reminder.updated_at < until
        )
    ).one()
    return {
        day: Counter(sent=by_sent[3 * n], delivered=by_sent[3 * n + 1], reported=by_sent[3 * n + 2], failed=by_failure[n])
        for n, day in enumerate(days)
    }


def keep_settled_days(session: DbSession, zone: str, today: date, days: int = 30) -> int:
    """Count and keep the settled days of the last `days` that are not kept yet; the daily sweep calls it."""
    settled_until = today - timedelta(days=SETTLING_DAYS + 1)
    first = today - timedelta(days=days - 1)
    if settled_until < first:
        return 0
    kept = set(
        session.execute(
            select(DeliveryDay.day).where(DeliveryDay.zone == zone, DeliveryDay.day >= first, DeliveryDay.day <= settled_until)
        ).scalars()
    )
    missing = [first + timedelta(days=n) for n in range((settled_until - first).days + 1)]
    missing = [d for d in missing if d not in kept]
    if not missing:
        return 0
    counts = count_days(session, zone, missing[0], missing[-1])
    now = utcnow()
    session.execute(delete(DeliveryDay).where(DeliveryDay.zone == zone, DeliveryDay.day.in_(missing)))
    for day in missing:
        c = counts.get(day, Counter())
        session.add(
            DeliveryDay(
                day=day,
                zone=zone,
                sent=c["sent"],
                delivered=c["delivered"],
                failed=c["failed"],
                reported=c["reported"],
                counted_at=now,
            )
        )
    session.commit()
    return len(missing)


def daily_counts(session: DbSession, zone: str, today: date, days: int = 30) -> list[tuple[date, int, int, int, int]]:
    """(day, sent, delivered, failed, reported) for the last `days` local days, oldest first."""
    keep_settled_days(session, zone, today, days)
    first = today - timedelta(days=days - 1)
    kept = {
        row.day: row
        for row in session.execute(
            select(DeliveryDay).where(DeliveryDay.zone == zone, DeliveryDay.day >= first, DeliveryDay.day <= today)
        ).scalars()
    }
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
            rows.append((day, c["sent"], c["delivered"], c["failed"], c["reported"]))
    return rows
