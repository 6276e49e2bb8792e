"""``flask lms mail send`` (for cron, every minute)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.orm import sessionmaker

from lms import events
from lms.extensions import db
from lms.time import utcnow

mail_cli = AppGroup("mail", help="Thư điện tử (hàng đợi gửi).")


@mail_cli.command("send")
@click.option("--limit", default=200, show_default=True, help="At most this many messages in one run.")
def send_command(limit: int) -> None:
    """Queue what the features have due (certificate reminders), then send the due outbox messages through SMTP."""
    from lms.mail.sender import SmtpConfig, send_pending

    now = utcnow()
    queued = sum(count or 0 for _receiver, count in events.mail_sending.send(db.session, now=now))
    db.session.commit()
    report = send_pending(sessionmaker(bind=db.engine), now, SmtpConfig.from_app(current_app), limit=limit)
    click.echo(f"queued={queued} {report}")
    if report.smtp_error and not report.sent:
        raise click.ClickException(f"SMTP: {report.smtp_error}")


@mail_cli.command("catcher")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8025, show_default=True, help="SMTP port to listen on.")
@click.option("--dir", "folder", default=None, help="Folder for the messages (default: instance/mail).")
def catcher_command(host: str, port: int, folder: str | None) -> None:
    """Demo only: a local SMTP server that writes each message it receives to a folder (one .eml file per
    message) instead of delivering it. Point SMTP_HOST/SMTP_PORT at it; Ctrl+C stops it."""
    from pathlib import Path

    from lms.mail.catcher import serve

    if current_app.config["LMS_ENV"] == "production":
        raise click.ClickException("The mail catcher is for the demo: it delivers nothing.")
    folder = folder or str(Path(current_app.instance_path) / "mail")
    serve(folder, host, port, ready=lambda: click.echo(f"Mail catcher on {host}:{port}: messages go to {folder}"))
