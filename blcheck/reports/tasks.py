"""Celery entry points of the reports: thin, they call one function each."""

from celery import shared_task


@shared_task(expires=3000)
def send_weekly_digest() -> None:
    """Beat, weekly (BLCHECK_DIGEST_DAY, BLCHECK_DIGEST_HOUR, site time)."""
    from blcheck.reports import digest

    digest.digest_send()
