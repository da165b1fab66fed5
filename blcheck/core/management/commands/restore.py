from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from blcheck.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Bring a backup made by `backup` back into the configured database, "
        "which must be empty (no tables) unless --force. Stop web, workers and "
        "beat first."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path, metavar="FILE")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that holds tables (its data is lost)",
        )

    def handle(self, *args: Any, file: Path, force: bool, **options: Any) -> None:
        try:
            name = backup_restore(file, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restore: {file} restored into {name}")
        self.stdout.write("restore: run `manage.py migrate` if the code is newer")
