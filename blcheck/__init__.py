"""blcheck: watches mail-server addresses on DNS blocklists and tracks delisting."""

from blcheck.celery import app as celery_app

__all__ = ("celery_app",)
