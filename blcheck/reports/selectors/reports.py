"""Reads for the managers' reports: what the report modules share, and the
index page's headline figures.

Every selector runs a fixed number of queries whatever the row count. Counts
are grouped in SQL; only medians are taken in Python, over a values_list of
the period's timestamps (a few tens of thousands of rows at most).
The reports themselves: reports_listings (episodes) and reports_cases (work).
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
)
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from blcheck.cases.models import DelistingCase
from blcheck.cases.workflow import ENDED
from blcheck.monitoring.models import ListingChange
from blcheck.reports import stats
from blcheck.reports.stats import Period

LISTED = ListingChange.Kind.LISTED


def period_bounds(period: Period) -> tuple[datetime, datetime]:
    """The period as aware datetimes at midnight in the current time zone."""
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(period.first, time(), tzinfo=zone),
        datetime.combine(period.end, time(), tzinfo=zone),
    )


def within(field_name: str, period: Period) -> Q:
    start, end = period_bounds(period)
    return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})


class Seconds(Func):
    """`end - start` in seconds, as a float computed by the database. Reading
    one float per row costs a fraction of parsing two timestamps, which is
    what a median over tens of thousands of rows mostly spends its time on."""

    output_field = FloatField()

    def __init__(self, end: Any, start: Any) -> None:
        super().__init__(ExpressionWrapper(end - start, output_field=DurationField()))

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, Any]:
        template = "EXTRACT(EPOCH FROM %(expressions)s)::float8"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, Any]:
        # SQLite subtracts timestamps into microseconds.
        template = "(%(expressions)s) / 1000000.0"
        return self.as_sql(compiler, connection, template=template, **extra)


def episodes_begun(period: Period) -> QuerySet[ListingChange]:
    """Listing episodes that began in the period (their LISTED changes)."""
    return ListingChange.objects.filter(within("at", period), kind=LISTED).order_by()


def request_times(
    period: Period,
) -> dict[tuple[int, str], tuple[list[timedelta], int]]:
    """(request → verified durations, count still awaiting) per list, for the
    requests made in the period. One query."""
    rows = (
        DelistingCase.objects.filter(within("requested_at", period))
        .annotate(taken=Seconds(F("verified_at"), F("requested_at")))
        .values_list("blocklist_id", "blocklist__name", "taken", "status")
        .order_by()
    )
    times: dict[tuple[int, str], tuple[list[timedelta], int]] = {}
    for blocklist_id, name, taken, status in rows:
        durations, awaiting = times.get((blocklist_id, name), ([], 0))
        # A verification older than the (re-)request does not answer it.
        if taken is not None and taken >= 0:
            durations.append(timedelta(seconds=taken))
        elif status not in ENDED:
            awaiting += 1
        times[(blocklist_id, name)] = (durations, awaiting)
    return times


# -- the index page's headline figures -----------------------------------------


@dataclass(frozen=True)
class Headlines:
    new_listings: int
    median_request_to_removal: timedelta | None
    active_cases: int
    cases_over_four_weeks: int
    repeat_addresses: int
    overdue_cases: int
    unassigned_cases: int


def report_headlines(*, period: Period, now: datetime) -> Headlines:
    """One figure per report, from cheap queries (four)."""
    requests = [durations for durations, _awaiting in request_times(period).values()]
    cases = DelistingCase.objects.exclude(status__in=ENDED).aggregate(
        active=Count("pk"),
        old=Count("pk", filter=Q(opened_at__lte=now - stats.AGE_BUCKETS[-1][0])),
        overdue=Count("pk", filter=Q(is_overdue=True)),
        unassigned=Count("pk", filter=Q(assignee__isnull=True)),
    )
    repeats = (
        episodes_begun(period)
        .values("listing__target_id", "listing__subject")
        .annotate(episodes=Count("pk"))
        .filter(episodes__gte=2)
    )
    return Headlines(
        new_listings=episodes_begun(period).count(),
        median_request_to_removal=stats.median([d for ds in requests for d in ds]),
        active_cases=cases["active"],
        cases_over_four_weeks=cases["old"],
        repeat_addresses=repeats.count(),
        overdue_cases=cases["overdue"],
        unassigned_cases=cases["unassigned"],
    )
