"""An official logs in through the province's OpenID Connect provider (a real one, running locally)."""

import pytest
from playwright.sync_api import expect

from tests.factories import make_official, make_unit
from tests.sso.fixtures import oidc_provider, use_provider  # noqa: F401

pytestmark = pytest.mark.e2e


def test_official_logs_in_with_the_official_email_account(live_server, page, session, use_provider, oidc_provider):  # noqa: F811
    oidc_provider.clients["hoc-tap-chinh-quyen"].redirect_uris.append(f"{live_server}/login/oidc/callback")
    unit = make_unit(session, name="Sở Nội vụ")
    make_official(
        session, unit, family_name="Nguyễn", middle_name="Thị Thủy", given_name="Hằng", email="thuyhang@vinhphuc.gov.vn"
    )
    session.commit()
    page.goto(f"{live_server}/login")
    page.get_by_role("link", name="Đăng nhập bằng tài khoản thư công vụ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hệ thống thư công vụ tỉnh (máy chủ thử nghiệm)")
    page.get_by_label("Tên đăng nhập thư").fill("thuyhang")
    page.get_by_label("Mật khẩu thư").fill("Hoa-sen-2026")
    page.get_by_role("button", name="Đăng nhập thư công vụ").click()
    expect(page).to_have_url(f"{live_server}/dashboard")
    expect(page.get_by_text("Nguyễn Thị Thủy Hằng").first).to_be_visible()
