from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "blcheck.cases"
    verbose_name = _("Delisting cases")

    def ready(self) -> None:
        from blcheck.cases import holds
        from blcheck.monitoring.services import target_actions

        # A target with an active case stays watched (its case checks it);
        # one with any case keeps its history (archive it, never delete it).
        target_actions.holds_register(
            target_actions.ARCHIVE, holds.target_with_active_cases
        )
        target_actions.holds_register(target_actions.DELETE, holds.target_with_cases)
