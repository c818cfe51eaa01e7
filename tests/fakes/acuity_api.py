"""A fake of Acuity's appointments API over real HTTP on 127.0.0.1, with Basic auth like the real one."""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class FakeAcuity:
    user_id: str
    api_key: str
    appointments: dict[str, dict[str, Any]] = field(default_factory=dict)
    raw_answers: dict[str, bytes] = field(default_factory=dict)  # answered as is (200, application/json), for bad JSON
    fail_with: int | None = None  # answer this status to every request (an outage)
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/api/v1"

    def start(self) -> FakeAcuity:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.requests.append(request.path)
        expected = "Basic " + base64.b64encode(f"{self.user_id}:{self.api_key}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            response = Response(json.dumps({"status_code": 401, "message": "Unauthorized"}), 401, mimetype="application/json")
        elif self.fail_with:
            response = Response("unavailable", self.fail_with)
        elif request.path.rsplit("/", 1)[1] in self.raw_answers:
            response = Response(self.raw_answers[request.path.rsplit("/", 1)[1]], 200, mimetype="application/json")
        elif request.path.startswith("/api/v1/appointments/"):
            found = self.appointments.get(request.path.rsplit("/", 1)[1])
            response = (
                Response(json.dumps(found), 200, mimetype="application/json")
                if found
                else Response(json.dumps({"status_code": 404, "error": "not_found"}), 404, mimetype="application/json")
            )
        else:
            response = Response("not found", 404)
        return response(environ, start_response)
