from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "blcheck.core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Connects the worker heartbeat to Celery's worker signals.
        from blcheck.core import heartbeat  # noqa: F401
