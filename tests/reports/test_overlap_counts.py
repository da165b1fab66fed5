"""One address, one count in what managers read: 192.0.2.66 monitored on its
own and inside 192.0.2.64/28, listed by Barracuda (loopback DNS) and then
delisted, is one episode in the listings per month, the recent changes, the
episode history and the CSVs. Rows recorded twice before owners existed are
merged on the address's next check."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from blcheck.monitoring import services
from blcheck.monitoring.models import ListingChange, Target
from blcheck.reports import stats
from blcheck.reports.selectors import dashboard, reports_listings
from blcheck.reports.selectors import reports as report_selectors
from tests.factories import (
    CheckRunFactory,
    ListingChangeFactory,
    ListingFactory,
    TargetFactory,
)
from tests.support.cases import IP, REVERSED
from tests.support.checks import check_target
from tests.support.history import page_rows
from tests.support.html import parse
from tests.support.reports import csv_rows

pytestmark = [pytest.mark.django_db, pytest.mark.dns]

RANGE = "192.0.2.64/28"
LISTED = ListingChange.Kind.LISTED
CLEARED = ListingChange.Kind.CLEARED


def sweep(*targets):
    """One run per target in one batch, as a scheduled sweep sends them."""
    services.run_check(
        run_ids=[CheckRunFactory(target=t).pk for t in targets], claimant="sweep"
    )


def the_range():
    return TargetFactory(value=RANGE, kind=Target.Kind.RANGE, label="mx range")


def period():
    return stats.last_months(timezone.localdate(), 12)


@pytest.fixture(params=["together", "address added later"])
def listed_then_cleared(request, barracuda_on_dns, barracuda_zone):
    """Barracuda lists 192.0.2.66 and then delists it, both targets checked
    each time; or the address target is added after the range found it."""
    ranged = the_range()
    if request.param == "together":
        address = TargetFactory(value=IP, label="mx1")
        sweep(ranged, address)
    else:
        check_target(ranged)
        address = TargetFactory(value=IP, label="mx1")
        sweep(ranged, address)
    barracuda_zone.a.pop(REVERSED)
    sweep(ranged, address)
    return barracuda_on_dns


def test_listings_per_month_count_the_episode_once(reader, listed_then_cleared):
    data = reports_listings.episode_monthly_counts(period=period())
    assert [(row.name, row.total) for row in data.rows] == [("Barracuda Reputation", 1)]
    rows = csv_rows(reader.get(reverse("reports:report-listings-per-month-csv")))
    assert rows[1][0] == "Barracuda Reputation" and rows[1][-1] == "1"
    assert rows[-1][-1] == "1"  # the total


def test_report_headlines_and_delist_times_count_it_once(listed_then_cleared):
    headlines = report_selectors.report_headlines(period=period(), now=timezone.now())
    assert headlines.new_listings == 1
    (times,) = reports_listings.blocklist_delist_times(
        period=period(), now=timezone.now()
    )
    assert (times.episodes.count, times.still_listed) == (1, 0)


def test_recent_changes_show_one_listing_and_one_clearance(reader, listed_then_cleared):
    changes = dashboard.listing_change_latest()
    assert [(c.kind, c.listing.subject) for c in changes] == [
        (CLEARED, IP),
        (LISTED, IP),
    ]
    address = Target.objects.get(value=IP)
    assert {c.listing.target_id for c in changes} == {address.pk}
    panel = parse(reader.get(reverse("reports:dashboard")).content).by_id(
        "dash-changes"
    )
    assert [row[1:3] for row in panel.find("tbody").rows()] == [
        [IP, "Barracuda Reputation"],
        [IP, "Barracuda Reputation"],
    ]


def test_episode_history_and_its_csv_hold_one_episode(reader, listed_then_cleared):
    (episode,) = page_rows(reader.get(reverse("reports:history-episodes")))
    assert episode.listing.subject == IP and episode.ended_at is not None
    response = reader.get(reverse("reports:history-episodes-csv"))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert len(lines) == 2  # the header and one episode
    assert f",{IP},{IP}," in lines[1]  # the address, under its own target


def test_rows_recorded_twice_before_count_once_after_the_next_check(
    reader, barracuda_on_dns
):
    """Before owners, the range and the address each logged the episode (two
    rows, a minute apart); the address's next check merges them."""
    ranged, address = the_range(), TargetFactory(value=IP)
    start = timezone.now() - timedelta(hours=3)
    for target, at in ((ranged, start), (address, start + timedelta(minutes=1))):
        listing = ListingFactory(
            target=target, blocklist=barracuda_on_dns, subject=IP, listed_since=at
        )
        ListingChangeFactory(listing=listing, kind=LISTED, at=at)
    assert reports_listings.episode_monthly_counts(period=period()).total == 2
    check_target(address)
    assert reports_listings.episode_monthly_counts(period=period()).total == 1
    assert len(page_rows(reader.get(reverse("reports:history-episodes")))) == 1
    assert [c.kind for c in dashboard.listing_change_latest()] == [LISTED]
