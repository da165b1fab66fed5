"""Reads for the history pages: lookups and listing episodes.

A page is one query whatever the table holds: newest first, keyset-paged on
(time, id) by blcheck.core.paging, never counted. Exports stream tuples from
the database in chunks, without building model instances.
"""

from collections.abc import Iterator
from typing import Any

from django.db.models import (
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from blcheck.cases.models import DelistingCase
from blcheck.monitoring.models import ListingChange, Lookup

PAGE_SIZE = 50
EXPORT_CHUNK = 2000
LOOKUP_TIME = "checked_at"  # what the pages are ordered and paged on
EPISODE_TIME = "at"

LOOKUP_COLUMNS = (
    "checked_at",
    "subject",
    "target",
    "blocklist_zone",
    "verdict",
    "codes",
    "reason",
    "error",
    "health",
    "rcode",
    "ttl",
    "resolver",
    "elapsed_ms",
)
_LOOKUP_VALUES = (
    "checked_at",
    "subject",
    "target__value",
    "blocklist__zone",
    "verdict",
    "codes",
    "reason",
    "error",
    "health",
    "rcode",
    "ttl",
    "resolver",
    "elapsed_ms",
)
EPISODE_COLUMNS = (
    "listed_at",
    "cleared_at",
    "subject",
    "target",
    "blocklist_zone",
    "duration_s",
    "codes",
    "reason",
    "case_id",
)
_EPISODE_VALUES = (
    "at",
    "cleared_at",
    "listing__subject",
    "listing__target__value",
    "blocklist__zone",
    "duration",
    "codes",
    "reason",
    "case_id",
)


def lookup_history() -> QuerySet[Lookup]:
    """Every stored lookup (the retention window), with its target and list."""
    return Lookup.objects.select_related("target", "blocklist").order_by(
        "-checked_at", "-pk"
    )


def episode_history() -> QuerySet[ListingChange]:
    """Listing episodes: each "listed" change with its end (`ended_at`, written
    when the listing cleared), its duration so far, and the newest case opened
    about it."""
    case = DelistingCase.objects.filter(episode=OuterRef("pk")).order_by("-pk")
    now = Value(timezone.now(), output_field=DateTimeField())
    return (
        ListingChange.objects.filter(kind=ListingChange.Kind.LISTED)
        .annotate(
            cleared_at=F("ended_at"),
            case_id=Subquery(case.values("pk")[:1]),
        )
        .annotate(
            duration=ExpressionWrapper(
                Coalesce(F("ended_at"), now) - F("at"), output_field=DurationField()
            )
        )
        .select_related("listing__target", "blocklist")
        .order_by("-at", "-pk")
    )


def lookup_export_rows(queryset: QuerySet[Lookup]) -> Iterator[tuple[Any, ...]]:
    """The lookups as LOOKUP_COLUMNS tuples, read EXPORT_CHUNK rows at a time."""
    return queryset.values_list(*_LOOKUP_VALUES).iterator(chunk_size=EXPORT_CHUNK)


def episode_export_rows(
    queryset: QuerySet[ListingChange],
) -> Iterator[tuple[Any, ...]]:
    """The episodes as EPISODE_COLUMNS tuples, read EXPORT_CHUNK rows at a time."""
    return queryset.values_list(*_EPISODE_VALUES).iterator(chunk_size=EXPORT_CHUNK)
