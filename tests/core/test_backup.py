"""Backups that restore: a copy taken while a worker writes comes back whole.

Runs on the suite's database: SQLite by default, PostgreSQL with DATABASE_URL
(pg_dump/pg_restore; the restore goes into a database the test creates).
"""

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import timezone

from blcheck.cases.models import CaseEvent, DelistingCase
from blcheck.core.backup import BackupError, backup_create, backup_restore
from blcheck.core.tasks import backup_database
from blcheck.monitoring.models import ListingChange
from tests.factories import (
    CaseEventFactory,
    DelistingCaseFactory,
    ListingChangeFactory,
    TargetFactory,
)

POSTGRES = connection.vendor == "postgresql"
TABLES = [m._meta.db_table for m in (DelistingCase, CaseEvent, ListingChange)]


@pytest.fixture
def backups(settings: Any, tmp_path: Path) -> Path:
    """Backups go to a data folder of the test's own."""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir(mode=0o700)
    return settings.DATA_DIR / "backups"


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Settings of a database with nothing in it, as a fresh install has."""
    db = dict(connection.settings_dict)
    if not POSTGRES:
        db["NAME"] = str(tmp_path / "fresh" / "blcheck.sqlite3")
        yield db
        return
    import psycopg

    db["NAME"] = f"h_backup_dst_{uuid.uuid4().hex[:8]}"
    options = {k.lower(): db[k] for k in ("HOST", "PORT", "USER") if db.get(k)}
    with psycopg.connect(dbname="postgres", autocommit=True, **options) as admin:
        admin.execute(f'CREATE DATABASE "{db["NAME"]}"')
        yield db
        admin.execute(f'DROP DATABASE "{db["NAME"]}" WITH (FORCE)')


def rows(cursor: Any, table: str) -> list[tuple[Any, ...]]:
    cursor.execute(f'SELECT * FROM "{table}" ORDER BY id')
    return [tuple(row) for row in cursor.fetchall()]


def table_rows(db: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    if not POSTGRES:
        con = sqlite3.connect(db["NAME"])
        try:
            assert con.execute("PRAGMA foreign_key_check").fetchall() == []
            return {table: rows(con.cursor(), table) for table in TABLES}
        finally:
            con.close()
    import psycopg

    options = {k.lower(): db[k] for k in ("HOST", "PORT", "USER") if db.get(k)}
    with psycopg.connect(dbname=db["NAME"], **options) as pg:
        return {table: rows(pg.cursor(), table) for table in TABLES}


def seed() -> None:
    """Cases with their events, and listing episodes (one ended, one open)."""
    for n in range(30):
        target = TargetFactory.create(value=f"198.51.100.{n + 1}")
        case = DelistingCaseFactory.create(target=target)
        CaseEventFactory.create_batch(3, case=case, kind=CaseEvent.Kind.NOTE)
        listed = ListingChangeFactory.create(listing__target=target)
        ListingChangeFactory.create(
            listing=listed.listing, kind=ListingChange.Kind.CLEARED
        )
        ListingChangeFactory.create(listing=listed.listing)


class Writer(threading.Thread):
    """A worker's writes: one case event after another, each committed."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.written = 0
        self.failure: BaseException | None = None
        self.cases = list(DelistingCase.objects.values_list("pk", flat=True))

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                case_id = self.cases[self.written % len(self.cases)]
                CaseEvent.objects.create(
                    case_id=case_id, kind=CaseEvent.Kind.CHECKED, at=timezone.now()
                )
                self.written += 1
        except BaseException as exc:
            self.failure = exc
        finally:
            connections.close_all()


