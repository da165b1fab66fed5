"""Writes for monitoring: targets, check runs and their lookups."""

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import User
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from blcheck.monitoring import dnsbl, engine, politeness
from blcheck.monitoring.catalog import read_catalog

if TYPE_CHECKING:
    from blcheck.monitoring.forms import BlocklistCreateForm, BlocklistForm
from blcheck.monitoring.models import Blocklist, CheckRun, Lookup, Target
from blcheck.monitoring.targets import ParsedTarget, parse_target

log = logging.getLogger(__name__)

# Pairs asked per step of a run; the run's progress advances after each step.
CHECK_BATCH = 500


def target_create(
    *,
    parsed: ParsedTarget,
    label: str,
    by: User | None,
    check_interval_minutes: int | None = None,
) -> Target:
    """Register a target; its first scheduled check is due at once."""
    return Target.objects.create(
        value=parsed.value,
        kind=parsed.kind.value,
        label=label,
        owner=by,
        check_interval_minutes=check_interval_minutes
        or settings.DEFAULT_CHECK_INTERVAL_MINUTES,
        next_check_at=timezone.now(),
    )


def target_request_check(
    *,
    target: Target,
    by: User | None,
    trigger: str = CheckRun.Trigger.MANUAL,
) -> CheckRun:
    """Queue a run; the task is sent only once the run row is committed."""
    from blcheck.monitoring.tasks import check_target as check_target_task

    with transaction.atomic():
        run = CheckRun.objects.create(target=target, trigger=trigger, requested_by=by)
        transaction.on_commit(lambda: check_target_task.delay(run.pk))
    return run


def checks_dispatch_due(*, now: datetime | None = None) -> int:
    """Claim every due target (conditional UPDATE, safe beside other dispatchers)."""
    now = now or timezone.now()
    due = Target.objects.filter(is_enabled=True, next_check_at__lte=now)
    claimed = 0
    for target in due.only("pk", "next_check_at", "check_interval_minutes"):
        next_at = now + timedelta(minutes=target.check_interval_minutes)
        won = Target.objects.filter(
            pk=target.pk, next_check_at=target.next_check_at
        ).update(next_check_at=next_at)
        if won:
            target_request_check(
                target=target, by=None, trigger=CheckRun.Trigger.SCHEDULE
            )
            claimed += 1
    return claimed


def blocklists_load_catalog() -> tuple[int, int]:
    """Add missing catalog lists; retire those the catalog retires. (added, retired)"""
    added = retired = 0
    with transaction.atomic():
        for entry in read_catalog():
            blocklist, created = Blocklist.objects.get_or_create(
                zone=entry.zone, defaults=entry.model_fields()
            )
            added += created
            if entry.is_retired and not created and not blocklist.is_retired:
                Blocklist.objects.filter(pk=blocklist.pk).update(
                    is_retired=True,
                    is_enabled=False,
                    retired_reason=entry.fields["retired_reason"],
                )
                retired += 1
    return added, retired


def blocklist_count() -> int:
    return Blocklist.objects.count()


def blocklist_zone(blocklist: Blocklist) -> str | None:
    """The zone to query, a key filled in; None when its key is not configured."""
    if not blocklist.key_setting:
        return blocklist.zone
    key = settings.DNSBL_KEYS.get(blocklist.key_setting, "")
    return blocklist.zone.replace("{key}", key) if key else None


def list_spec(blocklist: Blocklist) -> engine.ListSpec | None:
    zone = blocklist_zone(blocklist)
    if zone is None:
        return None
    kinds = {
        "ipv4": blocklist.has_ipv4,
        "ipv6": blocklist.has_ipv6,
        "domain": blocklist.has_domains,
    }
    return engine.ListSpec(
        zone=zone,
        kinds=frozenset(kind for kind, fits in kinds.items() if fits),
        listed_codes=frozenset(blocklist.listed_codes),
        error_codes=frozenset(blocklist.error_codes),
        bitmask=blocklist.is_bitmask,
        has_test_points=blocklist.has_test_points,
        qps=blocklist.qps,
    )


def blocklists_usable() -> dict[engine.ListSpec, Blocklist]:
    """Enabled, not retired, and with their key when they need one."""
    usable = {}
    for blocklist in Blocklist.objects.filter(is_enabled=True, is_retired=False):
        spec = list_spec(blocklist)
        if spec is not None:
            usable[spec] = blocklist
    return usable


def _lookups(
    run: CheckRun,
    results: Sequence[engine.Result],
    blocklists: dict[engine.ListSpec, Blocklist],
) -> list[Lookup]:
    now = timezone.now()
    return [
        Lookup(
            run=run,
            target_id=run.target_id,
            blocklist=blocklists[result.list],
            subject=result.subject,
            query_name=result.qname,
            verdict=result.reading.verdict.value,
            codes=list(result.reading.codes),
            reason=result.reason,
            error=result.reading.error.value if result.reading.error else "",
            rcode=result.answer.rcode if result.answer.failure is None else "",
            ttl=result.answer.ttl,
            resolver=result.answer.resolver,
            elapsed_ms=result.answer.elapsed_ms,
            checked_at=now,
        )
        for result in results
    ]


