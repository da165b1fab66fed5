"""Keyset pages, newest first: the one pager of every long list.

A page is the rows older than a cursor, read along an index on (time, id):
never an OFFSET, never a COUNT, one query whatever the table holds. The cursor
is the (time, id) of the last row shown, written into the URL as
?before=<microseconds since 1970>_<id>, so the next page needs no query to
find where the previous one ended. A cursor that is not one of ours gives the
first page.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from django.db.models import Model, Q, QuerySet

CURSOR_PARAM = "before"  # the GET parameter holding the cursor

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Digits only, and ids that fit a signed 64-bit column.
_CURSOR = re.compile(r"(\d{1,19})_(\d{1,18})")

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class KeysetPage(Generic[M]):
    """One page of rows, newest first, and the cursor of the next (older) one."""

    rows: list[M]
    next_cursor: str | None  # None on the last page
    is_first: bool


def cursor_encode(at: datetime, pk: int) -> str:
    """(time, id) as "<microseconds since 1970>_<id>": exact, short, URL-safe."""
    micros = (at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}_{pk}"


def cursor_decode(text: str) -> tuple[datetime, int] | None:
    """The cursor's (time, id), or None when it is not one of ours."""
    found = _CURSOR.fullmatch(text)
    if found is None:
        return None
    try:
        at = _EPOCH + timedelta(microseconds=int(found[1]))
    except OverflowError:
        return None
    return at, int(found[2])


def keyset_page(
    queryset: QuerySet[M], *, time_field: str, cursor: str = "", size: int
) -> KeysetPage[M]:
    """The `size` rows after the cursor, newest (time_field, id) first: one
    query, size + 1 rows read (the extra one tells whether a next page exists).
    """
    after = cursor_decode(cursor) if cursor else None
    if after is not None:
        at, pk = after
        # The first filter alone is a range on the index; the second breaks ties.
        queryset = queryset.filter(**{f"{time_field}__lte": at}).filter(
            Q(**{f"{time_field}__lt": at}) | Q(pk__lt=pk)
        )
    rows = list(queryset.order_by(f"-{time_field}", "-pk")[: size + 1])
    last = rows[size - 1] if len(rows) > size else None
    return KeysetPage(
        rows=rows[:size],
        next_cursor=cursor_encode(getattr(last, time_field), last.pk) if last else None,
        is_first=after is None,
    )
