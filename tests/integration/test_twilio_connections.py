"""The Twilio channel keeps a connection per sending thread, and still honours a proxy set in the environment."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
import requests

from service.channels.twilio_sms import TwilioSmsSender
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio


def test_forty_sending_threads_keep_their_connections(fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture) -> None:
    threads = 40  # more than twilio's own pool ever keeps (at most 32 connections, fewer on a small machine)
    sender = TwilioSmsSender(
        ACCOUNT_SID,
        AUTH_TOKEN,
        from_number=FROM_NUMBER,
        messaging_service_sid=None,
        api_base_url=fake_twilio.base_url,
        concurrency=threads,
    )
    fake_twilio.latency = 0.05  # long enough for every thread to hold a connection at once

    with caplog.at_level(logging.WARNING, logger="urllib3"), ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(
            pool.map(lambda n: sender.send_sms(f"+33612000{n:03d}", "Clinic: hello", reminder_id=n), range(threads * 3))
        )

    assert all(r.ok for r in results) and len(fake_twilio.messages) == threads * 3
    # urllib3 discards (and warns about) every connection its pool has no room to keep; the next send reconnects.
    assert not [r for r in caplog.records if "pool is full" in r.getMessage()]


class _RecordingProxy(BaseHTTPRequestHandler):
    """A plain HTTP forward proxy: what a clinic's outbound proxy does, and it notes each URL it carried."""

    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.seen.append(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "proxy-connection", "connection")}
        direct = requests.Session()
        direct.trust_env = False  # the proxy itself goes straight to the API
        answer = direct.post(self.path, data=body, headers=headers, timeout=5)
        self.send_response(answer.status_code)
        self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_proxy_set_in_the_environment_still_carries_the_sends(fake_twilio: FakeTwilio, monkeypatch) -> None:
    """The client reads the proxy settings once, not on each send: they must still be used."""
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), _RecordingProxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        sender = TwilioSmsSender(
            ACCOUNT_SID, AUTH_TOKEN, from_number=FROM_NUMBER, messaging_service_sid=None, api_base_url=fake_twilio.base_url
        )
        assert sender.send_sms("+33612345678", "Clinic: hello", reminder_id=1).ok
    finally:
        proxy.shutdown()
    assert len(fake_twilio.messages) == 1
    assert [url for url in _RecordingProxy.seen if url.endswith("/Messages.json")]  # it went through the proxy
