"""Uploaded files kept between a preview and its confirmation.

The preview reads the file and writes nothing; the confirmation reads the same file again (it is
not sent twice). With several application servers the two requests may reach two servers, so the
file waits in a *store* every server sees (``lms.storage``: a folder of the instance by default, a
folder on a shared volume, or a bucket), under a random name that keeps its extension
(``<32 hex>.xlsx``). It is removed when confirmed, or at any later upload once older than
``max_age_hours``: by the file's modification time in a folder, by the object's last-modified time
(the bucket's clock) in a bucket.

The purge is one listing of the area (one request per 1,000 keys on a bucket, whose answer carries
each object's last-modified time: no request per file), and it only runs when a file is uploaded;
the area holds nothing but the uploads of the last ``max_age_hours`` that were never confirmed.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable

from lms.storage import StorageError, Store
from lms.time import utcnow

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"^[0-9a-f]{32}\.(csv|txt|xlsx)$")


class PendingUploads:
    """The files of one area of ``store``, named as ``tokens`` says (default: ``<32 hex>.csv|txt|xlsx``;
    any other name is refused, and never removed by the purge); ``clock`` gives the time (a POSIX
    timestamp) the ages are measured against (default: ``lms.time.utcnow``)."""

    def __init__(
        self,
        store: Store,
        max_age_hours: float = 24.0,
        clock: Callable[[], float] | None = None,
        tokens: re.Pattern = _TOKEN,
    ) -> None:
        if max_age_hours <= 0:
            raise ValueError("max_age_hours must be positive")
        self.store = store
        self.max_age = max_age_hours * 3600
        self.clock = clock
        self.tokens = tokens

    def _expired(self, modified: float) -> bool:
        """Strictly older than the limit: a file of exactly ``max_age_hours`` (or younger) is kept."""
        now = self.clock() if self.clock else utcnow().timestamp()
        return now - modified > self.max_age

    def save(self, data: bytes, filename: str) -> str:
        """Keep ``data`` (named ``filename`` by the user); returns its token. Older files are purged
        first; a purge that fails is logged and does not cost the upload (housekeeping)."""
        ext = (filename or "").rsplit(".", 1)[-1].lower()
        token = f"{secrets.token_hex(16)}.{ext}"
        if not self.tokens.match(token):
            raise ValueError(filename)
        try:
            removed = self.purge()
        except (OSError, StorageError):
            log.exception("Could not purge the old uploads of %s", self.store)
        else:
            if removed:
                log.info("Removed %d unconfirmed upload(s) from %s", removed, self.store)
        self.store.write(token, data)
        return token

    def read(self, token: str) -> bytes | None:
        """The file of ``token``, or None when the token is not one of ours, or the file is gone or
        too old (a file too old is removed now, as the next purge would)."""
        if not self.tokens.match(token or ""):
            return None
        modified = self.store.modified(token)
        if modified is None:
            return None
        if self._expired(modified):
            self.store.delete(token)
            return None
        return self.store.read(token)  # None when confirmed meanwhile on another server

    def discard(self, token: str) -> None:
        if self.tokens.match(token or ""):
            self.store.delete(token)  # already gone (another server): no error

    def purge(self) -> int:
        """Remove the files older than the limit (never confirmed); returns how many. Keys that are
        not tokens are left alone."""
        removed = 0
        for key, modified in list(self.store.listing()):
            if self.tokens.match(key) and self._expired(modified):
                self.store.delete(key)  # confirmed or purged meanwhile by another request: no error
                removed += 1
        return removed
