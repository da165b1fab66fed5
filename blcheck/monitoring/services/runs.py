"""Running checks: claim runs, ask the engine, record lookups and listing flips.

A task hands in a batch of run ids. Each run is claimed with a conditional
UPDATE that also takes a lease; the lease is renewed after every recorded
step, so a worker killed mid-run leaves a run whose lease runs out, and
run_recover_stalled queues it again. A resumed run asks only the pairs it has
not recorded yet: no lookup is written twice and none is missing.
"""

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from blcheck.lookups import dnsbl, engine, politeness
from blcheck.monitoring.models import (
    Blocklist,
    CheckRun,
    ListingChange,
    Lookup,
    Target,
)
from blcheck.monitoring.overlap import subjects_owned_elsewhere
from blcheck.monitoring.selectors import blocklist_usable, resolver_outage_ongoing
from blcheck.monitoring.services.outages import (
    resolver_confirm,
    run_mark_blind,
)
from blcheck.monitoring.services.probes import (
    blocklist_health_record,
    probe_health,
    store_health,
)
from blcheck.monitoring.services.recording import LEASE, ask_step
from blcheck.monitoring.services.targets import QUEUED_TOO_LONG, run_enqueue
from blcheck.monitoring.targets import TargetError, parse_target

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@dataclass
class _Work:
    """A claimed run and the pairs it still has to ask."""

    run: CheckRun
    pairs: list[tuple[str, dnsbl.ListSpec]]


def run_claim(*, run_ids: Sequence[int], claimant: str) -> list[CheckRun]:
    """Claim the queued runs, those whose lease ran out, and our own (a retry).

    One conditional UPDATE: each row is taken by exactly one claimant.
    """
    now = timezone.now()
    claimable = (
        Q(status=CheckRun.Status.QUEUED)
        | Q(status=CheckRun.Status.RUNNING, lease_until__lt=now)
        | Q(status=CheckRun.Status.RUNNING, claimed_by=claimant)
    )
    CheckRun.objects.filter(claimable, pk__in=run_ids).update(
        status=CheckRun.Status.RUNNING,
        claimed_by=claimant,
        lease_until=now + LEASE,
        started_at=Coalesce(F("started_at"), Value(now)),
        # A retry of the same task (the database went away) is not another
        # attempt: only a new claimant counts towards MAX_ATTEMPTS.
        attempts=Case(
            When(claimed_by=claimant, then=F("attempts")),
            default=F("attempts") + 1,
        ),
    )
    return list(
        CheckRun.objects.select_related("target", "blocklist").filter(
            pk__in=run_ids, status=CheckRun.Status.RUNNING, claimed_by=claimant
        )
    )


def _plan(run: CheckRun, blocklists: dict[dnsbl.ListSpec, Blocklist]) -> _Work:
    """Every pair of the run, less those a previous attempt already recorded."""
    if run.blocklist is not None:  # a case's run: one list, one address
        spec = run.blocklist.spec
        pairs = [(run.subject, spec)] if spec is not None else []
    else:
        parsed = parse_target(
            run.target.value,
            max_range_size=settings.MAX_RANGE_SIZE,
            registrable=False,
        )
        # An address another target owns (overlap.py) is asked by that one only.
        elsewhere = subjects_owned_elsewhere(target_id=run.target_id, parsed=parsed)
        pairs = [
            (subject, spec)
            for subject in parsed.subjects()
            if subject not in elsewhere
            for spec in blocklists
            if spec.fits(subject)
        ]
    # Only a run tried before (by another task, or by this one before a retry:
    # `done` counts what was recorded) can have recorded pairs; a fresh one
    # skips the query.
    recorded = (
        set(run.lookups.values_list("subject", "blocklist_id"))
        if run.attempts > 1 or run.done
        else set()
    )
    todo = [(s, spec) for s, spec in pairs if (s, blocklists[spec].pk) not in recorded]
    CheckRun.objects.filter(pk=run.pk).update(total=len(pairs))
    return _Work(run, todo)


