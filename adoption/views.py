"""Usage pages: the province indicators, imports and matching, a unit's page and monthly form, an
official's usage next to their competency, the monthly report (PDF, XLSX).

Every handler: load (404) -> check (403) -> act; one commit per request.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from adoption import indicators as ind
from adoption import links, report, services, staff
from adoption.format import FILTERS
from adoption.forms import UnitReportForm, UsageImportForm
from adoption.imports import ImportFileError, read_usage_file, template_rows
from adoption.models import System, UnitReport, UsageImport, UsageRow
from adoption.months import add_months, as_of, label, local_today, month_start, parse_month
from adoption.permissions import (
    can_report_for_unit,
    can_view_official_usage,
    can_view_province_usage,
    can_view_unit_usage,
)
from lms.auth.access import MANAGERS, STAFF, login_required, roles_required
from lms.auth.models import Role
from lms.auth.permissions import load_or_404
from lms.exports import send_table, spreadsheet_export
from lms.extensions import db
from lms.org.models import Category, Official, Unit
from lms.org.services import OfficialFilters, officials_query, units_query
from lms.pagination import Page
from lms.views import perform

bp = Blueprint(
    "adoption",
    __name__,
    url_prefix="/adoption",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template_filters() -> dict:
    """The filters of the usage templates (``adoption_*``), added by ``adoption.init_app``."""
    return {
        **{f"adoption_{k}": v for k, v in FILTERS.items()},
        "adoption_category_label": lambda value: Category(value).label,
        "adoption_topic_label": links.topic_label,
        "adoption_month": label,
    }


def _default_excluded() -> tuple[str, ...]:
    """``ADOPTION_EXCLUDE_CATEGORIES``: categories left out of the officials' figures unless the page
    asks otherwise (a list, or a comma-separated string from the environment, e.g. ``vien_chuc``)."""
    value = current_app.config.get("ADOPTION_EXCLUDE_CATEGORIES") or ()
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")]
    valid = {c.value for c in Category}
    return tuple(sorted({v for v in value if v in valid}))


def _chosen_month(available: list[date]) -> date:
    """The month asked for (``?month=2026-11``), else the latest with data, else the current one."""
    asked = parse_month(request.args.get("month"))
    if asked is not None and asked <= month_start(local_today()):
        return asked
    return available[-1] if available else month_start(local_today())


def panel_data(user) -> dict:
    """The dashboard panel: the province's latest figures, or the unit's for its head."""
    today = local_today()
    month = ind.latest_month(db.session)
    data: dict = {"month": month}
    if month is None:
        return data
    if can_view_province_usage(user):
        data["province"] = ind.province_indicators(db.session, month, ind.Filters(_default_excluded()), today)
    if user.is_authenticated and user.headed_unit_ids:
        unit_id = min(user.headed_unit_ids)
        data["unit"] = db.session.get(Unit, unit_id)
        data["unit_figures"] = next(iter(ind.unit_months(db.session, unit_id, [month], today)), None)
    return data


# -- the province ----------------------------------------------------------------------------------
@bp.get("/")
@roles_required(*STAFF)
def province():
    today = local_today()
    available = ind.trend_months(db.session, limit=600)
    month = _chosen_month(available)
    filters = ind.Filters.from_args(request.args, _default_excluded())
    previous, last_year = ind.comparison_months(month)
    trend = [m for m in available if m <= month][-24:]
    figures = ind.indicators_for(db.session, sorted({month, previous, last_year, *trend}), filters, today)
    units = ind.unit_table(db.session, month, today)
    chart = None
    if len(trend) > 1:
        series = {
            _("Đơn vị dùng phần mềm quản lý văn bản"): [(m, 100 * (figures[m].total.dms_share or 0)) for m in trend],
            _("Cổng thông tin được cập nhật trong 30 ngày"): [
                (m, 100 * (figures[m].total.portal_share or 0)) for m in trend
            ],
            _("Cán bộ dùng thư điện tử công vụ"): [(m, 100 * (figures[m].total.mail_share or 0)) for m in trend],
        }
        chart = links.trend_chart(
            series,
            trend,
            title=_("Diễn biến ba chỉ số sử dụng theo tháng (%)"),
            desc=_("Mỗi đường là một chỉ số, tính theo phần trăm; số liệu đầy đủ ở bảng bên dưới."),
        )
    args = {"month": month.strftime("%Y-%m"), **_exclude_args(filters)}
    return render_template(
        "adoption/province.html",
        month=month,
        current=figures[month],
        previous=figures[previous],
        last_year=figures[last_year],
        trend=[figures[m] for m in trend],
        chart=chart,
        units=units,
        blocks=links.blocks(),
        filters=filters,
        default_excluded=_default_excluded(),
        month_options=[(m.strftime("%Y-%m"), label(m)) for m in reversed(available)],
        categories=Category.choices(),
        args=args,
        today=today,
    )


def _exclude_args(filters: ind.Filters) -> dict:
    return {"exclude": list(filters.excluded), "all_categories": "1"} if filters.excluded else {"all_categories": "1"}


# -- imports and matching ----------------------------------------------------------------------------
@bp.route("/import", methods=["GET", "POST"])
@roles_required(*STAFF)
def import_usage():
    form = UsageImportForm()
    if request.method == "GET" and not form.month.data:
        form.month.data = label(add_months(month_start(local_today()), -1))
    parsed = outcome = error = None
    if form.validate_on_submit():
        upload = form.file.data
        system = System(form.system.data)
        try:
            services.check_month(form.month.month)
            parsed = read_usage_file(
                system, form.month.month, upload.filename, upload.read(), current_app.config["IMPORT_MAX_ROWS"]
            )
        except (ImportFileError, services.AdoptionError) as exc:
            error = str(exc)
        else:
            if parsed.ok:
                done = perform(
                    lambda: services.import_usage(
                        db.session, parsed, upload.filename, actor=current_user, ip=request.remote_addr or ""
                    ),
                    flash_error=False,
                )
                outcome, error = done.value, done.message
    refused = error or (parsed is not None and not parsed.ok) or (request.method == "POST" and form.errors)
    recent = db.session.scalars(select(UsageImport).order_by(UsageImport.created_at.desc()).limit(12)).all()
    status = 400 if refused else 200
    return render_template(
        "adoption/import.html", form=form, parsed=parsed, outcome=outcome, error=error, recent=recent
    ), status


@bp.get("/import/template/<any(dms, portal, email):system>.<any(csv, xlsx):ext>")
@roles_required(*STAFF)
@spreadsheet_export
def import_template(system: str, ext: str):
    if system not in System._value2member_map_ or ext not in ("csv", "xlsx"):
        abort(404)
    header, rows = template_rows(System(system))
    return send_table(header, rows, fmt=ext, stem=f"mau-su-dung-{system}", sheet="Su dung")


@bp.get("/unmatched")
@roles_required(*STAFF)
def unmatched():
    system = request.args.get("system", "")
    system = System(system) if system in System._value2member_map_ else None
    month = parse_month(request.args.get("month"))
    page = db.paginate(
        services.unmatched_rows(system, month),
        per_page=current_app.config["PER_PAGE"],
        error_out=False,
        count=True,
    )
    return render_template(
        "adoption/unmatched.html",
        page=page,
        system=system,
        month=month,
        args={
            k: v for k, v in {"system": system.value if system else "", "month": request.args.get("month")}.items() if v
        },
    )


def _row_or_404(row_id: int) -> tuple[UsageRow, UsageImport]:
    row = load_or_404(UsageRow, row_id)
    return row, db.session.get(UsageImport, row.import_id)


@bp.route("/unmatched/<int:row_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def match_row(row_id: int):
    row, batch = _row_or_404(row_id)
    per_unit = batch.system == System.PORTAL or row.key.startswith("unit:")
    error = None
    if request.method == "POST":
        choice = request.form.get("choice", "")
        official = unit = None
        not_person = choice == "not_person"
        if choice.startswith("official:"):
            official = db.session.get(Official, _int(choice[9:]))
            if official is None:
                abort(404)
        elif choice.startswith("unit:"):
            unit = db.session.get(Unit, _int(choice[5:]))
            if unit is None:
                abort(404)
        done = perform(
            lambda: services.match_by_hand(
                db.session,
                row,
                official=official,
                unit=unit,
                not_person=not_person,
                actor=current_user,
                ip=request.remote_addr or "",
            ),
            flash_error=False,
        )
        error = done.message
        if done.ok:
            flash(_("Đã ghép %(n)d dòng. Lần nhập sau, dòng này sẽ được ghép tự động.", n=done.value), "success")
            return redirect(
                url_for("adoption.unmatched", system=batch.system.value, month=batch.month.strftime("%Y-%m"))
            )
    q = request.args.get("q")
    if q is None:
        q = row.name or (row.label.split("@")[0].replace(".", " ") if row.label else "") or row.unit_text
    if per_unit:
        candidates = db.session.scalars(units_query(q, on=as_of(batch.month)).limit(20)).all()
    else:
        candidates = db.session.scalars(officials_query(OfficialFilters(q=q)).limit(20)).all()
    status = 400 if error else 200
    return render_template(
        "adoption/match_row.html", row=row, batch=batch, q=q, candidates=candidates, per_unit=per_unit, error=error
    ), status


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        abort(400)


# -- a unit ------------------------------------------------------------------------------------------
@bp.get("/my-unit")
@roles_required(Role.UNIT_HEAD)
def my_unit():
    if not current_user.headed_unit_ids:
        abort(404)
    return redirect(url_for("adoption.unit", unit_id=min(current_user.headed_unit_ids)))


@bp.get("/units/<int:unit_id>")
@roles_required(*MANAGERS)
def unit(unit_id: int):
    unit = load_or_404(Unit, unit_id, check=can_view_unit_usage)
    today = local_today()
    history = ind.unit_months(db.session, unit.id, today=today)
    available = [f.month for f in history]
    month = _chosen_month(available)
    current = next((f for f in history if f.month == month), None)
    show = request.args.get("show", "")
    show = show if show in staff.STAFF_FILTERS else ""
    people = staff.unit_staff_usage(db.session, unit.id, month, as_of(month, today))
    page = Page.of([p for p in people if p.matches(show)], request.args.get("page", 1, type=int) or 1, 50)
    row = next((r for r in ind.unit_table(db.session, month, today) if r.figures.unit_id == unit.id), None)
    chart = None
    if len(history) > 1:
        recent = history[-24:]
        chart = links.trend_chart(
            {
                _("Điểm sử dụng (0–100)"): [(f.month, f.score) for f in recent],
                _("Cán bộ dùng thư công vụ (%)"): [(f.month, 100 * (f.mail_share or 0)) for f in recent],
            },
            [f.month for f in recent],
            title=_("Sử dụng ứng dụng của %(u)s theo tháng", u=unit.name),
            desc=_("Điểm sử dụng và tỷ lệ cán bộ dùng thư công vụ ở mỗi tháng; số liệu ở bảng bên dưới."),
        )
    report_row = db.session.scalar(select(UnitReport).where(UnitReport.unit_id == unit.id, UnitReport.month == month))
    return render_template(
        "adoption/unit.html",
        unit=unit,
        month=month,
        current=current,
        row=row,
        history=list(reversed(history[-24:])),
        chart=chart,
        page=page,
        counts=staff.counts(people),
        show=show,
        report=report_row,
        month_options=[(m.strftime("%Y-%m"), label(m)) for m in reversed(available)],
        today=today,
        digest_opted_out=_opted_out(unit),
    )


def _opted_out(unit: Unit):
    """None when the viewer does not head this unit, else whether they turned the digest off."""
    from adoption.digest import is_opted_out

    if unit.id not in current_user.headed_unit_ids:
        return None
    return is_opted_out(db.session, current_user.id)


@bp.route("/units/<int:unit_id>/report", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def unit_report(unit_id: int):
    unit = load_or_404(Unit, unit_id, check=can_report_for_unit)
    today = local_today()
    month = parse_month(request.values.get("month")) or add_months(month_start(today), -1)
    people = services.unit_staff(db.session, unit.id)
    existing = db.session.scalar(select(UnitReport).where(UnitReport.unit_id == unit.id, UnitReport.month == month))
    form = UnitReportForm(obj=existing)
    error = None
    if form.validate_on_submit():
        data = services.UnitReportInput(
            dms_received=form.dms_received.data,
            dms_processed=form.dms_processed.data,
            dms_sent=form.dms_sent.data,
            dms_signed=form.dms_signed.data,
            has_portal=form.has_portal.data,
            portal_articles=form.portal_articles.data or 0,
            portal_last_update=form.portal_last_update.data,
            email_users=_ids("email_users"),
            dms_users=_ids("dms_users"),
        )
        done = perform(
            lambda: services.save_unit_report(
                db.session, unit, month, data, actor=current_user, ip=request.remote_addr or ""
            ),
            flash_error=False,
        )
        error = done.message
        if done.ok:
            flash(_("Đã lưu báo cáo tháng %(m)s của %(u)s.", m=label(month), u=unit.name), "success")
            return redirect(url_for("adoption.unit", unit_id=unit.id, month=month.strftime("%Y-%m")))
    lines = {line.official_id: line for line in existing.officials} if existing else {}
    if request.method == "POST":
        checked = {"email": _ids("email_users"), "dms": _ids("dms_users")}
    else:
        checked = {
            "email": {oid for oid, line in lines.items() if line.uses_email},
            "dms": {oid for oid, line in lines.items() if line.uses_dms},
        }
    refused = error or (request.method == "POST" and form.errors)
    return render_template(
        "adoption/unit_report.html",
        unit=unit,
        month=month,
        form=form,
        people=people,
        checked=checked,
        existing=existing,
        error=error,
    ), 400 if refused else 200


def _ids(name: str) -> set[int]:
    out = set()
    for value in request.form.getlist(name):
        try:
            out.add(int(value))
        except ValueError:
            abort(400)
    return out


# -- an official ---------------------------------------------------------------------------------------
@bp.get("/officials/<int:official_id>")
@login_required
def official(official_id: int):
    person = load_or_404(Official, official_id, check=can_view_official_usage)
    today = local_today()
    from adoption.models import OfficialMonth

    months = db.session.scalars(
        select(OfficialMonth)
        .where(OfficialMonth.official_id == person.id)
        .order_by(OfficialMonth.month.desc())
        .limit(24)
    ).all()
    unit_names = dict(
        db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_({m.unit_id for m in months}))).all()
    )
    return render_template(
        "adoption/official.html",
        person=person,
        months=months,
        unit_names=unit_names,
        competency=links.competency_of(db.session, person.id, today),
        today=today,
    )


# -- the monthly report ------------------------------------------------------------------------------------
def _report_data():
    available = ind.trend_months(db.session, limit=600)
    month = _chosen_month(available)
    filters = ind.Filters.from_args(request.args, _default_excluded())
    return report.report_data(db.session, month, filters, local_today())


@bp.get("/report.pdf")
@roles_required(*STAFF)
def report_pdf():
    data = _report_data()
    body = report.to_pdf(render_template("adoption/report_pdf.html", r=data))
    return _download(body, f"bao-cao-su-dung-{data.month:%Y-%m}.pdf", "application/pdf")


@bp.get("/report.xlsx")
@roles_required(*STAFF)
@spreadsheet_export
def report_xlsx():
    data = _report_data()
    return _download(report.to_xlsx(data), f"bao-cao-su-dung-{data.month:%Y-%m}.xlsx", XLSX)


def _download(body: bytes, name: str, mimetype: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


# -- did training work? ---------------------------------------------------------------------------------
def _effect_chart(e):
    from adoption.charts import before_after_chart

    if e.verdict in ("no_measure", "no_before", "no_after"):
        return None
    treated = (
        _("Đơn vị có người dự")
        if e.measure == "portal"
        else (_("Đơn vị có người dự") if e.scope == "units" else _("Người dự"))
    )
    return before_after_chart(
        [
            (treated, e.treated.before_share, e.treated.after_share),
            (_("Cùng khối, không dự"), e.comparison.before_share, e.comparison.after_share),
        ],
        title=_("Tỷ lệ sử dụng trước và sau: %(t)s", t=e.label),
        desc=_("Cột nhạt: trung bình các tháng trước; cột đậm: các tháng sau. Số liệu ở bảng bên dưới."),
        before_label=_("Trước tập huấn"),
        after_label=_("Sau tập huấn"),
    )


@bp.get("/training")
@roles_required(*STAFF)
def effects():
    from adoption.effect import course_effects, session_effects

    return render_template(
        "adoption/effects.html",
        sessions=session_effects(db.session),
        courses=course_effects(db.session),
        today=local_today(),
    )


@bp.get("/training/sessions/<int:session_id>")
@roles_required(*STAFF)
def session_effect(session_id: int):
    from adoption.effect import session_effect as compute

    today = local_today()
    found = links.past_sessions(db.session, today, session_id=session_id)
    if not found:
        abort(404)
    scope = "units" if request.args.get("scope") == "units" else "attendees"
    e = compute(db.session, found[0], scope=scope, today=today)
    return render_template("adoption/effect.html", e=e, chart=_effect_chart(e), scope=scope, session_id=session_id)


@bp.get("/training/courses/<int:course_id>")
@roles_required(*STAFF)
def course_effect(course_id: int):
    from adoption.effect import course_effect as compute

    course = next((c for c in links.courses(db.session) if c.id == course_id), None)
    if course is None:
        abort(404)
    e = compute(db.session, course)
    return render_template("adoption/effect.html", e=e, chart=_effect_chart(e), scope="attendees", session_id=None)


# -- the monthly digest to unit heads ---------------------------------------------------------------------
@bp.post("/digest/subscription")
@roles_required(Role.UNIT_HEAD)
def digest_subscription():
    from adoption.digest import set_subscription

    wanted = request.form.get("wanted") == "1"
    perform(lambda: set_subscription(db.session, current_user, wanted, ip=request.remote_addr or ""))
    if wanted:
        flash(_("Đã bật thư tổng hợp hằng tháng."), "success")
    else:
        flash(_("Đã tắt thư tổng hợp hằng tháng. Đồng chí có thể bật lại bất cứ lúc nào."), "success")
    unit_id = min(current_user.headed_unit_ids) if current_user.headed_unit_ids else None
    return redirect(url_for("adoption.unit", unit_id=unit_id) if unit_id else url_for("main.dashboard"))


@bp.get("/digests")
@roles_required(*STAFF)
def digests():
    from adoption.digest import head_assignments, recipient, sent_query
    from adoption.models import DigestOptOut

    available = ind.trend_months(db.session, limit=600)
    month = _chosen_month(available)
    page = db.paginate(sent_query(month), per_page=current_app.config["PER_PAGE"], error_out=False)
    states = links.outbox_states(db.session, [d.dedupe_key for d in page.items])
    opted = set(db.session.scalars(select(DigestOptOut.user_id)))
    heads = head_assignments(db.session, local_today())
    return render_template(
        "adoption/digests.html",
        month=month,
        page=page,
        states=states,
        opted_out=[(u, unit) for u, unit in heads if u.id in opted],
        no_email=[(u, unit) for u, unit in heads if u.id not in opted and not recipient(u)],
        month_options=[(m.strftime("%Y-%m"), label(m)) for m in reversed(available)],
    )
