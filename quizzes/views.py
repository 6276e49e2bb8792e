"""Quiz pages: taking quizzes (officials), the question bank and quiz settings (IT staff).

Every handler: load (404) -> check access (403) -> call a service -> commit once.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from courses import api as courses_api
from lms.auth.access import MANAGERS, STAFF, login_required, roles_required, safe_next_url
from lms.auth.models import Role
from lms.auth.permissions import load_or_404
from lms.extensions import db
from lms.inputs import db_int
from lms.org.models import Official
from lms.time import local_to_utc, to_local_naive, utcnow
from lms.topics import Topic
from quizzes import gift, qtypes, services, tabular
from quizzes.forms import (
    ArchiveForm,
    CsrfForm,
    EditQuestionForm,
    ImportConfirmForm,
    ImportForm,
    OverrideForm,
    QuizSettingsForm,
)
from quizzes.models import (
    SLOT_ANSWERED,
    Attempt,
    AttemptState,
    GradingMethod,
    Question,
    QuestionCategory,
    Quiz,
    QuizOverride,
    ReviewMode,
)
from quizzes.permissions import (
    can_answer_attempt,
    can_manage_bank,
    can_see_quiz,
    can_take_quizzes,
    can_view_attempt,
    is_published,
)

bp = Blueprint(
    "quizzes",
    __name__,
    url_prefix="/quizzes",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


def _now() -> datetime:
    return utcnow()


def _grace() -> float:
    return float(current_app.config.get("QUIZ_GRACE_SECONDS", services.DEFAULT_GRACE_SECONDS))


def _official() -> Official:
    official = db.session.get(Official, current_user.official_id) if current_user.official_id else None
    if official is None:
        abort(403)
    return official


def panel_data(user) -> dict:
    """The officials' dashboard panel: open quizzes, attempts in progress, last results."""
    if not can_take_quizzes(user):
        return {}
    now = _now()
    quizzes = services.available_quizzes(db.session, user.official_id, now)
    history = db.session.scalars(services.history_query(user.official_id).limit(20)).all()
    return {
        "open": [q for q in quizzes if q.is_open(now)][:10],
        "in_progress": [a for a in history if a.in_progress],
        "results": [a for a in history if a.state == AttemptState.SUBMITTED][:5],
    }


# =========================================================================== officials


@bp.get("/")
@login_required
def my_quizzes():
    now = _now()
    quizzes, page = [], None
    if current_user.official_id:
        quizzes = services.available_quizzes(db.session, current_user.official_id, now)
        page = db.paginate(services.history_query(current_user.official_id), per_page=20, error_out=False)
    return render_template("quizzes/my_quizzes.html", quizzes=quizzes, page=page, now=now)


@bp.get("/<int:quiz_id>")
@login_required
def quiz_intro(quiz_id: int):
    quiz = load_or_404(Quiz, quiz_id, check=can_see_quiz, hidden=True)
    now = _now()
    info = attempts = None
    grade = None
    if current_user.official_id:
        attempts = services.attempts_of(db.session, quiz.id, current_user.official_id)  # read once for all three
        info = services.eligibility(db.session, quiz, current_user.official_id, now, attempts)
        grade = services.quiz_grade(db.session, quiz, current_user.official_id, attempts)
    # IT staff see why officials could not start (archived questions); officials are told at the start
    shortfalls = services.draw_shortfalls(db.session, quiz) if can_manage_bank(current_user) else []
    return render_template(
        "quizzes/intro.html",
        quiz=quiz,
        info=info,
        attempts=attempts or [],
        grade=grade,
        form=CsrfForm(),
        shortfalls=shortfalls,
    )


@bp.post("/<int:quiz_id>/start")
@roles_required(Role.OFFICIAL)
def start(quiz_id: int):
    quiz = load_or_404(Quiz, quiz_id, check=is_published, hidden=True)
    if not CsrfForm().validate_on_submit():
        abort(400)
    try:
        attempt = services.start_attempt(db.session, quiz, _official(), _now())
    except services.QuizError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("quizzes.quiz_intro", quiz_id=quiz.id))
    db.session.commit()
    return redirect(url_for("quizzes.attempt_page", attempt_id=attempt.id, slot_no=1))


