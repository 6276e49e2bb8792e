"""``flask lms competency snapshot|recompute``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from lms.extensions import db

competency_cli = AppGroup("competency", help="Kết quả năng lực và xếp hạng đơn vị.")


@competency_cli.command("snapshot")
@click.option("--month", "month_text", default=None, help="YYYY-MM (default: this month).")
def snapshot_command(month_text: str | None) -> None:
    """Store this month's (or MONTH's) unit figures and ranks; running it again replaces them."""
    from competency.snapshots import parse_month, take_snapshot

    month = None
    if month_text:
        try:
            month = parse_month(month_text)
        except ValueError:
            raise click.BadParameter("use YYYY-MM, e.g. 2026-11", param_hint="--month") from None
    count = take_snapshot(db.session, month)
    db.session.commit()
    click.echo(f"{count} units stored")


@competency_cli.command("recompute")
def recompute_command() -> None:
    """Rebuild every competency record from attempts and certificates."""
    from competency.records import recompute_records

    count = recompute_records(db.session)
    db.session.commit()
    click.echo(f"{count} records")
