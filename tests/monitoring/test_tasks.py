"""A real Celery worker on a real Redis, against the loopback DNS server."""

import time

import pytest

from blcheck.monitoring import services
from blcheck.monitoring.models import CheckRun, Lookup
from blcheck.monitoring.tasks import check_runs
from tests.conftest import LISTED_IP
from tests.factories import TargetFactory

pytestmark = [
    pytest.mark.worker,
    pytest.mark.dns,
    pytest.mark.django_db(transaction=True),
]


def wait_for_run(run, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if not run.is_active:
            return run
        time.sleep(0.1)
    raise AssertionError(f"run still {run.status} after {seconds}s")


def test_check_now_runs_on_the_worker_after_commit(
    celery_worker, test_blocklists, it_staff
):
    target = TargetFactory(value=LISTED_IP)
    run = services.target_request_check(target=target, by=it_staff)
    run = wait_for_run(run)
    assert run.status == "finished"
    assert dict(run.lookups.values_list("blocklist__zone", "verdict")) == {
        "good.dnsbl.test": "listed",
        "second.dnsbl.test": "not_listed",
    }


def test_duplicate_delivery_writes_nothing_twice(celery_worker, test_blocklists):
    run = CheckRun.objects.create(
        target=TargetFactory(value=LISTED_IP), trigger="manual"
    )
    check_runs.delay([run.pk])
    check_runs.delay([run.pk])
    wait_for_run(run)
    time.sleep(0.5)  # let the second message be consumed too
    assert Lookup.objects.count() == 2
    assert CheckRun.objects.get().done == 2


def test_task_for_a_deleted_run_returns_quietly(celery_worker):
    check_runs.apply(args=[[999_999]]).get()


def test_beat_ticks_every_periodic_task_and_each_exists():
    from django.conf import settings

    from blcheck.celery import app

    schedule = settings.CELERY_BEAT_SCHEDULE
    tasks = {entry["task"] for entry in schedule.values()}
    assert tasks == {
        "blcheck.monitoring.tasks.dispatch_due_checks",
        "blcheck.monitoring.tasks.recover_stalled_runs",
        "blcheck.monitoring.tasks.prune_lookups",
        "blcheck.monitoring.tasks.watch_resolver",
        "blcheck.monitoring.tasks.flush_notices",
        "blcheck.reports.tasks.send_weekly_digest",
        "blcheck.cases.tasks.verify_requested_cases",
        "blcheck.cases.tasks.watch_relisting",
        "blcheck.core.tasks.backup_database",
    }
    assert tasks <= set(app.tasks)
    assert schedule["dispatch-due-checks"]["schedule"].total_seconds() == 60
