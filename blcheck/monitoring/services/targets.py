"""Writes for targets: register them, ask for checks, dispatch what is due."""

import functools
import ipaddress
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from blcheck.lookups import dnsbl
from blcheck.monitoring.models import CheckRun, Tag, Target
from blcheck.monitoring.overlap import IP_KINDS, Cover, Span
from blcheck.monitoring.selectors import blocklist_usable
from blcheck.monitoring.targets import (
    BulkRow,
    Kind,
    ParsedTarget,
    TargetError,
    parse_target,
    tag_names,
    tag_total_error,
)

QUEUED_TOO_LONG = timedelta(minutes=5)  # a queued run's message was probably lost
UPDATE_BATCH = 500  # rows per UPDATE when each target's next check differs


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
            next_check_at=timezone.now(),  # its schedule keeps this phase
        )
        if tags:
            target.tags.add(*tag_get_or_create(names=tags))
    return target


def _batches(run_ids: Sequence[int], totals: Mapping[int, int]) -> Iterator[list[int]]:
    """Consecutive runs, at most BATCH_LOOKUPS lookups and DISPATCH_BATCH runs
    a batch, so each batch ends well inside the task's time limit; a run
    bigger than BATCH_LOOKUPS goes alone. A run whose total is not known yet
    counts as one lookup."""
    batch: list[int] = []
    lookups = 0
    for pk in run_ids:
        size = max(totals.get(pk, 0), 1)
        too_many = lookups + size > settings.BATCH_LOOKUPS
        if batch and (too_many or len(batch) >= settings.DISPATCH_BATCH):
            yield batch
            batch, lookups = [], 0
        batch.append(pk)
        lookups += size
    if batch:
        yield batch


def run_enqueue(
    run_ids: Sequence[int], *, totals: Mapping[int, int] | None = None
) -> None:
    """Send the runs to the workers in batches sized by their lookups, once the
    rows are committed. Without totals they are read (one query per chunk)."""
    from blcheck.monitoring.tasks import check_runs as check_runs_task

    if totals is None:
        totals = {}
        for start in range(0, len(run_ids), UPDATE_BATCH):
            chunk = run_ids[start : start + UPDATE_BATCH]
            totals.update(
                CheckRun.objects.filter(pk__in=chunk).values_list("pk", "total")
            )
    for batch in _batches(run_ids, totals):
        transaction.on_commit(functools.partial(check_runs_task.delay, batch))


def _owned_cover() -> Cover:
    """Every enabled IP target (one query): the addresses inside a range that
    a more specific target owns are asked by that one only (monitoring.overlap),
    so they are not in the range's total."""
    rows = Target.objects.filter(is_enabled=True, kind__in=IP_KINDS).values_list(
        "pk", "value", "label", "is_enabled"
    )
    spans = []
    for pk, value, label, enabled in rows.order_by():
        try:
            spans.append(Span(pk, value, label, enabled, ipaddress.ip_network(value)))
        except ValueError:
            continue  # not an IP after all: it owns no address
    return Cover(spans)


def _owned_inside(
    cover: Cover, network: ipaddress.IPv4Network | ipaddress.IPv6Network
) -> int:
    """How many addresses of network more specific targets own. Networks nest
    or are apart, so the outermost ones inside it hold all the others."""
    owned, end = 0, -1
    inside = sorted(
        cover.inside(network),
        key=lambda s: (int(s.network.network_address), s.network.prefixlen),
    )
    for span in inside:  # by address, the wider first on a tie
        first = int(span.network.network_address)
        if first > end:
            owned += span.network.num_addresses
            end = int(span.network.broadcast_address)
    return owned


def run_totals(*, targets: Sequence[Target]) -> dict[int, int]:
    """Each target's lookups in a run queued now (by target pk), as the run
    will plan them: its subjects, less those owned elsewhere, times the
    usable lists that fit their kind. No query per target; a target that no
    longer parses counts 0 (its run fails)."""
    specs = list(blocklist_usable())
    fitting: dict[str, int] = {}  # lists per kind of subject
    cover: Cover | None = None  # read at the first range
    totals = {}
    for target in targets:
        try:
            parsed = parse_target(
                target.value,
                max_range_size=settings.MAX_RANGE_SIZE,
                registrable=False,
            )
        except TargetError:
            totals[target.pk] = 0
            continue
        sample = next(parsed.subjects())
        kind = dnsbl.subject_kind(sample)
        if kind not in fitting:
            fitting[kind] = sum(spec.fits(sample) for spec in specs)
        subjects = 1
        if parsed.kind is Kind.RANGE:
            if cover is None:
                cover = _owned_cover()
            network = ipaddress.ip_network(parsed.value)
            subjects = network.num_addresses - _owned_inside(cover, network)
        totals[target.pk] = subjects * fitting[kind]
    return totals


