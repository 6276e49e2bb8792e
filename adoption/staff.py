"""A unit's staff in a month: who uses official e-mail and the document software, next to who holds
the certificate of that application ("certified but not using", "using but not certified", "neither").

Portals are a unit's, not a person's: they are not part of the staff states.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from adoption import links
from adoption.models import OfficialMonth
from lms.org.models import Official
from lms.text import join_name

#: the person-level applications and the competency topic of each
TOOLS = (("email", "email"), ("dms", "qlvb"))
STAFF_FILTERS = ("", "certified_not_using", "using_not_certified", "neither", "not_started")


@dataclass(frozen=True)
class StaffUsage:
    official_id: int
    code: str
    full_name: str
    category: str
    sort_key: str
    mail_used: bool | None
    dms_used: bool | None
    certified: frozenset[str]  # topics with a valid certificate
    started: bool  # has attempted any quiz

    def used(self, tool: str) -> bool | None:
        return self.mail_used if tool == "email" else self.dms_used

    def holds(self, tool: str) -> bool:
        return dict(TOOLS)[tool] in self.certified

    @property
    def certified_not_using(self) -> bool:
        return any(self.holds(t) and self.used(t) is False for t, _ in TOOLS)

    @property
    def using_not_certified(self) -> bool:
        return any(self.used(t) and not self.holds(t) for t, _ in TOOLS)

    @property
    def neither(self) -> bool:
        """No certificate of either application, and no use of those with data (at least one has)."""
        known = [t for t, _ in TOOLS if self.used(t) is not None]
        return bool(known) and not any(self.holds(t) for t, _ in TOOLS) and not any(self.used(t) for t in known)

    @property
    def not_started(self) -> bool:
        return not self.started

    def matches(self, show: str) -> bool:
        return not show or bool(getattr(self, show))


def unit_staff_usage(session: Session, unit_id: int, month: date, judged_on: date) -> list[StaffUsage]:
    """The unit's roster of ``month`` (or its active staff, without usage, when the month has none),
    in the official list order."""
    rows = session.execute(
        select(
            Official.id,
            Official.code,
            Official.family_name,
            Official.middle_name,
            Official.given_name,
            OfficialMonth.category,
            Official.sort_key,
            OfficialMonth.mail_used,
            OfficialMonth.dms_used,
        )
        .join(OfficialMonth, OfficialMonth.official_id == Official.id)
        .where(OfficialMonth.month == month, OfficialMonth.unit_id == unit_id)
    ).all()
    if not rows:
        rows = session.execute(
            select(
                Official.id,
                Official.code,
                Official.family_name,
                Official.middle_name,
                Official.given_name,
                Official.category,
                Official.sort_key,
                None,
                None,
            ).where(Official.unit_id == unit_id, Official.active.is_(True))
        ).all()
    ids = [r[0] for r in rows]
    certified = links.certified_topics(session, ids, judged_on)
    started = links.started(session, ids)
    out = [
        StaffUsage(
            official_id=oid,
            code=code or "",
            full_name=join_name(family, middle, given),
            category=getattr(category, "value", category),
            sort_key=sort_key,
            mail_used=mail,
            dms_used=dms,
            certified=frozenset(certified.get(oid, ())),
            started=oid in started,
        )
        for oid, code, family, middle, given, category, sort_key, mail, dms in rows
    ]
    return sorted(out, key=lambda s: (s.sort_key, s.official_id))


def counts(staff: list[StaffUsage]) -> dict[str, int]:
    return {show: sum(1 for s in staff if s.matches(show)) for show in STAFF_FILTERS}
