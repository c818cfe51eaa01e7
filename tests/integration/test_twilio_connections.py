"""The Twilio channel keeps a connection per sending thread, so a busy dispatch does not throw connections away."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import pytest

from service.channels.twilio_sms import TwilioSmsSender
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio


def test_forty_sending_threads_keep_their_connections(fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture) -> None:
    threads = 40  # more than twilio's own pool ever keeps (at most 32 connections, fewer on a small machine)
    sender = TwilioSmsSender(ACCOUNT_SID, AUTH_TOKEN, from_number=FROM_NUMBER, messaging_service_sid=None,
                             api_base_url=fake_twilio.base_url, concurrency=threads)
    fake_twilio.latency = 0.05  # long enough for every thread to hold a connection at once

    with caplog.at_level(logging.WARNING, logger="urllib3"), ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(lambda n: sender.send_sms(f"+33612000{n:03d}", "Clinic: hello", reminder_id=n),
                                range(threads * 3)))

    assert all(r.ok for r in results) and len(fake_twilio.messages) == threads * 3
    # urllib3 discards (and warns about) every connection its pool has no room to keep; the next send reconnects.
    assert not [r for r in caplog.records if "pool is full" in r.getMessage()]
