"""Competency pages: my results, a unit's dashboard, the province ranking, exports and the PDF report."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from certificates import api as certificates_api
from competency import exports, member, staff
from competency.breakdown import breakdowns_served
from competency.charts import bar_chart, trend_chart
from competency.index import (
    DEFAULT_MAX_POINTS,
    DEFAULT_MIN_OFFICIALS,
    Weights,
    config_value,
    explanation,
    index_components,
)
from competency.models import CompetencyRecord, RecordStatus
from competency.permissions import (
    can_view_rankings,
    can_view_unit_results,
    has_own_results,
    heads_a_unit,
)
from competency.rankings import (
    AGE_GROUPS,
    BLOCKS,
    RankingFilters,
    age_group_label,
    block_label,
    rank_units,
    ranking_served,
    unit_entry,
    unit_ranking,
)
from competency.snapshots import snapshot_months, trend
from lms.auth.access import MANAGERS, STAFF, roles_required, safe_next_url
from lms.auth.models import Role
from lms.auth.permissions import can_manage_account, load_or_404
from lms.exports import download, send_table, spreadsheet_export
from lms.extensions import db
from lms.features import staff_sections
from lms.inputs import db_int
from lms.org.models import Category, Level, Official, Position, Unit
from lms.pagination import Page
from lms.time import local_today
from lms.topics import Topic
from practice import api as practice_api

bp = Blueprint(
    "competency",
    __name__,
    url_prefix="/competency",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

STATUS_CLASSES = {
    "not_started": "bad",
    "in_progress": "warn",
    "passed": "ok",
    "cert_valid": "ok",
    "cert_expired": "warn",
}
OVERALL_LABELS = {
    "not_started": _l("Chưa bắt đầu"),
    "failing": _l("Chưa đạt"),
    "in_progress": _l("Đang học"),
    "passed": _l("Đạt cả bốn chủ đề"),
}
SHOW_LABELS = {
    "": _l("Tất cả"),
    "not_started": _l("Chưa bắt đầu"),
    "failing": _l("Có chủ đề chưa đạt"),
    "passed": _l("Đạt cả bốn chủ đề"),  # "Đã đạt (0)" read as nobody certified at all
    "expiring": _l("Chứng nhận sắp/đã hết hạn"),
}


def status_label(status: str) -> str:
    return RecordStatus(status).label


def stale_since(*served):
    """When the oldest stale value served was computed (UTC), or None when all are fresh: the pages
    say "ranking computed at HH:MM" while a fresh one is computed in the background."""
    return min((s.computed_at for s in served if s.stale), default=None)


def extra_columns(weights: Weights) -> list[tuple[str, str]]:
    """(name, heading) of the registered parts of the index that have a weight (adoption's usage)."""
    components = index_components()
    return [(name, str(components[name].label)) for name, _w in weights.extra]


def _settings_context() -> dict:
    weights = Weights.from_config()
    max_points = float(config_value("COMPETENCY_MAX_POINTS", DEFAULT_MAX_POINTS))
    min_officials = int(config_value("COMPETENCY_MIN_OFFICIALS", DEFAULT_MIN_OFFICIALS))
    components = index_components()
    texts = {name: (str(components[name].label), components[name].explain(db.session)) for name, _w in weights.extra}
    return {
        "formula": explanation(weights, max_points, min_officials, texts),
        "weights": weights,
        "extra_columns": extra_columns(weights),
    }


def panel_data(user) -> dict:
    data: dict = {"today": local_today()}
    if has_own_results(user):
        data["mine"] = my_topics(user.official_id)
    if heads_a_unit(user):
        unit_id = min(user.headed_unit_ids)
        data["unit"] = db.session.get(Unit, unit_id)
        data["unit_rank"] = unit_ranking(db.session, unit_id)
        data["staff_counts"] = staff.staff_counts(db.session, unit_id, data["today"])
    if can_view_rankings(user):
        ranked = rank_units(db.session)
        data["top"] = [u for u in ranked if u.is_top]
        data["bottom"] = [u for u in ranked if u.is_bottom]
    return data


# -- the official -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MyTopic:
    topic: Topic
    status: str
    best_percent: float | None
    attempts: int
    last_activity_at: object
    cert_expires_on: object
    certificate_id: int | None
    next_step: str
    practice_passed: int = 0
    practice_total: int = 0


def _next_step(status: str, expires, today) -> str:
    if status == "not_started":
        return _("Đăng ký khóa học của chủ đề này và làm bài kiểm tra cuối khóa.")
    if status == "in_progress":
        return _("Ôn lại bài học rồi làm lại bài kiểm tra cuối khóa để đạt yêu cầu.")
    if status == "passed":
        return _("Bạn đã đạt; chứng nhận sẽ được cấp khi hoàn thành đủ các bài học của khóa.")
    if status == "cert_expired":
        return _("Chứng nhận đã hết hạn: học lại và làm bài kiểm tra để được cấp chứng nhận mới.")
    if expires is not None and (expires - today).days <= certificates_api.RENEWAL_WINDOW_DAYS:
        return _("Chứng nhận sắp hết hạn: hãy ôn tập và làm lại bài kiểm tra trước ngày hết hạn.")
    return _("Đã hoàn thành. Bạn có thể ôn tập lại bất cứ lúc nào.")


def my_topics(official_id: int) -> list[MyTopic]:
    today = local_today()
    records = {
        r.topic.value: r
        for r in db.session.scalars(select(CompetencyRecord).where(CompetencyRecord.official_id == official_id))
    }
    exercises = practice_api.exercise_totals(db.session)
    out = []
    for topic in Topic:
        r = records.get(topic.value)
        status = r.status_on(today).value if r else "not_started"
        expires = r.cert_expires_on if r else None
        out.append(
            MyTopic(
                topic=topic,
                status=status,
                best_percent=r.best_percent if r else None,
                attempts=r.attempts_count if r else 0,
                last_activity_at=r.last_activity_at if r else None,
                cert_expires_on=expires,
                certificate_id=r.certificate_id if r else None,
                next_step=_next_step(status, expires, today),
                practice_passed=r.practice_passed if r else 0,
                practice_total=exercises.get(topic.value, 0),
            )
        )
    return out


@bp.get("/me")
@roles_required(Role.OFFICIAL)
def mine():
    official = load_or_404(Official, current_user.official_id)
    return render_template(
        "competency/mine.html",
        official=official,
        topics=my_topics(official.id),
        certificates=certificates_api.certificates_of(db.session, official.id),
        today=local_today(),
    )


# -- a unit ---------------------------------------------------------------------------------------------
@bp.get("/my-unit")
@roles_required(Role.UNIT_HEAD)
def my_unit():
    if not current_user.headed_unit_ids:
        abort(404)
    return redirect(url_for("competency.unit", unit_id=min(current_user.headed_unit_ids)))


@bp.get("/my-block")
@roles_required(Role.UNIT_HEAD)
def block_ranking():
    """The ranking of the block of the unit the head leads: unit figures are published between the
    units of a block in provincial practice (the province-wide page, filters and exports stay staff's)."""
    if not current_user.headed_unit_ids:
        abort(404)
    unit = db.session.get(Unit, min(current_user.headed_unit_ids))
    entry = unit_ranking(db.session, unit.id)
    if entry is None:  # no active officials yet: nothing to rank
        return render_template("competency/block.html", unit=unit, entry=None, **_settings_context())
    ctx = _ranking_context(RankingFilters(block=entry.block))
    units = next((units for block, units in ctx["blocks"] if block == entry.block), [])
    return render_template(
        "competency/block.html",
        unit=unit,
        entry=entry,
        block=entry.block,
        units=units,
        chart=ctx["charts"].get(entry.block),
        stale_at=stale_since(ctx["served"]),
        today=local_today(),
        **_settings_context(),
    )


def _load_unit(unit_id: int) -> Unit:
    unit = load_or_404(Unit, unit_id, check=can_view_unit_results)
    return unit


def _staff_args() -> dict:
    show = request.args.get("show", "")
    sort = request.args.get("sort", "name")
    return {
        "show": show if show in staff.STAFF_FILTERS else "",
        "sort": sort if sort in staff.STAFF_SORTS else "name",
        "desc": request.args.get("dir") == "desc",
    }


@bp.get("/units/<int:unit_id>")
@roles_required(*MANAGERS)
def unit(unit_id: int):
    unit = _load_unit(unit_id)
    args = _staff_args()
    today = local_today()
    table = staff.staff_page(
        db.session, unit.id, **args, page=request.args.get("page", 1, type=db_int) or 1, today=today
    )
    ranked = ranking_served(db.session)
    entry = unit_entry(ranked, unit.id)
    figures = breakdowns_served(db.session, unit_id=unit.id)
    history = trend(db.session, [unit.id]).get(unit.id, [])
    months = [m for m, _i, _r in history]
    chart = None
    if history:
        chart = trend_chart(
            {unit.name: [(m, i) for m, i, _r in history]},
            months,
            title=_("Chỉ số năng lực của %(u)s theo tháng", u=unit.name),
            desc=_("Đường biểu diễn chỉ số (0–100) ở cuối mỗi tháng; số liệu ở bảng bên dưới."),
        )
    link_args = {k: v for k, v in {"show": args["show"], "sort": args["sort"]}.items() if v}
    list_here = _list_here()
    if args["desc"]:
        link_args["dir"] = "desc"
    return render_template(
        "competency/unit.html",
        unit=unit,
        entry=entry,
        page=Page(table.rows, table.page, table.per_page, table.total),
        counts=table.counts,
        total=table.counts[""],
        args=args,
        link_args=link_args,
        list_here=list_here,
        show_labels=SHOW_LABELS,
        overall_labels=OVERALL_LABELS,
        history=history,
        trend_svg=chart,
        breakdowns=figures.value,
        stale_at=stale_since(ranked, figures),
        topics=list(Topic),
        today=today,
        **_settings_context(),
    )


def _list_here() -> str:
    """This page's own address with its query string (filters, sort, page), for links that come back."""
    return request.full_path.rstrip("?")


def _can_view_staff_member(user, official: Official) -> bool:
    """The official's current unit's head, or province-wide staff (a unit head of another unit: 403)."""
    return official.unit is not None and can_view_unit_results(user, official.unit)


@bp.get("/staff/<int:official_id>")
@roles_required(*MANAGERS)
def staff_member(official_id: int):
    """One staff member as their unit head sees them: topics, certificates, courses, sessions, actions.
    ``back``: the list it was opened from (its filters kept), a path of this site only."""
    official = load_or_404(Official, official_id, check=_can_view_staff_member)
    today = local_today()
    back = safe_next_url(request.args.get("back")) or url_for("competency.unit", unit_id=official.unit_id)
    m = member.staff_member(db.session, official, today)
    return render_template(
        "competency/staff_member.html",
        m=m,
        official=official,
        back=back,
        back_here=_list_here(),
        can_assign=official.unit_id in current_user.headed_unit_ids,  # the assignment form lists the head's staff
        can_print_slip=(
            m.account is not None
            and current_app.config.get("LOCAL_PASSWORDS", True)
            and can_manage_account(current_user, m.account)
        ),
        sections=staff_sections(),
        today=today,
    )


def _staff_export(unit_id: int):
    unit = _load_unit(unit_id)
    args = _staff_args()
    rows = staff.iter_staff_rows(db.session, unit.id, **args)
    header, data = exports.staff_table(rows, status_label)
    return unit, header, data


@bp.get("/units/<int:unit_id>/staff.<any(csv, xlsx):fmt>")
@roles_required(*MANAGERS)
@spreadsheet_export
def unit_staff_export(unit_id: int, fmt: str):
    unit, header, data = _staff_export(unit_id)
    # built whole (a few hundred KB for the largest unit): a streamed body would run after the view
    # returned, outside its request context and transaction
    title = _("Kết quả học tập của cán bộ — %(u)s — ngày %(d)s", u=unit.name, d=local_today().strftime("%d/%m/%Y"))
    stem = f"can-bo-{unit.code}-{local_today().isoformat()}"
    return send_table(header, data, fmt=fmt, stem=stem, sheet=_("Cán bộ"), title=title)


def _download(body: bytes, stem: str, ext: str, mimetype: str) -> Response:
    return download(body, exports.dated_name(stem, local_today(), ext), mimetype)


# -- the province -----------------------------------------------------------------------------------------
def _filter_choices() -> dict:
    return {
        "block_options": [(b, block_label(b)) for b in BLOCKS],
        "topics": Topic.choices(),
        "categories": Category.choices(),
        "levels": Level.choices(),
        "positions": Position.choices(),
        "age_groups": [(g, age_group_label(g)) for g in AGE_GROUPS],
        "month_options": [(m.strftime("%Y-%m"), f"{m.month:02d}/{m.year}") for m in snapshot_months(db.session)],
    }


def _ranking_context(filters: RankingFilters) -> dict:
    served = ranking_served(db.session, filters)
    ranked = list(served.value)
    blocks = [(b, [u for u in ranked if u.block == b]) for b in BLOCKS if any(u.block == b for u in ranked)]
    charts = {
        b: bar_chart(
            units,
            title=_("Chỉ số năng lực theo đơn vị — %(b)s", b=block_label(b)),
            desc=_(
                "Biểu đồ thanh ngang: mỗi thanh là chỉ số (0–100) của một đơn vị, xếp theo hạng. "
                "Xanh lá: nhóm dẫn đầu; cam: nhóm cuối bảng. Số liệu đầy đủ ở bảng xếp hạng."
            ),
        )
        for b, units in blocks
    }
    return {"ranked": ranked, "blocks": blocks, "charts": charts, "filters": filters, "served": served}


def _trend_context(ranked) -> dict:
    """Trend lines for the top and bottom units of each block (a readable number of lines)."""
    chosen = [u for u in ranked if u.is_top or u.is_bottom][:8] or ranked[:8]
    history = trend(db.session, [u.unit_id for u in chosen])
    months = snapshot_months(db.session)
    if not history or not months:
        return {"trend_svg": None, "trend_rows": [], "trend_months": []}
    names = {u.unit_id: u.unit_name for u in chosen}
    series = {names[uid]: [(m, i) for m, i, _r in points] for uid, points in history.items() if uid in names}
    svg = trend_chart(
        series,
        months,
        title=_("Diễn biến chỉ số năng lực theo tháng"),
        desc=_("Mỗi đường là một đơn vị (nhóm dẫn đầu và cuối bảng của từng khối); số liệu ở bảng bên dưới."),
    )
    rows = [(name, dict(points)) for name, points in series.items()]
    return {"trend_svg": svg, "trend_rows": rows, "trend_months": months}


@bp.get("/")
@roles_required(*STAFF)
def ranking():
    filters = RankingFilters.from_args(request.args)
    ctx = _ranking_context(filters)
    figures = breakdowns_served(db.session, filters)
    return render_template(
        "competency/ranking.html",
        **ctx,
        **_trend_context(ctx["ranked"]),
        **_filter_choices(),
        **_settings_context(),
        breakdowns=figures.value,
        stale_at=stale_since(ctx["served"], figures),
        args=filters.as_args(),
        today=local_today(),
    )


@bp.get("/ranking.<any(csv, xlsx):fmt>")
@roles_required(*STAFF)
@spreadsheet_export
def ranking_export(fmt: str):
    header, data = exports.ranking_table(
        rank_units(db.session, RankingFilters.from_args(request.args)), extra_columns(Weights.from_config())
    )
    title = _("Xếp hạng năng lực ứng dụng CNTT của các đơn vị — ngày %(d)s", d=local_today().strftime("%d/%m/%Y"))
    stem = f"xep-hang-don-vi-{local_today().isoformat()}"
    return send_table(header, data, fmt=fmt, stem=stem, sheet=_("Xếp hạng"), title=title)


@bp.get("/ranking.pdf")
@roles_required(*STAFF)
def ranking_pdf():
    filters = RankingFilters.from_args(request.args)
    ctx = _ranking_context(filters)
    html = render_template(
        "competency/report_pdf.html", **ctx, **_settings_context(), today=local_today(), config_filters=filters
    )
    return _download(exports.ranking_pdf(html), "bao-cao-xep-hang", "pdf", "application/pdf")
