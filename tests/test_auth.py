from datetime import timedelta

from lms.auth import services
from lms.auth.models import AuditLog, Role, RoleAssignment
from lms.time import utcnow
from tests.factories import PASSWORD, login_as, make_unit, make_user


def post_login(client, login, password, **kw):
    return client.post("/login", data={"login": login, "password": password}, **kw)


def test_login_with_username_or_email_and_logout(client, session):
    user = make_user(session, username="hang", email="hang@vinhphuc.gov.vn")
    r = post_login(client, "hang", PASSWORD)
    assert r.status_code == 302 and r.headers["Location"].endswith("/dashboard")
    assert client.get("/dashboard").status_code == 200
    client.post("/logout")
    assert client.get("/dashboard").status_code == 302
    r = post_login(client, "HANG@vinhphuc.gov.vn", PASSWORD)
    assert r.status_code == 302
    assert session.query(AuditLog).filter_by(action="login", actor_id=user.id).count() == 2


def test_wrong_password_shows_plain_message(client, session):
    make_user(session, username="binh")
    r = post_login(client, "binh", "wrong")
    assert r.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in r.text


def test_passwords_are_hashed_with_scrypt(session):
    user = make_user(session)
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash


def test_new_account_must_change_password_first(client, session):
    user = make_user(session, username="moi", must_change_password=True)
    r = post_login(client, "moi", PASSWORD)
    assert r.headers["Location"].endswith("/password")
    assert client.get("/dashboard").headers["Location"].endswith("/password")
    r = client.post("/password", data={"current": PASSWORD, "new": "ngan", "confirm": "ngan"})
    assert r.status_code == 400 and "ít nhất 8" in r.text
    r = client.post("/password", data={"current": PASSWORD, "new": "Mat-khau-moi-1", "confirm": "Mat-khau-moi-1"})
    assert r.status_code == 302
    assert client.get("/dashboard").status_code == 200
    session.refresh(user)
    assert not user.must_change_password and user.check_password("Mat-khau-moi-1")


def test_failed_logins_are_throttled_per_account(client, session, app):
    make_user(session, username="chi")
    for _ in range(5):
        assert post_login(client, "chi", "sai").status_code == 401
    r = post_login(client, "chi", PASSWORD)  # right password, but locked for now
    assert r.status_code == 429
    assert "quá nhiều lần" in r.text


def test_throttle_window_expires(session):
    user = make_user(session, username="dung")
    now = utcnow()
    limits = services.ThrottleLimits(per_account=2, per_ip=100)
    key = services.account_key(user, "dung")
    for _ in range(2):
        services.record_failure(session, key, "1.2.3.4", now)
    assert services.is_throttled(session, key, "9.9.9.9", now, limits)
    later = now + limits.window + timedelta(seconds=1)
    assert services.authenticate(session, "dung", PASSWORD, "9.9.9.9", later, limits) is user


def test_throttled_per_ip_across_accounts(session):
    now = utcnow()
    limits = services.ThrottleLimits(per_account=100, per_ip=3)
    for name in ("a", "b", "c"):
        services.record_failure(session, services.account_key(None, name), "5.5.5.5", now)
    assert services.is_throttled(session, services.account_key(None, "d"), "5.5.5.5", now, limits)
    assert not services.is_throttled(session, services.account_key(None, "d"), "6.6.6.6", now, limits)


def test_open_redirect_through_next_is_refused(client, session):
    make_user(session, username="em")
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        r = client.post(f"/login?next={evil}", data={"login": "em", "password": PASSWORD})
        assert r.headers["Location"].endswith("/dashboard"), evil
        client.post("/logout")
    r = client.post("/login?next=/org/units", data={"login": "em", "password": PASSWORD})
    assert r.headers["Location"].endswith("/org/units")


def test_logout_invalidates_the_old_cookie(client, session):
    make_user(session, username="giang")
    post_login(client, "giang", PASSWORD)
    cookie = client.get_cookie("session")
    client.post("/logout")
    client.set_cookie("session", cookie.value)
    assert client.get("/dashboard").status_code == 302


def test_session_cookie_flags(app, client, session):
    make_user(session, username="ha")
    r = post_login(client, "ha", PASSWORD)
    header = r.headers.get("Set-Cookie")
    assert "HttpOnly" in header and "SameSite=Lax" in header


