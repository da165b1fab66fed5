from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """The dashboard, history and reports: read-only pages, no models."""

    name = "blcheck.reports"
    verbose_name = _("History and reports")
