"""Reads for the start page: counts, the target-by-list grid, and what moves.

Every function here is a fixed number of queries whatever the number of
targets, lists or rows, and none of them reads Lookup (millions of rows): the
grid is built from Listing, the current state per (target, list, address).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)

from blcheck.cases.models import DelistingCase
from blcheck.cases.workflow import ENDED
from blcheck.monitoring.models import (
    Blocklist,
    CheckRun,
    Listing,
    ListingChange,
    Lookup,
    Target,
)

GRID_PAGE_SIZE = 50
ACTIVE_RUN = (CheckRun.Status.QUEUED, CheckRun.Status.RUNNING)
ERROR_LABELS = dict(Lookup.Error.choices)
# Grid states a row can be filtered by (TargetGridFilter offers them).
LISTED, ERRORING, NEVER = "listed", "erroring", "never"


@dataclass(frozen=True)
class Column:
    """An enabled, not retired list: one column of the grid."""

    pk: int
    name: str
    zone: str
    kinds: frozenset[str]  # of "ipv4", "ipv6", "domain": what the list covers
    health: str  # the label; empty when healthy or not probed yet
    has_errors: bool  # some listing's latest lookup on this list failed


@dataclass(frozen=True)
class DashboardCounts:
    targets: int
    listed_addresses: int
    lists_unhealthy: int
    lists_erroring: int
    lists_troubled: int  # unhealthy or erroring, each list once
    cases_open: int
    cases_overdue: int


@dataclass(frozen=True)
class Cell:
    """One (target, list) square: its state and what the template tells."""

    column: Column
    state: str  # "listed", "not_listed", "error", "never" or "not_applicable"
    listed: int = 0
    erroring: int = 0
    error: str = ""  # the error's label, when the latest lookup failed
    subject: str = ""  # the listed address, when exactly one is listed
    listed_since: datetime | None = None
    case_id: int | None = None  # the active case of that one listed address


@dataclass(frozen=True)
class GridRow:
    target: Target
    cells: list[Cell]

    @property
    def is_range(self) -> bool:
        return self.target.kind == Target.Kind.RANGE


@dataclass(frozen=True)
class Grid:
    columns: list[Column]
    page: Page[Target]
    rows: list[GridRow] = field(default_factory=list)


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


def _family_q(family: str) -> Q:
    if family == "domain":
        return Q(kind=Target.Kind.DOMAIN)
    v6 = Q(value__contains=":")
    return ~Q(kind=Target.Kind.DOMAIN) & (v6 if family == "ipv6" else ~v6)


def blocklist_columns() -> list[Column]:
    """The grid's columns by name, with health and "some lookup failed"."""
    failing = Listing.objects.filter(
        ~Q(last_error=""), blocklist=OuterRef("pk"), target__is_enabled=True
    )  # the partial index listing_erroring holds just these rows
    lists = (
        Blocklist.objects.filter(is_enabled=True, is_retired=False)
        .annotate(has_errors=Exists(failing))
        .order_by("name", "pk")
    )
    return [
        Column(
            pk=b.pk,
            name=b.name,
            zone=b.zone,
            kinds=b.kinds,
            health="" if b.is_healthy else b.get_health_display(),
            has_errors=b.has_errors,  # type: ignore[attr-defined]
        )
        for b in lists
    ]


def dashboard_counts(*, columns: list[Column]) -> DashboardCounts:
    """Three queries; the lists' figures come from the columns already read."""
    listed = (
        Listing.objects.filter(
            is_listed=True,
            blocklist_id__in=[c.pk for c in columns],
            target__is_enabled=True,
        )
        .values("subject")
        .distinct()
        .count()
    )
    cases = DelistingCase.objects.exclude(status__in=ENDED).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(is_overdue=True))
    )
    return DashboardCounts(
        targets=Target.objects.filter(is_enabled=True).count(),
        listed_addresses=listed,
        lists_unhealthy=sum(1 for c in columns if c.health),
        lists_erroring=sum(1 for c in columns if c.has_errors),
        lists_troubled=sum(1 for c in columns if c.health or c.has_errors),
        cases_open=cases["open"],
        cases_overdue=cases["overdue"],
    )


def grid_target_list() -> QuerySet[Target]:
    """The grid's rows before filters: the enabled targets."""
    return Target.objects.filter(is_enabled=True)


def _on_lists(columns: list[Column]) -> QuerySet[Listing]:
    return Listing.objects.filter(blocklist_id__in=[c.pk for c in columns])


def _listed(columns: list[Column]) -> QuerySet[Listing, Any]:
    """The ids of targets listed on the lists shown (a subquery)."""
    return _on_lists(columns).filter(is_listed=True).values("target_id")


