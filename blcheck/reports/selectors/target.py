"""Reads for the target page: timeline, lookups, cases (the verdict per list
and the headline: target_states.py).

Each read below is one query (two at most), bounded by LIMITs or by the number
of lists, never by how many lookups, changes or cases the target has. The page
lives here, above monitoring and cases, because it shows both.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from django.db.models import (
    Case,
    Max,
    QuerySet,
    When,
)
from django.utils import timezone

from blcheck.cases.models import DelistingCase
from blcheck.cases.workflow import ACTIVE
from blcheck.core.paging import KeysetPage, keyset_page
from blcheck.monitoring.models import (
    Blocklist,
    Listing,
    ListingChange,
    Lookup,
    Target,
)
from blcheck.reports.timeline import (
    Episode,
    Timeline,
    timeline_layout,
    timeline_start,
)

CHANGES_READ = 1000  # a target has a few hundred flips in a window at most
LOOKUPS_PER_PAGE = 50
CASES_SHOWN = 100
TIMELINE_DAYS = (30, 90, 365)
DEFAULT_DAYS = 90
ACTIVE_CASE_STATUSES = tuple(str(status) for status in ACTIVE)


def target_cases(*, target: Target) -> list[DelistingCase]:
    """The target's delisting cases, the ones being worked first."""
    done = Case(When(status__in=ACTIVE_CASE_STATUSES, then=0), default=1)
    return list(
        target.cases.select_related("blocklist", "assignee")
        .annotate(done=done)
        .order_by("done", "-opened_at", "-pk")[:CASES_SHOWN]
    )


def target_lookup_list(*, target: Target) -> QuerySet[Lookup]:
    """The target's lookups, for TargetPageFilter to narrow and target_lookups
    to page."""
    return Lookup.objects.filter(target=target)


def target_lookups(
    lookups: QuerySet[Lookup], *, cursor: str, blocklists: Mapping[int, Blocklist]
) -> KeysetPage[Lookup]:
    """A page of the latest lookups, keyset-paged on (checked_at, id) along the
    (target, checked_at) index: never an OFFSET, never a COUNT. No join
    either: their lists come from `blocklists` (the page has them already),
    and only lists missing from it are read."""
    page = keyset_page(
        lookups, time_field="checked_at", cursor=cursor, size=LOOKUPS_PER_PAGE
    )
    missing = {x.blocklist_id for x in page.rows} - blocklists.keys()
    known = (
        {**blocklists, **Blocklist.objects.in_bulk(missing)} if missing else blocklists
    )
    for lookup in page.rows:
        lookup.blocklist = known[lookup.blocklist_id]
    return page


# --- Listing episodes and their timeline --------------------------------------


def _episode(
    listing: Listing,
    *,
    listed_at: datetime | None,
    cleared_at: datetime | None,
    codes: Sequence[str],
    now: datetime,
) -> Episode:
    end = cleared_at or now
    return Episode(
        blocklist=listing.blocklist.name,
        subject=listing.subject,
        listed_at=listed_at,
        cleared_at=cleared_at,
        duration=end - listed_at if listed_at else None,
        codes=tuple(codes),
    )


def episode_pair(
    changes: Iterable[ListingChange], *, now: datetime, starts: Mapping[int, datetime]
) -> list[Episode]:
    """Pair each LISTED change (oldest first) with the next CLEARED change of the
    same listing. A listing whose first change is CLEARED was listed before
    them: its start comes from `starts`."""
    episodes: list[Episode] = []
    opened: dict[int, ListingChange] = {}
    seen: set[int] = set()
    for change in changes:
        first = change.listing_id not in seen
        seen.add(change.listing_id)
        if change.kind == ListingChange.Kind.LISTED:
            opened.setdefault(change.listing_id, change)
            continue
        began = opened.pop(change.listing_id, None)
        if began is None and not first:
            continue  # a second CLEARED in a row ends nothing
        episodes.append(
            _episode(
                change.listing,
                listed_at=began.at if began else starts.get(change.listing_id),
                cleared_at=change.at,
                codes=began.codes if began else (),
                now=now,
            )
        )
    episodes += [
        _episode(c.listing, listed_at=c.at, cleared_at=None, codes=c.codes, now=now)
        for c in opened.values()
    ]
    return episodes


def target_episodes(
    *, target: Target, days: int, listed_since: datetime | None, now: datetime
) -> list[Episode]:
    """Episodes of the target's addresses that overlap the last `days` days.

    One query for the changes in the window (pairing is done here, not per
    episode), one for the starts of episodes that began before it, and one for
    episodes still open since before it, only when `listed_since` (the oldest
    open start, from target_list_states) says there are any.
    """
    since = now - timedelta(days=days)
    changes = list(
        ListingChange.objects.filter(listing__target=target, at__gte=since)
        .select_related("listing__blocklist")
        .order_by("-at", "-pk")[:CHANGES_READ]
    )
    cutoff = changes[-1].at if len(changes) == CHANGES_READ else since
    changes.reverse()
    episodes = episode_pair(changes, now=now, starts=_starts(changes, cutoff))
    if listed_since is not None and listed_since < cutoff:
        episodes += [
            _episode(
                x, listed_at=x.listed_since, cleared_at=None, codes=x.codes, now=now
            )
            for x in Listing.objects.filter(
                target=target, is_listed=True, listed_since__lt=cutoff
            ).select_related("blocklist")[:CHANGES_READ]
        ]
    return episodes


def _starts(changes: Sequence[ListingChange], cutoff: datetime) -> dict[int, datetime]:
    """When the episodes that end in `changes` but began before them started."""
    leading: dict[int, str] = {}
    for change in changes:
        leading.setdefault(change.listing_id, change.kind)
    cleared = [pk for pk, kind in leading.items() if kind == ListingChange.Kind.CLEARED]
    if not cleared:
        return {}
    return dict(
        ListingChange.objects.filter(
            listing_id__in=cleared, kind=ListingChange.Kind.LISTED, at__lte=cutoff
        )
        .order_by()
        .values("listing_id")
        .annotate(start=Max("at"))
        .values_list("listing_id", "start")
    )


def target_timeline(
    *, target: Target, days: int, listed_since: datetime | None
) -> Timeline:
    now = timezone.now()
    episodes = target_episodes(
        target=target, days=days, listed_since=listed_since, now=now
    )
    start = timeline_start(episodes, now=now, days=days)
    return timeline_layout(episodes, start=start, end=now)
