from typing import Any

from django.core.management.base import BaseCommand

from blcheck.monitoring import selectors, services


class Command(BaseCommand):
    help = (
        "Add the catalog's blocklists that are missing; lists already here keep "
        "what staff set, except that a list the catalog retires is retired."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        added, retired = services.blocklist_load_catalog()
        self.stdout.write(
            f"catalog: {added} lists added, {retired} retired, "
            f"{selectors.blocklist_count()} in the database"
        )
