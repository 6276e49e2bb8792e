"""Backup and restore of the whole database.

SQLite: the online backup API (consistent while the app runs). PostgreSQL: ``pg_dump -Fc`` and
``pg_restore --clean``; the client programs must be on PATH (Debian: ``postgresql-client``).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import Engine, make_url


class BackupError(RuntimeError):
    pass


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(database)


def _pg_env_and_args(engine: Engine) -> tuple[dict, list[str]]:
    url = make_url(engine.url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    args = ["-h", url.host or "localhost", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    return env, args + ["-d", url.database]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path:
        return path
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if candidates:
        return str(candidates[-1])
    raise BackupError(f"{name} was not found; install the PostgreSQL client programs.")


def backup(engine: Engine, target: Path) -> Path:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(_sqlite_path(engine))
        dest = sqlite3.connect(target)
        try:
            with dest:
                source.backup(dest)
        finally:
            dest.close()
            source.close()
        return target
    if engine.dialect.name == "postgresql":
        env, args = _pg_env_and_args(engine)
        cmd = [_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(target), *args]
        result = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise BackupError(result.stderr.strip() or "pg_dump failed")
        return target
    raise BackupError(f"Unsupported database: {engine.dialect.name}")


def restore(engine: Engine, source: Path) -> None:
    """Replace the database's content with the backup. Stop the app (or expect errors) while it runs."""
    source = Path(source)
    if not source.exists():
        raise BackupError(f"{source} does not exist.")
    engine.dispose()
    if engine.dialect.name == "sqlite":
        src = sqlite3.connect(source)
        dest = sqlite3.connect(_sqlite_path(engine))
        try:
            with dest:
                src.backup(dest)
        finally:
            src.close()
            dest.close()
        return
    if engine.dialect.name == "postgresql":
        env, args = _pg_env_and_args(engine)
        cmd = [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", *args, str(source)]
        result = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise BackupError(result.stderr.strip() or "pg_restore failed")
        return
    raise BackupError(f"Unsupported database: {engine.dialect.name}")
