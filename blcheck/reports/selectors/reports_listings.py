"""Reports over listing episodes: per month, time to delist, repeat addresses."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, F, Max, Min, Window
from django.db.models.functions import RowNumber, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext

from blcheck.monitoring.models import Blocklist
from blcheck.reports import stats
from blcheck.reports.selectors.reports import Seconds, episodes_begun, request_times
from blcheck.reports.stats import Durations, Period

TOP_LISTS = 10  # rows of the monthly table; the rest become "other lists"
TOP_ADDRESSES = 25
NONE = Durations(count=0, median=None, worst=None)


# -- 1. listings per month per list ------------------------------------------


@dataclass(frozen=True)
class MonthlyRow:
    name: str
    counts: list[int]
    total: int
    is_other: bool = False


@dataclass(frozen=True)
class MonthlyListings:
    months: list[date]
    rows: list[MonthlyRow]
    totals: list[int]  # per month, all lists
    total: int


def episode_monthly_counts(*, period: Period) -> MonthlyListings:
    """New listing episodes per list and calendar month (in the site's time
    zone): the top lists by total, the rest summed into one row. One query."""
    zone = timezone.get_current_timezone()
    grouped = (
        episodes_begun(period)
        .annotate(month=TruncMonth("at", tzinfo=zone))
        .values_list("blocklist_id", "blocklist__name", "month")
        .annotate(count=Count("pk"))
    )
    months = period.months
    column = {month: index for index, month in enumerate(months)}
    names: dict[int, str] = {}
    counts: dict[int, list[int]] = defaultdict(lambda: [0] * len(months))
    for blocklist_id, name, month, count in grouped:
        names[blocklist_id] = name
        counts[blocklist_id][column[month.astimezone(zone).date()]] += count
    rows = sorted(
        (MonthlyRow(names[pk], row, sum(row)) for pk, row in counts.items()),
        key=lambda row: (-row.total, row.name),
    )
    top, rest = rows[:TOP_LISTS], rows[TOP_LISTS:]
    if rest:
        summed = stats.column_sums([row.counts for row in rest], len(months))
        top.append(
            MonthlyRow(gettext("Other lists"), summed, sum(summed), is_other=True)
        )
    totals = stats.column_sums([row.counts for row in top], len(months))
    return MonthlyListings(months, top, totals, sum(totals))


# -- 2. time to delist per list -----------------------------------------------


@dataclass
class DelistTimes:
    """One list: how long its episodes lasted and how fast it acted on requests."""

    blocklist: str
    episodes: Durations = NONE  # ended episodes: listed → cleared
    still_listed: int = 0
    oldest_open: timedelta | None = None
    requests: Durations = NONE  # requested → removal verified
    awaiting: int = 0  # requested, not verified yet, still worked


def _ended_lengths(period: Period) -> dict[int, Durations]:
    """Per list: how many episodes begun in the period have ended, their
    median and their worst length. One query: the database ranks each list's
    lengths and returns the one or two middle ones (the median, as
    stats.median takes it) with the count and the worst beside them, rather
    than every episode (tens of thousands a month at 10,000 targets)."""
    by_list = [F("blocklist_id")]
    rows = (
        episodes_begun(period)
        .filter(ended_at__isnull=False)
        .annotate(length=Seconds(F("ended_at"), F("at")))
        .annotate(
            position=Window(RowNumber(), partition_by=by_list, order_by=[F("length")]),
            total=Window(Count("pk"), partition_by=by_list),
            worst=Window(Max("length"), partition_by=by_list),
        )
        # The middle: (n + 1) / 2 to n / 2 + 1, in whole numbers.
        .filter(position__gte=(F("total") + 1) / 2, position__lte=F("total") / 2 + 1)
        .values_list("blocklist_id", "length", "total", "worst")
    )
    middles: dict[int, list[float]] = defaultdict(list)
    counts: dict[int, tuple[int, float]] = {}
    for blocklist_id, length, total, worst in rows:
        middles[blocklist_id].append(length)
        counts[blocklist_id] = (total, worst)
    return {
        pk: Durations(
            count=counts[pk][0],
            median=stats.median([timedelta(seconds=v) for v in middle]),
            worst=timedelta(seconds=counts[pk][1]),
        )
        for pk, middle in middles.items()
    }


def _still_listed(period: Period) -> dict[tuple[int, str], tuple[int, datetime]]:
    """Per list: episodes begun in the period not ended yet, and when the
    oldest of them began. One query."""
    rows = (
        episodes_begun(period)
        .filter(ended_at__isnull=True)
        .values_list("blocklist_id", "blocklist__name")
        .annotate(open=Count("pk"), first=Min("at"))
    )
    return {(pk, name): (count, first) for pk, name, count, first in rows}


def blocklist_delist_times(*, period: Period, now: datetime) -> list[DelistTimes]:
    """Per list, for episodes begun and requests made in the period: median and
    worst episode length, episodes still open, median and worst time from our
    request to verified removal. Four queries; sorted by list name."""
    rows: dict[tuple[int, str], DelistTimes] = {}
    ended = _ended_lengths(period)
    names = dict(Blocklist.objects.filter(pk__in=ended).values_list("pk", "name"))
    for pk, episodes in ended.items():
        rows[(pk, names[pk])] = DelistTimes(blocklist=names[pk], episodes=episodes)
    for key, (count, first) in _still_listed(period).items():
        row = rows.setdefault(key, DelistTimes(blocklist=key[1]))
        row.still_listed, row.oldest_open = count, now - first
    for key, (durations, awaiting) in request_times(period).items():
        row = rows.setdefault(key, DelistTimes(blocklist=key[1]))
        row.requests, row.awaiting = stats.summarise(durations), awaiting
    return sorted(rows.values(), key=lambda row: row.blocklist.casefold())


# -- 4. repeat listings per address --------------------------------------------


@dataclass(frozen=True)
class RepeatAddress:
    subject: str
    target_id: int
    episodes: int
    lists: list[str]
    last_listed_at: datetime


def address_repeats(*, period: Period) -> list[RepeatAddress]:
    """Addresses (or domains) of a target with two or more listing episodes
    begun in the period, most first, with the lists involved. Two queries.

    An address inside two monitored targets is counted once: its one Listing
    row sits under its owner, the most specific target (monitoring/overlap.py),
    and moves with its history when the owner changes."""
    top = list(
        episodes_begun(period)
        .values("listing__target_id", "listing__subject")
        .annotate(episodes=Count("pk"), last_at=Max("at"))
        .filter(episodes__gte=2)
        .order_by("-episodes", "-last_at", "listing__subject")[:TOP_ADDRESSES]
    )
    lists: dict[tuple[int, str], set[str]] = defaultdict(set)
    for target_id, subject, name in (
        episodes_begun(period)
        .filter(
            listing__target_id__in={row["listing__target_id"] for row in top},
            listing__subject__in={row["listing__subject"] for row in top},
        )
        .values_list("listing__target_id", "listing__subject", "blocklist__name")
        .distinct()
    ):
        lists[(target_id, subject)].add(name)
    return [
        RepeatAddress(
            subject=row["listing__subject"],
            target_id=row["listing__target_id"],
            episodes=row["episodes"],
            lists=sorted(
                lists[(row["listing__target_id"], row["listing__subject"])],
                key=str.casefold,
            ),
            last_listed_at=row["last_at"],
        )
        for row in top
    ]
