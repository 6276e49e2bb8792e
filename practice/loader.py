"""Load practice scenarios from ``courses/content/<course>/practice/NN-<slug>.md``.

A scenario file is Markdown (the task in plain words, shown beside the replica) with a YAML header:

    ---
    title: Vào sổ và trình giấy mời hỏa tốc
    app: qlvb                     # qlvb | portal | email: which replica
    order: 1
    minutes: 10
    competency: [QLVB-03, QLVB-08] # codes used by the course's lessons
    setup: {...}                   # the replica's starting state (see docs/content-format.md)
    checks: [...]                  # checks on the end state, each with optional hints
    solution: [...]                # a reference solution: the form posts that reach a right end state
    ---

Validation is strict and every error names the file and the field (``setup.documents[2].date``).
Beyond the shape, the loader runs the reference solution through the replica's own actions and
refuses the file unless the solution passes every check and the starting state does not: a
scenario that cannot be done, or that is done by doing nothing, never reaches an official.

Re-loading updates in place (matched by course and slug); a scenario whose file is gone is
unpublished; runs are kept. A changed scenario gets a new ``spec_hash``, and runs started on the
old version start again from the new starting state when they are next opened.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import frontmatter
import nh3
import yaml
from markdown_it import MarkdownIt
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.events import ContentRefused
from lms.text import clean_text, nfc
from lms.topics import Topic
from practice.models import PracticeApp, Scenario
from practice.replicas import REPLICAS
from practice.replicas.base import ActionError, Spec, SpecError, evaluate_checks, read_checks

SCENARIO_FILE = re.compile(r"^(\d{1,3})-([a-z0-9][a-z0-9-]{0,100})\.md$")
HEADER_KEYS = ("title", "app", "order", "minutes", "competency", "summary", "setup", "checks", "solution")

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
TASK_TAGS = {
    "h2",
    "h3",
    "p",
    "br",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "code",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


class PracticeContentError(SpecError, ContentRefused):
    """A scenario file cannot be loaded; the message names the file and the field."""


def render_task(text: str) -> str:
    """The task's Markdown as sanitized HTML (no links, no images: the task stays inside the page)."""
    return nh3.clean(_markdown.render(nfc(text or "")), tags=TASK_TAGS, attributes={}, strip_comments=True)


