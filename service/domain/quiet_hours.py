"""When a message may reach a phone: only inside the patient's local waking hours.

All arithmetic is on UTC instants; wall-clock times are only built, with both
`fold` values tried, to find the instants that bound the window. That is what
keeps a 08:00 or 21:00 boundary right on the night clocks change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QuietHours:
    """Messages may go out from `start_hour` (inclusive) to `end_hour` (exclusive), local time."""

    start_hour: int = 8
    end_hour: int = 21

    def __post_init__(self) -> None:
        if not (0 <= self.start_hour < self.end_hour <= 24):
            raise ValueError(f"bad quiet-hours window {self.start_hour}-{self.end_hour}")

    @property
    def margin(self) -> timedelta:
        """Room left before the window closes, so a busy dispatcher still sends in time."""
        return min(timedelta(minutes=30), timedelta(hours=self.end_hour - self.start_hour) / 4)

    def allows(self, instant: datetime, zone: ZoneInfo) -> bool:
        local = instant.astimezone(zone)
        minutes = local.hour * 60 + local.minute
        return self.start_hour * 60 <= minutes < self.end_hour * 60


def _local_instants(day: datetime, at: time, zone: ZoneInfo) -> list[datetime]:
    """The UTC instants that a wall time on a local day can mean (0 in a gap is handled by the caller)."""
    out = []
    for fold in (0, 1):
        naive = datetime.combine(day.date(), at)
        out.append(naive.replace(tzinfo=zone, fold=fold).astimezone(UTC))
    return out


def _wall_time(minutes: int) -> time:
    minutes = max(0, min(minutes, 24 * 60 - 1))
    return time(minutes // 60, minutes % 60)


def latest_allowed_at_or_before(instant: datetime, zone: ZoneInfo, window: QuietHours) -> datetime:
    """The latest moment not after `instant` when a message may go out (with the closing margin)."""
    instant = instant.astimezone(UTC)
    last_minute = window.end_hour * 60 - int(window.margin.total_seconds() // 60)
    if window.allows(instant, zone):
        return instant
    local = instant.astimezone(zone)
    candidates: list[datetime] = []
    for days_back in range(3):
        day = local - timedelta(days=days_back)
        for minutes in (last_minute, last_minute - 60, last_minute - 120):
            for candidate in _local_instants(day, _wall_time(minutes), zone):
                if candidate <= instant and window.allows(candidate, zone):
                    candidates.append(candidate)
        if candidates:
            break
    return max(candidates)


def next_allowed_at_or_after(instant: datetime, zone: ZoneInfo, window: QuietHours) -> datetime:
    """The earliest moment not before `instant` when a message may go out."""
    instant = instant.astimezone(UTC)
    if window.allows(instant, zone):
        return instant
    local = instant.astimezone(zone)
    candidates: list[datetime] = []
    for days_ahead in range(3):
        day = local + timedelta(days=days_ahead)
        for minutes in (window.start_hour * 60, window.start_hour * 60 + 60, window.start_hour * 60 + 120):
            for candidate in _local_instants(day, _wall_time(minutes), zone):
                if candidate >= instant and window.allows(candidate, zone):
                    candidates.append(candidate)
        if candidates:
            break
    return min(candidates)


def local_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A wall time on a local date as an aware instant: the earlier one in a fold, just past the jump in a gap."""
    instant = datetime.combine(day, at).replace(tzinfo=zone, fold=0)
    # In a spring-forward gap the wall time does not exist; a round trip through UTC lands after the jump.
    return instant.astimezone(UTC).astimezone(zone)
