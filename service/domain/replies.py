"""What a patient's SMS reply means, in English or French, whatever the case, accents or punctuation.

Twilio already blocks a number that texts STOP; our own list must know too, or
every later send fails with 21610 and the planner keeps choosing SMS.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class Intent(StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"
    CONFIRM = "confirm"
    RESCHEDULE = "reschedule"
    OTHER = "other"


KEYWORDS: dict[Intent, frozenset[str]] = {
    Intent.STOP: frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE", "ARRET"}),
    Intent.START: frozenset({"START", "UNSTOP", "YES"}),
    Intent.HELP: frozenset({"HELP", "INFO", "AIDE"}),
    Intent.CONFIRM: frozenset({"C", "CONFIRM", "OUI", "CONFIRMER", "1"}),
    Intent.RESCHEDULE: frozenset({"R", "RESCHEDULE", "REPORTER", "2"}),
}


def normalise(body: str) -> str:
    """`Arrêt !` -> `ARRET`: accents dropped, punctuation and spaces removed, upper case."""
    decomposed = unicodedata.normalize("NFKD", body)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^A-Z0-9]", "", plain.upper())


def classify(body: str | None) -> Intent:
    """A keyword counts only as the whole message (as Twilio matches them): "stop by at 5" is not an opt-out."""
    word = normalise(body or "")
    for intent, words in KEYWORDS.items():
        if word in words:
            return intent
    return Intent.OTHER
