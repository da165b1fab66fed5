"""Writes for monitoring, split by sub-domain; import them from here."""

from blcheck.monitoring.services.blocklists import (
    blocklist_load_catalog,
    blocklist_save,
)
from blcheck.monitoring.services.listings import listing_apply
from blcheck.monitoring.services.outages import (
    resolver_outage_end,
    resolver_outage_watch,
)
from blcheck.monitoring.services.runs import (
    lookup_prune,
    run_check,
    run_claim,
    run_recover_stalled,
)
from blcheck.monitoring.services.targets import (
    TagLimitError,
    run_create,
    run_dispatch_due,
    run_enqueue,
    tag_get_or_create,
    target_bulk_create,
    target_create,
    target_request_check,
)

__all__ = [
    "TagLimitError",
    "blocklist_load_catalog",
    "blocklist_save",
    "listing_apply",
    "lookup_prune",
    "resolver_outage_end",
    "resolver_outage_watch",
    "run_check",
    "run_claim",
    "run_create",
    "run_dispatch_due",
    "run_enqueue",
    "run_recover_stalled",
    "tag_get_or_create",
    "target_bulk_create",
    "target_create",
    "target_request_check",
]
