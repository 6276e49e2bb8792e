"""``flask lms import-course DIR``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from courses.loader import MEDIA_AREA, CourseContentError, load_all, load_course_dir
from lms import storage
from lms.events import ContentRefused
from lms.extensions import db
from lms.storage import Store


def media_store() -> Store:
    """Where imported course images are copied (served by ``courses.img``)."""
    return storage.store(MEDIA_AREA)


@click.command("import-course")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, file_okay=False))
def import_course_command(path: str) -> None:
    """Create or update a course from a folder (course.md + NN-slug.md lessons + img/).

    A folder without course.md is taken as a root holding several course folders. Re-importing updates
    in place and never deletes progress; a lesson whose file is gone is unpublished.
    """
    folder = Path(path)
    try:
        if (folder / "course.md").is_file():
            courses = [load_course_dir(db.session, folder, media_store())]
        else:
            courses = load_all(db.session, folder, media_store())
    except (CourseContentError, ContentRefused) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    for course in courses:
        published = sum(1 for lesson in course.lessons if lesson.published)
        click.echo(f"{course.slug}: {course.title} — {published} lessons")
