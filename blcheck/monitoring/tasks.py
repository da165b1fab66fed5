"""Celery entry points. Each takes ids, calls one service, and is safe to run twice."""

import uuid
from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError


# acks_late: a worker that dies mid-batch leaves the message for another; the
# run claims (with leases) make a second delivery harmless. Retries are for
# the database going away or refusing writes (a full disk); the retry keeps the
# task id, so it resumes its runs. The wait doubles from 5 s to at most 5 min
# (full jitter, so a thousand runs do not return at once): 12 retries span
# about 35 min, half that on average. The cap stays far below the broker's
# visibility timeout (1 h), or a waiting retry would be delivered twice. Runs
# whose retries ran out stay queued, or running with a lease that ends; the
# first recover_stalled_runs tick after writes work queues them again.
@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=12,
)
def check_runs(self: Any, run_ids: list[int]) -> None:
    from blcheck.monitoring import services

    claimant = self.request.id or f"local-{uuid.uuid4()}"
    services.run_check(run_ids=run_ids, claimant=claimant)


@shared_task(expires=50)
def dispatch_due_checks() -> None:
    from blcheck.monitoring import services

    services.run_dispatch_due()


@shared_task(expires=50)
def recover_stalled_runs() -> None:
    """Runs whose lease ran out, then queued runs whose message is gone."""
    from blcheck.monitoring import services
    from blcheck.monitoring.services.requeue import run_requeue_lost

    services.run_recover_stalled()
    run_requeue_lost()


@shared_task(expires=3000)
def prune_lookups() -> None:
    from blcheck.monitoring import services

    services.lookup_prune()


@shared_task(expires=50)
def flush_notices() -> None:
    """Beat, every minute: what waited a notification window goes out."""
    from blcheck.monitoring.services import notices

    notices.notice_flush()


@shared_task
def notify_run(run_id: int) -> None:
    """Only for messages queued before notices waited for a window."""
    from blcheck.monitoring.services import notices

    notices.notice_record_run(run_id=run_id)


@shared_task
def notify_health(zones: list[list[str]]) -> None:
    """Only for messages queued before notices waited for a window."""
    from blcheck.monitoring.services import notices

    notices.notice_record_health(turned=zones)


# Sending catches each recipient's failure itself (a retry would send again
# to everyone reached); a retry is for the database going away before it.
@shared_task(
    autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, max_retries=3
)
def notify_outage(outage_id: int) -> None:
    """At once, not gathered: DNS resolution fails, or works again."""
    from blcheck.monitoring.services import notifications

    notifications.outage_notify(outage_id=outage_id)


@shared_task(expires=50)
def watch_resolver() -> None:
    """An open outage ends when the resolver answers, even with no run due."""
    from blcheck.monitoring import services

    services.resolver_outage_watch()
