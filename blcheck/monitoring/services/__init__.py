"""Writes for monitoring, split by sub-domain; import them from here."""

from blcheck.monitoring.services.blocklists import (
    blocklist_count,
    blocklist_save,
    blocklist_zone,
    blocklists_load_catalog,
    blocklists_usable,
    list_spec,
    lookup_lists,
)
from blcheck.monitoring.services.runs import (
    listings_apply,
    lookups_prune,
    runs_check,
    runs_claim,
    runs_recover_stalled,
)
from blcheck.monitoring.services.targets import (
    checks_dispatch_due,
    runs_create,
    target_create,
    target_request_check,
    targets_bulk_create,
    targets_for_tag,
)

__all__ = [
    "blocklist_count",
    "blocklist_save",
    "blocklist_zone",
    "blocklists_load_catalog",
    "blocklists_usable",
    "checks_dispatch_due",
    "list_spec",
    "listings_apply",
    "lookup_lists",
    "lookups_prune",
    "runs_check",
    "runs_claim",
    "runs_create",
    "runs_recover_stalled",
    "target_create",
    "target_request_check",
    "targets_bulk_create",
    "targets_for_tag",
]
