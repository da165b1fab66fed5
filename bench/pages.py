"""Page benchmark: server time of every page on a big PostgreSQL database.

Fills the database with `seed_demo` (10,000 targets, 39 lists, 30 days: about
11.7 million lookups, and 15,000 cases) unless it already holds that much,
then asks each page of blcheck/demo/pages.py (every page a person can open,
with its filtered variants) through Django's test client as a logged-in IT
staff member or manager, and prints p50 / p95 / worst server time and the
number of SQL queries per page. Issue 15: every page under 150 ms at p95.

It stops (exit 2) before measuring when a URL pattern is neither benched nor
named in blcheck/demo/pages.py's LEFT_OUT, and exits 1 when a page is over
the target or does not answer 200.

    .venv/bin/python bench/pages.py [--rounds 30] [--only SUBSTRING]
        [--database postgres://postgres@127.0.0.1:5432/blcheck_bench]
        [--targets 10000 --lists 39 --days 30] [--reseed]

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
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument(
        "--only", default="", help="measure only the pages whose name holds this"
    )
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
        top_up_cases(args)
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


def top_up_cases(args: argparse.Namespace) -> None:
    """Cases up to seed_demo's default (1.5 per target), on a database seeded
    before cases were counted."""
    from blcheck.cases.models import DelistingCase
    from blcheck.demo.cases import demo_cases
    from blcheck.demo.management.commands.seed_demo import CASES_PER_TARGET

    missing = round(CASES_PER_TARGET * args.targets) - DelistingCase.objects.count()
    if missing > 0:
        started = time.perf_counter()
        made = demo_cases(seed=1, count=missing)
        print(f"opened {made:,} demo cases in {time.perf_counter() - started:.1f} s")
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def users() -> tuple[object, object]:
    from django.contrib.auth.models import Group, User

    from blcheck.core.access import IT_STAFF, MANAGERS

    manager, _ = User.objects.get_or_create(username="bench-manager")
    manager.groups.add(Group.objects.get(name=MANAGERS))
    staff, _ = User.objects.get_or_create(username="bench-staff")
    staff.groups.add(Group.objects.get(name=IT_STAFF))
    return manager, staff


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


def check_coverage() -> None:
    """Every URL pattern is benched or left out with a reason; else stop."""
    from blcheck.demo.pages import missing_routes, unaccounted_routes

    unaccounted = unaccounted_routes()
    if unaccounted:
        print(
            "URL patterns neither benched nor left out (add a line to PAGES or "
            "LEFT_OUT in blcheck/demo/pages.py): " + ", ".join(unaccounted),
            file=sys.stderr,
        )
        sys.exit(2)
    missing = missing_routes()
    if missing:
        print("listed but not in the URLconf yet, skipped: " + ", ".join(missing))


def main() -> None:
    args = parse_args()
    prepare_database(args.database, reseed=args.reseed)
    setup_django(args.database)
    check_coverage()
    seed(args)
    from django.test import Client

    from blcheck.cases.models import DelistingCase
    from blcheck.demo.pages import PAGES, page_urls
    from blcheck.monitoring.models import Lookup, Target

    manager, staff = users()
    clients = {}
    for name, user in (("manager", manager), ("staff", staff)):
        clients[name] = Client(
            HTTP_HOST="127.0.0.1",
            HTTP_ACCEPT_LANGUAGE="ja",
            HTTP_ACCEPT_ENCODING="gzip",
            raise_request_exception=False,  # a failing page is reported, not fatal
        )
        clients[name].force_login(user)
    print(
        f"{Target.objects.count():,} targets, {Lookup.objects.count():,} lookups, "
        f"{DelistingCase.objects.count():,} cases; {args.rounds} rounds per page, "
        "language ja, gzip accepted"
    )
    # Other work on the machine slows every page: say how busy it was.
    print("load average at start: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    print(f"{'page':34} {'p50 ms':>8} {'p95 ms':>8} {'worst':>8} {'queries':>8}")
    slow, failed = [], []
    urls = page_urls()
    found = {page.name for page, _url in urls}
    unfilled = [p.name for p in PAGES if p.name not in found]
    if unfilled:
        print("no URL (route not there yet, or no row for it): " + ", ".join(unfilled))
    for page, url in urls:
        if args.only and args.only not in page.name:
            continue
        timings, queries, status = measure(clients[page.persona], url, args.rounds)
        p50, p95 = statistics.median(timings), percentile(timings, 0.95)
        flag = "" if status == 200 else f"  HTTP {status}"
        if status != 200:
            failed.append(page.name)
        if p95 > TARGET_MS:
            slow.append(page.name)
            flag += "  OVER 150 ms"
        print(
            f"{page.name:34} {p50:8.1f} {p95:8.1f} {max(timings):8.1f} "
            f"{queries:8d}{flag}",
            flush=True,
        )
    print(
        f"target: p95 under {TARGET_MS:.0f} ms: "
        + ("all pages" if not slow else "missed by " + ", ".join(slow))
    )
    print("load average at end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    if args.csv_days and not args.only:
        measure_csv(clients["manager"], csv_url(args.csv_days))
    if slow or failed:
        sys.exit(1)


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