def _erroring(columns: list[Column]) -> QuerySet[Listing, Any]:
    """The ids of targets whose latest lookup on a list shown failed."""
    return _on_lists(columns).filter(~Q(last_error="")).values("target_id")


def grid_in_state(
    targets: QuerySet[Target], state: str, *, columns: list[Column]
) -> QuerySet[Target]:
    """The targets LISTED, ERRORING or NEVER (checked) on the lists shown."""
    if state == LISTED:
        return targets.filter(pk__in=_listed(columns))
    if state == ERRORING:
        return targets.filter(pk__in=_erroring(columns))
    if state == NEVER:
        # No result on the lists shown, among the targets those lists cover.
        fits = Q(pk__in=[])
        for family in {kind for c in columns for kind in c.kinds}:
            fits |= _family_q(family)
        checked = Exists(_on_lists(columns).filter(target=OuterRef("pk")))
        return targets.filter(fits).exclude(checked)
    return targets


def grid_order(targets: QuerySet[Target], *, columns: list[Column]) -> QuerySet[Target]:
    """Listed first, then erroring, then the rest, each by value (what needs a
    look is on the first page)."""
    return targets.annotate(
        has_listing=Case(When(pk__in=_listed(columns), then=1), default=0),
        has_error=Case(When(pk__in=_erroring(columns), then=1), default=0),
    ).order_by("-has_listing", "-has_error", "value")


def _cell_rows(
    target_ids: list[int], columns: list[Column]
) -> dict[tuple[int, int], dict[str, Any]]:
    """One query: the page's listings summed per (target, list) in SQL."""
    rows = (
        Listing.objects.filter(
            target_id__in=target_ids, blocklist_id__in=[c.pk for c in columns]
        )
        .values("target_id", "blocklist_id")
        .annotate(
            listed=Count("pk", filter=Q(is_listed=True)),
            erroring=Count("pk", filter=~Q(last_error="")),
            error=Max("last_error"),
            subject=Max("subject", filter=Q(is_listed=True)),
            listed_since=Min("listed_since"),
        )
        .order_by()
    )
    return {(r["target_id"], r["blocklist_id"]): r for r in rows}


def _case_ids(
    target_ids: list[int], columns: list[Column]
) -> dict[tuple[int, int, str], int]:
    cases = (
        DelistingCase.objects.filter(
            target_id__in=target_ids, blocklist_id__in=[c.pk for c in columns]
        )
        .exclude(status__in=ENDED)
        .values_list("target_id", "blocklist_id", "subject", "pk")
    )
    return {(t, b, s): pk for t, b, s, pk in cases}


def _cell(
    target: Target,
    column: Column,
    row: dict[str, Any] | None,
    cases: dict[tuple[int, int, str], int],
) -> Cell:
    if row is None:
        covered = target.family in column.kinds
        return Cell(column, "never" if covered else "not_applicable")
    # A failed lookup keeps the last known state: it is never "not listed".
    state = "listed" if row["listed"] else "error" if row["erroring"] else "not_listed"
    subject = row["subject"] if row["listed"] == 1 else ""
    return Cell(
        column=column,
        state=state,
        listed=row["listed"],
        erroring=row["erroring"],
        error=ERROR_LABELS.get(row["error"], row["error"]) if row["erroring"] else "",
        subject=subject,
        listed_since=row["listed_since"],
        case_id=cases.get((target.pk, column.pk, subject)) if subject else None,
    )


def dashboard_grid(
    *, columns: list[Column], targets: QuerySet[Target], page_number: str | None
) -> Grid:
    """A page of the targets (filtered and ordered by TargetGridFilter) by the
    columns shown: four queries (count, page, cells, cases)."""
    paginator = Paginator(targets, GRID_PAGE_SIZE)
    page = paginator.get_page(page_number)
    shown = list(page.object_list)
    ids = [t.pk for t in shown]
    cells = _cell_rows(ids, columns) if ids and columns else {}
    cases = _case_ids(ids, columns) if cells else {}
    rows = [
        GridRow(t, [_cell(t, c, cells.get((t.pk, c.pk)), cases) for c in columns])
        for t in shown
    ]
    return Grid(columns=columns, page=page, rows=rows)


def listing_change_latest(*, limit: int = 10) -> list[ListingChange]:
    return list(
        ListingChange.objects.select_related(
            "listing__target", "listing__blocklist"
        ).order_by("-at", "-pk")[:limit]
    )


def case_due(*, limit: int = 10) -> list[DelistingCase]:
    """Cases still being worked, the one due first on top (no due time: last)."""
    return list(
        DelistingCase.objects.exclude(status__in=ENDED)
        .select_related("target", "blocklist", "assignee")
        .order_by(
            F("removal_due_at").asc(nulls_last=True),
            F("reevaluate_at").asc(nulls_last=True),
            "opened_at",
            "pk",
        )[:limit]
    )


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
