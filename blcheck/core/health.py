"""What /healthz reports: can we read and write the database, reach the
broker and a worker, and what the apps above core add (monitoring: is DNS
resolution working)."""

import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from django.db import DatabaseError, connection, transaction

from blcheck.core.broker import redis_client
from blcheck.core.heartbeat import is_worker_alive

log = logging.getLogger(__name__)

# The row written by core/migrations/0005_health_probe; a counter, so each
# write changes the page (SQLite skips a write that changes nothing).
PROBE_TABLE = "core_health_probe"
# Room the SQLite database's folder must still give: SQLite reuses its WAL,
# so a small write succeeds on a full disk while a log-in or a check fails.
DISK_HEADROOM = 1024 * 1024
# A write that cannot get the lock in this time counts as not writable.
WRITE_WAIT_SECONDS = 5


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        log.warning("health: database unreachable", exc_info=True)
        return "down"
    try:
        _room_to_grow()
        _write()
    except (DatabaseError, OSError):
        log.warning("health: database cannot be written", exc_info=True)
        return "read_only"
    return "ok"


def _room_to_grow() -> None:
    """SQLite: the file system gives DISK_HEADROOM bytes beside the database
    (allocated, then freed), or raises OSError (ENOSPC, EROFS, EDQUOT)."""
    name = str(connection.settings_dict["NAME"] or "")
    if (
        connection.vendor != "sqlite"
        or name in ("", ":memory:")
        or "mode=memory" in name
    ):
        return
    fd, path = tempfile.mkstemp(prefix=".healthz-", dir=Path(name).parent)
    try:
        os.posix_fallocate(fd, 0, DISK_HEADROOM)
    finally:
        os.close(fd)
        Path(path).unlink()


def _write() -> None:
    """One committed write: a read-only database (PostgreSQL) refuses it, and
    on SQLite the commit reaches the WAL file."""
    with _short_lock_wait(), transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SET LOCAL lock_timeout = '{WRITE_WAIT_SECONDS}s'")
        cursor.execute(
            f"INSERT INTO {PROBE_TABLE} (id, writes) VALUES (1, 1) "
            f"ON CONFLICT (id) DO UPDATE SET writes = {PROBE_TABLE}.writes + 1"
        )


@contextmanager
def _short_lock_wait() -> Iterator[None]:
    """SQLite waits its busy timeout (20 s) for the write lock; health waits less."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        before = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA busy_timeout = {WRITE_WAIT_SECONDS * 1000}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {before}")


# name -> a check returning "ok" or what is wrong; apps register theirs in
# AppConfig.ready, so core needs no import of them.
_CHECKS: dict[str, Callable[[], str]] = {}


def register(name: str, check: Callable[[], str]) -> None:
    _CHECKS[name] = check


def report() -> dict[str, str]:
    result = {"database": _database(), "broker": "ok", "worker": "stale"}
    for name, check in _CHECKS.items():
        try:
            result[name] = check()
        except DatabaseError:
            log.warning("health: %s check failed", name, exc_info=True)
            result[name] = "unknown"
    try:
        redis_client().ping()
        result["worker"] = "ok" if is_worker_alive() else "stale"
    except redis.RedisError:
        log.warning("health: broker unreachable", exc_info=True)
        result["broker"] = "down"
    return result
