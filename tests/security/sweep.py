"""Shared pieces of the route sweeps (fuzz, access, objects): real ids for every URL argument, the
people who pass each route's gate, the request keys a view reads, and the fields of a page's forms.

Everything is generated from the URL map and ``tests/security/matrix_*.py``: a new route, a new
query parameter or a new form field is swept without editing a list.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from html.parser import HTMLParser

from flask import Request, url_for
from werkzeug.datastructures import ImmutableMultiDict

from lms.auth.models import Role
from tests.factories import make_unit, make_user

ROLE_ORDER = ("official", "unit_head", "it_staff", "admin")
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def routes(app):
    """Every rule of the app except static files."""
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static" and not r.endpoint.endswith(".static")]


def methods(rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def build_world(session) -> tuple[dict, dict]:
    """Users of one unit (official, its head, IT staff, admin) and real ids for every URL argument."""
    from tests.security import matrix_extra

    unit = make_unit(session)
    users = {
        "official": make_user(session, Role.OFFICIAL, unit=unit),
        "unit_head": make_user(session, Role.UNIT_HEAD, unit=unit),
        "it_staff": make_user(session, Role.IT_STAFF),
        "admin": make_user(session, Role.ADMIN),
    }
    values = {
        "unit_id": unit.id,
        "official_id": users["official"].official_id,
        "user_id": users["official"].id,
        "assignment_id": 1,
        "kind": "officials",
        "ext": "csv",
    }
    values.update(matrix_extra.values(session, users))
    session.commit()
    return users, values


def url(rule, values, **override) -> str:
    args = {n: override.get(n, values.get(n, 1)) for n in rule.arguments if n not in (rule.defaults or {})}
    return url_for(rule.endpoint, _external=False, **args)


def allowed_roles(endpoint: str) -> list[str]:
    """The roles that pass the route's gate, from the authorization matrix (admins last)."""
    from tests.security import matrix_extra
    from tests.security.test_access_matrix import EXPECTED

    expected = {**EXPECTED, **matrix_extra.expected()}[endpoint]
    if expected in ("public", "any"):
        return list(ROLE_ORDER)
    return [r for r in ROLE_ORDER if r in expected]


# --------------------------------------------------------------------------- keys a view reads
_read_keys: set[str] = set()


class RecordingMultiDict(ImmutableMultiDict):
    """Query string and form data that remember which keys the view (and its forms) looked up."""

    def __getitem__(self, key):
        _read_keys.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        _read_keys.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        _read_keys.add(key)
        return super().getlist(key, type)

    def __contains__(self, key):
        _read_keys.add(key)
        return super().__contains__(key)


class RecordingRequest(Request):
    parameter_storage_class = RecordingMultiDict


@contextmanager
def recording(app):
    """``with recording(app) as keys: client.get(...)``: ``keys`` is the set of request keys read."""
    previous = app.request_class
    app.request_class = RecordingRequest
    _read_keys.clear()
    try:
        yield _read_keys
    finally:
        app.request_class = previous


# --------------------------------------------------------------------------- forms of a page
class FormFields(HTMLParser):
    """The fields of the page's forms that post to ``target`` (or to the page itself), with the
    values a browser would send: text inputs' values, checked boxes, the selected (or first) option."""

    def __init__(self, target: str) -> None:
        super().__init__(convert_charrefs=True)
        self.target = target
        self.forms: list[dict[str, list[str]]] = []
        self._form: dict[str, list[str]] | None = None
        self._select: tuple[str, list[str], list[str]] | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            action = (a.get("action") or self.target).split("?")[0]
            method = (a.get("method") or "get").lower()
            self._form = {} if method == "post" and action == self.target else None
            if self._form is not None:
                self.forms.append(self._form)
            return
        if self._form is None or not a.get("name"):
            return
        name = a["name"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form.setdefault(name, []).append(a.get("value") or "y")
                else:
                    self._form.setdefault(name, [])
            elif kind not in ("submit", "button", "file", "image", "reset"):
                self._form.setdefault(name, []).append(a.get("value") or "")
        elif tag == "select":
            self._select = (name, [], [])
        elif tag == "option" and self._select is not None:
            value = a.get("value") or ""
            self._select[1].append(value)
            if "selected" in a:
                self._select[2].append(value)
        elif tag == "textarea":
            self._textarea = name
            self._form.setdefault(name, [""])
        elif tag == "button" and a.get("value"):
            self._form.setdefault(name, []).append(a["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            name, options, selected = self._select
            if self._form is not None:
                self._form[name] = selected or [o for o in options if o][:1] or options[:1]
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form[self._textarea] = [self._form[self._textarea][0] + data]


def page_forms(html: str, target: str) -> list[dict[str, list[str]]]:
    parser = FormFields(target)
    parser.feed(html)
    return parser.forms


def csrf_token(html: str) -> str | None:
    m = CSRF_RE.search(html)
    return (m.group(1) or m.group(2)) if m else None
