"""What every replica is made of: state, actions, pages and checks on the end state.

A replica is a small, safe copy of one application (document management, portal editor, webmail).
Its whole state is a JSON-able ``dict`` per official and scenario; everything here is pure:

* ``initial_state(setup, persona, ...)``: the scenario's starting state, with the official's own
  name on the learner's persona;
* actions: ``fn(state, form, ctx) -> Outcome`` change a copy of the state from the values a form
  posts (so the views, the tests and the scenario's reference solution run the very same code);
  a user error raises ``ActionError`` with the field to show it beside;
* checks: a registry of kinds, each validating its parameters from the scenario file and
  evaluating an end state into failures (a condition + the words of the hint that names what to
  look at); the scenario file may reword any hint.

Nothing leaves the state: no e-mail is sent, no page is published anywhere.
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l

from lms.errors import UserError
from lms.text import clean_text, fold

# -- errors ------------------------------------------------------------------------------------------


class ActionError(UserError):
    """A user error in a replica form (shown in the page, beside ``field`` when given)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(str(message), field)
        self.message = str(message)


class SpecError(ValueError):
    """A scenario file cannot be loaded; the message names the file and the field."""


# -- reading a scenario header with paths ------------------------------------------------------------


class Spec:
    """A node of a scenario's YAML header, knowing its path for error messages.

    ``Spec(header, "", "courses/content/qlvb/practice/01-x.md").child("setup").list("documents")``;
    ``node.error("must be a date")`` -> ``SpecError("<file>: setup.documents[2].date: must be a date")``.
    """

    def __init__(self, value, path: str, source: str):
        self.value = value
        self.path = path
        self.source = source

    def error(self, message: str, key: str | None = None) -> SpecError:
        where = self._join(key) if key is not None else self.path
        return SpecError(f"{self.source}: {where or '(header)'}: {message}")

    def _join(self, key) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else str(key)

    def mapping(self) -> dict:
        if not isinstance(self.value, dict):
            raise self.error("must be a mapping of 'key: value'")
        return self.value

    def has(self, key: str) -> bool:
        return isinstance(self.value, dict) and self.value.get(key) is not None

    def child(self, key: str, required: bool = True, default=None) -> Spec:
        data = self.mapping()
        if data.get(key) is None:
            if required:
                raise self.error("is missing", key)
            return Spec(default, self._join(key), self.source)
        return Spec(data[key], self._join(key), self.source)

    def items(self, key: str, required: bool = True) -> list[Spec]:
        node = self.child(key, required, [])
        value = node.value
        if isinstance(value, str | int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list):
            raise node.error("must be a list")
        if required and not value:
            raise node.error("must not be empty")
        return [Spec(v, node._join(i), self.source) for i, v in enumerate(value)]

    def text(self, key: str, required: bool = True, default: str = "", multiline: bool = False) -> str:
        node = self.child(key, required, default)
        value = node.value
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise node.error(f"must be text, not {type(value).__name__}")
        out = clean_text(str(value))
        if required and not out:
            raise node.error("must not be empty")
        return out if multiline else " ".join(out.split())

    def texts(self, key: str, required: bool = False) -> list[str]:
        out = []
        for item in self.items(key, required):
            if isinstance(item.value, bool) or not isinstance(item.value, str | int | float):
                raise item.error("must be text")
            text = " ".join(clean_text(str(item.value)).split())
            if not text:
                raise item.error("must not be empty")
            out.append(text)
        return out

    def integer(self, key: str, default: int | None = None, minimum: int | None = None) -> int | None:
        node = self.child(key, default is None, default)
        value = node.value
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise node.error(f"must be a whole number, not {value!r}")
        if minimum is not None and value < minimum:
            raise node.error(f"must be at least {minimum}")
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        node = self.child(key, False, default)
        if not isinstance(node.value, bool):
            raise node.error("must be true or false")
        return node.value

    def day(self, key: str, required: bool = True) -> str | None:
        """A date (YAML date or 'YYYY-MM-DD'), returned as ISO text."""
        node = self.child(key, required)
        value = node.value
        if value is None:
            return None
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            return value.isoformat()
        try:
            return date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise node.error(f"must be a date YYYY-MM-DD, not {value!r}") from None

    def moment(self, key: str, required: bool = True) -> str | None:
        """A local date and time ('YYYY-MM-DD HH:MM'), returned as ISO text without seconds."""
        node = self.child(key, required)
        value = node.value
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.replace(tzinfo=None, second=0, microsecond=0).isoformat(timespec="minutes")
        try:
            parsed = datetime.fromisoformat(str(value).strip().replace(" ", "T"))
        except ValueError:
            raise node.error(f"must be a date and time 'YYYY-MM-DD HH:MM', not {value!r}") from None
        return parsed.replace(tzinfo=None, second=0, microsecond=0).isoformat(timespec="minutes")

    def choice(self, key: str, options, required: bool = True, default: str | None = None) -> str | None:
        node = self.child(key, required, default)
        value = node.value
        if value is None:
            return default
        value = str(value).strip()
        if value not in options:
            raise node.error(f"'{value}' is not one of: {', '.join(options)}")
        return value

    def ref(self, key: str, known: Mapping, what: str, required: bool = True) -> str | None:
        """A key that must name an entry of ``known`` (people, documents, messages...)."""
        node = self.child(key, required)
        if node.value is None:
            return None
        value = str(node.value).strip()
        if value not in known:
            raise node.error(f"no {what} '{value}' in the setup (known: {', '.join(sorted(known)) or 'none'})")
        return value

    def refs(self, key: str, known: Mapping, what: str, required: bool = False) -> list[str]:
        out = []
        for item in self.items(key, required):
            value = str(item.value).strip()
            if value not in known:
                raise item.error(f"no {what} '{value}' in the setup (known: {', '.join(sorted(known)) or 'none'})")
            out.append(value)
        return out

    def only(self, *allowed: str) -> None:
        """Refuse unknown keys (a typo in a check would otherwise be silently ignored)."""
        unknown = sorted(set(self.mapping()) - set(allowed))
        if unknown:
            raise self.error(f"unknown key '{unknown[0]}' (allowed: {', '.join(allowed)})")


KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")


def keyed(items: list[Spec], what: str) -> dict[str, Spec]:
    """``key:`` of each item, unique and well-formed: {key: item}."""
    out: dict[str, Spec] = {}
    for item in items:
        key = item.text("key")
        if not KEY.match(key):
            raise item.error(f"key '{key}' must be lower-case letters, digits, '-' or '_'", "key")
        if key in out:
            raise item.error(f"the {what} key '{key}' is used twice", "key")
        out[key] = item
    return out


# -- a form's values ---------------------------------------------------------------------------------


MAX_LINE = 500  # characters of a one-line field
MAX_TEXT = 5000  # characters of a text area
MAX_STATE_BYTES = 400_000  # a run's state, as JSON: far above any exercise, far below a flood
MAX_LOG = 300  # steps kept in the state's own log


class Form:
    """The posted values of one replica form (a ``MultiDict`` from Flask, or a plain dict in tests and
    in the scenario's reference solution). Text is NFC-normalised on the way in; a field longer than
    a person would type (``MAX_LINE`` / ``MAX_TEXT``) is refused, not stored."""

    def __init__(self, data=None):
        self._data = data or {}

    def get(self, name: str, multiline: bool = False) -> str:
        value = self._data.get(name, "")
        if isinstance(value, list):
            value = value[0] if value else ""
        if value is None or isinstance(value, bool):
            value = "" if value is None else ("1" if value else "")
        text = clean_text(str(value))
        limit = MAX_TEXT if multiline else MAX_LINE
        if len(text) > limit:
            raise ActionError(_l("Nội dung quá dài (tối đa %(n)d ký tự).", n=limit), name)
        return text if multiline else " ".join(text.split())

    def getlist(self, name: str) -> list[str]:
        if hasattr(self._data, "getlist"):
            values = self._data.getlist(name)
        else:
            values = self._data.get(name, [])
            if isinstance(values, str | int):
                values = [values]
        out = []
        for value in values or []:
            text = " ".join(clean_text(str(value)).split())
            if text and text not in out:
                out.append(text)
        return out

    def flag(self, name: str) -> bool:
        return self.get(name).lower() in {"1", "on", "true", "yes", "y"}

    def required(self, name: str, message: str, multiline: bool = False) -> str:
        value = self.get(name, multiline)
        if not value:
            raise ActionError(message, name)
        return value

    def day(self, name: str, message: str, required: bool = True) -> str | None:
        value = self.get(name)
        if not value:
            if required:
                raise ActionError(message, name)
            return None
        parsed = parse_day(value)
        if parsed is None:
            raise ActionError(message, name)
        return parsed.isoformat()

    def moment(self, name: str, message: str) -> str:
        value = self.get(name)
        try:
            parsed = datetime.fromisoformat(value.replace(" ", "T"))
        except ValueError:
            parsed = None
        if parsed is None:
            # 'dd/mm/yyyy hh:mm', as typed without the browser's picker
            m = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2})[:h](\d{2})$", value)
            if m:
                try:
                    # the replica's clock is the practice day's local time, naive on purpose
                    parsed = datetime(int(m[3]), int(m[2]), int(m[1]), int(m[4]), int(m[5]))  # noqa: DTZ001
                except ValueError:
                    parsed = None
        if parsed is None:
            raise ActionError(message, name)
        return parsed.replace(tzinfo=None, second=0, microsecond=0).isoformat(timespec="minutes")


