"""Filters and tags shared by the templates."""

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django import template
from django.forms import BoundField
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

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


# verdict: (badge class, icon). Only an answer that said "not listed" gets the
# tick; a state we do not know now (never asked, no answer, last known) never does.
VERDICT_BADGES = {
    "listed": ("listed", "✕"),
    "not_listed": ("not_listed", "✓"),
    "error": ("error", "⚠"),
    "blind": ("error", "⚠"),
    "unchecked": ("unchecked", "·"),
    "last_known": ("unchecked", "?"),  # not listed when last answered, unknown now
}
VERDICT_LABELS = {
    "listed": _lazy("Listed"),
    "not_listed": _lazy("Not listed"),
    "error": _lazy("No answer"),
    "blind": _lazy("No answer"),
    "unchecked": _lazy("Not checked yet"),
    "last_known": _lazy("Not listed at the last answer"),
}


@register.simple_tag
def verdict_badge(verdict: str, label: str | Promise = "") -> SafeString:
    """A verdict told by icon and text, not colour alone; the label defaults to
    the verdict's own. An unknown verdict gets a question mark, never a tick."""
    css, icon = VERDICT_BADGES.get(verdict, ("unchecked", "?"))
    return format_html(
        '<span class="badge badge-{}"><span aria-hidden="true">{}</span> {}</span>',
        css,
        icon,
        label or VERDICT_LABELS.get(verdict, verdict),
    )


# Why lookups failed, short enough for a headline: "2 could not be asked
# (timeout)". The keys are Lookup.Error's values (dnsbl.Failure).
ERROR_REASONS = {
    "timeout": _lazy("timeout"),
    "servfail": _lazy("SERVFAIL"),
    "refused": _lazy("REFUSED"),
    "no_nameservers": _lazy("no nameserver reachable"),
    "resolver_refused": _lazy("the list refuses our resolver"),
    "bad_answer": _lazy("answers that are no listing code"),
    "list_unhealthy": _lazy("the list failed its health probes"),
    # An unhealthy list with why its probes failed (Blocklist.Health values).
    "list_unhealthy:lists_everything": _lazy("the list lists everything"),
    "list_unhealthy:test_point_missing": _lazy("the list's test entry is missing"),
    "list_unhealthy:refused": _lazy("the list refuses our resolver"),
    "list_unhealthy:bad_answer": _lazy("the list answers outside 127.0.0.0/8"),
    "list_unhealthy:timeout": _lazy("the list's probes timed out"),
    "list_unhealthy:servfail": _lazy("the list's server failed its probes"),
    "list_unhealthy:dns_refused": _lazy("the list's server refused its probes"),
    "list_unhealthy:unreachable": _lazy("no nameserver reachable for its probes"),
}


@register.simple_tag
def error_reasons(tokens: Iterable[str]) -> str:
    """The failures' short names, each once, joined: "timeout, SERVFAIL"."""
    names = dict.fromkeys(str(ERROR_REASONS.get(t, t)) for t in tokens if t)
    return _(", ").join(names)


@register.filter
def minus(value: int, other: int) -> int:
    """value - other, for counts the templates derive ("not listed" = done -
    listed - errors)."""
    return int(value) - int(other)


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
