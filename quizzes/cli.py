"""``flask lms close-overdue-attempts``: grade attempts past their deadline (run it from cron)."""

from __future__ import annotations

import click

from lms.cli import lms_cli
from lms.database import utcnow
from lms.extensions import db


@lms_cli.command("close-overdue-attempts")
def close_overdue_attempts_command() -> None:
    """Nộp và chấm các bài làm đã quá giờ (với câu trả lời đã lưu)."""
    from flask import current_app

    from quizzes import services

    grace = float(current_app.config.get("QUIZ_GRACE_SECONDS", services.DEFAULT_GRACE_SECONDS))
    count = services.close_overdue_attempts(db.session, utcnow(), grace)
    db.session.commit()
    click.echo(f"Đã nộp {count} bài làm quá giờ.")
