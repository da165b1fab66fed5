"""Celery entry points for cases; the rules live in services and workflow."""

import uuid
from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task(
    bind=True,
    expires=280,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=3,
)
def verify_requested_cases(self: Any) -> None:
    from blcheck.cases import services

    services.case_verify_due(claimant=self.request.id or f"local-{uuid.uuid4()}")


@shared_task(expires=280)
def watch_relisting() -> None:
    from blcheck.cases import services

    services.case_watch_relisting()


@shared_task(
    autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, max_retries=3
)
def notify_case(case_id: int, notice: str) -> None:
    from blcheck.cases import notices

    notices.case_notice_send(case_id=case_id, notice=notice)
