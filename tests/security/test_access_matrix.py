"""Role x endpoint authorization matrix, generated from the URL map.

``EXPECTED`` says, for every endpoint, who may pass the route-level gate. A new route that is not
listed here makes ``test_every_route_is_in_the_matrix`` fail, so nobody forgets to decide.
Object-level rules (unit head X vs unit Y, official A vs B) are tested in the feature tests and in
``test_object_rules`` below.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.auth.access import rule_for_endpoint
from lms.auth.models import Role
from lms.extensions import db
from lms.mail.models import OutboxMessage
from lms.mail.outbox import queue_message
from tests.factories import login_as, make_official, make_unit, make_user

PUBLIC = "public"
ANY = "any"  # any logged-in user
STAFF = {"it_staff", "admin"}
MANAGERS = {"unit_head", "it_staff", "admin"}

EXPECTED: dict[str, object] = {
    "main.index": PUBLIC,
    "main.healthz": PUBLIC,
    "main.favicon": PUBLIC,
    "main.set_preferences": PUBLIC,
    "main.dashboard": ANY,
    "auth.login": PUBLIC,
    "auth.logout": ANY,
    "auth.logout_everywhere": ANY,
    "auth.change_password": ANY,
    "auth.users": {"admin"},
    "auth.assign_role": {"admin"},
    "auth.revoke_role": {"admin"},
    "auth.audit_log": {"admin"},
    "org.units": STAFF,
    "org.unit_changes": STAFF,
    "org.unit_detail": MANAGERS,
    "org.officials": STAFF,
    "org.official_detail": ANY,
    "org.edit_official": STAFF,
    "org.import_data": STAFF,
    "org.import_template": STAFF,
    "mail.outbox": STAFF,
    "mail.outbox_retry": STAFF,
}

ROLES = ["anonymous", "official", "unit_head", "it_staff", "admin"]


def _endpoints(app):
    return sorted(
        {r.endpoint for r in app.url_map.iter_rules() if r.endpoint != "static" and not r.endpoint.endswith(".static")}
    )


def test_every_route_has_an_access_rule(app):
    missing = [e for e in _endpoints(app) if rule_for_endpoint(app, e) is None]
    assert missing == []


def test_every_route_is_in_the_matrix(app):
    from tests.security import matrix_extra

    expected = {**EXPECTED, **matrix_extra.expected()}
    assert sorted(set(_endpoints(app)) - set(expected)) == []


@pytest.fixture
def world(session):
    unit = make_unit(session)
    users = {
        "official": make_user(session, Role.OFFICIAL, unit=unit),
        "unit_head": make_user(session, Role.UNIT_HEAD, unit=unit),
        "it_staff": make_user(session, Role.IT_STAFF),
        "admin": make_user(session, Role.ADMIN),
    }
    official = make_official(session, unit)
    queue_message(session, to_email="x@example.gov.vn", subject="s", text_body="t", kind="t", dedupe_key="matrix")
    values = {
        "message_id": session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == "matrix")),
        "unit_id": unit.id,
        "official_id": users["official"].official_id,
        "user_id": users["official"].id,
        "assignment_id": 1,
        "kind": "units",
        "ext": "csv",
    }
    session.commit()
    return users, values, official


def _url(rule, values):
    from flask import url_for

    args = {}
    for name in rule.arguments:
        if name in (rule.defaults or {}):
            continue
        args[name] = values.get(name, 1)
    return url_for(rule.endpoint, _external=False, **args)


def test_route_level_gate_matches_the_matrix(app, world):
    """Every method of every route (a GET + POST form is swept as both), CSRF on with a valid token:
    the gate's answer is the matrix's."""
    from tests.security import matrix_extra, sweep

    users, values, _official = world
    values = {**values, **matrix_extra.values(db.session, users)}
    expected_all = {**EXPECTED, **matrix_extra.expected()}
    failures, posts = [], 0
    with sweep.csrf_enabled(app):
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
                continue
            expected = expected_all[rule.endpoint]
            url = _url(rule, values)
            for method in sweep.methods(rule):
                for role in ROLES:
                    client, token = sweep.client_with_token(app, None if role == "anonymous" else users[role])
                    data = None
                    if method != "GET":  # what the role's browser would post: the page's own form
                        data = _page_form(client, rule, url) | {"csrf_token": token}
                    r = client.open(url, method=method, data=data)
                    posts += method == "POST"
                    if expected == PUBLIC:
                        ok = r.status_code != 403 and not _to_login(r)
                    elif role == "anonymous":
                        ok = _to_login(r)
                    elif expected == ANY or role in expected:
                        ok = r.status_code != 403 and not _to_login(r)
                    else:
                        ok = r.status_code == 403
                    if not ok:
                        failures.append(f"{role:10} {method} {url} -> {r.status_code} {r.headers.get('Location', '')}")
    assert posts > 150, "the POST handlers of GET + POST routes are swept too"
    assert failures == [], "\n".join(failures)


def _page_form(client, rule, url) -> dict:
    from tests.security import sweep

    if "GET" not in rule.methods:
        return {}
    page = client.get(url)
    if page.status_code != 200 or page.mimetype != "text/html":
        return {}
    forms = sweep.page_forms(page.get_data(as_text=True), url)
    return {k: v for k, v in forms[0].items() if v} if forms else {}


def _to_login(response) -> bool:
    """The access gate's answer to an anonymous user: a redirect to the login page with ``next``."""
    return response.status_code == 302 and "/login?next=" in response.headers.get("Location", "")


def test_object_rules(client, session):
    unit_x, unit_y = make_unit(session), make_unit(session)
    head_x = make_user(session, Role.UNIT_HEAD, unit=unit_x)
    a = make_user(session, unit=unit_x)
    b = make_user(session, unit=unit_y)
    login_as(client, head_x)
    assert client.get(f"/org/officials/{a.official_id}").status_code == 200
    assert client.get(f"/org/officials/{b.official_id}").status_code == 403
    assert client.get(f"/org/units/{unit_y.id}").status_code == 403
    login_as(client, a)
    assert client.get(f"/org/officials/{b.official_id}").status_code == 403
