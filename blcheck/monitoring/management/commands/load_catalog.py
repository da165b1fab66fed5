from typing import Any

from django.core.management.base import BaseCommand

from blcheck.monitoring.catalog import read_catalog
from blcheck.monitoring.models import Blocklist


class Command(BaseCommand):
    help = (
        "Add the catalog's blocklists that are missing; lists already here "
        "are left as staff set them."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        added = 0
        for entry in read_catalog():
            _, created = Blocklist.objects.get_or_create(
                zone=entry.zone, defaults=entry.model_fields()
            )
            added += created
        total = Blocklist.objects.count()
        self.stdout.write(f"catalog: {added} lists added, {total} in the database")
