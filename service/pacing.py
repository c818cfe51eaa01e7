"""Pace sends per sender: a Twilio long code takes about one message a second, the rest queues or fails."""

from __future__ import annotations

import threading
import time


class Pacer:
    """Hands out send slots no closer than 1/rate apart, across threads, on the monotonic clock."""

    def __init__(self, rate_per_second: float) -> None:
        self.interval = 1.0 / rate_per_second
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        delay = slot - time.monotonic()
        if delay > 0:
            time.sleep(delay)
