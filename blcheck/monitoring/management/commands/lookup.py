"""`manage.py lookup`: one-off checks with the workers' engine (DESIGN §4.3).

Writes nothing to the database. Exit status: 0 nothing listed and no errors,
1 at least one listing, 3 no listing but at least one error, 2 bad usage.
"""

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from blcheck.lookups import engine, politeness, resolver
from blcheck.lookups.dnsbl import Health, Verdict
from blcheck.monitoring import selectors
from blcheck.monitoring.targets import TargetError, parse_target


def _usage(message: str) -> CommandError:
    return CommandError(message, returncode=2)


class Progress:
    """ "done/total lookups" on stderr, redrawn at most ten times a second."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.shown = total, 0, 0.0

    def __call__(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if now - self.shown > 0.1 or self.done >= self.total:
            self.shown = now
            sys.stderr.write(f"\r{self.done}/{self.total} lookups")
            sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")


class Command(BaseCommand):
    help = "Check addresses, ranges or domains against blocklists now (writes nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("targets", nargs="*", metavar="TARGET")
        parser.add_argument("--file", type=Path, help="one target per line, # comments")
        parser.add_argument("--zone", action="append", default=[], dest="zones")
        parser.add_argument(
            "--nameserver",
            action="append",
            default=[],
            dest="nameservers",
            metavar="HOST[:PORT]",
        )
        parser.add_argument("--timeout", type=float, help="seconds per query")
        parser.add_argument("--concurrency", type=int, help="queries in flight")
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        subjects = self._subjects(options["targets"], options["file"])
        self._check_options(options)
        lists, warnings = selectors.blocklist_lookup_specs(options["zones"])
        for warning in warnings:
            self.stderr.write(f"warning: {warning}")
        pairs = [
            (s, spec)
            for target, addresses in subjects
            for s in addresses
            for spec in lists
            if spec.fits(s)
        ]
        progress = Progress(len(pairs)) if sys.stderr.isatty() and pairs else None
        limiter = politeness.limiter_for(
            {spec.zone: spec.qps for spec in lists}  # ad-hoc zones carry no ceiling
        )
        run_options = engine.Options(
            nameservers=options["nameservers"] or None,
            timeout=options["timeout"],
            concurrency=options["concurrency"],
            limiter=limiter,
            progress=progress,
        )
        results, health = asyncio.run(engine.check_async(pairs, run_options))
        if progress is not None:
            progress.close()
        for (zone, kind), state in sorted(health.items()):
            if state is not Health.OK:
                self.stderr.write(
                    f"warning: {zone} failed its RFC 5782 probes for {kind} "
                    f"({state.value}); its answers are not trusted in this run"
                )
        if engine.results_blind(results) is not None:
            canary = engine.check_canary(run_options)
            if canary.failure is not None:
                self.stderr.write(
                    f"warning: no answers: the resolver itself failed "
                    f"({canary.failure.value} at {canary.nameserver or '-'})"
                )
        write = self._json if options["format"] == "json" else self._table
        write(results)
        raise SystemExit(self._status(results))

    def _subjects(
        self, targets: list[str], file: Path | None
    ) -> list[tuple[str, list[str]]]:
        texts = list(targets)
        if file is not None:
            try:
                lines = file.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeError) as exc:
                raise _usage(f"cannot read --file {file}: {exc}") from exc
            texts += [t for line in lines if (t := line.split("#", 1)[0].strip())]
        if not texts:
            raise _usage("give at least one TARGET or --file")
        subjects = []
        for text in texts:
            try:
                parsed = parse_target(text, max_range_size=settings.MAX_RANGE_SIZE)
            except TargetError as exc:
                raise _usage(f"invalid target: {exc}") from exc
            subjects.append((parsed.value, list(parsed.subjects())))
        return subjects

    @staticmethod
    def _check_options(options: dict[str, Any]) -> None:
        for text in options["nameservers"]:
            try:
                resolver.parse_nameserver(text)
            except ValueError as exc:
                raise _usage(f"invalid --nameserver: {exc}") from exc
        if options["timeout"] is not None and not options["timeout"] > 0:
            raise _usage(f"invalid --timeout {options['timeout']}: must be above 0")
        if options["concurrency"] is not None and options["concurrency"] < 1:
            raise _usage(f"invalid --concurrency {options['concurrency']}: at least 1")

    @staticmethod
    def _record(result: engine.Result) -> dict[str, Any]:
        reading = result.reading
        return {
            "target": result.subject,
            "zone": result.list.zone,
            "status": reading.verdict.value,
            "codes": list(reading.codes),
            "reason": result.reason or None,
            "error": reading.error.value if reading.error else None,
            # Why a list_unhealthy list failed its probes (docs/commands.md).
            "health": result.health.value if result.health else None,
            "elapsed_ms": result.answer.elapsed_ms,
        }

    def _json(self, results: list[engine.Result]) -> None:
        for result in results:
            self.stdout.write(json.dumps(self._record(result), ensure_ascii=False))

    def _table(self, results: list[engine.Result]) -> None:
        rows = [("TARGET", "ZONE", "STATUS", "DETAIL")]
        for result in results:
            record = self._record(result)
            detail = record["error"] or ", ".join(record["codes"])
            if record["health"]:
                detail += f" ({record['health']})"
            if record["reason"]:
                detail += f"  {record['reason']}"
            rows.append((record["target"], record["zone"], record["status"], detail))
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for row in rows:
            cells = [row[i].ljust(widths[i]) for i in range(3)]
            self.stdout.write("  ".join([*cells, row[3]]).rstrip())

    @staticmethod
    def _status(results: list[engine.Result]) -> int:
        verdicts = {result.reading.verdict for result in results}
        if Verdict.LISTED in verdicts:
            return 1
        return 3 if Verdict.ERROR in verdicts else 0
