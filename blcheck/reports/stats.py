"""PURE: the arithmetic of the reports. No Django, no I/O.

Calendar months for the period filter, medians and worsts of durations, and
the age buckets of open cases.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

MAX_MONTHS = 36  # a longer table no longer fits a page
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_add(month: date, count: int) -> date:
    """The first day of the month `count` months after `month`'s."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def parse_month(text: str) -> date | None:
    """ "2025-03" → 2025-03-01; anything else → None."""
    found = _MONTH.match(text.strip())
    if found is None or not 1 <= int(found[2]) <= 12 or int(found[1]) < 1:
        return None
    return date(int(found[1]), int(found[2]), 1)


@dataclass(frozen=True)
class Period:
    """Whole calendar months, `first` to `last` inclusive (first days)."""

    first: date
    last: date

    @property
    def end(self) -> date:
        """The first day after the period."""
        return month_add(self.last, 1)

    @property
    def months(self) -> list[date]:
        count = (self.last.year - self.first.year) * 12
        count += self.last.month - self.first.month + 1
        return [month_add(self.first, n) for n in range(count)]


def last_months(today: date, count: int) -> Period:
    """The current month and the `count - 1` before it."""
    this_month = today.replace(day=1)
    return Period(first=month_add(this_month, 1 - count), last=this_month)


def months_between(first: date, last: date) -> Period | None:
    """The period from `first`'s month to `last`'s; None when backwards or
    longer than MAX_MONTHS."""
    period = Period(first=first.replace(day=1), last=last.replace(day=1))
    if period.last < period.first or len(period.months) > MAX_MONTHS:
        return None
    return period


def column_sums(rows: Sequence[Sequence[int]], width: int) -> list[int]:
    """Each column's total across the rows (zeros when there are no rows)."""
    return [sum(row[index] for row in rows) for index in range(width)]


def median(values: Sequence[timedelta]) -> timedelta | None:
    """The middle value; with an even count, halfway between the two middle ones."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


@dataclass(frozen=True)
class Durations:
    """How many, the median and the worst (longest) of some durations."""

    count: int
    median: timedelta | None
    worst: timedelta | None


def summarise(values: Sequence[timedelta]) -> Durations:
    return Durations(
        count=len(values), median=median(values), worst=max(values, default=None)
    )


def summarise_seconds(values: Sequence[float]) -> Durations:
    """summarise() for durations read as seconds: thousands of episodes need
    no timedelta each, only their median and worst do."""
    middle = median([timedelta(seconds=v) for v in _middle(sorted(values))])
    worst = max(values, default=None)
    return Durations(
        count=len(values),
        median=middle,
        worst=None if worst is None else timedelta(seconds=worst),
    )


def _middle(ordered: Sequence[float]) -> Sequence[float]:
    """The one or two middle values of a sorted sequence (none when empty)."""
    half = len(ordered) // 2
    return ordered[half - 1 + len(ordered) % 2 : half + 1] if ordered else ()


def hours(value: timedelta | None) -> float | None:
    """A duration in hours, one decimal: what the charts and CSV files carry."""
    return None if value is None else round(value.total_seconds() / 3600, 1)


# Open-case age buckets: [lower, upper) bounds; None means no upper bound.
# Labels live with the views (they are translated); the order is shared.
AGE_BUCKETS: tuple[tuple[timedelta, timedelta | None], ...] = (
    (timedelta(0), timedelta(days=1)),
    (timedelta(days=1), timedelta(days=2)),
    (timedelta(days=2), timedelta(days=7)),
    (timedelta(days=7), timedelta(weeks=4)),
    (timedelta(weeks=4), None),
)
