"""Logging in with the official e-mail password, checked by a real OpenLDAP directory."""

from __future__ import annotations

import socket
import threading

import pytest
from sqlalchemy import select

from lms import create_app
from lms.auth import ldap
from lms.auth.models import AuditLog, LoginFailure, Role, User
from lms.auth.services import account_key
from lms.config import ConfigError
from tests.factories import PASSWORD, make_official, make_unit, make_user
from tests.sso.directory import BASE_DN, BIND_DN, BIND_PASSWORD, free_port
from tests.sso.tls import make_ca

WRONG = "Tên đăng nhập hoặc mật khẩu không đúng"
DOWN = "Không kết nối được máy chủ thư công vụ"


def post_login(client, login, password):
    return client.post("/login", data={"login": login, "password": password})


def logged_in_as(client) -> str:
    """The name on the dashboard of the browser ``client`` (fails when not logged in)."""
    r = client.get("/dashboard")
    assert r.status_code == 200, r.headers.get("Location")
    return r.text


def official_hang(session):
    unit = make_unit(session, name="Sở Nội vụ")
    official = make_official(
        session, unit, family_name="Nguyễn", middle_name="Thị Thủy", given_name="Hằng", email="thuyhang@vinhphuc.gov.vn"
    )
    session.commit()
    return official


def settings_for(app) -> ldap.DirectorySettings:
    settings = ldap.DirectorySettings.from_config(app.config)
    assert settings is not None
    return settings