@dataclass
class ScenarioSource:
    slug: str
    position: int
    title: str
    app: str
    minutes: int
    competency: list[str]
    summary: str
    task_md: str
    spec: dict
    source: str

    @property
    def spec_hash(self) -> str:
        payload = json.dumps({"spec": self.spec, "task": self.task_md}, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()


def _read_file(path: Path) -> tuple[dict, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PracticeContentError(f"{path}: the file is not UTF-8 ({exc.reason}).") from None
    text = text.lstrip("\ufeff")
    if not text.startswith("---"):
        raise PracticeContentError(f"{path}: the file does not start with a '---' header block.")
    try:
        post = frontmatter.loads(text)
    except ValueError as exc:  # a YAML date that is not a date (2026-13-25) fails in the constructor
        raise PracticeContentError(f"{path}: invalid YAML header: {exc}.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (header line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PracticeContentError(f"{path}: invalid YAML header{where}: {problem}.") from None
    if not isinstance(post.metadata, dict) or not post.metadata:
        raise PracticeContentError(f"{path}: the header is empty or not a mapping of 'key: value'.")
    return dict(post.metadata), post.content


def _plain(value):
    """A solution value as a form would post it: text, or a list of texts."""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value is None:
        return ""
    return str(value)


def read_solution(spec: Spec, replica) -> list[dict]:
    steps = []
    for node in spec.items("solution"):
        data = node.mapping()
        action = node.choice("do", sorted(replica.actions))
        steps.append({"do": action, "form": {k: _plain(v) for k, v in data.items() if k != "do"}})
    return steps


def replay(replica, setup: dict, steps: list[dict], persona_name: str | None = None) -> dict:
    """The state after the steps, from the starting state (ActionError propagates)."""
    state = replica.initial_state(setup, persona_name)
    for step in steps:
        state, _outcome = replica.act(state, step["do"], step["form"])
    return state


def read_scenario(path: Path, codes: set[str] | None = None) -> ScenarioSource:
    """Read and validate one scenario file. ``codes``: the competency codes the course's lessons use."""
    path = Path(path)
    match = SCENARIO_FILE.match(path.name)
    if match is None:
        raise PracticeContentError(f"{path}: a scenario file must be named NN-<slug>.md (e.g. 01-vao-so-van-ban.md).")
    meta, body = _read_file(path)
    root = Spec(meta, "", str(path))
    try:
        root.only(*HEADER_KEYS)
        app = root.choice("app", [a.value for a in PracticeApp])
        replica = REPLICAS[app]
        competency = root.texts("competency", required=True)
        if codes is not None:
            for index, code in enumerate(competency):
                if code not in codes:
                    raise root.child("competency").error(
                        f"'{code}' is not a code used by the course's lessons (known: {', '.join(sorted(codes))})",
                        index,
                    )
        setup = replica.read_setup(root.child("setup"))
        checks = read_checks(root, setup, replica.checks)
        solution = read_solution(root, replica)
        task_md = nfc(body).strip()
        if not task_md:
            raise root.error("the file has no task text after the header")
        _prove(root, replica, setup, checks, solution)
        return ScenarioSource(
            slug=match.group(2),
            position=root.integer("order", int(match.group(1)), minimum=0),
            title=root.text("title"),
            app=app,
            minutes=root.integer("minutes", 10, minimum=1),
            competency=competency,
            summary=root.text("summary", required=False),
            task_md=task_md,
            spec={"setup": setup, "checks": checks, "solution": solution},
            source=str(path),
        )
    except PracticeContentError:
        raise
    except SpecError as exc:
        raise PracticeContentError(str(exc)) from None


def _prove(root: Spec, replica, setup: dict, checks: list[dict], solution: list[dict]) -> None:
    """The starting state must fail a check; the reference solution must pass them all."""
    start = replica.initial_state(setup)
    if all(o.passed for o in evaluate_checks(start, checks, replica.checks)):
        raise root.error("the starting state already passes every check (nothing to do)", "checks")
    state = start
    for index, step in enumerate(solution):
        try:
            state, _outcome = replica.act(state, step["do"], step["form"])
        except ActionError as exc:
            where = f" (field '{exc.field}')" if exc.field else ""
            raise root.child("solution").error(f"the step fails{where}: {exc.message}", index) from None
    for outcome in evaluate_checks(state, checks, replica.checks):
        if not outcome.passed:
            conditions = ", ".join(f.condition for f in outcome.failures)
            raise root.child("checks").error(f"the solution does not pass this check ({conditions})", outcome.index)


def read_practice_dir(folder: Path | str, codes: set[str] | None = None) -> list[ScenarioSource]:
    folder = Path(folder)
    sources = []
    seen: dict[str, Path] = {}
    for file in sorted(folder.glob("*.md")):
        source = read_scenario(file, codes)
        if source.slug in seen:
            raise PracticeContentError(
                f"{file}: the scenario slug '{source.slug}' is also used by {seen[source.slug]}."
            )
        seen[source.slug] = file
        sources.append(source)
    return sorted(sources, key=lambda s: (s.position, s.slug))


def load_practice_dir(
    session: Session,
    course_id: int,
    topic: Topic | str,
    folder: Path | str,
    codes: set[str] | None = None,
    course_title: str = "",
) -> list[Scenario]:
    """Create or update the scenarios of one course from ``folder``; flush, never commit.

    A missing folder means no scenarios: the course's existing scenarios are unpublished."""
    folder = Path(folder)
    sources = read_practice_dir(folder, codes) if folder.is_dir() else []
    existing = {s.slug: s for s in session.scalars(select(Scenario).where(Scenario.course_id == course_id))}
    out = []
    for src in sources:
        scenario = existing.pop(src.slug, None)
        if scenario is None:
            scenario = Scenario(course_id=course_id, slug=src.slug)
            session.add(scenario)
        scenario.course_title = course_title
        scenario.position = src.position
        scenario.app = PracticeApp(src.app)
        scenario.topic = Topic(topic)
        scenario.title = clean_text(src.title)
        scenario.summary = src.summary
        scenario.minutes = src.minutes
        scenario.competency = src.competency
        scenario.task_md = src.task_md
        scenario.task_html = render_task(src.task_md)
        scenario.spec = src.spec
        scenario.spec_hash = src.spec_hash
        scenario.source = src.source
        scenario.published = True
        out.append(scenario)
    for gone in existing.values():
        gone.published = False
    session.flush()
    return out