def test_a_backup_taken_while_a_worker_writes_restores_every_row(
    transactional_db: None, backups: Path, empty_database: dict[str, Any]
) -> None:
    seed()
    writer = Writer()
    writer.start()
    while writer.written < 20 and writer.is_alive():  # the worker is busy first
        threading.Event().wait(0.01)
    assert writer.failure is None
    before = writer.written
    # One page a step: the copy takes many steps, the worker writes between them.
    done = backup_create(pages=1, pause=0.002)
    during = writer.written - before
    writer.stop.set()
    writer.join(10)
    assert writer.failure is None
    assert during > 0, "the worker wrote nothing while the backup ran"

    assert backups.stat().st_mode & 0o777 == 0o700
    assert done.path.parent == backups
    assert done.path.stat().st_mode & 0o777 == 0o600
    assert done.path.suffix == (".pgdump" if POSTGRES else ".sqlite3")

    assert backup_restore(done.path, db=empty_database) == empty_database["NAME"]
    restored = table_rows(empty_database)
    source = table_rows(connection.settings_dict)
    cases, events, changes = TABLES
    assert restored[cases] == source[cases] and len(source[cases]) == 30
    assert restored[changes] == source[changes] and len(source[changes]) == 90
    # The events are a snapshot: every one committed up to a point, none after,
    # and at least all written before the backup began.
    newest = restored[events][-1][0]
    assert restored[events] == [row for row in source[events] if row[0] <= newest]
    assert len(restored[events]) >= 90 + before
    assert {row[0] for row in restored[cases]} >= {
        event.case_id for event in CaseEvent.objects.filter(pk__lte=newest)
    }


def test_restore_refuses_a_database_that_holds_tables(
    db: None, backups: Path, empty_database: dict[str, Any]
) -> None:
    done = backup_create()
    with pytest.raises(CommandError, match=r"not empty .* pass --force"):
        call_command("restore", str(done.path))
    backup_restore(done.path, db=empty_database)
    with pytest.raises(BackupError, match="not empty"):
        backup_restore(done.path, db=empty_database)
    backup_restore(done.path, db=empty_database, force=True)
    assert len(table_rows(empty_database)[TABLES[0]]) == 0


def test_restore_refuses_what_is_not_a_backup(db: None, tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database")
    with pytest.raises(CommandError, match="neither a SQLite database nor a pg_dump"):
        call_command("restore", str(junk))


def test_backups_rotate_keeping_the_newest(
    db: None, backups: Path, capsys: Any, settings: Any
) -> None:
    settings.BACKUP_KEEP = 2
    made = [
        backup_create(now=datetime(2020, 12, day, 2, 30, tzinfo=UTC)).path
        for day in (1, 2, 3)
    ]
    again = backup_create(now=datetime(2020, 12, 3, 2, 30, tzinfo=UTC))
    assert again.path.name.startswith("blcheck-20201203-023000.1.")
    assert sorted(p.name for p in backups.iterdir()) == sorted(
        [made[2].name, again.path.name]
    )
    call_command("backup")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"backup: wrote {backups}/blcheck-")
    assert out[1:] == [f"backup: removed {made[2]}"]


def test_the_nightly_task_writes_a_backup(db: None, backups: Path, settings: Any):
    entry = settings.CELERY_BEAT_SCHEDULE["nightly-backup"]
    assert entry["task"] == backup_database.name
    path = Path(backup_database.apply().get())
    assert path.parent == backups and path.exists()


@pytest.mark.skipif(not POSTGRES, reason="pg_dump is used with PostgreSQL only")
def test_without_pg_dump_the_backup_says_so(
    db: None, backups: Path, monkeypatch: Any, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no PostgreSQL client on it
    with pytest.raises(CommandError, match="pg_dump is not installed"):
        call_command("backup")
    assert list(backups.iterdir()) == []


def test_without_pg_restore_the_restore_says_so(
    monkeypatch: Any, tmp_path: Path
) -> None:
    dump = tmp_path / "blcheck-20261201-023000.pgdump"
    dump.write_bytes(b"PGDMP\x01\x0e\x00")
    monkeypatch.setenv("PATH", str(tmp_path))
    db = {"ENGINE": "django.db.backends.postgresql", "NAME": "h_backup_none"}
    with pytest.raises(BackupError, match="pg_restore is not installed"):
        backup_restore(dump, db=db)