def run_create(
    *, targets: Iterable[Target], by: User | None, trigger: str
) -> list[CheckRun]:
    """Queue one run per target, sharing a group for progress; enqueue after
    commit. Each run's total is known now, so a group's progress is true
    from the start. A manual run moves its target's next scheduled check."""
    targets = list(targets)
    group = uuid.uuid4()
    now = timezone.now()
    # A queued run's lease is how long it may wait for a worker before
    # run_recover_stalled sends it again (its message may have been lost).
    lease = now + QUEUED_TOO_LONG
    totals = run_totals(targets=targets)
    with transaction.atomic():
        runs = CheckRun.objects.bulk_create(
            CheckRun(
                target=t,
                trigger=trigger,
                requested_by=by,
                group=group,
                lease_until=lease,
                total=totals[t.pk],
            )
            for t in targets
        )
        if trigger == CheckRun.Trigger.MANUAL:
            _schedule_after_manual(targets, now=now)
        run_enqueue([run.pk for run in runs], totals={r.pk: r.total for r in runs})
    return runs


def _slot_after(due: datetime, every: timedelta, moment: datetime) -> datetime:
    """The first time after moment on the grid due + k * every (k ≥ 1)."""
    return due + max((moment - due) // every + 1, 1) * every


def _slot_from(due: datetime, every: timedelta, moment: datetime) -> datetime:
    """The first time at or after moment on the grid due + k * every (k ≥ 0)."""
    return due + max(-((due - moment) // every), 0) * every


def _schedule_after_manual(targets: Sequence[Target], *, now: datetime) -> None:
    """A manual check stands for the scheduled one: each target's next
    scheduled check moves to the first slot of its own grid at least half an
    interval after now (so between half an interval and one and a half after
    the manual check), so targets added together and checked at once stay
    spread, and none is asked twice within half its interval."""
    current = dict(
        Target.objects.filter(pk__in=[t.pk for t in targets]).values_list(
            "pk", "next_check_at"
        )
    )
    moved = []
    for target in targets:
        every = timedelta(minutes=target.check_interval_minutes)
        due = current.get(target.pk) or now
        target.next_check_at = _slot_from(due, every, now + every / 2)
        moved.append(target)
    Target.objects.bulk_update(moved, ["next_check_at"], batch_size=UPDATE_BATCH)


def target_request_check(
    *, target: Target, by: User | None, trigger: str = CheckRun.Trigger.MANUAL
) -> CheckRun:
    """Queue a run of one target now; its next scheduled check moves to at
    least one interval later (run_create)."""
    (run,) = run_create(targets=[target], by=by, trigger=trigger)
    return run


def run_dispatch_due(*, now: datetime | None = None) -> int:
    """Claim every due target and queue its run; safe beside other dispatchers.

    The due rows are locked while their next_check_at moves forward (skipped,
    not waited for, by a second dispatcher on PostgreSQL; SQLite serialises
    writers), so a target is never queued twice. The next check is one
    interval after the due time, not after this tick, so a late tick does not
    stretch the interval; a target late by a whole interval or more (the
    dispatcher was down) takes the next slot after now on the same grid.
    One UPDATE per interval, and one per UPDATE_BATCH late targets.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Target.objects.select_for_update(skip_locked=True)
            .filter(is_enabled=True, next_check_at__lte=now)
            .values_list("pk", "check_interval_minutes", "next_check_at")
        )
        on_time: dict[int, list[int]] = {}
        late = []
        for pk, minutes, due_at in due:
            every = timedelta(minutes=minutes)
            due_at = due_at or now  # never None: the filter compared it
            if due_at + every > now:
                on_time.setdefault(minutes, []).append(pk)
            else:
                late.append(
                    Target(pk=pk, next_check_at=_slot_after(due_at, every, now))
                )
        for minutes, pks in on_time.items():
            Target.objects.filter(pk__in=pks).update(
                next_check_at=F("next_check_at") + timedelta(minutes=minutes)
            )
        Target.objects.bulk_update(late, ["next_check_at"], batch_size=UPDATE_BATCH)
        if due:
            run_create(
                targets=Target.objects.filter(pk__in=[pk for pk, _, _ in due]),
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
    """Register many targets at once: all of them, or (on any error) none.

    Their first checks are spread evenly over their interval (the first at
    once), so they do not all come due in one tick, then or ever after."""
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
                next_check_at=now
                + timedelta(minutes=row.interval or interval) * i / len(rows),
            ).set_keys()
            for i, row in enumerate(rows)
        )
        for target, row in zip(targets, rows, strict=True):
            if row.tags:
                target.tags.add(*tag_get_or_create(names=row.tags))
    return targets
