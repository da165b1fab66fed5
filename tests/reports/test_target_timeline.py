"""The target page's listing episodes: pairing the changes, the timeline's
geometry (blcheck/reports/timeline.py), the SVG chart and the table beside it."""

import re
from datetime import timedelta

import pytest
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import translation

from blcheck.monitoring.models import Lookup
from blcheck.reports.filters import TargetPageFilter
from blcheck.reports.selectors import target as selectors
from blcheck.reports.timeline import (
    CHART_LEFT,
    CHART_WIDTH,
    Episode,
    timeline_layout,
    timeline_start,
)
from tests.factories import ListingFactory
from tests.support.history import NOW, episode
from tests.support.html import parse
from tests.support.reading import row, section, target_page

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


def episodes_section(client, user, target, **params):
    return section(target_page(client, user, target, **params), "episodes")


# --- Pairing the changes into episodes --------------------------------------------


def test_episodes_pair_each_listing_with_the_next_clearing(four_lists, ipv4_target):
    listing = ListingFactory(target=ipv4_target, blocklist=four_lists[0])
    episode(listing, at=NOW - timedelta(days=10), cleared=NOW - timedelta(days=8))
    episode(listing, at=NOW - timedelta(days=5))
    found = selectors.target_episodes(
        target=ipv4_target, days=90, listed_since=None, now=NOW
    )
    assert sorted((e.listed_at, e.cleared_at) for e in found) == [
        (NOW - timedelta(days=10), NOW - timedelta(days=8)),
        (NOW - timedelta(days=5), None),
    ]
    assert [e.duration for e in found if e.is_open] == [timedelta(days=5)]


def test_an_episode_begun_before_the_window_keeps_its_real_start(
    four_lists, ipv4_target
):
    listing = ListingFactory(
        target=ipv4_target, blocklist=four_lists[0], is_listed=False
    )
    episode(listing, at=NOW - timedelta(days=100), cleared=NOW - timedelta(days=10))
    open_listing = ListingFactory(
        target=ipv4_target,
        blocklist=four_lists[1],
        last_changed_at=NOW - timedelta(days=200),
    )
    episode(open_listing, at=NOW - timedelta(days=200))
    found = selectors.target_episodes(
        target=ipv4_target, days=90, listed_since=NOW - timedelta(days=200), now=NOW
    )
    assert sorted((e.blocklist, e.duration) for e in found) == [
        ("Alpha", timedelta(days=90)),
        ("Bravo", timedelta(days=200)),
    ]


# --- Geometry ---------------------------------------------------------------------


def test_bars_sit_at_their_fraction_of_the_window():
    start = NOW - timedelta(days=10)
    closed = Episode(
        "Alpha", "192.0.2.66", start + timedelta(days=2), NOW - timedelta(days=3), None
    )
    still = Episode("Alpha", "192.0.2.66", NOW - timedelta(days=1), None, None)
    early = Episode(
        "Bravo",
        "192.0.2.66",
        start - timedelta(days=5),
        start + timedelta(days=1),
        None,
    )
    timeline = timeline_layout([closed, still, early], start=start, end=NOW)
    alpha, bravo = timeline.lanes
    assert [(b.start, b.end) for b in alpha.bars] == [
        pytest.approx((0.2, 0.7)),
        pytest.approx((0.9, 1.0)),
    ]
    assert [(b.start, b.end, b.is_clipped) for b in bravo.bars] == [
        pytest.approx((0.0, 0.1, True))
    ]
    first = alpha.bars[0]
    assert first.x == CHART_LEFT + 0.2 * CHART_WIDTH
    assert first.width == pytest.approx(0.5 * CHART_WIDTH)
    assert bravo.y > alpha.y
    assert [e.listed_at for e in timeline.episodes] == [
        still.listed_at,
        closed.listed_at,
        early.listed_at,
    ]


def test_lanes_follow_list_then_address_in_numeric_order():
    def listed(blocklist, subject):
        return Episode(blocklist, subject, NOW - timedelta(days=1), None, None)

    timeline = timeline_layout(
        [
            listed("B", "192.0.2.10"),
            listed("B", "192.0.2.9"),
            listed("A", "192.0.2.10"),
        ],
        start=NOW - timedelta(days=2),
        end=NOW,
    )
    assert [(x.blocklist, x.subject) for x in timeline.lanes] == [
        ("A", "192.0.2.10"),
        ("B", "192.0.2.9"),
        ("B", "192.0.2.10"),
    ]


