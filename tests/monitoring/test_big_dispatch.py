"""Issue 14's "done when" on the real worker: 20 /24 ranges in one dispatch
finishes with no failed run, every run finished once with all its answers,
and the DNS server asked within 5 % of the pairs (probes included)."""

import time

import pytest

from blcheck.monitoring import services
from blcheck.monitoring.models import Blocklist, CheckRun, Lookup
from tests.factories import TargetFactory

pytestmark = [
    pytest.mark.worker,
    pytest.mark.dns,
    pytest.mark.django_db(transaction=True),
]
ZONES = ("second.dnsbl.test", "bulk00.dnsbl.test")


def test_twenty_slash_24_in_one_dispatch(celery_worker, dns_server, settings):
    settings.MAX_RANGE_SIZE = 256
    Blocklist.objects.update(is_enabled=False)
    for zone in ZONES:
        Blocklist.objects.create(zone=zone, name=zone.split(".")[0])
    targets = [TargetFactory(value=f"198.18.{n}.0/24", kind="range") for n in range(20)]
    before = {zone: len(dns_server.queries_for(zone)) for zone in ZONES}
    runs = services.run_create(targets=targets, by=None, trigger="manual")
    deadline = time.monotonic() + 120
    while CheckRun.objects.filter(status__in=["queued", "running"]).exists():
        assert time.monotonic() < deadline, "the dispatch did not finish"
        time.sleep(0.2)
    pairs = 20 * 256 * len(ZONES)
    assert Lookup.objects.count() == pairs
    finished = CheckRun.objects.filter(pk__in=[r.pk for r in runs])
    assert set(finished.values_list("status", "failure")) == {("finished", "")}
    assert all(run.done == run.total == 256 * len(ZONES) for run in finished)
    asked = sum(len(dns_server.queries_for(z)) - before[z] for z in ZONES)
    assert pairs <= asked <= pairs * 1.05, asked
