from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "blcheck.monitoring"
    verbose_name = _("Monitoring")

    def ready(self) -> None:
        # /healthz says "dns": "failing" (503) while a resolver outage is open.
        from blcheck.core import health
        from blcheck.monitoring.selectors import dns_health

        health.register("dns", dns_health)
