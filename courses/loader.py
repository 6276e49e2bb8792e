"""Load course content (``course.md`` + ``NN-<slug>.md`` lessons + ``img/*.svg``) into the database.

Markdown is rendered with markdown-it-py (CommonMark + tables, raw HTML off) and the HTML is then
sanitized with nh3 (an allow-list). Images: a lesson's ``![..](img/x.svg)`` becomes
``/courses/<slug>/img/x.svg``, served by ``courses.img`` (see ``courses/views.py``); any other image
source is dropped.

Re-loading updates in place: the course is matched by slug (the folder name), lessons by slug (the
file name without its ``NN-`` prefix). Nothing is deleted: a lesson whose file disappeared is
unpublished, and progress rows are never touched. After a course is loaded, ``course_loaded`` is
sent: other features load what belongs to it from the same folder (practice scenarios).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import frontmatter
import nh3
import yaml
from markdown_it import MarkdownIt
from sqlalchemy import select
from sqlalchemy.orm import Session

from courses.models import Course, Lesson
from lms import events
from lms.storage import Store
from lms.text import clean_text, nfc
from lms.topics import Topic

LESSON_FILE = re.compile(r"^(\d{1,3})-([a-z0-9][a-z0-9-]*)\.md$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
MEDIA_AREA = "course_media"  # the store of imported images (lms.storage; COURSE_MEDIA_DIR as a folder)
IMAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}\.svg$")

ALLOWED_TAGS = {
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "br",
    "hr",
    "ul",
    "ol",
    "li",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "a",
    "img",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}


class CourseContentError(ValueError):
    """A content file cannot be loaded; the message names the file and the problem."""


def image_url(course_slug: str, name: str) -> str:
    return f"/courses/{course_slug}/img/{name}"


_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")


def sanitize_html(html: str, course_slug: str | None = None) -> str:
    """Allow-list sanitization. Links: http, https, mailto or relative; images: the course's own SVGs."""

    own_prefix = image_url(course_slug, "") if course_slug else None

    def _filter(tag: str, attr: str, value: str) -> str | None:
        if tag == "img" and attr == "src":
            if own_prefix is None:
                return None
            name = value[len("img/") :] if value.startswith("img/") else None
            if name is None and value.startswith(own_prefix):
                name = value[len(own_prefix) :]
            return image_url(course_slug, name) if name and IMAGE_NAME.match(name) else None
        if tag == "a" and attr == "href":
            stripped = re.sub(r"[\x00-\x20]", "", value).lower()
            if stripped.startswith("//") or (":" in stripped.split("/")[0].split("?")[0].split("#")[0]):
                # an absolute URL: the scheme must be one we allow (nh3 checks it again)
                if not stripped.startswith(("http:", "https:", "mailto:")):
                    return None
            return value
        return value

    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style", "iframe", "object", "embed", "svg", "math", "noscript", "template"}
        - ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        attribute_filter=_filter,
        strip_comments=True,
        link_rel="noopener noreferrer",
    )


def render_markdown(text: str, course_slug: str | None = None) -> str:
    """Markdown -> sanitized HTML (raw HTML in the Markdown is shown as text, then nh3 runs anyway)."""
    return sanitize_html(_markdown.render(nfc(text or "")), course_slug)


# -- reading files ---------------------------------------------------------------------------------
@dataclass
class LessonSource:
    slug: str
    position: int
    title: str
    minutes: int
    objectives: list[str]
    competency: list[str]
    body_md: str
    version_note: str


@dataclass
class CourseSource:
    slug: str
    topic: Topic
    title: str
    summary: str
    audience: str
    competency: list[str]
    version: str
    intro_md: str
    validity_months: int | None
    lessons: list[LessonSource]
    images: list[Path]


