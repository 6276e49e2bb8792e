"""``flask lms training remind`` (for cron)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from lms.extensions import db
from lms.time import utcnow

training_cli = AppGroup("training", help="Lịch tập huấn.")


@training_cli.command("remind")
def remind_command() -> None:
    """Queue the reminders of sessions starting by the end of tomorrow (safe to run many times)."""
    from training.services import queue_reminders

    count = queue_reminders(db.session, utcnow())
    db.session.commit()
    click.echo(f"{count} reminders queued.")
