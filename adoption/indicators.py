"""The province indicators of the 2014 report, for any month, by block and by official category.

* units using the document software (any electronic handling), and how much of the incoming /
  outgoing flow is electronic (processed / received, signed / sent);
* portals up to date (updated in the 30 days before the day the month is judged on);
* officials using official e-mail (and, next to it, the document software).

Named queries over the derived monthly rows (``UnitMonth``, ``OfficialMonth``): one over units, one
over officials grouped by (month, unit kind, category); cached per usage-data version
(``adoption.cache``). ``excluded`` categories are left out of the officials' figures (not of the
units' ones), and the page says which; the by-category table always shows every category.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from adoption import cache, links
from adoption.models import OfficialMonth, System, UnitMonth, UsageImport, UsageRow
from adoption.months import add_months, as_of, local_today
from adoption.services import portal_fresh
from lms.org.models import Category, Unit


@dataclass(frozen=True)
class Figures:
    """Counts over a set of units and officials for one month; shares are properties."""

    units: int = 0  # units with officials in the month's roster
    dms_units: int = 0  # of which: used the document software
    dms_no_data: int = 0  # of which: no data (no file, no form)
    dms_received: int = 0
    dms_processed: int = 0
    dms_sent: int = 0
    dms_signed: int = 0
    portals: int = 0
    portals_fresh: int = 0
    officials: int = 0
    mail_users: int = 0
    mail_no_data: int = 0
    dms_officials: int = 0  # officials using the document software (their own account)

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(a + b for a, b in zip(self.astuple(), other.astuple(), strict=True)))

    def astuple(self) -> tuple[int, ...]:
        return tuple(getattr(self, f) for f in self.__dataclass_fields__)

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    dms_share = property(lambda self: self._share(self.dms_units, self.units))
    incoming_share = property(lambda self: self._share(self.dms_processed, self.dms_received))
    outgoing_share = property(lambda self: self._share(self.dms_signed, self.dms_sent))
    portals_stale = property(lambda self: self.portals - self.portals_fresh)
    portal_share = property(lambda self: self._share(self.portals_fresh, self.portals))
    mail_share = property(lambda self: self._share(self.mail_users, self.officials))
    dms_official_share = property(lambda self: self._share(self.dms_officials, self.officials))


@dataclass(frozen=True)
class CategoryFigures:
    category: str
    officials: int = 0
    mail_users: int = 0
    dms_users: int = 0
    no_data: int = 0
    excluded: bool = False

    mail_share = property(lambda self: self.mail_users / self.officials if self.officials else None)
    dms_share = property(lambda self: self.dms_users / self.officials if self.officials else None)


@dataclass(frozen=True)
class MonthIndicators:
    month: date
    judged_on: date
    total: Figures
    blocks: tuple[tuple[str, Figures], ...]
    categories: tuple[CategoryFigures, ...]
    excluded: tuple[str, ...] = ()
    files: tuple[str, ...] = ()  # systems with an imported file this month
    forms: int = 0  # units that filled the monthly form
    unmatched: tuple[tuple[str, int], ...] = ()

    @property
    def has_data(self) -> bool:
        return self.total.units > 0 or self.total.portals > 0

    def block(self, name: str) -> Figures:
        return dict(self.blocks).get(name, Figures())


@dataclass(frozen=True)
class Filters:
    """Which categories are left out of the officials' figures (hashable: the cache key)."""

    excluded: tuple[str, ...] = field(default=())

    @classmethod
    def from_args(cls, args, default: tuple[str, ...] = ()) -> Filters:
        valid = {c.value for c in Category}
        if "exclude" in args or args.get("all_categories"):
            chosen = args.getlist("exclude") if hasattr(args, "getlist") else args.get("exclude", [])
        else:
            chosen = list(default)
        return cls(tuple(sorted({c for c in chosen if c in valid})))


