"""``flask lms import-course DIR``."""

from __future__ import annotations

import shutil
import tempfile
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
@click.option(
    "--check",
    is_flag=True,
    help="Validate only: load everything (lessons, practice scenarios) as an import would, then roll back.",
)
def import_course_command(path: str, check: bool) -> None:
    """Create or update a course from a folder (course.md + NN-slug.md lessons + img/).

    A folder without course.md is taken as a root holding several course folders. Re-importing updates
    in place and never deletes progress; a lesson whose file is gone is unpublished. With --check the
    authors see every error an import would refuse (what the features loading with the course check
    too), and nothing is written (images go to a temporary folder, removed after).
    """
    folder = Path(path)
    scratch = Path(tempfile.mkdtemp(prefix="course-check-")) if check else None
    media = storage.DirectoryStore(scratch) if scratch else media_store()
    try:
        if (folder / "course.md").is_file():
            courses = [load_course_dir(db.session, folder, media)]
        else:
            courses = load_all(db.session, folder, media)
        lines = [f"{c.slug}: {c.title} — {sum(1 for lesson in c.lessons if lesson.published)} lessons" for c in courses]
    except (CourseContentError, ContentRefused) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    if check:
        db.session.rollback()
    else:
        db.session.commit()
    for line in lines:
        click.echo(line)
    if check:
        click.echo("Checked: no errors; nothing was written.")
