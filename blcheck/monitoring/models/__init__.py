"""What we watch (Target), where we look (Blocklist), what DNS said, and who
is told: one module per part, every model importable from here."""

from blcheck.monitoring.models.history import (
    CheckRun,
    Listing,
    ListingChange,
    Lookup,
    ResolverOutage,
)
from blcheck.monitoring.models.lists import KIND_FIELDS, Blocklist
from blcheck.monitoring.models.notices import NotificationPreference, PendingNotice
from blcheck.monitoring.models.targets import Tag, Target

__all__ = [
    "KIND_FIELDS",
    "Blocklist",
    "CheckRun",
    "Listing",
    "ListingChange",
    "Lookup",
    "NotificationPreference",
    "PendingNotice",
    "ResolverOutage",
    "Tag",
    "Target",
]
