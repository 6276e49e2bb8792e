"""Every page each role can open, found from the URL map (the accessibility audit, the number-format
check and the browser readability test walk the same pages).

``crawl_world(session)`` makes a unit with an official, an account per role and the objects the
feature matrices need (``tests/security/matrix_*.py: values``); ``crawl(app, world, role)`` yields
``(url, response)`` for every GET route answered with an HTML page for that role.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from flask import url_for

from lms.auth.models import Role
from lms.extensions import db
from tests.factories import login_as, make_official, make_unit, make_user
from tests.security import matrix_extra

ROLES = ("anonymous", "official", "unit_head", "it_staff", "admin")


@dataclass
class World:
    users: dict
    values: dict


def crawl_world(session) -> World:
    unit = make_unit(session)
    users = {
        "official": make_user(session, Role.OFFICIAL, unit=unit),
        "unit_head": make_user(session, Role.UNIT_HEAD, unit=unit),
        "it_staff": make_user(session, Role.IT_STAFF),
        "admin": make_user(session, Role.ADMIN),
    }
    make_official(session, unit)
    session.commit()
    values = {"unit_id": unit.id, "official_id": users["official"].official_id, "user_id": users["official"].id}
    values.update(matrix_extra.values(db.session, users))
    return World(users, values)


def page_urls(app, world: World) -> Iterator[tuple[str, str]]:
    """``(endpoint, url)`` of every GET route whose arguments the world can fill."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint.endswith("static"):
            continue
        args = {n: world.values.get(n) for n in rule.arguments if n not in (rule.defaults or {})}
        if any(v is None for v in args.values()):
            continue
        yield rule.endpoint, url_for(rule.endpoint, _external=False, **args)


def crawl(app, world: World, role: str, query: str = "") -> Iterator[tuple[str, object]]:
    """``(url, response)`` for each page answered 200 with HTML to ``role`` (``query`` is added to
    every URL, e.g. ``lang=en``)."""
    for _endpoint, url in page_urls(app, world):
        client = app.test_client()
        if role != "anonymous":
            db.session.rollback()
            login_as(client, world.users[role])
        full = f"{url}{'&' if '?' in url else '?'}{query}" if query else url
        response = client.get(full)
        if response.status_code != 200 or response.mimetype != "text/html":
            response.close()
            continue
        yield url, response
