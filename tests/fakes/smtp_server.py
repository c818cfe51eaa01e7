"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, or refuses on demand."""

from __future__ import annotations

import email
import email.policy
import socket
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: Message
    raw: bytes = b""  # the DATA as it crossed SMTP, before any parsing


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    refuse_with: str | None = None  # e.g. "451 4.3.0 try later" or "550 5.1.1 no such user"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_with:
            return self.refuse_with
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        raw = envelope.original_content or envelope.content
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), msg, raw))
        return "250 OK"


class FakeSmtp:
    def __init__(self, port: int | None = None) -> None:
        self.handler = _Handler()
        self.port = port or free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._running = False

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def refuse(self, reply: str | None) -> None:
        self.handler.refuse_with = reply

    def start(self) -> FakeSmtp:
        self.controller.start()
        self._running = True
        return self

    def stop(self) -> None:
        if self._running:  # a fault test may have stopped it already
            self.controller.stop()
            self._running = False
