"""The Celery app. Settings come from Django's settings, namespace CELERY."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "blcheck.settings")

app = Celery("blcheck")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
