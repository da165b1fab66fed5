"""Listings, episodes, claims, recovery and retention: service + DB + loopback DNS."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from blcheck.monitoring import services
from blcheck.monitoring.models import CheckRun, Listing, ListingChange, Lookup
from blcheck.monitoring.services.runs import LEASE, MAX_ATTEMPTS
from tests.factories import (
    BlocklistFactory,
    CheckRunFactory,
    LookupFactory,
    TargetFactory,
)
from tests.support.checks import check_target
from tests.support.dnsserver import Zone

pytestmark = [pytest.mark.django_db, pytest.mark.dns]


@pytest.fixture
def flip_zone(dns_server):
    """A list whose answers the test changes between runs."""
    zone = dns_server.add_zone(Zone("flip.dnsbl.test", a={"2.0.0.127": ["127.0.0.2"]}))
    BlocklistFactory(zone="flip.dnsbl.test", name="Flip")
    yield zone
    zone.a = {"2.0.0.127": ["127.0.0.2"]}
    zone.per_name = {}


def test_first_clean_check_records_state_without_an_episode(flip_zone):
    target = TargetFactory(value="192.0.2.30")
    check_target(target)
    listing = Listing.objects.get()
    assert (listing.is_listed, listing.listed_since, listing.change_count) == (
        False,
        None,
        0,
    )
    assert not ListingChange.objects.exists()


def test_listing_then_clearing_records_one_episode(flip_zone):
    target = TargetFactory(value="192.0.2.30")
    flip_zone.a["30.2.0.192"] = ["127.0.0.2"]
    first = check_target(target)
    listing = Listing.objects.get()
    assert listing.is_listed and listing.listed_since is not None
    flip_zone.a.pop("30.2.0.192")
    second = check_target(target)
    listing.refresh_from_db()
    assert (listing.is_listed, listing.listed_since, listing.change_count) == (
        False,
        None,
        2,
    )
    changes = list(
        ListingChange.objects.filter(listing__target=target).order_by("at", "pk")
    )
    assert [(c.kind, c.run_id) for c in changes] == [
        ("listed", first.pk),
        ("cleared", second.pk),
    ]
    # The episode's end is written on its start, for history and reports.
    assert changes[0].ended_at == changes[1].at
    assert changes[1].ended_at is None
    assert {c.blocklist_id for c in changes} == {listing.blocklist_id}


def test_flapping_counts_every_flip(flip_zone):
    target = TargetFactory(value="192.0.2.30")
    for listed in (True, False, True, False, True):
        if listed:
            flip_zone.a["30.2.0.192"] = ["127.0.0.2"]
        else:
            flip_zone.a.pop("30.2.0.192", None)
        check_target(target)
    assert Listing.objects.get().change_count == 5
    assert ListingChange.objects.filter(kind="listed").count() == 3
    ends = list(
        ListingChange.objects.filter(kind="listed")
        .order_by("at", "pk")
        .values_list("ended_at", flat=True)
    )
    cleared = list(
        ListingChange.objects.filter(kind="cleared")
        .order_by("at", "pk")
        .values_list("at", flat=True)
    )
    assert ends == [*cleared, None]  # each episode ends at the next clearing


def test_an_error_keeps_the_last_known_state(flip_zone):
    from tests.support.dnsserver import Behaviour

    target = TargetFactory(value="192.0.2.30")
    flip_zone.a["30.2.0.192"] = ["127.0.0.2"]
    check_target(target)
    flip_zone.per_name["30.2.0.192"] = Behaviour.SERVFAIL
    check_target(target)
    listing = Listing.objects.get()
    assert (listing.is_listed, listing.last_error, listing.change_count) == (
        True,
        "servfail",
        1,
    )


def flip_zone_blocklist():
    from blcheck.monitoring.models import Blocklist

    return Blocklist.objects.get(zone="flip.dnsbl.test")


def test_a_second_delivery_writes_nothing_twice(flip_zone):
    flip_zone.a["30.2.0.192"] = ["127.0.0.2"]
    run = CheckRunFactory(target=TargetFactory(value="192.0.2.30"))
    services.run_check(run_ids=[run.pk], claimant="task-1")
    assert services.run_check(run_ids=[run.pk], claimant="task-2") == []
    assert (Lookup.objects.count(), ListingChange.objects.count()) == (1, 1)


def test_a_retry_of_the_same_task_resumes_its_own_run(flip_zone):
    run = CheckRunFactory(target=TargetFactory(value="192.0.2.28/30", kind="range"))
    services.run_claim(run_ids=[run.pk], claimant="task-1")  # then the DB went away
    assert services.run_check(run_ids=[run.pk], claimant="task-2") == []  # leased
    (done,) = services.run_check(run_ids=[run.pk], claimant="task-1")  # the retry
    assert (done.status, done.done, done.total) == ("finished", 4, 4)


def test_a_run_whose_worker_died_resumes_without_duplicates(flip_zone):
    flip_zone.a["29.2.0.192"] = ["127.0.0.2"]
    target = TargetFactory(value="192.0.2.28/30", kind="range")
    run = CheckRunFactory(target=target)
    services.run_claim(run_ids=[run.pk], claimant="dead-worker")
    blocklist = flip_zone_blocklist()
    for subject in ("192.0.2.28", "192.0.2.29"):  # recorded before the kill
        LookupFactory(
            run=run,
            target=target,
            blocklist=blocklist,
            subject=subject,
            verdict="not_listed",
        )
    later = timezone.now() + LEASE + timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        (done,) = services.run_check(run_ids=[run.pk], claimant="new-worker")
    assert (done.status, done.total, done.done, done.attempts) == ("finished", 4, 4, 2)
    assert sorted(run.lookups.values_list("subject", flat=True)) == [
        "192.0.2.28",
        "192.0.2.29",
        "192.0.2.30",
        "192.0.2.31",
    ]


def test_recovery_requeues_runs_with_an_expired_lease(
    django_capture_on_commit_callbacks,
):
    stuck = CheckRunFactory(
        status="running",
        claimed_by="dead",
        lease_until=timezone.now() - timedelta(seconds=1),
        attempts=1,
    )
    lost = CheckRunFactory(status="queued", lease_until=timezone.now() - timedelta(1))
    fresh = CheckRunFactory(
        status="running",
        claimed_by="alive",
        lease_until=timezone.now() + LEASE,
        attempts=1,
    )
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.run_recover_stalled() == 2
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert (stuck.status, stuck.claimed_by) == ("queued", "")
    assert fresh.status == "running"
    assert len(callbacks) == 1
    assert sorted(callbacks[0].args[0]) == sorted([stuck.pk, lost.pk])


def test_recovery_gives_up_after_repeated_failures():
    run = CheckRunFactory(
        status="running",
        claimed_by="dead",
        attempts=MAX_ATTEMPTS,
        lease_until=timezone.now() - timedelta(seconds=1),
    )
    services.run_recover_stalled()
    run.refresh_from_db()
    assert (run.status, run.failure) == (
        "failed",
        f"gave up after {MAX_ATTEMPTS} attempts",
    )


def test_dispatch_sends_due_runs_in_batches(
    settings, django_capture_on_commit_callbacks
):
    settings.DISPATCH_BATCH = 50
    for i in range(120):
        TargetFactory(value=f"198.18.0.{i + 1}", next_check_at=timezone.now())
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.run_dispatch_due() == 120
    assert [len(c.args[0]) for c in callbacks] == [50, 50, 20]
    assert (
        CheckRun.objects.filter(trigger="schedule").values("group").distinct().count()
        == 1
    )


def test_prune_keeps_listings_and_recent_lookups(settings):
    settings.LOOKUP_RETENTION_DAYS = 90
    old = LookupFactory(checked_at=timezone.now() - timedelta(days=91))
    recent = LookupFactory(checked_at=timezone.now() - timedelta(days=89))
    ListingChange.objects.create(
        listing=Listing.objects.create(
            target=old.target,
            blocklist=old.blocklist,
            subject=old.subject,
            last_changed_at=old.checked_at,
        ),
        blocklist=old.blocklist,
        kind="listed",
        at=old.checked_at,
    )
    assert services.lookup_prune() == 1
    assert list(Lookup.objects.values_list("pk", flat=True)) == [recent.pk]
    assert ListingChange.objects.count() == 1


def test_probe_results_are_shared_for_a_while(settings, dns_server, flip_zone):
    settings.PROBE_CACHE_SECONDS = 300
    from blcheck.core.broker import redis_client

    redis_client().delete("blcheck:health:flip.dnsbl.test:ipv4")
    check_target(TargetFactory(value="192.0.2.40"))
    probes_before = len(dns_server.queries_for("0.0.127.flip.dnsbl.test"))
    check_target(TargetFactory(value="192.0.2.41"))
    assert len(dns_server.queries_for("0.0.127.flip.dnsbl.test")) == probes_before
