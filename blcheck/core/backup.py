"""Backups of the database that restore: one consistent copy, rotated.

SQLite: the online backup API copies the database page by page inside one read
transaction (WAL: writers carry on beside it; the copy is the snapshot the
transaction saw, never half a write). PostgreSQL: `pg_dump -Fc`, which reads
one snapshot too. Copies go to DATA_DIR/backups (0700), each file 0600, named
blcheck-YYYYmmdd-HHMMSS(.N).sqlite3 / .pgdump in UTC; the newest
BACKUP_KEEP are kept.

Restore goes only into an empty database (no tables) unless forced: SQLite's
file is replaced atomically (a verified copy renamed over it); PostgreSQL's
database is filled by `pg_restore` in one transaction.
"""

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

SQLITE_SUFFIX = ".sqlite3"
PG_SUFFIX = ".pgdump"
NAME = re.compile(r"^blcheck-(\d{8}-\d{6})(?:\.(\d+))?(\.sqlite3|\.pgdump)$")
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
# Pages per step of SQLite's backup, and a pause after each step: the copy
# holds only a read transaction, but a pause keeps its I/O from crowding out
# the app's on a slow disk (1024 pages of 4 KiB: 4 MiB a step).
STEP_PAGES = 1024
STEP_PAUSE = 0.005


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int
    seconds: float
    removed: tuple[Path, ...]


def _settings_dict(alias: str) -> dict[str, Any]:
    return dict(connections[alias].settings_dict)


def _is_sqlite(db: dict[str, Any]) -> bool:
    return str(db["ENGINE"]).endswith("sqlite3")


def backup_dir() -> Path:
    """DATA_DIR/backups, made 0700 (and tightened when left open)."""
    path = Path(settings.DATA_DIR) / "backups"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def _backups(folder: Path) -> list[Path]:
    """Our backup files in the folder, oldest first."""

    def order(path: Path) -> tuple[str, int]:
        match = NAME.match(path.name)
        assert match is not None
        return match[1], int(match[2] or 0)

    return sorted((p for p in folder.iterdir() if NAME.match(p.name)), key=order)


def _place(temporary: Path, folder: Path, stamp: str, suffix: str) -> Path:
    """Link the finished copy to its name; never overwrite an earlier one."""
    for n in range(100):
        path = folder / f"blcheck-{stamp}{f'.{n}' if n else ''}{suffix}"
        try:
            os.link(temporary, path)
        except FileExistsError:
            continue
        return path
    raise BackupError(f"too many backups named blcheck-{stamp} in {folder}")


def backup_create(
    *,
    alias: str = "default",
    keep: int | None = None,
    now: datetime | None = None,
    pages: int = STEP_PAGES,
    pause: float = STEP_PAUSE,
) -> Backup:
    """Write one consistent copy of the database, then keep the newest `keep`."""
    db = _settings_dict(alias)
    keep = settings.BACKUP_KEEP if keep is None else keep
    folder = backup_dir()
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    suffix = SQLITE_SUFFIX if _is_sqlite(db) else PG_SUFFIX
    started = time.monotonic()
    fd, name = tempfile.mkstemp(dir=folder, prefix=".partial-", suffix=suffix)
    os.close(fd)  # mkstemp makes it 0600; the copy is written by name
    temporary = Path(name)
    try:
        if _is_sqlite(db):
            _sqlite_backup(Path(db["NAME"]), temporary, pages=pages, pause=pause)
        else:
            _pg_dump(db, temporary)
        _fsync(temporary)
        path = _place(temporary, folder, stamp, suffix)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync(folder)
    # The new copy stays even if the clock went back; the oldest others go.
    others = [old for old in _backups(folder) if old != path]
    removed = tuple(others[: max(len(others) - (keep - 1), 0)])
    for old in removed:
        old.unlink(missing_ok=True)
    return Backup(
        path=path,
        size=path.stat().st_size,
        seconds=time.monotonic() - started,
        removed=removed,
    )


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sqlite_backup(source: Path, target: Path, *, pages: int, pause: float) -> None:
    if not source.exists():
        raise BackupError(f"there is no database at {source} to back up")
    src = sqlite3.connect(source, isolation_level=None, timeout=20)
    dst = sqlite3.connect(target, isolation_level=None)
    try:
        # One read transaction for the whole copy: every step reads the same
        # snapshot, so writes meanwhile neither restart the copy nor enter it.
        src.execute("BEGIN")
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()
        src.backup(dst, pages=pages, progress=lambda *_: time.sleep(pause))
        src.execute("COMMIT")
        # One self-contained file: the copy took the source's WAL mode.
        dst.execute("PRAGMA journal_mode=DELETE")
        _sqlite_verify(dst, target)
    finally:
        dst.close()
        src.close()


