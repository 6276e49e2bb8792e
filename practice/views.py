"""Practice pages: the official's exercises, the replica workspace, results for unit heads and staff.

Every handler: load (404) -> check access (403) -> call a service -> commit once. The replica's own
pages are one endpoint (``workspace``) and its form posts another (``act``): the replica decides
what a page shows and what an action does, from the saved state.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from lms.auth.access import MANAGERS, STAFF, roles_required
from lms.auth.models import Role
from lms.auth.permissions import require
from lms.extensions import db
from lms.inputs import db_int
from lms.org.models import Official, Unit
from lms.pagination import Page
from lms.topics import Topic
from practice import services
from practice.models import Scenario
from practice.permissions import can_manage_practice, can_view_unit_practice
from practice.replicas.base import ActionError, Form, vn_date, vn_moment

bp = Blueprint(
    "practice",
    __name__,
    url_prefix="/practice",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

PER_PAGE = 25


def _official() -> Official:
    official = db.session.get(Official, current_user.official_id) if current_user.official_id else None
    if official is None:
        abort(403)
    return official


def _scenario(scenario_id: int) -> Scenario:
    scenario = db.session.get(Scenario, scenario_id)
    if scenario is None or not scenario.published:
        abort(404)
    return scenario


def _run(scenario: Scenario, lock: bool = False):
    return services.get_run(db.session, current_user.official_id, scenario.id, lock=lock)


# =========================================================================== officials


@bp.get("/")
@roles_required(Role.OFFICIAL)
def index():
    official = _official()
    runs = services.runs_by_scenario(db.session, official.id)
    groups: dict[int, dict] = {}
    scenarios = services.published_scenarios(db.session)
    for scenario in scenarios:
        group = groups.setdefault(
            scenario.course_id, {"title": scenario.course_title or Topic(scenario.topic).label, "items": []}
        )
        group["items"].append((scenario, runs.get(scenario.id)))
    passed = sum(1 for s in scenarios if s.id in runs and runs[s.id].passed)
    total = len(scenarios)
    return render_template("practice/index.html", groups=list(groups.values()), passed=passed, total=total)


@bp.get("/<int:scenario_id>")
@roles_required(Role.OFFICIAL)
def scenario(scenario_id: int):
    scenario = _scenario(scenario_id)
    _official()
    run = _run(scenario)
    return render_template(
        "practice/scenario.html",
        scenario=scenario,
        run=run,
        checks=services.check_labels(scenario),
        replica_label=scenario.app.label,
    )


@bp.post("/<int:scenario_id>/start")
@roles_required(Role.OFFICIAL)
def start(scenario_id: int):
    scenario = _scenario(scenario_id)
    services.start_run(db.session, _official(), scenario)
    db.session.commit()
    return redirect(url_for("practice.workspace", scenario_id=scenario.id))


@bp.route("/<int:scenario_id>/restart", methods=["GET", "POST"])
@roles_required(Role.OFFICIAL)
def restart(scenario_id: int):
    """GET asks first (what is kept, what is lost); POST starts the exercise again."""
    scenario = _scenario(scenario_id)
    if request.method == "GET":
        run = _run(scenario)
        if run is None:
            abort(404)
        return render_template("practice/restart.html", scenario=scenario, run=run)
    run = _run(scenario, lock=True)
    if run is None:
        abort(404)
    services.restart_run(db.session, run)
    db.session.commit()
    flash(_("Bài thực hành đã trở lại từ đầu. Số lần kiểm tra trước đây vẫn được ghi nhận."), "success")
    return redirect(url_for("practice.workspace", scenario_id=scenario.id))


def _workspace_run(scenario: Scenario):
    """The run to show; started on an older version of the scenario -> started again (saved)."""
    run = _run(scenario)
    if run is not None and run.spec_hash != scenario.spec_hash:
        services.start_run(db.session, _official(), scenario)
        db.session.commit()
        flash(_("Bài thực hành vừa được cập nhật nên bắt đầu lại từ đầu."), "warning")
    return run


@bp.get("/<int:scenario_id>/app/", defaults={"page": None, "key": None})
@bp.get("/<int:scenario_id>/app/<page>", defaults={"key": None})
@bp.get("/<int:scenario_id>/app/<page>/<key>")
@roles_required(Role.OFFICIAL)
def workspace(scenario_id: int, page: str | None, key: str | None):
    scenario = _scenario(scenario_id)
    run = _workspace_run(scenario)
    if run is None:
        return redirect(url_for("practice.scenario", scenario_id=scenario.id))
    return _render_workspace(scenario, run, page or services.replica_of(scenario).home_page, key, request.args)


def _render_workspace(scenario, run, page, key, args, values=None, errors=None, status=200):
    replica = services.replica_of(scenario)
    try:
        template, context = replica.page(run.state, page, key, dict(args), values, errors)
    except LookupError:
        abort(404)
    step = args.get("step")
    return (
        render_template(
            template,
            scenario=scenario,
            run=run,
            replica=replica,
            page_name=page,
            page_key=key,
            guide=replica.guide(page, step),
            vn_date=vn_date,
            vn_moment=vn_moment,
            **context,
        ),
        status,
    )


@bp.post("/<int:scenario_id>/do/<action>")
@roles_required(Role.OFFICIAL)
def act(scenario_id: int, action: str):
    scenario = _scenario(scenario_id)
    replica = services.replica_of(scenario)
    if action not in replica.actions:
        abort(404)
    run = _run(scenario, lock=True)
    if run is None:
        return redirect(url_for("practice.scenario", scenario_id=scenario.id))
    if run.spec_hash != scenario.spec_hash:
        return redirect(url_for("practice.workspace", scenario_id=scenario.id))
    form = Form(request.form)
    try:
        outcome = services.apply_action(db.session, run, action, form)
        db.session.commit()
    except ActionError as exc:
        db.session.rollback()
        run = _run(scenario)
        spec = replica.actions[action]
        key = request.form.get("doc") or request.form.get("page") or request.form.get("message") or None
        page = spec.form_page or replica.home_page
        if page == "compose":
            key = request.form.get("draft") or None
        if page == "new" and replica.app == "portal":
            page, key = ("edit", key) if key else ("new", None)
        args = {"step": request.form.get("step") or action, **_return_args(request.form)}
        errors = {exc.field or "_form": exc.message}
        values = _posted_values(request.form)
        return _render_workspace(scenario, run, page, key, args, values, errors, status=422)
    except StaleDataError:
        db.session.rollback()
        flash(_("Bài thực hành vừa thay đổi ở một cửa sổ khác. Hãy xem lại rồi làm lại bước vừa rồi."), "warning")
        return redirect(url_for("practice.workspace", scenario_id=scenario.id))
    flash(str(outcome.message), "success")
    return redirect(
        url_for("practice.workspace", scenario_id=scenario.id, page=outcome.page, key=outcome.key)
        if outcome.key
        else url_for("practice.workspace", scenario_id=scenario.id, page=outcome.page)
    )


MULTI = {"coordinators", "informed", "scope", "approvers", "files"}


def _posted_values(form) -> dict:
    """The values to show again in a form refused with an error (lists for the multi-choice fields)."""
    return {k: form.getlist(k) if k in MULTI else form.get(k) for k in form if k != "csrf_token"}


def _return_args(form) -> dict:
    return {k: form.get(k) for k in ("mode", "source", "reply_to") if form.get(k)}


@bp.post("/<int:scenario_id>/check")
@roles_required(Role.OFFICIAL)
def check(scenario_id: int):
    scenario = _scenario(scenario_id)
    run = _run(scenario, lock=True)
    if run is None:
        abort(404)
    report = services.check_run(db.session, run)
    db.session.commit()
    if report.first_success:
        flash(_("Chúc mừng! Bạn đã làm đúng toàn bộ bài thực hành."), "success")
    return redirect(url_for("practice.result", scenario_id=scenario.id))


@bp.get("/<int:scenario_id>/result")
@roles_required(Role.OFFICIAL)
def result(scenario_id: int):
    scenario = _scenario(scenario_id)
    run = _run(scenario)
    if run is None or not run.tries:
        return redirect(url_for("practice.scenario", scenario_id=scenario.id))
    return render_template("practice/result.html", scenario=scenario, run=run)


# =========================================================================== unit heads and staff


@bp.get("/my-unit")
@roles_required(*MANAGERS)
def my_unit():
    if can_manage_practice(current_user):
        return redirect(url_for("practice.units"))
    return redirect(url_for("practice.unit", unit_id=min(current_user.headed_unit_ids)))


@bp.get("/units/<int:unit_id>")
@roles_required(*MANAGERS)
def unit(unit_id: int):
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    require(can_view_unit_practice(current_user, unit.id))
    page = max(1, request.args.get("page", 1, type=db_int) or 1)
    show = "passed" if request.args.get("show") == "passed" else None
    rows, total = services.unit_staff_results(db.session, unit.id, page, PER_PAGE, passed_only=show == "passed")
    figures = services.unit_figures(db.session, [unit.id]).get(unit.id)
    return render_template(
        "practice/unit.html",
        unit=unit,
        show=show,
        rows=Page(rows, page, PER_PAGE, total),
        figures=figures,
        totals=services.topic_totals(db.session),
        topics=list(Topic),
    )


@bp.get("/units")
@roles_required(*STAFF)
def units():
    figures = services.unit_figures(db.session)
    units = list(db.session.scalars(select(Unit).where(Unit.id.in_(list(figures))).order_by(Unit.name)))
    rows = sorted(((u, figures[u.id]) for u in units), key=lambda r: (-r[1].mean_percent, -r[1].passing, r[0].name))
    return render_template("practice/units.html", rows=rows, total=sum(services.topic_totals(db.session).values()))


@bp.get("/manage")
@roles_required(*STAFF)
def manage():
    by_course = services.scenarios_by_course(db.session)
    courses = [
        {
            "id": course_id,
            "title": scenarios[0].course_title,
            "scenarios": scenarios,
            "required": services.course_requires_practice(db.session, course_id),
        }
        for course_id, scenarios in by_course.items()
    ]
    return render_template("practice/manage.html", courses=courses)


@bp.post("/manage/courses/<int:course_id>/requirement")
@roles_required(*STAFF)
def set_requirement(course_id: int):
    if not services.published_scenarios(db.session, [course_id]):
        abort(404)
    required = request.form.get("required") == "1"
    services.set_course_requirement(db.session, course_id, required, current_user.id)
    db.session.commit()
    if required:
        flash(_("Từ nay cán bộ phải làm đạt các bài thực hành để hoàn thành khóa học này."), "success")
    else:
        flash(_("Các bài thực hành của khóa học này không còn bắt buộc để hoàn thành."), "success")
    return redirect(url_for("practice.manage"))
