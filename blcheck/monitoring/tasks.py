"""Celery entry points. Each takes ids, calls one service, and is safe to run twice."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from blcheck.monitoring.models import CheckRun


@shared_task(
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
)
def check_target(run_id: int) -> None:
    from blcheck.monitoring import services

    run = (
        CheckRun.objects.select_related("target")
        .filter(pk=run_id, target__is_enabled=True)
        .first()
    )
    if run is None:
        return  # deleted or disabled since it was queued
    services.target_check(run=run)  # claims the run; a second delivery returns at once


@shared_task(expires=50)
def dispatch_due_checks() -> None:
    from blcheck.monitoring import services

    services.checks_dispatch_due()
