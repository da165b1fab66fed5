"""One address, one count: an address inside two monitored targets is asked
once per list, has one Listing under its owner (the most specific enabled
target), and that row follows the owner. Loopback DNS: Barracuda lists
192.0.2.66, inside 192.0.2.64/28."""

import ipaddress
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from blcheck.monitoring import services
from blcheck.monitoring.models import CheckRun, Listing, ListingChange, Target
from blcheck.monitoring.overlap import Cover, Span
from blcheck.monitoring.targets import parse_target
from tests.factories import (
    CheckRunFactory,
    DelistingCaseFactory,
    ListingChangeFactory,
    ListingFactory,
    TargetFactory,
)
from tests.support.cases import IP, REVERSED
from tests.support.checks import check_run, check_target

RANGE = "192.0.2.64/28"
NEIGHBOUR = "65.2.0.192"  # 192.0.2.65: the range's alone
LISTED = ListingChange.Kind.LISTED
CLEARED = ListingChange.Kind.CLEARED


def asked(dns_server, owner):
    """A queries for the address on Barracuda (a listed one is also asked TXT)."""
    queries = dns_server.queries_for(f"{owner}.b.barracuda.test")
    return sum(1 for q in queries if q.rdtype == "A")


def the_range(**fields):
    return TargetFactory(
        value=RANGE, kind=Target.Kind.RANGE, label="mx range", **fields
    )


def the_address(**fields):
    return TargetFactory(value=IP, label="mx1", **fields)


def listing_of(subject=IP):
    (listing,) = Listing.objects.filter(subject=subject)
    return listing


def episodes(subject=IP):
    return list(
        ListingChange.objects.filter(listing__subject=subject)
        .order_by("at", "pk")
        .values_list("kind", flat=True)
    )


# --- ownership, pure ------------------------------------------------------------


def span(pk, value, *, is_enabled=True):
    return Span(pk, value, "", is_enabled, ipaddress.ip_network(value))


def test_the_most_specific_enabled_target_owns_an_address():
    cover = Cover(
        [
            span(1, "198.51.100.0/24"),
            span(2, "198.51.100.0/28"),
            span(3, "198.51.100.5"),
            span(4, "198.51.100.9", is_enabled=False),
            span(5, "2001:db8::/120"),
        ]
    )
    assert cover.owner("198.51.100.5").pk == 3
    assert cover.owner("198.51.100.9").pk == 2  # its own target is disabled
    assert cover.owner("198.51.100.200").pk == 1
    assert cover.owner("2001:db8::7").pk == 5
    assert cover.owner("203.0.113.1") is None
    assert cover.owner("mail.example.com") is None
    inside = cover.inside(ipaddress.ip_network("198.51.100.0/24"))
    assert [s.pk for s in inside] == [2, 3, 4]


# --- asked once ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.dns
def test_address_in_a_range_and_on_its_own_is_asked_once_per_list(
    dns_server, barracuda_on_dns
):
    ranged, address = the_range(), the_address()
    before = asked(dns_server, REVERSED), asked(dns_server, NEIGHBOUR)
    runs = services.run_check(
        run_ids=[CheckRunFactory(target=t).pk for t in (ranged, address)],
        claimant="test-task",
    )
    assert asked(dns_server, REVERSED) - before[0] == 1
    assert asked(dns_server, NEIGHBOUR) - before[1] == 1
    by_target = {run.target_id: run for run in runs}
    assert by_target[ranged.pk].total == 15  # 16 addresses, one owned elsewhere
    assert listing_of().target_id == address.pk
    assert listing_of().is_listed
    assert episodes() == [LISTED]


@pytest.mark.django_db
@pytest.mark.dns
def test_owner_takes_the_row_over_when_the_address_is_added_after_the_range(
    dns_server, barracuda_on_dns
):
    ranged = the_range()
    check_target(ranged)
    listing = listing_of()
    assert listing.target_id == ranged.pk
    address = services.target_create(
        parsed=parse_target(IP, max_range_size=settings.MAX_RANGE_SIZE),
        label="mx1",
        by=None,
    )
    check_target(address)
    moved = listing_of()
    assert (moved.pk, moved.target_id, moved.is_listed) == (
        listing.pk,
        address.pk,
        True,
    )
    assert episodes() == [LISTED]  # the range's episode, kept, not counted again
    before = asked(dns_server, REVERSED)
    check_target(ranged)
    assert asked(dns_server, REVERSED) == before  # the range no longer asks it
    assert listing_of().target_id == address.pk


@pytest.mark.django_db
@pytest.mark.dns
def test_range_takes_the_row_back_when_the_address_target_is_disabled(
    dns_server, barracuda_on_dns, barracuda_zone
):
    ranged, address = the_range(), the_address()
    check_target(address)
    check_target(ranged)
    Target.objects.filter(pk=address.pk).update(is_enabled=False)
    barracuda_zone.a.pop(REVERSED)  # delisted since
    before = asked(dns_server, REVERSED)
    check_target(ranged)
    assert asked(dns_server, REVERSED) - before == 1
    listing = listing_of()
    assert (listing.target_id, listing.is_listed) == (ranged.pk, False)
    assert episodes() == [LISTED, CLEARED]
    assert ListingChange.objects.get(kind=LISTED).ended_at is not None


