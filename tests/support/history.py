"""History as the tests write it and read it: times in Japan, listing
episodes, lookups in bulk, the rows and queries of a history page."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from blcheck.monitoring.models import (
    Blocklist,
    CheckRun,
    Listing,
    ListingChange,
    Lookup,
    Target,
)
from tests.factories import (
    BlocklistFactory,
    ListingChangeFactory,
    ListingFactory,
    TargetFactory,
)

TOKYO = ZoneInfo("Asia/Tokyo")
# The page tests' clock: pytestmark = pytest.mark.time_machine(NOW, tick=False)
NOW = datetime(2025, 6, 15, 12, tzinfo=TOKYO)


def jst(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """A time in Japan: jst(2025, 3, 2, 9) is 2025-03-02 09:00 +09:00."""
    return datetime(year, month, day, hour, minute, second, tzinfo=TOKYO)


def episode(
    listing: Listing | None = None,
    *,
    at: datetime,
    cleared: datetime | None = None,
    **listing_fields: Any,
) -> ListingChange:
    """One listing episode: listed at `at`, and cleared at `cleared` unless it
    is still open. Without a listing, one is made of `listing_fields`. Returns
    the "listed" change (what the history calls an episode)."""
    listing = listing or ListingFactory.create(**listing_fields)
    start = ListingChangeFactory.create(
        listing=listing, kind=ListingChange.Kind.LISTED, at=at
    )
    if cleared is not None:
        ListingChangeFactory.create(
            listing=listing, kind=ListingChange.Kind.CLEARED, at=cleared
        )
    return start


def ago(**kwargs: float) -> datetime:
    """timezone.now() - timedelta(**kwargs)."""
    return timezone.now() - timedelta(**kwargs)


def bulk_lookups(
    count: int,
    *,
    at: Callable[[int], datetime],
    target: Target | None = None,
    blocklist: Blocklist | None = None,
    **fields: Any,
) -> list[Lookup]:
    """count lookups of one address, a run each; at(i) gives each one's time."""
    watched: Target = target or TargetFactory.create()
    runs = CheckRun.objects.bulk_create(
        CheckRun(target=watched, trigger=CheckRun.Trigger.SCHEDULE)
        for _ in range(count)
    )
    answering: Blocklist = blocklist or BlocklistFactory.create()
    return Lookup.objects.bulk_create(
        Lookup(
            run=runs[i],
            target=watched,
            blocklist=answering,
            subject=watched.value,
            query_name="x",
            verdict=Lookup.Verdict.NOT_LISTED,
            checked_at=at(i),
            **fields,
        )
        for i in range(count)
    )


def page_rows(response: Any) -> list[Any]:
    """The rows a history page shows (its keyset page)."""
    return list(response.context["page"].rows)


def lookup_queries(captured: CaptureQueriesContext) -> list[dict[str, str]]:
    """The captured queries that read the lookup table."""
    return [q for q in captured.captured_queries if "monitoring_lookup" in q["sql"]]
