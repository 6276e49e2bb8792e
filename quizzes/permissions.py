"""Who may see and act on quizzes and attempts (rules shared by views and templates).

An unknown object is a 404 and a known one the user may not see a 403 (``load_or_404(..., check=)``).
Attempts are not private by existence: their ids are sequential and reveal nothing, so another
official's attempt answers 403.
"""

from __future__ import annotations

from lms.auth.permissions import official_data
from lms.auth.rules import LEARNER, PROVINCE_WIDE, Rule, head_of_unit, own
from lms.org.models import Official
from quizzes.models import ReviewMode

#: IT staff and admins edit the question bank and the quizzes' settings.
can_manage_bank = PROVINCE_WIDE
#: A published quiz; a draft is seen by its authors only (others get 404: its existence is private).
is_published = Rule(lambda _user, quiz: quiz is not None and quiz.published)
can_see_quiz = is_published | can_manage_bank
#: Anyone linked to an official record (officials, unit heads) may take quizzes.
can_take_quizzes = LEARNER
#: Only the official themself answers, submits or resumes their attempt.
can_answer_attempt = own(lambda attempt: attempt.official_id)
#: An attempt's result and review: the official, the head of the official's unit, province-wide staff.
can_view_attempt = official_data(
    lambda attempt: attempt.official_id,
    lambda attempt: attempt.official.unit_id if attempt.official is not None else None,
)


def review_mode_for(user, attempt) -> ReviewMode:
    """How much of a graded attempt ``user`` sees on its result page (``can_view_attempt`` is checked
    first). IT staff and admins, who manage the question bank and so hold the key anyway, see
    everything; everybody else, the official and the head of their unit alike, what the quiz's review
    setting allows: a unit head may take the same quiz, so their staff's reviews must not give them
    more of the key than the setting gives any official."""
    return ReviewMode.FULL if can_manage_bank(user) else attempt.quiz.review_mode


#: The marks per question category (no question, answer or key), for whoever looks at someone
#: else's attempt: the unit head sees the score and these whatever the review setting. Not on the
#: official's own result page (the setting decides what they see; and one statement less there).
can_see_topic_results = Rule(lambda user, attempt: user.official_id != attempt.official_id)
#: The results of a quiz (``quizzes.services.results_query``, which joins ``Official``): the heads
#: see their units' officials, province-wide staff everybody.
can_list_results = head_of_unit(lambda attempt: attempt.official.unit_id, Official.unit_id) | PROVINCE_WIDE

TEMPLATE_PREDICATES = {
    "can_manage_bank": can_manage_bank,
    "can_take_quizzes": can_take_quizzes,
    "can_view_attempt": can_view_attempt,
    "can_answer_attempt": can_answer_attempt,
}
