"""Taking quizzes (officials): the quiz page, starting, one question per page, autosave, the summary,
submitting and the review."""

from __future__ import annotations

from datetime import datetime

from flask import (
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from courses import api as courses_api
from lms.auth.access import login_required, roles_required
from lms.auth.models import Role
from lms.auth.permissions import load_or_404
from lms.extensions import db
from lms.inputs import db_int
from lms.time import utcnow
from quizzes import qtypes, services
from quizzes.forms import (
    CsrfForm,
)
from quizzes.models import (
    SLOT_ANSWERED,
    Attempt,
    AttemptState,
    Quiz,
    ReviewMode,
)
from quizzes.permissions import (
    can_answer_attempt,
    can_manage_bank,
    can_see_quiz,
    can_see_topic_results,
    can_view_attempt,
    is_published,
    review_mode_for,
)
from quizzes.views.common import bp, current_official, grace_seconds


@bp.get("/")
@login_required
def my_quizzes():
    now = utcnow()
    quizzes, page = [], None
    if current_user.official_id:
        quizzes = services.available_quizzes(db.session, current_user.official_id, now)
        page = db.paginate(services.history_query(current_user.official_id), per_page=20, error_out=False)
    return render_template("quizzes/my_quizzes.html", quizzes=quizzes, page=page, now=now)


@bp.get("/<int:quiz_id>")
@login_required
def quiz_intro(quiz_id: int):
    quiz = load_or_404(Quiz, quiz_id, check=can_see_quiz, hidden=True)
    now = utcnow()
    info = attempts = steps = None
    grade = None
    if current_user.official_id:
        attempts = services.attempts_of(db.session, quiz.id, current_user.official_id)  # read once for all three
        info = services.eligibility(db.session, quiz, current_user.official_id, now, attempts)
        grade = services.quiz_grade(db.session, quiz, current_user.official_id, attempts)
        steps = course_steps(quiz, current_user.official_id)
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
        steps=steps,
    )


@bp.post("/<int:quiz_id>/start")
@roles_required(Role.OFFICIAL)
def start(quiz_id: int):
    quiz = load_or_404(Quiz, quiz_id, check=is_published, hidden=True)
    if not CsrfForm().validate_on_submit():
        abort(400)
    try:
        attempt = services.start_attempt(db.session, quiz, current_official(), utcnow())
    except services.QuizError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("quizzes.quiz_intro", quiz_id=quiz.id))
    attempt_id, in_progress = attempt.id, attempt.in_progress  # read before the commit expires them
    db.session.commit()
    if not in_progress:  # the attempt in progress had run out of time: graded, and no new one may start
        flash(_("Đã hết giờ làm bài. Bài làm đã được nộp với các câu trả lời đã lưu."), "info")
        return redirect(url_for("quizzes.review", attempt_id=attempt_id))
    return redirect(url_for("quizzes.attempt_page", attempt_id=attempt_id, slot_no=1))


_WITH_QUIZ = (joinedload(Attempt.quiz),)  # built once, not per request


def _load_own_attempt(attempt_id: int, with_quiz: bool = False) -> Attempt:
    """The attempt (404), the user's own (403); ``with_quiz`` loads its quiz in the same query."""
    attempt = load_or_404(Attempt, attempt_id, check=can_answer_attempt, options=_WITH_QUIZ if with_quiz else ())
    return attempt


def _closed_redirect(attempt: Attempt):
    """An attempt that is no longer open: grade it if overdue, then show the result."""
    if services.finish_if_overdue(db.session, attempt, utcnow(), grace_seconds()):
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
    now = utcnow()
    if not attempt.in_progress or attempt.is_overdue(now, grace_seconds()):
        return _closed_redirect(attempt)
    if request.method == "POST":
        if not CsrfForm().validate_on_submit():
            abort(400)
        go = request.form.get("go", "next")
        if go == "timeout":  # the countdown at zero: this question's answer, then the submission
            submitted = services.submit_attempt(
                db.session, attempt.id, now, last_answer=(slot_no, request.form), grace_seconds=grace_seconds()
            )
            if not submitted:  # by another tab
                flash(_("Bài làm đã được nộp, không sửa được câu trả lời nữa."), "error")
            db.session.commit()
            return redirect(url_for("quizzes.review", attempt_id=attempt.id))
        total = len(attempt.slots)
        try:
            services.save_answer(db.session, attempt, slot_no, request.form, now, grace_seconds())
        except services.AttemptClosed as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return _closed_redirect(attempt)
        except services.QuizError:
            abort(404)
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
    now = utcnow()
    try:
        slot = services.save_answer(db.session, attempt, slot_no, request.form, now, grace_seconds(), slot=slot)
    except services.AttemptClosed as exc:
        db.session.rollback()
        flash(str(exc), "error")  # shown again on the result page the script goes to
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
    now = utcnow()
    if not attempt.in_progress or attempt.is_overdue(now, grace_seconds()):
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
    now = utcnow()
    if attempt.is_overdue(now, grace_seconds()):
        return _closed_redirect(attempt)
    if services.submit_attempt(db.session, attempt.id, now):
        flash(_("Đã nộp bài."), "success")
    db.session.commit()
    return redirect(url_for("quizzes.review", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>")
@login_required
def review(attempt_id: int):
    """The result; questions and answers as the quiz's review mode allows, for the official and their
    unit head alike (IT staff see everything: ``review_mode_for``); marks per category for others."""
    attempt = load_or_404(Attempt, attempt_id, check=can_view_attempt)
    if attempt.in_progress and services.finish_if_overdue(db.session, attempt, utcnow(), grace_seconds()):
        db.session.commit()
    if attempt.in_progress and can_answer_attempt(current_user, attempt):
        return redirect(url_for("quizzes.attempt_page", attempt_id=attempt.id, slot_no=1))
    mode = review_mode_for(current_user, attempt)
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
    topics = []
    if attempt.state == AttemptState.SUBMITTED and can_see_topic_results(current_user, attempt):
        topics = services.topic_results(db.session, attempt.id)
    grade = services.quiz_grade(db.session, attempt.quiz, attempt.official_id)
    steps = None
    if attempt.state == AttemptState.SUBMITTED and attempt.official_id == current_user.official_id:
        steps = course_steps(attempt.quiz, attempt.official_id)  # the official's own result: what comes next
    return render_template(
        "quizzes/review.html",
        attempt=attempt,
        quiz=attempt.quiz,
        rows=rows,
        mode=mode,
        grade=grade,
        topics=topics,
        steps=steps,
    )


def course_steps(quiz: Quiz, official_id: int | None):
    """Where the official stands in the course of a final quiz (lessons left, complete), else None."""
    if not quiz.is_final or quiz.course_id is None or official_id is None:
        return None
    return courses_api.steps_left(db.session, official_id, quiz.course_id)