def _unit_figures(session: Session, months: list[date], today: date) -> dict[date, dict[str, Figures]]:
    """month -> block -> the units' figures."""
    out: dict[date, dict[str, Figures]] = {}
    query = (
        select(
            UnitMonth.month,
            Unit.kind,
            UnitMonth.officials,
            UnitMonth.dms_source,
            UnitMonth.dms_received,
            UnitMonth.dms_processed,
            UnitMonth.dms_sent,
            UnitMonth.dms_signed,
            UnitMonth.has_portal,
            UnitMonth.portal_last_update,
        )
        .join(Unit, Unit.id == UnitMonth.unit_id)
        .where(UnitMonth.month.in_(months))
    )
    judged = {m: as_of(m, today) for m in months}
    for month, kind, officials, source, received, processed, sent, signed, has_portal, last_update in session.execute(
        query
    ):
        block = links.block_of(kind)
        in_scope = officials > 0
        using = bool(in_scope and source and ((processed or 0) + (signed or 0)) > 0)
        fig = Figures(
            units=1 if in_scope else 0,
            dms_units=1 if using else 0,
            dms_no_data=1 if in_scope and source is None else 0,
            dms_received=received or 0,
            dms_processed=processed or 0,
            dms_sent=sent or 0,
            dms_signed=signed or 0,
            portals=1 if has_portal else 0,
            portals_fresh=1 if has_portal and portal_fresh(last_update, judged[month]) else 0,
        )
        per_block = out.setdefault(month, {})
        per_block[block] = per_block.get(block, Figures()) + fig
    return out


def _official_figures(session: Session, months: list[date]):
    """(month, block, category) -> (officials, mail users, mail no data, dms users, dms no data)."""
    one = lambda cond: func.sum(case((cond, 1), else_=0))  # noqa: E731
    query = (
        select(
            OfficialMonth.month,
            Unit.kind,
            OfficialMonth.category,
            func.count(),
            one(OfficialMonth.mail_used.is_(True)),
            one(OfficialMonth.mail_used.is_(None)),
            one(OfficialMonth.dms_used.is_(True)),
            one(OfficialMonth.dms_used.is_(None)),
        )
        .join(Unit, Unit.id == OfficialMonth.unit_id)
        .where(OfficialMonth.month.in_(months))
        .group_by(OfficialMonth.month, Unit.kind, OfficialMonth.category)
    )
    out: dict[tuple, list[int]] = {}
    for month, kind, category, n, mail, mail_none, dms, dms_none in session.execute(query):
        key = (month, links.block_of(kind), Category(category).value)
        acc = out.setdefault(key, [0, 0, 0, 0, 0])
        for i, value in enumerate((n, mail, mail_none, dms, dms_none)):
            acc[i] += int(value or 0)
    return out


