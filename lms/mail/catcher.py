"""A local SMTP server for the demo that delivers nothing: each message it receives is written to a
folder (``instance/mail/`` by default), one ``.eml`` file per message and recipient, so IT staff can
open in any mail program what officials would receive. ``flask lms mail catcher`` runs it;
``scripts/start.sh`` starts it with the demo and points the outbox's background sender at it.

Built on aiosmtpd (an asyncio SMTP server); never for production: anyone who can reach the port can
write files into the folder, so it listens on 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import threading
from datetime import datetime
from pathlib import Path

from aiosmtpd.controller import Controller

from lms.time import utcnow

DEFAULT_PORT = 8025
_counter = itertools.count(1)
_counter_lock = threading.Lock()


def file_name(recipient: str, now: datetime | None = None) -> str:
    """``20261206-201530-000001-an.nv_at_snv.gov.vn.eml``: sorted by arrival, named after the recipient."""
    now = now or utcnow()
    with _counter_lock:
        number = next(_counter)
    who = re.sub(r"[^A-Za-z0-9._-]+", "_", recipient.replace("@", "_at_"))[:80] or "unknown"
    return f"{now:%Y%m%d-%H%M%S}-{os.getpid()}-{number:06d}-{who}.eml"


class MailFolder:
    """The aiosmtpd handler: every message accepted is written to ``folder`` (created if missing),
    once per recipient, with ``Delivered-To`` added at the top; written to a temporary name first,
    then renamed, so a reader never opens half a message."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    def write(self, recipient: str, content: bytes) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / file_name(recipient)
        partial = path.with_suffix(".part")
        partial.write_bytes(b"Delivered-To: " + recipient.encode("utf-8") + b"\r\n" + content)
        partial.replace(path)
        return path

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        for recipient in envelope.rcpt_tos:
            self.write(recipient, content)
        return "250 Message accepted for delivery"


def start(folder: str | os.PathLike, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> Controller:
    """Start the server in a thread (it answers before this returns); ``.stop()`` the controller to end it."""
    controller = Controller(MailFolder(folder), hostname=host, port=port, enable_SMTPUTF8=True)
    controller.start()
    return controller


def serve(folder: str | os.PathLike, host: str = "127.0.0.1", port: int = DEFAULT_PORT, ready=None) -> None:
    """Run until SIGINT or SIGTERM (the demo script stops it with the app)."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    controller = start(folder, host, port)
    try:
        if ready is not None:
            ready()
        stop.wait()
    finally:
        controller.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
