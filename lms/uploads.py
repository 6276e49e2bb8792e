"""Uploaded files kept between a preview and its confirmation.

The preview reads the file and writes nothing; the confirmation reads the same file again (it is
not sent twice). Each file waits in a folder of the instance under a random name that keeps its
extension (``<32 hex>.xlsx``), and is removed when confirmed, or at any later upload once older
than ``max_age_hours``.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

_TOKEN = re.compile(r"^[0-9a-f]{32}\.(csv|txt|xlsx)$")


class PendingUploads:
    def __init__(self, folder: Path, max_age_hours: float = 24.0) -> None:
        self.folder = Path(folder)
        self.max_age = max_age_hours * 3600

    def save(self, data: bytes, filename: str) -> str:
        """Keep ``data`` (named ``filename`` by the user); returns its token. Older files are purged."""
        self.purge()
        ext = (filename or "").rsplit(".", 1)[-1].lower()
        token = f"{secrets.token_hex(16)}.{ext}"
        if not _TOKEN.match(token):
            raise ValueError(filename)
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / token).write_bytes(data)
        return token

    def read(self, token: str) -> bytes | None:
        """The file of ``token``, or None when the token is not one of ours, or the file is gone or too old."""
        if not _TOKEN.match(token or ""):
            return None
        path = self.folder / token
        try:
            if time.time() - path.stat().st_mtime > self.max_age:
                path.unlink(missing_ok=True)
                return None
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def discard(self, token: str) -> None:
        if _TOKEN.match(token or ""):
            (self.folder / token).unlink(missing_ok=True)

    def purge(self) -> int:
        """Remove the files older than the limit (never confirmed); returns how many."""
        if not self.folder.is_dir():
            return 0
        removed = 0
        for path in self.folder.iterdir():
            try:
                if _TOKEN.match(path.name) and time.time() - path.stat().st_mtime > self.max_age:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # confirmed or purged meanwhile by another request
                continue
        return removed
