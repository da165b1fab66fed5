"""Synthetic history for screenshots and load tests (`manage.py seed_demo`).

Addresses come from 198.18.0.0/15 (RFC 2544 benchmarking), so demo data can
never be mistaken for, or sent to, a real mail server.
"""

import ipaddress
import json
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from blcheck.monitoring.models import (
    Blocklist,
    CheckRun,
    Listing,
    ListingChange,
    Lookup,
    Tag,
    Target,
)
from blcheck.monitoring.services import blocklist_load_catalog

DEMO_NET = ipaddress.ip_network("198.18.0.0/15")
CHUNK = 5000
TAGS = ["tokyo", "osaka", "outbound", "marketing", "transactional"]


@dataclass(frozen=True)
class DemoCounts:
    targets: int
    runs: int
    lookups: int
    episodes: int


def demo_seed(*, targets: int, lists: int, days: int, seed: int) -> DemoCounts:
    """Targets checked daily for `days` days against `lists` catalog lists."""
    rng = random.Random(seed)
    if not Blocklist.objects.exists():
        blocklist_load_catalog()
    chosen = list(
        Blocklist.objects.filter(is_retired=False, has_ipv4=True)
        .exclude(key_setting__gt="")
        .order_by("-is_enabled", "name")[:lists]
    )
    tags = [Tag.objects.get_or_create(name=name)[0] for name in TAGS]
    with transaction.atomic():
        made = _targets(targets, tags, rng)
        runs, lookups, episodes = _history(made, chosen, days, rng)
    return DemoCounts(len(made), runs, lookups, episodes)


def _targets(count: int, tags: list[Tag], rng: random.Random) -> list[Target]:
    taken = set(Target.objects.values_list("value", flat=True))
    start = int(DEMO_NET.network_address) + 1 + len(taken)
    values = [str(ipaddress.IPv4Address(start + i)) for i in range(count)]
    made = Target.objects.bulk_create(
        Target(
            value=v,
            kind=Target.Kind.ADDRESS,
            label=f"mx-{i + 1:03d}",
            check_interval_minutes=settings.DEFAULT_CHECK_INTERVAL_MINUTES,
            next_check_at=timezone.now(),
        ).set_keys()
        for i, v in enumerate(values)
        if v not in taken
    )
    for target in made:
        target.tags.add(*rng.sample(tags, k=rng.randint(1, 2)))
    return made


def _history(
    targets: list[Target], lists: list[Blocklist], days: int, rng: random.Random
) -> tuple[int, int, int]:
    """One run per target and day; some pairs get listed for a few days."""
    now = timezone.now()
    listed_until: dict[tuple[int, int], int] = {}  # (target, list) -> last day listed
    states: dict[tuple[int, int], Listing] = {}
    lookups: list[tuple[object, ...]] = []
    changes: list[Change] = []
    run_count = episode_count = lookup_count = 0
    for day in range(days):
        at = now - timedelta(days=days - day)
        runs = CheckRun.objects.bulk_create(
            CheckRun(
                target=t,
                trigger=CheckRun.Trigger.SCHEDULE,
                group=uuid.uuid4(),
                status=CheckRun.Status.FINISHED,
                total=len(lists),
                done=len(lists),
                started_at=at,
                finished_at=at + timedelta(seconds=2),
            )
            for t in targets
        )
        run_count += len(runs)
        # created_at is set on insert; a demo run was asked for on its own day.
        CheckRun.objects.filter(pk__in=[r.pk for r in runs]).update(created_at=at)
        for run, target in zip(runs, targets, strict=True):
            for blocklist in lists:
                key = (target.pk, blocklist.pk)
                if key not in listed_until and rng.random() < 0.004:
                    listed_until[key] = day + rng.randint(1, 5)
                    changes.append((key, ListingChange.Kind.LISTED, day, run))
                    episode_count += 1
                is_listed = key in listed_until
                if is_listed and listed_until[key] < day:
                    del listed_until[key]
                    changes.append((key, ListingChange.Kind.CLEARED, day, run))
                    is_listed = False
                lookups.append(
                    _lookup(run, target, blocklist, at, rng, is_listed=is_listed)
                )
                states[key] = _state(
                    states.get(key), target, blocklist, at, is_listed=is_listed
                )
            if len(lookups) >= CHUNK:
                lookup_count += _flush(lookups)
    lookup_count += _flush(lookups)
    _save_listings(states, changes, now, days)
    _settle(targets, days, now)
    return run_count, lookup_count, episode_count


