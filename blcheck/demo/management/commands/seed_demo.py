from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from blcheck.demo.cases import demo_cases
from blcheck.demo.history import demo_seed

# 10,000 targets: 15,000 cases, as issue 15 measures the pages with.
CASES_PER_TARGET = 1.5


class Command(BaseCommand):
    help = (
        "Fill the database with synthetic targets, lookups, listing episodes and "
        "delisting cases."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--targets", type=int, default=50)
        parser.add_argument("--lists", type=int, default=20)
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--cases",
            type=int,
            default=None,
            help="delisting cases to open (default: 1.5 per target)",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="run even when DEBUG is off (a production database)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: this looks like production. Add --force "
                "to write demo data anyway.",
                returncode=2,
            )
        for name in ("targets", "lists", "days"):
            if options[name] < 1:
                raise CommandError(f"--{name} must be at least 1", returncode=2)
        counts = demo_seed(
            targets=options["targets"],
            lists=options["lists"],
            days=options["days"],
            seed=options["seed"],
        )
        wanted = options["cases"]
        if wanted is None:
            wanted = round(CASES_PER_TARGET * options["targets"])
        if wanted < 0:
            raise CommandError("--cases must not be negative", returncode=2)
        cases = demo_cases(seed=options["seed"], count=wanted)
        self.stdout.write(
            f"demo: {counts.targets} targets, {counts.runs} runs, {counts.lookups} "
            f"lookups, {counts.episodes} listing episodes, {cases} cases"
        )
