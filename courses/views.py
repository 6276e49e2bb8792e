"""Course pages: catalog, course, lesson, my courses, assignment, and authoring for IT staff.

Images: ``/courses/<slug>/img/<name>.svg`` needs a login (like the lessons that show them). It is
served from the ``course_media`` store as ``<slug>/<name>`` (imported content; ``lms.storage``: the
folder ``COURSE_MEDIA_DIR`` or the bucket) or ``courses/content/<slug>/img/`` (bundled), as
``image/svg+xml`` with a CSP that forbids scripts in the SVG.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_pgettext
from flask_login import current_user
from sqlalchemy import select

from courses import services
from courses.forms import AssignForm, CourseForm, LessonForm, split_codes, split_lines
from courses.loader import IMAGE_NAME, MEDIA_AREA, content_root, render_markdown
from courses.models import Course, Enrolment, Lesson
from courses.permissions import (
    can_assign_to_unit,
    can_author_courses,
    can_learn,
    can_view_course,
    can_view_lesson,
)
from lms import storage
from lms.auth.access import MANAGERS, STAFF, login_required, roles_required, safe_next_url
from lms.auth.models import Role
from lms.auth.permissions import load_or_404, require
from lms.auth.rules import PROVINCE_WIDE
from lms.extensions import db
from lms.features import AuditField, AuditObject
from lms.forms import choices
from lms.inputs import db_int
from lms.org.models import Official, Unit
from lms.time import local_today
from lms.topics import Topic
from lms.views import perform

bp = Blueprint(
    "courses",
    __name__,
    url_prefix="/courses",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


def panel_data(user) -> dict:
    """The dashboard panel (``courses/_panel.html``): the official's courses, overdue first."""
    if user.official_id is None:
        return {"items": [], "total": 0}
    return services.dashboard_data(db.session, user.official_id)


def _per_page() -> int:
    return current_app.config.get("PER_PAGE", 25)


def _course_or_404(slug: str) -> Course:
    course = services.get_course_by_slug(db.session, slug)
    if course is None or not can_view_course(current_user, course):
        abort(404)  # a draft's existence is private
    return course


def _lesson_or_404(course: Course, lesson_slug: str) -> Lesson:
    lesson = services.get_lesson(db.session, course, lesson_slug)
    if lesson is None or not can_view_lesson(current_user, lesson):
        abort(404)
    return lesson


# -- learners ------------------------------------------------------------------------------------------
@bp.get("/")
@login_required
def catalog():
    q = request.args.get("q", "").strip()[:200]
    topic = request.args.get("topic", "")
    page = db.paginate(services.catalog_query(q, topic), per_page=_per_page(), error_out=False)
    ids = [c.id for c in page.items]
    official_id = current_user.official_id
    progress = services.progress_by_course(db.session, official_id, ids)
    enrolments = {}
    if official_id is not None and ids:
        enrolments = {
            e.course_id: e
            for e in db.session.scalars(
                select(Enrolment).where(Enrolment.official_id == official_id, Enrolment.course_id.in_(ids))
            )
        }
    return render_template(
        "courses/catalog.html",
        page=page,
        q=q,
        topic=topic,
        topics=Topic.choices(),
        progress=progress,
        enrolments=enrolments,
        today=local_today(),
    )


@bp.get("/mine")
@roles_required(Role.OFFICIAL)
def my_courses():
    today = local_today()
    page = db.paginate(
        services.my_enrolments_query(current_user.official_id, today), per_page=_per_page(), error_out=False
    )
    items = services.dashboard_items(db.session, list(page.items), today)
    return render_template("courses/my_courses.html", page=page, items=items)


@bp.get("/<slug>")
@login_required
def course(slug: str):
    course = _course_or_404(slug)
    lessons = course.lessons if can_author_courses(current_user) else course.published_lessons
    official_id = current_user.official_id
    enrolment = done = next_lesson = status = None
    if official_id is not None:
        enrolment = services.get_enrolment(db.session, official_id, course.id)
        done = services.done_lesson_ids(db.session, official_id, course.id)
        if enrolment is not None:
            next_lesson = services.next_lesson(db.session, official_id, course)
            status = services.completion_status(db.session, official_id, course)
    progress = services.progress_by_course(db.session, official_id, [course.id])[course.id]
    return render_template(
        "courses/course.html",
        course=course,
        lessons=lessons,
        enrolment=enrolment,
        done=done or set(),
        progress=progress,
        next_lesson=next_lesson,
        status=status,
        today=local_today(),
    )


