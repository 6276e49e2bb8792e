"""``flask lms adoption ...`` commands."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

adoption_cli = AppGroup("adoption", help="Số liệu sử dụng các ứng dụng (thư công vụ, quản lý văn bản, cổng thông tin).")


@adoption_cli.command("import")
@click.argument("system", type=click.Choice(["dms", "portal", "email"]))
@click.argument("month")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_command(system: str, month: str, path: str) -> None:
    """Import a month's usage file (MONTH as 2026-11); all or nothing, replaces that month's file."""
    from flask import current_app

    from adoption.imports import ImportFileError, read_usage_file
    from adoption.models import System
    from adoption.months import parse_month
    from adoption.services import AdoptionError, check_month, import_usage
    from lms.extensions import db
    from lms.org.imports import iter_errors_text

    try:
        chosen = check_month(parse_month(month))
        parsed = read_usage_file(
            System(system), chosen, path, Path(path).read_bytes(), current_app.config["IMPORT_MAX_ROWS"]
        )
    except (ImportFileError, AdoptionError) as exc:
        raise click.ClickException(str(exc)) from None
    if not parsed.ok:
        for line in iter_errors_text(parsed.errors):
            click.echo(line, err=True)
        raise click.ClickException(f"{len(parsed.errors)} lỗi: không ghi dòng nào.")
    outcome = import_usage(db.session, parsed, Path(path).name)
    db.session.commit()
    click.echo(
        f"Xong: {outcome.usage_import.rows} dòng, {outcome.matched} ghép được, {outcome.unmatched} chưa ghép, "
        f"{outcome.not_person} hộp thư chung{' (thay thế lần nhập trước)' if outcome.replaced else ''}."
    )


@adoption_cli.command("rebuild")
@click.argument("month", required=False)
def rebuild_command(month: str | None) -> None:
    """Recompute a month's figures from its files and forms (every month with data if none given)."""
    from adoption import cache
    from adoption.months import parse_month
    from adoption.services import months_with_data, rebuild_month
    from lms.extensions import db

    months = [parse_month(month)] if month else months_with_data(db.session)
    if None in months:
        raise click.ClickException("MONTH is like 2026-11.")
    for m in months:
        officials, units = rebuild_month(db.session, m)
        click.echo(f"{m:%m/%Y}: {officials} cán bộ, {units} đơn vị")
    cache.bump(db.session)
    db.session.commit()


@adoption_cli.command("digest")
@click.option("--month", help="The month reported (2026-11); default: the latest month with data.")
def digest_command(month: str | None) -> None:
    """Queue the monthly digest to every unit head (idempotent: a head gets one per unit and month)."""
    from adoption.digest import queue_digests
    from adoption.months import parse_month
    from lms.extensions import db

    chosen = parse_month(month) if month else None
    if month and chosen is None:
        raise click.ClickException("--month is like 2026-11.")
    run = queue_digests(db.session, chosen)
    db.session.commit()
    if run.month is None:
        click.echo("Chưa có số liệu sử dụng: không gửi thư nào.")
        return
    click.echo(
        f"Tháng {run.month:%m/%Y}: {run.queued} thư mới, {run.already} đã gửi trước đây, {run.opted_out} thủ trưởng "
        f"đã tắt, {run.no_email} chưa có địa chỉ thư, {run.no_figures} đơn vị chưa có số liệu."
    )
