"""Loading course content: the bundled courses, errors, idempotent re-import, sanitization."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from courses.loader import CourseContentError, content_root, load_all, load_course_dir, render_markdown, sanitize_html
from courses.models import Course, Lesson, LessonProgress
from courses.services import mark_lesson_done
from tests.courses.factories import write_course
from tests.factories import make_official


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_all_four_bundled_courses_load_with_their_lessons(session):
    courses = load_all(session, content_root())
    assert sorted(c.slug for c in courses) == ["email", "portal", "qlvb", "security"]
    for course in courses:
        assert 5 <= len(course.published_lessons) <= 8, course.slug
        assert [lesson.position for lesson in course.lessons] == sorted(lesson.position for lesson in course.lessons)
        assert course.title and course.intro_html and course.validity_months == 24
        for lesson in course.lessons:
            assert lesson.body_html.startswith("<h2>") and "<script" not in lesson.body_html
    email = next(c for c in courses if c.slug == "email")
    assert email.topic.value == "email" and email.competency == ["IU06"]
    html = " ".join(lesson.body_html for lesson in email.lessons)
    assert 'src="/courses/email/img/' in html


def test_broken_front_matter_names_the_file_and_the_problem(session, tmp_path):
    write_course(tmp_path, "hong")
    bad = tmp_path / "hong" / "02-bai-2.md"
    bad.write_text("---\ntitle: [không đóng\norder: 2\n---\nNội dung\n", encoding="utf-8")
    with pytest.raises(CourseContentError) as err:
        load_course_dir(session, tmp_path / "hong")
    message = str(err.value)
    assert "02-bai-2.md" in message and "front matter" in message and "line" in message


@pytest.mark.parametrize(
    "content, problem",
    [
        ("Không có front matter\n", "does not start with"),
        ("---\norder: 1\n---\nx\n", "no 'title'"),
        ("---\ntitle: A\nminutes: mười\n---\nx\n", "'minutes' must be a whole number"),
    ],
)
def test_lesson_problems_are_explained(session, tmp_path, content, problem):
    write_course(tmp_path, "loi", lessons=1)
    (tmp_path / "loi" / "01-bai-1.md").write_text(content, encoding="utf-8")
    with pytest.raises(CourseContentError, match=problem) as err:
        load_course_dir(session, tmp_path / "loi")
    assert "01-bai-1.md" in str(err.value)


def test_unknown_topic_is_refused(session, tmp_path):
    write_course(tmp_path, "chude", topic="nau-an")
    with pytest.raises(CourseContentError, match="unknown topic 'nau-an'"):
        load_course_dir(session, tmp_path / "chude")


def test_reimport_updates_in_place_keeps_progress_and_unpublishes_removed_lessons(session, tmp_path):
    write_course(tmp_path, "lai", lessons=3)
    course = load_course_dir(session, tmp_path / "lai")
    official = make_official(session)
    first = course.lessons[0]
    mark_lesson_done(session, official.id, first)
    counts = (_count(session, Course), _count(session, Lesson), _count(session, LessonProgress))

    (tmp_path / "lai" / "01-bai-1.md").write_text(
        "---\ntitle: Bài 1 (sửa)\norder: 1\nminutes: 12\nversion_note: Sửa lỗi chính tả\n---\n"
        "## Mới\n\nNội dung mới.\n",
        encoding="utf-8",
    )
    (tmp_path / "lai" / "03-bai-3.md").unlink()
    again = load_course_dir(session, tmp_path / "lai")
    assert again.id == course.id
    assert (_count(session, Course), _count(session, Lesson), _count(session, LessonProgress)) == counts
    session.refresh(first)
    assert first.title == "Bài 1 (sửa)" and "Nội dung mới" in first.body_html and first.version_note
    assert [lesson.slug for lesson in again.published_lessons] == ["bai-1", "bai-2"]
    assert session.scalar(select(LessonProgress.lesson_id).where(LessonProgress.official_id == official.id)) == first.id
    load_course_dir(session, tmp_path / "lai")
    assert _count(session, Lesson) == counts[1]


def test_import_course_cli(runner, tmp_path, session):
    write_course(tmp_path, "cli", lessons=2)
    result = runner.invoke(args=["lms", "import-course", str(tmp_path / "cli")])
    assert result.exit_code == 0, result.output
    assert "cli" in result.output and "2 lessons" in result.output
    (tmp_path / "cli" / "course.md").write_text("---\ntitle: x\n", encoding="utf-8")
    result = runner.invoke(args=["lms", "import-course", str(tmp_path / "cli")])
    assert result.exit_code != 0 and "course.md" in result.output


# -- sanitization -----------------------------------------------------------------------------------------
def test_sanitizer_removes_active_content():
    dirty = (
        "<p onclick='x()'>Xin chào<script>alert(1)</script><iframe src='https://evil.example'></iframe>"
        "<img src=x onerror='alert(1)'><a href='javascript:alert(1)'>bấm</a>"
        "<a href=' JaVaScRiPt:alert(1)'>bấm 2</a><style>p{color:red}</style><b style='color:red'>đậm</b></p>"
    )
    clean = sanitize_html(dirty, "email")
    for bad in ("<script", "alert(1)", "<iframe", "onerror", "onclick", "javascript:", "<style", "style="):
        assert bad.lower() not in clean.lower(), bad
    assert "Xin chào" in clean and "bấm" in clean


def test_sanitizer_keeps_safe_content_and_own_images():
    md = (
        "## Mục\n\n1. Bước một\n2. Bước hai\n\n**đậm** *nghiêng* `mã`\n\n> trích\n\n"
        "| A | B |\n|---|--:|\n| 1 | 2 |\n\n[Cổng](https://vinhphuc.gov.vn) [thư](mailto:a@b.vn) [bài](../khac)\n\n"
        "![hình](img/hinh.svg) ![ngoài](https://evil.example/x.png) ![lén](img/../../x.svg)\n"
    )
    html = render_markdown(md, "email")
    for tag in ("<h2>", "<ol>", "<li>", "<strong>", "<em>", "<code>", "<blockquote>", "<table>", "<td>"):
        assert tag in html, tag
    assert 'href="https://vinhphuc.gov.vn"' in html and 'href="mailto:a@b.vn"' in html and 'href="../khac"' in html
    assert 'src="/courses/email/img/hinh.svg"' in html
    assert "evil.example" not in html and "../../x.svg" not in html
    assert "style=" not in html  # table alignment would need inline styles (CSP)


def test_raw_html_in_markdown_is_not_rendered():
    html = render_markdown('Chữ <script>alert(1)</script> và <img src=x onerror="alert(1)">', "email")
    assert "<script" not in html and "<img" not in html
