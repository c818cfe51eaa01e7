"""A booking system's webhook endpoint on 127.0.0.1 (stdlib http.server, in a thread): it records every request and
answers as scripted (500, 429 with Retry-After, a slow answer…), 200 once the script is spent."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook

SECRET = "whsec_" + "dGVzdC1vdXRib3VuZC1zZWNyZXQtMDEyMzQ1Njc4OQ=="  # base64 of a test-only key


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    delay: float = 0.0  # seconds before answering: above the sender's timeout, it times out


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered

    def verified(self, secret: str = SECRET) -> Any:
        """The payload, checked with the standardwebhooks library's own verifier (raises when it does not verify)."""
        return Webhook(secret).verify(self.body, self.headers)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


class WebhookReceiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.script: deque[Answer] = deque()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    answer = receiver.script.popleft() if receiver.script else Answer()
                    receiver.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body, answer.status))
                if answer.delay:
                    time.sleep(answer.delay)
                payload = answer.body.encode()
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the sender gave up waiting
                    pass

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}/recall-events"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def answer(self, *answers: Answer | int) -> None:
        """The next requests' answers, in order (a bare number is that status, empty body)."""
        self.script.extend(a if isinstance(a, Answer) else Answer(a) for a in answers)

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def of_type(self, type_: str) -> list[Received]:
        return [r for r in self.received if r.verified()["type"] == type_]
