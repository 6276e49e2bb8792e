"""Serial numbers: one ``certificate_sequence`` row per (prefix, year), incremented under a row lock
that lasts until commit, so serials are unique and gap-free for committed certificates."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from certificates.codes import make_serial
from certificates.models import CertificateSequence
from lms.org.models import Official


def _insert_ignore(session: Session, table, values: dict, conflict_cols: list[str]):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict_cols)
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict_cols)
    return insert(table).values(**values)  # pragma: no cover - other databases are not supported


def ensure_sequence_row(session: Session, prefix: str, year: int) -> None:
    """Create the (prefix, year) row if missing; safe under concurrency (ON CONFLICT DO NOTHING).

    On SQLite this write also takes the database write lock, which serialises issuing.
    """
    session.execute(
        _insert_ignore(
            session,
            CertificateSequence.__table__,
            {"prefix": prefix, "year": year, "last_value": 0},
            ["prefix", "year"],
        )
    )


def next_sequence_number(session: Session, prefix: str, year: int) -> int:
    """Increment and return the sequence of (prefix, year); the row stays locked until commit."""
    ensure_sequence_row(session, prefix, year)
    table = CertificateSequence.__table__
    value = session.execute(
        update(table)
        .where(table.c.prefix == prefix, table.c.year == year)
        .values(last_value=table.c.last_value + 1)
        .returning(table.c.last_value)
    ).scalar_one()
    return int(value)


def allocate_serial(session: Session, prefix: str, year: int) -> tuple[int, str]:
    seq = next_sequence_number(session, prefix, year)
    return seq, make_serial(prefix, year, seq)


def lock_holder(session: Session, official_id: int, prefix: str, year: int) -> None:
    """Serialise issuing for one holder (see the module docstring)."""
    ensure_sequence_row(session, prefix, year)
    session.execute(select(Official.id).where(Official.id == official_id).with_for_update())
