"""The target list's filter (a django-filter FilterSet, as every list page's).

The same filter names the selection a bulk action applies to: the action's
form carries the filter's few parameters, never one field per target."""

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from blcheck.monitoring import selection
from blcheck.monitoring.models import Target

STATE_CHOICES = [
    (selection.LISTED, _("Listed")),
    (selection.ERRORS, _("Lookups failing")),
    (selection.CLEAN, _("Not listed")),
    (selection.UNCHECKED, _("No answer yet")),
    (selection.PAUSED, _("Paused")),
    (selection.ARCHIVED, _("Archived")),
]

# The parameters that make a selection; carried by the bulk action's form.
FILTER_PARAMS = ("q", "tag", "state", "kind")


class TargetFilter(django_filters.FilterSet):
    """Targets by search text, tag, state and kind; archived targets only
    when their state is asked for."""

    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_q",
        max_length=253,
        help_text=_("An address (finds the range holding it), a CIDR range, or text"),
    )
    tag = django_filters.CharFilter(
        label=_("Tag"), field_name="tags__name", max_length=50
    )
    state = django_filters.ChoiceFilter(
        label=_("State"),
        choices=STATE_CHOICES,
        method="filter_state",
        empty_label=_("Any (not archived)"),
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=Target.Kind.choices, empty_label=_("Any")
    )

    class Meta:
        model = Target
        fields = ("q", "tag", "state", "kind")

    def __init__(
        self, data: QueryDict | None = None, *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(data, *args, **kwargs)
        self.form.fields["q"].widget.attrs.update(
            {"type": "search", "autocomplete": "off", "spellcheck": "false"}
        )

    def filter_q(self, queryset: QuerySet[Target], name: str, value: str) -> Any:
        return selection.target_matching(queryset, value) if value else queryset

    def filter_state(self, queryset: QuerySet[Target], name: str, value: str) -> Any:
        return queryset  # applied in .qs, as "no state" is a state too

    @property
    def qs(self) -> QuerySet[Target]:
        state = self.state_name
        return selection.target_in_state(super().qs, state).order_by("sort_key", "pk")

    def _cleaned(self, name: str) -> str:
        self.form.is_valid()
        return str(getattr(self.form, "cleaned_data", {}).get(name) or "")

    @property
    def state_name(self) -> str:
        return self._cleaned("state")

    @property
    def tag_name(self) -> str:
        """The tag asked for, "" for every target."""
        return self._cleaned("tag")

    @property
    def params(self) -> list[tuple[str, str]]:
        """The selection as (name, value) pairs of the valid, non-empty filters:
        for page links, the export link and the bulk action's hidden fields."""
        return [(n, self._cleaned(n)) for n in FILTER_PARAMS if self._cleaned(n)]

    @property
    def is_narrowed(self) -> bool:
        return bool(self.params)
