from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """History and reports for managers: read-only, no models."""

    name = "blcheck.reports"
    verbose_name = _("History and reports")
