"""``flask lms ...``: the kernel's commands; features add theirs in ``init_app`` (``lms.features.add_commands``).

Each app gets a group of its own (``init_app``), so an app built with fewer ``FEATURES`` has fewer commands.
"""

from __future__ import annotations

import functools
from pathlib import Path

import click
from flask.cli import AppGroup
from tqdm import tqdm

from lms.extensions import db
from lms.mail.cli import mail_cli
from lms.time import local_today, utcnow

HELP = "Lệnh quản trị nền tảng học tập."
kernel_commands = AppGroup("lms", help=HELP)  # the kernel's commands, copied into each app's group
kernel_commands.add_command(mail_cli)


def init_app(app) -> None:
    group = AppGroup("lms", help=HELP)
    for command in kernel_commands.commands.values():
        group.add_command(command)
    app.cli.add_command(group)


@kernel_commands.command("demo")
@click.option("--seed", default=2014, show_default=True, help="Seed of the deterministic demo data.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has units.")
def demo_command(seed: int, if_empty: bool) -> None:
    """Build the demo province (units, officials, accounts, courses, quizzes, results)."""
    from lms.demo import build_demo, database_is_empty, demo_logins

    if not database_is_empty(db.session):
        if if_empty:
            click.echo("The database already has data: demo skipped.")
            _print_logins(demo_logins())
            return
        raise click.ClickException("The database is not empty; the demo needs an empty database.")
    click.echo(f"Building the demo province (seed {seed})...")
    build_demo(db.session, seed=seed, echo=click.echo)
    db.session.commit()
    _print_logins(demo_logins())


def _print_logins(logins) -> None:
    click.echo("\nDemo logins (tên đăng nhập / mật khẩu):")
    for username, password, label in logins:
        click.echo(f"  {username:<12} {password:<12} {label}")


def _import(path: str, kind: str, yes: bool, invite: bool = True) -> None:
    from lms.auth.services import audit
    from lms.org import imports

    data = Path(path).read_bytes()
    try:
        rows = imports.read_table(path, data)
    except imports.ImportFileError as exc:
        raise click.ClickException(str(exc)) from None
    run = imports.import_units
    if kind == "officials":
        run = functools.partial(imports.import_officials, invite=invite)
    where = f"trang “{rows.sheet}”, " if rows.sheet else ""
    click.echo(f"Dòng tiêu đề: {where}dòng {rows.header_row}; {len(rows)} dòng dữ liệu.")
    for column in rows.legacy:
        click.echo(f"Cột “{column.column}” gõ bằng {column.encoding_name}, chuyển sang Unicode, ví dụ:")
        for before, after in column.examples:
            click.echo(f"    {before}  ->  {after}")
    with tqdm(total=len(rows), desc="Ghi dữ liệu", unit="dòng") as bar:
        result = run(db.session, rows, progress=lambda n: bar.update(1), confirm=imports.CONFIRMATIONS if yes else ())
    for line in imports.iter_errors_text(result.warnings):
        click.echo(f"Lưu ý: {line}", err=True)
    if result.errors:
        db.session.rollback()
        for line in imports.iter_errors_text(result.errors):
            click.echo(line, err=True)
        raise click.ClickException(f"{len(result.errors)} lỗi: không ghi dòng nào.")
    if result.missing:
        db.session.rollback()
        for plan in result.renames:
            for change in plan.changes:
                if change.column == imports.OFFICIAL_COLUMN_LABELS["ho_ten"]:
                    click.echo(f"Dòng {plan.row}: đổi họ tên “{change.before}” thành “{change.after}”", err=True)
        raise click.ClickException(
            "Tệp cần xác nhận (đổi họ tên cán bộ, hoặc chuyển bảng mã cũ sang Unicode): xem trên rồi chạy lại "
            "với --yes. Chưa ghi dòng nào."
        )
    audit(
        db.session,
        None,
        f"import.{kind}",
        data={
            "file": Path(path).name,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        },
    )
    db.session.commit()
    click.echo(
        f"Xong: {result.created} mới, {result.updated} cập nhật, {result.unchanged} không đổi ({result.rows} dòng)."
    )
    if kind == "officials":
        click.echo(f"Tài khoản mới: {result.new_accounts}; thư mời kích hoạt xếp hàng gửi: {result.invitations}.")


_YES = click.option("--yes", is_flag=True, help="Confirm renamed officials and legacy-encoding (TCVN3/VNI) columns.")


