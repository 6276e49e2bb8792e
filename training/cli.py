"""``flask lms training remind`` and ``flask lms mail send`` (for cron)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import sessionmaker

from lms.cli import lms_cli
from lms.extensions import db
from lms.time import utcnow

training_cli = AppGroup("training", help="Lịch tập huấn.")
mail_cli = AppGroup("mail", help="Thư điện tử (hàng đợi gửi).")
lms_cli.add_command(training_cli)
lms_cli.add_command(mail_cli)


@training_cli.command("remind")
def remind_command() -> None:
    """Queue the reminders of sessions starting by the end of tomorrow (safe to run many times)."""
    from training.services import queue_reminders

    count = queue_reminders(db.session, utcnow())
    db.session.commit()
    click.echo(f"{count} reminders queued.")


@mail_cli.command("send")
@click.option("--limit", default=200, show_default=True, help="At most this many messages in one run.")
def send_command(limit: int) -> None:
    """Queue undelivered certificate reminders, then send the due outbox messages through SMTP."""
    from training.mailer import SmtpConfig, send_pending
    from training.services import queue_certificate_reminders

    now = utcnow()
    queued = queue_certificate_reminders(db.session, now)
    db.session.commit()
    report = send_pending(sessionmaker(bind=db.engine), now, SmtpConfig.from_app(current_app), limit=limit)
    click.echo(f"certificate reminders queued={queued} {report}")
    if report.smtp_error and not report.sent:
        raise click.ClickException(f"SMTP: {report.smtp_error}")
