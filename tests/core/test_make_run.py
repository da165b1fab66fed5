"""`make run` as a person runs it: everything up, healthy, gone after Ctrl-C,
and a child killed with SIGKILL started again by the supervisor.

Runs on a throw-away data folder and free ports, with the embedded Redis
(REDIS_URL removed) and the SQLite default (DATABASE_URL removed).
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis
from django.conf import settings

from tests.support.html import parse
from tests.support.ports import free_port, taken_port
from tests.support.redis import wait_for_redis

pytestmark = pytest.mark.worker


def processes_with(marker: str) -> list[int]:
    """Pids whose environment carries our throw-away data folder."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in environ:
            found.append(int(proc.name))
    return found


def healthz(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)
    except OSError:
        return 0, {}


def start(env: dict, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        text=True,
    )


def wait_healthy(process: subprocess.Popen, port: int, seconds: float = 30) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        assert process.poll() is None, process.communicate()[0]
        status, body = healthz(port)
        parts = {"database": "ok", "broker": "ok", "worker": "ok", "dns": "ok"}
        if status == 200 and body == parts:
            return time.monotonic() - started
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    raise AssertionError(
        f"not healthy within {seconds}s: {healthz(port)}\n{process.communicate()[0]}"
    )


def ctrl_c(process: subprocess.Popen) -> str:
    os.killpg(process.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
    output, _ = process.communicate(timeout=30)
    return output


@pytest.fixture
def run_env(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        BLCHECK_DATA_DIR=str(tmp_path / "data"),
        BLCHECK_EMBEDDED_REDIS_PORT=str(free_port()),
    )
    return env


def test_make_run_serves_and_ctrl_c_leaves_nothing(run_env):
    port, marker = free_port(), "BLCHECK_DATA_DIR=" + run_env["BLCHECK_DATA_DIR"]
    for attempt in (1, 2):  # the second start proves nothing stale was left
        process = start(run_env, port)
        wait_healthy(process, port)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as r:
            assert r.status == 200 and parse(r.read()).find("title").text
        output = ctrl_c(process)
        assert "Traceback" not in output, output
        deadline = time.monotonic() + 10
        while processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert processes_with(marker) == [], f"left behind after run {attempt}"
    password_file = Path(run_env["BLCHECK_DATA_DIR"]) / "admin-password.txt"
    assert password_file.stat().st_mode & 0o777 == 0o600
    assert "password in" in output or "already exists" in output


def test_taken_port_gives_a_clear_message(run_env):
    with taken_port() as port:
        result = subprocess.run(
            ["make", "run", f"PORT={port}"],
            cwd=settings.BASE_DIR,
            env=run_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"the web server needs 127.0.0.1:{port}, which another program is using" in (
        result.stderr + result.stdout
    )


# --- The supervisor: a child that dies comes back ---------------------------

# Run in the `make run` instance (its own database) by `manage.py shell`: asks
# the loopback test list about one address and waits for the run to end.
CHECK_ONE = """
import time
from blcheck.monitoring.models import Blocklist, CheckRun
from blcheck.monitoring.services import target_create, target_request_check
from blcheck.monitoring.targets import parse_target
Blocklist.objects.update(is_enabled=False)
Blocklist.objects.get_or_create(zone="good.dnsbl.test", defaults={"name": "Good"})
target = target_create(
    parsed=parse_target("192.0.2.10", max_range_size=1), label="", by=None
)
run = target_request_check(target=target, by=None)
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    run.refresh_from_db()
    if run.status != CheckRun.Status.QUEUED and run.done == run.total > 0:
        break
    time.sleep(0.5)
print("run", run.status, run.done, run.total)
"""


def process_running(marker: str, *argv_parts: str) -> int:
    """A pid of ours whose command line (as the process shows it) holds every part."""
    for pid in processes_with(marker):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if all(part.encode() in cmdline for part in argv_parts):
            return pid
    raise LookupError(argv_parts)


def redis_server(marker: str) -> int:
    """redis-server, the child of run_embedded_redis (it overwrites its own
    environment with its process title, so processes_with() cannot see it)."""
    command = process_running(marker, "run_embedded_redis")
    children = Path(f"/proc/{command}/task/{command}/children").read_text().split()
    (pid,) = children
    return int(pid)


def wait_for_pid(marker: str, *argv_parts: str, other_than: int) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(LookupError):
            pid = process_running(marker, *argv_parts)
            if pid != other_than:
                return pid
        time.sleep(0.2)
    raise AssertionError(f"{argv_parts} not started again")


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def stop_and_leave_nothing(process: subprocess.Popen, marker: str) -> str:
    output = ctrl_c(process)
    deadline = time.monotonic() + 10
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_with(marker) == [], "left behind"
    return output


@pytest.fixture
def checking_env(run_env, dns_server):
    return {**run_env, "BLCHECK_DNS_NAMESERVERS": dns_server.address}


def test_a_killed_worker_is_restarted_and_checks_resume(checking_env):
    port, marker = free_port(), "BLCHECK_DATA_DIR=" + checking_env["BLCHECK_DATA_DIR"]
    process = start(checking_env, port)
    try:
        wait_healthy(process, port)
        worker = process_running(marker, "worker", "-Q checks")
        os.kill(worker, signal.SIGKILL)
        # Queued while no worker takes checks: the restarted one does it.
        assert "run finished 1 1" in manage(checking_env, "shell", "-c", CHECK_ONE)
        assert wait_for_pid(marker, "worker", "-Q checks", other_than=worker)
        assert process.poll() is None
    finally:
        output = stop_and_leave_nothing(process, marker)
    assert "exited: worker-checks (terminated by SIGKILL" in output, output
    assert "Traceback" not in output, output


def test_a_killed_embedded_redis_comes_back_with_its_queue(run_env):
    port, marker = free_port(), "BLCHECK_DATA_DIR=" + run_env["BLCHECK_DATA_DIR"]
    data = Path(run_env["BLCHECK_DATA_DIR"])
    process = start(run_env, port)
    try:
        wait_healthy(process, port)
        password = (data / "redis-password").read_text().strip()
        redis_port = run_env["BLCHECK_EMBEDDED_REDIS_PORT"]
        client = redis.Redis(port=int(redis_port), password=password)
        client.rpush("test:kept-queue", "message 1", "message 2")
        server = redis_server(marker)
        os.kill(server, signal.SIGKILL)
        wait_for_redis(f"redis://:{password}@127.0.0.1:{redis_port}/0", seconds=30)
        assert redis_server(marker) != server  # a new one, started by itself
        assert client.lrange("test:kept-queue", 0, -1) == [b"message 1", b"message 2"]
        wait_healthy(process, port, seconds=60)  # workers and beat reconnected
    finally:
        output = stop_and_leave_nothing(process, marker)
    assert "exited: redis" in output, output
    assert (data / "redis-queue.aof").stat().st_mode & 0o777 == 0o600
    assert data.stat().st_mode & 0o777 == 0o700
