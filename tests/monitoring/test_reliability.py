"""Real processes: a worker killed mid-run, Redis restarted mid-run.

The worker is a `celery worker` subprocess on the test database; the run is
slowed by a per-list ceiling so there is a "middle" to interrupt.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from blcheck.monitoring.models import Blocklist, CheckRun, Target
from blcheck.monitoring.services.runs import LEASE
from blcheck.monitoring.services.targets import QUEUED_TOO_LONG
from tests.support.dnsserver import Zone
from tests.support.redis import embedded_redis

pytestmark = [
    pytest.mark.worker,
    pytest.mark.dns,
    pytest.mark.django_db(transaction=True),
]

STEP = 4  # lookups recorded per step: a run of 16 takes 4 steps at 4 queries/s


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def worker_env(redis_url: str, dns_address: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLCHECK_")}
    env.update(
        DATABASE_URL=database_url(),
        REDIS_URL=redis_url,
        BLCHECK_DNS_NAMESERVERS=dns_address,
        BLCHECK_DNS_TIMEOUT="1",
        BLCHECK_CHECK_STEP=str(STEP),
        BLCHECK_PROBE_CACHE_SECONDS="0",
        BLCHECK_DATA_DIR=str(settings.DATA_DIR),
        DJANGO_SETTINGS_MODULE="blcheck.settings",
    )
    return env


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "blcheck",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--loglevel=WARNING",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill(worker: subprocess.Popen) -> None:
    """SIGKILL the worker and its pool (its own process group), as a crash does."""
    with contextlib.suppress(ProcessLookupError):  # killed already
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)


@contextlib.contextmanager
def worker_process(env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """A `celery worker` for the with block; killed, with its pool, at the end."""
    worker = start_worker(env)
    try:
        yield worker
    finally:
        kill(worker)


def in_django(env: dict[str, str], code: str) -> None:
    """Run code in a fresh process configured like the worker (its broker)."""
    subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
        timeout=60,
    )


def request_checks(env: dict[str, str], *targets: Target) -> None:
    """Ask for checks as the web would, through the worker's broker."""
    lines = [
        f"services.target_request_check(target=Target.objects.get(pk={t.pk}), by=None)"
        for t in targets
    ]
    in_django(
        env,
        "from blcheck.monitoring import services\n"
        "from blcheck.monitoring.models import Target\n" + "\n".join(lines),
    )


def recover_stalled(env: dict[str, str], after: timedelta) -> None:
    """What beat's recover-stalled-runs task does, `after` from now."""
    later = (timezone.now() + after + timedelta(seconds=1)).isoformat()
    in_django(
        env,
        "from datetime import datetime\n"
        "from blcheck.monitoring import services\n"
        f"services.run_recover_stalled(now=datetime.fromisoformat('{later}'))",
    )


def run_under_way(env: dict[str, str], target: Target) -> CheckRun:
    """Ask for target's check and wait until the worker has recorded a step."""
    request_checks(env, target)
    run = CheckRun.objects.get(target=target)
    wait_for(
        lambda: CheckRun.objects.filter(pk=run.pk, done__gte=STEP).exists(),
        what="the first step",
    )
    return run


def wait_for(predicate, seconds: float = 30, what: str = "condition"):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def slow_list(dns_server):
    """A fresh list (own Redis bucket) capped at 4 queries/s, 192.0.2.1 listed."""
    zone = f"slow-{uuid.uuid4().hex[:8]}.dnsbl.test"
    dns_server.add_zone(
        Zone(zone, a={"2.0.0.127": ["127.0.0.2"], "1.2.0.192": ["127.0.0.2"]})
    )
    Blocklist.objects.update(is_enabled=False)
    return Blocklist.objects.create(zone=zone, name="Slow", qps=4)


@pytest.fixture
def target():
    return Target.objects.create(
        value="192.0.2.0/28", kind="range", check_interval_minutes=60
    )


def assert_complete(run: CheckRun) -> None:
    run.refresh_from_db()
    pairs = list(run.lookups.values_list("subject", "blocklist_id"))
    assert (run.status, run.total, run.done) == ("finished", 16, 16)
    assert len(pairs) == len(set(pairs)) == 16  # no duplicate, none missing
    assert run.listed_count == 1


def test_worker_killed_mid_run_completes_after_restart(
    redis_url, dns_server, slow_list, target
):
    env = worker_env(redis_url, dns_server.address)
    with worker_process(env) as worker:
        run = run_under_way(env, target)
        kill(worker)  # mid-run
        run.refresh_from_db()
        assert run.status == "running" and STEP <= run.done < 16
    with worker_process(env):  # restarted
        recover_stalled(env, after=LEASE)
        wait_for(
            lambda: CheckRun.objects.filter(pk=run.pk, status="finished").exists(),
            what="the resumed run",
        )
        assert_complete(run)


def test_redis_restarted_mid_run_loses_no_run(dns_server, slow_list, target):
    other = Target.objects.create(
        value="192.0.2.16/28", kind="range", check_interval_minutes=60
    )
    with embedded_redis() as url:
        port = url.rsplit(":", 1)[1].split("/")[0]
        env = worker_env(url, dns_server.address)
        with worker_process(env):
            request_checks(env, target, other)
            first = CheckRun.objects.get(target=target)
            second = CheckRun.objects.get(target=other)
            wait_for(
                lambda: CheckRun.objects.filter(done__gte=STEP).exists(),
                what="the first step",
            )
            # Restart Redis: its queue (the waiting run's message) is gone.
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    f"import redis; redis.Redis(port={port}).shutdown(nosave=True)",
                ],
                check=False,
                timeout=10,
                capture_output=True,
            )
            with embedded_redis(port=int(port)):
                wait_for(
                    lambda: CheckRun.objects.filter(status="finished").count() >= 1,
                    seconds=60,
                    what="the interrupted run",
                )
                recover_stalled(env, after=QUEUED_TOO_LONG)
                wait_for(
                    lambda: CheckRun.objects.filter(status="finished").count() == 2,
                    seconds=60,
                    what="both runs",
                )
    for run in (first, second):
        run.refresh_from_db()
        assert run.status == "finished" and run.done == run.total == 16


def interrupt_database(seconds: float) -> None:
    """Make the database unusable for the worker for a moment.

    PostgreSQL: drop every other connection to the test database (as a
    restart or failover would). SQLite: hold the write lock longer than the
    worker's busy timeout.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        return
    import sqlite3

    lock = sqlite3.connect(connection.settings_dict["NAME"], timeout=10)
    lock.execute("BEGIN EXCLUSIVE")
    time.sleep(seconds)
    lock.rollback()
    lock.close()


def test_database_briefly_unreachable_retries_and_writes_nothing_half(
    redis_url, dns_server, slow_list, target
):
    env = worker_env(redis_url, dns_server.address) | {"BLCHECK_SQLITE_TIMEOUT": "0.5"}
    with worker_process(env):
        run = run_under_way(env, target)
        interrupt_database(seconds=2.5)
        wait_for(
            lambda: CheckRun.objects.filter(pk=run.pk, status="finished").exists(),
            seconds=60,
            what="the retried run",
        )
        assert_complete(run)
        # The retry (same task id) claimed its own run again: not an attempt.
        assert run.attempts == 1