_WITH_QUIZ = (joinedload(Attempt.quiz),)  # built once, not per request


def _load_own_attempt(attempt_id: int, with_quiz: bool = False) -> Attempt:
    """The attempt (404), the user's own (403); ``with_quiz`` loads its quiz in the same query."""
    attempt = load_or_404(Attempt, attempt_id, check=can_answer_attempt, options=_WITH_QUIZ if with_quiz else ())
    return attempt


def _closed_redirect(attempt: Attempt):
    """An attempt that is no longer open: grade it if overdue, then show the result."""
    if services.finish_if_overdue(db.session, attempt, _now(), _grace()):
        db.session.commit()
        flash(_("Đã hết giờ làm bài. Bài làm đã được nộp với các câu trả lời đã lưu."), "info")
    return redirect(url_for("quizzes.review", attempt_id=attempt.id))


def _question_context(attempt: Attempt, slot_no: int) -> dict:
    slot = services.get_slot(attempt, slot_no)
    if slot is None:
        abort(404)
    version = slot.question_version
    qtype = version.question.qtype
    view = qtypes.get_type(qtype).public_view(version.config, slot.layout, version.text)
    return {
        "slot": slot,
        "q": view,
        "qtype": qtype,
        "answer": slot.answer,
        "prefix": services.slot_prefix(slot.slot_no),
    }


def _remaining(attempt: Attempt, now: datetime) -> int | None:
    if attempt.deadline_at is None:
        return None
    return max(0, int((attempt.deadline_at - now).total_seconds()))


@bp.route("/attempts/<int:attempt_id>/q/<int:slot_no>", methods=["GET", "POST"])
@roles_required(Role.OFFICIAL)
def attempt_page(attempt_id: int, slot_no: int):
    """One question per page; every POST saves the answer, then goes where the button says."""
    attempt = _load_own_attempt(attempt_id, with_quiz=request.method == "GET")
    now = _now()
    if not attempt.in_progress or attempt.is_overdue(now, _grace()):
        return _closed_redirect(attempt)
    if request.method == "POST":
        total = len(attempt.slots)
        if not CsrfForm().validate_on_submit():
            abort(400)
        try:
            services.save_answer(db.session, attempt, slot_no, request.form, now, _grace())
        except services.AttemptClosed as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return _closed_redirect(attempt)
        except services.QuizError:
            abort(404)
        go = request.form.get("go", "next")
        if go == "timeout":
            services.submit_attempt(db.session, attempt.id, now)
            db.session.commit()
            return redirect(url_for("quizzes.review", attempt_id=attempt.id))
        db.session.commit()
        if go == "summary" or (go == "next" and slot_no >= total):
            return redirect(url_for("quizzes.summary", attempt_id=attempt.id))
        if go == "prev":
            target = max(1, slot_no - 1)
        elif go == "next":
            target = slot_no + 1
        elif go.isdecimal() and 1 <= int(go) <= total:
            target = int(go)
        else:
            target = slot_no
        return redirect(url_for("quizzes.attempt_page", attempt_id=attempt.id, slot_no=target))
    context = _question_context(attempt, slot_no)
    states = services.slot_states(db.session, attempt)
    return render_template(
        "quizzes/attempt.html",
        attempt=attempt,
        quiz=attempt.quiz,
        slots=states,
        total=len(states),
        remaining=_remaining(attempt, now),
        form=CsrfForm(),
        **context,
    )


