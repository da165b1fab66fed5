"""Filters and tags shared by the templates."""

from datetime import timedelta
from typing import Any

from django import template
from django.forms import BoundField
from django.utils.functional import Promise
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


@register.simple_tag
def overdue_badge(case: Any) -> SafeString:
    """The "overdue" mark of a delisting case (empty when it is not overdue)."""
    if not getattr(case, "is_overdue", False):
        return SafeString("")
    return format_html(
        '<span class="badge badge-overdue"><span aria-hidden="true">⚠</span> {}</span>',
        _("overdue"),
    )


@register.inclusion_tag("partials/field.html")
def form_field(
    field: BoundField,
    label: str | Promise = "",
    help_text: str | Promise = "",
    *,
    inline: bool = False,
) -> dict[str, Any]:
    """One form field, accessibly: the only place a field's label, widget, help
    text and errors are written (templates/partials/field.html).

    label and help_text replace the field's own; inline puts the field in a <span>
    (one of a row of controls) instead of a <p>. The widget (or the fieldset of
    a group of checkboxes) is described by exactly the ids the page shows:
    <auto_id>_help and <auto_id>_errors.
    """
    shown_help = help_text or field.help_text
    errors = field.errors
    ids = field.auto_id if not field.is_hidden else ""
    help_id = f"{ids}_help" if ids and shown_help else ""
    errors_id = f"{ids}_errors" if ids and errors else ""
    described_by = " ".join(i for i in (help_id, errors_id) if i)
    if described_by and not field.use_fieldset:
        # Given here, it replaces the one Django would build (…_helptext).
        widget = field.as_widget(attrs={"aria-describedby": described_by})
    else:
        widget = field.as_widget()
    if field.field.show_hidden_initial:
        widget += field.as_hidden(only_initial=True)
    return {
        "field": field,
        "widget": widget,
        "label": label or field.label,
        "help": shown_help,
        "help_id": help_id,
        "errors": errors,
        "errors_id": errors_id,
        "described_by": described_by,
        "wrapper": "div" if field.use_fieldset else "span" if inline else "p",
    }