def _sqlite_verify(db: sqlite3.Connection, path: Path) -> None:
    problems = [row[0] for row in db.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise BackupError(f"{path} fails SQLite's integrity check: {problems[:3]}")


def _pg_env(db: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Connection flags for pg_dump/pg_restore; the password goes in the env."""
    flags = []
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            flags.append(f"{flag}={db[key]}")
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return flags, env


def _pg_options(db: dict[str, Any]) -> dict[str, Any]:
    keys = ("HOST", "PORT", "USER", "PASSWORD")
    return {key.lower(): db[key] for key in keys if db.get(key)}


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"{name} is not installed, so the PostgreSQL database cannot be "
            f"{'backed up' if name == 'pg_dump' else 'restored'}; install the "
            "PostgreSQL client (Debian: apt-get install postgresql-client) in a "
            "version at least the server's."
        )
    return found


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        raise BackupError(
            f"{Path(command[0]).name} failed (exit {done.returncode}): "
            + (done.stderr.strip() or done.stdout.strip())[-2000:]
        )


def _pg_dump(db: dict[str, Any], target: Path) -> None:
    flags, env = _pg_env(db)
    command = [_pg_tool("pg_dump"), "--format=custom", f"--file={target}", *flags]
    _run([*command, f"--dbname={db['NAME']}"], env)


# --- Restore -----------------------------------------------------------------


def backup_kind(path: Path) -> str:
    """ "sqlite" or "postgresql", read from the file's first bytes."""
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from exc
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is neither a SQLite database nor a pg_dump -Fc file")


def database_tables(db: dict[str, Any]) -> list[str]:
    """The tables of the database `db` describes; none when it does not exist."""
    if _is_sqlite(db):
        path = Path(db["NAME"])
        if not path.exists():
            return []
        con = sqlite3.connect(path)
        try:
            rows = con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            ).fetchall()
        finally:
            con.close()
        return [row[0] for row in rows]
    import psycopg

    with psycopg.connect(dbname=db["NAME"], **_pg_options(db)) as pg:
        rows = pg.execute(
            "SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname "
            "NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
        ).fetchall()
    return [row[0] for row in rows]


def backup_restore(
    path: Path,
    *,
    alias: str = "default",
    db: dict[str, Any] | None = None,
    force: bool = False,
) -> str:
    """Bring a backup back into the database (`alias`'s, or `db`); returns its name.

    Refuses a database that has tables unless `force`: then SQLite's file is
    replaced, and PostgreSQL's tables are dropped before the restore.
    """
    configured = db is None
    db = db or _settings_dict(alias)
    kind = backup_kind(path)
    wanted = "sqlite" if _is_sqlite(db) else "postgresql"
    if kind != wanted:
        raise BackupError(f"{path} is a {kind} backup; the database is {wanted}")
    if kind == "postgresql":
        _pg_tool("pg_restore")  # missing: say so before touching anything
    tables = database_tables(db)
    if tables and not force:
        raise BackupError(
            f"the database {db['NAME']} is not empty ({len(tables)} tables); "
            "restore only into an empty database, or pass --force to replace it"
        )
    if configured:
        connections[alias].close()  # this process lets go of the old database
    if kind == "sqlite":
        _sqlite_restore(path, Path(db["NAME"]))
    else:
        _pg_restore(path, db, drop=tables)
    return str(db["NAME"])


def _sqlite_restore(source: Path, target: Path) -> None:
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.restore-")
    os.close(fd)
    temporary = Path(name)
    try:
        with source.open("rb") as src, temporary.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        con = sqlite3.connect(temporary, isolation_level=None)
        try:
            con.execute("PRAGMA journal_mode=DELETE")
            _sqlite_verify(con, source)
        finally:
            con.close()
        _fsync(temporary)
        # A -wal left by the old database would be replayed into the new one.
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        temporary.replace(target)
        _fsync(target.parent)
    finally:
        temporary.unlink(missing_ok=True)


def _pg_restore(path: Path, db: dict[str, Any], *, drop: list[str]) -> None:
    tool = _pg_tool("pg_restore")
    flags, env = _pg_env(db)
    _run([tool, "--list", str(path)], env)  # a damaged dump fails before any drop
    if drop:
        import psycopg
        from psycopg import sql

        with psycopg.connect(dbname=db["NAME"], **_pg_options(db)) as pg:
            for table in drop:
                schema, _, name = table.partition(".")
                pg.execute(
                    sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(
                        sql.Identifier(schema, name)
                    )
                )
    command = [tool, "--exit-on-error", "--single-transaction", "--no-owner", *flags]
    _run([*command, f"--dbname={db['NAME']}", str(path)], env)
