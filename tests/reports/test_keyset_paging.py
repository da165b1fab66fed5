"""The one keyset pager (blcheck/core/paging.py) and the pages that use it: the
history's lookups and episodes, and the target page's lookups. Pages follow
(time, id), newest first, through ?before=<cursor>; they neither overlap nor
skip, and a cursor that is not one of ours shows the first page."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from blcheck.core import paging
from blcheck.monitoring.models import Lookup
from blcheck.reports.selectors import target as target_selectors
from tests.factories import (
    BlocklistFactory,
    CheckRunFactory,
    ListingChangeFactory,
    ListingFactory,
    LookupFactory,
)
from tests.support.history import NOW, ago, bulk_lookups, jst, page_rows
from tests.support.html import parse
from tests.support.reading import section, target_page

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tokyo")]

LOOKUPS = reverse("reports:history-lookups")
EPISODES = reverse("reports:history-episodes")


def newest_first(rows):
    return [
        x.pk for x in sorted(rows, key=lambda x: (x.checked_at, x.pk), reverse=True)
    ]


# --- The cursor -----------------------------------------------------------------


def test_cursor_round_trips_to_the_microsecond():
    at = datetime(2025, 3, 2, 1, 2, 3, 456789, tzinfo=UTC)
    assert paging.cursor_decode(paging.cursor_encode(at, 42)) == (at, 42)


@pytest.mark.parametrize(
    "text",
    [
        "yesterday_x",
        "12345",  # the target page's old ?before=<lookup id>
        "1_2_3",
        "1_2_",
        "_1",
        "-5_1",
        "1_0x10",
        "9" * 19 + "_1",  # past the year 9999
        "1_" + "9" * 19,  # past a 64-bit id
    ],
)
def test_a_cursor_that_is_not_ours_is_none(text):
    assert paging.cursor_decode(text) is None


def test_a_page_is_one_query_and_says_where_the_next_begins(
    django_assert_num_queries,
):
    made = bulk_lookups(5, at=lambda i: ago(minutes=i))
    with django_assert_num_queries(1):
        page = paging.keyset_page(Lookup.objects.all(), time_field="checked_at", size=3)
    assert [x.pk for x in page.rows] == newest_first(made)[:3] and page.is_first
    third = page.rows[-1]
    assert page.next_cursor == paging.cursor_encode(third.checked_at, third.pk)
    last = paging.keyset_page(
        Lookup.objects.all(), time_field="checked_at", cursor=page.next_cursor, size=3
    )
    assert [x.pk for x in last.rows] == newest_first(made)[3:]
    assert last.next_cursor is None and not last.is_first


# --- History: lookups and episodes -----------------------------------------------


def walk(reader, url, params):
    seen, pages, cursor = [], 0, None
    while True:
        query = dict(params, **({"before": cursor} if cursor else {}))
        page = reader.get(url, query).context["page"]
        seen += [row.pk for row in page.rows]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            return seen, pages


def test_keyset_pages_neither_overlap_nor_skip(reader):
    start = jst(2025, 3, 2, 9)
    # Forty distinct times, three lookups each: ties are broken by id.
    made = bulk_lookups(120, at=lambda i: start + timedelta(minutes=i // 3))
    dates = {"date_from": "2025-03-02", "date_to": "2025-03-02"}
    seen, pages = walk(reader, LOOKUPS, dates)
    assert seen == newest_first(made)
    assert pages == 3


def test_episode_pages_walk_without_overlap(reader):
    listing = ListingFactory()
    made = [
        ListingChangeFactory(listing=listing, at=jst(2025, 3, 2) + timedelta(hours=i))
        for i in range(60)
    ]
    dates = {"date_from": "2025-03-01", "date_to": "2025-03-31"}
    seen, pages = walk(reader, EPISODES, dates)
    assert seen == [change.pk for change in reversed(made)]
    assert pages == 2


def test_pages_offer_older_and_newest_links(reader):
    bulk_lookups(60, at=lambda i: ago(minutes=i))
    first = reader.get(LOOKUPS)
    cursor = first.context["page"].next_cursor
    page = parse(first.content)
    older = page.find("a", rel="next")
    assert parse_qs(urlsplit(older["href"]).query)["before"] == [cursor]
    assert "Older" in older.text and "Newest" not in page.text
    second = parse(reader.get(LOOKUPS, {"before": cursor}).content)
    assert "Newest" in second.text and "Older" not in second.text
    assert "Showing 10 lookups" in second.text


def test_a_broken_page_marker_shows_the_newest_page(reader):
    lookup = LookupFactory()
    assert page_rows(reader.get(LOOKUPS, {"before": "yesterday_x"})) == [lookup]


# --- The target page's lookups ---------------------------------------------------


@pytest.mark.time_machine(NOW, tick=False)
def test_older_link_pages_back_fifty_at_a_time(
    client, manager, four_lists, ipv4_target
):
    for n in range(3):  # three runs of 20 answers each, sharing their checked_at
        run = CheckRunFactory(target=ipv4_target)
        for i in range(20):
            LookupFactory(
                run=run,
                blocklist=BlocklistFactory(zone=f"k{i}.dnsbl.test"),
                checked_at=NOW - timedelta(hours=3 - n),
            )
    fiftieth = Lookup.objects.get(pk=newest_first(Lookup.objects.all())[49])
    cursor = paging.cursor_encode(fiftieth.checked_at, fiftieth.pk)
    first = section(target_page(client, manager, ipv4_target), "lookups")
    older = first.find("a", rel="next")
    assert older["href"] == f"?before={cursor}#lookups" and "Newest" not in first.text
    second = section(
        target_page(client, manager, ipv4_target, before=cursor), "lookups"
    )
    shown = [len(x.find("tbody").find_all("tr")) for x in (first, second)]
    assert shown == [50, 10]
    assert "Older lookups" not in second.text and "Newest" in second.text


@pytest.mark.time_machine(NOW, tick=False)
def test_target_lookup_pages_follow_time_then_id(four_lists, ipv4_target):
    run = CheckRunFactory(target=ipv4_target)
    made = [
        LookupFactory(
            run=run,
            blocklist=BlocklistFactory(zone=f"p{i}.dnsbl.test"),
            checked_at=NOW - timedelta(minutes=i // 30),
        )
        for i in range(120)
    ]
    lookups = target_selectors.target_lookup_list(target=ipv4_target)
    seen, cursor = [], ""
    while True:
        page = target_selectors.target_lookups(lookups, cursor=cursor, blocklists={})
        seen += [x.pk for x in page.rows]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == newest_first(made)
