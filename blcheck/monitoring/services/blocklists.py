"""Writes for blocklists: the catalog, staff edits."""

from django.db import transaction

from blcheck.lookups.catalog import read_catalog
from blcheck.monitoring.models import Blocklist


def blocklist_load_catalog() -> tuple[int, int]:
    """Add missing catalog lists; retire those the catalog retires. (added, retired)"""
    added = retired = 0
    with transaction.atomic():
        for entry in read_catalog():
            blocklist, created = Blocklist.objects.get_or_create(
                zone=entry.zone, defaults=entry.model_fields()
            )
            added += created
            if entry.is_retired and not created and not blocklist.is_retired:
                Blocklist.objects.filter(pk=blocklist.pk).update(
                    is_retired=True,
                    is_enabled=False,
                    retired_reason=entry.fields["retired_reason"],
                )
                retired += 1
    return added, retired


def blocklist_save(*, blocklist: Blocklist) -> Blocklist:
    """Save a list IT staff added or edited (the form has validated it)."""
    with transaction.atomic():
        blocklist.save()
    return blocklist
