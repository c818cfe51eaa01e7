"""Turn a template and a patient's facts into text, safely and in the patient's language.

Templates are edited by clinic staff, so they run in a bounded Jinja2 sandbox
(service/sandbox.py) with strict undefined variables: a typo fails loudly at save
time instead of texting a patient "Hello ,", and any failure at all is a
TemplateProblem, never a 500 in the editor or a reminder retried forever.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from babel.dates import format_date, format_time
from babel.lists import format_list
from jinja2 import StrictUndefined, Template, TemplateError

from .content.templates import DEFAULT_TEMPLATES, TEMPLATE_KIND
from .content.tips import tip_texts
from .domain.sms_encoding import GSM7_BASIC, GSM7_EXTENSION
from .sandbox import BoundedSandbox, render_bounded

LANGUAGES = ("en", "fr", "es", "de", "it")  # the patients' languages: every shipped template and tip exists in each
_env = BoundedSandbox(undefined=StrictUndefined, autoescape=False, trim_blocks=True)

# CLDR puts narrow and no-break spaces in times ("4:45\u202fPM"); either one would turn an SMS into UCS-2.
_SPACES = str.maketrans({"\u202f": " ", "\u00a0": " "})


class TemplateProblem(ValueError):
    """A template that does not render; the message says where."""


def template_kind(reminder_kind: str) -> str:
    """The template a reminder kind uses: every session rule ("reminder_…", staff may add their own) shares one."""
    if reminder_kind in TEMPLATE_KIND:
        return TEMPLATE_KIND[reminder_kind]
    return "session_reminder" if reminder_kind.startswith("reminder_") else reminder_kind


def language_of(language: str | None) -> str:
    code = (language or "en").split("-")[0].split("_")[0].lower()
    return code if code in LANGUAGES else "en"


@lru_cache(maxsize=512)
def _compiled(source: str) -> Template:
    """Compiling costs more than rendering; a clinic has a few dozen templates, and a compiled one is thread-safe."""
    return _env.from_string(source)


def render_text(source: str, variables: Mapping[str, Any]) -> str:
    try:
        return render_bounded(_compiled(source), variables).strip()
    except TemplateError as exc:
        raise TemplateProblem(f"the template does not render: {exc}") from exc
    except Exception as exc:  # staff wrote it: whatever it raises is theirs to read, not a crash
        raise TemplateProblem(f"the template does not render: {type(exc).__name__}: {str(exc)[:200]}") from exc


def default_template(kind: str, channel: str, language: str) -> tuple[str | None, str]:
    for lang in (language, "en"):
        found = DEFAULT_TEMPLATES.get((kind, channel, lang))
        if found:
            return found
    raise TemplateProblem(f"no template for {kind} by {channel}")


@lru_cache(maxsize=256)  # the clinic's own number, in every message: parsing it cost 0.15 ms a send
def format_phone(e164: str) -> str:
    if not e164:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164


def gsm_safe(text: str) -> str:
    """`text` with each accented letter GSM-7 lacks written without its accent (Spanish "sábado" → "sabado"): in an SMS,
    one such letter in a day's name would turn the whole message into UCS-2 and cut a segment to 70 characters."""
    return "".join(
        ch
        if ch in GSM7_BASIC or ch in GSM7_EXTENSION
        else "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c)) or ch
        for ch in text
    )


def session_variables(starts: list[datetime], zone: ZoneInfo, language: str, *, sms: bool = False) -> dict[str, Any]:
    """Date and times of a day's sessions, in the patient's zone and words (for an SMS, in letters GSM-7 has)."""
    local = [s.astimezone(zone) for s in sorted(starts)]
    times = [format_time(t, format="short", locale=language).translate(_SPACES) for t in local]
    days: dict[date, list[str]] = {}
    for moment, shown in zip(local, times, strict=True):
        days.setdefault(moment.date(), []).append(shown)
    when, article = _WHEN.get(language, _WHEN["en"])
    spans = [
        (article if i else "")
        + when.format(date=format_date(day, format="full", locale=language), times=format_list(ts, locale=language))
        for i, (day, ts) in enumerate(days.items())
    ]
    found: dict[str, Any] = {
        "session_date": format_date(local[0], format="full", locale=language).translate(_SPACES),
        "session_time": times[0],
        "session_times": format_list(times, locale=language).translate(_SPACES),
        # Every day with its times, for a message about sessions on several days (a course booked in one go).
        "sessions_when": format_list(spans, locale=language).translate(_SPACES),
    }
    if sms:
        found = {name: gsm_safe(value) for name, value in found.items()}
    return {**found, "session_count": len(local)}


# How one day of sessions reads, and the article the days after the first take ("… et le mardi …").
_WHEN = {
    "en": ("{date} at {times}", ""),
    "fr": ("{date} à {times}", "le "),
    "es": ("{date} a las {times}", "el "),
    "de": ("{date} um {times}", "am "),
    "it": ("{date} alle {times}", ""),
}


# Every variable a template may use, with English example values: the save check renders a template with them, so a
# typo is caught whatever the language. The preview shows `sample_variables`, formatted as a real message would be.
SAMPLE_VARIABLES: dict[str, Any] = {
    "first_name": "Camille",
    "clinic_name": "Clinic",
    "clinic_phone": "+33 1 23 45 67 89",
    "session_date": "Tuesday, March 3, 2026",
    "session_time": "4:45 PM",
    "session_times": "4:45 PM",
    "session_count": 1,
    "sessions_when": "Tuesday, March 3, 2026 at 4:45 PM",
    "course_progress": "session 3 of 6",
    "tip": "Drink water through the day.",
    "manage_url": "https://clinic.example/r/Xq3vT9bLw2KpZ7mN",
    "booking_url": "https://clinic.example/book",
    "unsubscribe_url": "https://clinic.example/u/token",
}

SAMPLE_SESSION_AHEAD = timedelta(days=3)  # the sample session: three days from now, at 16:45 the clinic's time
SAMPLE_SESSION_TIME = time(16, 45)
SAMPLE_MAINTENANCE_AHEAD = timedelta(days=30)


def sample_session(now: datetime, zone: ZoneInfo) -> datetime:
    """When the sample patient's session is: a moment relative to now, so the preview reads like a message due soon."""
    return datetime.combine((now.astimezone(zone) + SAMPLE_SESSION_AHEAD).date(), SAMPLE_SESSION_TIME, zone)


def sample_variables(language: str, now: datetime, zone: ZoneInfo) -> dict[str, Any]:
    """A sample patient's variables in `language`, formatted by the very functions a real message uses."""
    from .messages import PROGRESS  # messages composes with this module; the sample borrows its words, at call time

    language = language_of(language)
    tips = tip_texts(language)
    with_total, _alone = PROGRESS.get(language, PROGRESS["en"])
    due = (now.astimezone(zone) + SAMPLE_MAINTENANCE_AHEAD).date()
    return {
        **SAMPLE_VARIABLES,
        **session_variables([sample_session(now, zone)], zone, language),
        "course_progress": with_total.format(n=3, total=6),
        "tip": next(text for category, text in tips if category != "aftercare"),
        "aftercare_tips": [text for category, text in tips if category == "aftercare"][:2],
        "due_date": format_date(due, format="long", locale=language),
    }