def _compute(session: Session, months: list[date], filters: Filters, today: date) -> dict[date, MonthIndicators]:
    units = _unit_figures(session, months, today)
    people = _official_figures(session, months)
    files: dict[date, list[str]] = {}
    for month, system in session.execute(
        select(UsageImport.month, UsageImport.system).where(UsageImport.month.in_(months))
    ):
        files.setdefault(month, []).append(System(system).value)
    unmatched: dict[date, dict[str, int]] = {}
    for month, system, n in session.execute(
        select(UsageImport.month, UsageImport.system, func.count(UsageRow.id))
        .join(UsageRow, UsageRow.import_id == UsageImport.id)
        .where(
            UsageImport.month.in_(months),
            UsageRow.official_id.is_(None),
            UsageRow.unit_id.is_(None),
            UsageRow.match.is_(None),
        )
        .group_by(UsageImport.month, UsageImport.system)
    ):
        unmatched.setdefault(month, {})[System(system).value] = int(n)
    from adoption.models import UnitReport

    forms = dict(
        session.execute(
            select(UnitReport.month, func.count()).where(UnitReport.month.in_(months)).group_by(UnitReport.month)
        ).all()
    )
    out = {}
    for month in months:
        per_block = dict(units.get(month, {}))
        categories: dict[str, list[int]] = {}
        for (m, block, category), (n, mail, mail_none, dms, _dms_none) in people.items():
            if m != month:
                continue
            cat = categories.setdefault(category, [0, 0, 0, 0])
            for i, value in enumerate((n, mail, dms, mail_none)):
                cat[i] += value
            if category in filters.excluded:
                continue
            extra = Figures(officials=n, mail_users=mail, mail_no_data=mail_none, dms_officials=dms)
            per_block[block] = per_block.get(block, Figures()) + extra
        blocks = tuple((b, per_block[b]) for b in links.blocks() if b in per_block)
        total = sum((f for _b, f in blocks), Figures())
        out[month] = MonthIndicators(
            month=month,
            judged_on=as_of(month, today),
            total=total,
            blocks=blocks,
            categories=tuple(
                CategoryFigures(c.value, *categories.get(c.value, [0, 0, 0, 0]), excluded=c.value in filters.excluded)
                for c in Category
            ),
            excluded=filters.excluded,
            files=tuple(sorted(files.get(month, []))),
            forms=int(forms.get(month, 0)),
            unmatched=tuple(sorted(unmatched.get(month, {}).items())),
        )
    return out


def province_indicators(
    session: Session, month: date, filters: Filters | None = None, today: date | None = None
) -> MonthIndicators:
    """The indicators of one month (cached)."""
    return indicators_for(session, [month], filters, today)[month]


def indicators_for(
    session: Session, months: list[date], filters: Filters | None = None, today: date | None = None
) -> dict[date, MonthIndicators]:
    filters = filters or Filters()
    today = today or local_today()
    key = ("indicators", tuple(months), filters, today)
    return cache.cached(session, key, lambda s: _compute(s, list(months), filters, today))


def trend_months(session: Session, upto: date | None = None, limit: int = 36) -> list[date]:
    """The months with data up to ``upto`` (the last ``limit`` of them), oldest first."""
    query = select(UnitMonth.month).distinct().order_by(UnitMonth.month.desc()).limit(limit)
    if upto is not None:
        query = query.where(UnitMonth.month <= upto)
    return sorted(session.scalars(query))


def latest_month(session: Session, up_to: date | None = None) -> date | None:
    """The latest month with usage data (not after ``up_to`` if given)."""
    query = select(func.max(UnitMonth.month))
    if up_to is not None:
        query = query.where(UnitMonth.month <= up_to)
    return session.scalar(query)


def comparison_months(month: date) -> tuple[date, date]:
    """The previous month and the same month a year earlier (the report's comparison columns)."""
    return add_months(month, -1), add_months(month, -12)


# -- per unit ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UnitFigures:
    month: date
    unit_id: int
    officials: int
    mail_users: int
    mail_source: str | None
    dms_users: int
    dms_received: int | None
    dms_processed: int | None
    dms_sent: int | None
    dms_signed: int | None
    dms_source: str | None
    has_portal: bool
    portal_articles: int | None
    portal_last_update: date | None
    portal_fresh: bool
    score: float

    mail_share = property(
        lambda self: self.mail_users / self.officials if self.officials and self.mail_source else None
    )
    incoming_share = property(lambda self: self.dms_processed / self.dms_received if self.dms_received else None)
    outgoing_share = property(lambda self: self.dms_signed / self.dms_sent if self.dms_sent else None)

    @property
    def uses_dms(self) -> bool:
        return bool(self.dms_source) and ((self.dms_processed or 0) + (self.dms_signed or 0)) > 0


def unit_months(session: Session, unit_id: int, months: list[date] | None = None, today: date | None = None):
    """The unit's figures per month (oldest first)."""
    today = today or local_today()
    query = select(UnitMonth).where(UnitMonth.unit_id == unit_id).order_by(UnitMonth.month)
    if months is not None:
        query = query.where(UnitMonth.month.in_(months))
    return [_unit_figures_of(row, today) for row in session.scalars(query)]


