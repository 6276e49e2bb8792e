"""``flask lms certificates ...``: batch PDF rendering and expiry reminders."""

from __future__ import annotations

import os

import click
from flask.cli import AppGroup
from tqdm import tqdm

from courses import api as courses_api
from lms.extensions import db
from lms.time import local_today

certificates_cli = AppGroup("certificates", help="Chứng nhận: tạo tệp PDF hàng loạt, nhắc hạn.")


@certificates_cli.command("render")
@click.option("--unit", "unit_code", help="Only the holders currently in this unit (code).")
@click.option("--course", "course_slug", help="Only this course (slug).")
@click.option("--all", "everything", is_flag=True, help="Every valid certificate.")
@click.option("--workers", type=int, default=None, help="Processes (default: CPU count).")
@click.option("--force", is_flag=True, help="Render again even when the stored PDF is current.")
def render_command(unit_code, course_slug, everything, workers, force) -> None:
    """Render the missing or outdated PDFs of valid certificates, in parallel."""
    from certificates import services

    if not (unit_code or course_slug or everything):
        raise click.UsageError("Give --unit CODE, --course SLUG or --all.")
    unit_id = course_id = None
    if unit_code:
        unit = services.unit_by_code(db.session, unit_code)
        if unit is None:
            raise click.ClickException(f"Unknown unit {unit_code}")
        unit_id = unit.id
    if course_slug:
        course = courses_api.get_course_by_slug(db.session, course_slug)
        if course is None:
            raise click.ClickException(f"Unknown course {course_slug}")
        course_id = course.id
    settings = services.get_settings()
    try:
        services.verify_url_for("TEST", settings)
    except services.CertificateError:
        raise click.ClickException(
            "The QR code needs the public address: set PUBLIC_BASE_URL (e.g. https://hoctap.example.gov.vn)."
        ) from None
    total = services.count_selection(db.session, unit_id, course_id)
    ids = list(services.render_selection_ids(db.session, unit_id, course_id))  # ints only: 8 bytes each
    db.session.commit()
    workers = workers or os.cpu_count() or 1
    with tqdm(total=total, desc="PDF", unit="giấy") as bar:
        stats = services.render_missing(
            _session_factory(),
            ids,
            workers=workers,
            settings=settings,
            force=force,
            progress=bar.update,
        )
    click.echo(f"Rendered {stats.rendered}, already current {stats.up_to_date}, failed {len(stats.failed)}.")
    for cert_id, error in stats.failed[:20]:
        click.echo(f"  certificate {cert_id}: {error}", err=True)
    if stats.failed:
        raise SystemExit(1)


def _session_factory():
    from sqlalchemy.orm import Session

    engine = db.engine
    return lambda: Session(engine, expire_on_commit=False)


@certificates_cli.command("remind")
@click.option("--days", type=int, default=30, show_default=True, help="Expiring within this many days.")
def remind_command(days: int) -> None:
    """Queue expiry reminders (shown on the officials' dashboards); running it twice adds nothing."""
    from certificates import services

    created = services.queue_expiry_reminders(db.session, local_today(), days)
    db.session.commit()
    click.echo(f"Queued {len(created)} reminder(s) (expiring within {days} days).")
