"""Page benchmark: server time of the main pages on a big PostgreSQL database.

Fills the database with `seed_demo` (10,000 targets, 39 lists, 13 days: about
5 million lookups) unless it already holds that much, then asks each page
through Django's test client as a logged-in manager (or IT staff, for the
pages they see differently) and prints p50 / p95 / worst server time and the
number of SQL queries per page. DESIGN §5 target: under 150 ms at p95.

    .venv/bin/python bench/pages.py [--rounds 30]
        [--database postgres://postgres@127.0.0.1:5432/blcheck_bench]
        [--targets 10000 --lists 39 --days 13] [--reseed]

Not a test: it prints figures. Server time is measured around the whole
request in-process (middleware, views, queries, templates); no network.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 150.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database",
        default="postgres://postgres@127.0.0.1:5432/blcheck_bench",
        help="PostgreSQL URL (the database is created when missing)",
    )
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--targets", type=int, default=10_000)
    parser.add_argument("--lists", type=int, default=39)
    parser.add_argument("--days", type=int, default=13)
    parser.add_argument(
        "--reseed", action="store_true", help="drop the database and seed it again"
    )
    parser.add_argument(
        "--csv-days",
        type=int,
        default=3,
        help="days of lookups the CSV export streams (about 390,000 a day); 0: skip",
    )
    return parser.parse_args()


def prepare_database(url: str, *, reseed: bool) -> None:
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if reseed:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("BLCHECK_DATA_DIR", "/tmp/blcheck-bench-data")
    os.environ["DJANGO_SETTINGS_MODULE"] = "blcheck.settings"
    import django

    django.setup()


def seed(args: argparse.Namespace) -> None:
    from django.core.management import call_command
    from django.db import connection

    from blcheck.monitoring.models import Lookup

    call_command("migrate", verbosity=0)
    wanted = args.targets * args.lists * args.days
    have = Lookup.objects.count()
    if have >= wanted:
        print(f"database holds {have:,} lookups; not seeding")
        return
    print(f"seeding {wanted:,} lookups (takes minutes) ...", flush=True)
    started = time.perf_counter()
    call_command(
        "seed_demo",
        targets=args.targets,
        lists=args.lists,
        days=args.days,
        seed=1,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would, before anyone measures
    print(f"seeded in {time.perf_counter() - started:.0f} s")


def users() -> tuple[object, object]:
    from django.contrib.auth.models import Group, User

    from blcheck.core.access import IT_STAFF, MANAGERS

    manager, _ = User.objects.get_or_create(username="bench-manager")
    manager.groups.add(Group.objects.get(name=MANAGERS))
    staff, _ = User.objects.get_or_create(username="bench-staff")
    staff.groups.add(Group.objects.get(name=IT_STAFF))
    return manager, staff


def pages() -> list[tuple[str, str, str]]:
    """(name, persona, url) for every page DESIGN §5 and issue 6 measure."""
    from django.db.models import Count
    from django.urls import reverse

    from blcheck.monitoring.models import Blocklist, ListingChange, Target

    busiest = (
        Target.objects.annotate(n=Count("listings__changes"))
        .order_by("-n", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    some_list = (
        Blocklist.objects.filter(listings__is_listed=True).values("pk").first() or {}
    )
    last = ListingChange.objects.order_by("-at").values_list("at", flat=True).first()
    day = last.date().isoformat() if last else ""
    history = reverse("reports:history-lookups")
    return [
        ("dashboard", "staff", reverse("reports:dashboard")),
        (
            "dashboard, listed now",
            "staff",
            reverse("reports:dashboard") + "?state=listed",
        ),
        ("dashboard, page 100", "manager", reverse("reports:dashboard") + "?page=100"),
        ("target page", "staff", reverse("reports:target-detail", args=[busiest])),
        ("history: lookups", "manager", history),
        ("history: listed", "manager", history + "?verdict=listed"),
        (
            "history: one list, one day",
            "manager",
            f"{history}?blocklist={some_list.get('pk', '')}"
            f"&date_from={day}&date_to={day}",
        ),
        ("history: episodes", "manager", reverse("reports:history-episodes")),
        ("reports index", "manager", reverse("reports:report-index")),
        (
            "report: listings per month",
            "manager",
            reverse("reports:report-listings-per-month"),
        ),
        ("report: time to delist", "manager", reverse("reports:report-time-to-delist")),
        ("report: case ageing", "manager", reverse("reports:report-case-ageing")),
        (
            "report: repeat listings",
            "manager",
            reverse("reports:report-repeat-listings"),
        ),
        (
            "report: cases per person",
            "manager",
            reverse("reports:report-cases-per-person"),
        ),
    ]


def measure(client: object, url: str, rounds: int) -> tuple[list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # warm caches, as a page in use would be
        client.get(url)  # type: ignore[attr-defined]
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(url)  # type: ignore[attr-defined]
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)  # type: ignore[attr-defined]
    return timings, len(queries), response.status_code


def measure_csv(client: object, url: str) -> None:
    """Stream one export and print rows, time, rate and memory: a million rows
    must never sit in memory (issue 6)."""
    import resource
    import tracemalloc

    tracemalloc.start()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    # Uncompressed, to count the rows as they arrive.
    response = client.get(url, HTTP_ACCEPT_ENCODING="identity")  # type: ignore[attr-defined]
    first = None
    lines = 0
    for chunk in response.streaming_content:
        if first is None:
            first = time.perf_counter() - started
        lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    rows = lines - 1
    print(
        f"CSV export: {rows:,} rows in {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s), "
        f"first bytes after {first or 0:.2f} s, Python heap peak "
        f"{peak / 2**20:.1f} MB, process peak RSS grew {grown / 1024:.0f} MB"
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    args = parse_args()
    prepare_database(args.database, reseed=args.reseed)
    setup_django(args.database)
    seed(args)
    from django.test import Client

    from blcheck.monitoring.models import Lookup, Target

    manager, staff = users()
    clients = {}
    for name, user in (("manager", manager), ("staff", staff)):
        clients[name] = Client(
            HTTP_HOST="127.0.0.1",
            HTTP_ACCEPT_LANGUAGE="ja",
            HTTP_ACCEPT_ENCODING="gzip",
        )
        clients[name].force_login(user)
    print(
        f"{Target.objects.count():,} targets, {Lookup.objects.count():,} lookups; "
        f"{args.rounds} rounds per page, language ja, gzip accepted"
    )
    print(f"{'page':32} {'p50 ms':>8} {'p95 ms':>8} {'worst':>8} {'queries':>8}")
    slow = []
    for name, persona, url in pages():
        timings, queries, status = measure(clients[persona], url, args.rounds)
        p50, p95 = statistics.median(timings), percentile(timings, 0.95)
        flag = "" if status == 200 else f"  HTTP {status}"
        if p95 > TARGET_MS:
            slow.append(name)
            flag += "  over target"
        print(f"{name:32} {p50:8.1f} {p95:8.1f} {max(timings):8.1f} {queries:8d}{flag}")
    print(
        f"target: p95 under {TARGET_MS:.0f} ms: "
        + ("all pages" if not slow else "missed by " + ", ".join(slow))
    )
    if args.csv_days:
        measure_csv(clients["manager"], csv_url(args.csv_days))


def csv_url(days: int) -> str:
    from datetime import timedelta

    from django.db.models import Max
    from django.urls import reverse
    from django.utils import timezone

    from blcheck.monitoring.models import Lookup

    last = Lookup.objects.aggregate(last=Max("checked_at"))["last"]
    end = timezone.localdate(last)
    start = end - timedelta(days=days - 1)
    return (
        reverse("reports:history-lookups-csv")
        + f"?date_from={start.isoformat()}&date_to={end.isoformat()}"
    )


if __name__ == "__main__":
    main()
