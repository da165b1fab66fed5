"""`make run` as a person runs it: everything up, healthy, and gone after Ctrl-C.

Runs on a throw-away data folder and free ports, with the embedded Redis
(REDIS_URL removed) and the SQLite default (DATABASE_URL removed).
"""

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.support.html import parse
from tests.support.ports import free_port, taken_port

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
