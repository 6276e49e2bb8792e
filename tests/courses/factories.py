"""Builders for courses tests: ``make_course`` (three lessons by default) and ``write_course`` (a folder on disk)."""

from __future__ import annotations

import functools

from tests import factories

#: The courses tests' course has three lessons unless told otherwise.
make_course = functools.partial(factories.make_course, lessons=3)


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
