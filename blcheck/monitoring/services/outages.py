"""When the resolver itself fails: one outage, blind runs, one message each way.

A run suspects the resolver when every list's probes fail the same way, or
when most of its lookups end in the same error (engine.probes_blind,
engine.results_blind). A suspicion alone proves nothing (one list may be
dead), so a canary query that any working resolver answers decides: if it
fails too, an outage opens (or goes on), and the runs are blind, not checks.
The first run or watch whose canary is answered ends it.
"""

import functools
import logging
from collections.abc import Callable, Sequence

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from blcheck.lookups import dnsbl, engine
from blcheck.monitoring.models import CheckRun, ResolverOutage, Target
from blcheck.monitoring.selectors import resolver_outage_ongoing

log = logging.getLogger(__name__)


def _announce(outage_id: int) -> None:
    from blcheck.monitoring.tasks import notify_outage

    transaction.on_commit(functools.partial(notify_outage.delay, outage_id))


def resolver_outage_open(*, canary: engine.Canary) -> ResolverOutage:
    """The open outage, opened now (and announced once) if none is open."""
    now = timezone.now()
    failure = (canary.failure or dnsbl.Failure.TIMEOUT).value
    with transaction.atomic():
        outage = resolver_outage_ongoing()
        if outage is not None:
            ResolverOutage.objects.filter(pk=outage.pk).update(last_seen_at=now)
            return outage
        try:
            with transaction.atomic():
                outage = ResolverOutage.objects.create(
                    started_at=now,
                    last_seen_at=now,
                    failure=failure,
                    nameserver=canary.nameserver,
                )
        except IntegrityError:  # another worker opened it a moment ago
            return ResolverOutage.objects.get(is_open=True)
        log.warning(
            "DNS resolution failing: %s at %s", failure, canary.nameserver or "-"
        )
        _announce(outage.pk)
    return outage


def resolver_outage_end() -> ResolverOutage | None:
    """End the open outage (announced once); None when none was open."""
    now = timezone.now()
    with transaction.atomic():
        outage = resolver_outage_ongoing()
        if outage is None:
            return None
        if not ResolverOutage.objects.filter(pk=outage.pk, is_open=True).update(
            ended_at=now, is_open=None
        ):
            return None  # another worker ended it
        log.warning("DNS resolution works again (outage %s)", outage.pk)
        _announce(outage.pk)
        # Targets checked blind are asked again at the next tick, not after
        # their whole interval.
        blind = CheckRun.objects.filter(outage=outage).values("target_id")
        Target.objects.filter(pk__in=blind, is_enabled=True).update(next_check_at=now)
    outage.ended_at = now
    return outage


def resolver_confirm(
    suspect: dnsbl.Failure | None, canary: Callable[[], engine.Canary]
) -> ResolverOutage | None:
    """Ask the canary when a run suspects the resolver: the open outage when
    the canary fails too; otherwise the suspicion was one list's trouble."""
    if suspect is None:
        return None
    answer = canary()
    if answer.failure is None:
        resolver_outage_end()
        return None
    return resolver_outage_open(canary=answer)


def run_mark_blind(
    *, runs: Sequence[CheckRun], outage: ResolverOutage, claimant: str
) -> None:
    """The runs got no answers because the resolver failed: blind, not checks.
    Their targets keep their last check time; the outage counts them."""
    now = timezone.now()
    why = f"{outage.failure} at {outage.nameserver}".strip()
    with transaction.atomic():
        marked = CheckRun.objects.filter(
            pk__in=[run.pk for run in runs], claimed_by=claimant
        ).update(
            status=CheckRun.Status.BLIND,
            outage=outage,
            failure=why,
            finished_at=now,
            lease_until=None,
        )
        ResolverOutage.objects.filter(pk=outage.pk).update(
            blind_runs=F("blind_runs") + marked, last_seen_at=now
        )


def resolver_outage_watch() -> ResolverOutage | None:
    """Beat: while an outage is open, ask the canary; end it when answered."""
    if resolver_outage_ongoing() is None:
        return None
    if engine.check_canary(engine.Options()).failure is None:
        return resolver_outage_end()
    ResolverOutage.objects.filter(is_open=True).update(last_seen_at=timezone.now())
    return None
