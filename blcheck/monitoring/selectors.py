"""Reads for monitoring: targets, tags, runs, and lists as the engine asks them."""

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db import DatabaseError
from django.db.models import (
    Count,
    Q,
    QuerySet,
    Sum,
)

from blcheck.lookups import dnsbl
from blcheck.lookups.catalog import read_catalog
from blcheck.monitoring import overlap
from blcheck.monitoring.models import (
    Blocklist,
    CheckRun,
    Lookup,
    ResolverOutage,
    Tag,
    Target,
)

if TYPE_CHECKING:
    pass


def target_list() -> QuerySet[Target]:
    """Every target with its tags, for the target list (TargetFilter narrows it)."""
    return Target.objects.prefetch_related("tags").order_by("value")


def target_list_enabled(*, tag: str | None = None) -> list[Target]:
    targets = Target.objects.filter(is_enabled=True)
    return list(targets.filter(tags__name=tag) if tag else targets)


def target_for_address(address: str) -> Target | None:
    """The monitored target holding this address: itself, or the range around
    it that owns it (monitoring.overlap), as its answers are recorded there."""
    exact = Target.objects.filter(value=address).first()
    if exact is not None:
        return exact
    cover = overlap.cover_of_subjects([address])
    # Its owner (the narrowest enabled range), else the narrowest one at all.
    span = cover.owner(address) or next(iter(cover.covering_address(address)), None)
    return Target.objects.filter(pk=span.pk).first() if span else None


def tag_list() -> QuerySet[Tag]:
    return Tag.objects.order_by("name")


def run_latest(target: Target) -> CheckRun | None:
    return target.runs.first()


def blocklist_list() -> tuple[QuerySet[Blocklist], QuerySet[Blocklist]]:
    """(lists in use or available, retired lists)."""
    lists = Blocklist.objects.order_by("-is_enabled", "name")
    return lists.filter(is_retired=False), lists.filter(is_retired=True)


def run_group_progress(group: UUID) -> dict[str, int]:
    totals = CheckRun.objects.filter(group=group).aggregate(
        runs=Count("pk"),
        active=Count("pk", filter=Q(status__in=["queued", "running"])),
        total=Sum("total", default=0),
        done=Sum("done", default=0),
        listed=Sum("listed_count", default=0),
        errors=Sum("error_count", default=0),
    )
    return {key: value or 0 for key, value in totals.items()}


def run_group_outcome(group: UUID) -> dict[str, Any]:
    """What a finished group's runs could not do: blind and failed runs, and
    why lookups failed (the summary says only what was answered)."""
    runs = CheckRun.objects.filter(group=group).aggregate(
        blind=Count("pk", filter=Q(status=CheckRun.Status.BLIND)),
        failed=Count("pk", filter=Q(status=CheckRun.Status.FAILED)),
    )
    errors = (
        Lookup.objects.filter(run__group=group, verdict=Lookup.Verdict.ERROR)
        .order_by()
        .values_list("error", "health")
        .distinct()
    )
    return {
        "blind_runs": runs["blind"],
        "failed_runs": runs["failed"],
        "run_errors": sorted({reason_token(*pair) for pair in errors}),
    }


# --- Lists as the engine asks them ---------------------------------------------


def blocklist_count() -> int:
    return Blocklist.objects.count()


def _usable(blocklists: Iterable[Blocklist]) -> dict[dnsbl.ListSpec, Blocklist]:
    """Enabled, not retired, and with their key when they need one."""
    usable = {}
    for blocklist in blocklists:
        if blocklist.is_enabled and not blocklist.is_retired:
            spec = blocklist.spec
            if spec is not None:
                usable[spec] = blocklist
    return usable


def blocklist_usable() -> dict[dnsbl.ListSpec, Blocklist]:
    """The lists a check asks: enabled, not retired, with their key if needed."""
    return _usable(Blocklist.objects.filter(is_enabled=True, is_retired=False))


