"""Authorization sweep with real objects: every route x seven people, with the ids of objects that
belong to one official ("the owner": attempts, answers, results, certificates, badges, training
invitations, the unit's staff tables and exports). Nobody outside the owner's circle learns anything
about the owner: the answer is 403/404 (or the login page), or a page without the owner's name.

The ids come from ``tests/security/matrix_*.py`` (``matrix_extra.values``) and the packages' factories.
"""

from __future__ import annotations

import pytest
from flask import url_for
from sqlalchemy import or_, select

from lms.auth.models import Role
from lms.extensions import db
from lms.org.models import Official
from quizzes.models import Attempt, AttemptSlot, AttemptState
from tests.factories import login_as, make_unit, make_user
from tests.security import sweep

OWNER_NAME = "Bímật"  # the owner's given name: unique in the database
# public by design: the certificate verification pages show the holder's name to whoever has the code
PUBLIC_BY_CODE = {
    "certificates.verify",
    "certificates.verify_json",
    "certificates.verify_lookup",
    "certificates.verify_upload",
    "training.feed",
}
OUTSIDERS = ("anonymous", "other_official", "other_head")
INSIDERS = ("owner", "unit_head", "it_staff", "admin")


@pytest.fixture
def world(session):
    from tests.security import matrix_extra

    unit_x, unit_y = make_unit(session, name="Xã Owner"), make_unit(session, name="Xã Khác")
    owner = make_user(session, Role.OFFICIAL, unit=unit_x)
    owner.official.given_name = OWNER_NAME
    people = {
        "owner": owner,
        "unit_head": make_user(session, Role.UNIT_HEAD, unit=unit_x),
        "it_staff": make_user(session, Role.IT_STAFF),
        "admin": make_user(session, Role.ADMIN),
        "other_official": make_user(session, Role.OFFICIAL, unit=unit_y),
        "other_head": make_user(session, Role.UNIT_HEAD, unit=unit_y),
    }
    session.commit()
    users = {
        "official": owner,
        "unit_head": people["unit_head"],
        "it_staff": people["it_staff"],
        "admin": people["admin"],
    }
    values = {
        "unit_id": unit_x.id,
        "official_id": owner.official_id,
        "user_id": owner.id,
        "assignment_id": 1,
        "kind": "officials",
        "ext": "csv",
    }
    values.update(matrix_extra.values(session, users))
    # the matrix's attempt is in progress; without a deadline it stays open (one started in the past
    # would be overdue, and a late write refused for the time rather than for the owner)
    attempt = session.get(Attempt, values["attempt_id"])
    attempt.deadline_at = None
    session.commit()
    return people, values, attempt


def _url(rule, values):
    args = {n: values.get(n, 1) for n in rule.arguments if n not in (rule.defaults or {})}
    return url_for(rule.endpoint, _external=False, **args)


def _leaks(response) -> bool:
    if response.status_code in (401, 403, 404, 405, 409):
        return False
    if response.status_code in (301, 302, 303):
        return False  # a redirect carries no data (the target is swept on its own)
    body = response.get_data().decode("utf-8", "replace")  # binary answers too (the favicon)
    return OWNER_NAME in body or OWNER_NAME.lower() in body.lower()


def _slots(session, attempt_id):
    db.session.expire_all()
    return [
        (s.slot_no, s.answer, s.state)
        for s in session.scalars(
            select(AttemptSlot).where(AttemptSlot.attempt_id == attempt_id).order_by(AttemptSlot.slot_no)
        )
    ]


def owner_rows(owner) -> dict[str, list[tuple]]:
    """Every row that belongs to the owner (their official, account and unit, and the rows of every
    table pointing at them: attempts and their slots, certificates, enrolments, training invitations,
    competency records...), read through a new connection: what is committed."""
    from sqlalchemy import Table

    tables: dict[str, Table] = {t.name: t for t in db.metadata.sorted_tables}
    out: dict[str, list[tuple]] = {}
    with db.engine.connect() as conn:
        official = conn.execute(select(tables["official"]).where(tables["official"].c.id == owner.official_id)).one()
        attempts = [
            r.id
            for r in conn.execute(
                select(tables["attempt"].c.id).where(tables["attempt"].c.official_id == owner.official_id)
            )
        ]
        for name, table in tables.items():
            where = []
            if name == "official":
                where.append(table.c.id == owner.official_id)
            if name == "user_account":
                where.append(table.c.id == owner.id)
            if name == "unit":
                where.append(table.c.id == official.unit_id)
            if "official_id" in table.c:
                where.append(table.c.official_id == owner.official_id)
            if "user_id" in table.c and name != "audit_log":  # the audit log names the actor
                where.append(table.c.user_id == owner.id)
            if "attempt_id" in table.c:
                where.append(table.c.attempt_id.in_(attempts))
            if where:
                rows = conn.execute(select(table).where(or_(*where))).all()
                out[name] = sorted(tuple(map(repr, r)) for r in rows)
    return out


def insider_form(app, people, url: str, rule) -> dict:
    """What the owner's circle would post to ``url``: the page's own form, as the first insider who
    gets the page sees it (so an outsider's POST carries real values, not an empty form)."""
    if "GET" not in rule.methods:
        return {}
    for who in INSIDERS:
        client = app.test_client()
        db.session.rollback()
        login_as(client, people[who])
        page = client.get(url)
        if page.status_code == 200 and page.mimetype == "text/html":
            forms = sweep.page_forms(page.get_data(as_text=True), url)
            if forms:
                return {k: v for k, v in forms[0].items() if v and k != "csrf_token"}
    return {}