def _settle(targets: list[Target], days: int, now: datetime) -> None:
    """Run counts from their lookups; each target last checked on the last day."""
    runs = CheckRun.objects.filter(target__in=targets)
    per_run = Lookup.objects.filter(run=OuterRef("pk")).values("run")

    def count(verdict: str) -> Coalesce:
        matching = per_run.filter(verdict=verdict).annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(matching[:1]), 0)

    runs.update(
        listed_count=count(Lookup.Verdict.LISTED),
        error_count=count(Lookup.Verdict.ERROR),
    )
    last = now - timedelta(days=1)
    for minutes in {t.check_interval_minutes for t in targets}:
        Target.objects.filter(
            pk__in=[t.pk for t in targets], check_interval_minutes=minutes
        ).update(last_checked_at=last, next_check_at=last + timedelta(minutes=minutes))


LOOKUP_COLUMNS = (
    "run_id",
    "target_id",
    "blocklist_id",
    "subject",
    "query_name",
    "verdict",
    "codes",
    "reason",
    "error",
    "health",
    "rcode",
    "resolver",
    "elapsed_ms",
    "checked_at",
)


def _lookup(
    run: CheckRun,
    target: Target,
    blocklist: Blocklist,
    at: datetime,
    rng: random.Random,
    *,
    is_listed: bool,
) -> tuple[object, ...]:
    """One lookup row as LOOKUP_COLUMNS values (millions: no model instances)."""
    failed = not is_listed and rng.random() < 0.002
    if is_listed:
        verdict, codes = Lookup.Verdict.LISTED, ["127.0.0.2"]
    elif failed:
        verdict, codes = Lookup.Verdict.ERROR, []
    else:
        verdict, codes = Lookup.Verdict.NOT_LISTED, []
    reversed_ip = ".".join(reversed(target.value.split(".")))
    return (
        run.pk,
        target.pk,
        blocklist.pk,
        target.value,
        f"{reversed_ip}.{blocklist.zone}",
        str(verdict),
        codes,
        f"{target.value} listed by {blocklist.name} (demo data)" if is_listed else "",
        Lookup.Error.TIMEOUT.value if failed else "",
        "",  # health: demo lists never fail their probes
        "" if failed else ("NOERROR" if is_listed else "NXDOMAIN"),
        "127.0.0.1:53",
        round(rng.uniform(2, 60), 2),
        at,
    )


def _state(
    listing: Listing | None,
    target: Target,
    blocklist: Blocklist,
    at: datetime,
    *,
    is_listed: bool,
) -> Listing:
    listing = listing or Listing(
        target=target,
        blocklist=blocklist,
        subject=target.value,
        last_changed_at=at,
    )
    if listing.is_listed != is_listed:
        listing.is_listed, listing.last_changed_at = is_listed, at
        listing.listed_since = at if is_listed else None
        listing.change_count += 1
        listing.codes = ["127.0.0.2"] if is_listed else []
    return listing


def _flush(rows: list[tuple[object, ...]]) -> int:
    """Write lookup rows: COPY on PostgreSQL (millions for load tests), else
    bulk_create."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            copy_sql = (
                f"COPY {Lookup._meta.db_table} ({', '.join(LOOKUP_COLUMNS)}) FROM STDIN"
            )
            with cursor.cursor.copy(copy_sql) as copy:  # psycopg 3
                for row in rows:
                    copy.write_row((*row[:6], json.dumps(row[6]), *row[7:]))
    else:
        Lookup.objects.bulk_create(
            (Lookup(**dict(zip(LOOKUP_COLUMNS, row, strict=True))) for row in rows),
            batch_size=CHUNK,
        )
    count = len(rows)
    rows.clear()
    return count


Change = tuple[tuple[int, int], str, int, CheckRun]  # (target, list), kind, day, run


def _save_listings(
    states: dict[tuple[int, int], Listing],
    changes: list[Change],
    now: datetime,
    days: int,
) -> None:
    Listing.objects.bulk_create(states.values(), batch_size=CHUNK)
    ends = _episode_ends(changes)
    ListingChange.objects.bulk_create(
        (
            ListingChange(
                listing=states[key],
                blocklist_id=key[1],
                kind=kind,
                run=run,
                at=now - timedelta(days=days - day),
                ended_at=(
                    now - timedelta(days=days - ends[index]) if index in ends else None
                ),
                codes=["127.0.0.2"] if kind == ListingChange.Kind.LISTED else [],
            )
            for index, (key, kind, day, run) in enumerate(changes)
        ),
        batch_size=CHUNK,
    )


def _episode_ends(changes: list[Change]) -> dict[int, int]:
    """For each "listed" change (by index), the day its "cleared" change came."""
    ends: dict[int, int] = {}
    open_since: dict[tuple[int, int], int] = {}
    for index, (key, kind, day, _run) in enumerate(changes):
        if kind == ListingChange.Kind.LISTED:
            open_since[key] = index
        elif key in open_since:
            ends[open_since.pop(key)] = day
    return ends
