"""An outbound event's life on a plain dataclass: which answers deliver, retry or end it, and when retrying stops."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from service.domain import outbound_lifecycle as lifecycle
from service.domain.outbound_lifecycle import Answer, Backoff, IllegalTransition

MADE = datetime(2030, 6, 1, 8, 0, tzinfo=UTC)  # any instant: nothing here reads the clock


@dataclass
class Event:
    status: str = lifecycle.PENDING
    attempts: int = 0
    next_attempt_at: datetime = MADE
    last_status_code: int | None = None
    last_error: str | None = None
    created_at: datetime = MADE
    delivered_at: datetime | None = None


@pytest.mark.parametrize(
    ("code", "meaning"),
    [
        *[(code, Answer.DELIVERED) for code in (200, 202, 204)],
        *[(code, Answer.RETRY) for code in (None, 429, 500, 502, 503)],
        *[(code, Answer.FINAL) for code in (301, 400, 401, 404, 410)],
    ],
)
def test_what_an_answer_means(code, meaning):
    assert lifecycle.answer(code) is meaning


def test_a_2xx_delivers_once_and_nothing_leads_out_of_delivered():
    event = Event()
    lifecycle.attempt(event)
    assert lifecycle.delivered(event, 200, MADE) and event.delivered_at == MADE
    assert not lifecycle.delivered(event, 200, MADE + timedelta(minutes=1))
    with pytest.raises(IllegalTransition):
        lifecycle.attempt(event)
    with pytest.raises(IllegalTransition):
        lifecycle.retry_by_admin(event, MADE)


def test_retries_back_off_with_a_cap_and_honour_retry_after():
    rng = random.Random(7)
    ceilings = [Backoff().delay(n, rng) for n in (1, 2, 3, 12, 500)]
    assert ceilings[0] <= timedelta(seconds=30) and ceilings[-1] <= timedelta(hours=1)
    event = Event(attempts=1)
    lifecycle.retry_or_fail(event, status_code=429, error="HTTP 429", now=MADE, retry_after=timedelta(minutes=10))
    assert event.status == lifecycle.PENDING and event.next_attempt_at >= MADE + timedelta(minutes=10)
    assert (event.last_status_code, event.last_error) == (429, "HTTP 429")


def test_the_last_try_is_at_the_24th_hour_and_a_failure_after_it_is_final():
    event = Event(attempts=30)
    # Half a second before the 24th hour: the backoff's shortest delay (1 s) reaches past it whatever the jitter draws.
    # (At 23:59 a draw under a minute, 1.7 % of them, kept the next try before the deadline: a flaky test.)
    late = MADE + timedelta(hours=24) - timedelta(milliseconds=500)
    lifecycle.retry_or_fail(event, status_code=500, error="HTTP 500", now=late)
    assert event.next_attempt_at == MADE + timedelta(hours=24)
    after = lifecycle.retry_or_fail(event, status_code=None, error="no answer", now=event.next_attempt_at)
    assert after is lifecycle.FAILED and event.status == "failed" and "gave up after 24 h" in (event.last_error or "")


def test_a_refusal_is_final_and_an_admin_can_queue_it_again():
    event = Event()
    lifecycle.fail(event, 400, "HTTP 400: " + "x" * 1000)
    assert event.status == "failed" and len(event.last_error or "") == lifecycle.ERROR_LIMIT
    lifecycle.retry_by_admin(event, MADE + timedelta(days=2))
    assert event.status == "pending" and event.next_attempt_at == MADE + timedelta(days=2)