def parse_day(value: str) -> date | None:
    """'2026-11-20' (the browser's date field) or '20/11/2026' (typed by hand)."""
    value = (value or "").strip()
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    m = re.match(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$", value)
    if m:
        try:
            return date(int(m[3]), int(m[2]), int(m[1]))
        except ValueError:
            return None
    return None


# -- outcomes, context -------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What an action tells the page: a short message, and where to go next (page name, key)."""

    message: str
    page: str = "home"
    key: str | None = None


@dataclass
class Action:
    name: str
    run: Callable  # (state, form, ctx) -> Outcome
    form_page: str | None = None  # the page whose form posts this action (shown again on an error)


@dataclass
class Ctx:
    """What an action may know besides the state: nothing from the request, nothing from the clock.

    Time inside a replica is the scenario's practice day and a step clock (``tick``), so a run and
    the reference solution give the same state whatever the real time is."""

    replica: Replica


# -- text comparison ---------------------------------------------------------------------------------

_PUNCT_EDGES = re.compile(r"^[\s.,;:!?\"'«»()\-]+|[\s.,;:!?\"'«»()\-]+$")


def squash(text: str | None) -> str:
    """Case-, space- and edge-punctuation-insensitive form; diacritics still count."""
    text = unicodedata.normalize("NFC", text or "").casefold()
    return _PUNCT_EDGES.sub("", " ".join(text.split()))


def contains_words(text: str | None, words: list[str]) -> list[str]:
    """The ``words`` (phrases) missing from ``text``, compared without diacritics or case."""
    haystack = " ".join(fold(text or "").split())
    return [w for w in words if " ".join(fold(w).split()) not in haystack]


def lacks_diacritics(text: str | None) -> bool:
    """Vietnamese typed without diacritics: several words and not one letter outside ASCII."""
    letters = [c for c in unicodedata.normalize("NFC", text or "") if c.isalpha()]
    return len((text or "").split()) >= 3 and bool(letters) and all(ord(c) < 128 for c in letters)


def is_all_caps(text: str | None) -> bool:
    letters = [c for c in text or "" if c.isalpha()]
    return len(letters) >= 8 and all(c.isupper() for c in letters)


def same_text(value: str | None, accepted: list[str]) -> bool:
    return squash(value) in {squash(a) for a in accepted}


# -- dates -------------------------------------------------------------------------------------------


def add_working_days(start: date, days: int) -> date:
    """``days`` working days after ``start`` (Saturdays and Sundays skipped; public holidays are not
    modelled in the replicas)."""
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def vn_date(iso: str | None) -> str:
    if not iso:
        return ""
    d = date.fromisoformat(iso[:10])
    return d.strftime("%d/%m/%Y")


def vn_moment(iso: str | None) -> str:
    if not iso:
        return ""
    d = datetime.fromisoformat(iso)
    return d.strftime("%d/%m/%Y %H:%M")


def tick(state: dict, minutes: int = 3) -> str:
    """Advance the replica's step clock (it starts at 08:00 of the practice day); return the moment."""
    clock = datetime.fromisoformat(state.get("clock") or f"{state['today']}T08:00")
    clock += timedelta(minutes=minutes)
    state["clock"] = clock.isoformat(timespec="minutes")
    return state["clock"]


# -- checks ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """One way an end state misses a check: the condition and the values its hint names."""

    condition: str
    args: dict = field(default_factory=dict)


class CheckKind:
    """A kind of check. Subclasses set ``name``, ``conditions`` (condition -> default hint, a lazy
    Vietnamese text that may use ``%(name)s`` values of the failure) and ``label`` (what is checked,
    shown with a tick or a cross), and implement ``params`` and ``evaluate``."""

    name: str = ""
    conditions: dict = {}
    label = ""
    keys: tuple[str, ...] = ()  # parameter keys besides check / label / hints

    def params(self, spec: Spec, setup: dict) -> dict:  # pragma: no cover - overridden
        raise NotImplementedError

    def evaluate(self, state: dict, params: dict) -> list[Failure]:  # pragma: no cover - overridden
        raise NotImplementedError

    def label_args(self, state: dict, params: dict) -> dict:
        return {}


def read_checks(spec: Spec, setup: dict, kinds: dict[str, CheckKind]) -> list[dict]:
    """Validate the ``checks:`` list of a scenario: [{kind, params, label, hints}]."""
    out = []
    for node in spec.items("checks"):
        kind_name = node.choice("check", sorted(kinds))
        kind = kinds[kind_name]
        node.only("check", "label", "hints", *kind.keys)
        hints: dict[str, str] = {}
        if node.has("hints"):
            hint_node = node.child("hints")
            for condition in hint_node.mapping():
                if condition not in kind.conditions:
                    raise hint_node.error(
                        f"'{condition}' is not a condition of check '{kind_name}' "
                        f"(one of: {', '.join(kind.conditions)})"
                    )
                hints[condition] = hint_node.text(condition)
        out.append(
            {
                "kind": kind_name,
                "params": kind.params(node, setup),
                "label": node.text("label", required=False),
                "hints": hints,
            }
        )
    return out


@dataclass
class CheckOutcome:
    index: int
    label: str
    passed: bool
    failures: list[Failure]
    hints: list[str]


def evaluate_checks(state: dict, checks: list[dict], kinds: dict[str, CheckKind]) -> list[CheckOutcome]:
    out = []
    for index, check in enumerate(checks):
        kind = kinds[check["kind"]]
        failures = kind.evaluate(state, check["params"])
        hints = []
        for failure in failures:
            template = check["hints"].get(failure.condition) or kind.conditions[failure.condition]
            hint = str(template) % failure.args if failure.args else str(template)
            if hint not in hints:
                hints.append(hint)
        label = check["label"] or (str(kind.label) % kind.label_args(state, check["params"]))
        out.append(CheckOutcome(index, label, not failures, failures, hints))
    return out


# -- the replica -------------------------------------------------------------------------------------


class Replica:
    """Base of the three replicas. Subclasses fill ``app``, ``actions``, ``checks``, ``pages``."""

    app: str = ""
    actions: dict[str, Action] = {}
    checks: dict[str, CheckKind] = {}
    home_page = "home"

    # -- set-up
    def read_setup(self, spec: Spec) -> dict:  # pragma: no cover - overridden
        raise NotImplementedError

    def initial_state(self, setup: dict, persona_name: str | None = None, persona_email: str | None = None) -> dict:
        """A fresh state from the validated setup; the learner's persona takes the official's name."""
        state = copy.deepcopy(setup)
        state["clock"] = f"{state['today']}T08:00"
        state["log"] = []
        self.personalise(state, persona_name, persona_email)
        return state

    def personalise(self, state: dict, name: str | None, email: str | None) -> None:
        return None

    # -- acting
    def act(self, state: dict, action: str, data) -> tuple[dict, Outcome]:
        """Run ``action`` on a copy of ``state``; returns the new state and the outcome. Raises
        ``ActionError`` (state unchanged) or ``KeyError`` for an unknown action."""
        spec = self.actions[action]
        new = copy.deepcopy(state)
        outcome = spec.run(new, data if isinstance(data, Form) else Form(data), Ctx(self))
        tick(new)
        new["log"] = [*new["log"], {"at": new["clock"], "action": action, "actor": new.get("acting")}][-MAX_LOG:]
        if len(json.dumps(new, ensure_ascii=False).encode()) > MAX_STATE_BYTES:
            raise ActionError(_l("Bài thực hành đã quá nhiều dữ liệu. Hãy bấm «Làm lại từ đầu»."))
        return new, outcome

    # -- pages
    def page(self, state: dict, name: str, key: str | None) -> tuple[str, dict]:  # pragma: no cover
        raise NotImplementedError

    def guide(self, page: str) -> list[tuple[str, str]]:
        """The page's "show me" steps: (element id, plain words) in order. Empty by default."""
        return []
