"""Real servers for the single sign-on tests: OpenLDAP's slapd (StartTLS and LDAPS, a throwaway CA)
and an OpenID Connect provider on Authlib's authorization server, one of each per test process.

Fixtures for ``tests/sso`` (its conftest) and the browser test ``tests/e2e/test_sso_e2e.py``."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.sso.directory import BASE_DN, BIND_DN, BIND_PASSWORD, start_slapd
from tests.sso.provider import ProviderUser, TestProvider
from tests.sso.tls import make_ca

CLIENT_ID, CLIENT_SECRET = "hoc-tap-chinh-quyen", "bi-mat-cua-ung-dung-hoc-tap"
TEST_CALLBACK = "http://localhost/login/oidc/callback"  # the test client's SERVER_NAME is "localhost"

PROVIDER_PEOPLE = (
    ProviderUser("sub-hang", "thuyhang", "Hoa-sen-2026", "Nguyễn Thị Thủy Hằng", "thuyhang@vinhphuc.gov.vn"),
    ProviderUser("sub-quang", "quang.tv", "Mật-khẩu-thư-Quảng", "Trần Văn Quang", "quang.tv@vinhphuc.gov.vn"),
    ProviderUser("sub-lan", "lan.nt", "Chua-xac-nhan-1", "Ngô Thị Lan", "lan.nt@vinhphuc.gov.vn", email_verified=False),
    ProviderUser("sub-mai", "mai.lt", "Khong-co-thu-1", "Lê Thị Mai", None),
)


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory):
    return make_ca(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def slapd(tmp_path_factory, test_ca):
    server = start_slapd(tmp_path_factory.mktemp("slapd"), test_ca)
    yield server
    server.stop()


@pytest.fixture
def use_directory(app, slapd, test_ca, monkeypatch):
    """The app checks passwords against the test directory (StartTLS); returns a setter for more."""

    def configure(**settings):
        for key, value in settings.items():
            monkeypatch.setitem(app.config, key, value)

    configure(
        LDAP_URL=slapd.starttls_url,
        LDAP_STARTTLS="1",
        LDAP_BASE_DN=BASE_DN,
        LDAP_BIND_DN=BIND_DN,
        LDAP_BIND_PASSWORD=BIND_PASSWORD,
        LDAP_CA_FILE=str(test_ca.ca_file),
        LDAP_TIMEOUT="3",
    )
    return configure


@pytest.fixture(scope="session")
def oidc_provider():
    provider = TestProvider()
    for person in PROVIDER_PEOPLE:
        provider.add_user(person)
    provider.register_client(CLIENT_ID, CLIENT_SECRET, [TEST_CALLBACK])
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture
def use_provider(app, oidc_provider, monkeypatch):
    """The app offers login through the test provider; returns a setter for more settings."""

    def configure(**settings):
        for key, value in settings.items():
            monkeypatch.setitem(app.config, key, value)

    configure(OIDC_ISSUER=oidc_provider.issuer, OIDC_CLIENT_ID=CLIENT_ID, OIDC_CLIENT_SECRET=CLIENT_SECRET)
    return configure


def provider_login(authorize_url: str, username: str, password: str) -> str:
    """What a browser does at the provider: open its login page, send the credentials; returns the
    redirect back to the app (the callback URL with ``code`` and ``state``)."""
    with requests.Session() as browser:
        page = browser.get(authorize_url, timeout=10)
        assert page.status_code == 200, page.text
        answer = browser.post(
            authorize_url, data={"username": username, "password": password}, allow_redirects=False, timeout=10
        )
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