def _read(path: Path) -> tuple[dict, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CourseContentError(f"{path}: the file is not UTF-8 ({exc.reason}).") from None
    except OSError as exc:
        raise CourseContentError(f"{path}: cannot be read ({exc.strerror}).") from None
    if not text.lstrip("\ufeff").startswith("---"):
        raise CourseContentError(f"{path}: the file does not start with a '---' front matter block.")
    try:
        post = frontmatter.loads(text.lstrip("\ufeff"))
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" (front matter line {mark.line + 1}, column {mark.column + 1})"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CourseContentError(f"{path}: invalid YAML front matter{where}: {problem}.") from None
    if not isinstance(post.metadata, dict) or not post.metadata:
        raise CourseContentError(f"{path}: the front matter is empty or not a mapping of 'key: value'.")
    return dict(post.metadata), post.content


def _text(meta: dict, key: str, path: Path, required: bool = True, default: str = "") -> str:
    value = meta.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise CourseContentError(f"{path}: the front matter has no '{key}'.")
        return default
    if not isinstance(value, str | int | float):
        raise CourseContentError(f"{path}: '{key}' must be text, not {type(value).__name__}.")
    return clean_text(str(value))


def _list(meta: dict, key: str, path: Path) -> list[str]:
    value = meta.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise CourseContentError(f"{path}: '{key}' must be a list of short texts, e.g. [IU06, EMAIL-01].")
    return [clean_text(str(v)) for v in value]


def _int(meta: dict, key: str, path: Path, default: int | None) -> int | None:
    value = meta.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CourseContentError(f"{path}: '{key}' must be a whole number, not {value!r}.")
    return value


def read_course_dir(path: Path | str) -> CourseSource:
    path = Path(path)
    course_file = path / "course.md"
    if not course_file.is_file():
        raise CourseContentError(f"{course_file}: missing (every course folder needs a course.md).")
    slug = path.resolve().name
    if not SLUG.match(slug):
        raise CourseContentError(f"{path}: the folder name '{slug}' is not a valid slug (a-z, 0-9, '-').")
    meta, body = _read(course_file)
    raw_topic = _text(meta, "topic", course_file)
    try:
        topic = Topic(raw_topic)
    except ValueError:
        allowed = ", ".join(t.value for t in Topic)
        raise CourseContentError(f"{course_file}: unknown topic '{raw_topic}' (one of: {allowed}).") from None
    lessons = []
    seen: dict[str, Path] = {}
    for file in sorted(path.glob("*.md")):
        if file.name == "course.md":
            continue
        match = LESSON_FILE.match(file.name)
        if match is None:
            raise CourseContentError(f"{file}: a lesson file must be named NN-<slug>.md (e.g. 01-co-so-phap-ly.md).")
        lesson_slug = match.group(2)
        if lesson_slug in seen:
            raise CourseContentError(f"{file}: the lesson slug '{lesson_slug}' is also used by {seen[lesson_slug]}.")
        seen[lesson_slug] = file
        lmeta, lbody = _read(file)
        lessons.append(
            LessonSource(
                slug=lesson_slug,
                position=_int(lmeta, "order", file, int(match.group(1))) or int(match.group(1)),
                title=_text(lmeta, "title", file),
                minutes=_int(lmeta, "minutes", file, 10) or 0,
                objectives=_list(lmeta, "objectives", file),
                competency=_list(lmeta, "competency", file),
                body_md=nfc(lbody),
                version_note=_text(lmeta, "version_note", file, required=False),
            )
        )
    if not lessons:
        raise CourseContentError(f"{path}: no lesson files (NN-<slug>.md) found.")
    lessons.sort(key=lambda x: (x.position, x.slug))
    img_dir = path / "img"
    images = sorted(p for p in img_dir.glob("*.svg") if IMAGE_NAME.match(p.name)) if img_dir.is_dir() else []
    return CourseSource(
        slug=slug,
        topic=topic,
        title=_text(meta, "title", course_file),
        summary=_text(meta, "summary", course_file, required=False),
        audience=_text(meta, "audience", course_file, required=False),
        competency=_list(meta, "competency", course_file),
        version=_text(meta, "version", course_file, required=False),
        intro_md=nfc(body),
        validity_months=_int(meta, "validity_months", course_file, 24),
        lessons=lessons,
        images=images,
    )


# -- writing to the database -----------------------------------------------------------------------
def load_course_dir(session: Session, path: Path | str, media: Store | None = None) -> Course:
    """Create or update one course from its folder; flush, never commit.

    ``media``: when given, the course's ``img/*.svg`` are copied into it as ``<slug>/<name>.svg`` (for
    content imported from outside the package; the bundled ``courses/content`` is served in place).
    """
    src = read_course_dir(path)
    course = session.scalar(select(Course).where(Course.slug == src.slug))
    if course is None:
        course = Course(slug=src.slug, published=True, lessons=[])
        session.add(course)
    course.topic = src.topic
    course.title = src.title
    course.summary = src.summary
    course.audience = src.audience
    course.competency = src.competency
    course.version = src.version
    course.intro_md = src.intro_md
    course.intro_html = render_markdown(src.intro_md, src.slug)
    course.validity_months = src.validity_months
    course.refresh_derived()
    existing = {lesson.slug: lesson for lesson in course.lessons}
    for item in src.lessons:
        lesson = existing.pop(item.slug, None)
        if lesson is None:
            lesson = Lesson(slug=item.slug)
            course.lessons.append(lesson)
        lesson.position = item.position
        lesson.title = item.title
        lesson.minutes = item.minutes
        lesson.objectives = item.objectives
        lesson.competency = item.competency
        if lesson.body_md != item.body_md or not lesson.body_html:
            lesson.body_md = item.body_md
            lesson.body_html = render_markdown(item.body_md, src.slug)
        if item.version_note:
            lesson.version_note = item.version_note
        lesson.published = True
    for gone in existing.values():
        gone.published = False
    session.flush()
    if media is not None:
        for image in src.images:
            media.write(f"{src.slug}/{image.name}", image.read_bytes())
    events.course_loaded.send(session, course=course, folder=Path(path))
    return course


def content_root() -> Path:
    """The bundled course content (``courses/content``)."""
    return Path(__file__).resolve().parent / "content"


def load_all(session: Session, root: Path | str | None = None, media: Store | None = None) -> list[Course]:
    """Load every course folder (a folder with a ``course.md``) under ``root``."""
    root = Path(root) if root is not None else content_root()
    folders = sorted(p for p in root.iterdir() if (p / "course.md").is_file())
    return [load_course_dir(session, folder, media) for folder in folders]
