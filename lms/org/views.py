"""Units and officials pages; imports."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from lms import storage
from lms.auth.access import STAFF, login_required, roles_required
from lms.auth.models import Role
from lms.auth.permissions import can_view_official, can_view_unit, load_or_404
from lms.errors import UserError
from lms.exports import send_table, spreadsheet_export
from lms.extensions import db
from lms.forms import choices
from lms.inputs import db_int
from lms.org import imports
from lms.org.forms import ImportConfirmForm, ImportForm, OfficialForm, UnitChangeForm
from lms.org.models import SUCCESSION_KINDS, Category, Level, Official, Position, Unit, UnitKind, UnitSuccession
from lms.org.services import (
    NewUnitSpec,
    OfficialFilters,
    OrgError,
    SuccessionInvalid,
    SuccessionRequest,
    apply_succession,
    officials_query,
    plan_succession,
    save_official,
    staff_counts,
    units_query,
)
from lms.text import split_full_name
from lms.time import local_today
from lms.uploads import PendingUploads

bp = Blueprint("org", __name__, url_prefix="/org", template_folder="templates")

# a history row shows both units: loaded with the rows, not one lookup per row
_SUCCESSION_UNITS = (joinedload(UnitSuccession.predecessor), joinedload(UnitSuccession.successor))


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


UNIT_CHOICES_SHOWN = 200  # checkboxes of old units listed at once; a text filter narrows a long list


@bp.route("/units/changes", methods=["GET", "POST"])
@roles_required(*STAFF)
def unit_changes():
    """Merger, split, rename: the form -> a preview (nothing written) -> confirm (one transaction)."""
    today = local_today()
    q = request.args.get("q", "").strip()[:200]
    form = UnitChangeForm()
    if request.method == "GET":
        form.effective_on.data = today
    active = db.session.scalars(units_query(on=today).where(Unit.valid_until.is_(None))).all()
    unit_label = {u.id: f"{u.name} ({u.code})" for u in active}
    form.successor_id.choices = choices([(0, _("— Chọn đơn vị —"))] + list(unit_label.items()))
    form.new_parent_id.choices = choices([(0, _("(Không có)"))] + list(unit_label.items()))
    listed = db.session.scalars(units_query(q, on=today).where(Unit.valid_until.is_(None))).all() if q else active
    chosen = set(form.old_ids.data or [])
    shown = list(listed[:UNIT_CHOICES_SHOWN])
    shown += [u for u in active if u.id in chosen and u not in shown]
    plan = digest = None
    status = 200
    if request.method == "POST":
        form_ok = form.validate_on_submit()
        if form.effective_on.data is not None:  # the date is needed to check the rest
            try:
                planned = plan_succession(db.session, _succession_request(form))
            except SuccessionInvalid as exc:
                for name, messages in exc.errors.items():
                    getattr(form, name).errors = [*getattr(form, name).errors, *messages]
            else:
                plan = planned if form_ok else None
        if plan is not None:
            digest = plan.digest()
            if request.form.get("action") == "confirm":
                if request.form.get("digest") != digest:
                    flash(_("Thông tin đã thay đổi từ lúc xem trước. Hãy xem lại rồi xác nhận."), "error")
                else:
                    done = _confirm_unit_change(plan)
                    if done is not None:
                        return done
                    plan = None
        if plan is None:
            status = 400
        db.session.rollback()  # a preview writes nothing
    history = db.paginate(
        select(UnitSuccession)
        .options(*_SUCCESSION_UNITS)
        .order_by(UnitSuccession.effective_on.desc(), UnitSuccession.id.desc()),
        per_page=20,
        error_out=False,
    )
    hidden = [
        (k, v) for k, values in request.form.lists() if k not in ("csrf_token", "action", "digest") for v in values
    ]
    return render_template(
        "org/unit_changes.html",
        form=form,
        q=q,
        shown=shown,
        listed_total=len(listed),
        chosen=chosen,
        plan=plan,
        digest=digest,
        hidden=hidden,
        history=history,
        kinds=SUCCESSION_KINDS,
    ), status


def _confirm_unit_change(plan):
    """Write the previewed change and commit; ``None`` (error flashed, nothing written) on failure."""
    try:
        successor = apply_succession(db.session, plan, current_user, ip=request.remote_addr or "")
        db.session.commit()
    except (OrgError, IntegrityError) as exc:  # e.g. the same code saved meanwhile
        db.session.rollback()
        flash(str(exc) if isinstance(exc, OrgError) else _("Dữ liệu vừa bị thay đổi. Hãy xem trước lại."), "error")
        return None
    flash(
        _(
            "Đã ghi: %(kind)s, đơn vị mới %(n)s, hiệu lực từ %(d)s.",
            kind=SUCCESSION_KINDS[plan.request.kind],
            n=successor.name,
            d=plan.request.effective_on.strftime("%d/%m/%Y"),
        ),
        "success",
    )
    return redirect(url_for("org.unit_detail", unit_id=successor.id))


def _succession_request(form: UnitChangeForm) -> SuccessionRequest:
    existing = form.successor_mode.data == "existing"
    return SuccessionRequest(
        kind=form.kind.data,
        old_ids=[i for i in form.old_ids.data or [] if i],
        effective_on=form.effective_on.data,
        successor_id=(form.successor_id.data or None) if existing else None,
        new_unit=None
        if existing
        else NewUnitSpec(
            code=form.new_code.data or "",
            name=form.new_name.data or "",
            kind=form.new_kind.data or "",
            parent_id=form.new_parent_id.data or None,
        ),
        note=form.note.data or "",
        move_heads=bool(form.move_heads.data),
        end_old=bool(form.end_old.data),
    )


@bp.get("/units/<int:unit_id>")
@roles_required(Role.UNIT_HEAD, *STAFF)
def unit_detail(unit_id: int):
    unit = load_or_404(Unit, unit_id, check=can_view_unit)
    filters = _filters_from_args()
    filters.unit_id = unit.id
    page = db.paginate(officials_query(filters), per_page=current_app.config["PER_PAGE"], error_out=False)
    history = db.session.scalars(
        select(UnitSuccession)
        .options(*_SUCCESSION_UNITS)
        .where((UnitSuccession.predecessor_id == unit.id) | (UnitSuccession.successor_id == unit.id))
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
    unit_id = request.args.get("unit", type=db_int)
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
    official = load_or_404(Official, official_id, check=can_view_official)
    return render_template("org/official_detail.html", official=official)


@bp.route("/officials/new", methods=["GET", "POST"], defaults={"official_id": None})
@bp.route("/officials/<int:official_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def edit_official(official_id: int | None):
    official = load_or_404(Official, official_id) if official_id else None
    form = OfficialForm(obj=official)
    form.unit_id.choices = choices(
        (u.id, f"{u.name} ({u.code})") for u in db.session.scalars(select(Unit).order_by(Unit.name))
    )
    if request.method == "GET" and official is not None:
        from lms.auth.accounts import unit_head_ids

        form.unit_head.data = official.id in unit_head_ids(db.session, [official.id])
        form.full_name.data = official.full_name
        form.split_manually.data = split_full_name(official.full_name) != (
            official.family_name,
            official.middle_name,
            official.given_name,
        )
    error = None
    if form.validate_on_submit():
        target = official or Official()
        old_unit_id = target.unit_id
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
            _account_follows(target, old_unit_id, bool(form.unit_head.data))
            db.session.commit()
        except UserError as exc:  # the unit's rules (OrgError) or the account's (AuthError)
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


def _account_follows(official: Official, old_unit_id: int | None, unit_head: bool) -> None:
    """The official's account: created if missing (an invitation when there is an e-mail address), the
    unit-head role moved with the official and set as the form says (``lms.auth.accounts``)."""
    from lms.auth import accounts
    from lms.time import utcnow

    actor, ip = current_user._get_current_object(), request.remote_addr or ""
    accounts.provide_accounts(db.session, [official], utcnow(), actor=actor, ip=ip)
    accounts.follow_unit_moves(db.session, [(official, old_unit_id)], actor, ip)
    accounts.set_unit_head(db.session, actor, official, unit_head, ip)


IMPORT_AREA = "org-imports"  # the store's area (lms.storage) of the files between preview and confirmation
IMPORT_MAX_AGE_HOURS = 24


def _pending_imports() -> PendingUploads:
    """In the store every application server sees: the preview and its confirmation may reach two."""
    return PendingUploads(storage.store(IMPORT_AREA), IMPORT_MAX_AGE_HOURS)


def _run_import(kind: str, table, **options) -> imports.ImportResult:
    if kind == "units":
        return imports.import_units(db.session, table, **options)
    actor = current_user._get_current_object()
    return imports.import_officials(db.session, table, actor=actor, ip=request.remote_addr or "", **options)


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*STAFF)
def import_data():
    """Upload -> preview (nothing written: new / updated / unchanged / refused rows, the changes, what
    needs a confirmation) -> confirm (the kept file is read and planned again, written if the plan is
    the one previewed, in one transaction)."""
    form = ImportForm()
    confirm_form = ImportConfirmForm()
    if request.method == "POST" and request.form.get("action") == "confirm":
        return _confirm_import(form, confirm_form)
    result = file_error = None
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        try:
            table = imports.read_table(upload.filename, data, max_rows=current_app.config["IMPORT_MAX_ROWS"])
        except imports.ImportFileError as exc:
            file_error = str(exc)
        else:
            result = _run_import(form.kind.data, table, dry_run=True)
            db.session.rollback()  # a preview writes nothing
            if not result.errors:
                confirm_form.token.data = _pending_imports().save(data, upload.filename)
                confirm_form.kind.data = form.kind.data
                confirm_form.digest.data = result.digest()
    refused = file_error or (result and result.errors) or (request.method == "POST" and form.errors)
    return _import_page(form, confirm_form, result, file_error, 400 if refused else 200)


def _import_page(form, confirm_form, result, file_error, status):
    return render_template(
        "org/import.html",
        form=form,
        confirm_form=confirm_form,
        result=result,
        file_error=file_error,
        shown_changes=IMPORT_CHANGES_SHOWN,
        name_column=imports.OFFICIAL_COLUMN_LABELS["ho_ten"],
    ), status


IMPORT_CHANGES_SHOWN = 500  # rows of changes, warnings and errors listed in the preview


def _confirm_import(form, confirm_form):
    pending = _pending_imports()
    if not confirm_form.validate_on_submit():
        flash(_("Yêu cầu xác nhận không hợp lệ. Hãy tải tệp lên lại."), "error")
        return _import_page(form, confirm_form, None, None, 400)
    token, kind = confirm_form.token.data, confirm_form.kind.data
    data = pending.read(token)
    if data is None:
        flash(
            _("Tệp đã tải lên không còn (đã ghi, hoặc quá %(h)d giờ). Hãy tải lên lại.", h=IMPORT_MAX_AGE_HOURS),
            "error",
        )
        return _import_page(form, confirm_form, None, None, 400)
    try:
        table = imports.read_table(token, data, max_rows=current_app.config["IMPORT_MAX_ROWS"])
    except imports.ImportFileError as exc:
        return _import_page(form, confirm_form, None, str(exc), 400)
    given = [name for name in imports.CONFIRMATIONS if getattr(confirm_form, f"confirm_{name}").data]
    result = _run_import(kind, table, confirm=given, expect_digest=confirm_form.digest.data)
    if result.written:
        from lms.auth.services import audit

        audit(
            db.session,
            current_user,
            f"import.{kind}",
            data={
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "confirmed": given or None,
            },
            ip=request.remote_addr or "",
        )
        try:
            db.session.commit()
        except (IntegrityError, OrgError):  # e.g. the same code saved meanwhile by someone else
            db.session.rollback()
            flash(_("Dữ liệu vừa bị thay đổi. Hãy xem trước lại."), "error")
        else:
            pending.discard(token)
            flash(
                _(
                    "Đã nhập xong %(n)d dòng: %(c)d mới, %(u)d cập nhật, %(k)d không đổi.",
                    n=result.rows,
                    c=result.created,
                    u=result.updated,
                    k=result.unchanged,
                ),
                "success",
            )
            return redirect(url_for("org.import_data"))
    else:
        db.session.rollback()
        if result.stale:
            flash(_("Dữ liệu đã thay đổi từ lúc xem trước. Hãy xem lại bản xem trước mới rồi xác nhận."), "error")
        elif result.missing:
            flash(_("Hãy đánh dấu các ô xác nhận dưới đây rồi bấm “Ghi vào hệ thống”."), "error")
    confirm_form.digest.data = result.digest()
    if result.errors:  # refused now (e.g. a unit removed meanwhile): the kept file is of no use
        pending.discard(token)
    form.kind.data = kind
    return _import_page(form, confirm_form, result, None, 400)


@bp.get("/import/template/<any(officials, units):kind>.<any(csv, xlsx):ext>")
@roles_required(*STAFF)
@spreadsheet_export
def import_template(kind: str, ext: str):
    header, examples = imports.template_rows(kind)
    stem = "mau-danh-sach-can-bo" if kind == "officials" else "mau-danh-sach-don-vi"
    return send_table(
        header, examples, fmt=ext, stem=stem, sheet="Danh sach", text_columns=imports.TEMPLATE_TEXT_COLUMNS
    )
