"""Login, logout, password change, role assignment and the audit log."""

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_pgettext
from flask_login import current_user, login_user, logout_user
from sqlalchemy import or_, select

from lms.auth import account_views, ldap, services, sso  # noqa: F401 (account_views: its routes on bp)
from lms.auth.access import login_required, public, roles_required
from lms.auth.audit_view import audit_rows
from lms.auth.blueprint import bp
from lms.auth.forms import ChangePasswordForm, LoginForm, RoleForm
from lms.auth.models import AuditLog, Role, User
from lms.auth.permissions import load_or_404
from lms.auth.signin import client_ip, finish_login, login_options, throttle_limits
from lms.extensions import db
from lms.features import registry
from lms.org.models import Official, Unit
from lms.text import fold, vi_sort_key
from lms.time import utcnow


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        settings, now, ip = ldap.DirectorySettings.from_config(current_app.config), utcnow(), client_ip()
        via = ["password"]

        def directory(login: str, password: str):
            user = sso.directory_login(db.session, settings, login, password, now, ip)
            if user is not None:
                via[0] = "ldap"
            return user

        try:
            user = services.authenticate(
                db.session,
                form.login.data,
                form.password.data,
                ip,
                now,
                throttle_limits(),
                directory=directory if settings else None,
                local_passwords=current_app.config["LOCAL_PASSWORDS"],
            )
        except services.AuthError as exc:
            db.session.commit()  # keep the failure count
            error = str(exc)
            status = 429 if isinstance(exc, services.Throttled) else 401
            if isinstance(exc, services.DirectoryDown):
                status = 503
        else:
            if user.is_demo and not current_app.config["DEMO_MODE"]:
                error = _("Tài khoản trình diễn đã bị tắt trên máy chủ này.")
                status = 403
            else:
                return finish_login(user, via[0], request.args.get("next"))
    if form.errors and status == 200:
        status = 400
    return render_template("auth/login.html", form=form, error=error, options=login_options()), status


