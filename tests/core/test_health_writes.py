"""/healthz says whether the database takes writes, and check_runs waits out
a write outage instead of giving up in seconds.

SQLite: the test database is copied onto a tiny tmpfs that is then filled (a
real full disk; root, as in CI). PostgreSQL: the connection is made read-only
(default_transaction_read_only), the stand-in for a database that refuses writes.
"""

import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from celery import signals
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from blcheck.core import health
from blcheck.core.heartbeat import beat_once
from blcheck.monitoring import services
from blcheck.monitoring.models import CheckRun, Lookup
from blcheck.monitoring.tasks import check_runs
from tests.conftest import LISTED_IP
from tests.factories import TargetFactory

pytestmark = pytest.mark.django_db(transaction=True)

sqlite_only = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="a full disk is reproduced with SQLite's file",
)
postgres_only = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="a read-only PostgreSQL session",
)


class FullDisk:
    def __init__(self, folder: Path) -> None:
        self.filler = folder / "filler"

    def fill(self) -> None:
        with self.filler.open("ab", buffering=0) as out:
            try:
                while True:
                    out.write(b"\0" * 4096)
            except OSError:
                pass  # ENOSPC: the disk is full

    def free(self) -> None:
        self.filler.unlink()


@contextmanager
def full_disk(*, wal_room: bool = False) -> Iterator[FullDisk]:
    """The database (as it is now) on a filled 8 MiB tmpfs, for every thread's
    connection (they share the settings dict). wal_room: the WAL has held
    writes before and is reused, so small writes still succeed."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    settings_dict = connection.settings_dict
    original = settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    folder = Path(tempfile.mkdtemp(prefix="blcheck-full-"))
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", str(folder)],
        check=True,
    )
    try:
        shutil.copyfile(original, folder / "db.sqlite3")
        settings_dict["NAME"] = str(folder / "db.sqlite3")
        with connection.cursor() as cursor:  # opens the -wal and -shm files
            cursor.execute("SELECT 1")
            if wal_room:
                cursor.execute("CREATE TABLE scratch (blob BLOB)")
                cursor.execute("INSERT INTO scratch VALUES (zeroblob(200000))")
                cursor.execute("DROP TABLE scratch")
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        disk = FullDisk(folder)
        disk.fill()
        yield disk
    finally:
        connection.close()
        settings_dict["NAME"] = original
        subprocess.run(["umount", "-l", str(folder)], check=True)
        folder.rmdir()


def log_in(user_name: str) -> int:
    browser = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    response = browser.post(
        reverse("login"), {"username": user_name, "password": "pw-" + user_name}
    )
    return response.status_code


def healthz() -> tuple[int, str]:
    """Status and the database's part, with a worker heartbeat so that the
    database decides the status."""
    beat_once()
    response = Client().get("/healthz")
    return response.status_code, response.json()["database"]


def probe_writes() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT writes FROM {health.PROBE_TABLE} WHERE id = 1")
        return int(cursor.fetchone()[0])


# --- /healthz -----------------------------------------------------------------


def test_healthz_commits_a_write():
    before = probe_writes()
    assert healthz() == (200, "ok")
    assert probe_writes() == before + 1


def test_concurrent_probes_all_write():
    before = probe_writes()
    results: list[str] = []

    def poll() -> None:
        try:
            results.extend(health._database() for _ in range(5))
        finally:
            connection.close()

    threads = [threading.Thread(target=poll) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["ok"] * 30
    assert probe_writes() == before + 30


def test_a_missing_probe_row_is_written_again():
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {health.PROBE_TABLE}")
    assert healthz() == (200, "ok")
    assert probe_writes() == 1


@sqlite_only
def test_full_disk_fails_log_in_and_healthz_says_read_only(outsider):
    with full_disk():
        assert log_in("outsider") == 500
        assert healthz() == (503, "read_only")


@sqlite_only
def test_full_disk_is_read_only_even_while_small_writes_fit_the_wal(outsider):
    with full_disk(wal_room=True):
        health._write()  # the trap: a one-row write still succeeds
        assert healthz() == (503, "read_only")


@sqlite_only
def test_healthz_is_ok_again_once_there_is_room(outsider):
    with full_disk() as disk:
        assert healthz()[1] == "read_only"
        disk.free()
        assert healthz() == (200, "ok")
        assert log_in("outsider") == 302


@postgres_only
def test_read_only_postgresql_fails_log_in_and_healthz_says_read_only(outsider):
    with connection.cursor() as cursor:
        cursor.execute("SET default_transaction_read_only = on")
    try:
        assert log_in("outsider") == 500
        assert healthz() == (503, "read_only")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET default_transaction_read_only = off")
    assert healthz() == (200, "ok")


def test_database_down_is_down():
    settings_dict = connection.settings_dict
    saved = dict(settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        settings_dict["NAME"] = "/nonexistent-folder/db.sqlite3"
    else:
        settings_dict["PORT"] = 9  # nothing listens there
    try:
        assert healthz() == (503, "down")
    finally:
        connection.close()
        settings_dict.update(saved)


# --- check_runs during a write outage ----------------------------------------


def test_check_runs_waits_out_an_outage_of_several_minutes():
    assert set(check_runs.autoretry_for) == {OperationalError, InterfaceError}
    assert check_runs.retry_jitter is True
    waits = [
        min(check_runs.retry_backoff_max, check_runs.retry_backoff * 2**n)
        for n in range(check_runs.max_retries)
    ]
    # Full jitter waits a random part of each: on average half the sum.
    assert sum(waits) / 2 >= timedelta(minutes=10).total_seconds()
    # A retry waiting in a worker longer than the visibility timeout is sent twice.
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert check_runs.retry_backoff_max < visibility / 4


@sqlite_only
@pytest.mark.worker
@pytest.mark.dns
def test_check_runs_retries_after_a_write_failure(celery_worker, test_blocklists):
    run = CheckRun.objects.create(target=TargetFactory(value=LISTED_IP), trigger="t")
    retried = threading.Event()

    def on_retry(**kwargs: object) -> None:
        retried.set()

    signals.task_retry.connect(on_retry, weak=False)
    try:
        with full_disk() as disk:
            check_runs.delay([run.pk])
            assert retried.wait(30), "check_runs did not retry after the write failed"
            run.refresh_from_db()
            assert run.status == CheckRun.Status.QUEUED
            disk.free()
            deadline = timezone.now() + timedelta(seconds=60)
            while run.is_active and timezone.now() < deadline:
                time.sleep(0.2)
                run.refresh_from_db()
            assert run.status == CheckRun.Status.FINISHED
            assert Lookup.objects.filter(run=run).count() == len(test_blocklists)
    finally:
        signals.task_retry.disconnect(on_retry)


@sqlite_only
@pytest.mark.dns
def test_runs_left_queued_are_recovered_once_writes_work(test_blocklists):
    run = services.run_create(
        targets=[TargetFactory(value=LISTED_IP)], by=None, trigger="t"
    )[0]
    later = timezone.now() + timedelta(minutes=10)  # past the queued run's lease
    with full_disk() as disk:
        outcome = check_runs.apply(args=[[run.pk]])
        assert isinstance(outcome.result, OperationalError)  # every retry spent
        with pytest.raises(OperationalError):
            services.run_recover_stalled(now=later)  # a tick during the outage
        run.refresh_from_db()
        assert (run.status, run.attempts) == (CheckRun.Status.QUEUED, 0)
        disk.free()
        assert services.run_recover_stalled(now=later) == 1  # the next tick
        check_runs.apply(args=[[run.pk]]).get()  # the message it queued
        run.refresh_from_db()
        assert run.status == CheckRun.Status.FINISHED
