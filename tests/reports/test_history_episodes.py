"""The history of listing episodes: pairing, overlapping dates, filters, links
to cases, and query cost. (Their pages: test_keyset_paging.py; their CSV:
test_history_csv.py.)"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from blcheck.core.paging import keyset_page
from blcheck.monitoring.models import Target
from blcheck.reports.selectors import history as selectors
from tests.factories import (
    BlocklistFactory,
    DelistingCaseFactory,
    ListingFactory,
    TargetFactory,
)
from tests.support.history import ago, episode, jst, page_rows
from tests.support.html import parse

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tokyo")]

EPISODES = reverse("reports:history-episodes")
PAGE_BUDGET = 8  # queries for a history page, whatever the table holds


def test_episode_pairs_listed_with_the_first_clear_after_it(reader):
    listing, now = ListingFactory(), timezone.now()
    ends = [now - timedelta(days=8), now - timedelta(days=2)]
    first = episode(listing, at=now - timedelta(days=9), cleared=ends[0])
    second = episode(listing, at=now - timedelta(days=3), cleared=ends[1])
    rows = page_rows(reader.get(EPISODES))
    assert rows == [second, first]
    assert [row.cleared_at for row in rows] == [ends[1], ends[0]]
    assert rows[1].duration == timedelta(days=1)


def test_listed_twice_is_two_episodes_and_the_open_one_is_still_listed(reader):
    listing = ListingFactory()
    episode(listing, at=ago(days=5), cleared=ago(days=4))
    episode(listing, at=ago(days=1))
    response = reader.get(EPISODES)
    newest, older = page_rows(response)
    assert newest.cleared_at is None and older.cleared_at is not None
    table = parse(response.content).find("tbody")
    badges = [badge.text for badge in table.find_all("span", class_="badge")]
    assert sum(text.endswith("Still listed") for text in badges) == 1
    assert "1 d 0 h so far" in table.text


def test_episode_dates_find_those_overlapping_the_range(reader):
    before = episode(at=jst(2025, 2, 1), cleared=jst(2025, 2, 10))
    across = episode(at=jst(2025, 2, 20), cleared=jst(2025, 3, 2, 12))
    inside = episode(at=jst(2025, 3, 5), cleared=jst(2025, 3, 6))
    open_since = episode(at=jst(2025, 1, 1))
    episode(at=jst(2025, 4, 1))  # after
    response = reader.get(
        EPISODES, {"date_from": "2025-03-01", "date_to": "2025-03-31"}
    )
    assert page_rows(response) == [inside, across, open_since]
    assert before not in page_rows(response)


def test_episode_state_target_and_list_filters(reader):
    spamcop = BlocklistFactory(zone="bl.spamcop.test")
    network = TargetFactory(value="203.0.113.0/28", kind=Target.Kind.RANGE)
    cleared = episode(at=ago(days=3), cleared=ago(days=2), blocklist=spamcop)
    listed = episode(at=ago(days=1), target=network, subject="203.0.113.9")
    assert page_rows(reader.get(EPISODES, {"state": "cleared"})) == [cleared]
    assert page_rows(reader.get(EPISODES, {"state": "listed"})) == [listed]
    assert page_rows(reader.get(EPISODES, {"blocklist": spamcop.pk})) == [cleared]
    assert page_rows(reader.get(EPISODES, {"target": "203.0.113.9"})) == [listed]
    assert page_rows(reader.get(EPISODES, {"target": "203.0.113.8"})) == []


def test_episode_links_to_its_case(reader):
    started = episode(at=ago(days=1))
    case = DelistingCaseFactory(
        target=started.listing.target,
        blocklist=started.listing.blocklist,
        episode=started,
    )
    table = parse(reader.get(EPISODES).content).find("tbody")
    link = table.find("a", href=reverse("cases:case-detail", args=[case.pk]))
    assert link.text == f"Case #{case.pk}"


def test_no_episode_gives_the_empty_state(reader):
    page = parse(reader.get(EPISODES).content)
    assert "No listing episode matches these filters." in page.text


# --- query budget ----------------------------------------------------------------


def test_episode_page_queries_do_not_grow_with_rows(
    reader, django_assert_max_num_queries, django_assert_num_queries
):
    def episodes(count):
        for i in range(count):
            started = episode(at=ago(days=2, minutes=i), cleared=ago(days=1))
            DelistingCaseFactory(
                target=started.listing.target,
                blocklist=started.listing.blocklist,
                episode=started,
            )

    def read(params):
        assert reader.get(EPISODES, params).status_code == 200

    episodes(2)
    params = {"state": "cleared", "target": "198.51.100"}
    with django_assert_max_num_queries(PAGE_BUDGET) as few:
        read({})
    with django_assert_max_num_queries(PAGE_BUDGET) as few_filtered:
        read(params)
    episodes(28)
    with django_assert_num_queries(len(few)):
        read({})
    with django_assert_num_queries(len(few_filtered)):
        read(params)
    assert len(page_rows(reader.get(EPISODES))) == 30


def test_a_whole_episode_page_is_one_query(django_assert_num_queries):
    for i in range(5):
        episode(at=ago(days=2, minutes=i), cleared=ago(days=1))
    with django_assert_num_queries(1):
        page = keyset_page(
            selectors.episode_history(),
            time_field=selectors.EPISODE_TIME,
            size=selectors.PAGE_SIZE,
        )
        shown = [
            (e.listing.target.value, e.blocklist.zone, e.cleared_at, e.duration)
            for e in page.rows
        ]
    assert len(shown) == 5