@bp.post("/attempts/<int:attempt_id>/autosave")
@roles_required(Role.OFFICIAL)
def autosave(attempt_id: int):
    """JSON autosave of one slot (``slot`` + the question's fields). Says only whether it was saved."""
    attempt = _load_own_attempt(attempt_id)
    if not CsrfForm().validate_on_submit():
        return jsonify(ok=False, message=_("Phiên làm việc đã hết hạn. Hãy tải lại trang.")), 400
    slot_no = request.form.get("slot", type=db_int)
    slot = services.get_slot(attempt, slot_no) if slot_no is not None else None
    if slot is None:
        return jsonify(ok=False, message=_("Không có câu hỏi này trong bài làm.")), 400
    now = _now()
    try:
        slot = services.save_answer(db.session, attempt, slot_no, request.form, now, _grace(), slot=slot)
    except services.AttemptClosed as exc:
        db.session.rollback()
        return jsonify(
            ok=False, closed=True, message=str(exc), redirect=url_for("quizzes.review", attempt_id=attempt.id)
        ), 409
    # read before the commit expires them (reading after it would reload the slot and the attempt)
    body = {
        "ok": True,
        "slot": slot.slot_no,
        "answered": slot.state == SLOT_ANSWERED,
        "remaining": _remaining(attempt, now),
    }
    db.session.commit()
    return jsonify(body)


@bp.get("/attempts/<int:attempt_id>/summary")
@roles_required(Role.OFFICIAL)
def summary(attempt_id: int):
    attempt = _load_own_attempt(attempt_id, with_quiz=True)
    now = _now()
    if not attempt.in_progress or attempt.is_overdue(now, _grace()):
        return _closed_redirect(attempt)
    states = services.slot_states(db.session, attempt)
    unanswered = [s for s in states if not s.answered]
    return render_template(
        "quizzes/summary.html",
        attempt=attempt,
        quiz=attempt.quiz,
        slots=states,
        unanswered=unanswered,
        remaining=_remaining(attempt, now),
        form=CsrfForm(),
    )