def test_no_route_leaks_the_owners_data_to_outsiders(app, world, session):
    """Every method of every route (the POST of a GET + POST form too), with a valid CSRF token and
    the form the owner's circle would post: outsiders learn nothing and change nothing of the owner's."""
    people, values, attempt = world
    rules = [
        r
        for r in app.url_map.iter_rules()
        if not (r.endpoint == "static" or r.endpoint.endswith(".static") or r.endpoint in PUBLIC_BY_CODE)
    ]
    # the insiders' forms first: the owner opening a question page marks it seen, which is not a leak
    forms = {_url(r, values): insider_form(app, people, _url(r, values), r) for r in rules if "POST" in r.methods}
    before = _slots(session, attempt.id)
    rows_before = owner_rows(people["owner"])
    failures, checked, posts = [], 0, 0
    with sweep.csrf_enabled(app):
        for rule in rules:
            url = _url(rule, values)
            for method in sweep.methods(rule):
                form = forms[url] if method == "POST" else {}
                for who in OUTSIDERS:
                    client, token = sweep.client_with_token(app, None if who == "anonymous" else people[who])
                    data = None
                    if method == "POST":
                        data = {"slot": "1", "q1": "o1", "go": "next", **form, "csrf_token": token}
                        posts += 1
                    r = client.open(url, method=method, data=data)
                    checked += 1
                    leaked = _leaks(r)
                    r.close()
                    if r.status_code >= 500 or leaked:
                        failures.append(f"{who:15} {method} {url} -> {r.status_code}")
                    if method == "POST" and rule.endpoint.startswith("quizzes.") and "attempt_id" in rule.arguments:
                        if r.status_code not in (302, 403, 404) or (r.status_code == 302 and who != "anonymous"):
                            failures.append(f"{who:15} {method} {url} -> {r.status_code} (must be refused)")
    assert checked > 250 and posts >= 150
    assert failures == [], "\n".join(failures)
    assert _slots(session, attempt.id) == before, "nobody else could answer the owner's attempt"
    db.session.expire_all()
    assert session.get(Attempt, attempt.id).state == AttemptState.IN_PROGRESS, "nobody else could submit it"
    after = owner_rows(people["owner"])
    changed = {t: (rows_before[t], after[t]) for t in rows_before if rows_before[t] != after[t]}
    assert changed == {}, "an outsider changed the owner's rows"


def test_insiders_see_the_owners_pages_without_errors(app, world, session):
    """The sweep's other half: the owner's circle gets no 500 on any GET with these ids."""
    people, values, _attempt = world
    failures = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static") or "GET" not in rule.methods:
            continue
        url = _url(rule, values)
        for who in INSIDERS:
            client = app.test_client()
            db.session.rollback()
            login_as(client, people[who])
            r = client.get(url)
            r.get_data()  # streamed exports run to the end (and their request context closes)
            r.close()
            if r.status_code >= 500:
                failures.append(f"{who:10} GET {url} -> {r.status_code}")
    assert failures == [], "\n".join(failures)


def test_insiders_posts_with_their_forms_never_500(app, world, session):
    """The owner's circle posts each page's own form (valid CSRF token) to every POST route: no 500."""
    people, values, _attempt = world
    failures, posts = [], 0
    with sweep.csrf_enabled(app):
        for rule in app.url_map.iter_rules():
            if "POST" not in rule.methods:
                continue
            url = _url(rule, values)
            form = insider_form(app, people, url, rule)
            for who in INSIDERS:
                client, token = sweep.client_with_token(app, people[who])
                r = client.post(url, data={**form, "csrf_token": token})
                r.get_data()
                r.close()
                posts += 1
                if r.status_code >= 500:
                    failures.append(f"{who:10} POST {url} -> {r.status_code}")
    assert posts >= 150
    assert failures == [], "\n".join(failures)


def test_unit_heads_see_their_own_units_results_only(client, world, session):
    people, values, attempt = world
    login_as(client, people["other_head"])
    for url in (
        f"/competency/units/{values['unit_id']}",
        f"/competency/units/{values['unit_id']}/staff.csv",
        f"/competency/units/{values['unit_id']}/staff.xlsx",
        f"/org/units/{values['unit_id']}",
        f"/org/officials/{values['official_id']}",
        f"/quizzes/attempts/{attempt.id}",
        f"/certificates/{values['cert_id']}/pdf",
        f"/certificates/{values['cert_id']}/badge.json",
    ):
        assert client.get(url).status_code in (403, 404), url
    page = client.get(f"/quizzes/manage/{values['quiz_id']}/results")
    assert OWNER_NAME not in page.get_data(as_text=True)
    login_as(client, people["unit_head"])
    assert client.get(f"/quizzes/attempts/{attempt.id}").status_code == 200
    assert client.get(f"/certificates/{values['cert_id']}/badge.json").status_code == 200


def test_forged_attempt_ids_in_another_officials_session(client, world, session):
    """An official who changes the attempt id in the URL reaches nothing: 403/404 for every kind."""
    people, values, attempt = world
    login_as(client, people["other_official"])
    a = attempt.id
    for method, url in (
        ("GET", f"/quizzes/attempts/{a}/q/1"),
        ("POST", f"/quizzes/attempts/{a}/q/1"),
        ("POST", f"/quizzes/attempts/{a}/autosave"),
        ("GET", f"/quizzes/attempts/{a}/summary"),
        ("POST", f"/quizzes/attempts/{a}/submit"),
        ("GET", f"/quizzes/attempts/{a}"),
        ("GET", f"/quizzes/attempts/{a + 1000}"),
    ):
        r = client.open(url, method=method, data={"slot": "1", "q1": "o1"})
        assert r.status_code in (403, 404), (method, url, r.status_code)
    other = session.scalar(select(Official).where(Official.given_name == OWNER_NAME))
    assert other is not None
