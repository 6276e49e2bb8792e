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
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_WEIGHTS = {"coverage": 0.60, "score": 0.25, "participation": 0.15, "practice": 0.0}
DEFAULT_MAX_POINTS = 100.0
DEFAULT_MIN_OFFICIALS = 5


@dataclass(frozen=True)
class Weights:
    coverage: float = 0.60
    score: float = 0.25
    participation: float = 0.15
    practice: float = 0.0

    @classmethod
    def from_config(cls, config=None) -> Weights:
        raw = dict(DEFAULT_WEIGHTS)
        if config is None:
            from flask import current_app, has_app_context

            config = current_app.config if has_app_context() else {}
        raw.update(config.get("COMPETENCY_WEIGHTS") or {})
        total = sum(float(v) for v in raw.values())
        if total <= 0:
            raise ValueError("COMPETENCY_WEIGHTS must have a positive sum")
        return cls(*(float(raw[k]) / total for k in ("coverage", "score", "participation", "practice")))


def config_value(key: str, default):
    from flask import current_app, has_app_context

    return current_app.config.get(key, default) if has_app_context() else default


def competency_index(
    coverage: float, avg_best: float | None, participation: float, weights: Weights, practice: float = 0.0
) -> float:
    """The unit competency index, 0-100 (unrounded). ``avg_best`` is 0-100; None counts as 0;
    ``practice`` is the share of practice exercises passed (0-1)."""
    return 100.0 * (
        weights.coverage * coverage
        + weights.score * (avg_best or 0.0) / 100.0
        + weights.participation * participation
        + weights.practice * practice
    )


def explanation(weights: Weights, max_points: float = DEFAULT_MAX_POINTS, min_officials: int = DEFAULT_MIN_OFFICIALS):
    """Paragraphs shown on the dashboards and printed in the PDF report (Vietnamese)."""
    from flask_babel import gettext as _

    from lms.formatting import format_decimal, format_percent

    def pct(x: float) -> str:
        return format_percent(x, 0, ratio=True)

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
        _(
            "Tỷ lệ có chứng nhận được tính riêng cho từng chủ đề (quản lý văn bản, cổng thông tin, thư "
            "điện tử, an toàn thông tin) rồi lấy trung bình. Chỉ tính cán bộ đang công tác của đơn vị."
        ),
        _(
            "Ví dụ: 50%% cán bộ có chứng nhận, điểm bình quân 80/100, 90%% đã tham gia thì chỉ số là "
            "%(c)s × 50 + %(s)s × 80 + %(p)s × 90 = %(v)s.",
            c=format_decimal(weights.coverage, 2),
            s=format_decimal(weights.score, 2),
            p=format_decimal(weights.participation, 2),
            v=format_decimal(competency_index(0.5, 80, 0.9, weights), 1),
        ),
        _(
            "Điểm được quy ra thang %(m)s điểm như bộ chỉ số chuyển đổi số; các đơn vị được xếp hạng riêng "
            "theo khối. Đơn vị bằng điểm thì cùng hạng (ví dụ 1, 2, 2, 4). Đơn vị có dưới %(n)s cán bộ "
            "được đánh dấu vì số người quá ít để so sánh công bằng, nhưng vẫn được xếp hạng.",
            m=format_decimal(max_points),
            n=min_officials,
        ),
    ]
