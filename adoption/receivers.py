"""Signal receivers: officials changed elsewhere (imports, moves) change the cached indicators."""

from __future__ import annotations

from adoption import cache
from lms import events


@events.officials_changed.connect
def _officials_changed(session, officials=(), **_kw) -> None:
    if officials:
        cache.bump(session)
