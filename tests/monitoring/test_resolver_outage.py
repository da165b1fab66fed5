"""The resolver itself failing: one outage, blind runs, /healthz and the banner.

Real parts: the loopback DNS server (refusing everything on demand) and a
dead port on 127.0.0.1 for a resolver that is not there.
"""

import json

import pytest
from django.utils import timezone

from blcheck.monitoring import services
from blcheck.monitoring.models import Blocklist, CheckRun, ResolverOutage
from tests.conftest import CLEAN_IP, LISTED_IP
from tests.factories import TargetFactory
from tests.support.checks import check_target
from tests.support.ports import free_port

pytestmark = [pytest.mark.django_db, pytest.mark.dns]


@pytest.fixture
def dead_resolver(settings):
    address = f"127.0.0.1:{free_port()}"
    settings.DNS_NAMESERVERS = [address]
    settings.DNS_TIMEOUT = 0.3
    return address


@pytest.fixture
def refusing_resolver(dns_server):
    dns_server.refuse_all = True
    yield dns_server
    dns_server.refuse_all = False


def test_dead_resolver_opens_one_outage_and_runs_are_blind(
    test_blocklists, dead_resolver
):
    target = TargetFactory(value=CLEAN_IP)
    first, second = check_target(target), check_target(target)
    outage = ResolverOutage.objects.get()
    assert outage.ended_at is None and outage.nameserver == dead_resolver
    assert outage.failure in {"timeout", "refused", "no_nameservers"}
    assert [first.status, second.status] == ["blind", "blind"]
    assert {first.outage_id, second.outage_id} == {outage.pk}
    assert ResolverOutage.objects.get().blind_runs == 2
    target.refresh_from_db()
    assert target.last_checked_at is None  # a blind run is no check
    assert not target.listings.exists()  # nothing said "not listed"
    # Not the lists' fault: their health is not blamed for the resolver.
    assert set(
        Blocklist.objects.filter(is_enabled=True).values_list("health", flat=True)
    ) == {""}


def test_refusing_resolver_is_an_outage_named_refused(
    test_blocklists, refusing_resolver
):
    run = check_target(TargetFactory(value=CLEAN_IP))
    outage = ResolverOutage.objects.get()
    assert (run.status, outage.failure) == ("blind", "refused")
    assert outage.nameserver == refusing_resolver.address


def test_outage_ends_when_the_resolver_answers_again(
    test_blocklists, settings, dns_server
):
    target = TargetFactory(value=LISTED_IP)
    working = settings.DNS_NAMESERVERS
    settings.DNS_NAMESERVERS = [f"127.0.0.1:{free_port()}"]
    settings.DNS_TIMEOUT = 0.3
    assert check_target(target).status == "blind"
    settings.DNS_NAMESERVERS = working
    run = check_target(target)
    assert run.status == "finished" and run.listed_count == 1
    outage = ResolverOutage.objects.get()
    assert outage.ended_at is not None and outage.blind_runs == 1


def test_watch_ends_the_outage_without_a_run(settings, dead_resolver, dns_server):
    now = timezone.now()
    ResolverOutage.objects.create(
        started_at=now, last_seen_at=now, failure="timeout", nameserver=dead_resolver
    )
    assert services.resolver_outage_watch() is None  # still dead
    assert ResolverOutage.objects.get().ended_at is None
    settings.DNS_NAMESERVERS = [dns_server.address]
    assert services.resolver_outage_watch() is not None
    assert ResolverOutage.objects.get().ended_at is not None


def test_one_dead_list_is_not_an_outage(db, english_site):
    Blocklist.objects.update(is_enabled=False)
    Blocklist.objects.create(zone="silent.dnsbl.test", name="Silent")
    run = check_target(TargetFactory(value=CLEAN_IP))
    assert not ResolverOutage.objects.exists()  # the canary was answered
    lookup = run.lookups.get()
    assert (run.status, lookup.error, lookup.health) == (
        "finished",
        "list_unhealthy",
        "timeout",
    )
    assert lookup.get_health_display() == "No answer to its probes in time"


def test_reasons_survive_per_list(db):
    Blocklist.objects.update(is_enabled=False)
    for zone in (
        "refused.dnsbl.test",
        "servfail.dnsbl.test",
        "publicresolver.dnsbl.test",
        "good.dnsbl.test",
    ):
        Blocklist.objects.create(zone=zone, name=zone.split(".")[0])
    run = check_target(TargetFactory(value=CLEAN_IP))
    reasons = {x.blocklist.zone: (x.error, x.health) for x in run.lookups.all()}
    assert reasons == {
        "refused.dnsbl.test": ("list_unhealthy", "dns_refused"),
        "servfail.dnsbl.test": ("list_unhealthy", "servfail"),
        "publicresolver.dnsbl.test": ("list_unhealthy", "refused"),
        "good.dnsbl.test": ("", ""),
    }
    health = dict(
        Blocklist.objects.filter(is_enabled=True).values_list("zone", "health")
    )
    assert health["publicresolver.dnsbl.test"] == "refused"
    assert health["refused.dnsbl.test"] == "dns_refused"


def test_healthz_says_dns_failing_with_503(client, test_blocklists, dead_resolver):
    assert client.get("/healthz").json()["dns"] == "ok"
    check_target(TargetFactory(value=CLEAN_IP))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["dns"] == "failing"


@pytest.mark.parametrize(
    ("language", "sentence"),
    [("en", "DNS resolution failing since"), ("ja", "DNS の名前解決が")],
)
def test_banner_on_every_page(client, it_staff, language, sentence, settings):
    now = timezone.now()
    ResolverOutage.objects.create(
        started_at=now, last_seen_at=now, failure="timeout", nameserver="127.0.0.1:53"
    )
    settings.LANGUAGE_CODE = language
    client.force_login(it_staff)
    client.cookies["django_language"] = language
    for path in ("/", "/targets/", "/blocklists/", "/cases/", "/reports/"):
        html = client.get(path).content.decode()
        assert sentence in html and "127.0.0.1:53" in html, path


def test_lookup_json_keeps_the_health_reason(db):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    with pytest.raises(SystemExit):
        call_command(
            "lookup",
            CLEAN_IP,
            "--zone",
            "publicresolver.dnsbl.test",
            "--format",
            "json",
            stdout=out,
            stderr=StringIO(),
        )
    record = json.loads(out.getvalue())
    assert (record["error"], record["health"]) == ("list_unhealthy", "refused")
    assert CheckRun.objects.count() == 0


def test_lookup_command_says_when_the_resolver_itself_failed(db):
    from io import StringIO

    from django.core.management import call_command

    dead = f"127.0.0.1:{free_port()}"
    err = StringIO()
    with pytest.raises(SystemExit) as exit_status:
        call_command(
            "lookup",
            CLEAN_IP,
            "--zone",
            "good.dnsbl.test",
            "--nameserver",
            dead,
            "--timeout",
            "0.3",
            stdout=StringIO(),
            stderr=err,
        )
    assert exit_status.value.code == 3
    assert f"the resolver itself failed (timeout at {dead})" in err.getvalue()
    assert not ResolverOutage.objects.exists()  # the command writes nothing
