"""Did training work? Usage before and after a training session (or a course), against comparable
units that did not take part, in plain words, honest where the numbers are too small to say.

* **Measure** by topic: official e-mail -> officials using it; document software -> officials using
  it; portal -> the units' portals up to date; IT security has no usage measure.
* **Windows**: the months with data among the 3 before the event's month and the 3 after it (the
  event's own month is left out: part before, part after).
* **Who**: the attendees (or, with ``scope="units"``, everyone in the attendees' units), as listed in
  the roster of the event's month (or the last month with data before it), followed through both
  windows whatever unit they are in later.
* **Comparison**: the officials of the other units of the same blocks, minus anyone who attended a
  session of the same topic within the windows (for a course: who completed it by the end of the
  after window).
* **Difference** = (after - before of the attendees) - (after - before of the comparison), in
  percentage points, with a 95% margin from the two groups' binomial spreads counted per person (a
  person's months are not independent draws, so the margin errs on the wide side). Fewer than
  ``MIN_PEOPLE`` on either side: "too few to say"; a difference within its margin: "no clear
  difference".
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from adoption import cache, links
from adoption.format import vn_int, vn_num, vn_pct
from adoption.models import OfficialMonth, UnitMonth
from adoption.months import add_months, as_of, local_today, month_start
from adoption.services import portal_fresh
from lms.org.models import Unit

WINDOW = 3
MIN_PEOPLE = 10
MEASURES = {"email": "mail", "qlvb": "dms", "portal": "portal"}


@dataclass(frozen=True)
class Group:
    people: int = 0  # officials (or units, for portals)
    before_used: int = 0
    before_known: int = 0  # person-months with data
    after_used: int = 0
    after_known: int = 0

    def __add__(self, other: Group) -> Group:
        return Group(*(a + b for a, b in zip(self._values(), other._values(), strict=True)))

    def _values(self):
        return (self.people, self.before_used, self.before_known, self.after_used, self.after_known)

    before_share = property(lambda self: self.before_used / self.before_known if self.before_known else None)
    after_share = property(lambda self: self.after_used / self.after_known if self.after_known else None)

    @property
    def change(self) -> float | None:
        if self.before_share is None or self.after_share is None:
            return None
        return self.after_share - self.before_share

    def spread(self) -> float:
        """Variance of the change, counted per person (see the module docstring)."""
        if not self.people or self.before_share is None or self.after_share is None:
            return 0.0
        b, a = self.before_share, self.after_share
        return (b * (1 - b) + a * (1 - a)) / self.people


@dataclass(frozen=True)
class Effect:
    kind: str  # session | course
    ref_id: int
    label: str
    topic: str
    day: date  # the session's day, or the first completion
    scope: str  # attendees | units
    measure: str | None
    months_before: tuple[date, ...]
    months_after: tuple[date, ...]
    treated: Group
    comparison: Group
    comparison_units: int = 0

    @property
    def difference(self) -> float | None:
        if self.treated.change is None or self.comparison.change is None:
            return None
        return self.treated.change - self.comparison.change

    @property
    def margin(self) -> float:
        return 1.96 * math.sqrt(self.treated.spread() + self.comparison.spread())

    @property
    def verdict(self) -> str:
        if self.measure is None:
            return "no_measure"
        if not self.months_before:
            return "no_before"
        if not self.months_after:
            return "no_after"
        if self.treated.people < MIN_PEOPLE or self.comparison.people < MIN_PEOPLE:
            return "too_few"
        if self.difference is None:
            return "no_before"
        if abs(self.difference) <= self.margin:
            return "unclear"
        return "better" if self.difference > 0 else "worse"

    def sentence(self) -> str:
        """The finding in plain Vietnamese (the page and the report print it)."""
        pp = lambda x: vn_num(100 * abs(x), 1)  # noqa: E731
        verdict = self.verdict
        if verdict == "no_measure":
            return _(
                "Chủ đề này không có số liệu sử dụng để so sánh (chỉ đo được thư công vụ, phần mềm quản lý "
                "văn bản và cổng thông tin)."
            )
        if verdict == "no_before":
            return _("Chưa có số liệu sử dụng của những tháng trước buổi tập huấn, nên chưa so sánh được.")
        if verdict == "no_after":
            return _(
                "Chưa có số liệu sử dụng của những tháng sau buổi tập huấn. Hãy xem lại sau khi nhập số liệu tháng tới."
            )
        if verdict == "too_few" and self.measure == "portal":
            return _(
                "Số đơn vị quá ít để kết luận (%(a)s đơn vị có người dự, %(b)s đơn vị để so sánh; cần ít nhất %(m)s "
                "mỗi bên). Bảng dưới đây chỉ để tham khảo, đừng dựa vào đó mà kết luận tập huấn có hiệu quả hay không.",
                a=vn_int(self.treated.people),
                b=vn_int(self.comparison.people),
                m=MIN_PEOPLE,
            )
        if verdict == "too_few":
            return _(
                "Số người quá ít để kết luận (%(a)s người dự, %(b)s người để so sánh; cần ít nhất %(m)s mỗi bên). "
                "Bảng dưới đây chỉ để tham khảo, đừng dựa vào đó mà kết luận tập huấn có hiệu quả hay không.",
                a=vn_int(self.treated.people),
                b=vn_int(self.comparison.people),
                m=MIN_PEOPLE,
            )
        moves = _(
            "Người dự: %(t)s → %(u)s; các đơn vị cùng khối không dự: %(c)s → %(d)s.",
            t=vn_pct(self.treated.before_share),
            u=vn_pct(self.treated.after_share),
            c=vn_pct(self.comparison.before_share),
            d=vn_pct(self.comparison.after_share),
        )
        if verdict == "unclear":
            return _(
                "Chưa thấy khác biệt rõ ràng. %(m)s Chênh lệch %(d)s điểm phần trăm nằm trong mức dao động có thể do "
                "ngẫu nhiên với số người này (±%(e)s điểm).",
                m=moves,
                d=pp(self.difference),
                e=pp(self.margin),
            )
        low, high = self.difference - self.margin, self.difference + self.margin
        if verdict == "better":
            return _(
                "Sau tập huấn, tỷ lệ sử dụng của người dự tăng nhiều hơn các đơn vị cùng khối không dự khoảng %(d)s "
                "điểm phần trăm (có thể từ %(l)s đến %(h)s điểm). %(m)s",
                d=pp(self.difference),
                l=pp(low),
                h=pp(high),
                m=moves,
            )
        return _(
            "Sau tập huấn, tỷ lệ sử dụng của người dự không tăng bằng các đơn vị cùng khối không dự (kém khoảng %(d)s "
            "điểm phần trăm, ±%(e)s). %(m)s",
            d=pp(self.difference),
            e=pp(self.margin),
            m=moves,
        )


# -- the counts ------------------------------------------------------------------------------------------
def _data_months(session: Session) -> list[date]:
    return sorted(session.scalars(select(UnitMonth.month).distinct()))


def _windows(months_with_data: list[date], event: date) -> tuple[tuple[date, ...], tuple[date, ...], date | None]:
    have = set(months_with_data)
    before = tuple(m for m in (add_months(event, -k) for k in range(WINDOW, 0, -1)) if m in have)
    after = tuple(m for m in (add_months(event, k) for k in range(1, WINDOW + 1)) if m in have)
    base = event if event in have else max((m for m in months_with_data if m < event), default=None)
    return before, after, base


def _column(measure: str):
    return OfficialMonth.mail_used if measure == "mail" else OfficialMonth.dms_used


def _person_group(session: Session, measure: str, before, after, people_query) -> Group:
    """Counts over the officials ``people_query`` selects (a SELECT of official ids)."""
    col = _column(measure)
    people = session.scalar(select(func.count()).select_from(people_query.subquery())) or 0
    rows = session.execute(
        select(OfficialMonth.month, func.count(col), func.sum(case((col.is_(True), 1), else_=0)))
        .where(OfficialMonth.month.in_([*before, *after]), OfficialMonth.official_id.in_(people_query))
        .group_by(OfficialMonth.month)
    ).all()
    counts = defaultdict(lambda: [0, 0])
    for month, known, used in rows:
        side = "before" if month in before else "after"
        counts[side][0] += int(used or 0)
        counts[side][1] += int(known or 0)
    return Group(people, counts["before"][0], counts["before"][1], counts["after"][0], counts["after"][1])


def _unit_group(session: Session, before, after, unit_ids, today) -> Group:
    """Portals: units are the subjects; a unit-month counts when the unit has a portal."""
    if not unit_ids:
        return Group()
    counts = {"before": [0, 0], "after": [0, 0]}
    rows = session.execute(
        select(UnitMonth.month, UnitMonth.portal_last_update).where(
            UnitMonth.month.in_([*before, *after]),
            UnitMonth.unit_id.in_(list(unit_ids)),
            UnitMonth.has_portal.is_(True),
        )
    ).all()
    for month, last_update in rows:
        side = counts["before" if month in before else "after"]
        side[0] += 1 if portal_fresh(last_update, as_of(month, today)) else 0
        side[1] += 1
    return Group(len(unit_ids), counts["before"][0], counts["before"][1], counts["after"][0], counts["after"][1])


def _units_at(session: Session, base: date, official_ids) -> set[int]:
    ids = list(official_ids)
    out: set[int] = set()
    for start in range(0, len(ids), 900):
        out.update(
            session.scalars(
                select(OfficialMonth.unit_id).where(
                    OfficialMonth.month == base, OfficialMonth.official_id.in_(ids[start : start + 900])
                )
            )
        )
    return out


def _block_units(session: Session, base: date, of_units: set[int], exclude: set[int] = frozenset()) -> set[int]:
    """The units with staff in ``base`` in the blocks of ``of_units``, but ``exclude``."""
    kinds = dict(session.execute(select(Unit.id, Unit.kind).where(Unit.id.in_(list(of_units) or [-1]))).all())
    blocks = {links.block_of(k) for k in kinds.values()}
    rows = session.execute(
        select(UnitMonth.unit_id, Unit.kind)
        .join(Unit, Unit.id == UnitMonth.unit_id)
        .where(UnitMonth.month == base, UnitMonth.officials > 0)
    ).all()
    return {uid for uid, kind in rows if links.block_of(kind) in blocks and uid not in exclude}


def _roster_ids(base: date, *, ids=None, unit_ids=None, exclude=()):
    query = select(OfficialMonth.official_id).where(OfficialMonth.month == base)
    if ids is not None:
        query = query.where(OfficialMonth.official_id.in_(list(ids) or [-1]))
    if unit_ids is not None:
        query = query.where(OfficialMonth.unit_id.in_(list(unit_ids) or [-1]))
    if exclude:
        query = query.where(OfficialMonth.official_id.not_in(list(exclude)))
    return query


def session_effect(
    session: Session, past: links.PastSession, scope: str = "attendees", today: date | None = None
) -> Effect:
    today = today or local_today()
    measure = MEASURES.get(past.topic)
    event = month_start(past.day)
    before, after, base = _windows(_data_months(session), event)
    empty = Effect(
        "session", past.id, past.title, past.topic, past.day, scope, measure, before, after, Group(), Group()
    )
    if measure is None or base is None or not before or not after:
        return empty
    treated_units = _units_at(session, base, past.attendee_ids) | set(past.unit_ids)
    others = _block_units(session, base, treated_units, exclude=treated_units)
    if measure == "portal":
        treated = _unit_group(session, before, after, treated_units, today)
        comparison = _unit_group(session, before, after, others, today)
        return Effect(
            "session",
            past.id,
            past.title,
            past.topic,
            past.day,
            "units",
            measure,
            before,
            after,
            treated,
            comparison,
            len(others),
        )
    window = (add_months(event, -WINDOW), add_months(event, WINDOW))
    trained_elsewhere = set()
    for other in links.past_sessions(session, today):
        if other.topic == past.topic and window[0] <= month_start(other.day) <= window[1]:
            trained_elsewhere |= other.attendee_ids
    if scope == "units":
        treated_q = _roster_ids(base, unit_ids=treated_units)
    else:
        treated_q = _roster_ids(base, ids=past.attendee_ids)
    comparison_q = _roster_ids(base, unit_ids=others, exclude=trained_elsewhere)
    treated = _person_group(session, measure, before, after, treated_q)
    comparison = _person_group(session, measure, before, after, comparison_q)
    return Effect(
        "session",
        past.id,
        past.title,
        past.topic,
        past.day,
        scope,
        measure,
        before,
        after,
        treated,
        comparison,
        len(others),
    )


def course_effect(session: Session, course: links.CourseInfo, today: date | None = None, cohorts: int = 12) -> Effect:
    """Officials who completed the course, each around the month they did (the last ``cohorts``
    months of completions whose windows have data), against the same blocks' officials who had not
    completed it by the end of that cohort's after window. Groups are added up over the cohorts."""
    today = today or local_today()
    measure = MEASURES.get(course.topic)
    done = links.completions(session, course.id)
    months = _data_months(session)
    by_month: dict[date, set[int]] = defaultdict(set)
    for oid, day in done.items():
        by_month[month_start(day)].add(oid)
    first = min(done.values()) if done else today
    treated = comparison = Group()
    used_before: set[date] = set()
    used_after: set[date] = set()
    units_seen: set[int] = set()
    if measure in ("mail", "dms"):
        chosen = [c for c in sorted(by_month) if all(_windows(months, c)[:2]) and _windows(months, c)[2]][-cohorts:]
        for c in chosen:
            before, after, base = _windows(months, c)
            late = {oid for oid, day in done.items() if month_start(day) <= after[-1]}
            block_units = _block_units(session, base, _units_at(session, base, by_month[c]))
            units_seen |= block_units
            treated += _person_group(session, measure, before, after, _roster_ids(base, ids=by_month[c]))
            comparison += _person_group(
                session, measure, before, after, _roster_ids(base, unit_ids=block_units, exclude=late)
            )
            used_before.update(before)
            used_after.update(after)
    return Effect(
        "course",
        course.id,
        course.title,
        course.topic,
        first,
        "attendees",
        measure,
        tuple(sorted(used_before)),
        tuple(sorted(used_after)),
        treated,
        comparison,
        len(units_seen),
    )


def session_effects(session: Session, today: date | None = None) -> list[Effect]:
    """Every past session with attendance (newest first), cached per usage-data version."""
    today = today or local_today()
    return cache.cached(
        session,
        ("session_effects", today),
        lambda s: [session_effect(s, p, today=today) for p in links.past_sessions(s, today)],
    )


def course_effects(session: Session, today: date | None = None) -> list[Effect]:
    today = today or local_today()
    return cache.cached(
        session, ("course_effects", today), lambda s: [course_effect(s, c, today) for c in links.courses(s)]
    )
