"""Builders for courses tests: ``make_course(session, lessons=3, **overrides)``."""

from __future__ import annotations

import itertools

from courses.loader import render_markdown
from courses.models import Course, Lesson
from lms.topics import Topic

_seq = itertools.count(1)


def make_course(session, lessons: int = 3, **overrides) -> Course:
    n = next(_seq)
    values = {
        "slug": f"khoa-thu-{n}",
        "topic": Topic.EMAIL,
        "title": f"Khóa học thử {n}",
        "summary": "Tóm tắt khóa học thử",
        "published": True,
        "competency": ["IU06"],
        "lessons": [],
    }
    values.update(overrides)
    course = Course(**values)
    course.refresh_derived()
    session.add(course)
    for i in range(1, lessons + 1):
        body = f"## Mục {i}\n\nNội dung bài {i}."
        course.lessons.append(
            Lesson(
                slug=f"bai-{i}",
                position=i,
                title=f"Bài {i}",
                minutes=10,
                objectives=[],
                competency=[],
                body_md=body,
                body_html=render_markdown(body, course.slug),
                published=True,
            )
        )
    session.flush()
    return course


def write_course(root, slug: str = "thu", lessons: int = 2, topic: str = "email") -> None:
    """A course folder on disk (``root/slug``) with ``lessons`` lesson files."""
    folder = root / slug
    (folder / "img").mkdir(parents=True, exist_ok=True)
    (folder / "course.md").write_text(
        f"---\ntitle: Khóa thử {slug}\ntopic: {topic}\nsummary: Tóm tắt\ncompetency: [IU06]\n"
        "version: '1'\n---\nGiới thiệu.\n",
        encoding="utf-8",
    )
    (folder / "img" / "hinh.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"></svg>', encoding="utf-8")
    for i in range(1, lessons + 1):
        (folder / f"{i:02d}-bai-{i}.md").write_text(
            f"---\ntitle: Bài {i}\norder: {i}\nminutes: 10\nobjectives:\n  - Mục tiêu {i}\ncompetency: [IU06]\n---\n"
            f"## Phần {i}\n\nNội dung.\n\n![hình](img/hinh.svg)\n",
            encoding="utf-8",
        )
