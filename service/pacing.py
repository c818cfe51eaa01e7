"""Pace sends per sender and cap them per day: a Twilio long code takes about one message a second, the rest queues or fails."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# Aim a little under the provider's limit. Slots leave from several threads and each request is built after its slot,
# so arrivals jitter by a few milliseconds; spacing at exactly 1/rate puts rate+1 arrivals inside some rolling second
# about half the time, and a strict provider answers 429 to those. At 3 % under, `rate + 1` consecutive sends span
# (rate / 0.97) / rate s, about 31 ms more than a second at 30/s: that much jitter is absorbed.
MARGIN = 0.03


class Pacer:
    """Hands out send slots, across threads, no closer than 1/(rate x (1 - margin)) apart on the monotonic clock."""

    def __init__(
        self,
        rate_per_second: float,
        *,
        margin: float = MARGIN,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / (rate_per_second * (1.0 - margin))
        self._next = 0.0
        self._lock = threading.Lock()
        self._clock, self._sleep = clock, sleep

    def wait(self) -> float:
        """Block until this caller's slot; returns the slot's time on the pacer's clock."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        delay = slot - self._clock()
        if delay > 0:
            self._sleep(delay)
        return slot


class SmsBudget:
    """The daily SMS cap (0: none), shared by a run's threads: a runaway loop cannot text the whole list twice."""

    def __init__(self, cap: int, used: int) -> None:
        self.cap, self.used = cap, used
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.cap and self.used >= self.cap:
                return False
            self.used += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self.used -= 1
