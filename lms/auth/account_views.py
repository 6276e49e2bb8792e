"""Accounts of the officials: activation (e-mailed link, printed slip), forgotten password, and the
accounts page of a unit (states, filters, bulk actions, the activation figures)."""

from __future__ import annotations

from datetime import datetime

from flask import Response, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from sqlalchemy import select

from lms.auth import accounts, services, tokens
from lms.auth.access import MANAGERS, public, roles_required, safe_next_url
from lms.auth.blueprint import bp
from lms.auth.forms import ForgotPasswordForm, SetPasswordForm, SlipCodeForm
from lms.auth.models import AccountToken, User
from lms.auth.passwords import rule_text
from lms.auth.permissions import can_manage_account, can_manage_accounts_of, can_view_all_units, load_or_404, require
from lms.auth.signin import client_ip, finish_login, throttle_limits
from lms.extensions import db
from lms.inputs import db_int
from lms.org.models import Category, Unit
from lms.time import utcnow

SLIP_SESSION_KEY = "slip_token"
SLIP_STEP_SECONDS = 15 * 60  # between the code + year and the chosen password


def _local_passwords_off():
    """``LMS_LOCAL_PASSWORDS=0`` (officials log in through the province's directory or provider): the
    pages that choose a password kept here answer 404 with a message saying how to log in."""
    if current_app.config.get("LOCAL_PASSWORDS", True):
        return None
    message = _("Máy chủ này dùng đăng nhập bằng tài khoản thư công vụ của tỉnh: không cần chọn mật khẩu riêng.")
    return render_template("error.html", code=404, message=message), 404


# -- forgotten password ----------------------------------------------------------------------------
@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password():
    if (off := _local_passwords_off()) is not None:
        return off
    form = ForgotPasswordForm()
    error, status = None, 200
    if form.validate_on_submit():
        try:
            tokens.request_reset(db.session, form.email.data, utcnow(), client_ip())
        except services.Throttled as exc:
            db.session.rollback()
            error, status = str(exc), 429
        else:
            db.session.commit()
            return render_template("auth/forgot_password.html", form=None, sent=True)
    elif form.errors:
        status = 400
    return render_template("auth/forgot_password.html", form=form, sent=False, error=error), status


# -- a link from an e-mail: invitation or reset ----------------------------------------------------
@bp.route("/password/set/<token>", methods=["GET", "POST"])
@public
def token_password(token: str):
    if (off := _local_passwords_off()) is not None:
        return off
    now = utcnow()
    found = tokens.find_link_token(db.session, token, now)
    if found is None:
        return render_template("auth/token_invalid.html"), 404
    return _choose_password(found, now)


def _choose_password(found: AccountToken, now: datetime):
    form = SetPasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            user = tokens.set_password_with_token(db.session, found, form.new.data, form.confirm.data, now, client_ip())
        except services.AuthError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            logout_user()  # whoever was logged in on this browser
            user.last_login_at = now
            response = finish_login(user, f"token:{found.purpose.value}", None)  # clears the session
            flash(
                _("Đã lưu mật khẩu. Từ nay bạn đăng nhập bằng %(login)s và mật khẩu này.", login=user.login_name),
                "success",
            )
            return response
    status = 400 if error or form.errors else 200
    return render_template(
        "auth/set_password.html", form=form, error=error, user=found.user, rule=rule_text(), purpose=found.purpose
    ), status


# -- an activation slip: code + year of birth, then the password -----------------------------------
@bp.route("/activate", methods=["GET", "POST"])
@public
def activate_code():
    if (off := _local_passwords_off()) is not None:
        return off
    form = SlipCodeForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args.get("code", "")[:40]
    error, status = None, 200
    if form.validate_on_submit():
        now, ip = utcnow(), client_ip()
        code = tokens.normal_code(form.code.data)
        found = tokens.find_slip(db.session, code, now)
        key = services.account_key(found.user, "") if found is not None else f"slip:{code[:40]}"
        limits = throttle_limits()
        if services.is_throttled(db.session, key, ip, now, limits):
            error, status = services._throttled_error(limits), 429
        elif found is None or not tokens.check_birth_year(found, form.birth_year.data):
            services.record_failure(db.session, key, ip, now)
            db.session.commit()
            error, status = _("Mã kích hoạt hoặc năm sinh không đúng. Hãy kiểm tra lại phiếu."), 401
        else:
            session[SLIP_SESSION_KEY] = {"id": found.id, "at": now.timestamp()}
            return redirect(url_for("auth.activate_password"))
    elif form.errors:
        status = 400
    return render_template("auth/activate_code.html", form=form, error=error), status


