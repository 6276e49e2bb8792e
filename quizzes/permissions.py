"""Who may see and act on quizzes and attempts (predicates shared by views and templates).

Convention (as in ``lms.auth.permissions``): an unknown object is a 404 (``db.get_or_404``), a known
object the user may not see is a 403 via ``require(...)``. Attempts are not private by existence:
their ids are sequential and reveal nothing, so another official's attempt answers 403.
"""

from __future__ import annotations

from lms.auth.models import Role
from quizzes.models import ReviewMode


def can_manage_bank(user) -> bool:
    """IT staff and admins edit the question bank and the quizzes' settings."""
    return user.is_authenticated and user.is_province_wide


def can_take_quizzes(user) -> bool:
    """Anyone linked to an official record (officials, unit heads) may take quizzes."""
    return user.is_authenticated and user.has_role(Role.OFFICIAL)


def can_answer_attempt(user, attempt) -> bool:
    """Only the official themself answers, submits or resumes their attempt (else 403)."""
    return user.is_authenticated and attempt is not None and user.official_id == attempt.official_id


def can_view_attempt(user, attempt) -> bool:
    """Read an attempt's result and review: the official themself; the head of the official's unit;
    IT staff and admins. Anyone else gets 403 (a missing attempt is 404)."""
    if not user.is_authenticated or attempt is None:
        return False
    if user.official_id == attempt.official_id:
        return True
    if user.is_province_wide:
        return True
    official = attempt.official
    return official is not None and official.unit_id in user.headed_unit_ids


def review_mode_for(user, attempt) -> ReviewMode:
    """How much of a graded attempt ``user`` sees on its result page (``can_view_attempt`` is checked
    first). IT staff and admins, who manage the question bank and so hold the key anyway, see
    everything; everybody else, the official and the head of their unit alike, what the quiz's review
    setting allows: a unit head may take the same quiz, so their staff's reviews must not give them
    more of the key than the setting gives any official."""
    return ReviewMode.FULL if can_manage_bank(user) else attempt.quiz.review_mode


def can_see_topic_results(user, attempt) -> bool:
    """The marks per question category (no question, answer or key), for whoever looks at someone
    else's attempt: the unit head sees the score and these whatever the review setting. Not on the
    official's own result page (the setting decides what they see; and one statement less there)."""
    return user.official_id != attempt.official_id


def result_unit_scope(user) -> set[int] | None:
    """Units whose results ``user`` may list: None = all (province-wide), else the headed units."""
    return None if user.is_province_wide else set(user.headed_unit_ids)


TEMPLATE_PREDICATES = {
    "can_manage_bank": can_manage_bank,
    "can_take_quizzes": can_take_quizzes,
    "can_view_attempt": can_view_attempt,
    "can_answer_attempt": can_answer_attempt,
}
