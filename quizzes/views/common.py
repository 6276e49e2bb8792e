"""The quizzes blueprint and what its pages share.

Every handler: load (404) -> check access (403) -> call a service -> commit once."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
)
from flask_login import current_user
from sqlalchemy import select

from lms.extensions import db
from lms.org.models import Official
from lms.time import utcnow
from quizzes import services
from quizzes.models import (
    AttemptState,
    QuestionCategory,
)
from quizzes.permissions import (
    can_take_quizzes,
)

bp = Blueprint(
    "quizzes",
    "quizzes",  # the package: templates/ and static/ are quizzes/'s
    url_prefix="/quizzes",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


def grace_seconds() -> float:
    return float(current_app.config.get("QUIZ_GRACE_SECONDS", services.DEFAULT_GRACE_SECONDS))


def current_official() -> Official:
    official = db.session.get(Official, current_user.official_id) if current_user.official_id else None
    if official is None:
        abort(403)
    return official


def panel_data(user) -> dict:
    """The officials' dashboard panel: open quizzes, attempts in progress, last results."""
    if not can_take_quizzes(user):
        return {}
    now = utcnow()
    quizzes = services.available_quizzes(db.session, user.official_id, now)
    history = db.session.scalars(services.history_query(user.official_id).limit(20)).all()
    return {
        "open": [q for q in quizzes if q.is_open(now)][:10],
        "in_progress": [a for a in history if a.in_progress],
        "results": [a for a in history if a.state == AttemptState.SUBMITTED][:5],
    }


def question_categories(topic: str | None = None) -> list[QuestionCategory]:
    query = select(QuestionCategory).order_by(QuestionCategory.path)
    if topic:
        query = query.where(QuestionCategory.topic == topic)
    return list(db.session.scalars(query))


def audit_objects() -> dict:
    """The quiz objects audit entries name: a question (its bank page), an attempt (its result page)."""
    from flask import url_for
    from flask_babel import gettext as _
    from flask_babel import lazy_pgettext

    from lms.features import AuditObject
    from quizzes.models import Attempt, Question

    def question(question_id: int):
        found = db.session.get(Question, question_id)
        return (found.title, url_for("quizzes.question_detail", question_id=question_id)) if found else None

    def attempt(attempt_id: int):
        found = db.session.get(Attempt, attempt_id)
        if found is None:
            return None
        text = _("Bài làm số %(n)s của %(name)s", n=attempt_id, name=found.official.full_name)
        return text, url_for("quizzes.review", attempt_id=attempt_id)

    return {
        "question": AuditObject(lazy_pgettext("audit", "Câu hỏi"), question),
        "attempt": AuditObject(lazy_pgettext("audit", "Bài làm"), attempt),
    }
