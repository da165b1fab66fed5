"""Per-list ceilings shared through the real Redis."""

import time
import uuid

import pytest
from django.test import override_settings

from blcheck.lookups import dnsbl, engine, politeness, resolver
from blcheck.lookups.dnsbl import Verdict


@pytest.fixture
def zone():
    return f"ceiling-{uuid.uuid4().hex[:8]}.test"  # a fresh bucket per test


def test_two_workers_share_one_bucket(zone):
    first = politeness.Limiter({zone: 10})
    second = politeness.Limiter({zone: 10})  # another worker process
    assert first.try_take(zone, 100)[0] == 10
    granted, wait = second.try_take(zone, 100)
    assert granted == 0 and 0 < wait <= 0.2


def test_bucket_refills_at_the_ceiling(zone):
    limiter = politeness.Limiter({zone: 50})
    limiter.try_take(zone, 50)
    time.sleep(0.1)
    granted, _ = limiter.try_take(zone, 50)
    assert 1 <= granted <= 10  # about 0.1 s x 50/s


def test_without_redis_the_ceiling_holds_in_process(zone):
    limiter = politeness.Limiter({zone: 5})
    with override_settings(REDIS_URL="redis://127.0.0.1:9/0"):
        assert limiter.try_take(zone, 100)[0] == 5
        assert limiter.try_take(zone, 100)[0] == 0
    assert limiter.shared is False


def test_lists_without_a_ceiling_are_not_limited():
    assert politeness.limiter_for({"adhoc.example": None}) is None
    limiter = politeness.Limiter({"a.example": 1})
    assert limiter.try_take("b.example", 500) == (500, 0.0)


@pytest.mark.dns
def test_resolver_paces_a_list_and_still_answers_everything(dns_server, zone):
    limiter = politeness.Limiter({"good.dnsbl.test": 20})
    names = [f"{i}.2.0.192.good.dnsbl.test" for i in range(30)]
    started = time.monotonic()
    answers = resolver.resolve(names, pacing=["good.dnsbl.test"] * 30, limiter=limiter)
    elapsed = time.monotonic() - started
    assert all(a.failure is None for a in answers)
    assert elapsed >= 0.4  # 20 at once, the other 10 only after half a second


@pytest.mark.dns
def test_engine_answers_every_pair_under_a_ceiling(dns_server):
    slow = dnsbl.ListSpec("good.dnsbl.test", frozenset({"ipv4"}), qps=1)
    free = dnsbl.ListSpec("second.dnsbl.test", frozenset({"ipv4"}))
    limiter = politeness.Limiter({slow.zone: 1}, shared=False)
    pairs = [(f"192.0.2.{i}", spec) for i in range(3) for spec in (slow, free)]
    results, _ = engine.check(pairs, engine.Options(limiter=limiter))
    assert [r.reading.verdict for r in results] == [Verdict.NOT_LISTED] * 6
