"""What blcheck keeps on disk and in its embedded Redis is its owner's alone.

Settings and commands run in subprocesses on a throw-away data folder, with
the SQLite default (DATABASE_URL removed), the embedded Redis (REDIS_URL
removed) and a umask that lets others read, as a default Debian login has.
"""

import io
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from tests.support.ports import free_port


def private_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
        and not k.startswith(("BLCHECK_", "DEBUG"))
    }
    return {**env, "BLCHECK_DATA_DIR": str(data_dir), **extra}


def open_umask() -> None:
    os.umask(0o022)


def manage(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=private_env(data_dir),
        preexec_fn=open_umask,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


# While a connection is open, SQLite keeps blcheck.sqlite3-wal and -shm.
LIST_MODES_WITH_OPEN_DATABASE = """
from django.conf import settings
from django.db import connection
from blcheck.monitoring.models import Target
Target.objects.exists()
for path in sorted(settings.DATA_DIR.iterdir()):
    print(path.name, oct(path.stat().st_mode & 0o777))
"""


def test_a_new_data_folder_and_its_files_are_owner_only(tmp_path):
    data_dir = tmp_path / "data"
    manage(data_dir, "migrate", "--noinput", "-v", "0")
    assert mode(data_dir) == 0o700
    assert mode(data_dir / "blcheck.sqlite3") == 0o600
    listing = manage(
        data_dir, "shell", "-v", "0", "-c", LIST_MODES_WITH_OPEN_DATABASE
    ).stdout
    modes = dict(line.split() for line in listing.splitlines())
    assert {"blcheck.sqlite3-wal", "blcheck.sqlite3-shm", "secret_key"} <= set(modes)
    assert set(modes.values()) == {"0o600"}, modes


def test_a_data_folder_left_readable_is_tightened_at_start_up(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    database = sqlite3.connect(data_dir / "blcheck.sqlite3")
    database.execute("PRAGMA journal_mode=WAL")
    database.execute("CREATE TABLE t (x)")
    (data_dir / "celerybeat-schedule").write_bytes(b"")
    (data_dir / "secret_key").write_text("k" * 60)
    for path in data_dir.iterdir():
        path.chmod(0o644)
    try:
        result = manage(data_dir, "check")
    finally:
        database.close()
    assert "made the data folder private (owner only)" in result.stderr
    assert str(data_dir) in result.stderr
    assert mode(data_dir) == 0o700
    for name in ("blcheck.sqlite3", "celerybeat-schedule", "secret_key"):
        assert mode(data_dir / name) == 0o600, name


def raw_redis(port: int, command: bytes) -> bytes:
    """One command over a bare socket, no client library between."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(command + b"\r\n")
        return sock.recv(1024)


def wait_listening(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 15
    while True:
        assert process.poll() is None, process.communicate()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            assert time.monotonic() < deadline, "embedded Redis did not start"
            time.sleep(0.1)


def test_the_embedded_redis_of_make_run_needs_its_password(tmp_path):
    data_dir, port = tmp_path / "data", free_port()
    env = private_env(data_dir, BLCHECK_EMBEDDED_REDIS_PORT=str(port))
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_embedded_redis"],
        cwd=settings.BASE_DIR,
        env=env,
        preexec_fn=open_umask,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_listening(port, process)
        password_file = data_dir / "redis-password"
        password = password_file.read_text().strip()
        assert len(password) >= 32 and mode(password_file) == 0o600

        assert raw_redis(port, b"PING").startswith(b"-NOAUTH")
        client = redis.Redis(host="127.0.0.1", port=port, password=password)
        assert client.ping()
        for command in ("CONFIG GET *", "DEBUG SLEEP 0", "MODULE LIST"):
            with pytest.raises(redis.ResponseError, match="unknown command"):
                client.execute_command(*command.split())

        # Not readable by other users from the process list either.
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                assert password.encode() not in cmdline.read_bytes()
            except OSError:
                continue

        # Django's side (health, heartbeat, rate limits) and Celery use it.
        check = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-v",
                "0",
                "-c",
                "from django.conf import settings\n"
                "from blcheck.core.broker import redis_client\n"
                "print(redis_client().ping(),"
                " settings.CELERY_BROKER_URL == settings.REDIS_URL)",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert check.stdout.split() == ["True", "True"], check.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture
def first_admin(db, tmp_path):
    with override_settings(DATA_DIR=tmp_path):
        call_command("ensure_admin", stdout=io.StringIO())
        fields = dict(
            line.split(": ", 1)
            for line in (tmp_path / "admin-password.txt").read_text().splitlines()
        )
        yield User.objects.get(username=fields["username"]), fields["password"]


def test_changing_the_first_password_in_the_admin_removes_its_file(
    first_admin, tmp_path
):
    admin, password = first_admin
    password_file = tmp_path / "admin-password.txt"
    client = Client()
    client.force_login(admin)  # a login saves last_login: the file stays
    assert password_file.exists()

    new_password = "a fresh passphrase nobody else knows"
    response = client.post(
        reverse("admin:password_change"),
        {
            "old_password": password,
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )
    assert response.status_code == 302, response.content
    assert not password_file.exists()


def test_ensure_admin_removes_the_file_of_a_changed_password(first_admin, tmp_path):
    admin, _ = first_admin
    password_file = tmp_path / "admin-password.txt"
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    assert password_file.exists() and "first password in" in out.getvalue()

    # Changed without a save (a queryset update): the next start notices.
    admin.set_password("another passphrase entirely")
    User.objects.filter(pk=admin.pk).update(password=admin.password)
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    assert not password_file.exists()
    assert f"the first password was changed; removed {password_file}" in (
        out.getvalue()
    )