# -- the directory accepts the password -------------------------------------------------------------
def test_first_directory_login_creates_the_officials_account(client, session, use_directory):
    official = official_hang(session)
    r = post_login(client, "thuyhang@vinhphuc.gov.vn", "Hoa-sen-2026")
    assert r.status_code == 302 and r.headers["Location"].endswith("/dashboard")
    assert "Nguyễn Thị Thủy Hằng" in logged_in_as(client)
    user = session.scalars(select(User).where(User.official_id == official.id)).one()
    assert (user.username, user.email) == ("thuyhang@vinhphuc.gov.vn", "thuyhang@vinhphuc.gov.vn")
    assert not user.must_change_password and not user.check_password("Hoa-sen-2026")  # no local password kept
    actions = [(a.action, a.data) for a in session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions[0] == ("account.create", {"official": official.id, "via": "ldap"})
    assert actions[-1] == ("login", {"via": "ldap"})


def test_uid_or_address_and_a_vietnamese_password_reach_the_same_account(client, session, use_directory):
    unit = make_unit(session)
    official = make_official(session, unit, email="quang.tv@vinhphuc.gov.vn")
    existing = make_user(session, username="quang", official=False)
    existing.official = official  # the official already has an account: it is the one used
    session.commit()
    assert post_login(client, "quang.tv", "Mật-khẩu-thư-Quảng").status_code == 302
    client.post("/logout")
    assert post_login(client, "QUANG.TV@vinhphuc.gov.vn", "Mật-khẩu-thư-Quảng").status_code == 302
    assert session.scalars(select(User).where(User.official_id == official.id)).all() == [existing]


def test_over_ldaps_as_well(client, session, use_directory, slapd):
    use_directory(LDAP_URL=slapd.ldaps_url, LDAP_STARTTLS="0")
    official_hang(session)
    assert post_login(client, "thuyhang", "Hoa-sen-2026").status_code == 302


def test_a_temporary_password_is_voided_by_a_directory_login(client, session, use_directory):
    official = official_hang(session)
    user = make_user(session, username="hang-tam", official=False, must_change_password=True)
    user.official = official
    session.commit()
    r = post_login(client, "thuyhang", "Hoa-sen-2026")
    assert r.headers["Location"].endswith("/dashboard")  # not sent to change a password they never chose
    session.refresh(user)
    assert not user.must_change_password and not user.check_password(PASSWORD)


def test_an_unlinked_staff_account_with_that_address_is_linked(client, session, use_directory):
    official = official_hang(session)
    staff = make_user(session, Role.IT_STAFF, username="cntt-hang", email="thuyhang@vinhphuc.gov.vn")
    assert post_login(client, "thuyhang", "Hoa-sen-2026").status_code == 302
    session.refresh(staff)
    assert staff.official_id == official.id and staff.has_role(Role.IT_STAFF)


# -- refusals ----------------------------------------------------------------------------------------
def test_wrong_directory_password(client, session, use_directory):
    official_hang(session)
    r = post_login(client, "thuyhang", "Hoa-sen-2025")
    assert r.status_code == 401 and WRONG in r.text
    assert session.scalars(select(User)).all() == []
    assert session.query(LoginFailure).filter_by(key=account_key(None, "thuyhang")).count() == 1


def test_unknown_user(client, session, use_directory):
    official_hang(session)
    r = post_login(client, "khong-ai-ca@vinhphuc.gov.vn", "Hoa-sen-2026")
    assert r.status_code == 401 and WRONG in r.text


def test_directory_entry_without_an_address(client, session, use_directory):
    r = post_login(client, "mai.lt", "Khong-co-thu-1")
    assert r.status_code == 401
    assert "chưa có địa chỉ thư trong danh bạ" in r.text
    assert session.scalars(select(User)).all() == []


def test_an_address_that_no_official_has(client, session, use_directory):
    official_hang(session)
    r = post_login(client, "duc.pm", "Ngoai-danh-sach-1")
    assert r.status_code == 401
    assert "duc.pm@vinhphuc.gov.vn chưa có trong danh sách cán bộ" in r.text


def test_an_official_who_left_or_a_disabled_account_cannot_log_in(client, session, use_directory):
    official = official_hang(session)
    official.active = False
    session.commit()
    assert "ngừng hoạt động" in post_login(client, "thuyhang", "Hoa-sen-2026").text
    official.active = True
    user = make_user(session, username="hang", official=False)
    user.official, user.active = official, False
    session.commit()
    assert "đang bị khóa" in post_login(client, "thuyhang", "Hoa-sen-2026").text


@pytest.mark.parametrize("typed", ["*", "thuy*", "*)(uid=*", "thuyhang)(|(uid=*"])
def test_filter_characters_typed_in_the_login_box_match_literally(app, use_directory, typed):
    assert ldap.find_person(settings_for(app), typed) is None
    assert ldap.check_password(settings_for(app), typed, "Hoa-sen-2026") is None


def test_an_empty_password_never_reaches_the_directory(app, use_directory):
    # an LDAP bind with a DN and no password is an "unauthenticated bind", which succeeds
    assert ldap.check_password(settings_for(app), "thuyhang", "") is None


def test_the_directory_password_counts_towards_the_login_throttle(client, session, use_directory):
    official_hang(session)
    for _ in range(5):
        assert post_login(client, "thuyhang", "sai-mat-khau").status_code == 401
    r = post_login(client, "thuyhang", "Hoa-sen-2026")
    assert r.status_code == 429 and "quá nhiều lần" in r.text


# -- the directory cannot answer ---------------------------------------------------------------------
def test_directory_down_says_so_and_local_passwords_still_work(client, session, use_directory):
    use_directory(LDAP_URL=f"ldap://localhost:{free_port()}")  # nothing listens there
    official_hang(session)
    r = post_login(client, "thuyhang", "Hoa-sen-2026")
    assert r.status_code == 503 and DOWN in r.text and "mật khẩu riêng" in r.text
    local = make_user(session, username="binh")
    assert post_login(client, "binh", PASSWORD).status_code == 302
    assert local.name in logged_in_as(client)


def test_a_directory_that_never_answers_is_down_after_the_timeout(client, session, use_directory):
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        use_directory(LDAP_URL=f"ldap://localhost:{silent.getsockname()[1]}", LDAP_TIMEOUT="1")
        r = post_login(client, "thuyhang", "Hoa-sen-2026")
    assert r.status_code == 503 and DOWN in r.text


def test_a_certificate_from_another_ca_or_for_another_name_is_refused(app, use_directory, slapd, tmp_path):
    other_ca = make_ca(tmp_path / "other")
    for url, starttls, ca_file in (
        (slapd.starttls_url, "1", other_ca.ca_file),
        (slapd.ldaps_url, "0", other_ca.ca_file),
        (slapd.starttls_url.replace("localhost", "127.0.0.1"), "1", None),  # certificate names localhost only
        (slapd.ldaps_url.replace("localhost", "127.0.0.1"), "0", None),
    ):
        changes = {"LDAP_URL": url, "LDAP_STARTTLS": starttls}
        if ca_file:
            changes["LDAP_CA_FILE"] = str(ca_file)
        use_directory(**changes)
        with pytest.raises(ldap.DirectoryUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
            ldap.check_password(settings_for(app), "thuyhang", "Hoa-sen-2026")


def test_a_refused_service_account_is_reported_as_directory_trouble(app, use_directory):
    use_directory(LDAP_BIND_PASSWORD="sai")
    with pytest.raises(ldap.DirectoryUnavailable, match="service account"):
        ldap.check_password(settings_for(app), "thuyhang", "Hoa-sen-2026")


def test_parallel_first_logins_of_one_official_make_one_account(app, session, use_directory):
    official = official_hang(session)
    results = []

    def log_in():
        with app.test_client() as browser:
            results.append(post_login(browser, "thuyhang", "Hoa-sen-2026").status_code)

    threads = [threading.Thread(target=log_in) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    session.expire_all()
    assert results == [302, 302, 302]
    assert len(session.scalars(select(User).where(User.official_id == official.id)).all()) == 1


# -- local passwords off ------------------------------------------------------------------------------
def test_local_passwords_off_leaves_the_directory_and_the_admins_break_glass(client, session, app, use_directory):
    use_directory(LOCAL_PASSWORDS=False)
    official_hang(session)
    binh = make_user(session, username="binh")
    admin = make_user(session, Role.ADMIN, username="quantri")
    r = post_login(client, "binh", PASSWORD)
    assert r.status_code == 401 and WRONG in r.text  # the right local password, turned off
    assert post_login(client, "thuyhang", "Hoa-sen-2026").status_code == 302
    client.post("/logout")
    use_directory(LDAP_URL=f"ldap://localhost:{free_port()}")  # and while the directory is down
    r = post_login(client, "binh", PASSWORD)
    assert r.status_code == 503 and DOWN in r.text and "mật khẩu riêng" not in r.text
    assert session.query(LoginFailure).filter_by(key=account_key(binh, "binh")).count() == 1  # the first only
    assert post_login(client, "quantri", PASSWORD).status_code == 302
    assert admin.name in logged_in_as(client)


# -- settings -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"LDAP_STARTTLS": "0"}, "in clear"),
        ({"LDAP_URL": "http://ldap.example"}, "expected ldaps://"),
        ({"LDAP_BASE_DN": ""}, "LDAP_BASE_DN is empty"),
        ({"LDAP_USER_FILTER": "(uid=x)"}, "must contain {login}"),
        ({"LDAP_BIND_PASSWORD": ""}, "without LDAP_BIND_PASSWORD"),
    ],
)
def test_unusable_directory_settings_stop_the_app_at_start(tmp_path, changes, problem):
    config = {
        "TESTING": True,
        "SECRET_KEY": "x",
        "INSTANCE_DIR": str(tmp_path),
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "LDAP_URL": "ldap://ldap.example",
        "LDAP_STARTTLS": "1",
        "LDAP_BASE_DN": BASE_DN,
        "LDAP_BIND_DN": BIND_DN,
        "LDAP_BIND_PASSWORD": BIND_PASSWORD,
        **changes,
    }
    with pytest.raises(ConfigError, match="Login settings: .*" + problem.replace("{", r"\{").replace("}", r"\}")):
        create_app(config)


def test_local_passwords_off_needs_a_directory_or_a_provider(tmp_path):
    with pytest.raises(ConfigError, match="LMS_LOCAL_PASSWORDS=0 needs"):
        create_app({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_DIR": str(tmp_path), "LOCAL_PASSWORDS": False})
