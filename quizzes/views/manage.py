"""Quiz settings (IT staff): the quizzes, their settings, draws and overrides, results (unit heads
too) and item statistics."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from courses import api as courses_api
from lms.auth.access import MANAGERS, STAFF, roles_required
from lms.auth.permissions import load_or_404
from lms.extensions import db
from lms.inputs import db_int
from lms.org.models import Official
from lms.time import local_to_utc, to_local_naive, utcnow
from lms.topics import Topic
from quizzes import qtypes, services
from quizzes.forms import (
    CsrfForm,
    OverrideForm,
    QuizSettingsForm,
)
from quizzes.models import (
    GradingMethod,
    QuestionCategory,
    Quiz,
    QuizOverride,
    ReviewMode,
)
from quizzes.views.common import bp, question_categories


def _course_choices() -> list[tuple[int, str]]:
    return [(c.id, f"{c.title} ({c.slug})") for c in courses_api.list_courses(db.session)]


@bp.get("/manage")
@roles_required(*STAFF)
def manage_quizzes():
    page = db.paginate(select(Quiz).order_by(Quiz.title, Quiz.id), per_page=25, error_out=False)
    return render_template("quizzes/manage.html", page=page)


@bp.route("/manage/new", methods=["GET", "POST"], defaults={"quiz_id": None})
@bp.route("/manage/<int:quiz_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def quiz_settings(quiz_id: int | None):
    quiz = load_or_404(Quiz, quiz_id) if quiz_id else None
    form = QuizSettingsForm(obj=quiz, course_choices=_course_choices())
    if request.method == "GET" and quiz is not None:
        form.course_id.data = str(quiz.course_id or "")
        form.topic.data = quiz.topic.value if quiz.topic else ""
        form.grading_method.data = quiz.grading_method.value
        form.review_mode.data = quiz.review_mode.value
        form.open_at.data, form.close_at.data = to_local_naive(quiz.open_at), to_local_naive(quiz.close_at)
    if form.validate_on_submit():
        target = quiz or Quiz()
        for name in (
            "title",
            "description",
            "is_final",
            "time_limit_minutes",
            "attempts_allowed",
            "delay_minutes",
            "pass_percent",
            "shuffle_questions",
            "shuffle_options",
            "published",
        ):
            setattr(target, name, getattr(form, name).data)
        target.title = target.title.strip()
        target.course_id = int(form.course_id.data) if form.course_id.data else None
        target.topic = Topic(form.topic.data) if form.topic.data else None
        target.grading_method = GradingMethod(form.grading_method.data)
        target.review_mode = ReviewMode(form.review_mode.data)
        target.open_at, target.close_at = local_to_utc(form.open_at.data), local_to_utc(form.close_at.data)
        if target.open_at and target.close_at and target.close_at <= target.open_at:
            form.close_at.errors = [_("Giờ đóng phải sau giờ mở.")]
        else:
            if quiz is None:
                db.session.add(target)
            db.session.commit()
            flash(_("Đã lưu cài đặt bài kiểm tra."), "success")
            return redirect(url_for("quizzes.quiz_settings", quiz_id=target.id))
    draws = {d.category_id: d.count for d in quiz.draws} if quiz else {}
    categories = question_categories(quiz.topic.value if quiz and quiz.topic else None)
    counts = services.questions_per_category(db.session)
    overrides = (
        db.session.scalars(select(QuizOverride).where(QuizOverride.quiz_id == quiz.id).order_by(QuizOverride.id)).all()
        if quiz
        else []
    )
    return render_template(
        "quizzes/settings.html",
        quiz=quiz,
        shortfalls=services.draw_shortfalls(db.session, quiz) if quiz else [],
        exposure=services.key_exposure(db.session, quiz) if quiz else None,
        form=form,
        draws=draws,
        categories=categories,
        counts=counts,
        overrides=overrides,
        override_form=OverrideForm(formdata=None),
        csrf_form=CsrfForm(),
    )


@bp.post("/manage/<int:quiz_id>/draws")
@roles_required(*STAFF)
def save_draws(quiz_id: int):
    quiz = load_or_404(Quiz, quiz_id)
    if not CsrfForm().validate_on_submit():
        abort(400)
    wanted = {}
    for key, value in request.form.items():
        if key.startswith("count-") and key[6:].isdecimal():
            try:
                wanted[db_int(key[6:])] = max(0, min(500, int(value or 0)))
            except ValueError:
                flash(_("Số câu phải là số nguyên."), "error")
                return redirect(url_for("quizzes.quiz_settings", quiz_id=quiz.id))
    known = set(db.session.scalars(select(QuestionCategory.id).where(QuestionCategory.id.in_(list(wanted)))))
    services.set_draws(db.session, quiz, {k: v for k, v in wanted.items() if k in known})
    db.session.commit()
    flash(_("Đã lưu cách rút câu hỏi: %(n)d câu mỗi lần làm.", n=quiz.question_count), "success")
    return redirect(url_for("quizzes.quiz_settings", quiz_id=quiz.id))


@bp.post("/manage/<int:quiz_id>/overrides")
@roles_required(*STAFF)
def add_override(quiz_id: int):
    quiz = load_or_404(Quiz, quiz_id)
    form = OverrideForm()
    if not form.validate_on_submit():
        flash(_("Hãy nhập mã cán bộ, số phút hoặc số lần thêm, và lý do."), "error")
        return redirect(url_for("quizzes.quiz_settings", quiz_id=quiz.id))
    key = form.official_code.data.strip()
    official = db.session.scalar(select(Official).where(or_(Official.code == key, Official.email == key.lower())))
    if official is None:
        flash(_("Không tìm thấy cán bộ có mã hoặc thư điện tử «%(k)s».", k=key), "error")
        return redirect(url_for("quizzes.quiz_settings", quiz_id=quiz.id))
    services.set_override(
        db.session,
        quiz,
        official.id,
        form.extra_minutes.data,
        form.extra_attempts.data,
        form.reason.data,
        current_user.id,
        utcnow(),
    )
    db.session.commit()
    flash(_("Đã gia hạn cho %(name)s.", name=official.full_name), "success")
    return redirect(url_for("quizzes.quiz_settings", quiz_id=quiz.id))


@bp.get("/manage/<int:quiz_id>/results")
@roles_required(*MANAGERS)
def quiz_results(quiz_id: int):
    """Graded attempts; a unit head sees only the officials of the unit(s) they head."""
    quiz = load_or_404(Quiz, quiz_id)
    page = db.paginate(services.results_query(quiz.id, current_user), per_page=50, error_out=False)
    return render_template("quizzes/results.html", quiz=quiz, page=page)


@bp.get("/manage/<int:quiz_id>/stats")
@roles_required(*STAFF)
def quiz_stats(quiz_id: int):
    quiz = load_or_404(Quiz, quiz_id)
    result = services.quiz_statistics(db.session, quiz)
    return render_template("quizzes/stats.html", quiz=quiz, result=result, qtypes=qtypes.QUESTION_TYPES)


@bp.get("/manage/<int:quiz_id>/stats.csv")
@roles_required(*STAFF)
def quiz_stats_csv(quiz_id: int):
    quiz = load_or_404(Quiz, quiz_id)
    body = "\ufeff" + services.statistics_csv(services.quiz_statistics(db.session, quiz))
    return Response(
        body, mimetype="text/csv", headers={"Content-Disposition": f"attachment; filename=thong-ke-bai-{quiz.id}.csv"}
    )
