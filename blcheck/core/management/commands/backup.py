from typing import Any

from django.core.management.base import BaseCommand, CommandError

from blcheck.core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write a consistent copy of the database to DATA_DIR/backups "
        "(SQLite's backup API, or pg_dump -Fc) and keep the newest BLCHECK_BACKUP_KEEP."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--keep", type=int, metavar="N", help="backups to keep (default: setting)"
        )

    def handle(self, *args: Any, keep: int | None, **options: Any) -> None:
        if keep is not None and keep < 1:
            raise CommandError("--keep must be at least 1")
        try:
            done = backup_create(keep=keep)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"backup: wrote {done.path} ({done.size} bytes, {done.seconds:.1f} s)"
        )
        for old in done.removed:
            self.stdout.write(f"backup: removed {old}")
