"""`make run` as a person runs it: everything up, healthy, gone after Ctrl-C,
and a child killed with SIGKILL started again by the supervisor. It serves in
production mode (gunicorn, DEBUG off, our error pages, log-in over plain HTTP
on 127.0.0.1); `make dev` runs Django's development server.

Runs on a throw-away data folder and free ports, with the embedded Redis
(REDIS_URL removed) and the SQLite default (DATABASE_URL removed).
"""

import contextlib
import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
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


# What each started `make run` printed so far, by its pid (read as it comes),
# and the thread reading it.
OUTPUT: dict[int, list[str]] = {}
READERS: dict[int, threading.Thread] = {}


def start(env: dict, port: int, target: str = "run") -> subprocess.Popen:
    """`make run` (or `make dev`), returned once the embedded Redis listens:
    gunicorn is up sooner, and a /healthz before that logs the broker's
    connection error with its traceback, which these tests look for."""
    process = subprocess.Popen(
        ["make", target, f"PORT={port}"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        text=True,
    )
    lines = OUTPUT[process.pid] = []
    stdout = process.stdout
    assert stdout is not None
    reader = READERS[process.pid] = threading.Thread(
        target=lambda: lines.extend(stdout), daemon=True
    )
    reader.start()
    broker = ("127.0.0.1", int(env["BLCHECK_EMBEDDED_REDIS_PORT"]))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection(broker, 0.5):
            break
        time.sleep(0.2)
    return process  # wait_healthy reports what went wrong, if anything


def printed(process: subprocess.Popen) -> str:
    return "".join(OUTPUT[process.pid])


def both_workers_ready(process: subprocess.Popen) -> bool:
    """/healthz's heartbeat is one key for both workers; a Ctrl-C while one is
    still starting makes Celery log "Could not start worker processes"."""
    ready = [line for line in OUTPUT[process.pid] if line.rstrip().endswith("ready.")]
    return all(any(f"{name}@" in line for line in ready) for name in WORKERS)


WORKERS = ("checks", "housekeeping")


def wait_healthy(process: subprocess.Popen, port: int, seconds: float = 30) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        assert process.poll() is None, printed(process)
        status, body = healthz(port)
        parts = {"database": "ok", "broker": "ok", "worker": "ok", "dns": "ok"}
        if status == 200 and body == parts and both_workers_ready(process):
            return time.monotonic() - started
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    raise AssertionError(
        f"not healthy within {seconds}s: {healthz(port)}\n{printed(process)}"
    )


def ctrl_c(process: subprocess.Popen) -> str:
    os.killpg(process.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
    process.wait(timeout=30)
    READERS[process.pid].join(timeout=10)  # to the end of what it printed
    return printed(process)


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


def get(port: int, path: str) -> tuple[int, dict, bytes]:
    """Status, headers and body of a GET (an error status is an answer too)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def log_in(port: int, password: str) -> str:
    """Log in as admin over plain HTTP the way a browser does; the page reached."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = f"http://127.0.0.1:{port}/accounts/login/"
    with browser.open(login, timeout=5) as r:
        token = parse(r.read()).find("input", name="csrfmiddlewaretoken")["value"]
    form = {"csrfmiddlewaretoken": token, "username": "admin", "password": password}
    request = urllib.request.Request(
        login, data=urllib.parse.urlencode(form).encode(), headers={"Referer": login}
    )
    with browser.open(request, timeout=5) as r:  # follows the redirect
        assert {c.name for c in jar} >= {"sessionid", "csrftoken"}
        assert not any(c.secure for c in jar)
        return r.url


def admin_password(data: Path) -> str:
    text = (data / "admin-password.txt").read_text()
    return text.split("password:")[1].split()[0]


def test_make_run_serves_and_ctrl_c_leaves_nothing(run_env):
    port, marker = free_port(), "BLCHECK_DATA_DIR=" + run_env["BLCHECK_DATA_DIR"]
    for attempt in (1, 2):  # the second start proves nothing stale was left
        process = start(run_env, port)
        wait_healthy(process, port)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as r:
            assert r.status == 200 and parse(r.read()).find("title").text
        if attempt == 1:
            served_in_production_mode(port, Path(run_env["BLCHECK_DATA_DIR"]))
        output = ctrl_c(process)
        assert "Traceback" not in output, output
        deadline = time.monotonic() + 10
        while processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert processes_with(marker) == [], f"left behind after run {attempt}"
    password_file = Path(run_env["BLCHECK_DATA_DIR"]) / "admin-password.txt"
    assert password_file.stat().st_mode & 0o777 == 0o600
    assert "password in" in output or "already exists" in output


def served_in_production_mode(port: int, data: Path) -> None:
    """gunicorn, DEBUG off, static files from WhiteNoise, log-in over HTTP."""
    status, headers, _ = get(port, "/healthz")
    assert status == 200 and headers["Server"].startswith("gunicorn")
    status, headers, body = get(port, "/no/such/page/")
    page = parse(body)
    assert status == 404 and headers["Server"].startswith("gunicorn")
    assert page.find("h1").text == "見つかりません"  # templates/404.html, not Django's
    assert b"DEBUG = True" not in body and b"URLconf" not in body
    stylesheet = page.find("link", rel="stylesheet")["href"]
    assert stylesheet.startswith("/static/css/blcheck.") and stylesheet != (
        "/static/css/blcheck.css"
    )  # collectstatic's hashed name
    status, headers, _ = get(port, stylesheet)
    assert status == 200 and "immutable" in headers["Cache-Control"]
    assert urllib.parse.urlsplit(log_in(port, admin_password(data))).path == "/"


def test_make_dev_runs_the_development_server(run_env):
    port, marker = free_port(), "BLCHECK_DATA_DIR=" + run_env["BLCHECK_DATA_DIR"]
    process = start(run_env, port, target="dev")
    try:
        wait_healthy(process, port)
        status, headers, body = get(port, "/no/such/page/")
        assert status == 404 and headers["Server"].startswith("WSGIServer")
        assert b"URLconf" in body  # Django's debug page: DEBUG is on
    finally:
        output = stop_and_leave_nothing(process, marker)
    assert "(runserver; Ctrl-C stops everything)" in output, output


def test_listening_beyond_loopback_warns_about_tls(run_env):
    """BLCHECK_LISTEN=0.0.0.0 without ALLOWED_HOSTS stops at once, naming it;
    with it, `make run` says that TLS belongs in a proxy in front."""
    port = free_port()
    refused = subprocess.run(
        ["make", "run", f"PORT={port}"],
        cwd=settings.BASE_DIR,
        env={**run_env, "BLCHECK_LISTEN": "0.0.0.0"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode != 0
    assert "ALLOWED_HOSTS must be set" in refused.stderr, refused.stderr
    env = {
        **run_env,
        "BLCHECK_LISTEN": "0.0.0.0",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    marker = "BLCHECK_DATA_DIR=" + env["BLCHECK_DATA_DIR"]
    process = start(env, port)
    try:
        wait_healthy(process, port)
    finally:
        output = stop_and_leave_nothing(process, marker)
    assert "put a TLS proxy" in output, output


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
