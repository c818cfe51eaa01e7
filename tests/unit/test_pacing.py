"""The pacer keeps a strict provider's rolling second under its limit, with room for jitter, and loses little rate."""

from __future__ import annotations

import threading

from service.pacing import Pacer


def slots_from_threads(rate: float, threads: int, each: int) -> list[float]:
    """Slots handed to several sending threads at once, on a clock that never moves by itself (no real sleeping)."""
    clock = {"now": 1000.0}
    pacer = Pacer(rate, clock=lambda: clock["now"], sleep=lambda _delay: None)
    taken: list[float] = []
    lock = threading.Lock()

    def send() -> None:
        for _ in range(each):
            slot = pacer.wait()
            with lock:
                taken.append(slot)

    workers = [threading.Thread(target=send) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sorted(taken)


def test_any_rate_plus_one_sends_span_more_than_a_second_with_room_for_jitter() -> None:
    slots = slots_from_threads(30.0, threads=8, each=75)
    assert len(slots) == 600 and len(set(slots)) == 600  # every thread got a slot of its own
    spans = [slots[i + 30] - slots[i] for i in range(len(slots) - 30)]
    # A provider counting 30 in any rolling second sees at most 30 unless arrivals shift by more than 25 ms.
    assert min(spans) > 1.025


def test_the_achieved_rate_stays_within_five_percent_of_the_configured_one() -> None:
    slots = slots_from_threads(30.0, threads=8, each=75)
    achieved = (len(slots) - 1) / (slots[-1] - slots[0])
    assert 30 * 0.95 <= achieved < 30


def test_a_slow_sender_is_not_paid_back_with_a_burst() -> None:
    clock = {"now": 0.0}
    pacer = Pacer(10.0, clock=lambda: clock["now"], sleep=lambda delay: clock.__setitem__("now", clock["now"] + delay))
    pacer.wait()
    clock["now"] += 5.0  # nothing to send for five seconds
    first, second = pacer.wait(), pacer.wait()
    assert first == 5.0
    assert second - first >= 0.1  # still spaced: idle time is not saved up as a burst
