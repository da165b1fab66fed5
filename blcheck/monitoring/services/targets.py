"""Writes for targets: register them, ask for checks, dispatch what is due."""

import functools
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from blcheck.monitoring.models import CheckRun, Tag, Target
from blcheck.monitoring.targets import (
    BulkRow,
    ParsedTarget,
    TargetError,
    tag_names,
    tag_total_error,
)

QUEUED_TOO_LONG = timedelta(minutes=5)  # a queued run's message was probably lost


def target_create(
    *,
    parsed: ParsedTarget,
    label: str,
    by: User | None,
    check_interval_minutes: int | None = None,
    tags: Sequence[str] = (),
) -> Target:
    """Register a target; its first scheduled check is due at once."""
    with transaction.atomic():
        target = Target.objects.create(
            value=parsed.value,
            kind=parsed.kind.value,
            label=label,
            owner=by,
            check_interval_minutes=check_interval_minutes
            or settings.DEFAULT_CHECK_INTERVAL_MINUTES,
            next_check_at=timezone.now(),
        )
        if tags:
            target.tags.add(*tag_get_or_create(names=tags))
    return target


def run_enqueue(run_ids: Sequence[int]) -> None:
    """Send the runs to the workers in batches, once the rows are committed."""
    from blcheck.monitoring.tasks import check_runs as check_runs_task

    size = settings.DISPATCH_BATCH
    for start in range(0, len(run_ids), size):
        batch = list(run_ids[start : start + size])
        transaction.on_commit(functools.partial(check_runs_task.delay, batch))


def run_create(
    *, targets: Iterable[Target], by: User | None, trigger: str
) -> list[CheckRun]:
    """Queue one run per target, sharing a group for progress; enqueue after commit."""
    group = uuid.uuid4()
    # A queued run's lease is how long it may wait for a worker before
    # run_recover_stalled sends it again (its message may have been lost).
    lease = timezone.now() + QUEUED_TOO_LONG
    with transaction.atomic():
        runs = CheckRun.objects.bulk_create(
            CheckRun(
                target=t,
                trigger=trigger,
                requested_by=by,
                group=group,
                lease_until=lease,
            )
            for t in targets
        )
        run_enqueue([run.pk for run in runs])
    return runs


def target_request_check(
    *, target: Target, by: User | None, trigger: str = CheckRun.Trigger.MANUAL
) -> CheckRun:
    """Queue a run of one target now."""
    (run,) = run_create(targets=[target], by=by, trigger=trigger)
    return run


def run_dispatch_due(*, now: datetime | None = None) -> int:
    """Claim every due target and queue its run; safe beside other dispatchers.

    The due rows are locked while their next_check_at moves forward (skipped,
    not waited for, by a second dispatcher on PostgreSQL; SQLite serialises
    writers), so a target is never queued twice. One UPDATE per interval.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Target.objects.select_for_update(skip_locked=True)
            .filter(is_enabled=True, next_check_at__lte=now)
            .values_list("pk", "check_interval_minutes")
        )
        by_interval: dict[int, list[int]] = {}
        for pk, minutes in due:
            by_interval.setdefault(minutes, []).append(pk)
        for minutes, pks in by_interval.items():
            Target.objects.filter(pk__in=pks).update(
                next_check_at=now + timedelta(minutes=minutes)
            )
        if due:
            run_create(
                targets=Target.objects.filter(pk__in=[pk for pk, _ in due]),
                by=None,
                trigger=CheckRun.Trigger.SCHEDULE,
            )
    return len(due)


class TagLimitError(ValueError):
    """More tags on one target than MAX_TAGS_PER_TARGET, or more than MAX_TAGS."""


def tag_get_or_create(*, names: Iterable[str]) -> list[Tag]:
    """One target's tags, created when new; more than MAX_TAGS_PER_TARGET, or
    more than MAX_TAGS in all, raises TagLimitError and creates none."""
    try:
        wanted = tag_names(names)
    except TargetError as exc:
        raise TagLimitError(gettext(exc.message.template) % exc.message.params) from exc
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=wanted)}
    new = [name for name in wanted if name not in existing]
    error = tag_total_error(existing=Tag.objects.count(), new=len(new))
    if error is not None:
        raise TagLimitError(gettext(error.template) % error.params)
    return [
        existing.get(name) or Tag.objects.get_or_create(name=name)[0] for name in wanted
    ]


def target_bulk_create(
    *, rows: Sequence[BulkRow], by: User | None, default_interval: int | None = None
) -> list[Target]:
    """Register many targets at once: all of them, or (on any error) none."""
    now = timezone.now()
    interval = default_interval or settings.DEFAULT_CHECK_INTERVAL_MINUTES
    with transaction.atomic():
        targets = Target.objects.bulk_create(
            Target(
                value=row.target.value,
                kind=row.target.kind.value,
                label=row.label,
                owner=by,
                check_interval_minutes=row.interval or interval,
                next_check_at=now,
            )
            for row in rows
        )
        for target, row in zip(targets, rows, strict=True):
            if row.tags:
                target.tags.add(*tag_get_or_create(names=row.tags))
    return targets
