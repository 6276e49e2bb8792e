"""Whom a training session should reach: units and officials by need, for the IT staff's targeting page.

Need comes from competency (always: ``competency.api.lagging_units`` / ``lagging_officials`` on the
session's topic) and from the sources other features register with ``register_need_source`` from their
``init_app`` (adoption: low usage of the applications). Training runs without them.

Units: every unit with active officials, with its competency index on the topic (0-100, the ranking's
formula on that topic) and each source's score (0-100). A unit *stands out* (is flagged, with the
reason) when a figure is among the lowest quarter of the units that have it (ties at the edge included)
and below their median, or, with the rule "below", under the threshold set on the page. The flagged
units come first (both reasons, then one), each group by index (lowest first), then by name.

Officials: those lagging on the topic (not started, failing, certificate expired or expiring) and those
a source lists (adoption: did not use the topic's application last month), in the session's target units
when it has some; each with the reasons it is listed. Both reasons first, then by competency need
(``lagging_officials``' need: not started 100, expired 80, failing 50-90, expiring 1-40; listed only by a
source: 0), then the unit's place in the unit list (the neediest unit first), then the name in
Vietnamese order.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from competency import api as competency_api
from lms.org.models import Official
from lms.text import vi_sort_key
from lms.time import local_today

QUARTER = "quarter"
BELOW = "below"
COMPETENCY = "competency"
DEFAULT_BELOW = 50.0
EXTENSION = "training.need_sources"
_CHUNK = 2000


# -- sources of need registered by other features ----------------------------------------------------------
@dataclass(frozen=True)
class NeedSource:
    """A reason to target units and officials, from another feature (``register_need_source``).

    ``units(session)`` -> {unit id: (score 0-100, detail)}: every unit it has a figure for (lower = more
    need); ``officials(session, topic, unit_ids)`` -> [(official id, unit id, full name, unit name,
    detail)]: the officials it lists for a topic (``unit_ids`` None = every unit); ``explain(session)``
    -> a sentence saying what the score is."""

    name: str
    label: object  # lazily translated: the reason as the page says it ("Ít sử dụng")
    units: Callable
    officials: Callable
    explain: Callable


def register_need_source(app, name: str, label, units: Callable, officials: Callable, explain: Callable) -> None:
    """Add a source of need to the targeting of ``app`` (called from a feature's ``init_app``)."""
    if name == COMPETENCY:
        raise ValueError("competency is always a source of need")
    app.extensions.setdefault(EXTENSION, {})[name] = NeedSource(name, label, units, officials, explain)


def need_sources(app=None) -> list[NeedSource]:
    if app is None:
        from flask import current_app, has_app_context

        if not has_app_context():
            return []
        app = current_app
    return list(app.extensions.get(EXTENSION, {}).values())


# -- the rule that flags what stands out -----------------------------------------------------------------------
@dataclass(frozen=True)
class FlagRule:
    """``quarter``: the lowest quarter of the units that have the figure; ``below``: under the thresholds."""

    mode: str = QUARTER
    below_index: float = DEFAULT_BELOW  # competency index on the topic, 0-100
    below_score: float = DEFAULT_BELOW  # a source's score (usage), 0-100

    @classmethod
    def from_args(cls, args) -> FlagRule:
        """From the page's fields; unreadable values keep their default (never an error page)."""

        def number(name: str) -> float:
            raw = (args.get(name) or "").strip().replace(",", ".")
            try:
                value = float(raw)
            except ValueError:
                return DEFAULT_BELOW
            return min(100.0, max(0.0, value)) if math.isfinite(value) else DEFAULT_BELOW

        mode = args.get("rule") if args.get("rule") in (QUARTER, BELOW) else QUARTER
        return cls(mode, number("below_index"), number("below_score"))

    def as_args(self) -> dict:
        return {"rule": self.mode, "below_index": f"{self.below_index:g}", "below_score": f"{self.below_score:g}"}


def stand_out(values: dict[int, float], rule: FlagRule, threshold: float) -> tuple[set[int], float | None]:
    """The keys of ``values`` that stand out (lower = worse) and the cut.

    ``quarter``: the cut is the ceil(n/4)-th lowest value; a key stands out when its value is at or
    below the cut (ties at the edge are in) and below the median (so units level with most others,
    e.g. everyone at 0 before anyone started, do not all stand out). ``below``: under ``threshold``."""
    if not values:
        return set(), None
    if rule.mode == BELOW:
        return {k for k, v in values.items() if v < threshold}, threshold
    ordered = sorted(values.values())
    cut = ordered[math.ceil(len(ordered) / 4) - 1]
    median = statistics.median(ordered)
    return {k for k, v in values.items() if v <= cut and v < median}, cut


# -- the proposal --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UnitNeed:
    unit_id: int
    unit_name: str
    block: str
    officials: int
    lagging: int  # active officials lagging on the topic
    share_lagging: float
    index: float  # competency index on the topic, 0-100
    scores: tuple[tuple[str, float | None, str], ...] = ()  # (source, score 0-100 or None, detail)
    reasons: tuple[str, ...] = ()  # why it stands out: "competency" and/or source names

    @property
    def flagged(self) -> bool:
        return bool(self.reasons)

    @property
    def score_map(self) -> dict[str, tuple[float | None, str]]:
        return {name: (score, detail) for name, score, detail in self.scores}


@dataclass(frozen=True)
class OfficialNeed:
    official_id: int
    unit_id: int
    full_name: str
    unit_name: str
    reasons: tuple[str, ...]  # "competency" and/or source names
    need: float = 0.0  # competency need 0-100 (0: listed by a source only)
    status: str | None = None  # competency status on the topic when lagging
    best_percent: float | None = None
    cert_expires_on: date | None = None
    details: tuple[str, ...] = ()  # what the sources say


@dataclass
class Proposal:
    units: list[UnitNeed] = field(default_factory=list)
    officials: list[OfficialNeed] = field(default_factory=list)
    rule: FlagRule = field(default_factory=FlagRule)
    sources: list[NeedSource] = field(default_factory=list)
    #: per reason: the figure at or under which units stand out (None: no unit has the figure)
    cuts: dict[str, float | None] = field(default_factory=dict)
    explanations: dict[str, str] = field(default_factory=dict)  # per source

    @property
    def flagged_units(self) -> list[UnitNeed]:
        return [u for u in self.units if u.flagged]

    def count_with(self, reason: str) -> int:
        return sum(1 for u in self.units if reason in u.reasons)


def reason_label(reasons, sources: list[NeedSource]) -> str:
    """Why a unit or an official is listed, in words: one reason's label, or "both"."""
    labels = {COMPETENCY: _("Năng lực còn yếu"), **{s.name: str(s.label) for s in sources}}
    named = [labels[r] for r in reasons if r in labels]
    if len(named) > 1:
        return _("Cả hai: %(r)s", r=", ".join(n.lower() for n in named))
    return named[0] if named else ""


def propose_targets(
    session: Session, topic, *, unit_ids=None, rule: FlagRule | None = None, today: date | None = None, sources=None
) -> Proposal:
    """Units and officials for a session on ``topic`` (officials of ``unit_ids`` only when given), by need."""
    today = today or local_today()
    rule = rule or FlagRule()
    sources = need_sources() if sources is None else list(sources)
    topic = str(getattr(topic, "value", topic))

    lagging = competency_api.lagging_units(session, topic, threshold_share=0.0, today=today)
    index = {u.unit_id: u.index for u in lagging}
    flagged: dict[str, set[int]] = {}
    cuts: dict[str, float | None] = {}
    flagged[COMPETENCY], cuts[COMPETENCY] = stand_out(index, rule, rule.below_index)
    source_units = {}
    for source in sources:
        figures = {uid: fig for uid, fig in source.units(session).items() if uid in index}
        source_units[source.name] = figures
        flagged[source.name], cuts[source.name] = stand_out(
            {uid: score for uid, (score, _d) in figures.items()}, rule, rule.below_score
        )
    order = [COMPETENCY, *(s.name for s in sources)]
    units = [
        UnitNeed(
            unit_id=u.unit_id,
            unit_name=u.unit_name,
            block=u.block,
            officials=u.officials,
            lagging=u.lagging,
            share_lagging=u.share_lagging,
            index=u.index,
            scores=tuple((s.name, *source_units[s.name].get(u.unit_id, (None, ""))) for s in sources),
            reasons=tuple(r for r in order if u.unit_id in flagged[r]),
        )
        for u in lagging
    ]
    units.sort(key=lambda u: (-len(u.reasons), u.index, -u.share_lagging, vi_sort_key(u.unit_name), u.unit_id))
    place = {u.unit_id: n for n, u in enumerate(units)}

    people: dict[int, dict] = {}
    for o in competency_api.lagging_officials(session, topic, unit_ids=unit_ids, today=today):
        people[o.official_id] = {
            "official_id": o.official_id,
            "unit_id": o.unit_id,
            "full_name": o.full_name,
            "unit_name": o.unit_name,
            "reasons": [COMPETENCY],
            "need": o.need,
            "status": o.status,
            "best_percent": o.best_percent,
            "cert_expires_on": o.cert_expires_on,
            "details": [],
        }
    for source in sources:
        for official_id, unit_id, full_name, unit_name, detail in source.officials(session, topic, unit_ids):
            entry = people.setdefault(
                official_id,
                {
                    "official_id": official_id,
                    "unit_id": unit_id,
                    "full_name": full_name,
                    "unit_name": unit_name,
                    "reasons": [],
                    "details": [],
                },
            )
            entry["reasons"].append(source.name)
            entry["details"].append(detail)
    sort_keys = _sort_keys(session, list(people))
    officials = sorted(
        (
            OfficialNeed(**{**p, "reasons": tuple(p["reasons"]), "details": tuple(p["details"])})
            for p in people.values()
        ),
        key=lambda o: (
            -len(o.reasons),
            -o.need,
            place.get(o.unit_id, len(place)),
            sort_keys.get(o.official_id, ""),
            o.official_id,
        ),
    )
    return Proposal(
        units=units,
        officials=officials,
        rule=rule,
        sources=sources,
        cuts=cuts,
        explanations={s.name: s.explain(session) for s in sources},
    )


def _sort_keys(session: Session, official_ids: list[int]) -> dict[int, str]:
    """The officials' names as the official list sorts them (Vietnamese order, given name first)."""
    out: dict[int, str] = {}
    for start in range(0, len(official_ids), _CHUNK):
        chunk = official_ids[start : start + _CHUNK]
        out.update(session.execute(select(Official.id, Official.sort_key).where(Official.id.in_(chunk))).all())
    return out