@bp.route("/activate/password", methods=["GET", "POST"])
@public
def activate_password():
    if (off := _local_passwords_off()) is not None:
        return off
    now = utcnow()
    state = session.get(SLIP_SESSION_KEY) or {}
    found = None
    if isinstance(state, dict) and now.timestamp() - float(state.get("at", 0)) < SLIP_STEP_SECONDS:
        found = db.session.get(AccountToken, int(state.get("id", 0)))
    if found is None or not found.usable_at(now) or not found.user.active:
        session.pop(SLIP_SESSION_KEY, None)
        flash(_("Hãy nhập lại mã kích hoạt và năm sinh."), "info")
        return redirect(url_for("auth.activate_code"))
    return _choose_password(found, now)


# -- the accounts page -----------------------------------------------------------------------------
def _filters(source, unit: Unit | None) -> accounts.AccountFilters:
    state = source.get("state", "")
    return accounts.AccountFilters(
        unit_id=unit.id if unit else None,
        state=state if state in accounts.STATES else "",
        category=source.get("category", "") if source.get("category", "") in Category._value2member_map_ else "",
        q=source.get("q", "").strip()[:200],
        unused=source.get("unused") == "1",
    )


def _filter_args(f: accounts.AccountFilters) -> dict:
    return {"state": f.state, "category": f.category, "q": f.q, "unused": "1" if f.unused else ""}


def _unit_from(source) -> Unit | None:
    unit_id = db_int(source.get("unit")) if source.get("unit") else None
    if unit_id is None:
        headed = sorted(current_user.headed_unit_ids)
        if can_view_all_units(current_user) or not headed:
            return None
        unit_id = headed[0]
    return load_or_404(Unit, unit_id, check=can_manage_accounts_of)


@bp.get("/accounts")
@roles_required(*MANAGERS)
def accounts_page():
    now = utcnow()
    unit = _unit_from(request.args)
    if unit is None:  # IT staff and admins: the province's figures, and a unit to choose
        return render_template(
            "auth/accounts_report.html",
            by_unit=accounts.activation_figures(db.session, now, "unit"),
            by_category=accounts.activation_figures(db.session, now, "category"),
            days=accounts.USED_DAYS,
        )
    filters = _filters(request.args, unit)
    page = db.paginate(accounts.accounts_query(filters, now), per_page=current_app.config["PER_PAGE"], error_out=False)
    figures = accounts.activation_figures(db.session, now, "unit", unit_ids={unit.id})[-1]
    by_category = accounts.activation_figures(db.session, now, "category", unit_ids={unit.id})
    heads = accounts.unit_head_ids(db.session, [o.id for o in page.items])
    return render_template(
        "auth/accounts.html",
        unit=unit,
        page=page,
        users=accounts.accounts_of(db.session, page.items),
        filters=filters,
        args=_filter_args(filters),
        figures=figures,
        by_category=by_category,
        heads=heads,
        categories=Category.choices(),
        days=accounts.USED_DAYS,
        now=now,
        headed_units=_headed_units(),
    )


def _headed_units() -> list[Unit]:
    ids = sorted(current_user.headed_unit_ids)
    return list(db.session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.name))) if ids else []


ACTIONS = ("invite", "slips", "disable", "enable", "create")


