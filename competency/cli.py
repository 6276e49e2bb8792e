"""``flask lms competency snapshot|recompute`` and ``flask lms bench-data``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from lms.cli import lms_cli
from lms.extensions import db

competency_cli = AppGroup("competency", help="Kết quả năng lực và xếp hạng đơn vị.")
lms_cli.add_command(competency_cli)


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


@lms_cli.command("bench-data")
@click.option("--units", default=35, show_default=True)
@click.option("--officials", default=30000, show_default=True)
@click.option("--attempts", default=1000000, show_default=True)
@click.option("--seed", default=7, show_default=True)
def bench_data_command(units: int, officials: int, attempts: int, seed: int) -> None:
    """Build a synthetic province (bulk inserts) into DATABASE_URL, for benchmarks/rankings.py."""
    from competency.bench import build_bench_data

    figures = build_bench_data(db.session, units=units, officials=officials, attempts=attempts, seed=seed)
    click.echo(", ".join(f"{k}={v}" for k, v in figures.items()))