def test_role_assignment_is_audited_and_one_role_per_scope(session):
    unit_a, unit_b = make_unit(session), make_unit(session)
    admin = make_user(session, Role.ADMIN)
    user = make_user(session, unit=unit_a)
    services.assign_role(session, admin, user, Role.UNIT_HEAD, unit_a, ip="10.0.0.1")
    services.assign_role(session, admin, user, Role.UNIT_HEAD, unit_b, ip="10.0.0.1")
    services.assign_role(session, admin, user, Role.IT_STAFF, None, ip="10.0.0.1")
    services.assign_role(session, admin, user, Role.ADMIN, None, ip="10.0.0.1")  # replaces IT staff (province)
    session.commit()
    assert {(a.role, a.unit_id) for a in user.roles} == {
        (Role.UNIT_HEAD, unit_a.id),
        (Role.UNIT_HEAD, unit_b.id),
        (Role.ADMIN, None),
    }
    entries = session.query(AuditLog).filter_by(action="role.assign").all()
    assert len(entries) == 4 + 1  # the factory's own admin grant
    last = entries[-1]
    assert (
        last.actor_id == admin.id
        and last.ip == "10.0.0.1"
        and last.data["before"] == "it_staff"
        and last.data["role"] == "admin"
    )


def test_assign_role_page_explains_roles_and_saves(client, session):
    unit = make_unit(session, name="Huyện Tam Đảo")
    admin = make_user(session, Role.ADMIN)
    target = make_user(session, unit=unit)
    login_as(client, admin)
    page = client.get(f"/admin/users/{target.id}/role")
    assert "chỉ đơn vị mình" in page.text  # plain-words description of the unit head role
    r = client.post(f"/admin/users/{target.id}/role", data={"role": "unit_head", "unit_id": str(unit.id)})
    assert r.status_code == 302
    session.refresh(target)
    assert target.headed_unit_ids == {unit.id}
    assert "Giao vai trò" in client.get("/admin/audit").text  # the action as words (was "role.assign")


def test_unit_head_role_needs_a_unit(session):
    admin = make_user(session, Role.ADMIN)
    user = make_user(session, Role.IT_STAFF)
    try:
        services.assign_role(session, admin, user, Role.UNIT_HEAD, None)
    except services.AuthError as exc:
        assert "đơn vị" in str(exc)
    else:
        raise AssertionError("a unit head without a unit was accepted")


def test_preferences_are_remembered_per_user(client, session):
    user = make_user(session)
    login_as(client, user)
    client.post("/preferences", data={"font_size": "xlarge", "next": "/dashboard"})
    client.post("/preferences", data={"high_contrast": "1"})
    session.refresh(user)
    assert user.preferences == {"font_size": "xlarge", "high_contrast": True}
    html = client.get("/dashboard").text
    assert 'class="fs-xlarge contrast"' in html


def test_english_can_be_selected(client, session):
    user = make_user(session)
    login_as(client, user)
    client.post("/preferences", data={"locale": "en"})
    html = client.get("/dashboard").text
    assert 'lang="en"' in html
    assert "Log out" in html and "Đăng xuất" not in html  # the English catalog is compiled and used


def test_demo_accounts_refused_when_demo_mode_off(app, client, session):
    make_user(session, username="demo", is_demo=True)
    app.config["DEMO_MODE"] = False
    try:
        r = post_login(client, "demo", PASSWORD)
        assert r.status_code == 403
    finally:
        app.config["DEMO_MODE"] = True


def test_it_staff_role_names_todays_department_and_keeps_its_stored_value(client, session):
    """Sở TT&TT merged into Sở KH&CN in 2025: the label changes, the value stored in role_assignment
    ("it_staff") does not, so accounts granted the role before still hold it."""
    admin = make_user(session, Role.ADMIN)
    staff = make_user(session, Role.IT_STAFF)
    session.commit()
    assert Role.IT_STAFF.value == "it_staff"
    assert session.query(RoleAssignment).filter_by(user_id=staff.id).one().role is Role.IT_STAFF
    login_as(client, admin)
    page = client.get("/admin/users").text
    assert "Cán bộ CNTT (Sở Khoa học và Công nghệ)" in page
    assert "Thông tin và Truyền thông" not in page
