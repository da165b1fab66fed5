"""Load test of the default install: SQLite under web, two workers and beat.

Makes a throw-away data folder (SQLite, as `make run` sets up without
DATABASE_URL), serves generated zones from NSD on 127.0.0.1 (as
bench/sweep.py does), registers TARGETS addresses and LISTS lists pointing at
them (the catalog's lists switched off: nothing leaves loopback), starts
every process with `make run PORT=<free>` (supervisord.conf: web, the two
workers, beat and an embedded Redis), logs in as an IT staff user, queues a
check of every target through the bulk action (/targets/act/, as a person
would), and while the sweep runs, CLIENTS threads request the dashboard, the
target list (with filters), a target page, the lookup history and the run
group's progress page, and one more adds and removes a tag on 15 targets
(a person's writes beside the workers'). Meanwhile SCHEDULED more targets
come due, so beat's dispatch queues their runs during the sweep. Prints the
sweep's wall time, runs finished and failed (with their failure texts), HTTP
errors by status, every "database is locked" and traceback in the processes'
output, and p50/p95/max latency per page during the sweep.

    .venv/bin/python bench/load.py [--targets 2000] [--lists 20]
        [--scheduled 500] [--clients 6]

Needs NSD (apt-get install -y nsd). Not a test: it prints figures. Traffic
goes to 127.0.0.1 only.
"""

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.lookup import FIRST, free_port, make_zones, start_nsd  # noqa: E402

USERNAME = "load-it"
PASSWORD = "load-test-password-7183"  # a throw-away database
TROUBLE = re.compile(r"database is locked|Traceback|\bERROR\b|CRITICAL|exited:")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


OPENER = urllib.request.build_opener(NoRedirect)