def _record_health(
    health: engine.HealthMap, blocklists: dict[engine.ListSpec, Blocklist]
) -> None:
    """Keep each list's probe result where staff see it (the worst kind wins)."""
    now = timezone.now()
    for spec, blocklist in blocklists.items():
        states = [h for (zone, _), h in health.items() if zone == spec.zone]
        if not states:
            continue
        worst = next((h for h in states if h is not dnsbl.Health.OK), dnsbl.Health.OK)
        Blocklist.objects.filter(pk=blocklist.pk).update(
            health=worst.value, health_checked_at=now
        )


def _record(run: CheckRun, lookups: list[Lookup]) -> None:
    listed = sum(1 for x in lookups if x.verdict == Lookup.Verdict.LISTED)
    errors = sum(1 for x in lookups if x.verdict == Lookup.Verdict.ERROR)
    with transaction.atomic():
        # The unique (run, list, subject) constraint makes a second delivery a no-op.
        Lookup.objects.bulk_create(lookups, ignore_conflicts=True)
        CheckRun.objects.filter(pk=run.pk).update(
            done=F("done") + len(lookups),
            listed_count=F("listed_count") + listed,
            error_count=F("error_count") + errors,
        )


def target_check(*, run: CheckRun) -> CheckRun | None:
    """Run a queued CheckRun: query outside any transaction, record each batch.

    Returns None when another worker already claimed the run.
    """
    claimed = CheckRun.objects.filter(pk=run.pk, status=CheckRun.Status.QUEUED).update(
        status=CheckRun.Status.RUNNING, started_at=timezone.now()
    )
    if claimed != 1:
        return None
    target = run.target
    try:
        parsed = parse_target(target.value, max_range_size=settings.MAX_RANGE_SIZE)
        blocklists = blocklists_usable()
        pairs = [
            (s, spec) for s in parsed.subjects() for spec in blocklists if spec.fits(s)
        ]
        CheckRun.objects.filter(pk=run.pk).update(total=len(pairs))
        limiter = politeness.limiter_for({spec.zone: spec.qps for spec in blocklists})
        options = engine.Options(limiter=limiter)
        health = asyncio.run(engine.probe(engine.needed_probes(pairs), options))
        used = {spec for _, spec in pairs}
        _record_health(health, {s: b for s, b in blocklists.items() if s in used})
        for start in range(0, len(pairs), CHECK_BATCH):
            batch = pairs[start : start + CHECK_BATCH]
            results = asyncio.run(engine.look_up(batch, health, options))
            _record(run, _lookups(run, results, blocklists))
    except Exception as exc:
        log.exception("check run %s failed", run.pk)
        CheckRun.objects.filter(pk=run.pk).update(
            status=CheckRun.Status.FAILED,
            failure=str(exc)[:2000],
            finished_at=timezone.now(),
        )
        raise
    now = timezone.now()
    with transaction.atomic():
        CheckRun.objects.filter(pk=run.pk).update(
            status=CheckRun.Status.FINISHED, finished_at=now
        )
        Target.objects.filter(pk=target.pk).update(last_checked_at=now)
    run.refresh_from_db()
    return run


def lookup_lists(zones: Sequence[str]) -> tuple[list[engine.ListSpec], list[str]]:
    """The lists `lookup` asks, and warnings for the person running it.

    No zones: every usable list of the catalog. Named zones use the catalog's
    reading of the zone when it has one; any other zone is an ad-hoc list
    with the RFC 5782 default codes, for whatever kind of target it is given.
    """
    warnings = []
    try:
        catalog = list(Blocklist.objects.all())
    except DatabaseError:
        # A fresh checkout without `migrate`: read the shipped catalog file.
        warnings.append("database not migrated; using the shipped catalog file")
        catalog = [Blocklist(zone=e.zone, **e.model_fields()) for e in read_catalog()]
    if not zones:
        usable = [b for b in catalog if b.is_enabled and not b.is_retired]
        return [spec for b in usable if (spec := list_spec(b)) is not None], warnings
    known = {b.zone: b for b in catalog}
    specs = []
    for zone in dict.fromkeys(z.lower().rstrip(".") for z in zones):
        blocklist = known.get(zone)
        if blocklist is not None and blocklist.is_retired:
            warnings.append(f"{zone} is retired: {blocklist.retired_reason}")
        spec = list_spec(blocklist) if blocklist is not None else None
        specs.append(
            spec or engine.ListSpec(zone, frozenset({"ipv4", "ipv6", "domain"}))
        )
    return specs, warnings


def blocklist_save(*, form: "BlocklistForm | BlocklistCreateForm") -> Blocklist:
    """Save a validated list form (IT staff add or edit a list)."""
    with transaction.atomic():
        return form.save()
