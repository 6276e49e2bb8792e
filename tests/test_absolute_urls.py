"""One rule for every absolute link (``lms/urls.py``): certificates (verification URL, Open Badges and
verification JSON), e-mails, a session's .ics, the calendar feed and the feed address shown to the
user. ``LMS_BASE_URL`` when set; else the request's address; outside a request ``SERVER_NAME``, else
``http://localhost:5000`` in development and an error in production.

Before, a session's .ics linked to ``LMS_BASE_URL`` (``localhost:5000`` by default) while the feed
used the request's host, and certificates read ``PUBLIC_BASE_URL``."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from lms import create_app
from lms.auth.models import Role
from lms.extensions import db
from lms.urls import BaseUrlMissing, absolute_url
from tests.certificates_app.factories import make_certificate
from tests.factories import login_as, make_user
from tests.training.factories import make_session

URL = re.compile(r"https?://[^\s\"'<>\\]+")


@pytest.fixture
def base_url(app):
    """Set ``LMS_BASE_URL`` for one test (``None``: unset)."""
    saved = {k: app.config.get(k) for k in ("LMS_BASE_URL", "PUBLIC_BASE_URL")}

    def set_base(value):
        app.config["LMS_BASE_URL"] = value
        app.config["PUBLIC_BASE_URL"] = None

    yield set_base
    app.config.update(saved)


def _every_link(app, session, base: str) -> set[str]:
    """The origins of every absolute link the app makes for one official, requested through ``base``."""
    from training import services as training

    staff = make_user(session, Role.IT_STAFF)
    official = make_user(session, Role.OFFICIAL)
    ts = make_session(session, trainer_ids=[staff.id])
    cert = make_certificate(session, official=official.official)
    token = training.create_token(session, official)
    session.commit()
    client = app.test_client()
    login_as(client, staff)
    r = client.post(f"/training/{ts.id}/nominate", data={"official_id": official.official_id}, base_url=base)
    assert r.status_code == 302, r.status_code
    login_as(client, official)
    pages = [
        client.get(f"/training/{ts.id}.ics", base_url=base),
        client.get(f"/training/feed/{token.token}.ics", base_url=base),
        client.get("/training/calendar-feed", base_url=base),
        client.get(f"/certificates/{cert.id}/badge.json", base_url=base),
        client.get(f"/verify/{cert.verification_code}.json", base_url=base),
    ]
    links = []
    for page in pages:
        assert page.status_code == 200, (page.request.path, page.status_code)
        body = page.get_data(as_text=True).replace("\r\n ", "")  # .ics folds long lines
        found = [u for u in URL.findall(body) if "/training/" in u or "/verify/" in u]
        assert found, f"{page.request.path} has app links"
        links += found
    db.session.expire_all()
    mails = session.execute(text("SELECT text_body, html_body, ics FROM outbox_message")).all()
    assert mails, "the invitation e-mail was queued"
    for mail in mails:
        links += [u for part in mail if part for u in URL.findall(part.replace("\r\n ", "")) if "/training/" in u]
    return {re.match(r"https?://[^/]+", u).group(0) for u in links}


def test_lms_base_url_is_used_for_every_link(app, session, base_url):
    base_url("https://hoctap.vinhphuc.gov.vn")
    assert _every_link(app, session, "http://localhost") == {"https://hoctap.vinhphuc.gov.vn"}


def test_without_it_every_link_uses_the_requests_address(app, session, base_url):
    """Asked over https (as behind the proxy), every link is https: the request's address, not the
    development default (``http://localhost:5000``, which the .ics used) nor ``SERVER_NAME`` (http)."""
    base_url(None)
    assert _every_link(app, session, "https://localhost") == {"https://localhost"}


def test_outside_a_request(app, base_url):
    base_url("https://hoctap.vinhphuc.gov.vn/lms/")
    assert absolute_url("courses.catalog") == "https://hoctap.vinhphuc.gov.vn/lms/courses/"
    base_url(None)
    assert absolute_url("courses.catalog") == "http://localhost/courses/"  # the tests' SERVER_NAME
    for env, expected in (("development", "http://localhost:5000/courses/"), ("production", None)):
        other = create_app(
            {"LMS_ENV": env, "SECRET_KEY": "k" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True}
        )
        with other.app_context():
            if expected:
                assert absolute_url("courses.catalog") == expected
            else:
                with pytest.raises(BaseUrlMissing, match="LMS_BASE_URL"):
                    absolute_url("courses.catalog")
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
