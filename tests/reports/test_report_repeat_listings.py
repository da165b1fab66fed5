"""Report 4, repeat listings: the addresses listed again and again in the
period, per target, at most 25, with links, a chart and a CSV."""

import pytest
from django.urls import reverse

from blcheck.reports import stats
from blcheck.reports.selectors import reports_listings
from tests.factories import BlocklistFactory, ListingFactory, TargetFactory
from tests.support.history import NOW, episode, jst
from tests.support.html import parse
from tests.support.reports import chart_json, csv_rows, listing_on, table

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("tokyo"),
    pytest.mark.time_machine(NOW, tick=False),
]

URL = reverse("reports:report-repeat-listings")


def repeats_in_the_last_year():
    return reports_listings.address_repeats(period=stats.last_months(NOW.date(), 12))


@pytest.fixture
def repeats():
    alpha = BlocklistFactory(name="Alpha")
    beta = BlocklistFactory(name="Beta")
    often = TargetFactory(value="192.0.2.7")
    twice = TargetFactory(value="192.0.2.8")
    on_alpha = listing_on(alpha, often)
    episode(on_alpha, at=jst(2024, 1, 1), cleared=jst(2024, 1, 2))  # before
    episode(on_alpha, at=jst(2025, 5, 1), cleared=jst(2025, 5, 2))
    episode(on_alpha, at=jst(2025, 5, 10), cleared=jst(2025, 5, 11))
    episode(listing_on(beta, often), at=jst(2025, 6, 1, 8))
    second = listing_on(alpha, twice)
    episode(second, at=jst(2025, 3, 1), cleared=jst(2025, 3, 2))
    episode(second, at=jst(2025, 4, 1), cleared=jst(2025, 4, 2))
    episode(listing_on(alpha, TargetFactory(value="192.0.2.9")), at=jst(2025, 5, 1))
    return often, twice


def test_repeat_listings_rank_addresses_by_episodes(repeats):
    often, _twice = repeats
    rows = repeats_in_the_last_year()
    assert [(r.subject, r.episodes, r.lists) for r in rows] == [
        ("192.0.2.7", 3, ["Alpha", "Beta"]),
        ("192.0.2.8", 2, ["Alpha"]),
    ]
    assert rows[0].target_id == often.pk
    assert rows[0].last_listed_at == jst(2025, 6, 1, 8)


def test_repeat_listings_page_links_to_the_targets(reader, repeats):
    often, _twice = repeats
    response = reader.get(URL)
    parse(response.content).find(
        "a", href=reverse("reports:target-detail", args=[often.pk])
    )
    _header, *rows = table(response, "table-repeat-listings")
    assert rows[0][:3] == ["192.0.2.7", "3", "Alpha, Beta"]
    chart = chart_json(response, "chart-repeat-listings")
    assert chart["labels"] == ["192.0.2.7", "192.0.2.8"]
    assert chart["datasets"][0]["data"] == [3, 2]


def test_an_address_in_two_targets_is_counted_per_target():
    alpha = BlocklistFactory(name="Alpha")
    alone = TargetFactory(value="192.0.2.7")
    network = TargetFactory(value="192.0.2.0/28", kind="range")
    for target in (alone, network):
        listing = ListingFactory(target=target, blocklist=alpha, subject="192.0.2.7")
        episode(listing, at=jst(2025, 5, 1), cleared=jst(2025, 5, 2))
        episode(listing, at=jst(2025, 5, 3), cleared=jst(2025, 5, 4))
    assert sorted((r.target_id, r.episodes) for r in repeats_in_the_last_year()) == [
        (alone.pk, 2),
        (network.pk, 2),
    ]


def test_repeat_listings_show_at_most_25():
    alpha = BlocklistFactory(name="Alpha")
    for n in range(27):
        listing = listing_on(alpha, TargetFactory(value=f"192.0.2.{n + 1}"))
        episode(listing, at=jst(2025, 5, 1), cleared=jst(2025, 5, 2))
        episode(listing, at=jst(2025, 5, 3), cleared=jst(2025, 5, 4))
    assert len(repeats_in_the_last_year()) == 25


def test_repeat_listings_say_so_when_none_repeated(reader):
    episode(listing_on(BlocklistFactory()), at=jst(2025, 5, 1))
    body = reader.get(URL).content
    assert b"No address was listed more than once in this period." in body


def test_repeat_listings_csv_holds_the_table(reader, repeats):
    response = reader.get(reverse("reports:report-repeat-listings-csv"))
    assert "repeat-listings-2024-07-2025-06.csv" in response["Content-Disposition"]
    assert csv_rows(response)[:2] == [
        ["Address or domain", "Episodes", "Lists", "Last listed"],
        ["192.0.2.7", "3", "Alpha, Beta", "2025-06-01T08:00+09:00"],
    ]
