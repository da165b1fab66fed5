"""Reports over delisting cases: open-case ageing and cases per staff member."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db.models import Count, F, Q
from django.utils.translation import gettext

from blcheck.cases.models import DelistingCase
from blcheck.cases.workflow import ENDED
from blcheck.reports import stats
from blcheck.reports.selectors.reports import Seconds, within
from blcheck.reports.stats import Durations, Period

OLDEST_CASES = 10


# -- 3. open-case ageing --------------------------------------------------------


@dataclass(frozen=True)
class StatusAges:
    status: str
    label: str
    counts: list[int]  # per age bucket (stats.AGE_BUCKETS)
    overdue: int

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class CaseAgeing:
    by_status: list[StatusAges]
    counts: list[int]  # per age bucket, all statuses
    overdue: int
    oldest: list[DelistingCase] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts)


def _age_filter(now: datetime, index: int) -> Q:
    lower, upper = stats.AGE_BUCKETS[index]
    older = Q(opened_at__lte=now - lower) if index else Q()  # future: youngest
    return older & Q(opened_at__gt=now - upper) if upper is not None else older


def case_ageing(*, now: datetime) -> CaseAgeing:
    """Cases still being worked, counted by status and by age since opening,
    and the oldest of them. Two queries."""
    active = DelistingCase.objects.exclude(status__in=ENDED)
    buckets = {
        f"bucket{index}": Count("pk", filter=_age_filter(now, index))
        for index in range(len(stats.AGE_BUCKETS))
    }
    grouped = {
        row["status"]: row
        for row in active.values("status")
        .annotate(overdue=Count("pk", filter=Q(is_overdue=True)), **buckets)
        .order_by()
    }
    by_status = [
        StatusAges(
            status=status.value,
            label=str(status.label),
            counts=[grouped[status][name] for name in buckets],
            overdue=grouped[status]["overdue"],
        )
        for status in DelistingCase.Status
        if status in grouped
    ]
    oldest = active.select_related("target", "blocklist", "assignee").order_by(
        "opened_at", "pk"
    )[:OLDEST_CASES]
    return CaseAgeing(
        by_status=by_status,
        counts=stats.column_sums([row.counts for row in by_status], len(buckets)),
        overdue=sum(row.overdue for row in by_status),
        oldest=list(oldest),
    )


# -- 5. cases per staff member -------------------------------------------------


@dataclass(frozen=True)
class Workload:
    name: str
    user_id: int | None  # None: the unassigned cases
    opened: int  # in the period
    active: int  # now
    overdue: int  # now
    verified: int  # in the period
    closed: int  # in the period
    to_verify: Durations  # opened → removal verified, for those verified


def _person(user: User | None) -> str:
    if user is None:
        return gettext("Unassigned")
    return user.get_full_name() or user.get_username()


def _open_to_verified(period: Period) -> dict[int | None, list[timedelta]]:
    durations: dict[int | None, list[timedelta]] = defaultdict(list)
    for assignee_id, taken in (
        DelistingCase.objects.filter(within("verified_at", period))
        .annotate(taken=Seconds(F("verified_at"), F("opened_at")))
        .values_list("assignee_id", "taken")
        .order_by()
    ):
        if taken >= 0:
            durations[assignee_id].append(timedelta(seconds=taken))
    return durations


def case_workload(*, period: Period) -> list[Workload]:
    """Per assignee (and the unassigned): cases opened, verified and closed in
    the period, active and overdue now, and the median time from opening to
    verified removal. Three queries; sorted by name, the unassigned last."""
    active = ~Q(status__in=ENDED)
    closed = Q(status=DelistingCase.Status.CLOSED) & within("closed_at", period)
    counts = {
        "opened": Count("pk", filter=within("opened_at", period)),
        "active": Count("pk", filter=active),
        "overdue": Count("pk", filter=active & Q(is_overdue=True)),
        "verified": Count("pk", filter=within("verified_at", period)),
        "closed": Count("pk", filter=closed),
    }
    relevant = within("opened_at", period) | active | within("verified_at", period)
    grouped = list(
        DelistingCase.objects.filter(relevant | closed)
        .values("assignee_id")
        .annotate(**counts)
        .order_by()
    )
    users = User.objects.in_bulk([row["assignee_id"] for row in grouped])
    durations = _open_to_verified(period)
    rows = [
        Workload(
            name=_person(users.get(row["assignee_id"])),
            user_id=row["assignee_id"],
            to_verify=stats.summarise(durations[row["assignee_id"]]),
            **{name: row[name] for name in counts},
        )
        for row in grouped
    ]
    return sorted(rows, key=lambda row: (row.user_id is None, row.name.casefold()))
