"""Text from outside, made storable: PostgreSQL refuses NUL characters in text, SQLite keeps them silently;
and a time-zone name from outside is checked before anything opens a file named after it."""

from __future__ import annotations

from zoneinfo import ZoneInfo


def storable(text: str | None) -> str | None:
    return None if text is None else text.replace("\x00", "\ufffd")


def known_zone(name: object) -> str | None:
    """The name if it is an IANA zone, else None. ZoneInfo reads a file named after its argument, so a long or
    odd name can raise OSError, not only ZoneInfoNotFoundError."""
    if not isinstance(name, str) or not name or len(name) > 64 or "\x00" in name:
        return None
    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return None
    return name
