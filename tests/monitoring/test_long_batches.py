"""A long batch keeps its runs: each run is finished as soon as its answers
are in, every run the task holds keeps its lease while the task lives, and a
run taken over by another task is never touched again (issue 14, point 1).

Real parts: the loopback DNS server's slow zone (0.3 s an answer) makes each
step take time; a second thread with its own connection watches the rows.
"""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from blcheck.monitoring import services
from blcheck.monitoring.models import Blocklist, CheckRun
from blcheck.monitoring.services import runs as runs_module
from tests.factories import TargetFactory

pytestmark = [pytest.mark.dns, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def slow_batch(settings):
    """Three queued runs, one pair each, on a list that answers in 0.3 s, asked
    one pair a step."""
    settings.CHECK_STEP = 1
    settings.PROBE_CACHE_SECONDS = 0
    Blocklist.objects.update(is_enabled=False)
    Blocklist.objects.create(zone="slow.dnsbl.test", name="Slow")
    return [
        CheckRun.objects.create(
            target=TargetFactory(value=f"192.0.2.{n}"), trigger="manual"
        )
        for n in (20, 21, 22)
    ]


def in_thread(target):
    """Run target() in a thread with its own database connection."""
    errors = []

    def body():
        try:
            target()
        except Exception as exc:  # reported to the test
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=body)
    thread.start()
    return thread, errors


def test_each_run_is_finished_when_its_answers_are_in(slow_batch):
    services.run_check(run_ids=[r.pk for r in slow_batch], claimant="task-a")
    first, _, last = CheckRun.objects.filter(pk__in=[r.pk for r in slow_batch])
    last_answer = last.lookups.get().checked_at
    assert first.status == last.status == "finished"
    assert first.finished_at <= last_answer  # not held until the batch ended


def test_every_held_run_keeps_its_lease_while_the_task_lives(slow_batch, monkeypatch):
    # A lease shorter than the batch: without renewal of every held run, the
    # last run's lease runs out while the first ones are asked.
    monkeypatch.setattr(runs_module, "LEASE", timedelta(seconds=0.8))
    ids = [r.pk for r in slow_batch]
    thread, errors = in_thread(
        lambda: services.run_check(run_ids=ids, claimant="task-a")
    )
    expired = set()
    while thread.is_alive():
        now = timezone.now()
        expired |= set(
            CheckRun.objects.filter(
                pk__in=ids, status="running", lease_until__lt=now
            ).values_list("pk", flat=True)
        )
        time.sleep(0.05)
    thread.join()
    assert not errors
    assert expired == set()
    assert set(CheckRun.objects.values_list("status", flat=True)) == {"finished"}


def test_a_run_taken_over_is_never_touched_by_the_old_task(slow_batch):
    ids = [r.pk for r in slow_batch]
    taken = slow_batch[-1]
    thread, errors = in_thread(
        lambda: services.run_check(run_ids=ids, claimant="task-a")
    )
    deadline = time.monotonic() + 5
    while not CheckRun.objects.filter(pk=taken.pk, claimed_by="task-a").exists():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    # Another task takes the last run over (its lease ran out, say).
    CheckRun.objects.filter(pk=taken.pk).update(claimed_by="task-b")
    thread.join()
    assert not errors
    taken.refresh_from_db()
    assert (taken.status, taken.claimed_by, taken.finished_at) == (
        "running",
        "task-b",
        None,
    )
    assert taken.lookups.count() == 0  # task-a recorded nothing for it
    others = CheckRun.objects.exclude(pk=taken.pk)
    assert set(others.values_list("status", flat=True)) == {"finished"}


def test_recovery_gives_up_only_on_a_run_whose_lease_ran_out():
    target = TargetFactory(value="192.0.2.30")
    past = timezone.now() - timedelta(seconds=1)
    alive = CheckRun.objects.create(
        target=target,
        trigger="manual",
        status="running",
        claimed_by="task-a",
        attempts=5,
        lease_until=timezone.now() + timedelta(minutes=1),
    )
    dead = CheckRun.objects.create(
        target=target,
        trigger="manual",
        status="running",
        claimed_by="task-b",
        attempts=5,
        lease_until=past,
    )
    services.run_recover_stalled()
    alive.refresh_from_db()
    dead.refresh_from_db()
    assert alive.status == "running" and not alive.failure
    assert dead.status == "failed" and "gave up" in dead.failure


def test_a_retry_of_the_same_task_is_not_another_attempt():
    run = CheckRun.objects.create(
        target=TargetFactory(value="192.0.2.31"), trigger="manual"
    )
    services.run_claim(run_ids=[run.pk], claimant="task-a")
    services.run_claim(run_ids=[run.pk], claimant="task-a")  # Celery's retry
    run.refresh_from_db()
    assert run.attempts == 1
    CheckRun.objects.filter(pk=run.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    services.run_claim(run_ids=[run.pk], claimant="task-b")  # a new task
    run.refresh_from_db()
    assert (run.attempts, run.claimed_by) == (2, "task-b")
