"""The lookup engine: probe the lists, ask every (subject, list) pair, read the answers.

The same code serves the workers (services.run_check) and the `lookup`
command, so both judge alike. No Django models here: callers hand in dnsbl.ListSpec
values and get Results back; resolver.py does the DNS.
"""

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from blcheck.lookups import dnsbl, resolver
from blcheck.lookups.dnsbl import Answer, Failure, Health, ListSpec, Reading, Verdict


@dataclass(frozen=True)
class Result:
    subject: str
    list: ListSpec
    qname: str
    reading: Reading
    answer: Answer
    reason: str = ""  # the TXT record of a listing
    # With error list_unhealthy: why the list failed its probes.
    health: Health | None = None


@dataclass
class Options:
    nameservers: Sequence[str] | None = None
    timeout: float | None = None
    concurrency: int | None = None
    limiter: resolver.Limiter | None = None
    progress: Callable[[int], None] | None = None
    resolve_options: dict[str, object] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.resolve_options = {
            "nameservers": self.nameservers,
            "timeout": self.timeout,
            "concurrency": self.concurrency,
        }


HealthMap = dict[tuple[str, str], Health]  # (zone, subject kind) -> health


async def probe(needed: set[tuple[ListSpec, str]], options: Options) -> HealthMap:
    """RFC 5782 §5 test entries, two queries per list and kind of subject."""
    checked = sorted(
        ((spec, kind) for spec, kind in needed if spec.has_test_points),
        key=lambda item: (item[0].zone, item[1]),
    )
    names = [
        dnsbl.query_name(subject, spec.zone)
        for spec, kind in checked
        for subject in dnsbl.PROBE_SUBJECTS[kind]
    ]
    answers = await resolver.resolve_async(names, **options.resolve_options)  # type: ignore[arg-type]
    health: HealthMap = {(spec.zone, kind): Health.OK for spec, kind in needed}
    for number, (spec, kind) in enumerate(checked):
        positive, negative = answers[2 * number], answers[2 * number + 1]
        health[(spec.zone, kind)] = dnsbl.judge_probes(positive, negative, spec)
    return health


async def look_up(
    pairs: Sequence[tuple[str, ListSpec]], health: HealthMap, options: Options
) -> list[Result]:
    """Ask every pair whose list is healthy; the rest are errors without a query."""
    names = [dnsbl.query_name(subject, spec.zone) for subject, spec in pairs]
    live = [
        i
        for i, (subject, spec) in enumerate(pairs)
        if health.get((spec.zone, dnsbl.subject_kind(subject))) is Health.OK
    ]
    answers = await resolver.resolve_async(
        [names[i] for i in live],
        pacing=[pairs[i][1].zone for i in live],
        limiter=options.limiter,
        progress=options.progress,
        **options.resolve_options,  # type: ignore[arg-type]
    )
    unhealthy = Answer(failure=Failure.LIST_UNHEALTHY)
    by_index = dict(zip(live, answers, strict=True))
    readings = {
        i: dnsbl.read_answer(answer, pairs[i][1]) for i, answer in by_index.items()
    }
    listed = [i for i, reading in readings.items() if reading.verdict is Verdict.LISTED]
    # TXT only for listings: it carries the reason and the list's lookup URL.
    texts = await resolver.resolve_async(
        [names[i] for i in listed],
        "TXT",
        **options.resolve_options,  # type: ignore[arg-type]
    )
    reasons = {i: " ".join(t.texts) for i, t in zip(listed, texts, strict=True)}
    if options.progress is not None and len(pairs) > len(live):
        options.progress(len(pairs) - len(live))
    return [
        Result(
            subject=subject,
            list=spec,
            qname=names[i],
            reading=readings.get(
                i, Reading(Verdict.ERROR, error=Failure.LIST_UNHEALTHY)
            ),
            answer=by_index.get(i, unhealthy),
            reason=reasons.get(i, ""),
            health=None if i in by_index else _health_of(health, subject, spec),
        )
        for i, (subject, spec) in enumerate(pairs)
    ]


