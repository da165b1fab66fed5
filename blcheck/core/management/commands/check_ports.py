import socket
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


class Command(BaseCommand):
    help = (
        "Fail with a clear message when a port `make run` needs is taken: the web "
        "port, and the embedded Redis port unless REDIS_URL is set."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--web", type=int, required=True, metavar="PORT")

    def handle(self, *args: Any, web: int, **options: Any) -> None:
        needed = {"the web server": web}
        if settings.REDIS_EMBEDDED:
            needed["the embedded Redis"] = settings.EMBEDDED_REDIS_PORT
        taken = [
            f"{what} needs 127.0.0.1:{port}, which another program is using"
            for what, port in needed.items()
            if not port_is_free("127.0.0.1", port)
        ]
        if taken:
            raise CommandError(
                "; ".join(taken) + ". Stop that program (`ss -ltnp` shows which), "
                "or choose another port: make run PORT=8001, "
                "BLCHECK_EMBEDDED_REDIS_PORT=6391, or REDIS_URL for your own Redis."
            )
