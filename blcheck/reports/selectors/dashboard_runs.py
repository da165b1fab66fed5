"""Reads for the start page's running checks: one row per run, or per group of
runs asked for together. Two index reads, whatever the number of runs."""

from dataclasses import dataclass
from uuid import UUID

from django.db.models import Case, Count, F, IntegerField, Min, Q, Sum, Value, When

from blcheck.monitoring.models import CheckRun

ACTIVE_RUN = (CheckRun.Status.QUEUED, CheckRun.Status.RUNNING)


@dataclass(frozen=True)
class RunProgress:
    """Active checks: one run, or the runs asked for together (a group)."""

    group: UUID | None
    run_id: int  # the run, when the row is one run
    target_value: str
    runs: int
    active: int
    total: int
    done: int

    @property
    def is_group(self) -> bool:
        return self.group is not None and self.runs > 1


MAX_ACTIVE_READ = 2000  # a sweep of every target queues thousands of runs


def run_active(*, limit: int = 20) -> list[RunProgress]:
    """Queued and running checks, one row per run or per group of runs.

    A group is summed over all its runs, finished ones too, as its progress
    page does, so its bar does not jump back when a run ends."""
    # Two index reads instead of one query that walks every run ever made:
    # what is active (usually nothing), then the groups it belongs to.
    active = list(
        CheckRun.objects.filter(status__in=ACTIVE_RUN).values_list("pk", "group")[
            :MAX_ACTIVE_READ
        ]
    )
    if not active:
        return []
    groups = {group for _, group in active if group is not None}
    alone = [pk for pk, group in active if group is None]
    rows = (
        CheckRun.objects.filter(Q(group__in=groups) | Q(pk__in=alone))
        .values(
            "group",
            alone=Case(
                When(group__isnull=True, then=F("pk")),
                default=Value(None),
                output_field=IntegerField(),
            ),
        )
        .annotate(
            runs=Count("pk"),
            active=Count("pk", filter=Q(status__in=ACTIVE_RUN)),
            total=Sum("total", default=0),
            done=Sum("done", default=0),
            run_id=Min("pk"),
            target_value=Min("target__value"),
            first_at=Min("created_at"),
        )
        .order_by("first_at", "run_id")[:limit]
    )
    return [
        RunProgress(
            group=r["group"],
            run_id=r["run_id"],
            target_value=r["target_value"],
            runs=r["runs"],
            active=r["active"],
            total=r["total"],
            done=r["done"],
        )
        for r in rows
    ]
