"""Question files uploaded for import, kept in the ``quiz-imports`` store (``lms.storage``: the folder
``QUIZ_IMPORT_DIR``, default ``<instance>/quiz-imports``, or the bucket of ``LMS_STORAGE_URL``)
between the preview and the confirmation, and removed when never confirmed
(``QUIZ_IMPORT_MAX_AGE_HOURS``)."""

from __future__ import annotations

import re
from datetime import datetime

from lms.storage import Store
from lms.uploads import PendingUploads

IMPORT_AREA = "quiz-imports"  # the store's area (a folder of that name under the instance by default)
DEFAULT_IMPORT_MAX_AGE_HOURS = 24.0  # an upload never confirmed is removed after this long
IMPORT_TOKEN = re.compile(r"^[0-9a-f]{32}\.(gift|txt|csv|xlsx)$")  # the names the import page gives


def _pending(store: Store, now: datetime, max_age_hours: float) -> PendingUploads:
    """The kernel's kept uploads (``lms.uploads``), with the question files' names; a file of exactly
    ``max_age_hours`` (or younger) is kept."""
    return PendingUploads(store, max_age_hours, clock=now.timestamp, tokens=IMPORT_TOKEN)


def purge_import_uploads(store: Store, now: datetime, max_age_hours: float) -> int:
    """Remove the uploaded question files older than ``max_age_hours`` (never confirmed); returns
    how many. Younger files stay (someone may be looking at their preview); files the import page
    did not name (anything not ``<32 hex>.<ext>``) are left alone."""
    return _pending(store, now, max_age_hours).purge()


def read_import_upload(store: Store, token: str, now: datetime, max_age_hours: float) -> bytes | None:
    """The uploaded file ``token`` for its confirmation, or None when it is gone or expired (an
    expired file is removed now, as the next purge would)."""
    return _pending(store, now, max_age_hours).read(token)
