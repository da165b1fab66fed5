"""Service + database + loopback DNS: a run records one truthful Lookup per list."""

from datetime import timedelta

import pytest
from django.utils import timezone

from blcheck.monitoring import services
from blcheck.monitoring.models import Blocklist, CheckRun, Lookup
from blcheck.monitoring.targets import parse_target
from tests.conftest import CLEAN_IP, LISTED_IP
from tests.factories import BlocklistFactory, CheckRunFactory, TargetFactory
from tests.support.checks import check_run, check_target

pytestmark = [pytest.mark.django_db, pytest.mark.dns]


def check_now(value, zones):
    for zone in zones:
        BlocklistFactory(zone=zone)
    return check_target(TargetFactory(value=value))


def verdicts(run):
    return {x.blocklist.zone: (x.verdict, x.error) for x in run.lookups.all()}


def test_listed_address_is_recorded_with_codes_and_reason():
    run = check_now(LISTED_IP, ["good.dnsbl.test"])
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
    run = check_now(CLEAN_IP, ["good.dnsbl.test", "second.dnsbl.test"])
    assert set(verdicts(run).values()) == {("not_listed", "")}


@pytest.mark.parametrize(
    ("address", "error"),
    [
        ("192.0.2.10", "servfail"),
        ("192.0.2.11", "timeout"),
        ("192.0.2.12", "refused"),
        ("192.0.2.13", "resolver_refused"),
        ("192.0.2.14", "bad_answer"),
    ],
)
def test_doubtful_answer_on_a_healthy_list_is_an_error_not_clean(address, error):
    run = check_now(address, ["flaky.dnsbl.test"])
    assert verdicts(run) == {"flaky.dnsbl.test": ("error", error)}
    assert run.error_count == 1 and run.listed_count == 0


@pytest.mark.parametrize(
    ("zone", "health"),
    [
        ("everything.dnsbl.test", "lists_everything"),
        ("publicresolver.dnsbl.test", "refused"),
        ("parked.dnsbl.test", "bad_answer"),
        ("servfail.dnsbl.test", "servfail"),
        ("refused.dnsbl.test", "dns_refused"),
        ("second.dnsbl.test", "ok"),
    ],
)
def test_list_failing_its_probes_is_flagged_and_not_believed(zone, health):
    run = check_now(LISTED_IP, [zone])
    blocklist = Blocklist.objects.get(zone=zone)
    assert (blocklist.health, blocklist.health_checked_at is not None) == (health, True)
    expected = ("not_listed", "") if health == "ok" else ("error", "list_unhealthy")
    assert verdicts(run) == {zone: expected}


def test_unhealthy_list_is_not_queried_beyond_its_probes(dns_server):
    before = len(dns_server.queries_for("everything.dnsbl.test"))
    check_now("192.0.2.0/30", ["everything.dnsbl.test"])
    assert len(dns_server.queries_for("everything.dnsbl.test")) - before == 2


def test_list_without_test_points_is_trusted_without_probes(dns_server):
    BlocklistFactory(zone="flaky.dnsbl.test", has_test_points=False)
    before = len(dns_server.queries_for("flaky.dnsbl.test"))
    run = CheckRunFactory(target=TargetFactory(value="192.0.2.20"))
    check_run(run)
    assert len(dns_server.queries_for("flaky.dnsbl.test")) - before == 1


def test_key_based_list_stays_off_without_its_key(settings):
    BlocklistFactory(zone="{key}.good.dnsbl.test", key_setting="BLCHECK_ABUSIX_KEY")
    settings.DNSBL_KEYS = {"BLCHECK_ABUSIX_KEY": ""}
    run = check_target(TargetFactory(value=LISTED_IP))
    assert run.total == 0


def test_key_based_list_is_queried_with_its_key(settings, dns_server):
    BlocklistFactory(zone="{key}.dnsbl.test", key_setting="BLCHECK_ABUSIX_KEY")
    settings.DNSBL_KEYS = {"BLCHECK_ABUSIX_KEY": "good"}
    run = check_target(TargetFactory(value=LISTED_IP))
    assert list(run.lookups.values_list("query_name", "verdict")) == [
        ("66.2.0.192.good.dnsbl.test", "listed")
    ]


def test_ipv6_target_is_not_asked_of_ipv4_only_lists(dns_server):
    BlocklistFactory(zone="good.dnsbl.test")  # IPv4 only
    run = CheckRunFactory(target=TargetFactory(value="2001:db8::1"))
    assert check_run(run).total == 0


def test_range_checks_every_address_on_every_fitting_list():
    BlocklistFactory(zone="good.dnsbl.test")
    BlocklistFactory(zone="v6only.dnsbl.test", has_ipv4=False, has_ipv6=True)
    run = CheckRunFactory(target=TargetFactory(value="192.0.2.64/30", kind="range"))
    run = check_run(run)
    assert run.total == run.done == 4
    assert list(
        run.lookups.filter(verdict="listed").values_list("subject", flat=True)
    ) == [LISTED_IP]


def test_a_claimed_run_is_not_run_twice():
    BlocklistFactory(zone="good.dnsbl.test")
    run = CheckRunFactory(target=TargetFactory(value=LISTED_IP))
    assert check_run(run) is not None
    assert check_run(run) is None
    assert Lookup.objects.count() == 1


def test_due_targets_are_claimed_once(django_capture_on_commit_callbacks):
    due_at = timezone.now() - timedelta(minutes=1)
    due = TargetFactory(next_check_at=due_at)
    TargetFactory(next_check_at=timezone.now() + timedelta(hours=1))
    TargetFactory(is_enabled=False, next_check_at=timezone.now())
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.run_dispatch_due() == 1
        assert services.run_dispatch_due() == 0
    run = CheckRun.objects.get()
    assert (run.target, run.trigger, len(callbacks)) == (due, "schedule", 1)
    due.refresh_from_db()
    assert due.next_check_at == due_at + timedelta(minutes=60)  # from its due time


def test_new_target_is_due_at_once():
    target = services.target_create(
        parsed=parse_target("192.0.2.1", max_range_size=8), label="mx1", by=None
    )
    assert target.next_check_at <= timezone.now()
