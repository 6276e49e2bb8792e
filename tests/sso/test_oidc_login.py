"""Logging in through the province's OpenID Connect provider (a real one, on Authlib's server)."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import pytest
from sqlalchemy import select

from lms import create_app
from lms.auth.models import AuditLog, Role, User
from lms.config import ConfigError
from tests.factories import PASSWORD, make_official, make_unit, make_user
from tests.sso.directory import free_port
from tests.sso.fixtures import CLIENT_ID, callback_path, provider_login, query

REJECTED = "Phiên đăng nhập không hợp lệ hoặc đã hết hạn"
BUTTON = "Đăng nhập bằng tài khoản thư công vụ"


def official_with(session, email, **names):
    official = make_official(session, make_unit(session), email=email, **names)
    session.commit()
    return official


def start(client) -> str:
    """Press the button; returns the provider's authorization URL the browser is sent to."""
    r = client.get("/login/oidc")
    assert r.status_code == 302, r.text
    return r.headers["Location"]


def with_param(url: str, **changes) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=urlencode({**query(url), **changes})))


def flashed(client) -> str:
    return client.get("/login").text


def rejection_reasons(caplog) -> str:
    return " ".join(r.getMessage() for r in caplog.records if "login rejected" in r.getMessage())


def test_button_shown_only_when_a_provider_is_configured(client, app, use_provider, monkeypatch):
    assert BUTTON in client.get("/login").text
    monkeypatch.setitem(app.config, "OIDC_ISSUER", "")
    assert BUTTON not in client.get("/login").text
    assert client.get("/login/oidc").status_code == 404
    assert client.get("/login/oidc/callback?code=x&state=y").status_code == 404


def test_provider_login_with_pkce_state_and_nonce(client, session, use_provider, oidc_provider):
    official = official_with(
        session, "thuyhang@vinhphuc.gov.vn", family_name="Nguyễn", middle_name="Thị Thủy", given_name="Hằng"
    )
    authorize_url = start(client)
    sent = query(authorize_url)
    assert authorize_url.startswith(f"{oidc_provider.issuer}/authorize?")
    assert sent["client_id"] == CLIENT_ID and set(sent["scope"].split()) == {"openid", "email", "profile"}
    assert sent["code_challenge_method"] == "S256" and len(sent["code_challenge"]) == 43
    assert len(sent["state"]) >= 20 and len(sent["nonce"]) >= 20
    back = provider_login(authorize_url, "thuyhang", "Hoa-sen-2026")
    assert query(back)["state"] == sent["state"]
    r = client.get(callback_path(back))
    assert r.status_code == 302 and r.headers["Location"].endswith("/dashboard")
    assert "Nguyễn Thị Thủy Hằng" in client.get("/dashboard").text
    user = session.scalars(select(User).where(User.official_id == official.id)).one()
    assert user.username == "thuyhang@vinhphuc.gov.vn" and not user.check_password("Hoa-sen-2026")
    assert session.scalars(select(AuditLog.data).where(AuditLog.action == "login")).all() == [{"via": "oidc"}]
    # the same callback again (a replayed URL) logs no one in: its state was used
    client.post("/logout")
    r = client.get(callback_path(back))
    assert r.headers["Location"].endswith("/login") and REJECTED in flashed(client)
    assert client.get("/dashboard").status_code == 302


def test_next_page_is_kept_through_the_provider(client, session, use_provider):
    official_with(session, "quang.tv@vinhphuc.gov.vn")
    r = client.get("/login/oidc?next=/password")
    back = provider_login(r.headers["Location"], "quang.tv@vinhphuc.gov.vn", "Mật-khẩu-thư-Quảng")
    assert client.get(callback_path(back)).headers["Location"].endswith("/password")


def test_email_not_verified_is_refused(client, session, use_provider):
    official_with(session, "lan.nt@vinhphuc.gov.vn")
    back = provider_login(start(client), "lan.nt", "Chua-xac-nhan-1")
    r = client.get(callback_path(back))
    assert r.headers["Location"].endswith("/login")
    assert "chưa xác nhận địa chỉ thư" in flashed(client)
    assert session.scalars(select(User)).all() == []


def test_no_email_claim_is_refused(client, session, use_provider):
    back = provider_login(start(client), "mai.lt", "Khong-co-thu-1")
    client.get(callback_path(back))
    assert "chưa xác nhận địa chỉ thư" in flashed(client)


def test_a_verified_address_that_no_official_has(client, session, use_provider):
    back = provider_login(start(client), "thuyhang", "Hoa-sen-2026")
    client.get(callback_path(back))
    assert "thuyhang@vinhphuc.gov.vn chưa có trong danh sách cán bộ" in flashed(client)
    assert client.get("/dashboard").status_code == 302


