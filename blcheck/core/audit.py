"""The audit log's masks (django-auditlog calls them by dotted path from
settings.AUDITLOG_INCLUDE_TRACKING_MODELS)."""

from urllib.parse import urlsplit


def url_mask(value: str) -> str:
    """A URL with only its scheme and host: a webhook's path often is its secret
    (Slack, Teams), and managers read the audit log."""
    if not value or value == "None":
        return value
    parts = urlsplit(value)
    if not parts.scheme or not parts.hostname:
        return "…"
    return f"{parts.scheme}://{parts.hostname}/…"