def test_window_is_since_the_first_episode_when_that_is_shorter():
    first = Episode("Alpha", "192.0.2.66", NOW - timedelta(days=20), None, None)
    start = timeline_start([first], now=NOW, days=90)
    assert NOW - timedelta(days=22) < start < first.listed_at
    assert timeline_start([], now=NOW, days=90) == NOW - timedelta(days=90)
    old = Episode("Alpha", "192.0.2.66", NOW - timedelta(days=400), None, None)
    assert timeline_start([old], now=NOW, days=30) == NOW - timedelta(days=30)


# --- The chart and the table ------------------------------------------------------


def test_chart_draws_one_bar_per_episode_and_open_ones_as_still_listed(
    client, manager, four_lists, ipv4_target
):
    alpha = ListingFactory(target=ipv4_target, blocklist=four_lists[0])
    episode(alpha, at=NOW - timedelta(days=30), cleared=NOW - timedelta(days=20))
    episode(alpha, at=NOW - timedelta(days=2))
    bravo = ListingFactory(target=ipv4_target, blocklist=four_lists[1], is_listed=False)
    episode(bravo, at=NOW - timedelta(days=10), cleared=NOW - timedelta(days=9))
    svg = episodes_section(client, manager, ipv4_target).find("svg")
    assert svg["role"] == "img"
    assert svg["aria-labelledby"].startswith("episode-chart-title")
    assert len(svg.find_all("rect", class_="bar")) == 3
    assert len(svg.find_all("rect", class_="bar-open")) == 1
    assert len(svg.find_all("g", class_="lane")) == 2 and "still listed" in svg.text


def test_chart_coordinates_stay_plain_numbers_in_comma_locales(four_lists, ipv4_target):
    listing = ListingFactory(target=ipv4_target, blocklist=four_lists[0])
    episode(listing, at=NOW - timedelta(days=7, hours=3))
    timeline = selectors.target_timeline(target=ipv4_target, days=90, listed_since=None)
    page_filter = TargetPageFilter(
        QueryDict(), queryset=Lookup.objects.none(), blocklists=[]
    )
    context = {"timeline": timeline, "target": ipv4_target, "filter": page_filter}
    with translation.override("de"):
        html = render_to_string("reports/partials/target_timeline.html", context)
    assert timeline.lanes[0].bars[0].x % 1  # a fraction to write
    bar = parse(html).find("rect", class_="bar")
    assert re.fullmatch(r"\d+\.\d", bar["x"]) and re.fullmatch(r"\d+", bar["y"])
    assert re.fullmatch(r"\d+\.\d", bar["width"])


def test_episode_table_gives_the_durations(client, manager, four_lists, ipv4_target):
    listing = ListingFactory(target=ipv4_target, blocklist=four_lists[0])
    episode(
        listing, at=NOW - timedelta(days=10), cleared=NOW - timedelta(days=7, hours=20)
    )
    episode(listing, at=NOW - timedelta(hours=5, minutes=30))
    section_ = episodes_section(client, manager, ipv4_target)
    table = section_.find("table", class_="episode-table")
    assert "2 d 4 h" in row(table, "2 d 4 h").text
    still = row(table, "5 h 30 min")
    assert "still listed" in still.text and "so far" in still.text


def test_days_parameter_narrows_the_period(client, manager, four_lists, ipv4_target):
    listing = ListingFactory(
        target=ipv4_target, blocklist=four_lists[0], is_listed=False
    )
    episode(listing, at=NOW - timedelta(days=60), cleared=NOW - timedelta(days=59))
    assert "1 d 0 h" in episodes_section(client, manager, ipv4_target).text
    narrow = episodes_section(client, manager, ipv4_target, days="30")
    assert "No listing in this period." in narrow.text and not narrow.find_all("svg")
    assert narrow.find("a", aria_current="page").text == "Last 30 days"


@pytest.mark.parametrize(("days", "shown"), [("30", 30), ("365", 365), ("7", 90)])
def test_the_period_is_one_of_the_offered_ones(days, shown):
    page_filter = TargetPageFilter(
        QueryDict(f"days={days}"), queryset=Lookup.objects.none(), blocklists=[]
    )
    assert page_filter.timeline_days == shown
