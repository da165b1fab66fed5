"""Two queues on the real Redis: housekeeping is never stuck behind checks, and
queued runs whose message is gone are sent again (services/requeue.py)."""

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.utils import timezone

from blcheck.celery import app as celery_app
from blcheck.core.broker import redis_client
from blcheck.monitoring.models import CheckRun
from blcheck.monitoring.services.requeue import queued_run_ids, run_requeue_lost
from blcheck.monitoring.services.targets import run_enqueue
from blcheck.monitoring.tasks import (
    check_runs,
    dispatch_due_checks,
    recover_stalled_runs,
)
from tests.conftest import LISTED_IP
from tests.factories import TargetFactory
from tests.monitoring.test_tasks import wait_for_run

pytestmark = [
    pytest.mark.worker,
    pytest.mark.dns,
    pytest.mark.django_db(transaction=True),
]

LATER = timedelta(minutes=2)  # past MESSAGE_GRACE, inside the 5-minute lease


def queue_of(task_name: str) -> str:
    return celery_app.amqp.router.route({}, task_name)["queue"].name


def purge_both_queues() -> None:
    # control.purge() empties only the queues the app last consumed from.
    with celery_app.connection_for_write() as connection:
        for queue in settings.CELERY_TASK_QUEUES:
            queue.bind(connection.default_channel).purge()
    redis_client().delete("unacked", "unacked_index")


@pytest.fixture
def empty_queues():
    purge_both_queues()
    yield
    # A worker started with `queues` narrows what the app consumes from.
    celery_app.amqp.queues.select([q.name for q in settings.CELERY_TASK_QUEUES])
    purge_both_queues()


def test_checks_have_their_queue_and_every_beat_task_the_housekeeping_one():
    assert queue_of(check_runs.name) == "checks"
    beat_tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "blcheck.monitoring.tasks.recover_stalled_runs" in beat_tasks
    assert {queue_of(name) for name in beat_tasks} == {"housekeeping"}


def test_a_dispatch_tick_runs_while_the_checks_queue_is_full(empty_queues):
    target = TargetFactory(value=LISTED_IP, next_check_at=timezone.now())
    for n in range(2000):  # minutes of work for a checks worker
        check_runs.delay([10**9 + n])
    # The housekeeping worker alone: the checks are not worked on at all.
    with start_worker(
        celery_app,
        pool="solo",
        perform_ping_check=False,
        queues=[settings.HOUSEKEEPING_QUEUE],
        loglevel="WARNING",
    ):
        dispatch_due_checks.apply_async(expires=50)  # as beat sends it
        run = wait_for_queued_run(target)
    assert run.status == CheckRun.Status.QUEUED
    assert redis_client().llen("checks") == 2001  # queued behind the others


def test_a_stalled_run_is_recovered_while_the_checks_queue_is_full(empty_queues):
    # A run whose worker died: running, its lease run out.
    run = CheckRun.objects.create(
        target=TargetFactory(value=LISTED_IP),
        trigger="schedule",
        status=CheckRun.Status.RUNNING,
        claimed_by="a-dead-task",
        attempts=1,
        lease_until=timezone.now() - timedelta(seconds=1),
    )
    for n in range(2000):  # minutes of work for a checks worker
        check_runs.delay([10**9 + n])
    with start_worker(
        celery_app,
        pool="solo",
        perform_ping_check=False,
        queues=[settings.HOUSEKEEPING_QUEUE],
        loglevel="WARNING",
    ):
        recover_stalled_runs.apply_async(expires=50)  # as beat sends it
        deadline = time.monotonic() + 20
        while not CheckRun.objects.filter(pk=run.pk, status="queued").exists():
            assert time.monotonic() < deadline, "the tick was starved"
            time.sleep(0.1)
    assert redis_client().llen("checks") == 2001  # sent again, behind the others


def wait_for_queued_run(target, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if run := CheckRun.objects.filter(target=target).first():
            return run
        time.sleep(0.1)
    raise AssertionError(f"no run dispatched within {seconds}s")


def queued_run(target) -> CheckRun:
    return CheckRun.objects.create(
        target=target,
        trigger=CheckRun.Trigger.SCHEDULE,
        lease_until=timezone.now() + timedelta(minutes=5),
    )


def test_only_runs_whose_message_is_gone_are_sent_again(empty_queues):
    lost = queued_run(TargetFactory(value="192.0.2.1"))
    waiting = queued_run(TargetFactory(value="192.0.2.2"))
    taken = queued_run(TargetFactory(value="192.0.2.3"))
    young = queued_run(TargetFactory(value="192.0.2.4"))
    run_enqueue([waiting.pk])
    run_enqueue([taken.pk])
    CheckRun.objects.exclude(pk=young.pk).update(
        created_at=timezone.now() - timedelta(minutes=2)
    )
    with celery_app.connection_for_read() as connection:
        channel = connection.default_channel
        # A worker has taken one message and not acknowledged it (acks_late).
        message = channel.basic_get("checks", no_ack=False)
        assert message is not None
        assert queued_run_ids() == {waiting.pk, taken.pk}

        assert run_requeue_lost() == 1
        assert queued_run_ids() == {lost.pk, waiting.pk, taken.pk}
        lost.refresh_from_db()
        assert lost.lease_until > timezone.now() + timedelta(minutes=4)
        # Its message is there now: the next tick sends nothing.
        assert run_requeue_lost() == 0
        channel.basic_ack(message.delivery_tag)


def test_a_run_finished_meanwhile_is_not_sent_again(empty_queues):
    run = queued_run(TargetFactory(value="192.0.2.5"))
    CheckRun.objects.filter(pk=run.pk).update(
        status=CheckRun.Status.FINISHED, created_at=timezone.now() - LATER
    )
    assert run_requeue_lost() == 0
    assert queued_run_ids() == set()


def test_a_queued_run_without_a_message_is_checked_after_one_recovery_tick(
    celery_worker, test_blocklists, empty_queues
):
    run = queued_run(TargetFactory(value=LISTED_IP))
    CheckRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - LATER)
    recover_stalled_runs.delay()
    run = wait_for_run(run, seconds=30)
    assert run.status == CheckRun.Status.FINISHED
    assert run.done == run.total == 2