def run_check(*, run_ids: Sequence[int], claimant: str) -> list[CheckRun]:
    """Claim and complete a batch of runs on one event loop; returns those done."""
    runs = run_claim(run_ids=run_ids, claimant=claimant)
    if not runs:
        return []
    blocklists = blocklist_usable()
    for run in runs:  # a case's list is asked even if it is off for monitoring
        if run.blocklist is not None and (spec := run.blocklist.spec):
            blocklists[spec] = run.blocklist
    work = []
    for run in runs:
        try:
            work.append(_plan(run, blocklists))
        except TargetError as exc:  # a target edited into garbage since
            held = Q(claimed_by=claimant, status=CheckRun.Status.RUNNING)
            _fail(run, str(exc), held=held)
    limiter = politeness.limiter_for({spec.zone: spec.qps for spec in blocklists})
    options = engine.Options(limiter=limiter)
    steps = [(item.run, pair) for item in work for pair in item.pairs]
    planned = [item.run for item in work]
    health: engine.HealthMap = {}
    fresh: engine.HealthMap = {}
    with asyncio.Runner() as runner:

        def canary() -> engine.Canary:
            return runner.run(engine.canary_async(options))

        # A known outage: the canary first (it ends the outage when answered);
        # while it fails, no list can be asked. Else every list's probes
        # failing alike makes the canary decide whose fault it is.
        known = bool(steps) and resolver_outage_ongoing() is not None
        outage = resolver_confirm(dnsbl.Failure.TIMEOUT, canary) if known else None
        if outage is None and steps:
            health, fresh = probe_health(
                runner, engine.needed_probes([p for _, p in steps]), options
            )
            outage = resolver_confirm(engine.probes_blind(health), canary)
        if outage is not None:  # not the lists' fault: their health stands
            run_mark_blind(runs=planned, outage=outage, claimant=claimant)
            return _finished(planned)
        store_health(fresh)
        blocklist_health_record(fresh, blocklists)
        return _ask(runner, work, health, blocklists, claimant, canary, options)


def _ask(
    runner: asyncio.Runner,
    work: Sequence[_Work],
    health: engine.HealthMap,
    blocklists: dict[dnsbl.ListSpec, Blocklist],
    claimant: str,
    canary: Callable[[], engine.Canary],
    options: engine.Options,
) -> list[CheckRun]:
    """Ask the pairs step by step. Each run is finished as soon as its last
    pair is recorded, and every run still open has its lease renewed after
    each step, so a long batch keeps its runs and a slow one holds none back.
    A step whose answers mostly fail the resolver's way asks the canary: if
    the resolver is down, the runs still open are blind and nothing more is
    asked."""
    steps = [(item.run, pair) for item in work for pair in item.pairs]
    ends: dict[int, int] = {}  # run id -> index after its last pair
    for index, (run, _) in enumerate(steps):
        ends[run.pk] = index + 1
    planned = [item.run for item in work]
    open_runs = [run for run in planned if run.pk in ends]
    _finish([run for run in planned if run.pk not in ends], claimant=claimant)
    size = settings.CHECK_STEP
    for start in range(0, len(steps), size):
        step = steps[start : start + size]
        results = ask_step(runner, step, health, options, blocklists, claimant)
        suspect = engine.results_blind(results)
        if suspect is not None and (outage := resolver_confirm(suspect, canary)):
            run_mark_blind(runs=open_runs, outage=outage, claimant=claimant)
            _finish(open_runs, status=CheckRun.Status.BLIND, claimant=claimant)
            return _finished(planned)
        done = [run for run in open_runs if ends[run.pk] <= start + len(step)]
        open_runs = [run for run in open_runs if ends[run.pk] > start + len(step)]
        _finish(done, claimant=claimant)
        _renew(open_runs, claimant)
    return _finished(planned)


def _renew(runs: Sequence[CheckRun], claimant: str) -> None:
    """Every run this task still holds keeps its lease while the task lives."""
    if runs:
        CheckRun.objects.filter(
            pk__in=[run.pk for run in runs],
            claimed_by=claimant,
            status=CheckRun.Status.RUNNING,
        ).update(lease_until=timezone.now() + LEASE)


def _finish(
    runs: Sequence[CheckRun],
    *,
    claimant: str,
    status: str = CheckRun.Status.FINISHED,
) -> list[CheckRun]:
    """Close the runs we still hold; counts come from the recorded rows, so a
    resumed run counts each pair once. Only runs that changed something, or
    failed, notify. A blind run keeps its target's last check time: it was
    no check."""
    if not runs:
        return []
    now = timezone.now()
    ids = [run.pk for run in runs]
    counts = {
        row["run_id"]: row
        for row in Lookup.objects.filter(run_id__in=ids)
        .values("run_id")
        .annotate(
            done=Count("pk"),
            listed=Count("pk", filter=Q(verdict=Lookup.Verdict.LISTED)),
            errors=Count("pk", filter=Q(verdict=Lookup.Verdict.ERROR)),
        )
    }
    changed = set(
        ListingChange.objects.filter(run_id__in=ids).values_list("run_id", flat=True)
    )
    empty = {"done": 0, "listed": 0, "errors": 0}
    finished = []
    with transaction.atomic():
        for run in runs:
            count = counts.get(run.pk, empty)
            # Only a run this task still holds: one finished (or taken over)
            # by another task is never touched again.
            held = Q(claimed_by=claimant) & (
                Q(status=CheckRun.Status.RUNNING) | Q(status=status)
            )
            if CheckRun.objects.filter(held, pk=run.pk).update(
                status=status,
                finished_at=now,
                lease_until=None,
                done=count["done"],
                listed_count=count["listed"],
                error_count=count["errors"],
            ):
                finished.append(run)
                if run.pk in changed:
                    _notify_after_commit(run.pk)
        if status == CheckRun.Status.FINISHED:
            Target.objects.filter(pk__in=[run.target_id for run in finished]).update(
                last_checked_at=now
            )
            _retry_errors(
                [r for r in finished if counts.get(r.pk, empty)["errors"]], now=now
            )
    return _finished(runs)