class Client:
    """A browser's cookies (kept by hand: the cookies are Secure, the site is
    plain HTTP on loopback) and one request at a time."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}

    def request(
        self, path: str, data: dict[str, str] | None = None
    ) -> tuple[int, str, dict[str, str]]:
        body = None
        headers = {"Host": "127.0.0.1", "Referer": self.base + "/"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if data is not None:
            data = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **data}
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            with OPENER.open(request, timeout=120) as response:
                status, text, got = response.status, response.read(), response.headers
        except urllib.error.HTTPError as exc:
            status, text, got = exc.code, exc.read(), exc.headers
        for cookie in got.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return status, text.decode(errors="replace"), dict(got.items())

    def log_in(self) -> None:
        self.request("/accounts/login/")
        status, _, headers = self.request(
            "/accounts/login/", {"username": USERNAME, "password": PASSWORD}
        )
        if status != 302 or "sessionid" not in self.cookies:
            sys.exit(f"log-in failed: {status} {headers.get('Location')}")


def setup_data(addresses: list[str], scheduled: list[str], zones: list[str]) -> None:
    """The swept targets carry the tag "load"; the scheduled ones come due
    (beat's dispatch queues them) once the sweep has started."""
    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from blcheck.core.access import IT_STAFF
    from blcheck.monitoring.models import Blocklist, Tag, Target

    Blocklist.objects.update(is_enabled=False)  # the catalog: public zones
    Blocklist.objects.bulk_create(
        Blocklist(zone=zone, name=zone, listed_codes={"127.0.0.2": "listed"})
        for zone in zones
    )
    later = timezone.now() + timedelta(days=1)  # beat leaves them alone
    targets = Target.objects.bulk_create(
        Target(
            value=a, kind="address", check_interval_minutes=1440, next_check_at=later
        ).set_keys()
        for a in addresses + scheduled
    )
    tag = Tag.objects.create(name="load")
    Target.tags.through.objects.bulk_create(
        Target.tags.through(target_id=t.pk, tag_id=tag.pk)
        for t in targets[: len(addresses)]
    )
    user = User.objects.create_user(USERNAME, password=PASSWORD)
    user.groups.add(Group.objects.get_or_create(name=IT_STAFF)[0])


def wait_for_web(base: str, run: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if run.poll() is not None:
            sys.exit(f"make run exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5):
                pass
            return
        except urllib.error.HTTPError:
            return  # it answers (503 until a worker beats)
        except OSError:
            time.sleep(0.5)
    sys.exit(f"the web server did not answer:\n{log.read_text()[-3000:]}")


def wait_for_workers() -> None:
    from redis.exceptions import ConnectionError as BrokerDown

    from blcheck.core.heartbeat import is_worker_alive

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if is_worker_alive():
                return
        except BrokerDown:  # the embedded Redis is starting
            pass
        time.sleep(0.5)
    sys.exit("no worker started")


def browse(
    client: Client,
    pages: list[tuple[str, str, dict[str, str] | None]],
    stop: threading.Event,
    timings: dict[str, list[float]],
    statuses: Counter,
    lock: threading.Lock,
    offset: int,
) -> None:
    i = offset
    while not stop.is_set():
        name, path, data = pages[i % len(pages)]
        i += 1
        started = time.perf_counter()
        try:
            status, text, headers = client.request(path, data)
        except OSError as exc:
            status, text, headers = 0, str(exc), {}
        elapsed = time.perf_counter() - started
        if data is not None and status in (200, 302):
            # Done: back to the list (a 200 asks to confirm a changed selection).
            done = status == 302 and "/targets/?" in headers.get("Location", "")
            status = 200 if done else 409
        with lock:
            timings[name].append(elapsed)
            statuses[(name, status)] += 1
            if status != 200 and statuses[(name, status)] <= 3:  # the first few
                print(f"  {name}: HTTP {status} {text[:300]!r}", flush=True)


def figures(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    if len(ms) < 2:
        return f"n={len(ms)}"
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return (
        f"n={len(ms):5}  p50 {cuts[49]:7.0f} ms  p95 {cuts[94]:7.0f} ms  "
        f"max {ms[-1]:7.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", type=int, default=2000)
    parser.add_argument("--lists", type=int, default=20)
    parser.add_argument(
        "--scheduled",
        type=int,
        default=500,
        help="more targets made due as the sweep starts: beat queues them",
    )
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--listed-share", type=float, default=0.03)
    parser.add_argument("--seed", type=int, default=5782)
    parser.add_argument("--timeout", type=float, default=900, help="seconds")
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    args = parser.parse_args()

    addresses = [str(FIRST + i) for i in range(args.targets + args.scheduled)]
    zones = [f"list{n:02d}.load.test" for n in range(args.lists)]
    tmp = tempfile.mkdtemp(prefix="blcheck-load-")
    folder = Path(tmp)
    make_zones(folder, addresses, zones, args.listed_share, args.seed)
    dns_port, web_port = free_port(), free_port(socket.SOCK_STREAM)
    nsd = start_nsd(folder, zones, dns_port)
    data = folder / "data"
    data.mkdir(mode=0o700)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL")  # the default install
    }
    env.update(
        BLCHECK_DATA_DIR=str(data),
        BLCHECK_DNS_NAMESERVERS=f"127.0.0.1:{dns_port}",
        BLCHECK_EMBEDDED_REDIS_PORT=str(free_port(socket.SOCK_STREAM)),
        DJANGO_SETTINGS_MODULE="blcheck.settings",
    )
    os.environ.clear()
    os.environ.update(env)
    log = folder / "make-run.log"
    run = None
    try:
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, check=True)
        subprocess.run([*manage, "load_catalog"], cwd=ROOT, check=True)
        import django

        django.setup()
        setup_data(addresses[: args.targets], addresses[args.targets :], zones)
        with log.open("wb") as out:
            run = subprocess.Popen(
                ["make", "run", f"PORT={web_port}"],
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        base = f"http://127.0.0.1:{web_port}"
        wait_for_web(base, run, log)
        wait_for_workers()
        sweep(base, args, log)
    finally:
        if run is not None and run.poll() is None:
            os.killpg(run.pid, signal.SIGTERM)  # supervisord stops its children
            try:
                run.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(run.pid, signal.SIGKILL)
        nsd.terminate()
        nsd.wait(timeout=10)
        if args.keep:
            print(f"data folder kept: {folder}")
        else:
            subprocess.run(["rm", "-rf", tmp], check=False)


def sweep(base: str, args: argparse.Namespace, log: Path) -> None:
    from django.db.models import Count, Max
    from django.utils import timezone

    from blcheck.monitoring import selection
    from blcheck.monitoring.models import CheckRun, Lookup, Target

    first = Target.objects.order_by("sort_key").first()
    assert first is not None
    before = CheckRun.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    person = Client(base)
    person.log_in()
    log_start = log.stat().st_size

    started, moment = time.perf_counter(), timezone.now()
    status, _, headers = person.request(
        "/targets/act/",
        {"action": "check", "tag": "load", "count": str(args.targets)},
    )
    Target.objects.exclude(tags__name="load").update(next_check_at=timezone.now())
    queued = time.perf_counter() - started
    if status != 302 or "/runs/groups/" not in headers.get("Location", ""):
        sys.exit(f"the check was not queued: HTTP {status} {headers.get('Location')}")
    group = headers["Location"]
    pages: list[tuple[str, str, dict[str, str] | None]] = [
        ("dashboard", "/", None),
        ("targets listed", "/targets/?state=listed&tag=load", None),
        ("targets search", "/targets/?q=198.18.1&kind=address", None),
        ("targets page 3", "/targets/?page=3", None),
        ("target page", f"/targets/{first.pk}/", None),
        ("lookup history", "/history/lookups/", None),
        ("run group", group, None),
    ]
    # A person writing meanwhile: a tag added to and removed from 15 targets
    # (one transaction each, with its audit entries), over and over.
    block = "198.18.0.0/28"
    held = selection.target_matching(Target.objects.all(), block).count()
    writes: list[tuple[str, str, dict[str, str] | None]] = [
        (
            "tag 15 (write)",
            "/targets/act/",
            {"q": block, "action": action, "tag_name": "busy", "count": str(held)},
        )
        for action in ("tag", "untag")
    ]
    stop, lock = threading.Event(), threading.Lock()
    timings: dict[str, list[float]] = defaultdict(list)
    statuses: Counter = Counter()
    threads = []
    for n in range(args.clients + 1):
        client = Client(base)
        client.log_in()
        thread = threading.Thread(
            target=browse,
            args=(client, pages if n else writes, stop, timings, statuses, lock, n),
            daemon=True,
        )
        thread.start()
        threads.append(thread)

    runs = CheckRun.objects.filter(pk__gt=before)
    deadline = time.monotonic() + args.timeout
    expected = args.targets + args.scheduled
    while (
        runs.count() < expected
        or runs.exclude(status__in=["finished", "failed", "blind"]).exists()
    ):
        if time.monotonic() > deadline:
            print("TIMED OUT: the sweep did not finish")
            break
        time.sleep(0.5)
    wall = time.perf_counter() - started
    stop.set()
    for thread in threads:
        thread.join(timeout=180)
    time.sleep(2)  # the last log lines

    by_status = dict(runs.values_list("status").annotate(n=Count("pk")))
    triggers = dict(runs.values_list("trigger").annotate(n=Count("pk")))
    manual = runs.filter(trigger="manual").aggregate(end=Max("finished_at"))["end"]
    failures = Counter(runs.filter(status="failed").values_list("failure", flat=True))
    lookups = Lookup.objects.filter(run__in=runs)
    verdicts = dict(lookups.values_list("verdict").annotate(n=Count("pk")))
    output = log.read_bytes()[log_start:].decode(errors="replace").splitlines()
    trouble = [line for line in output if TROUBLE.search(line)]
    locked = [line for line in output if "database is locked" in line]

    print(
        f"{args.targets} targets checked at once (bulk action) and {args.scheduled} "
        f"queued by beat meanwhile, x {args.lists} lists, SQLite, `make run`, "
        f"{args.clients} browsing clients and one writing"
    )
    print(
        f"sweep wall time    {wall:8.1f} s with beat's runs (the {args.targets} "
        f"checked at once: {(manual - moment).total_seconds():.1f} s; queued by "
        f"the web in {queued:.2f} s)"
    )
    print(f"runs               {by_status}, by trigger {triggers}")
    for text, n in failures.items():
        print(f"  failed x{n}: {text}")
    print(f"lookups            {verdicts}")
    errors = {k: v for k, v in statuses.items() if k[1] != 200}
    print(f"requests           {sum(statuses.values())}, not 200: {errors or 'none'}")
    print(f'"database is locked" lines in the logs: {len(locked)}')
    print(f"error lines in the logs: {len(trouble)}")
    for line in trouble[:40]:
        print(f"  {line}")
    print("latency per page during the sweep:")
    for name, _, _ in pages + writes[:1]:
        print(f"  {name:15} {figures(timings[name])}")


if __name__ == "__main__":
    main()
