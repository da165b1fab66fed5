"""Writes for monitoring: targets, check runs and their lookups."""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from blcheck.monitoring import dnsbl, resolver
from blcheck.monitoring.models import Blocklist, CheckRun, Lookup, Target
from blcheck.monitoring.targets import Kind, ParsedTarget, parse_target

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


def blocklists_for(parsed: ParsedTarget) -> list[Blocklist]:
    """Enabled lists that can answer for this kind of target (no IPv6 to IPv4 lists)."""
    lists = Blocklist.objects.filter(is_enabled=True, is_retired=False)
    if parsed.kind is Kind.DOMAIN:
        return list(lists.filter(has_domains=True))
    if parsed.ip_version == 6:
        return list(lists.filter(has_ipv6=True))
    return list(lists.filter(has_ipv4=True))


def zone_spec(blocklist: Blocklist) -> dnsbl.ZoneSpec:
    return dnsbl.ZoneSpec(
        zone=blocklist.zone,
        listed_codes=frozenset(blocklist.listed_codes),
        error_codes=frozenset(blocklist.error_codes),
    )


def _lookups_for(run: CheckRun, pairs: Sequence[tuple[str, Blocklist]]) -> list[Lookup]:
    names = [dnsbl.query_name(subject, bl.zone) for subject, bl in pairs]
    answers = resolver.resolve(names)
    readings = [
        dnsbl.read_answer(a, zone_spec(bl))
        for a, (_, bl) in zip(answers, pairs, strict=True)
    ]
    listed = [i for i, r in enumerate(readings) if r.verdict is dnsbl.Verdict.LISTED]
    # TXT only for listings: it carries the reason and the list's lookup URL.
    reasons = dict(
        zip(listed, resolver.resolve([names[i] for i in listed], "TXT"), strict=True)
    )
    now = timezone.now()
    return [
        Lookup(
            run=run,
            target_id=run.target_id,
            blocklist=bl,
            subject=subject,
            query_name=name,
            verdict=reading.verdict.value,
            codes=list(reading.codes),
            reason=" ".join(reasons[i].texts) if i in reasons else "",
            error=reading.error.value if reading.error else "",
            rcode=answer.rcode,
            ttl=answer.ttl,
            resolver=answer.resolver,
            elapsed_ms=answer.elapsed_ms,
            checked_at=now,
        )
        for i, ((subject, bl), name, answer, reading) in enumerate(
            zip(pairs, names, answers, readings, strict=True)
        )
    ]


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
        lists = blocklists_for(parsed)
        pairs = [(s, bl) for s in parsed.subjects() for bl in lists]
        CheckRun.objects.filter(pk=run.pk).update(total=len(pairs))
        for start in range(0, len(pairs), CHECK_BATCH):
            _record(run, _lookups_for(run, pairs[start : start + CHECK_BATCH]))
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
