"""The language people read Recall in, and how times, dates and numbers look to them.

The panel speaks each user's language (their choice, else CLINIC_LANGUAGE); a page nobody is signed in to speaks the
browser's, if Recall has it. Times are always shown in a person's own zone, formatted by Babel for the reader's locale:
"mer. 9 déc. 2026, 16:45", never ISO, UTC or microseconds. Strings are marked with `_` (now) or `_l` (when rendered).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton, format_time
from flask import Flask, g, has_request_context, request
from flask_babel import Babel, get_locale, gettext, lazy_gettext, ngettext
from flask_login import current_user

from .contacts import display_phone
from .runtime import get_settings
from .settings import PANEL_LANGUAGES
from .timeutil import utcnow

_ = gettext
_l = lazy_gettext
__all__ = ["_", "_l", "ngettext"]


def panel_default() -> str:
    """The clinic's language where the panel has it (fr, en), else English: a German clinic's staff read English."""
    language = get_settings().clinic_language
    return language if language in PANEL_LANGUAGES else "en"


def reader_language() -> str:
    """Who reads this page: a page may pin it (the patient's own page); a signed-in user's choice; else the clinic's,
    unless nobody is signed in and the browser asks for another language Recall has."""
    if not has_request_context():
        return panel_default()
    pinned = g.get("recall_language")
    if pinned:
        return str(pinned)
    if current_user and current_user.is_authenticated:
        return getattr(current_user, "language", None) or panel_default()
    return request.accept_languages.best_match(PANEL_LANGUAGES) or panel_default()


def init_i18n(app: Flask) -> None:
    Babel(app, locale_selector=reader_language)

    @app.context_processor
    def _formats() -> dict[str, Any]:
        return {
            "when": when,
            "day": day,
            "clock": clock,
            "soon": soon,
            "phone_display": phone_display,
            "yes_no": yes_no,
            "panel_language": reader_language,
        }


def _locale() -> str:
    return str(get_locale() or get_settings().clinic_language) if has_request_context() else get_settings().clinic_language


def _zone(zone_name: str | None) -> ZoneInfo:
    return ZoneInfo(zone_name or get_settings().clinic_timezone)


def when(moment: datetime | None, zone_name: str | None = None) -> str:
    """A moment as the reader says it, in the given zone (a patient's, else the clinic's): "mer. 9 déc. 2026, 16:45"."""
    if moment is None:
        return ""
    zone, locale = _zone(zone_name), _locale()
    return f"{format_skeleton('yMMMEd', moment, tzinfo=zone, locale=locale)}, {clock(moment, zone_name)}"


def clock(moment: datetime | None, zone_name: str | None = None) -> str:
    """The time of day only ("16:45", "4:45 PM"), for lists already grouped by day."""
    if moment is None:
        return ""
    return format_time(moment, "short", tzinfo=_zone(zone_name), locale=_locale()).replace("\u202f", " ")


def soon(moment: datetime | None, zone_name: str | None = None) -> str:
    """The time alone for a moment later today in the zone, the whole date otherwise: a list of what is about to
    happen must not show a message that is days late as if it were due at that hour today."""
    if moment is None:
        return ""
    zone = _zone(zone_name)
    today = utcnow().astimezone(zone).date()
    return clock(moment, zone_name) if moment.astimezone(zone).date() == today else when(moment, zone_name)


def day(value: date | datetime | None, zone_name: str | None = None) -> str:
    """A calendar day: "mer. 9 déc. 2026"; a moment is first placed in the zone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(_zone(zone_name)).date()
    return format_skeleton("yMMMEd", value, locale=_locale())


def long_day(value: date) -> str:
    return format_date(value, "long", locale=_locale())


def phone_display(number: str | None) -> str:
    """Whoever may read a number reads it whole and alike on every page: national in the clinic's country."""
    return display_phone(number, get_settings().clinic_region)


def yes_no(value: object) -> str:
    return _("Yes") if value else _("No")