def blocklist_lookup_specs(
    zones: Sequence[str],
) -> tuple[list[dnsbl.ListSpec], list[str]]:
    """The lists `lookup` asks, and warnings for the person running it.

    No zones: every usable list of the catalog. Named zones use the catalog's
    reading of the zone when it has one; any other zone is an ad-hoc list
    with the RFC 5782 default codes, for whatever kind of target it is given.
    """
    warnings = []
    try:
        catalog = list(Blocklist.objects.all())
    except DatabaseError:
        # A fresh checkout without `migrate`: read the shipped catalog file.
        warnings.append("database not migrated; using the shipped catalog file")
        catalog = [Blocklist(zone=e.zone, **e.model_fields()) for e in read_catalog()]
    if not zones:
        return list(_usable(catalog)), warnings
    known = {b.zone: b for b in catalog}
    specs = []
    for zone in dict.fromkeys(z.lower().rstrip(".") for z in zones):
        blocklist = known.get(zone)
        if blocklist is not None and blocklist.is_retired:
            warnings.append(f"{zone} is retired: {blocklist.retired_reason}")
        spec = blocklist.spec if blocklist is not None else None
        specs.append(spec or dnsbl.ListSpec(zone))
    return specs, warnings


def resolver_outage_ongoing() -> ResolverOutage | None:
    """The resolver outage going on now, if any (at most one is open)."""
    return ResolverOutage.objects.filter(is_open=True).first()


def dns_health() -> str:
    """ "failing" while a resolver outage is open, else "ok" (for /healthz)."""
    return "failing" if resolver_outage_ongoing() is not None else "ok"


def reason_token(error: str, health: str) -> str:
    """Why a lookup failed, for the error_reasons tag: "timeout", or
    "list_unhealthy:refused" when an unhealthy list's probes say why."""
    unhealthy = error == Lookup.Error.LIST_UNHEALTHY
    return f"{error}:{health}" if unhealthy and health else error


# --- A finished check as its pages show it ----------------------------------------


def _subject_order(subject: str) -> tuple[int, int, str]:
    """Addresses in numeric order (IPv4 first), then domains."""
    try:
        address = ipaddress.ip_address(subject)
    except ValueError:
        return (9, 0, subject)
    return (address.version, int(address), "")


@dataclass(frozen=True)
class CleanSpan:
    """Consecutive addresses (or one domain) whose every lookup answered "not
    listed", each by the same number of lists."""

    first: str
    last: str
    count: int
    lists: int


@dataclass(frozen=True)
class FailedLookups:
    """The subjects one list could not answer about, for one reason."""

    name: str
    zone: str
    error: str  # Lookup.Error value
    health: str  # with list_unhealthy: why its probes failed
    subjects: list[str]

    @property
    def error_label(self) -> str:
        return str(Lookup.Error(self.error).label) if self.error else ""

    @property
    def health_label(self) -> str:
        return str(Blocklist.Health(self.health).label) if self.health else ""


@dataclass(frozen=True)
class RunResults:
    listed: list[Lookup]
    failed: list[FailedLookups]
    clean: list[CleanSpan]
    clean_count: int  # subjects every list asked answered "not listed"
    clean_lists: list[str]  # the lists that answered them
    errors: list[str]  # why lookups failed, as reason_token()s