def _unit_figures_of(row: UnitMonth, today: date) -> UnitFigures:
    return UnitFigures(
        month=row.month,
        unit_id=row.unit_id,
        officials=row.officials,
        mail_users=row.mail_users,
        mail_source=row.mail_source,
        dms_users=row.dms_users,
        dms_received=row.dms_received,
        dms_processed=row.dms_processed,
        dms_sent=row.dms_sent,
        dms_signed=row.dms_signed,
        dms_source=row.dms_source,
        has_portal=row.has_portal,
        portal_articles=row.portal_articles,
        portal_last_update=row.portal_last_update,
        portal_fresh=portal_fresh(row.portal_last_update, as_of(row.month, today)),
        score=row.score,
    )


def unit_scores(session: Session, month: date) -> dict[int, float]:
    """unit id -> usage score (0-100) in ``month`` (units with data that month)."""
    return dict(session.execute(select(UnitMonth.unit_id, UnitMonth.score).where(UnitMonth.month == month)).all())


@dataclass(frozen=True)
class UnitMove:
    unit_id: int
    unit_name: str
    block: str
    score: float
    previous: float
    change: float


def unit_changes(session: Session, month: date, threshold: float = 5.0) -> tuple[list[UnitMove], list[UnitMove]]:
    """Units whose usage score rose (fell) by at least ``threshold`` points since the previous month
    with data: (improved, fell back), largest change first, then by name."""
    from lms.text import vi_sort_key

    previous = session.scalar(select(func.max(UnitMonth.month)).where(UnitMonth.month < month))
    if previous is None:
        return [], []
    now = unit_scores(session, month)
    before = unit_scores(session, previous)
    names = {
        uid: (name, kind)
        for uid, name, kind in session.execute(select(Unit.id, Unit.name, Unit.kind).where(Unit.id.in_(list(now))))
    }
    moves = [
        UnitMove(
            uid, names[uid][0], links.block_of(names[uid][1]), now[uid], before[uid], round(now[uid] - before[uid], 2)
        )
        for uid in now
        if uid in before and uid in names
    ]
    up = sorted((m for m in moves if m.change >= threshold), key=lambda m: (-m.change, vi_sort_key(m.unit_name)))
    down = sorted((m for m in moves if m.change <= -threshold), key=lambda m: (m.change, vi_sort_key(m.unit_name)))
    return up, down


@dataclass(frozen=True)
class UnitRow:
    figures: UnitFigures
    unit_name: str
    unit_code: str
    block: str
    rank: int = 0
    block_size: int = 0


def unit_table(session: Session, month: date, today: date | None = None) -> tuple[UnitRow, ...]:
    """Every unit with staff in ``month``, by block, usage score desc, then Vietnamese name; ranks
    per block, ties shared (1, 2, 2, 4). Cached."""
    today = today or local_today()

    def compute(s: Session) -> tuple[UnitRow, ...]:
        from lms.text import vi_sort_key

        rows = s.execute(
            select(UnitMonth, Unit.name, Unit.code, Unit.kind)
            .join(Unit, Unit.id == UnitMonth.unit_id)
            .where(UnitMonth.month == month, UnitMonth.officials > 0)
        ).all()
        items = [
            UnitRow(_unit_figures_of(um, today), name, code, links.block_of(kind)) for um, name, code, kind in rows
        ]
        out: list[UnitRow] = []
        for block in links.blocks():
            members = sorted(
                (u for u in items if u.block == block),
                key=lambda u: (-u.figures.score, vi_sort_key(u.unit_name), u.figures.unit_id),
            )
            for position, u in enumerate(members):
                rank = (
                    out[-1].rank
                    if position and u.figures.score == members[position - 1].figures.score
                    else position + 1
                )
                out.append(replace(u, rank=rank, block_size=len(members)))
        return tuple(out)

    return cache.cached(session, ("units", month, today), compute)
