"""Reads for monitoring pages."""

from django.db.models import QuerySet

from blcheck.monitoring.models import Blocklist, CheckRun, Lookup, Target


def target_list() -> QuerySet[Target]:
    return Target.objects.select_related("owner").order_by("value")


def run_latest(target: Target) -> CheckRun | None:
    return target.runs.first()


def run_lookups(run: CheckRun) -> QuerySet[Lookup]:
    return run.lookups.select_related("blocklist").order_by(
        "subject", "blocklist__name"
    )


def blocklist_list() -> tuple[QuerySet[Blocklist], QuerySet[Blocklist]]:
    """(lists in use or available, retired lists)."""
    lists = Blocklist.objects.order_by("-is_enabled", "name")
    return lists.filter(is_retired=False), lists.filter(is_retired=True)
