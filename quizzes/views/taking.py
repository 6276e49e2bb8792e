"""Taking quizzes (officials): the quiz page, starting, one question per page, autosave, the summary,
submitting and the review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import (
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict

from courses import api as courses_api
from lms.auth.access import fast_path, light_user, login_required, roles_required
from lms.auth.models import Role
from lms.auth.permissions import load_or_404
from lms.extensions import db
from lms.inputs import db_int
from lms.time import utcnow
from quizzes import fieldsets, qtypes, services
from quizzes.forms import (
    CsrfForm,
)
from quizzes.models import (
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
from quizzes.services import answering, sheet
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


_WITH_DRAWS = (joinedload(Quiz.draws),)  # the question count, in the quiz's query


@bp.get("/<int:quiz_id>")
@login_required
def quiz_intro(quiz_id: int):
    quiz = load_or_404(Quiz, quiz_id, check=can_see_quiz, hidden=True, options=_WITH_DRAWS)
    now = utcnow()
    info = attempts = steps = None
    grade = None
    if current_user.official_id:
        attempts = services.attempts_of(db.session, quiz.id, current_user.official_id)  # read once for all three
        info = services.eligibility(db.session, quiz, current_user.official_id, now, attempts)
        grade = services.quiz_grade(db.session, quiz, current_user.official_id, attempts)
        steps = course_steps(quiz, current_user.official_id)
    # IT staff see why officials could not start (archived questions); officials are told at the start
    staff = can_manage_bank(current_user)
    shortfalls = services.draw_shortfalls(db.session, quiz) if staff else []
    # the waiting room: the quiz opens later; the page opens its start button at the time by itself
    opens_in = services.opens_in(quiz, now) if info is not None and info.in_progress is None else None
    if opens_in is not None:
        services.note_waiting(db.session, quiz.id, current_user.official_id, now)
        db.session.commit()
    return render_template(
        "quizzes/intro.html",
        quiz=quiz,
        info=info,
        attempts=attempts or [],
        grade=grade,
        shortfalls=shortfalls,
        steps=steps,
        opens_in=opens_in,
        heartbeat=services.waiting.HEARTBEAT_SECONDS,
        waiting=services.waiting_count(db.session, quiz.id, now) if staff and quiz.open_at else None,
    )


@bp.post("/<int:quiz_id>/waiting")
@roles_required(Role.OFFICIAL)
@light_user
def still_waiting(quiz_id: int):
    """The waiting page says it is still open (now and then); answers the seconds left before the quiz
    opens, so the page's countdown follows the server's clock."""
    quiz = load_or_404(Quiz, quiz_id, check=is_published, hidden=True)
    now = utcnow()
    opens_in = services.opens_in(quiz, now)
    if opens_in is not None:
        services.note_waiting(db.session, quiz.id, current_user.official_id, now)
        db.session.commit()
    return jsonify(ok=True, opens_in=opens_in or 0)


@bp.post("/<int:quiz_id>/start")
@roles_required(Role.OFFICIAL)
def start(quiz_id: int):
    quiz = load_or_404(Quiz, quiz_id, check=is_published, hidden=True)
    if not _csrf_checked():
        abort(400)
    try:
        attempt = services.start_attempt(db.session, quiz, current_official(), utcnow())
    except services.QuizError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("quizzes.quiz_intro", quiz_id=quiz.id))
    services.stop_waiting(db.session, quiz.id, attempt.official_id)
    attempt_id, in_progress = attempt.id, attempt.in_progress  # read before the commit expires them
    db.session.commit()
    if not in_progress:  # the attempt in progress had run out of time: graded, and no new one may start
        flash(_("Đã hết giờ làm bài. Bài làm đã được nộp với các câu trả lời đã lưu."), "info")
        return redirect(url_for("quizzes.review", attempt_id=attempt_id))
    return redirect(url_for("quizzes.attempt_page", attempt_id=attempt_id, slot_no=1, all=1))


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


def _panel(slot: sheet.SheetSlot, counter: Markup) -> dict:
    """What the page shows of one slot: the question as the official sees it (never the key), its
    fields written by ``quizzes.fieldsets`` (in Python: a Jinja include per question cost 25 times more)."""
    view = qtypes.get_type(slot.qtype).public_view(slot.config, slot.layout, slot.text)
    prefix = services.slot_prefix(slot.slot_no)
    return {
        "slot": slot,
        "q": view,
        "qtype": slot.qtype,
        "answer": slot.answer,
        "prefix": prefix,
        "fields": fieldsets.fieldset(slot.qtype, view, slot.answer, prefix),
        "counter": counter,
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
    if request.args.get("all") == "1":  # the whole attempt in one page; the script navigates in it
        slots = sheet.attempt_sheet(db.session, attempt.id)
        states = [services.SlotState(slot.slot_no, slot.answered) for slot in slots]
    else:  # one question (without JavaScript: every button posts the form)
        slot = sheet.sheet_slot(db.session, attempt.id, slot_no)
        slots = [slot] if slot is not None else []
        states = services.slot_states(db.session, attempt)
    # "Câu %(n)d / %(t)d" translated once, not once per question (what Jinja's newstyle _() does)
    counter = Markup(_("Câu %(n)d / %(t)d"))
    panels = [_panel(slot, counter % {"n": slot.slot_no, "t": len(states)}) for slot in slots]
    context = next((p for p in panels if p["slot"].slot_no == slot_no), None)
    if context is None:
        abort(404)
    return render_template(
        "quizzes/attempt.html",
        attempt=attempt,
        quiz=attempt.quiz,
        slots=states,
        total=len(states),
        remaining=_remaining(attempt, now),
        panels=panels,
        **context,
    )


def _autosave_as_login(login, attempt_id: int):
    """The autosave's ``fast_path``: the usual case (an answer to an open attempt of the logged-in
    official, with its slot and question version) in one autocommitted statement that also checks
    the login (``answering.record_answer_as``): no account loaded, no transaction to begin and
    commit. None for anything else: the view then explains (400, 403, 409...)."""
    form = _answer_fields()
    if form is None:
        return None
    slot_no, version_id = _form_int(form, "slot"), _form_int(form, "v")
    if slot_no is None or version_id is None:
        return None
    with db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        answered = answering.record_answer_as(
            connection,
            login,
            current_app.config["DEMO_MODE"],
            attempt_id,
            slot_no,
            version_id,
            form,
            utcnow(),
            grace_seconds(),
        )
    return None if answered is None else jsonify(ok=True, slot=slot_no, answered=answered)


@bp.post("/attempts/<int:attempt_id>/autosave")
@roles_required(Role.OFFICIAL)
@light_user
@fast_path(_autosave_as_login)
def autosave(attempt_id: int):
    """One answer, saved by the attempt page's script: a JSON object (or a form) with ``slot``, ``v``
    (the slot's question version, given in the page) and the question's fields (``q<slot>...``).
    Answers ``{ok, slot, answered}``; 409 ``{closed, message, redirect}`` when the attempt was
    submitted or its time is up. When all is well, ``_autosave_as_login`` has already answered (one
    autocommitted statement, before any account is loaded); this view runs for the rest (a form
    without ``v``, an answer to explain), after the account was loaded and the rule checked: one
    statement to write (``answering.record_answer``), more only to tell what went wrong."""
    form = _answer_fields()
    if form is None:
        return jsonify(ok=False, message=_("Phiên làm việc đã hết hạn. Hãy tải lại trang.")), 400
    now, grace, official_id = utcnow(), grace_seconds(), current_user.official_id
    slot_no = _form_int(form, "slot")
    answered = None
    if slot_no is not None:
        version_id = _form_int(form, "v") or answering.slot_version_id(db.session, attempt_id, slot_no)
        if version_id is not None:
            answered = answering.record_answer(
                db.session, attempt_id, official_id, slot_no, version_id, form, now, grace
            )
    if answered is not None:
        db.session.commit()
        return jsonify(ok=True, slot=slot_no, answered=answered)
    db.session.rollback()
    try:
        if answering.why_not_saved(db.session, attempt_id, official_id, now, grace) is None:
            abort(404)
    except PermissionError:
        abort(403)
    except services.AttemptClosed as exc:
        flash(str(exc), "error")  # shown again on the result page the script goes to
        return jsonify(
            ok=False, closed=True, message=str(exc), redirect=url_for("quizzes.review", attempt_id=attempt_id)
        ), 409
    except services.QuizError as exc:
        return jsonify(ok=False, message=str(exc)), 400
    abort(404)


def _csrf_checked() -> bool:
    """The request's CSRF token (``X-CSRFToken`` header, or the form's field) checked out: checked
    once, by ``CSRFProtect`` before the view (it marks the request ``g.csrf_valid``), not again by a
    form (building one signs a new token: more CPU than the rest of an autosave)."""
    return not current_app.config.get("WTF_CSRF_ENABLED", True) or g.get("csrf_valid", False)


def _answer_fields() -> MultiDict | None:
    """The autosave's fields from a JSON object (values or lists of values) or a form; None when the
    CSRF token does not check out (``_csrf_checked``)."""
    if not _csrf_checked():
        return None
    if not request.is_json:
        return request.form
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return MultiDict()
    pairs = []
    for name, value in body.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, (str, int, float)) and not isinstance(item, bool):
                pairs.append((str(name), str(item)))
    return MultiDict(pairs)


def _form_int(form, name: str) -> int | None:
    value = form.get(name)
    try:
        return db_int(value) if value is not None and str(value).isdecimal() else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class SummaryRow:
    slot_no: int
    answered: bool
    url: str  # the one-page attempt at this question
    label: Markup  # "Câu 3"


def _slot_urls(attempt_id: int, total: int) -> dict[int, str]:
    """The one-page attempt's address at each question: ``url_for`` once, the slot number put in
    its place (the summary links every question twice; 40 ``url_for`` cost ~0.3 ms)."""
    marker = 987654321
    head, found, tail = url_for("quizzes.attempt_page", attempt_id=attempt_id, slot_no=marker, all=1).rpartition(
        str(marker)
    )
    if not found:  # not expected; then the plain way
        return {
            n: url_for("quizzes.attempt_page", attempt_id=attempt_id, slot_no=n, all=1) for n in range(1, total + 1)
        }
    return {n: f"{head}{n}{tail}" for n in range(1, total + 1)}


@bp.get("/attempts/<int:attempt_id>/summary")
@roles_required(Role.OFFICIAL)
def summary(attempt_id: int):
    # the attempt's state, deadline and quiz title with its slots' states in one query (404, then 403
    # as ``_load_own_attempt``); the attempt as an ORM object only when it is closed
    attempt, states = services.head_and_states(db.session, attempt_id)
    if attempt is None:
        abort(404)
    if not can_answer_attempt(current_user, attempt):
        abort(403)
    now = utcnow()
    if not attempt.in_progress or attempt.is_overdue(now, grace_seconds()):
        return _closed_redirect(_load_own_attempt(attempt_id))
    urls = _slot_urls(attempt.id, len(states))
    label = Markup(_("Câu %(n)d"))  # translated once, not twice per question
    rows = [SummaryRow(s.slot_no, s.answered, urls[s.slot_no], label % {"n": s.slot_no}) for s in states]
    return render_template(
        "quizzes/summary.html",
        attempt=attempt,
        quiz_title=attempt.quiz_title,
        slots=rows,
        unanswered=[row for row in rows if not row.answered],
        remaining=_remaining(attempt, now),
    )


@bp.post("/attempts/<int:attempt_id>/submit")
@roles_required(Role.OFFICIAL)
@light_user  # a redirect: no layout, so the account without its roles and official (as the autosave)
def submit(attempt_id: int):
    attempt = _load_own_attempt(attempt_id, with_quiz=True)  # the grading reads the quiz's pass mark
    if not _csrf_checked():
        abort(400)
    now = utcnow()
    if attempt.is_overdue(now, grace_seconds()):
        return _closed_redirect(attempt)
    if services.submit_attempt(db.session, attempt.id, now):
        flash(_("Đã nộp bài."), "success")
    db.session.commit()
    return redirect(url_for("quizzes.review", attempt_id=attempt_id))  # not attempt.id: expired by the commit


@bp.get("/attempts/<int:attempt_id>")
@login_required
def review(attempt_id: int):
    """The result; questions and answers as the quiz's review mode allows, for the official and their
    unit head alike (IT staff see everything: ``review_mode_for``); marks per category for others."""
    attempt = load_or_404(Attempt, attempt_id, check=can_view_attempt, options=_WITH_QUIZ)
    if attempt.in_progress and services.finish_if_overdue(db.session, attempt, utcnow(), grace_seconds()):
        db.session.commit()
    if attempt.in_progress and can_answer_attempt(current_user, attempt):
        return redirect(url_for("quizzes.attempt_page", attempt_id=attempt.id, slot_no=1))
    mode = review_mode_for(current_user, attempt)
    rows = []
    if attempt.state == AttemptState.SUBMITTED and mode != ReviewMode.SCORE:
        label = Markup(_("Câu %(n)d"))  # translated once, not once per question
        for slot in services.review_slots(db.session, attempt.id):  # one query, plain rows
            qtype = qtypes.get_type(slot.qtype)
            rows.append(
                {
                    "slot": slot,
                    "label": label % {"n": slot.slot_no},
                    "text": slot.text,
                    "config": slot.config,
                    "your_answer": services.describe_answer(slot.qtype, slot.config, slot.layout, slot.answer),
                    "right_answer": qtype.describe_right_answer(slot.config) if mode == ReviewMode.FULL else "",
                    "feedback": qtype.feedback_for(slot.config, slot.answer) if mode == ReviewMode.FULL else [],
                    "general_feedback": slot.general_feedback if mode == ReviewMode.FULL else "",
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