def test_state_mismatch_is_refused(client, session, use_provider, caplog):
    official_with(session, "thuyhang@vinhphuc.gov.vn")
    back = provider_login(start(client), "thuyhang", "Hoa-sen-2026")
    r = client.get(callback_path(with_param(back, state="trang-thai-gia-mao-1234567890")))
    assert r.headers["Location"].endswith("/login") and REJECTED in flashed(client)
    assert "state" in rejection_reasons(caplog)
    assert client.get("/dashboard").status_code == 302
    assert session.scalars(select(User)).all() == []


def test_a_callback_for_a_login_started_in_another_browser_is_refused(app, session, use_provider, caplog):
    """Login CSRF: an attacker's own code and state, sent to a victim's browser, log nobody in."""
    official_with(session, "thuyhang@vinhphuc.gov.vn")
    attacker, victim = app.test_client(), app.test_client()
    back = provider_login(start(attacker), "thuyhang", "Hoa-sen-2026")
    victim.get(callback_path(back))
    assert REJECTED in flashed(victim) and victim.get("/dashboard").status_code == 302
    assert "state" in rejection_reasons(caplog)


def test_nonce_mismatch_is_refused(client, session, use_provider, oidc_provider, caplog):
    """The authorization request altered on its way (another nonce): the provider signs an ID token
    with that nonce, and the app, which kept its own, refuses it."""
    official_with(session, "thuyhang@vinhphuc.gov.vn")
    authorize_url = start(client)
    back = provider_login(with_param(authorize_url, nonce="mot-nonce-khac-1234567890"), "thuyhang", "Hoa-sen-2026")
    assert oidc_provider.authorizations[-1]["nonce"] == "mot-nonce-khac-1234567890"
    r = client.get(callback_path(back))
    assert r.headers["Location"].endswith("/login") and REJECTED in flashed(client)
    assert "InvalidClaimError" in rejection_reasons(caplog) and "nonce" in rejection_reasons(caplog)
    assert client.get("/dashboard").status_code == 302


def test_the_code_is_useless_without_this_browsers_pkce_verifier(client, session, use_provider, caplog):
    official_with(session, "thuyhang@vinhphuc.gov.vn")
    authorize_url = start(client)
    state = query(authorize_url)["state"]
    with client.session_transaction() as kept:  # the verifier kept for this login, replaced
        key = f"_state_province_{state}"
        kept[key] = {**kept[key], "data": {**kept[key]["data"], "code_verifier": "x" * 48}}
    back = provider_login(authorize_url, "thuyhang", "Hoa-sen-2026")
    client.get(callback_path(back))
    assert REJECTED in flashed(client) and client.get("/dashboard").status_code == 302
    assert "invalid_grant: Code challenge failed" in rejection_reasons(caplog)


def test_user_cancels_at_the_provider(client, use_provider):
    state = query(start(client))["state"]
    r = client.get(f"/login/oidc/callback?error=access_denied&state={state}")
    assert r.headers["Location"].endswith("/login") and "Bạn đã dừng đăng nhập" in flashed(client)


def test_provider_down_says_so(client, use_provider):
    use_provider(OIDC_ISSUER=f"http://127.0.0.1:{free_port()}")
    r = client.get("/login/oidc")
    assert r.headers["Location"].endswith("/login")
    assert "Không kết nối được máy chủ thư công vụ" in flashed(client)


def test_discovery_must_name_the_configured_issuer(client, use_provider, oidc_provider):
    # the same server under another name: its discovery document names 127.0.0.1, not localhost
    use_provider(OIDC_ISSUER=oidc_provider.issuer.replace("127.0.0.1", "localhost"))
    client.get("/login/oidc")
    assert "Không kết nối được máy chủ thư công vụ" in flashed(client)


def test_local_passwords_off_with_a_provider_only(client, session, use_provider):
    use_provider(LOCAL_PASSWORDS=False)
    make_user(session, username="binh")
    make_user(session, Role.ADMIN, username="quantri")
    page = client.get("/login").text
    assert BUTTON in page and "<details" in page and "Quản trị viên" in page
    r = client.post("/login", data={"login": "binh", "password": PASSWORD})
    assert r.status_code == 401
    r = client.post("/login", data={"login": "quantri", "password": PASSWORD})
    assert r.status_code == 302 and client.get("/dashboard").status_code == 200


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"OIDC_ISSUER": "http://sso.vinhphuc.gov.vn"}, "must be an https:// URL"),
        ({"OIDC_CLIENT_ID": ""}, "OIDC_CLIENT_ID is empty"),
        ({"OIDC_SCOPES": "email profile"}, "must include openid"),
    ],
)
def test_unusable_provider_settings_stop_the_app_at_start(tmp_path, changes, problem):
    config = {
        "TESTING": True,
        "SECRET_KEY": "x",
        "INSTANCE_DIR": str(tmp_path),
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "OIDC_ISSUER": "https://sso.vinhphuc.gov.vn",
        "OIDC_CLIENT_ID": CLIENT_ID,
        **changes,
    }
    with pytest.raises(ConfigError, match=problem):
        create_app(config)
