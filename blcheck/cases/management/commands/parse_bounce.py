"""`manage.py parse_bounce` (DESIGN §4.4): what a bounce says, as text or JSON."""

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from blcheck.cases.bounce import MAX_BYTES, BounceTooLarge, parse_bounce


class Command(BaseCommand):
    help = "Read one bounce (a whole message or pasted text, at most 1 MiB) and say "
    help += "which list blocked which address."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", default="-", metavar="PATH | -")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        data = self._read(path)
        try:
            report = parse_bounce(data)
        except BounceTooLarge as exc:
            raise CommandError(str(exc), returncode=2) from exc
        fields = report.as_dict()
        if options["format"] == "json":
            self.stdout.write(json.dumps(fields, ensure_ascii=False))
            return
        for name, value in fields.items():
            self.stdout.write(f"{name}: {'' if value is None else value}")

    @staticmethod
    def _read(path: str) -> bytes:
        try:
            if path == "-":
                return sys.stdin.buffer.read(MAX_BYTES + 1)
            with Path(path).open("rb") as handle:
                return handle.read(MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(
                f"cannot read {path}: {exc.strerror}", returncode=2
            ) from exc
