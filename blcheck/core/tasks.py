"""Celery entry points of core: thin, each calls one service."""

from celery import shared_task


# A dump of a large PostgreSQL database takes minutes: its limits are its own,
# still below the broker's visibility timeout (1 h).
@shared_task(expires=3000, soft_time_limit=2400, time_limit=2700)
def backup_database() -> str:
    """Beat, nightly: one consistent copy of the database, the oldest rotated out."""
    from blcheck.core.backup import backup_create

    return str(backup_create().path)