@bp.post("/attempts/<int:attempt_id>/submit")
@roles_required(Role.OFFICIAL)
def submit(attempt_id: int):
    attempt = _load_own_attempt(attempt_id)
    if not CsrfForm().validate_on_submit():
        abort(400)
    now = _now()
    if attempt.is_overdue(now, _grace()):
        return _closed_redirect(attempt)
    if services.submit_attempt(db.session, attempt.id, now):
        flash(_("Đã nộp bài."), "success")
    db.session.commit()
    return redirect(url_for("quizzes.review", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>")
@login_required
def review(attempt_id: int):
    """The result; questions and answers as the quiz's review mode allows (staff see everything)."""
    attempt = load_or_404(Attempt, attempt_id, check=can_view_attempt)
    if attempt.in_progress and services.finish_if_overdue(db.session, attempt, _now(), _grace()):
        db.session.commit()
    if attempt.in_progress and can_answer_attempt(current_user, attempt):
        return redirect(url_for("quizzes.attempt_page", attempt_id=attempt.id, slot_no=1))
    mode = attempt.quiz.review_mode
    if current_user.official_id != attempt.official_id:
        mode = ReviewMode.FULL
    rows = []
    if attempt.state == AttemptState.SUBMITTED and mode != ReviewMode.SCORE:
        _held = services.load_slot_versions(db.session, attempt.slots)  # one query, not one per slot
        for slot in attempt.slots:
            version = slot.question_version
            qtype = qtypes.get_type(version.question.qtype)
            rows.append(
                {
                    "slot": slot,
                    "text": version.text,
                    "config": version.config,
                    "your_answer": services.describe_answer(
                        version.question.qtype, version.config, slot.layout, slot.answer
                    ),
                    "right_answer": qtype.describe_right_answer(version.config) if mode == ReviewMode.FULL else "",
                    "feedback": qtype.feedback_for(version.config, slot.answer) if mode == ReviewMode.FULL else [],
                    "general_feedback": version.general_feedback if mode == ReviewMode.FULL else "",
                }
            )
    grade = services.quiz_grade(db.session, attempt.quiz, attempt.official_id)
    return render_template("quizzes/review.html", attempt=attempt, quiz=attempt.quiz, rows=rows, mode=mode, grade=grade)


# =========================================================================== question bank (IT staff)


def _categories(topic: str | None = None) -> list[QuestionCategory]:
    query = select(QuestionCategory).order_by(QuestionCategory.path)
    if topic:
        query = query.where(QuestionCategory.topic == topic)
    return list(db.session.scalars(query))


BANK_STATUSES = {"active": _l("Đang dùng"), "archived": _l("Đã lưu trữ")}


@bp.get("/bank")
@roles_required(*STAFF)
def bank():
    topic = request.args.get("topic", "")
    topic = topic if topic in {t.value for t in Topic} else ""
    category_id = request.args.get("category", type=db_int)
    q = request.args.get("q", "").strip()[:200]
    status = request.args.get("status", "active")
    status = status if status in BANK_STATUSES else "active"
    page = db.paginate(
        services.bank_query(topic or None, category_id, q, archived=status == "archived"), per_page=25, error_out=False
    )
    counts = dict(
        db.session.execute(
            select(Question.category_id, func.count())
            .where(Question.archived.is_(False))
            .group_by(Question.category_id)
        ).all()
    )
    return render_template(
        "quizzes/bank.html",
        page=page,
        topic=topic,
        category_id=category_id,
        q=q,
        status=status,
        statuses=BANK_STATUSES,
        status_counts=services.bank_counts(db.session, topic or None, category_id, q),
        topics=Topic.choices(),
        categories=_categories(topic or None),
        counts=counts,
        qtypes=qtypes.QUESTION_TYPES,
        archive_form=ArchiveForm(formdata=None, next=request.full_path),
    )


@bp.get("/bank/questions/<int:question_id>")
@roles_required(*STAFF)
def question_detail(question_id: int):
    question = load_or_404(Question, question_id)
    version = question.current_version
    if version is None:
        abort(404)
    qtype = qtypes.get_type(question.qtype)
    import random

    layout = qtype.prepare(version.config, random.Random(0), False)
    return render_template(
        "quizzes/question_detail.html",
        question=question,
        version=version,
        q=qtype.public_view(version.config, layout, version.text),
        qtype=question.qtype,
        label=qtype.label,
        right_answer=qtype.describe_right_answer(version.config),
        prefix="preview",
        archive_form=ArchiveForm(formdata=None),
    )


def _archive_or_restore(question_id: int, archive: bool):
    question = load_or_404(Question, question_id)
    form = ArchiveForm()
    if not form.validate_on_submit():
        abort(400)
    change = services.archive_question if archive else services.restore_question
    if change(db.session, current_user, question, _now(), ip=request.remote_addr or ""):
        short = services.quizzes_short_of_questions(db.session, question.category_id) if archive else []
        db.session.commit()
        if archive:
            flash(
                _(
                    "Đã lưu trữ câu hỏi «%(t)s». Câu hỏi không còn được rút vào các lần làm bài mới; các bài đã "
                    "làm và đang làm vẫn giữ nguyên.",
                    t=question.title,
                ),
                "success",
            )
        else:
            flash(
                _("Đã khôi phục câu hỏi «%(t)s». Câu hỏi lại được rút vào các lần làm bài mới.", t=question.title),
                "success",
            )
        if short:
            flash(
                _(
                    "Chú ý: các bài kiểm tra sau không còn đủ câu hỏi để rút đề: %(q)s. Hãy thêm câu hỏi hoặc "
                    "giảm số câu rút.",
                    q=", ".join(quiz.title for quiz in short),
                ),
                "warning",
            )
    else:
        db.session.rollback()
        flash(
            _("Câu hỏi đã được lưu trữ trước đó.") if archive else _("Câu hỏi đang được dùng, không cần khôi phục."),
            "info",
        )
    return redirect(safe_next_url(form.next.data) or url_for("quizzes.question_detail", question_id=question.id))


@bp.post("/bank/questions/<int:question_id>/archive")
@roles_required(*STAFF)
def archive_question(question_id: int):
    """Archive (after the confirmation shown on the page): no longer drawn for new attempts."""
    return _archive_or_restore(question_id, archive=True)


@bp.post("/bank/questions/<int:question_id>/restore")
@roles_required(*STAFF)
def restore_question(question_id: int):
    return _archive_or_restore(question_id, archive=False)


@bp.route("/bank/questions/<int:question_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def edit_question(question_id: int):
    question = load_or_404(Question, question_id)
    form = EditQuestionForm()
    errors: list = []
    error = None
    if request.method == "GET":
        form.gift_text.data = services.question_gift(question)
    elif form.validate_on_submit():
        try:
            version = services.edit_question(db.session, question, form.gift_text.data, _now(), current_user.id)
        except services.QuestionImportError as exc:
            db.session.rollback()
            errors = exc.errors
        except services.QuizError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            if version is None:
                flash(_("Nội dung không thay đổi."), "info")
            else:
                flash(_("Đã lưu phiên bản %(n)d của câu hỏi.", n=version.number), "success")
            return redirect(url_for("quizzes.question_detail", question_id=question.id))
    return render_template("quizzes/edit_question.html", question=question, form=form, errors=errors, error=error)


def _import_dir() -> Path:
    path = services.import_dir(current_app.instance_path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _import_max_age_hours() -> float:
    return float(current_app.config.get("QUIZ_IMPORT_MAX_AGE_HOURS", services.DEFAULT_IMPORT_MAX_AGE_HOURS))


def _purge_old_uploads() -> None:
    """Every upload removes the files of earlier uploads never confirmed (older than the limit)."""
    try:
        removed = services.purge_import_uploads(_import_dir(), _now(), _import_max_age_hours())
    except (OSError, ValueError):  # housekeeping (or a bad QUIZ_IMPORT_MAX_AGE_HOURS) must not cost the upload
        current_app.logger.exception("Could not purge old question import files")
    else:
        if removed:
            current_app.logger.info("Removed %d unconfirmed question import file(s)", removed)


def _parse_upload(data: bytes, ext: str) -> gift.GiftResult:
    return services.parse_question_file(data, ext)


@bp.route("/bank/import", methods=["GET", "POST"])
@roles_required(*STAFF)
def import_questions():
    """Upload -> full check -> preview (or the errors by line) -> confirm -> everything in one commit."""
    form = ImportForm()
    confirm = ImportConfirmForm()
    result = preview = None
    errors: list = []
    file_error = None
    if request.form.get("step") == "confirm":
        if not confirm.validate_on_submit() or confirm.topic.data not in {t.value for t in Topic}:
            abort(400)
        path = _import_dir() / confirm.token.data
        data = services.read_import_upload(path.parent, path.name, _now(), _import_max_age_hours())
        if data is None:
            flash(
                _(
                    "Tệp đã tải lên không còn trên máy chủ (tệp chưa xác nhận chỉ được giữ %(h)s giờ, hoặc đã được "
                    "nhập rồi). Chưa ghi câu hỏi nào. Hãy tải tệp lên lại.",
                    h=f"{_import_max_age_hours():g}",
                ),
                "error",
            )
            return redirect(url_for("quizzes.import_questions"))
        topic = Topic(confirm.topic.data)
        result = _parse_upload(data, path.suffix[1:])
        if result.unsupported and not confirm.skip_unsupported.data:
            plan = services.plan_import(db.session, result.questions, topic)
            errors = plan.errors
            if not errors:
                file_error = _(
                    "Tệp có %(n)d câu hỏi loại chưa hỗ trợ. Hãy đánh dấu ô «Bỏ qua...» dưới danh sách "
                    "các câu ấy rồi bấm Xác nhận lại. Chưa ghi câu hỏi nào.",
                    n=len(result.unsupported),
                )
                preview = _preview(result, plan)
        else:
            try:
                summary = services.import_questions(db.session, result.questions, topic, _now(), current_user.id)
            except services.QuestionImportError as exc:
                db.session.rollback()
                errors = exc.errors
            else:
                db.session.commit()
                path.unlink(missing_ok=True)
                flash(
                    _(
                        "Đã nhập %(c)d câu hỏi mới, cập nhật %(u)d câu, %(s)d câu không đổi, bỏ qua %(k)d câu "
                        "loại chưa hỗ trợ.",
                        c=summary.created,
                        u=summary.updated,
                        s=summary.unchanged,
                        k=len(result.unsupported),
                    ),
                    "success",
                )
                return redirect(url_for("quizzes.bank", topic=topic.value))
    elif form.validate_on_submit():
        _purge_old_uploads()
        upload = form.file.data
        ext = upload.filename.rsplit(".", 1)[-1].lower()
        data = upload.read()
        topic = Topic(form.topic.data)
        try:
            result = _parse_upload(data, ext)
        except ValueError as exc:
            file_error = str(exc)
        else:
            plan = None if result.errors else services.plan_import(db.session, result.questions, topic)
            errors = result.errors or plan.errors
            if not errors and not result.questions:
                file_error = _(
                    "Không tìm thấy câu hỏi nào nhập được trong tệp. Hãy kiểm tra tệp đúng định dạng GIFT "
                    "hoặc bảng tính theo mẫu."
                )
            elif not errors:
                token = f"{secrets.token_hex(16)}.{ext}"
                (_import_dir() / token).write_bytes(data)
                confirm = ImportConfirmForm(formdata=None, token=token, topic=topic.value)
                preview = _preview(result, plan)
    refused = bool(errors or file_error or form.errors)  # the same page and report, a status scripts can test
    return render_template(
        "quizzes/import.html",
        form=form,
        confirm=confirm,
        result=result,
        preview=preview,
        errors=errors,
        file_error=file_error,
        max_age_hours=_import_max_age_hours(),
    ), (400 if refused else 200)


def _preview(result: gift.GiftResult, plan: services.ImportPlan) -> dict:
    by_category: dict[str, int] = {}
    by_type: dict[str, int] = {}
    for question in result.questions:
        by_category[question.category or "—"] = by_category.get(question.category or "—", 0) + 1
        by_type[qtypes.get_type(question.qtype).label] = by_type.get(qtypes.get_type(question.qtype).label, 0) + 1
    return {
        "count": len(result.questions),
        "by_category": by_category,
        "by_type": by_type,
        "unsupported": result.unsupported,
        "warnings": result.warnings,
        "plan": plan,
        "listed": plan.items[:200],
    }


@bp.get("/bank/import/template.<any(csv, xlsx):ext>")
@roles_required(*STAFF)
def import_template(ext: str):
    if ext == "csv":
        body = "\ufeff" + tabular.template_csv()
        return Response(
            body, mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=mau-cau-hoi.csv"}
        )
    return Response(
        tabular.template_xlsx(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": "attachment; filename=mau-cau-hoi.xlsx"},
    )


@bp.get("/bank/export.gift")
@roles_required(*STAFF)
def export_gift():
    topic = request.args.get("topic", "")
    topic = topic if topic in {t.value for t in Topic} else None
    category_id = request.args.get("category", type=db_int)
    text = services.export_questions(db.session, topic, category_id)
    name = f"cau-hoi-{topic or 'tat-ca'}{'-' + str(category_id) if category_id else ''}.gift"
    return Response(text, mimetype="text/plain", headers={"Content-Disposition": f"attachment; filename={name}"})


# =========================================================================== quiz settings (IT staff)


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
    categories = _categories(quiz.topic.value if quiz and quiz.topic else None)
    counts = dict(
        db.session.execute(
            select(Question.category_id, func.count())
            .where(Question.archived.is_(False))
            .group_by(Question.category_id)
        ).all()
    )
    overrides = (
        db.session.scalars(select(QuizOverride).where(QuizOverride.quiz_id == quiz.id).order_by(QuizOverride.id)).all()
        if quiz
        else []
    )
    return render_template(
        "quizzes/settings.html",
        quiz=quiz,
        shortfalls=services.draw_shortfalls(db.session, quiz) if quiz else [],
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
        _now(),
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