@bp.post("/accounts/action")
@roles_required(*MANAGERS)
def accounts_action():
    """One action on the chosen accounts of one unit (ticked, or every account matching the filters)."""
    now, ip = utcnow(), client_ip()
    unit = _unit_from(request.form)
    if unit is None:
        return redirect(url_for("auth.accounts_page"))
    action = request.form.get("action", "")
    one = request.form.get("one", "")  # a row's own button: "disable:<account id>"
    if one:
        action, _sep, one = one.partition(":")
    filters = _filters(request.form, unit)
    # a form on another page (a staff member's page) comes back there; only a path of this site
    back = redirect(
        safe_next_url(request.form.get("next")) or url_for("auth.accounts_page", unit=unit.id, **_filter_args(filters))
    )
    if action not in ACTIONS:
        flash(_("Hãy chọn một thao tác."), "error")
        return back
    actor = current_user._get_current_object()
    if action == "create":
        require(can_view_all_units(current_user))
        report = accounts.provide_accounts(
            db.session, accounts.officials_without_account(db.session, {unit.id}), now, actor=actor, ip=ip
        )
        db.session.commit()
        flash(
            _("Đã tạo %(c)d tài khoản, gửi %(i)d thư mời.", c=report.created + report.linked, i=report.invited),
            "success",
        )
        return back
    in_unit = accounts.matching_user_ids(db.session, filters, now)
    if one:
        ids = [i for i in in_unit if i == db_int(one)]
    elif request.form.get("scope") == "all":
        ids = in_unit
    else:
        chosen = {db_int(v) for v in request.form.getlist("ids")}
        ids = [i for i in in_unit if i in chosen]
    users = [u for u in _users(ids) if can_manage_account(current_user, u)]
    if not users:
        flash(_("Chưa chọn tài khoản nào (hoặc bạn không quản lý các tài khoản đã chọn)."), "error")
        return back
    if action in ("invite", "slips") and not current_app.config.get("LOCAL_PASSWORDS", True):
        flash(_("Máy chủ này dùng đăng nhập bằng tài khoản thư công vụ của tỉnh: không cần thư mời hay phiếu."), "info")
        return back
    if action == "invite":
        report = tokens.invite_accounts(db.session, [u.id for u in users], now, actor=actor, ip=ip)
        db.session.commit()
        flash(_invite_message(report), "success" if report.invited else "info")
        return back
    if action == "slips":
        return _slips_pdf(unit, users, now, actor, ip) or back
    changed = 0
    for user in users:
        try:
            if action == "disable":
                changed += accounts.disable_account(db.session, actor, user, now, ip)
            else:
                changed += accounts.enable_account(db.session, actor, user, now, ip)
        except services.AuthError as exc:
            flash(str(exc), "error")
    db.session.commit()
    if action == "disable":
        message = _("Đã khóa %(n)d tài khoản.", n=changed)
    else:
        message = _("Đã mở lại %(n)d tài khoản.", n=changed)
    flash(message, "success")
    return back


def _users(ids: list[int]) -> list[User]:
    if not ids:
        return []
    found: list[User] = []
    for start in range(0, len(ids), 2_000):
        found += db.session.scalars(select(User).where(User.id.in_(ids[start : start + 2_000])))
    return found


def _invite_message(report: tokens.InviteReport) -> str:
    parts = [_("Đã gửi %(n)d thư mời kích hoạt.", n=report.invited)]
    if report.no_email:
        parts.append(_("%(n)d người chưa có thư điện tử: hãy in phiếu kích hoạt cho họ.", n=report.no_email))
    if report.already_active:
        parts.append(_("%(n)d tài khoản đã kích hoạt từ trước (không gửi).", n=report.already_active))
    if report.disabled:
        parts.append(_("%(n)d tài khoản đang bị khóa (không gửi).", n=report.disabled))
    return " ".join(parts)


def _slips_pdf(unit: Unit, users: list[User], now: datetime, actor: User, ip: str):
    from lms.auth.slips import render_slips
    from lms.mail.compose import external_url

    batch = tokens.issue_slips(db.session, users, now, actor, ip)
    if not batch.slips:
        db.session.rollback()
        flash(_slip_message(batch), "error")
        return None
    pdf = render_slips(
        batch.slips,
        unit_name=unit.name,
        activate_url=external_url("auth.activate_code"),
        expires_at=now + tokens.TokenSettings.current().lifetime(tokens.TokenPurpose.SLIP),
    )
    db.session.commit()
    if batch.no_birth_year or batch.disabled:
        flash(_slip_message(batch), "info")
    name = f"phieu-kich-hoat-{unit.code.lower()}.pdf"
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f"attachment; filename={name}"})


def _slip_message(batch: tokens.SlipBatch) -> str:
    parts = [_("Đã in %(n)d phiếu kích hoạt.", n=len(batch.slips))]
    if batch.no_birth_year:
        names = ", ".join(o.full_name for o in batch.no_birth_year[:10])
        parts.append(
            _(
                "%(n)d người chưa có năm sinh trong hồ sơ nên chưa in được phiếu "
                "(năm sinh dùng để xác nhận): %(names)s.",
                n=len(batch.no_birth_year),
                names=names,
            )
        )
    if batch.disabled:
        parts.append(_("%(n)d tài khoản đang bị khóa (không in).", n=batch.disabled))
    return " ".join(parts)
