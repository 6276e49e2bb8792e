"""Courses endpoints in the authorization matrix (see tests/security/matrix_extra.py)."""

from courses.loader import content_root, load_course_dir

ANY = "any"
LEARNERS = {"official", "unit_head"}  # accounts linked to an official (Role.OFFICIAL)
STAFF = {"it_staff", "admin"}
MANAGERS = {"unit_head", "it_staff", "admin"}

EXPECTED = {
    "courses.catalog": ANY,
    "courses.my_courses": LEARNERS,
    "courses.course": ANY,
    "courses.enrol": LEARNERS,
    "courses.resume": LEARNERS,
    "courses.lesson": ANY,
    "courses.mark_done": LEARNERS,
    "courses.img": ANY,
    "courses.assignments": MANAGERS,
    "courses.manage": STAFF,
    "courses.manage_course": STAFF,
    "courses.edit_course": STAFF,
    "courses.edit_lesson": STAFF,
    "courses.preview": STAFF,
    "courses.move_lesson": STAFF,
    "courses.publish_lesson": STAFF,
    "courses.publish_course": STAFF,
}


def values(session, users) -> dict:
    course = load_course_dir(session, content_root() / "email")
    lesson = course.lessons[0]
    session.commit()
    return {
        "slug": course.slug,
        "lesson_slug": lesson.slug,
        "course_id": course.id,
        "lesson_id": lesson.id,
        "name": "thu-lua-dao.svg",
    }
