"""Reads for the start page: counts, the target-by-list grid, and what moves.

Every function here is a fixed number of queries whatever the number of
targets, lists or rows, and none of them reads Lookup (millions of rows): the
grid is built from Listing, the current state per (target, list, address).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
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
    is_probed: bool = True  # its health is known (probed at least once)


@dataclass(frozen=True)
class DashboardCounts:
    targets: int
    listed_addresses: int
    lists_unhealthy: int
    lists_erroring: int
    lists_troubled: int  # unhealthy or erroring, each list once
    cases_open: int
    cases_overdue: int
    lists_unprobed: int = 0  # never probed: their health is not known
    targets_unchecked: int = 0  # no list shown was asked about them yet
    targets_unanswered: int = 0  # latest check blind, or every lookup failed
    targets_partly: int = 0  # some lists answered, others' lookups failed
    targets_paused: int = 0  # on the dashboard with their last answers, not checked

    @property
    def is_all_answered(self) -> bool:
        """Every target's latest lookups got answers: only then is "0 listed"
        a clean bill."""
        return not (
            self.targets_unchecked or self.targets_unanswered or self.targets_partly
        )


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
    is_blind: bool = False  # its latest check got no answers: states last known

    @property
    def is_range(self) -> bool:
        return self.target.kind == Target.Kind.RANGE


@dataclass(frozen=True)
class Grid:
    columns: list[Column]
    page: Page[Target]
    rows: list[GridRow] = field(default_factory=list)


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
            is_probed=b.health != Blocklist.Health.UNKNOWN,
        )
        for b in lists
    ]


def dashboard_counts(*, columns: list[Column]) -> DashboardCounts:
    """Three queries; the lists' figures come from the columns already read."""
    listed = (
        Listing.objects.filter(
            is_listed=True,
            blocklist_id__in=[c.pk for c in columns],
            target__archived_at__isnull=True,
        )
        .values("subject")
        .distinct()
        .count()
    )
    cases = DelistingCase.objects.exclude(status__in=ENDED).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(is_overdue=True))
    )
    targets = _target_counts(columns)
    return DashboardCounts(
        targets=targets["targets"],
        listed_addresses=listed,
        lists_unhealthy=sum(1 for c in columns if c.health),
        lists_erroring=sum(1 for c in columns if c.has_errors),
        lists_troubled=sum(1 for c in columns if c.health or c.has_errors),
        cases_open=cases["open"],
        cases_overdue=cases["overdue"],
        lists_unprobed=sum(1 for c in columns if not c.is_probed),
        targets_unchecked=targets["unchecked"],
        targets_unanswered=targets["unanswered"],
        targets_partly=targets["partly"],
        targets_paused=targets["paused"],
    )


def _blind_latest() -> QuerySet[CheckRun, Any]:
    """The ids of targets whose latest check was blind: a blind run after
    their last answered check (a blind run leaves last_checked_at alone). Read
    along the (status, lease_until) index: blind runs are few."""
    after = Q(target__last_checked_at__isnull=True) | Q(
        finished_at__gt=F("target__last_checked_at")
    )
    return CheckRun.objects.filter(after, status=CheckRun.Status.BLIND).values(
        "target_id"
    )


def _target_counts(columns: list[Column]) -> dict[str, int]:
    """Three queries, none probing every target's listings more than once:
    the enabled targets, how many were never asked (one anti-join), got no
    answer at their latest check (every lookup failed, or it was blind) or
    got answers from some lists only, and how many are paused (archived
    ones are not on the dashboard). Failing lookups are few (the partial
    index listing_erroring holds them), so the answered/failing split is
    read for those targets only."""
    on = _on_lists(columns)
    live = Q(target__is_enabled=True, target__archived_at__isnull=True)
    fits = Q(pk__in=[])
    for family in {kind for c in columns for kind in c.kinds}:
        fits |= _family_q(family)
    asked = Exists(on.filter(target=OuterRef("pk")))
    enabled = Q(is_enabled=True)
    counts = Target.objects.current().aggregate(
        targets=Count("pk", filter=enabled),
        unchecked=Count(
            "pk", filter=enabled & fits & ~asked & ~Q(pk__in=_blind_latest())
        ),
        paused=Count("pk", filter=~enabled),
    )
    blind = set(_blind_latest().filter(live).values_list("target_id", flat=True))
    failing = {
        row["target_id"]: row["answered"]
        for row in on.filter(
            live, target__in=on.exclude(last_error="").values("target")
        )
        .values("target_id")
        .annotate(answered=Count("pk", filter=Q(last_error="")))
        .order_by()
    }
    counts["unanswered"] = len(blind | {t for t, n in failing.items() if not n})
    counts["partly"] = sum(1 for t, n in failing.items() if n and t not in blind)
    return counts


def grid_target_list() -> QuerySet[Target]:
    """The grid's rows before filters: the targets not archived (paused ones
    show their last answers, marked paused)."""
    return Target.objects.current()


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
    columns shown: five queries (count, page, cells, cases, blind checks)."""
    paginator = Paginator(targets, GRID_PAGE_SIZE)
    page = paginator.get_page(page_number)
    shown = list(page.object_list)
    ids = [t.pk for t in shown]
    cells = _cell_rows(ids, columns) if ids and columns else {}
    cases = _case_ids(ids, columns) if cells else {}
    blind = set(
        _blind_latest().filter(target_id__in=ids).values_list("target_id", flat=True)
        if ids
        else ()
    )
    rows = [
        GridRow(
            t,
            [_cell(t, c, cells.get((t.pk, c.pk)), cases) for c in columns],
            is_blind=t.pk in blind,
        )
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
