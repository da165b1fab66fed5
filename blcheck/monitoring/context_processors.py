"""The resolver outage banner on every page (templates/partials/outage_banner.html)."""

from typing import Any

from django.http import HttpRequest

from blcheck.core.access import can_view
from blcheck.monitoring.selectors import resolver_outage_ongoing


def resolver_outage(request: HttpRequest) -> dict[str, Any]:
    """The open outage for people who read monitoring pages; one indexed query."""
    user = getattr(request, "user", None)  # absent on some error pages
    if user is None or not can_view(user):
        return {}
    return {"resolver_outage": resolver_outage_ongoing()}
