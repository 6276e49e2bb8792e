"""``flask lms close-overdue-attempts`` (grade attempts past their deadline, for cron),
``flask lms purge-quiz-imports [--hours N]`` (remove question uploads never confirmed) and
``flask lms import-questions FILE --topic TOPIC`` (the import page's rules, from the shell)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from lms.extensions import db
from lms.time import utcnow
from lms.topics import Topic


@click.command("close-overdue-attempts")
@with_appcontext
def close_overdue_attempts_command() -> None:
    """Nộp và chấm các bài làm đã quá giờ (với câu trả lời đã lưu)."""
    from flask import current_app

    from quizzes import services

    grace = float(current_app.config.get("QUIZ_GRACE_SECONDS", services.DEFAULT_GRACE_SECONDS))
    count = services.close_overdue_attempts(db.session, utcnow(), grace)
    db.session.commit()
    click.echo(f"Đã nộp {count} bài làm quá giờ.")


@click.command("import-questions")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--topic", required=True, type=click.Choice([t.value for t in Topic]), help="Topic of the questions.")
@click.option("--skip-unsupported", is_flag=True, help="Skip question types we do not support (essay, description).")
def import_questions_command(path: str, topic: str, skip_unsupported: bool) -> None:
    """Nhập câu hỏi từ tệp GIFT, CSV hoặc XLSX (tất cả hoặc không câu nào)."""
    from quizzes import services

    file = Path(path)
    try:
        result = services.parse_question_file(file.read_bytes(), file.suffix)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    errors = result.errors or services.validate_questions(result.questions, Topic(topic))
    if errors:
        for error in errors:
            click.echo(str(error), err=True)  # "Dòng 3, cột «Đáp án đúng»: ...", as the import page names it
        raise click.ClickException(f"{len(errors)} lỗi: không ghi câu hỏi nào.")
    for warning in result.warnings:  # forgiven as Moodle does: said, not refused
        click.echo(f"Dòng {warning.line}: lưu ý: {warning.message}", err=True)
    if result.unsupported:
        for item in result.unsupported:
            click.echo(f"Dòng {item.line}: «{item.title}» ({item.kind}) — loại câu hỏi chưa hỗ trợ", err=True)
        if not skip_unsupported:
            raise click.ClickException(
                f"{len(result.unsupported)} câu hỏi thuộc loại chưa hỗ trợ. Chạy lại với --skip-unsupported để bỏ "
                "qua chúng; chưa ghi câu hỏi nào."
            )
    try:
        summary = services.import_questions(db.session, result.questions, Topic(topic), utcnow())
    except services.QuestionImportError as exc:
        db.session.rollback()
        for error in exc.errors:
            click.echo(str(error), err=True)
        raise click.ClickException(f"{len(exc.errors)} lỗi: không ghi câu hỏi nào.") from None
    db.session.commit()
    click.echo(
        f"Xong: {summary.created} câu mới, {summary.updated} câu có phiên bản mới, {summary.unchanged} câu không đổi"
        f" ({len(result.unsupported)} câu bỏ qua) trong {len(summary.categories)} nhóm: "
        + ", ".join(summary.categories)
    )


@click.command("purge-quiz-imports")
@with_appcontext
@click.option(
    "--hours",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Remove files older than this (default: QUIZ_IMPORT_MAX_AGE_HOURS, 24).",
)
def purge_quiz_imports_command(hours: float | None) -> None:
    """Xóa các tệp câu hỏi đã tải lên nhưng không được xác nhận nhập (cũ hơn --hours giờ)."""
    from flask import current_app

    from lms import storage
    from quizzes import services

    if hours is None:
        hours = float(current_app.config.get("QUIZ_IMPORT_MAX_AGE_HOURS", services.DEFAULT_IMPORT_MAX_AGE_HOURS))
    store = storage.store(services.IMPORT_AREA)
    count = services.purge_import_uploads(store, utcnow(), hours)
    click.echo(f"Đã xóa {count} tệp nhập câu hỏi chưa xác nhận (cũ hơn {hours:g} giờ) trong {store}.")
