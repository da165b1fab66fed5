"""After errors, truth comes back soon (issue 14, point 6): a check with failed
lookups is asked again on a short back-off, a failed probe is not trusted for
the whole probe window, and targets checked blind are asked again as soon as
the resolver answers."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from blcheck.core.broker import redis_client
from blcheck.monitoring import services
from blcheck.monitoring.models import Blocklist, CheckRun, ResolverOutage
from blcheck.monitoring.services.probes import HEALTH_KEY
from tests.conftest import CLEAN_IP
from tests.factories import TargetFactory
from tests.support.checks import check_target

pytestmark = [pytest.mark.django_db, pytest.mark.dns]


def only(*zones):
    Blocklist.objects.update(is_enabled=False)
    for zone in zones:
        Blocklist.objects.create(zone=zone, name=zone.split(".")[0])


def minutes_to_next(target):
    target.refresh_from_db()
    return (target.next_check_at - timezone.now()).total_seconds() / 60


def test_errors_are_asked_again_after_2_then_5_then_15_minutes():
    only("second.dnsbl.test", "servfail.dnsbl.test")
    later = timezone.now() + timedelta(minutes=60)
    target = TargetFactory(value=CLEAN_IP, next_check_at=later)
    for expected in (2, 5, 15, 15):
        check_target(target)
        assert minutes_to_next(target) == pytest.approx(expected, abs=0.2)
        target.next_check_at = later
        target.save(update_fields=["next_check_at"])


def test_a_clean_check_keeps_the_schedule():
    only("second.dnsbl.test")
    later = timezone.now() + timedelta(minutes=60)
    target = TargetFactory(value=CLEAN_IP, next_check_at=later)
    check_target(target)
    assert minutes_to_next(target) == pytest.approx(60, abs=0.2)


def test_a_retry_never_delays_a_check_due_sooner():
    only("servfail.dnsbl.test")
    soon = timezone.now() + timedelta(minutes=1)
    target = TargetFactory(value=CLEAN_IP, next_check_at=soon)
    check_target(target)
    assert minutes_to_next(target) == pytest.approx(1, abs=0.2)


def test_errors_of_a_case_run_do_not_move_the_schedule():
    only("servfail.dnsbl.test")
    later = timezone.now() + timedelta(minutes=60)
    target = TargetFactory(value=CLEAN_IP, next_check_at=later)
    run = CheckRun.objects.create(
        target=target,
        trigger="case",
        blocklist=Blocklist.objects.get(zone="servfail.dnsbl.test"),
        subject=CLEAN_IP,
    )
    services.run_check(run_ids=[run.pk], claimant="case-task")
    assert minutes_to_next(target) == pytest.approx(60, abs=0.2)


def test_a_failed_probe_is_kept_a_minute_a_good_one_the_whole_window(settings):
    settings.PROBE_CACHE_SECONDS = 300
    only("second.dnsbl.test", "servfail.dnsbl.test")
    redis = redis_client()
    keys = {
        zone: HEALTH_KEY.format(zone=zone, kind="ipv4")
        for zone in ("second.dnsbl.test", "servfail.dnsbl.test")
    }
    redis.delete(*keys.values())
    check_target(TargetFactory(value=CLEAN_IP))
    assert 290 <= redis.ttl(keys["second.dnsbl.test"]) <= 300
    assert 0 < redis.ttl(keys["servfail.dnsbl.test"]) <= 60
    redis.delete(*keys.values())


def test_targets_checked_blind_are_due_when_the_resolver_answers_again():
    only("second.dnsbl.test")
    now = timezone.now()
    outage = ResolverOutage.objects.create(
        started_at=now, last_seen_at=now, failure="timeout", nameserver="x"
    )
    later = now + timedelta(minutes=60)
    blind = TargetFactory(value="192.0.2.40", next_check_at=later)
    other = TargetFactory(value="192.0.2.41", next_check_at=later)
    CheckRun.objects.create(
        target=blind, trigger="schedule", status="blind", outage=outage
    )
    with time_machine.travel(now + timedelta(minutes=3), tick=False):
        services.resolver_outage_end()
        blind.refresh_from_db()
        other.refresh_from_db()
        assert blind.next_check_at == timezone.now()
        assert other.next_check_at == later
