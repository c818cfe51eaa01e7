"""At most N non-session messages a patient's day: a tip or a nudge waits for a free day.

Session reminders and booking notices are exempt: they are about a time the
patient has to keep. Within the cap, the more important kind goes first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from .care import CAPPED_KINDS
from .quiet_hours import QuietHours, next_allowed_at_or_after


@dataclass(frozen=True)
class DayLoad:
    """What the patient's local day already holds, from the outbox."""

    sent_today: int  # capped messages sent (or being sent) on the patient's local day
    more_important_due_today: int  # capped messages of a higher rank waiting to go out today


def is_capped(kind: str) -> bool:
    return kind in CAPPED_KINDS


def rank(kind: str) -> int:
    return CAPPED_KINDS.index(kind) if kind in CAPPED_KINDS else -1


def day_bounds(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where the patient's local day starts and the next one starts (23 or 25 hours on DST days)."""
    local = now.astimezone(zone)
    start = datetime.combine(local.date(), time(0), tzinfo=zone)
    end = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


def wait_for_free_day(
    kind: str, load: DayLoad, now: datetime, zone: ZoneInfo, window: QuietHours, per_day: int
) -> datetime | None:
    """None when `kind` may go out today; otherwise when to look again (the next local day's opening)."""
    if not is_capped(kind) or per_day <= 0:
        return None
    if load.sent_today + load.more_important_due_today < per_day:
        return None
    _, tomorrow = day_bounds(now, zone)
    return next_allowed_at_or_after(tomorrow, zone, window)
