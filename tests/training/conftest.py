"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the mailer tests."""

from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy

import pytest

from lms.mail.sender import SmtpConfig


class RecordingHandler:
    """Stores every delivered message; ``refuse`` holds SMTP replies to give instead, one per DATA."""

    def __init__(self):
        self.messages = []
        self.refuse: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.refuse:
                return self.refuse.pop(0)
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    def __init__(self):
        self.port = free_port()
        self.handler = RecordingHandler()
        self.controller = None

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def config(self) -> SmtpConfig:
        return SmtpConfig(host="127.0.0.1", port=self.port, mail_from="taphuan@vinhphuc.gov.vn", timeout=5)

    @property
    def messages(self):
        return self.handler.messages


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_down():
    """Configuration pointing at a port where nothing listens yet (``start()`` brings it up)."""
    server = SmtpServer()
    try:
        yield server
    finally:
        server.stop()
