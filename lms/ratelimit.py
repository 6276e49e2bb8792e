"""Request limits counted in the database, so every worker of every application server counts the
same requests (Flask-Limiter's memory storage counted per process: with 2 servers x 2 workers a
client had four times its limit).

A limit is "N per <period>" (``30 per minute``, ``100/hour``). Each request adds one to the row of
its key and its fixed window (``rate_limit_hit``: one upsert statement, committed on its own so a
refused or failing request still counts); the request is refused when the count passes N.
"""

from __future__ import annotations

import functools
import random
import re
import time
from dataclasses import dataclass

from flask import abort, current_app, request
from sqlalchemy import Integer, String, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from lms.extensions import db

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_LIMIT_RE = re.compile(r"^\s*(\d+)\s*(?:per|/)\s*(\d*)\s*(second|minute|hour|day)s?\s*$", re.IGNORECASE)


class RateLimitHit(db.Model):
    """How many requests a key made in one fixed window (``window`` = start time // period)."""

    __tablename__ = "rate_limit_hit"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    expires: Mapped[int] = mapped_column(Integer, index=True)  # epoch seconds after which the row is useless


@dataclass(frozen=True)
class Limit:
    amount: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Limit:
        """``"30 per minute"``, ``"100/hour"``, ``"5 per 10 minutes"``; ValueError otherwise."""
        m = _LIMIT_RE.match(text or "")
        if not m:
            raise ValueError(f"not a limit: {text!r} (expected e.g. '30 per minute')")
        return cls(int(m.group(1)), int(m.group(2) or 1) * PERIODS[m.group(3).lower()])


def _upsert(session: Session):
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(RateLimitHit)


def hit(session: Session, key: str, limit: Limit, now: float | None = None) -> bool:
    """Count one request of ``key``; True while within ``limit``. Commits its own statement: call it
    first in the request, before anything is written."""
    now = time.time() if now is None else now
    window = int(now // limit.seconds)
    insert = _upsert(session).values(key=key[:200], window=window, count=1, expires=(window + 1) * limit.seconds)
    statement = insert.on_conflict_do_update(
        index_elements=[RateLimitHit.key, RateLimitHit.window], set_={"count": RateLimitHit.count + 1}
    ).returning(RateLimitHit.count)
    count = session.execute(statement).scalar_one()
    if random.random() < 0.01:  # now and then, the windows that are over
        session.execute(delete(RateLimitHit).where(RateLimitHit.expires < now))
    session.commit()
    return count <= limit.amount


def limited(scope: str, setting: str, default: str):
    """View decorator: at most ``app.config[setting]`` (else ``default``) requests per client address
    for every view of ``scope`` together; over it, 429. The address is the one ``LMS_TRUSTED_PROXIES``
    makes trustworthy (``request.remote_addr`` after ProxyFix)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            limit = Limit.parse(current_app.config.get(setting) or default)
            if not hit(db.session, f"{scope}:{request.remote_addr or '-'}", limit):
                abort(429)
            return view(*args, **kwargs)

        return wrapped

    return decorator
