"""The unit competency index (0-100) and its plain-Vietnamese explanation.

    index = 100 x (w_coverage x coverage + w_score x avg_best / 100 + w_participation x participation
                   + w_practice x practice)

* coverage: mean over the topics in scope (the four, or the filtered one) of the share of the
  unit's active officials holding a valid certificate of the topic (0-1);
* avg_best: mean best final-test score (0-100) over the (official, topic) pairs that have one;
* participation: share of the unit's active officials who attempted any quiz (0-1);
* practice (the practical component): the practice exercises in scope passed by the unit's active
  officials, as a share of what all of them could pass (officials x published exercises; 0-1).

Default weights 0.60 / 0.25 / 0.15 / 0 (config ``COMPETENCY_WEIGHTS``, environment
``LMS_COMPETENCY_WEIGHTS``: the practical component counts once IT staff give it a weight); they are
normalised to sum 1, so the index stays 0-100 whatever is configured. Points out of ``COMPETENCY_MAX_POINTS`` (default
100) are the same figure on the report's scale, as in the provinces' DTI-style rankings.

Other features may add a unit-level part (adoption's usage score) with ``register_index_component``
from their ``init_app``: competency works without them. A registered part counts once it has a weight
in ``COMPETENCY_WEIGHTS`` (0 by default: the index is then exactly the one above); a weight named for
a part no installed feature registered is left out (and logged). Such a part is a score 0-100 per
unit; a unit without one counts 0 for it. It applies to the live ranking of units (not to breakdowns
by category, level or age, nor to a topic's lagging units: those stay the competency parts, their
weights normalised among themselves).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

log = logging.getLogger(__name__)

DEFAULT_WEIGHTS = {"coverage": 0.60, "score": 0.25, "participation": 0.15, "practice": 0.0}
PARTS = tuple(DEFAULT_WEIGHTS)
DEFAULT_MAX_POINTS = 100.0
DEFAULT_MIN_OFFICIALS = 5
EXTENSION = "competency.index_components"


@dataclass(frozen=True)
class IndexComponent:
    """A unit-level part of the index added by another feature (``register_index_component``).

    ``scores(session, month)`` -> {unit id: score 0-100} as of ``month`` (the first of a month: the
    figures of that month, or of the latest month before it with data; None: the latest there is).
    Units left out have no figure: they count 0;
    ``explain(session)`` -> one plain sentence for the pages that explain the index."""

    name: str
    label: object  # lazily translated: the column heading
    scores: Callable
    explain: Callable


def register_index_component(app, name: str, label, scores: Callable, explain: Callable) -> None:
    """Add a part to the unit index of ``app`` (called from a feature's ``init_app``)."""
    if name in PARTS:
        raise ValueError(f"{name!r} is a part of the competency index already")
    app.extensions.setdefault(EXTENSION, {})[name] = IndexComponent(name, label, scores, explain)


def index_components(app=None) -> dict[str, IndexComponent]:
    """The parts registered on ``app`` (default: the current app; none outside an app context)."""
    if app is None:
        from flask import current_app, has_app_context

        if not has_app_context():
            return {}
        app = current_app
    return dict(app.extensions.get(EXTENSION, {}))


@dataclass(frozen=True)
class Weights:
    coverage: float = 0.60
    score: float = 0.25
    participation: float = 0.15
    practice: float = 0.0
    #: the registered parts with a weight above 0, ((name, weight), ...), in the order registered
    extra: tuple[tuple[str, float], ...] = ()

    @classmethod
    def from_config(cls, config=None, components=None) -> Weights:
        raw = dict(DEFAULT_WEIGHTS)
        if config is None:
            from flask import current_app, has_app_context

            config = current_app.config if has_app_context() else {}
        if components is None:
            components = index_components()
        raw.update(config.get("COMPETENCY_WEIGHTS") or {})
        for name in [n for n in raw if n not in PARTS and n not in components]:
            if float(raw.pop(name)):
                log.warning("COMPETENCY_WEIGHTS: no installed feature provides %r: its weight is left out", name)
        total = sum(float(v) for v in raw.values())
        if total <= 0:
            raise ValueError("COMPETENCY_WEIGHTS must have a positive sum")
        extra = tuple((n, float(raw[n]) / total) for n in components if float(raw.get(n, 0) or 0) > 0)
        return cls(*(float(raw[k]) / total for k in PARTS), extra=extra)

    @property
    def extra_map(self) -> dict[str, float]:
        return dict(self.extra)

    def competency_only(self) -> Weights:
        """The competency parts alone, normalised among themselves (breakdowns, a topic's lagging units)."""
        if not self.extra:
            return self
        total = sum(getattr(self, k) for k in PARTS)
        if total <= 0:
            return Weights()
        return replace(self, extra=(), **{k: getattr(self, k) / total for k in PARTS})


def config_value(key: str, default):
    from flask import current_app, has_app_context

    return current_app.config.get(key, default) if has_app_context() else default


def competency_index(
    coverage: float,
    avg_best: float | None,
    participation: float,
    weights: Weights,
    practice: float = 0.0,
    extra: Mapping[str, float | None] | None = None,
) -> float:
    """The unit competency index, 0-100 (unrounded). ``avg_best`` is 0-100; None counts as 0;
    ``practice`` is the share of practice exercises passed (0-1); ``extra`` the registered parts'
    scores (0-100; missing or None counts as 0)."""
    extra = extra or {}
    return 100.0 * (
        weights.coverage * coverage
        + weights.score * (avg_best or 0.0) / 100.0
        + weights.participation * participation
        + weights.practice * practice
        + sum(w * (extra.get(name) or 0.0) / 100.0 for name, w in weights.extra)
    )


def explanation(
    weights: Weights,
    max_points: float = DEFAULT_MAX_POINTS,
    min_officials: int = DEFAULT_MIN_OFFICIALS,
    extra_texts: Mapping[str, tuple[str, str]] | None = None,
):
    """Paragraphs shown on the dashboards and printed in the PDF report (Vietnamese).
    ``extra_texts``: {name: (label, sentence)} of the registered parts that have a weight."""
    from flask_babel import gettext as _

    from lms.formatting import format_decimal, format_percent

    def pct(x: float) -> str:
        return format_percent(x, 0, ratio=True)

    extra_texts = extra_texts or {}
    return [
        _(
            "Chỉ số năng lực của đơn vị (0–100) cộng ba phần: tỷ lệ cán bộ có chứng nhận còn hiệu lực "
            "(chiếm %(c)s), điểm bài kiểm tra cuối khóa cao nhất bình quân (chiếm %(s)s) và tỷ lệ cán bộ "
            "đã tham gia làm bài (chiếm %(p)s).",
            c=pct(weights.coverage),
            s=pct(weights.score),
            p=pct(weights.participation),
        ),
        *(
            [
                _(
                    "Phần thực hành (chiếm %(x)s): số bài thực hành trên phần mềm cán bộ của đơn vị đã làm đạt, "
                    "so với số bài mọi cán bộ có thể làm.",
                    x=pct(weights.practice),
                )
            ]
            if weights.practice
            else []
        ),
        *(
            _(
                "Phần “%(l)s” (chiếm %(x)s): %(t)s Đơn vị chưa có số liệu thì phần này được 0 điểm.",
                l=extra_texts[name][0],
                x=pct(w),
                t=extra_texts[name][1],
            )
            for name, w in weights.extra
            if name in extra_texts
        ),
        _(
            "Tỷ lệ có chứng nhận được tính riêng cho từng chủ đề (quản lý văn bản, cổng thông tin, thư "
            "điện tử, an toàn thông tin) rồi lấy trung bình. Chỉ tính cán bộ đang công tác của đơn vị."
        ),
        _example(weights, extra_texts),
        _(
            "Điểm được quy ra thang %(m)s điểm như bộ chỉ số chuyển đổi số; các đơn vị được xếp hạng riêng "
            "theo khối. Đơn vị bằng điểm thì cùng hạng (ví dụ 1, 2, 2, 4). Đơn vị có dưới %(n)s cán bộ "
            "được đánh dấu vì số người quá ít để so sánh công bằng, nhưng vẫn được xếp hạng.",
            m=format_decimal(max_points),
            n=min_officials,
        ),
    ]


def _example(weights: Weights, extra_texts: Mapping[str, tuple[str, str]]) -> str:
    """The worked example: 50% certified, best scores 80/100, 90% took part (and 60/100 for each
    registered part with a weight)."""
    from flask_babel import gettext as _

    from lms.formatting import format_decimal

    values = dict(
        c=format_decimal(weights.coverage, 2),
        s=format_decimal(weights.score, 2),
        p=format_decimal(weights.participation, 2),
    )
    extra = [(name, w) for name, w in weights.extra if name in extra_texts]
    if not extra:
        return _(
            "Ví dụ: 50%% cán bộ có chứng nhận, điểm bình quân 80/100, 90%% đã tham gia thì chỉ số là "
            "%(c)s × 50 + %(s)s × 80 + %(p)s × 90 = %(v)s.",
            v=format_decimal(competency_index(0.5, 80, 0.9, weights), 1),
            **values,
        )
    parts = ", ".join(_("“%(l)s” 60/100", l=extra_texts[name][0]) for name, _w in extra)
    return _(
        "Ví dụ: 50%% cán bộ có chứng nhận, điểm bình quân 80/100, 90%% đã tham gia, %(parts)s thì chỉ số là "
        "%(c)s × 50 + %(s)s × 80 + %(p)s × 90%(terms)s = %(v)s.",
        parts=parts,
        terms="".join(f" + {format_decimal(w, 2)} × 60" for _name, w in extra),
        v=format_decimal(competency_index(0.5, 80, 0.9, weights, extra=dict.fromkeys(weights.extra_map, 60.0)), 1),
        **values,
    )