def _retry_errors(runs: Sequence[CheckRun], *, now: datetime) -> None:
    """Targets whose check had failed lookups are asked again soon, on a
    back-off (BLCHECK_ERROR_RETRY_MINUTES: 2, 5, 15 by default, by how many of
    their checks in the last hour had errors), unless already due sooner."""
    steps = settings.ERROR_RETRY_MINUTES
    targets = {r.target_id for r in runs if r.blocklist_id is None}
    if not steps or not targets:
        return
    recent = dict(
        CheckRun.objects.filter(
            target_id__in=targets,
            blocklist__isnull=True,
            status=CheckRun.Status.FINISHED,
            error_count__gt=0,
            finished_at__gte=now - timedelta(hours=1),
        )
        .order_by()
        .values("target_id")
        .annotate(n=Count("pk"))
        .values_list("target_id", "n")
    )
    by_delay: dict[int, list[int]] = {}
    for target_id in targets:
        n = recent.get(target_id, 1)
        by_delay.setdefault(steps[min(n, len(steps)) - 1], []).append(target_id)
    for minutes, ids in by_delay.items():
        retry = now + timedelta(minutes=minutes)
        Target.objects.filter(pk__in=ids, is_enabled=True).filter(
            Q(next_check_at__isnull=True) | Q(next_check_at__gt=retry)
        ).update(next_check_at=retry)


def _finished(runs: Sequence[CheckRun]) -> list[CheckRun]:
    return list(CheckRun.objects.filter(pk__in=[r.pk for r in runs]).order_by("pk"))


def _fail(run: CheckRun, why: str, *, held: Q) -> None:
    """Mark the run failed, only while `held` says it is still ours to fail."""
    with transaction.atomic():
        if CheckRun.objects.filter(held, pk=run.pk).update(
            status=CheckRun.Status.FAILED,
            failure=why[:2000],
            finished_at=timezone.now(),
            lease_until=None,
        ):
            _notify_after_commit(run.pk)


def _notify_after_commit(run_id: int) -> None:
    """A pending notice in the run's own transaction: it becomes visible with
    the run's rows, and beat sends it with the window's other changes."""
    from blcheck.monitoring.services.notices import notice_record_run

    notice_record_run(run_id=run_id)


def run_recover_stalled(*, now: datetime | None = None) -> int:
    """Queue again runs whose worker died or whose message was lost.

    Both show as a lease that ran out: a running run renews its lease after
    every step, and a queued run's lease is the time it may wait for a worker.
    """
    now = now or timezone.now()
    expired = CheckRun.objects.filter(
        status__in=[CheckRun.Status.QUEUED, CheckRun.Status.RUNNING],
        lease_until__lt=now,
    )
    for run in expired.filter(attempts__gte=MAX_ATTEMPTS):
        log.warning("gave up on run %s after %s attempts", run.pk, MAX_ATTEMPTS)
        # Still expired as read: a task renewing its lease keeps its run.
        still = Q(lease_until=run.lease_until, status=run.status)
        _fail(run, f"gave up after {MAX_ATTEMPTS} attempts", held=still)
    requeued = []
    for run in expired.only("pk", "status", "lease_until"):
        # Conditional: a worker renewing the lease right now keeps its run.
        if CheckRun.objects.filter(pk=run.pk, lease_until=run.lease_until).update(
            status=CheckRun.Status.QUEUED,
            claimed_by="",
            lease_until=now + QUEUED_TOO_LONG,
        ):
            requeued.append(run.pk)
    if requeued:
        with transaction.atomic():
            run_enqueue(requeued)
    return len(requeued)


def lookup_prune(*, now: datetime | None = None) -> int:
    """Delete lookups older than the retention window; listings stay forever."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.LOOKUP_RETENTION_DAYS)
    deleted, _ = Lookup.objects.filter(checked_at__lt=cutoff).delete()
    return deleted
