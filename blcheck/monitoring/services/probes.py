"""The lists' RFC 5782 probes around a run: results of the last few minutes
shared by every worker through Redis, and each list's health kept where staff
see it (a list that turns unhealthy is announced once, when it turns)."""

import asyncio
import logging

import redis
from django.conf import settings
from django.utils import timezone

from blcheck.core.broker import redis_client
from blcheck.lookups import dnsbl, engine
from blcheck.monitoring.models import Blocklist

log = logging.getLogger(__name__)

HEALTH_KEY = "blcheck:health:{zone}:{kind}"


def _cached_health(needed: set[tuple[dnsbl.ListSpec, str]]) -> engine.HealthMap:
    seconds = settings.PROBE_CACHE_SECONDS
    if not seconds or not needed:
        return {}
    keys = [HEALTH_KEY.format(zone=spec.zone, kind=kind) for spec, kind in needed]
    try:
        values = redis_client().mget(keys)
    except redis.RedisError:
        return {}
    return {
        (spec.zone, kind): dnsbl.Health(
            value.decode() if isinstance(value, bytes) else value
        )
        for (spec, kind), value in zip(needed, values, strict=True)
        if value is not None
    }


def store_health(health: engine.HealthMap) -> None:
    seconds = settings.PROBE_CACHE_SECONDS
    if not seconds or not health:
        return
    try:
        with redis_client().pipeline() as pipe:
            for (zone, kind), state in health.items():
                # A failed probe is kept briefly: once answers return, the list
                # is trusted again within a minute, not after the full window.
                ttl = seconds if state is dnsbl.Health.OK else min(seconds, 60)
                pipe.set(HEALTH_KEY.format(zone=zone, kind=kind), state.value, ex=ttl)
            pipe.execute()
    except redis.RedisError:
        log.warning("probe cache: Redis unreachable", exc_info=True)


def probe_health(
    runner: asyncio.Runner,
    needed: set[tuple[dnsbl.ListSpec, str]],
    options: engine.Options,
) -> tuple[engine.HealthMap, engine.HealthMap]:
    """Probe results of the last few minutes are shared by all workers:
    (all the health the run needs, what was probed afresh)."""
    health = _cached_health(needed)
    missing = {(spec, kind) for spec, kind in needed if (spec.zone, kind) not in health}
    fresh = runner.run(engine.probe(missing, options)) if missing else {}
    return {**health, **fresh}, fresh


def blocklist_health_record(
    health: engine.HealthMap, blocklists: dict[dnsbl.ListSpec, Blocklist]
) -> None:
    """Keep each probed list's result where staff see it (the worst kind wins);
    a list that turns unhealthy is announced once, when it turns."""
    now = timezone.now()
    turned: list[list[str]] = []  # [zone, health] pairs (JSON for the task)
    for spec, blocklist in blocklists.items():
        states = [h for (zone, _), h in health.items() if zone == spec.zone]
        if not states:
            continue
        worst = next((h for h in states if h is not dnsbl.Health.OK), dnsbl.Health.OK)
        rows = Blocklist.objects.filter(pk=blocklist.pk)
        if rows.exclude(health=worst.value).update(health=worst.value) and (
            worst is not dnsbl.Health.OK
        ):
            turned.append([blocklist.zone, worst.value])
        rows.update(health_checked_at=now)
    if turned:  # sent with the notification window's other changes
        from blcheck.monitoring.services.notices import notice_record_health

        notice_record_health(turned=turned)
