from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "blcheck.core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # heartbeat: the worker heartbeat on Celery's worker signals.
        # datafiles: SQLite files 0600 on connect; the first admin password
        # file removed once that password is changed.
        # auth: a log-in starts the idle-session clock.
        from blcheck.core import auth, datafiles, heartbeat  # noqa: F401
