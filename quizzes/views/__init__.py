"""Quiz pages by audience, on one blueprint (``common.bp``): ``taking`` (officials), ``bank`` (the
question bank) and ``manage`` (quiz settings, results and statistics), as indico's display and
management controllers.
"""

from quizzes.views import bank, manage, taking  # noqa: F401  (their routes are on bp)
from quizzes.views.common import audit_objects, bp, panel_data

__all__ = ["audit_objects", "bp", "panel_data"]
