"""Display filters shared by the templates."""

from datetime import timedelta

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def timesince_delta(value: timedelta | None) -> str:
    """A duration as "2 days 3 hours" or "45 minutes"."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)s min") % {"minutes": minutes}


VERDICT_ICONS = {"listed": "✕", "not_listed": "✓", "error": "⚠", "unchecked": "?"}


@register.simple_tag
def verdict_badge(verdict: str, label: str) -> SafeString:
    """A verdict told by icon and text, not colour alone."""
    return format_html(
        '<span class="badge badge-{}"><span aria-hidden="true">{}</span> {}</span>',
        verdict,
        VERDICT_ICONS.get(verdict, "•"),
        label,
    )