def run_results(run: CheckRun) -> RunResults:
    """A finished run's answers grouped by verdict, in four queries whatever
    its size: listed lookups one by one, failed ones by list and reason, and
    the clean subjects as spans (what a /28 on 20 lists folds away)."""
    listed = sorted(
        run.lookups.filter(verdict=Lookup.Verdict.LISTED).select_related("blocklist"),
        key=lambda x: (_subject_order(x.subject), x.blocklist.name),
    )
    failed: dict[tuple[str, str, str, str], list[str]] = {}
    for key in (
        run.lookups.filter(verdict=Lookup.Verdict.ERROR)
        .order_by()
        .values_list("blocklist__name", "blocklist__zone", "error", "health", "subject")
    ):
        failed.setdefault(key[:4], []).append(key[4])
    answered = (
        run.lookups.order_by()
        .values("subject")
        .annotate(
            n=Count("pk"),
            not_listed=Count("pk", filter=Q(verdict=Lookup.Verdict.NOT_LISTED)),
        )
    )
    clean = sorted(
        (
            (row["subject"], row["n"])
            for row in answered
            if row["n"] == row["not_listed"]
        ),
        key=lambda pair: _subject_order(pair[0]),
    )
    names = run.lookups.filter(verdict=Lookup.Verdict.NOT_LISTED).order_by()
    return RunResults(
        listed=listed,
        failed=[
            FailedLookups(*key, subjects=sorted(subjects, key=_subject_order))
            for key, subjects in sorted(failed.items())
        ],
        clean=_spans(clean),
        clean_count=len(clean),
        clean_lists=sorted(set(names.values_list("blocklist__name", flat=True))),
        errors=sorted({reason_token(error, health) for _, _, error, health in failed}),
    )


def _spans(clean: Sequence[tuple[str, int]]) -> list[CleanSpan]:
    spans: list[CleanSpan] = []
    for subject, lists in clean:
        version, number, _ = _subject_order(subject)
        last = spans[-1] if spans else None
        if (
            last is not None
            and last.lists == lists
            and version != 9
            and _subject_order(last.last)[:2] == (version, number - 1)
        ):
            spans[-1] = CleanSpan(last.first, subject, last.count + 1, lists)
        else:
            spans.append(CleanSpan(subject, subject, 1, lists))
    return spans


@dataclass(frozen=True)
class GroupMember:
    """One run of a finished group that found something, or could not look."""

    run_id: int
    target_id: int
    value: str
    status: str
    listed: int
    errors: int
    done: int
    failure: str
    reasons: list[str] = field(default_factory=list)


def run_group_members(group: UUID) -> dict[str, Any]:
    """A finished group's targets to look at (listed first, then those whose
    lookups failed or whose check failed), the targets of its blind runs, and
    how many were clean (every lookup answered "not listed") or had no list to
    ask. Three queries whatever the group's size."""
    runs = CheckRun.objects.filter(group=group).order_by()
    finished = Q(status=CheckRun.Status.FINISHED, listed_count=0, error_count=0)
    counts = runs.aggregate(
        clean=Count("pk", filter=finished & Q(done__gt=0)),
        unasked=Count("pk", filter=finished & Q(done=0)),
    )
    reasons: dict[int, set[str]] = {}
    for run_id, error, health in (
        Lookup.objects.filter(run__group=group, verdict=Lookup.Verdict.ERROR)
        .order_by()
        .values_list("run_id", "error", "health")
        .distinct()
    ):
        reasons.setdefault(run_id, set()).add(reason_token(error, health))
    members = [
        GroupMember(*row, reasons=sorted(reasons.get(row[0], ())))
        for row in runs.exclude(finished)
        .exclude(status__in=[CheckRun.Status.QUEUED, CheckRun.Status.RUNNING])
        .values_list(
            "pk",
            "target_id",
            "target__value",
            "status",
            "listed_count",
            "error_count",
            "done",
            "failure",
        )
    ]
    order: dict[str, int] = {CheckRun.Status.FINISHED: 0, CheckRun.Status.FAILED: 1}
    blind = CheckRun.Status.BLIND
    members.sort(key=lambda m: (not m.listed, order.get(m.status, 2), m.value))
    return {
        "found": [m for m in members if m.listed or m.status != blind],
        "blind": [m for m in members if not m.listed and m.status == blind],
        "clean_runs": counts["clean"],
        "unasked_runs": counts["unasked"],
    }
