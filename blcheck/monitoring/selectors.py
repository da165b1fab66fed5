"""Reads for monitoring pages."""

from datetime import datetime
from uuid import UUID

from django.db.models import Count, Q, QuerySet, Sum

from blcheck.monitoring.models import (
    Blocklist,
    CheckRun,
    Listing,
    ListingChange,
    Lookup,
    Tag,
    Target,
)


def target_list(*, tag: str | None = None) -> QuerySet[Target]:
    targets = Target.objects.prefetch_related("tags").order_by("value")
    return targets.filter(tags__name=tag) if tag else targets


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


def lookup_at(*, blocklist: Blocklist, subject: str, at: datetime) -> Lookup | None:
    """What the list said about the address at that time (within retention)."""
    return (
        Lookup.objects.filter(blocklist=blocklist, subject=subject, checked_at__lte=at)
        .order_by("-checked_at", "-pk")
        .first()
    )


def listing_episodes(*, target: Target) -> QuerySet[ListingChange]:
    """Every listing flip of the target's addresses, newest first (kept forever)."""
    return ListingChange.objects.filter(listing__target=target).select_related(
        "listing__blocklist"
    )


def listing_current(*, target: Target) -> QuerySet[Listing]:
    return Listing.objects.filter(target=target, is_listed=True).select_related(
        "blocklist"
    )


def group_progress(group: UUID) -> dict[str, int]:
    totals = CheckRun.objects.filter(group=group).aggregate(
        runs=Count("pk"),
        active=Count("pk", filter=Q(status__in=["queued", "running"])),
        total=Sum("total", default=0),
        done=Sum("done", default=0),
        listed=Sum("listed_count", default=0),
        errors=Sum("error_count", default=0),
    )
    return {key: value or 0 for key, value in totals.items()}
