"""A fake of Twilio's Messages API, served over real HTTP on 127.0.0.1.

The real `twilio` client talks to it (its `api.base_url` points here), so the code
under test is the production path down to the HTTP request. Failures can be
scripted per request, and latency added, for retry and load tests.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

ACCOUNT_SID = "AC" + "0" * 31 + "1"  # a fake, test-only account id
AUTH_TOKEN = "fake-twilio-auth-token"
FROM_NUMBER = "+15005550006"


@dataclass
class FakeResponse:
    status: int
    body: dict[str, Any] | None  # None: accept the message as usual, only answer late (`delay`)
    delay: float = 0.0  # seconds before answering (a value above the client's timeout makes it time out)


def accepted_late(delay: float) -> FakeResponse:
    """Twilio took the message but the answer never reached the client in time: the ambiguous case."""
    return FakeResponse(201, None, delay)


def twilio_error(code: int, status: int = 400, message: str = "error") -> FakeResponse:
    return FakeResponse(
        status, {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}
    )


@dataclass
class FakeTwilio:
    host: str = "127.0.0.1"
    latency: float = 0.0
    messages: list[dict[str, str]] = field(default_factory=list)
    requests: list[dict[str, str]] = field(default_factory=list)
    script: deque[FakeResponse] = field(default_factory=deque)
    # Fault injection: this share of requests fail at random (seeded), and these numbers are always invalid.
    chaos_rate: float = 0.0
    chaos_seed: int = 0
    timeout_delay: float = 1.0  # how late a "timeout" answers; above the client's timeout
    invalid_numbers: set[str] = field(default_factory=set)
    answer_delay: float = 0.0  # seconds between taking a message and answering: the window a crash can fall into

    def __post_init__(self) -> None:
        import random

        self._rng = random.Random(self.chaos_seed)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server = make_server(self.host, 0, self._wsgi, threaded=True)
        # socketserver listens with a backlog of 5: under dozens of concurrent senders the kernel drops SYNs and
        # clients wait out 1 s, 3 s, 7 s retransmits. A real API accepts them; so must the fake.
        self._server.socket.listen(1024)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> FakeTwilio:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def fail_next(self, *responses: FakeResponse) -> None:
        self.script.extend(responses)

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        return header == expected

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self._handle(request)(environ, start_response)

    def _handle(self, request: Request) -> Response:
        if not request.path.endswith("/Messages.json"):
            return Response("not found", 404)
        if not self._authorised(request):
            return self._json(401, {"code": 20003, "message": "Authenticate", "status": 401})
        if request.method == "GET":
            with self._lock:
                return self._json(200, {"messages": list(self.messages), "next_page_uri": None})
        form = request.form.to_dict()
        with self._lock:
            self.requests.append(form)
            scripted = self.script.popleft() if self.script else None
            if scripted is None and form.get("To") in self.invalid_numbers:
                scripted = twilio_error(21211, 400, "The 'To' number is not a valid phone number.")
            elif scripted is None and self.chaos_rate and self._rng.random() < self.chaos_rate:
                scripted = self._rng.choice(
                    [
                        FakeResponse(500, {"code": 20500, "message": "Internal Server Error", "status": 500}),
                        FakeResponse(503, {"code": 20503, "message": "Service Unavailable", "status": 503}),
                        twilio_error(20429, 429, "Too Many Requests"),
                        accepted_late(self.timeout_delay),  # taken, but the answer comes too late: ambiguous
                    ]
                )
        if self.latency:
            time.sleep(self.latency)
        if scripted is not None and scripted.body is not None:
            if scripted.delay:
                time.sleep(scripted.delay)
            return self._json(scripted.status, scripted.body)
        # WhatsApp (To/From "whatsapp:+…") takes an approved Content template (ContentSid, ContentVariables) instead.
        if (
            not form.get("To")
            or not (form.get("From") or form.get("MessagingServiceSid"))
            or not (form.get("Body") or form.get("ContentSid"))
        ):
            return self._json(400, {"code": 21604, "message": "A 'To', 'From' and 'Body' are required", "status": 400})
        sid = "SM" + uuid.uuid4().hex
        message = {
            "sid": sid,
            "account_sid": ACCOUNT_SID,
            "to": form["To"],
            "from": form.get("From", ""),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form.get("Body", ""),
            "content_sid": form.get("ContentSid"),
            "content_variables": form.get("ContentVariables"),
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "status_callback": form.get("StatusCallback"),
            "date_created": "Mon, 02 Mar 2026 10:00:00 +0000",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
        }
        with self._lock:
            self.messages.append(message)
        if scripted is not None and scripted.delay:
            time.sleep(scripted.delay)
        if self.answer_delay:
            time.sleep(self.answer_delay)
        return self._json(201, message)

    @staticmethod
    def _json(status: int, body: dict[str, Any]) -> Response:
        return Response(json.dumps(body), status=status, mimetype="application/json")