@bp.post("/<slug>/enrol")
@roles_required(Role.OFFICIAL)
def enrol(slug: str):
    course = _course_or_404(slug)
    if not course.published:
        abort(404)
    services.enrol(db.session, current_user.official_id, course.id)
    db.session.commit()
    flash(_("Bạn đã đăng ký khóa học “%(t)s”. Chúc bạn học tốt!", t=course.title), "success")
    first = services.next_lesson(db.session, current_user.official_id, course)
    if first is not None:
        return redirect(url_for("courses.lesson", slug=course.slug, lesson_slug=first.slug))
    return redirect(url_for("courses.course", slug=course.slug))


@bp.get("/<slug>/continue")
@roles_required(Role.OFFICIAL)
def resume(slug: str):
    course = _course_or_404(slug)
    lesson = services.next_lesson(db.session, current_user.official_id, course)
    if lesson is None:
        flash(_("Bạn đã học xong mọi bài của khóa học này."), "success")
        return redirect(url_for("courses.course", slug=course.slug))
    return redirect(url_for("courses.lesson", slug=course.slug, lesson_slug=lesson.slug))


@bp.get("/<slug>/lessons/<lesson_slug>")
@login_required
def lesson(slug: str, lesson_slug: str):
    course = _course_or_404(slug)
    lesson = _lesson_or_404(course, lesson_slug)
    siblings = course.published_lessons if lesson.published else course.lessons
    index = siblings.index(lesson)
    previous = siblings[index - 1] if index > 0 else None
    following = siblings[index + 1] if index + 1 < len(siblings) else None
    is_done = False
    if current_user.official_id is not None:
        is_done = lesson.id in services.done_lesson_ids(db.session, current_user.official_id, course.id)
    return render_template(
        "courses/lesson.html",
        course=course,
        lesson=lesson,
        previous=previous,
        following=following,
        number=index + 1,
        count=len(siblings),
        is_done=is_done,
    )


@bp.post("/<slug>/lessons/<lesson_slug>/done")
@roles_required(Role.OFFICIAL)
def mark_done(slug: str, lesson_slug: str):
    course = _course_or_404(slug)
    lesson = _lesson_or_404(course, lesson_slug)
    before = services.get_enrolment(db.session, current_user.official_id, course.id)
    was_completed = before is not None and before.completed_at is not None

    def done_now() -> bool:  # did this lesson complete the course?
        enrolment = services.mark_lesson_done(db.session, current_user.official_id, lesson)
        return enrolment.completed_at is not None and not was_completed

    outcome = perform(done_now)
    if not outcome.ok:
        return redirect(url_for("courses.lesson", slug=course.slug, lesson_slug=lesson.slug))
    if outcome.value:
        flash(_("Chúc mừng! Bạn đã hoàn thành khóa học “%(t)s”.", t=course.title), "success")
    else:
        flash(_("Đã ghi nhận: bạn đã học xong bài “%(t)s”.", t=lesson.title), "success")
    following = services.next_lesson(db.session, current_user.official_id, course)
    if following is not None:
        return redirect(url_for("courses.lesson", slug=course.slug, lesson_slug=following.slug))
    return redirect(url_for("courses.course", slug=course.slug))