@pytest.mark.django_db
@pytest.mark.dns
def test_a_cases_run_on_the_range_updates_the_owners_row(barracuda_on_dns):
    ranged, address = the_range(), the_address()
    check_target(address)
    run = CheckRunFactory(
        target=ranged,
        blocklist=barracuda_on_dns,
        subject=IP,
        trigger=CheckRun.Trigger.CASE,
    )
    assert check_run(run) is not None
    assert run.lookups.count() == 1
    assert listing_of().target_id == address.pk
    assert episodes() == [LISTED]


# --- rows recorded twice before ----------------------------------------------


@pytest.mark.django_db
@pytest.mark.dns
def test_rows_recorded_twice_before_become_one_on_the_next_check(barracuda_on_dns):
    """Before owners, both targets kept a row and logged the same episode; the
    range also saw an earlier one alone. The address's next check merges them:
    one episode each, and the case about the range's copy keeps its episode."""
    ranged, address = the_range(), the_address()
    now = timezone.now()
    rows = {}
    for target, seen in ((address, now - timedelta(hours=2)), (ranged, now)):
        rows[target] = ListingFactory(
            target=target, blocklist=barracuda_on_dns, subject=IP, listed_since=seen
        )
        ListingChangeFactory(listing=rows[target], kind=LISTED, at=seen)
    earlier = ListingChangeFactory(
        listing=rows[ranged],
        kind=LISTED,
        at=now - timedelta(days=10),
        ended_at=now - timedelta(days=9),
    )
    ListingChangeFactory(listing=rows[ranged], kind=CLEARED, at=earlier.ended_at)
    twin = ListingChange.objects.get(listing=rows[ranged], at=now)
    case = DelistingCaseFactory(
        target=ranged, blocklist=barracuda_on_dns, subject=IP, episode=twin
    )
    check_target(address)
    listing = listing_of()
    assert listing.pk == rows[address].pk
    assert episodes() == [LISTED, CLEARED, LISTED]
    case.refresh_from_db()
    assert case.episode == ListingChange.objects.get(
        listing=listing, kind=LISTED, ended_at=None
    )


# --- adding an overlapping target --------------------------------------------


@pytest.fixture
def staff(client, it_staff, english_site):
    client.force_login(it_staff)
    return client


def add(client, value, **headers):
    response = client.post(
        reverse("monitoring:target-create"),
        {"value": value, "label": "", "check_interval_minutes": 30},
        follow=True,
        **headers,
    )
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_adding_an_address_inside_a_monitored_range_warns_and_succeeds(staff):
    the_range()
    page = add(staff, "192.0.2.66")
    assert (
        "192.0.2.66 is inside 192.0.2.64/28 (mx range), already monitored: its "
        "answers will be recorded under 192.0.2.66 from now on."
    ) in page
    assert Target.objects.filter(value=IP).exists()


@pytest.mark.django_db
def test_adding_a_range_over_monitored_addresses_names_them(staff):
    for n in range(64, 71):
        TargetFactory(value=f"192.0.2.{n}", label="mx" if n == 64 else "")
    TargetFactory(value="192.0.2.71", is_enabled=False)  # not monitored: not named
    page = add(staff, RANGE)
    assert (
        "192.0.2.64/28 holds 7 targets already monitored: 192.0.2.64 (mx), "
        "192.0.2.65, 192.0.2.66, 192.0.2.67, 192.0.2.68 and 2 more."
    ) in page
    detail = staff.get(
        reverse("reports:target-detail", args=[Target.objects.get(value=RANGE).pk])
    ).content.decode()
    assert "7 targets inside this range are watched on their own" in detail
    inner = Target.objects.get(value="192.0.2.64")
    assert reverse("reports:target-detail", args=[inner.pk]) in detail
    inner_page = staff.get(reverse("reports:target-detail", args=[inner.pk]))
    assert "Inside <a href=" in inner_page.content.decode()


@pytest.mark.django_db
def test_overlap_warning_is_in_japanese(client, it_staff):
    client.force_login(it_staff)
    the_range()
    page = add(client, IP, HTTP_ACCEPT_LANGUAGE="ja")
    assert "192.0.2.64/28 (mx range) の中にあり、すでに監視しています" in page


@pytest.mark.django_db
def test_a_target_overlapping_nothing_adds_no_warning(staff):
    the_range()
    page = add(staff, "192.0.2.80")
    assert "already monitored:" not in page


@pytest.mark.django_db
def test_bulk_add_sums_the_overlaps_up_in_one_warning(staff):
    the_range()
    lines = "\n".join(f"192.0.2.{n}" for n in range(64, 72)) + "\n203.0.113.0/30\n"
    response = staff.post(
        reverse("monitoring:target-bulk"),
        {"lines": lines, "check_interval_minutes": 60},
        follow=True,
    )
    page = response.content.decode()
    assert "9 targets added." in page
    assert (
        "8 new targets overlap other targets: 192.0.2.64 inside 192.0.2.64/28 "
        "(mx range); 192.0.2.65 inside 192.0.2.64/28 (mx range)"
    ) in page
    assert "; 3 more. Each address is asked once per list" in page
    assert page.count("overlap other targets") == 1
