"""Question files uploaded for import, kept under the instance folder between the preview and the
confirmation, and removed when never confirmed (``QUIZ_IMPORT_MAX_AGE_HOURS``)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

IMPORT_DIR_NAME = "quiz-imports"  # under the instance folder
DEFAULT_IMPORT_MAX_AGE_HOURS = 24.0  # an upload never confirmed is removed after this long
IMPORT_TOKEN = re.compile(r"^[0-9a-f]{32}\.(gift|txt|csv|xlsx)$")  # the names the import page gives


def import_dir(instance_path: str | Path, configured: str | Path | None = None) -> Path:
    """Where uploaded question files wait for their confirmation: ``QUIZ_IMPORT_DIR`` (``configured``,
    shared by every application server) or the instance folder's."""
    return Path(configured) if configured else Path(instance_path) / IMPORT_DIR_NAME


def _upload_expired(path: Path, now: datetime, max_age_hours: float) -> bool:
    """Strictly older than the limit: a file of exactly ``max_age_hours`` (or younger) is kept."""
    return now.timestamp() - path.stat().st_mtime > max_age_hours * 3600


def purge_import_uploads(folder: Path, now: datetime, max_age_hours: float) -> int:
    """Remove the uploaded question files older than ``max_age_hours`` (never confirmed); returns
    how many. Younger files stay (someone may be looking at their preview); files the import page
    did not name (anything not ``<32 hex>.<ext>``) are left alone."""
    if max_age_hours <= 0:
        raise ValueError("max_age_hours must be positive")
    if not folder.is_dir():
        return 0
    removed = 0
    for path in folder.iterdir():
        if not IMPORT_TOKEN.match(path.name) or not path.is_file():
            continue
        try:
            if _upload_expired(path, now, max_age_hours):
                path.unlink()
                removed += 1
        except FileNotFoundError:  # confirmed or purged meanwhile by another request
            continue
    return removed


def read_import_upload(folder: Path, token: str, now: datetime, max_age_hours: float) -> bytes | None:
    """The uploaded file ``token`` for its confirmation, or None when it is gone or expired (an
    expired file is removed now, as the next purge would)."""
    if not IMPORT_TOKEN.match(token):
        return None
    path = folder / token
    try:
        if _upload_expired(path, now, max_age_hours):
            path.unlink(missing_ok=True)
            return None
        return path.read_bytes()
    except FileNotFoundError:
        return None