@bp.get("/<slug>/img/<name>")
@login_required
def img(slug: str, name: str):
    if not IMAGE_NAME.match(name):
        abort(404)
    course = _course_or_404(slug)
    data = storage.store(MEDIA_AREA).read(f"{course.slug}/{name}")  # imported
    if data is None:
        bundled = content_root() / course.slug / "img" / name
        if not bundled.is_file():
            abort(404)
        data = bundled.read_bytes()  # small files: no open handle
    response = Response(data, mimetype="image/svg+xml")
    response.cache_control.private = True
    response.cache_control.max_age = 3600
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# -- assignment ----------------------------------------------------------------------------------------
@bp.route("/assignments", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def assignments():
    user = current_user
    province = PROVINCE_WIDE(user)
    form = AssignForm()
    form.course_id.choices = choices((c.id, c.title) for c in db.session.scalars(services.catalog_query()))
    if province:
        units = db.session.scalars(select(Unit).order_by(Unit.name)).all()
        form.unit_id.choices = choices(
            [(0, _("Toàn tỉnh (mọi đơn vị)"))] + [(u.id, f"{u.name} ({u.code})") for u in units]
        )
        form.official_ids.choices = []
    else:
        units = db.session.scalars(select(Unit).where(Unit.id.in_(user.headed_unit_ids)).order_by(Unit.name)).all()
        form.unit_id.choices = choices((u.id, u.name) for u in units)
        staff = db.session.scalars(
            select(Official)
            .where(Official.unit_id.in_(user.headed_unit_ids), Official.active.is_(True))
            .order_by(Official.sort_key)
        ).all()
        form.official_ids.choices = choices((o.id, o.full_name) for o in staff)
    if request.method == "POST":
        posted_unit = request.form.get("unit_id", type=db_int) or None
        require(can_assign_to_unit(user, posted_unit))  # a unit head outside their unit: 403
    else:
        _prefill_unit(form, request.args.get("unit_id", type=db_int))
        _prefill_one_official(form, request.args.get("official_id", type=db_int))
    back = safe_next_url(request.values.get("next"))  # where the form was opened from (a staff member's page)
    error = None
    if form.validate_on_submit():
        course = load_or_404(Course, form.course_id.data)
        outcome = perform(
            lambda: services.assign_course(
                db.session,
                user,
                course,
                form.due_on.data,
                unit_id=form.unit_id.data or None,
                include_subunits=form.include_subunits.data,
                category=form.category_value(),
                level=form.level_value(),
                official_ids=form.chosen_officials(),
                note=form.note.data or "",
            ),
            flash_error=False,
        )
        if outcome.ok:
            count = outcome.value.enrolled_count
            flash(_("Đã giao khóa học “%(t)s” cho %(n)d cán bộ.", t=course.title, n=count), "success")
            return redirect(back or url_for("courses.assignments"))
        error = outcome.show_on(form)
    page = db.paginate(services.assignments_query(user), per_page=_per_page(), error_out=False)
    status = 400 if request.method == "POST" else 200
    return (
        render_template("courses/assignments.html", form=form, page=page, error=error, province=province, back=back),
        status,
    )


def _prefill_unit(form: AssignForm, unit_id: int | None) -> None:
    """``?unit_id=``: the form opened from a unit's staff list, that unit chosen. A unit the viewer
    cannot choose is ignored (the choices are the units they may assign to)."""
    if unit_id is not None and str(unit_id) in {c.value for c in form.unit_id.choices}:
        form.unit_id.data = unit_id


def _prefill_one_official(form: AssignForm, official_id: int | None) -> None:
    """``?official_id=``: the form opened for one staff member (from their page): them alone, ticked.
    Someone the viewer cannot choose is ignored (the choices are the viewer's staff)."""
    if official_id is None or str(official_id) not in {c.value for c in form.official_ids.choices}:
        return
    official = db.session.get(Official, official_id)
    form.unit_id.data = official.unit_id
    form.target.data = "chosen"
    form.official_ids.data = [official_id]


# -- authoring (IT staff) ------------------------------------------------------------------------------
@bp.get("/manage")
@roles_required(*STAFF)
def manage():
    q = request.args.get("q", "").strip()[:200]
    page = db.paginate(services.catalog_query(q, include_drafts=True), per_page=_per_page(), error_out=False)
    return render_template("courses/manage.html", page=page, q=q)


@bp.get("/manage/<int:course_id>")
@roles_required(*STAFF)
def manage_course(course_id: int):
    course = load_or_404(Course, course_id)
    return render_template("courses/manage_course.html", course=course)


@bp.route("/manage/new", methods=["GET", "POST"], defaults={"course_id": None})
@bp.route("/manage/<int:course_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def edit_course(course_id: int | None):
    course = load_or_404(Course, course_id) if course_id else None
    form = CourseForm(obj=course)
    if request.method == "GET" and course is not None:
        form.topic.data = course.topic.value
        form.competency.data = ", ".join(course.competency or [])
    preview = None
    if form.validate_on_submit():
        if request.form.get("action") == "preview":
            preview = render_markdown(form.intro_md.data or "", form.slug.data)
        else:
            target = course or Course(lessons=[])
            target.title = form.title.data.strip()
            target.slug = form.slug.data.strip()
            target.topic = Topic(form.topic.data)
            target.summary = form.summary.data or ""
            target.audience = form.audience.data or ""
            target.competency = split_codes(form.competency.data)
            target.version = form.version.data or ""
            target.validity_months = form.validity_months.data
            target.intro_md = form.intro_md.data or ""
            target.published = form.published.data
            outcome = perform(lambda: services.save_course(db.session, target), flash_error=False)
            if outcome.ok:
                flash(_("Đã lưu khóa học “%(t)s”.", t=target.title), "success")
                return redirect(url_for("courses.manage_course", course_id=target.id))
            outcome.show_on(form, default_field="title")
    status = 400 if request.method == "POST" and form.errors else 200
    return render_template("courses/edit_course.html", form=form, course=course, preview=preview), status


@bp.route("/manage/<int:course_id>/lessons/new", methods=["GET", "POST"], defaults={"lesson_id": None})
@bp.route("/manage/<int:course_id>/lessons/<int:lesson_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def edit_lesson(course_id: int, lesson_id: int | None):
    course = load_or_404(Course, course_id)
    lesson = load_or_404(Lesson, lesson_id) if lesson_id else None
    if lesson is not None and lesson.course_id != course.id:
        abort(404)
    form = LessonForm(obj=lesson)
    if request.method == "GET" and lesson is not None:
        form.objectives.data = "\n".join(lesson.objectives or [])
        form.competency.data = ", ".join(lesson.competency or [])
        form.version_note.data = ""
    preview = None
    if form.validate_on_submit():
        if request.form.get("action") == "preview":
            preview = render_markdown(form.body_md.data or "", course.slug)
        else:
            target = lesson or Lesson()
            target.title = form.title.data.strip()
            target.slug = form.slug.data.strip()
            target.minutes = form.minutes.data
            target.objectives = split_lines(form.objectives.data)
            target.competency = split_codes(form.competency.data)
            target.body_md = form.body_md.data
            if form.version_note.data:
                target.version_note = form.version_note.data.strip()
            target.published = form.published.data
            outcome = perform(lambda: services.save_lesson(db.session, course, target), flash_error=False)
            if outcome.ok:
                flash(_("Đã lưu bài “%(t)s”.", t=target.title), "success")
                return redirect(url_for("courses.manage_course", course_id=course.id))
            outcome.show_on(form, default_field="title")
    status = 400 if request.method == "POST" and form.errors else 200
    return (
        render_template("courses/edit_lesson.html", form=form, course=course, lesson=lesson, preview=preview),
        status,
    )


@bp.post("/manage/<int:course_id>/preview")
@roles_required(*STAFF)
def preview(course_id: int):
    """The server-sanitized HTML of the posted Markdown (used by ``courses/static/preview.js``)."""
    course = load_or_404(Course, course_id)
    text = request.form.get("body_md") or request.form.get("intro_md") or ""
    return Response(render_markdown(text[:100000], course.slug), mimetype="text/html")


def _lesson_of(course_id: int, lesson_id: int) -> Lesson:
    lesson = load_or_404(Lesson, lesson_id)
    if lesson.course_id != course_id:
        abort(404)
    return lesson


@bp.post("/manage/<int:course_id>/lessons/<int:lesson_id>/move")
@roles_required(*STAFF)
def move_lesson(course_id: int, lesson_id: int):
    lesson = _lesson_of(course_id, lesson_id)
    direction = request.form.get("direction", "")
    if direction not in ("up", "down"):
        flash(_("Không rõ cần chuyển bài lên hay xuống."), "error")
    else:
        services.move_lesson(db.session, lesson, direction)
        db.session.commit()
    return redirect(url_for("courses.manage_course", course_id=course_id))


@bp.post("/manage/<int:course_id>/lessons/<int:lesson_id>/publish")
@roles_required(*STAFF)
def publish_lesson(course_id: int, lesson_id: int):
    lesson = _lesson_of(course_id, lesson_id)
    choice = request.form.get("published")
    if choice not in ("0", "1"):
        abort(400)
    lesson.published = choice == "1"
    db.session.commit()
    if lesson.published:
        flash(_("Đã phát hành bài “%(t)s”.", t=lesson.title), "success")
    else:
        flash(_("Đã ẩn bài “%(t)s”. Kết quả học của mọi người vẫn được giữ.", t=lesson.title), "success")
    return redirect(url_for("courses.manage_course", course_id=course_id))


@bp.post("/manage/<int:course_id>/publish")
@roles_required(*STAFF)
def publish_course(course_id: int):
    course = load_or_404(Course, course_id)
    choice = request.form.get("published")
    if choice not in ("0", "1"):
        abort(400)
    course.published = choice == "1"
    db.session.commit()
    if course.published:
        flash(_("Đã phát hành khóa học “%(t)s”.", t=course.title), "success")
    else:
        flash(_("Đã ẩn khóa học “%(t)s”.", t=course.title), "success")
    return redirect(url_for("courses.manage_course", course_id=course_id))


__all__ = ["bp", "can_learn"]


def _find_course(course_id: int):
    course = db.session.get(Course, course_id)
    return (course.title, url_for("courses.manage_course", course_id=course_id)) if course else None


#: the course an audit entry names (a certificate's), linked to its management page
AUDIT_OBJECTS = {"course": AuditObject(lazy_pgettext("audit", "Khóa học"), _find_course)}
AUDIT_FIELDS = {"course": AuditField(lazy_pgettext("audit", "Khóa học"), object="course")}
