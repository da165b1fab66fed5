"""Writes and lookups for blocklists: the catalog, list specs, staff edits."""

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import DatabaseError, transaction

from blcheck.monitoring import engine
from blcheck.monitoring.catalog import read_catalog
from blcheck.monitoring.models import Blocklist

if TYPE_CHECKING:
    from blcheck.monitoring.forms import BlocklistCreateForm, BlocklistForm


def blocklists_load_catalog() -> tuple[int, int]:
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


def blocklist_count() -> int:
    return Blocklist.objects.count()


def blocklist_zone(blocklist: Blocklist) -> str | None:
    """The zone to query, a key filled in; None when its key is not configured."""
    if not blocklist.key_setting:
        return blocklist.zone
    key = settings.DNSBL_KEYS.get(blocklist.key_setting, "")
    return blocklist.zone.replace("{key}", key) if key else None


def list_spec(blocklist: Blocklist) -> engine.ListSpec | None:
    zone = blocklist_zone(blocklist)
    if zone is None:
        return None
    return engine.ListSpec(
        zone=zone,
        kinds=blocklist.kinds,
        listed_codes=frozenset(blocklist.listed_codes),
        error_codes=frozenset(blocklist.error_codes),
        bitmask=blocklist.is_bitmask,
        has_test_points=blocklist.has_test_points,
        qps=blocklist.qps,
    )


def _usable(blocklists: Iterable[Blocklist]) -> dict[engine.ListSpec, Blocklist]:
    """Enabled, not retired, and with their key when they need one."""
    usable = {}
    for blocklist in blocklists:
        if blocklist.is_enabled and not blocklist.is_retired:
            spec = list_spec(blocklist)
            if spec is not None:
                usable[spec] = blocklist
    return usable


def blocklists_usable() -> dict[engine.ListSpec, Blocklist]:
    """The lists a check asks: enabled, not retired, with their key if needed."""
    return _usable(Blocklist.objects.filter(is_enabled=True, is_retired=False))


def lookup_lists(zones: Sequence[str]) -> tuple[list[engine.ListSpec], list[str]]:
    """The lists `lookup` asks, and warnings for the person running it.

    No zones: every usable list of the catalog. Named zones use the catalog's
    reading of the zone when it has one; any other zone is an ad-hoc list
    with the RFC 5782 default codes, for whatever kind of target it is given.
    """
    warnings = []
    try:
        catalog = list(Blocklist.objects.all())
    except DatabaseError:
        # A fresh checkout without `migrate`: read the shipped catalog file.
        warnings.append("database not migrated; using the shipped catalog file")
        catalog = [Blocklist(zone=e.zone, **e.model_fields()) for e in read_catalog()]
    if not zones:
        return list(_usable(catalog)), warnings
    known = {b.zone: b for b in catalog}
    specs = []
    for zone in dict.fromkeys(z.lower().rstrip(".") for z in zones):
        blocklist = known.get(zone)
        if blocklist is not None and blocklist.is_retired:
            warnings.append(f"{zone} is retired: {blocklist.retired_reason}")
        spec = list_spec(blocklist) if blocklist is not None else None
        specs.append(
            spec or engine.ListSpec(zone, frozenset({"ipv4", "ipv6", "domain"}))
        )
    return specs, warnings


def blocklist_save(*, form: "BlocklistForm | BlocklistCreateForm") -> Blocklist:
    """Save a validated list form (IT staff add or edit a list)."""
    with transaction.atomic():
        return form.save()
