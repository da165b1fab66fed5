"""Lookup engine benchmark: blcheck's engine against pydnsbl on one loopback server.

Generates ADDRESSES x LISTS zones with a few percent listed, serves them from a
real authoritative DNS server (NSD, from Debian: `apt-get install -y nsd`) on
127.0.0.1, then, in the same run, measures lookups per second for blcheck's
engine and for pydnsbl (aiodns/c-ares, pointed at the same server), each in
its own process, and prints the ratio, each one's peak RSS, and whether each
found exactly the listed pairs of the zone data.

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python bench/lookup.py [--addresses 1000] [--lists 20] [--rounds 3]

Not a test: it prints figures. Traffic goes to 127.0.0.1 only.
"""

import argparse
import asyncio
import ipaddress
import multiprocessing
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FIRST = ipaddress.IPv4Address("198.18.0.1")  # RFC 2544 benchmarking range


def free_port(kind: socket.SocketKind = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_zones(
    folder: Path, addresses: list[str], zones: list[str], share: float, seed: int
) -> set[tuple[str, str]]:
    rng = random.Random(seed)
    listed = {(a, z) for a in addresses for z in zones if rng.random() < share}
    for zone in zones:
        lines = [
            f"$ORIGIN {zone}.",
            "$TTL 300",
            "@ SOA ns.bench.test. admin.bench.test. 1 3600 600 86400 300",
            "@ NS ns.bench.test.",
            "2.0.0.127 A 127.0.0.2",  # RFC 5782 test entry
            '2.0.0.127 TXT "RFC 5782 test entry"',
        ]
        for address in addresses:
            if (address, zone) in listed:
                name = ".".join(reversed(address.split(".")))
                lines += [f"{name} A 127.0.0.2", f'{name} TXT "listed {address}"']
        (folder / f"{zone}.zone").write_text("\n".join(lines) + "\n")
    return listed


def start_nsd(
    folder: Path, zones: list[str], port: int, control_port: int | None = None
) -> subprocess.Popen:
    """Serve the zones on 127.0.0.1:port; with control_port, nsd-control too."""
    nsd = shutil.which("nsd") or "/usr/sbin/nsd"
    if not Path(nsd).exists():
        sys.exit("bench/lookup.py needs NSD: apt-get install -y nsd")
    control = ["remote-control:", "  control-enable: no"]
    if control_port is not None:
        subprocess.run(
            ["nsd-control-setup", "-d", str(folder)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        control = [
            "remote-control:",
            "  control-enable: yes",
            "  control-interface: 127.0.0.1",
            f"  control-port: {control_port}",
            *(
                f'  {name}-file: "{folder}/nsd_{file}"'
                for name, file in (
                    ("server-key", "server.key"),
                    ("server-cert", "server.pem"),
                    ("control-key", "control.key"),
                    ("control-cert", "control.pem"),
                )
            ),
        ]
    config = [
        "server:",
        f"  ip-address: 127.0.0.1@{port}",
        f"  port: {port}",
        '  username: ""',
        '  chroot: ""',
        f'  zonesdir: "{folder}"',
        f'  pidfile: "{folder}/nsd.pid"',
        '  database: ""',
        f'  zonelistfile: "{folder}/zone.list"',
        f'  xfrdfile: "{folder}/xfrd.state"',
        f'  logfile: "{folder}/nsd.log"',
        "  server-count: 1",
        # Debian's NSD limits responses per client network by default (RRL);
        # one client on loopback is all this benchmark has.
        "  rrl-ratelimit: 0",
        "  rrl-whitelist-ratelimit: 0",
        "  verbosity: 0",
        *control,
    ]
    for zone in zones:
        config += ["zone:", f"  name: {zone}", f"  zonefile: {zone}.zone"]
    (folder / "nsd.conf").write_text("\n".join(config) + "\n")
    process = subprocess.Popen(
        [nsd, "-d", "-c", str(folder / "nsd.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    wait_until_serving(port, zones[0], process)
    return process


def nsd_stats(folder: Path) -> dict[str, int]:
    """NSD's own counters (`nsd-control stats_noreset`): num.queries, num.type.A."""
    out = subprocess.run(
        ["nsd-control", "-c", str(folder / "nsd.conf"), "stats_noreset"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    pairs = (line.split("=", 1) for line in out.splitlines() if "=" in line)
    return {key: int(float(value)) for key, value in pairs}


def wait_until_serving(port: int, zone: str, process: subprocess.Popen) -> None:
    import dns.message
    import dns.query

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("NSD exited; see its log in the bench folder")
        try:
            dns.query.udp(
                dns.message.make_query(f"2.0.0.127.{zone}", "A"),
                "127.0.0.1",
                port=port,
                timeout=0.5,
            )
            return
        except Exception:
            time.sleep(0.2)
    sys.exit("NSD did not start serving")


def run_engine(
    port: int,
    addresses: list[str],
    zones: list[str],
    concurrency: int,
    queue: multiprocessing.Queue,
) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "blcheck.settings")
    import django

    django.setup()
    from blcheck.lookups import dnsbl, engine
    from blcheck.lookups.dnsbl import Verdict

    specs = [dnsbl.ListSpec(zone, frozenset({"ipv4"})) for zone in zones]
    pairs = [(a, spec) for a in addresses for spec in specs]
    options = engine.Options(
        nameservers=[f"127.0.0.1:{port}"], timeout=3.0, concurrency=concurrency
    )
    started = time.perf_counter()
    results, _ = asyncio.run(engine.check_async(pairs, options))
    elapsed = time.perf_counter() - started
    found = {
        (r.subject, r.list.zone) for r in results if r.reading.verdict is Verdict.LISTED
    }
    errors = sum(r.reading.verdict is Verdict.ERROR for r in results)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((len(pairs), elapsed, found, errors, rss))


def run_pydnsbl(
    port: int,
    addresses: list[str],
    zones: list[str],
    concurrency: int,
    queue: multiprocessing.Queue,
) -> None:
    import aiodns
    from pydnsbl import DNSBLIpChecker
    from pydnsbl.providers import Provider

    async def main() -> tuple[float, set[tuple[str, str]], int]:
        checker = DNSBLIpChecker(
            providers=[Provider(z) for z in zones],
            timeout=3,
            tries=2,
            concurrency=concurrency,
            loop=asyncio.get_running_loop(),
        )
        checker._resolver = aiodns.DNSResolver(
            nameservers=["127.0.0.1"],
            loop=asyncio.get_running_loop(),
            timeout=3,
            tries=2,
            udp_port=port,
            tcp_port=port,
        )
        started = time.perf_counter()
        results = await asyncio.gather(*(checker.check_async(a) for a in addresses))
        elapsed = time.perf_counter() - started
        found = {(r.addr, zone) for r in results for zone in r.detected_by}
        errors = sum(len(r.failed_providers) for r in results)
        return elapsed, found, errors

    elapsed, found, errors = asyncio.run(main())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((len(addresses) * len(zones), elapsed, found, errors, rss))


def measure(target, *args):  # type: ignore[no-untyped-def]
    queue: multiprocessing.Queue = multiprocessing.Queue()
    process = multiprocessing.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get(timeout=600)
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--addresses", type=int, default=1000)
    parser.add_argument("--lists", type=int, default=20)
    parser.add_argument("--listed-share", type=float, default=0.03)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--seed", type=int, default=5782)
    args = parser.parse_args()

    addresses = [str(FIRST + i) for i in range(args.addresses)]
    zones = [f"list{n:02d}.bench.test" for n in range(args.lists)]
    with tempfile.TemporaryDirectory(prefix="blcheck-bench-") as tmp:
        folder = Path(tmp)
        listed = make_zones(folder, addresses, zones, args.listed_share, args.seed)
        port = free_port()
        server = start_nsd(folder, zones, port)
        try:
            print(
                f"NSD on 127.0.0.1:{port}: {len(addresses)} addresses x {len(zones)} "
                f"lists = {len(addresses) * len(zones)} lookups, {len(listed)} listed"
            )
            rates: dict[str, list[float]] = {"blcheck": [], "pydnsbl": []}
            for round_number in range(1, args.rounds + 1):
                for name, target in (("blcheck", run_engine), ("pydnsbl", run_pydnsbl)):
                    total, elapsed, found, errors, rss = measure(
                        target, port, addresses, zones, args.concurrency
                    )
                    rate = total / elapsed
                    exact = found == listed
                    print(
                        f"round {round_number} {name:8s} {rate:9,.0f} lookups/s  "
                        f"{elapsed:6.2f} s  errors {errors}  exact listed pairs: "
                        f"{'yes' if exact else f'NO ({len(found)} found)'}  "
                        f"peak RSS {rss / 1024:.0f} MB"
                    )
                    rates[name].append(rate)
        finally:
            server.terminate()
            server.wait(timeout=10)
    for label, pick in (("median", statistics.median), ("best", max)):
        ours, theirs = pick(rates["blcheck"]), pick(rates["pydnsbl"])
        print(
            f"{label}: blcheck {ours:,.0f}/s, pydnsbl {theirs:,.0f}/s, "
            f"ratio {ours / theirs:.2f}x"
        )


if __name__ == "__main__":
    main()