@bp.post("/logout")
@login_required
def logout():
    """This browser only: an exam open on another device or in another browser goes on."""
    services.end_session(db.session, current_user.login_session)  # the cookie is dead, even replayed
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/logout/everywhere")
@login_required
def logout_everywhere():
    """Every browser and device of this account, this one included (offered on the password page)."""
    user = current_user._get_current_object()
    ended = services.end_all_sessions(db.session, user)
    services.audit(
        db.session, user, "logout.everywhere", target=f"user:{user.id}", data={"sessions_ended": ended}, ip=client_ip()
    )
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("Bạn đã đăng xuất trên mọi thiết bị, kể cả máy này."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    error = None
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(db.session, user, form.current.data, form.new.data, form.confirm.data, client_ip())
        except services.AuthError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            services.start_session(db.session, user, utcnow())  # every session ended; this browser goes on
            db.session.commit()
            login_user(user)
            flash(_("Đã đổi mật khẩu. Các máy khác đang đăng nhập tài khoản này đã được đăng xuất."), "success")
            return redirect(url_for("main.dashboard"))
    sessions = services.open_sessions(db.session, current_user, utcnow())
    return render_template("auth/change_password.html", form=form, error=error, sessions=sessions), (
        400 if error else 200
    )


# -- administration: roles and audit ---------------------------------------------------------------
@bp.get("/admin/users")
@roles_required(Role.ADMIN)
def users():
    q = request.args.get("q", "").strip()
    stmt = select(User).outerjoin(Official, User.official_id == Official.id)
    if q:
        folded = f"%{fold(q)}%"
        stmt = stmt.where(or_(Official.search_text.like(folded), User.username.like(f"%{q.lower()}%")))
    page = db.paginate(stmt.order_by(User.username), per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("auth/users.html", page=page, q=q)


@bp.route("/admin/users/<int:user_id>/role", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def assign_role(user_id: int):
    user = load_or_404(User, user_id)
    units = db.session.scalars(select(Unit).order_by(Unit.name)).all()
    form = RoleForm(units)
    error = None
    if form.validate_on_submit():
        role = Role(form.role.data)
        unit = db.session.get(Unit, int(form.unit_id.data)) if form.unit_id.data else None
        if unit is None and user.official is not None and role == Role.UNIT_HEAD:
            unit = user.official.unit
        try:
            services.assign_role(db.session, current_user, user, role, unit, ip=client_ip())
        except services.AuthError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash(_("Đã cập nhật vai trò của %(name)s.", name=user.name), "success")
            return redirect(url_for("auth.assign_role", user_id=user.id))
    elif request.method == "GET" and user.official is not None:
        form.unit_id.data = str(user.official.unit_id)
    return render_template("auth/assign_role.html", user=user, form=form, roles=list(Role), error=error)


@bp.post("/admin/users/<int:user_id>/roles/<int:assignment_id>/revoke")
@roles_required(Role.ADMIN)
def revoke_role(user_id: int, assignment_id: int):
    user = load_or_404(User, user_id)
    assignment = next((a for a in user.roles if a.id == assignment_id), None)
    if assignment is None:
        return render_template("error.html", code=404, message=_("Không tìm thấy vai trò này.")), 404
    services.revoke_role(db.session, current_user, assignment, ip=client_ip())
    db.session.commit()
    flash(_("Đã bỏ vai trò."), "success")
    return redirect(url_for("auth.assign_role", user_id=user.id))


#: How the kernel's audit actions read (features add theirs with ``lms.features.add_audit_labels``).
AUDIT_LABELS = {
    "login": lazy_pgettext("audit", "Đăng nhập"),
    "logout.everywhere": lazy_pgettext("audit", "Đăng xuất khỏi mọi thiết bị"),
    "password.change": lazy_pgettext("audit", "Đổi mật khẩu"),
    "password.void": lazy_pgettext("audit", "Hủy mật khẩu tạm"),
    "password.reset_request": lazy_pgettext("audit", "Yêu cầu cấp lại mật khẩu"),
    "role.assign": lazy_pgettext("audit", "Giao vai trò"),
    "role.revoke": lazy_pgettext("audit", "Bỏ vai trò"),
    "account.create": lazy_pgettext("audit", "Tạo tài khoản"),
    "accounts.create": lazy_pgettext("audit", "Tạo tài khoản hàng loạt"),
    "account.link": lazy_pgettext("audit", "Gắn tài khoản với cán bộ"),
    "account.invite": lazy_pgettext("audit", "Gửi thư mời kích hoạt"),
    "account.slips": lazy_pgettext("audit", "In phiếu kích hoạt"),
    "account.disable": lazy_pgettext("audit", "Khóa tài khoản"),
    "account.enable": lazy_pgettext("audit", "Mở khóa tài khoản"),
    "unit.merge": lazy_pgettext("audit", "Sáp nhập đơn vị"),
    "unit.split": lazy_pgettext("audit", "Chia tách đơn vị"),
    "unit.rename": lazy_pgettext("audit", "Đổi tên đơn vị"),
    "import.units": lazy_pgettext("audit", "Nhập danh sách đơn vị"),
    "import.officials": lazy_pgettext("audit", "Nhập danh sách cán bộ"),
    "account.activate": lazy_pgettext("audit", "Kích hoạt tài khoản"),
    "password.reset": lazy_pgettext("audit", "Đặt lại mật khẩu"),
}


@bp.get("/admin/audit")
@roles_required(Role.ADMIN)
def audit_log():
    action = request.args.get("action", "").strip()
    stmt = select(AuditLog)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    page = db.paginate(
        stmt.order_by(AuditLog.at.desc(), AuditLog.id.desc()),
        per_page=current_app.config["PER_PAGE"],
        error_out=False,
    )
    actions = sorted(
        ((code, str(label)) for code, label in registry().audit_labels.items()), key=lambda a: vi_sort_key(a[1])
    )
    return render_template("auth/audit.html", page=page, rows=audit_rows(page.items), action=action, actions=actions)
