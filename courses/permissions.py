"""Who may read, learn, author and assign courses. Also available in templates."""

from __future__ import annotations


def can_author_courses(user) -> bool:
    """IT staff and admins write courses and lessons."""
    return bool(user.is_authenticated and user.is_province_wide)


def can_view_course(user, course) -> bool:
    """Published courses are open to every logged-in user; drafts only to authors.

    Views answer 404 (not 403) for a draft, so its existence stays private.
    """
    if not user.is_authenticated or course is None:
        return False
    return course.published or can_author_courses(user)


def can_view_lesson(user, lesson) -> bool:
    """Like ``can_view_course``; an unpublished lesson is a 404 for learners."""
    if not can_view_course(user, lesson.course):
        return False
    return lesson.published or can_author_courses(user)


def can_learn(user) -> bool:
    """Only accounts linked to an official enrol and record progress."""
    return bool(user.is_authenticated and user.official_id is not None)


def can_assign_courses(user) -> bool:
    return bool(user.is_authenticated and (user.is_province_wide or user.headed_unit_ids))


def can_assign_to_unit(user, unit_id: int | None) -> bool:
    """IT staff and admins assign to any group (or the whole province); a unit head only inside their unit."""
    if not user.is_authenticated:
        return False
    if user.is_province_wide:
        return True
    return unit_id is not None and unit_id in user.headed_unit_ids


def can_assign_with_subunits(user) -> bool:
    """Only IT staff and admins assign to a unit together with every unit below it; a unit head
    assigns inside their own unit only."""
    return bool(user.is_authenticated and user.is_province_wide)


TEMPLATE_PREDICATES = {
    "can_author_courses": can_author_courses,
    "can_learn": can_learn,
    "can_assign_courses": can_assign_courses,
    "can_assign_with_subunits": can_assign_with_subunits,
}
