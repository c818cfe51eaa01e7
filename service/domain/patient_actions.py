"""What a patient may do from their personal link, right now: confirm, cancel, ask for another time.

Pure: the page, its posts and the tests all ask `allowed` the same question with the same answer. Who owns the
booking matters: Calendly, Cal.com and Acuity keep the slot, so the patient cancels or moves it on their pages and
the provider's own webhook tells Recall; for the others (generic, FHIR, the panel) Recall records the cancellation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from .vocabulary import AppointmentStatus

# Booking systems that keep the slot and offer the patient their own cancel and reschedule pages.
PROVIDER_SOURCES = frozenset({"calendly", "calcom", "acuity"})
# A cancellation closer to the start than this is one the front desk should hear about (a slot hard to fill).
LATE_CANCELLATION = timedelta(hours=48)


class Stage(StrEnum):
    UPCOMING = "upcoming"  # booked, not started: the actions apply
    STARTED = "started"  # booked but its time has come, or attended, or missed
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class SessionState:
    """What the rules need to know about one session."""

    starts_at: datetime  # aware
    status: str
    confirmed: bool
    source: str


@dataclass(frozen=True)
class Allowed:
    """The answer for one session at one moment; `provider` means cancel and reschedule lead to its pages."""

    stage: Stage
    confirm: bool  # the session can be confirmed (not yet confirmed, upcoming)
    cancel: bool  # before the cutoff: the patient may cancel (here, or on the provider's page)
    reschedule: bool  # the patient may ask for another time (before the cutoff for a provider's own page)
    call_to_cancel: bool  # upcoming but past the cutoff: the page gives the number
    provider: bool


def owned_by_provider(source: str) -> bool:
    return source in PROVIDER_SOURCES


def stage_of(session: SessionState, now: datetime) -> Stage:
    if session.status == AppointmentStatus.CANCELLED:
        return Stage.CANCELLED
    if session.status != AppointmentStatus.BOOKED or session.starts_at <= now:
        return Stage.STARTED
    return Stage.UPCOMING


def cancel_cutoff(starts_at: datetime, self_cancel_hours: int) -> datetime:
    """The last moment the patient may cancel themselves; after it, they call."""
    return starts_at - timedelta(hours=self_cancel_hours)


def allowed(session: SessionState, now: datetime, self_cancel_hours: int) -> Allowed:
    stage = stage_of(session, now)
    provider = owned_by_provider(session.source)
    if stage is not Stage.UPCOMING:
        return Allowed(stage, confirm=False, cancel=False, reschedule=False, call_to_cancel=False, provider=provider)
    in_time = now < cancel_cutoff(session.starts_at, self_cancel_hours)
    return Allowed(
        stage,
        confirm=not session.confirmed,
        cancel=in_time,
        # Asking the front desk for another time is only a request, fine until the start; moving the slot on a
        # provider's page frees it as late as a cancellation does, so that follows the cutoff.
        reschedule=in_time or not provider,
        call_to_cancel=not in_time,
        provider=provider,
    )


def late_cancellation(starts_at: datetime, now: datetime) -> bool:
    """A cancellation the front desk must see: less than 48 h before the start."""
    return starts_at - now < LATE_CANCELLATION
