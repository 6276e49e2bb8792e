"""``flask lms backup`` / ``restore`` round-trip a database (counts and a sample of rows compared)."""

from sqlalchemy import func, select, text

from lms.auth.models import AuditLog, Role
from lms.extensions import db
from lms.org.models import Official
from tests.factories import make_official, make_unit, make_user


def _snapshot(session):
    counts = {}
    for table in db.metadata.sorted_tables:
        counts[table.name] = session.scalar(select(func.count()).select_from(table))
    sample = [
        (o.code, o.full_name, o.email, o.unit_id) for o in session.scalars(select(Official).order_by(Official.id))
    ]
    return counts, sample


def test_backup_and_restore_round_trip(runner, session, tmp_path):
    unit = make_unit(session, name="Huyện Tam Đảo")
    for i in range(5):
        make_official(session, unit, given_name=f"Hằng{i}")
    make_user(session, Role.ADMIN)
    session.commit()
    before = _snapshot(session)
    path = tmp_path / "backup.bin"
    result = runner.invoke(args=["lms", "backup", str(path)])
    assert result.exit_code == 0, result.output
    assert path.stat().st_size > 0

    # damage the data after the backup
    session.execute(text("DELETE FROM audit_log"))
    session.query(Official).filter(Official.given_name == "Hằng0").update({"given_name": "Đổi"})
    session.commit()
    assert _snapshot(session) != before

    session.remove() if hasattr(session, "remove") else None
    result = runner.invoke(args=["lms", "restore", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert _snapshot(db.session) == before
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == before[0]["audit_log"]


def test_restore_of_a_missing_file_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(args=["lms", "restore", str(tmp_path / "nope.bin"), "--yes"])
    assert result.exit_code != 0
