"""Reads for monitoring pages."""

from django.db.models import QuerySet

from blcheck.monitoring.models import CheckRun, Lookup, Target


def target_list() -> QuerySet[Target]:
    return Target.objects.select_related("owner").order_by("value")


def run_latest(target: Target) -> CheckRun | None:
    return target.runs.first()


def run_lookups(run: CheckRun) -> QuerySet[Lookup]:
    return run.lookups.select_related("blocklist").order_by(
        "subject", "blocklist__name"
    )
