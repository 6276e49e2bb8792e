"""Who may read, learn, author and assign courses (rules, also in templates)."""

from __future__ import annotations

from courses.models import CourseAssignment
from lms.auth.rules import LEARNER, PROVINCE_WIDE, UNIT_HEAD, Rule, head_of_unit

#: IT staff and admins write courses and lessons.
can_author_courses = PROVINCE_WIDE
#: Published courses are open to every logged-in user; drafts only to authors. Views answer 404
#: (not 403) for a draft, so its existence stays private.
can_view_course = Rule(lambda _user, course: course is not None and course.published) | can_author_courses
#: Like ``can_view_course``; an unpublished lesson is a 404 for learners.
can_view_lesson = Rule(
    lambda user, lesson: can_view_course(user, lesson.course) and (lesson.published or can_author_courses(user))
)
#: Only accounts linked to an official enrol and record progress.
can_learn = LEARNER
can_assign_courses = UNIT_HEAD | PROVINCE_WIDE
#: IT staff and admins assign to any group (or the whole province, ``unit_id`` None); a unit head
#: only inside their unit.
can_assign_to_unit = head_of_unit(lambda unit_id: unit_id) | PROVINCE_WIDE
#: Only IT staff and admins assign to a unit together with every unit below it.
can_assign_with_subunits = PROVINCE_WIDE
#: The assignments a user sees: their unit's for a unit head, all for province-wide staff.
can_see_assignment = head_of_unit(lambda a: a.unit_id, CourseAssignment.unit_id) | PROVINCE_WIDE

TEMPLATE_PREDICATES = {
    "can_author_courses": can_author_courses,
    "can_learn": can_learn,
    "can_assign_courses": can_assign_courses,
    "can_assign_with_subunits": can_assign_with_subunits,
    "can_assign_to_unit": can_assign_to_unit,
}
