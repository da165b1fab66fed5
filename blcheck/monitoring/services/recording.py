"""Asking a step of a run's pairs and writing down the answers as they come:
each chunk of answers is one short transaction (the lookups, the listings
they change, the runs' progress), for the runs the task still holds."""

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.utils import timezone

from blcheck.lookups import dnsbl, engine
from blcheck.monitoring.models import Blocklist, CheckRun, Lookup
from blcheck.monitoring.services.listings import listing_apply

LEASE = timedelta(seconds=90)  # renewed after each step, which takes seconds


def ask_step(
    runner: asyncio.Runner,
    step: Sequence[tuple[CheckRun, tuple[str, dnsbl.ListSpec]]],
    health: engine.HealthMap,
    options: engine.Options,
    blocklists: dict[dnsbl.ListSpec, Blocklist],
    claimant: str,
) -> list[engine.Result]:
    """Ask a step's pairs all at once and record them chunk by chunk, each as
    soon as its answers are in: a run with more than BLCHECK_PROGRESS_EVERY
    pairs in the step is cut into chunks of that many, one list or a few
    each, so its `done` moves while the step is asked and a fast list's
    answers are not held back by a slow one's; the smaller runs' pairs make
    one chunk (a sweep of single addresses costs no more recordings than
    before). The chunks share the step's DNS concurrency, so no more queries
    are in flight than before. While a chunk is recorded the event loop
    waits; the queries in flight go on after."""
    every = settings.PROGRESS_EVERY
    by_run: dict[int, list[int]] = {}
    for index, (run, _) in enumerate(step):
        by_run.setdefault(run.pk, []).append(index)
    chunks, small = [], []
    for indices in by_run.values():
        if len(indices) <= every:
            small.extend(indices)
            continue
        indices.sort(key=lambda i: step[i][1][1].zone)
        chunks += [indices[k : k + every] for k in range(0, len(indices), every)]
    if small:
        chunks.append(small)
    loop = runner.get_loop()
    asked = {
        loop.create_task(
            engine.look_up(
                [step[i][1] for i in chunk],
                health,
                _share(options, len(chunk), len(step)),
            )
        ): chunk
        for chunk in chunks
    }
    results: dict[int, engine.Result] = {}
    pending = set(asked)
    while pending:
        answered, pending = runner.run(
            asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        )
        for task in sorted(answered, key=lambda t: asked[t][0]):
            chunk = asked[task]
            record([step[i] for i in chunk], task.result(), blocklists, claimant)
            results.update(zip(chunk, task.result(), strict=True))
    return [results[i] for i in range(len(step))]


def _share(options: engine.Options, size: int, of: int) -> engine.Options:
    """A chunk's part of the DNS concurrency (queries in flight at once)."""
    whole = options.concurrency or settings.DNS_CONCURRENCY
    if of <= whole:  # every query of the step fits in flight at once anyway
        return options
    return replace(options, concurrency=max(1, whole * size // of))


def record(
    step: Sequence[tuple[CheckRun, tuple[str, dnsbl.ListSpec]]],
    results: Sequence[engine.Result],
    blocklists: dict[dnsbl.ListSpec, Blocklist],
    claimant: str,
) -> None:
    now = timezone.now()
    lookups = [
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
            health=result.health.value if result.health else "",
            rcode=result.answer.rcode if result.answer.failure is None else "",
            ttl=result.answer.ttl,
            resolver=result.answer.resolver,
            elapsed_ms=result.answer.elapsed_ms,
            checked_at=now,
        )
        for (run, _), result in zip(step, results, strict=True)
    ]
    with transaction.atomic():
        # Only for runs this task still holds (locked until the step is
        # written): a run taken over by another task gets nothing from us.
        held = set(
            CheckRun.objects.select_for_update()
            .filter(
                pk__in={lookup.run_id for lookup in lookups},
                claimed_by=claimant,
                status=CheckRun.Status.RUNNING,
            )
            .values_list("pk", flat=True)
        )
        lookups = [lookup for lookup in lookups if lookup.run_id in held]
        per_run: dict[int, int] = {}
        for lookup in lookups:
            per_run[lookup.run_id] = per_run.get(lookup.run_id, 0) + 1
        # The unique (run, list, subject) constraint makes a re-delivery a no-op.
        Lookup.objects.bulk_create(lookups, ignore_conflicts=True)
        listing_apply(lookups=lookups, now=now)
        if per_run:  # the runs' progress: one UPDATE for the chunk
            CheckRun.objects.filter(pk__in=per_run).update(
                done=F("done")
                + Case(
                    *(When(pk=pk, then=Value(n)) for pk, n in per_run.items()),
                    default=Value(0),
                    output_field=IntegerField(),
                ),
                lease_until=now + LEASE,
            )