def _health_of(health: HealthMap, subject: str, spec: ListSpec) -> Health:
    return health.get((spec.zone, dnsbl.subject_kind(subject)), Health.UNREACHABLE)


def needed_probes(pairs: Sequence[tuple[str, ListSpec]]) -> set[tuple[ListSpec, str]]:
    return {(spec, dnsbl.subject_kind(subject)) for subject, spec in pairs}


async def check_async(
    pairs: Sequence[tuple[str, ListSpec]], options: Options
) -> tuple[list[Result], HealthMap]:
    health = await probe(needed_probes(pairs), options)
    return await look_up(pairs, health, options), health


def check(
    pairs: Sequence[tuple[str, ListSpec]], options: Options | None = None
) -> tuple[list[Result], HealthMap]:
    """Probe the lists the pairs need, then ask every pair (synchronous)."""
    return asyncio.run(check_async(pairs, options or Options()))


# --- Is the resolver itself failing? ----------------------------------------

# Failures that may be the resolver's rather than one list's.
RESOLVER_FAILURES = frozenset(
    {Failure.TIMEOUT, Failure.SERVFAIL, Failure.REFUSED, Failure.NO_NAMESERVERS}
)
_HEALTH_FAILURES = {health: failure for failure, health in dnsbl.PROBE_FAILURES.items()}


def probes_blind(health: HealthMap) -> Failure | None:
    """The failure every probed list shares, when it could be the resolver's:
    every list failing its probes the same way is a suspect, never a verdict
    (a canary query confirms it)."""
    failures = {_HEALTH_FAILURES.get(state) for state in health.values()}
    if not health or len(failures) != 1:
        return None
    failure = failures.pop()
    return failure if failure in RESOLVER_FAILURES else None


def resolver_failures(results: Sequence[Result]) -> Counter[Failure]:
    """How many results ended in each failure that could be the resolver's; a
    list_unhealthy result counts as its probes' failure."""
    counts: Counter[Failure] = Counter()
    for result in results:
        failure = result.reading.error
        if failure is Failure.LIST_UNHEALTHY:
            failure = _HEALTH_FAILURES.get(result.health)  # type: ignore[arg-type]
        if failure in RESOLVER_FAILURES:
            counts[failure] += 1
    return counts


def most_of(counts: Counter[Failure], total: int) -> Failure | None:
    """The failure shared by more than half of `total` results, if any."""
    if not counts:
        return None
    failure, count = counts.most_common(1)[0]
    return failure if 2 * count > total else None


def results_blind(results: Sequence[Result]) -> Failure | None:
    """The failure most of the results share, when it could be the resolver's."""
    return most_of(resolver_failures(results), len(results))


@dataclass(frozen=True)
class Canary:
    """The resolver's answer to a question any working resolver answers (the
    root zone's NS records): None when some nameserver answered."""

    failure: Failure | None
    nameserver: str = ""


async def canary_async(options: Options) -> Canary:
    """Ask each configured nameserver for ". NS"; the first answer clears it.
    An NXDOMAIN or an empty answer is still an answer: the resolver works."""
    configured = resolver.configured_nameservers(options.nameservers)
    if not configured:
        return Canary(Failure.NO_NAMESERVERS)
    first = Canary(Failure.NO_NAMESERVERS)
    for nameserver in configured:
        (answer,) = await resolver.resolve_async(
            [""], "NS", nameservers=[str(nameserver)], timeout=options.timeout
        )
        if answer.failure is None or answer.failure is Failure.BAD_ANSWER:
            return Canary(None, str(nameserver))
        if first.failure is Failure.NO_NAMESERVERS and not first.nameserver:
            first = Canary(answer.failure, str(nameserver))
    return first


def check_canary(options: Options | None = None) -> Canary:
    """canary_async() for callers without an event loop."""
    return asyncio.run(canary_async(options or Options()))
