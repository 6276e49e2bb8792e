"""Units and officials pages; imports."""

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.auth.access import STAFF, login_required, roles_required
from lms.auth.models import Role
from lms.auth.permissions import can_view_official, can_view_unit, require
from lms.extensions import db
from lms.forms import choices
from lms.org import imports
from lms.org.forms import ImportForm, OfficialForm
from lms.org.models import Category, Level, Official, Position, Unit, UnitKind, UnitSuccession
from lms.org.services import OfficialFilters, OrgError, officials_query, save_official, staff_counts, units_query
from lms.text import split_full_name

bp = Blueprint("org", __name__, url_prefix="/org")


def _filters_from_args() -> OfficialFilters:
    active = request.args.get("active", "1")
    return OfficialFilters(
        q=request.args.get("q", "").strip()[:200],
        category=request.args.get("category", ""),
        level=request.args.get("level", ""),
        position=request.args.get("position", ""),
        active=None if active == "all" else active != "0",
    )


def _filter_args(f: OfficialFilters) -> dict:
    return {"q": f.q, "category": f.category, "level": f.level, "position": f.position}


@bp.get("/units")
@roles_required(*STAFF)
def units():
    q = request.args.get("q", "").strip()[:200]
    kind = request.args.get("kind", "")
    page = db.paginate(units_query(q, kind), per_page=50, error_out=False)
    counts = staff_counts(db.session, [u.id for u in page.items])
    return render_template("org/units.html", page=page, q=q, kind=kind, counts=counts, kinds=UnitKind.choices())


@bp.get("/units/<int:unit_id>")
@roles_required(Role.UNIT_HEAD, *STAFF)
def unit_detail(unit_id: int):
    unit = db.get_or_404(Unit, unit_id)
    require(can_view_unit(current_user, unit))
    filters = _filters_from_args()
    filters.unit_id = unit.id
    page = db.paginate(officials_query(filters), per_page=current_app.config["PER_PAGE"], error_out=False)
    history = db.session.scalars(
        select(UnitSuccession).where(
            (UnitSuccession.predecessor_id == unit.id) | (UnitSuccession.successor_id == unit.id)
        )
    ).all()
    return render_template(
        "org/unit_detail.html",
        unit=unit,
        page=page,
        filters=filters,
        args=_filter_args(filters),
        history=history,
        **_choice_lists(),
    )


def _choice_lists() -> dict:
    return {"categories": Category.choices(), "levels": Level.choices(), "positions": Position.choices()}


@bp.get("/officials")
@roles_required(*STAFF)
def officials():
    filters = _filters_from_args()
    unit_id = request.args.get("unit", type=int)
    filters.unit_id = unit_id
    page = db.paginate(officials_query(filters), per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template(
        "org/officials.html",
        page=page,
        filters=filters,
        args={**_filter_args(filters), "unit": unit_id or ""},
        units=db.session.scalars(select(Unit).order_by(Unit.name)).all(),
        unit_id=unit_id,
        **_choice_lists(),
    )


@bp.get("/officials/<int:official_id>")
@login_required
def official_detail(official_id: int):
    official = db.get_or_404(Official, official_id)
    require(can_view_official(current_user, official))
    return render_template("org/official_detail.html", official=official)


@bp.route("/officials/new", methods=["GET", "POST"], defaults={"official_id": None})
@bp.route("/officials/<int:official_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def edit_official(official_id: int | None):
    official = db.get_or_404(Official, official_id) if official_id else None
    form = OfficialForm(obj=official)
    form.unit_id.choices = choices(
        (u.id, f"{u.name} ({u.code})") for u in db.session.scalars(select(Unit).order_by(Unit.name))
    )
    if request.method == "GET" and official is not None:
        form.full_name.data = official.full_name
        form.split_manually.data = split_full_name(official.full_name) != (
            official.family_name,
            official.middle_name,
            official.given_name,
        )
    error = None
    if form.validate_on_submit():
        target = official or Official()
        if form.split_manually.data and form.given_name.data:
            family, middle, given = form.family_name.data or "", form.middle_name.data or "", form.given_name.data
        else:
            family, middle, given = split_full_name(form.full_name.data)
        target.family_name, target.middle_name, target.given_name = family, middle, given
        target.code = (form.code.data or "").strip().upper() or None
        target.email = (form.email.data or "").strip().lower() or None
        target.phone = form.phone.data or ""
        target.unit_id = form.unit_id.data
        target.position, target.category, target.level = (
            Position(form.position.data),
            Category(form.category.data),
            Level(form.level.data),
        )
        target.birth_year = form.birth_year.data
        target.active = form.active.data
        try:
            save_official(db.session, target)
            db.session.commit()
        except OrgError as exc:
            db.session.rollback()
            error = str(exc)
        except Exception as exc:  # unique e-mail/code
            from sqlalchemy.exc import IntegrityError

            if not isinstance(exc, IntegrityError):
                raise
            db.session.rollback()
            error = _("Mã cán bộ hoặc thư điện tử này đã thuộc một người khác.")
        else:
            flash(_("Đã lưu hồ sơ của %(n)s.", n=target.full_name), "success")
            return redirect(url_for("org.official_detail", official_id=target.id))
    return render_template("org/edit_official.html", form=form, official=official, error=error)


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*STAFF)
def import_data():
    form = ImportForm()
    result = file_error = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            rows = imports.read_table(upload.filename, upload.read(), max_rows=current_app.config["IMPORT_MAX_ROWS"])
        except imports.ImportFileError as exc:
            file_error = str(exc)
        else:
            run = imports.import_units if form.kind.data == "units" else imports.import_officials
            result = run(db.session, rows)
            if result.ok:
                from lms.auth.services import audit

                audit(
                    db.session,
                    current_user,
                    f"import.{form.kind.data}",
                    target=upload.filename,
                    details=f"created={result.created} updated={result.updated}",
                    ip=request.remote_addr or "",
                )
                db.session.commit()
            else:
                db.session.rollback()
    refused = file_error or (result and not result.ok) or (request.method == "POST" and form.errors)
    return render_template("org/import.html", form=form, result=result, file_error=file_error), 400 if refused else 200


@bp.get("/import/template/<kind>.<ext>")
@roles_required(*STAFF)
def import_template(kind: str, ext: str):
    if kind not in ("officials", "units") or ext not in ("csv", "xlsx"):
        return render_template("error.html", code=404, message=_("Không có mẫu này.")), 404
    name = "mau-danh-sach-can-bo" if kind == "officials" else "mau-danh-sach-don-vi"
    if ext == "csv":
        data, mime = imports.template_csv(kind), "text/csv; charset=utf-8"
    else:
        data = imports.template_xlsx(kind)
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(data, mimetype=mime, headers={"Content-Disposition": f"attachment; filename={name}.{ext}"})
