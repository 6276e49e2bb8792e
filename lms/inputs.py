"""What the app accepts from a request before any view runs: numbers the database can hold and
request bodies of a sane shape.

* ``<int:...>`` in every route is bounded to the id columns' range (``Integer``: 32-bit signed on
  PostgreSQL, the smaller of the two databases): a larger number matches no route, so it is a 404
  before a view or the database sees it (2^64 used to be an ``OverflowError`` from SQLite's driver).
* ``db_int`` is the ``type=`` / ``coerce=`` for integers read from the query string and forms: text
  is ``ValueError`` (the caller's default, or the field's "not a choice" error); a number outside
  the range is a 400 (a malformed request, never a silent "no filter").
* ``page`` (Flask-SQLAlchemy's ``paginate`` reads it itself) is checked the same way.
* A JSON body must parse (``RecursionError`` from deep nesting included) and be one object of
  strings, numbers, booleans or lists of them (Flask-WTF turns a JSON body into form data): anything
  else is a 400. No route takes JSON today; the rule is the same for all of them.
"""

from __future__ import annotations

import builtins

from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

DB_INT_MAX = 2**31 - 1  # PostgreSQL ``integer`` (SQLite's INTEGER is wider)
DB_INT_MIN = -(2**31)


class BoundedIntConverter(IntegerConverter):
    """Werkzeug's ``int`` converter with ``max`` defaulting to the database's range."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 - werkzeug's names
        bound = DB_INT_MAX if max is None else builtins.min(max, DB_INT_MAX)
        super().__init__(map, fixed_digits, min, bound, signed)


def db_int(value) -> int:
    """An integer the database can store, for ``request.args.get(..., type=db_int)`` and WTForms'
    ``coerce=db_int``: ``ValueError`` for text (the default / a field error), 400 when out of range."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = str(value).strip()
        digits = text[1:] if text[:1] in "+-" else text
        if not digits.isascii() or not digits.isdecimal():
            raise ValueError(f"not an integer: {text[:20]!r}")
        number = int(text)
    if not DB_INT_MIN <= number <= DB_INT_MAX:
        if request:
            abort(400)
        raise ValueError("integer out of the database's range")
    return number


class SafeJSONProvider(DefaultJSONProvider):
    """Deep nesting is a decoding error like any other (Flask answers 400), not a ``RecursionError``."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def _scalar(value) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _check_request():
    if "page" in request.args:
        try:
            db_int(request.args["page"])
        except ValueError:
            pass  # text: paginate falls back to page 1
    if request.is_json and request.content_length != 0:
        body = request.get_json(silent=True)  # None when it does not parse
        if not isinstance(body, dict) or not all(
            _scalar(v) or (isinstance(v, list) and all(_scalar(x) for x in v)) for v in body.values()
        ):
            abort(400)


def init_app(app: Flask) -> None:
    """Install the converter (before any blueprint adds its rules), the JSON provider and the check."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.json_provider_class = SafeJSONProvider
    app.json = SafeJSONProvider(app)
    app.before_request_funcs.setdefault(None, []).insert(0, _check_request)


def db_ints(values) -> list[int]:
    """The integers among ``values`` (a form's ``getlist``): text is skipped, a number out of range is a 400."""
    out = []
    for value in values:
        try:
            out.append(db_int(value))
        except ValueError:
            continue
    return out
