"""Instants and durations from outside, read once and bounded so that no later arithmetic can overflow.

Python's datetime ends at years 1 and 9999: `0001-01-01T00:00:00+14:00` parses but
cannot be turned into UTC, and a reminder 48 h before year 1 cannot be computed. A
booking outside 1970..2200 is a sender's bug, so it is refused (4xx, naming the field)
here, before ingestion, planning or the database see it.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from .errors import PayloadError

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2201, 1, 1, tzinfo=UTC)  # exclusive; years of margin either side for every offset Recall adds
MAX_MINUTES = 24 * 60  # a session is minutes long; a day is already a mistake
MAX_TEXT = 64  # the longest ISO 8601 date-time with fractions and offset is about 35 characters


def instant(value: object, where: str, *, offset_hint: str = "e.g. +01:00 or Z") -> datetime:
    """An aware datetime from ISO 8601 (with Z, +01:00 or +0100) between 1970 and 2200, or a PayloadError naming `where`."""
    if not isinstance(value, str) or not value.strip():
        raise PayloadError(f"{where} is missing", [f"{where}: expected an ISO 8601 date-time"])
    shown = repr(value[:MAX_TEXT])
    if len(value) > MAX_TEXT:
        raise PayloadError(f"{where} is not an ISO 8601 date-time", [f"{where}: {shown}… ({len(value)} characters)"])
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise PayloadError(f"{where} is not an ISO 8601 date-time", [f"{where}: {shown}"]) from None
    if parsed.tzinfo is None:
        raise PayloadError(f"{where} needs a UTC offset, {offset_hint}", [f"{where}: {shown}"])
    try:
        utc = parsed.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise PayloadError(
            f"{where} is out of range: Recall reads instants from {EARLIEST.year} to {LATEST.year - 1}", [f"{where}: {shown}"]
        )
    return parsed


def minutes(value: object, where: str) -> int:
    """A duration in whole minutes, 1 to 24 h, from a JSON number or a string of digits (Acuity's)."""
    number: float | int | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 6:
        number = int(value.strip())
    if number is None or not math.isfinite(number) or number != int(number):
        raise PayloadError(f"{where} must be a whole number of minutes", [f"{where}: {str(value)[:40]!r}"])
    if not 0 < number <= MAX_MINUTES:
        raise PayloadError(f"{where} must be 1 to {MAX_MINUTES} minutes (24 h)", [f"{where}: {str(value)[:40]!r}"])
    return int(number)


def between(starts: datetime, ends: datetime, where: str) -> int:
    """The minutes from `starts` to `ends`: an end at or before the start, or a day later, is refused."""
    seconds = (ends - starts).total_seconds()
    if not 0 < seconds <= MAX_MINUTES * 60:
        raise PayloadError(
            f"{where} must be after the start and at most 24 h later",
            [f"{where}: {ends.isoformat()} for a start at {starts.isoformat()}"],
        )
    return max(1, int(seconds // 60))


def received_at(now: datetime | None, warnings: list[str], field: str) -> datetime:
    """When a post without its timestamp arrived: what orders it against the booking system's later events.

    Never the session's start: that lies ahead, so a real cancellation sent afterwards would look older and be
    dropped as stale.
    """
    warnings.append(f"{field} is missing: the event is ordered by when it arrived")
    return now or datetime.now(UTC)
