"""Service + database + loopback DNS: a run records one truthful Lookup per list."""

from datetime import timedelta

import pytest
from django.utils import timezone

from blcheck.monitoring import services
from blcheck.monitoring.models import CheckRun, Lookup
from blcheck.monitoring.targets import parse_target
from tests.conftest import CLEAN_IP, LISTED_IP
from tests.factories import BlocklistFactory, CheckRunFactory, TargetFactory

pytestmark = [pytest.mark.django_db, pytest.mark.dns]


def run_check(value, zones):
    for zone in zones:
        BlocklistFactory(zone=zone)
    run = CheckRunFactory(target=TargetFactory(value=value))
    return services.target_check(run=run)


def verdicts(run):
    return {x.blocklist.zone: (x.verdict, x.error) for x in run.lookups.all()}


def test_listed_address_is_recorded_with_codes_and_reason():
    run = run_check(LISTED_IP, ["good.dnsbl.test"])
    lookup = run.lookups.get()
    assert (lookup.verdict, lookup.codes, lookup.query_name) == (
        "listed",
        ["127.0.0.2"],
        "66.2.0.192.good.dnsbl.test",
    )
    assert "https://good.dnsbl.test/lookup?ip=192.0.2.66" in lookup.reason
    assert (run.status, run.total, run.done, run.listed_count) == ("finished", 1, 1, 1)
    assert run.target.last_checked_at is not None


def test_clean_address_is_not_listed():
    run = run_check(CLEAN_IP, ["good.dnsbl.test", "second.dnsbl.test"])
    assert set(verdicts(run).values()) == {("not_listed", "")}


def test_servfail_is_recorded_as_error():
    run = run_check(CLEAN_IP, ["servfail.dnsbl.test"])
    assert verdicts(run) == {"servfail.dnsbl.test": ("error", "servfail")}
    assert run.error_count == 1


def test_refusal_code_and_parked_zone_are_errors_not_listings():
    run = run_check(
        CLEAN_IP,
        ["publicresolver.dnsbl.test", "parked.dnsbl.test", "refused.dnsbl.test"],
    )
    assert verdicts(run) == {
        "publicresolver.dnsbl.test": ("error", "resolver_refused"),
        "parked.dnsbl.test": ("error", "bad_answer"),
        "refused.dnsbl.test": ("error", "refused"),
    }


def test_range_checks_every_address_on_every_fitting_list():
    BlocklistFactory(zone="good.dnsbl.test")
    BlocklistFactory(zone="v6only.dnsbl.test", has_ipv4=False, has_ipv6=True)
    run = CheckRunFactory(target=TargetFactory(value="192.0.2.64/30", kind="range"))
    run = services.target_check(run=run)
    assert run.total == run.done == 4
    assert list(
        run.lookups.filter(verdict="listed").values_list("subject", flat=True)
    ) == [LISTED_IP]


def test_a_claimed_run_is_not_run_twice():
    BlocklistFactory(zone="good.dnsbl.test")
    run = CheckRunFactory(target=TargetFactory(value=LISTED_IP))
    assert services.target_check(run=run) is not None
    assert services.target_check(run=run) is None
    assert Lookup.objects.count() == 1


def test_due_targets_are_claimed_once(django_capture_on_commit_callbacks):
    due = TargetFactory(next_check_at=timezone.now() - timedelta(minutes=1))
    TargetFactory(next_check_at=timezone.now() + timedelta(hours=1))
    TargetFactory(is_enabled=False, next_check_at=timezone.now())
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.checks_dispatch_due() == 1
        assert services.checks_dispatch_due() == 0
    run = CheckRun.objects.get()
    assert (run.target, run.trigger, len(callbacks)) == (due, "schedule", 1)
    due.refresh_from_db()
    assert due.next_check_at > timezone.now() + timedelta(minutes=59)


def test_new_target_is_due_at_once():
    target = services.target_create(
        parsed=parse_target("192.0.2.1", max_range_size=8), label="mx1", by=None
    )
    assert target.next_check_at <= timezone.now()