@kernel_commands.command("import-units")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@_YES
def import_units_command(path: str, yes: bool) -> None:
    """Import units from a CSV or XLSX file (all or nothing)."""
    _import(path, "units", yes)


@kernel_commands.command("import-officials")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@_YES
@click.option("--no-invite", is_flag=True, help="Create the accounts without queuing invitation e-mails.")
def import_officials_command(path: str, yes: bool, no_invite: bool) -> None:
    """Import officials from a CSV or XLSX file (all or nothing); every active official without an
    account gets one, and an invitation e-mail when there is an address."""
    _import(path, "officials", yes, invite=not no_invite)


@kernel_commands.command("create-admin")
@click.argument("username")
@click.password_option()
def create_admin_command(username: str, password: str) -> None:
    """Create an administrator account (must change the password at first login)."""
    from lms.auth.models import Role
    from lms.auth.services import AuthError, assign_role, create_user

    try:
        user = create_user(db.session, username, password, must_change_password=True)
    except AuthError as exc:
        raise click.ClickException(str(exc)) from None
    assign_role(db.session, user, user, Role.ADMIN)
    db.session.commit()
    click.echo(f"Created admin {user.username}.")


@kernel_commands.command("merge-units")
@click.argument("successor_code")
@click.argument("predecessor_codes", nargs=-1, required=True)
@click.option("--name", help="Name of the successor when it is new.")
@click.option("--kind", default="xa", show_default=True)
@click.option("--on", "effective_on", type=click.DateTime(formats=["%Y-%m-%d"]), required=True)
def merge_units_command(successor_code, predecessor_codes, name, kind, effective_on) -> None:
    """Record a merger: PREDECESSOR_CODES became SUCCESSOR_CODE on --on (history is kept)."""
    from lms.org.models import Unit, UnitKind
    from lms.org.services import OrgError, get_unit_by_code, record_succession

    olds = []
    for code in predecessor_codes:
        unit = get_unit_by_code(db.session, code)
        if unit is None:
            raise click.ClickException(f"Unknown unit {code}")
        olds.append(unit)
    new = get_unit_by_code(db.session, successor_code)
    if new is None:
        if not name:
            raise click.ClickException("--name is required for a new unit")
        new = Unit(code=successor_code, name=name, kind=UnitKind(kind))
    try:
        record_succession(db.session, olds, new, effective_on.date() if effective_on else local_today())
    except OrgError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Recorded: {', '.join(predecessor_codes)} -> {new.code}")


@kernel_commands.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
def backup_command(path: str) -> None:
    """Back up the whole database to PATH (SQLite online backup, or pg_dump -Fc)."""
    from lms.backup import BackupError, backup

    try:
        backup(db.engine, Path(path))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backup written to {path} ({Path(path).stat().st_size} bytes).")


@kernel_commands.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(path: str, yes: bool) -> None:
    """Replace the database's content with the backup at PATH."""
    from lms.backup import BackupError, restore

    if not yes:
        click.confirm("This replaces every row in the database. Continue?", abort=True)
    db.session.remove()
    try:
        restore(db.engine, Path(path))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("Restored.")


accounts_cli = AppGroup("accounts", help="Tài khoản của cán bộ.")
kernel_commands.add_command(accounts_cli)


@accounts_cli.command("provide")
@click.option("--no-invite", is_flag=True, help="Create the accounts without queuing invitation e-mails.")
def accounts_provide_command(no_invite: bool) -> None:
    """Create the account of every active official who has none (officials imported before accounts
    followed them); an invitation e-mail is queued for each one with an address."""
    from lms.auth.accounts import officials_without_account, provide_accounts

    report = provide_accounts(db.session, officials_without_account(db.session), utcnow(), invite=not no_invite)
    db.session.commit()
    click.echo(f"created={report.created} linked={report.linked} invited={report.invited}")


@accounts_cli.command("sync")
def accounts_sync_command() -> None:
    """Cron, daily: accounts follow their officials (a unit whose end date has come disables its
    remaining staff's accounts; reactivated officials get theirs back)."""
    from sqlalchemy import select

    from lms.auth.accounts import follow_officials
    from lms.org.models import Official

    changed = 0
    ids = list(db.session.scalars(select(Official.id).order_by(Official.id)))
    for start in range(0, len(ids), 2_000):
        batch = list(db.session.scalars(select(Official).where(Official.id.in_(ids[start : start + 2_000]))))
        changed += follow_officials(db.session, batch, utcnow())
    db.session.commit()
    click.echo(f"accounts changed={changed}")
