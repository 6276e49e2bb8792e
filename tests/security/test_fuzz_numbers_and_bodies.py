"""Numbers the database cannot hold and bodies nobody should send, on every route (from the URL map).

* an integer path segment out of the database's range (2^31 and up: PostgreSQL ``integer``; 2^63 and up
  overflowed SQLite's driver) is a 404, for every method, before any view runs;
* every query parameter a view reads (learned by recording the keys it looks up) and every field of
  every form (the page's own form, with the values a browser would send, plus the keys the POST handler
  reads) gets such numbers: a 400 or the page, never a 500;
* malformed, deeply nested or oddly shaped JSON bodies are a 400, never a ``RecursionError``.
"""

from __future__ import annotations

import re

import pytest

from lms.extensions import db
from tests.factories import login_as
from tests.security import sweep

BIG = [str(2**31), str(2**63), str(2**64), str(10**30), str(-(2**64))]
PROBES = [str(2**31), str(-(2**64))]  # just over PostgreSQL's integer; over SQLite's, negative
INT_ARG = re.compile(r"<int(?:\([^)]*\))?:(\w+)>")


@pytest.fixture
def world(app, session):
    return sweep.build_world(session)


def _client(app, users, role):
    client = app.test_client()
    db.session.rollback()  # see the commits of earlier requests (a logout rotates the session token)
    login_as(client, users[role])
    return client


def _status(client, method, url, **kwargs) -> int | str:
    """The status code, or the exception's name when the test client raised (testing mode re-raises)."""
    try:
        response = client.open(url, method=method, **kwargs)
    except Exception as exc:  # noqa: BLE001 - any exception here is the 500 the test looks for
        db.session.rollback()
        return type(exc).__name__
    response.get_data()
    response.close()
    return response.status_code


def test_out_of_range_ids_in_the_path_are_404(app, world):
    users, values = world
    failures, checked = [], 0
    for rule in sweep.routes(app):
        for name in INT_ARG.findall(rule.rule):
            role = sweep.allowed_roles(rule.endpoint)[-1]
            for big in BIG[:4]:
                url = sweep.url(rule, values, **{name: int(big)})
                for method in sweep.methods(rule):
                    status = _status(_client(app, users, role), method, url)
                    checked += 1
                    if status != 404:
                        failures.append(f"{role:9} {method:4} {url[:90]} -> {status}")
    assert checked > 100
    assert failures == [], "\n".join(failures)


def test_out_of_range_numbers_in_query_parameters_never_500(app, world):
    users, values = world
    failures, probed = [], set()
    for rule in sweep.routes(app):
        if "GET" not in rule.methods:
            continue
        url = sweep.url(rule, values)
        roles = sweep.allowed_roles(rule.endpoint)
        for role in dict.fromkeys([roles[0], roles[-1]]):  # the narrowest and the widest view
            with sweep.recording(app) as keys:
                _status(_client(app, users, role), "GET", url)
                read = (set(keys) | {"page"}) - {key for endpoint, key in probed if endpoint == rule.endpoint}
            for key in sorted(read):
                probed.add((rule.endpoint, key))
                for big in PROBES:
                    status = _status(_client(app, users, role), "GET", url, query_string={key: big})
                    # 429: the verification page's limit; 301: an old address that moved (the outbox's), the query kept
                    if status not in (200, 301, 302, 400, 404, 429):
                        failures.append(f"{role:9} GET {url}?{key}={big} -> {status}")
    assert len(probed) > 150, "the recorder found the parameters views read"
    assert failures == [], "\n".join(failures)


def _form_bases(app, users, role, rule, url) -> list[dict[str, list[str]]]:
    """What a browser would post: the page's own forms (for GET + POST routes) and, always, the keys
    the POST handler reads when it gets an empty form."""
    bases = []
    if "GET" in rule.methods:
        client = _client(app, users, role)
        page = client.get(url)
        if page.status_code == 200 and page.mimetype == "text/html":
            bases += sweep.page_forms(page.get_data(as_text=True), url)
    with sweep.recording(app) as keys:
        _status(_client(app, users, role), "POST", url, data={})
        read = set(keys)
    bases.append({key: [] for key in read if key != "csrf_token"})
    return bases


def test_out_of_range_numbers_in_form_fields_never_500(app, world):
    users, values = world
    failures, probed = [], set()
    for rule in sweep.routes(app):
        if "POST" not in rule.methods:
            continue
        url = sweep.url(rule, values)
        role = sweep.allowed_roles(rule.endpoint)[-1]
        for base in _form_bases(app, users, role, rule, url):
            for key in sorted(base):
                for big in PROBES:
                    data = {**{k: v for k, v in base.items() if v}, key: big}
                    status = _status(_client(app, users, role), "POST", url, data=data)
                    probed.add((rule.endpoint, key))
                    if not isinstance(status, int) or status >= 500:
                        failures.append(f"{role:9} POST {url} {key}={big} -> {status}")
    assert len(probed) > 100, "the forms' fields were found"
    assert failures == [], "\n".join(failures)


NESTED = 100_000
BODIES = {
    "deep array": "[" * NESTED + "]" * NESTED,
    "deep object": '{"a":' * NESTED + "1" + "}" * NESTED,
    "deep value": '{"slot": "1", "q1": ' + "[" * NESTED + "]" * NESTED + "}",
    "not json": '{"slot": 1,',
    "top-level list": '[1, 2, "x"]',
    "top-level string": '"x"',
    "object value": '{"slot": {"x": 1}, "csrf_token": "x"}',
    "invalid utf-8": b'{"slot": "\xff\xfe"}',
}


def test_malformed_and_deeply_nested_json_bodies_are_400(app, world):
    users, values = world
    failures, checked = [], 0
    for rule in sweep.routes(app):
        url = sweep.url(rule, values)
        role = sweep.allowed_roles(rule.endpoint)[-1]
        for method in sweep.methods(rule):
            if method == "GET":
                continue
            for name, body in BODIES.items():
                status = _status(_client(app, users, role), method, url, data=body, content_type="application/json")
                checked += 1
                if status != 400:
                    failures.append(f"{role:9} {method} {url} {name} -> {status}")
    assert checked > 300
    assert failures == [], "\n".join(failures)


def test_a_flat_json_object_is_not_refused_for_its_shape(app, world):
    """The guard refuses shapes, not JSON: a flat object goes on to the view (here: no CSRF token in
    a form the view expects, so the view's own answer)."""
    users, values = world
    client = _client(app, users, "official")
    r = client.post(f"/quizzes/attempts/{values['attempt_id']}/autosave", json={"slot": "1", "q1": "o1"})
    assert r.status_code in (200, 400, 409)
    assert r.is_json, "the autosave's own JSON answer, not the error page"
