"""Reads for monitoring: targets, tags, runs, and lists as the engine asks them."""

from collections.abc import Iterable, Sequence
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


def run_lookups(run: CheckRun) -> QuerySet[Lookup]:
    return run.lookups.select_related("blocklist").order_by(
        "subject", "blocklist__name"
    )


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
