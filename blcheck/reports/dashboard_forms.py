"""The dashboard grid's filters: a plain GET form, so it works without JS."""

from collections.abc import Iterable, Mapping
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from blcheck.reports.selectors.dashboard import (
    ERRORING,
    LISTED,
    NEVER,
    Column,
    GridFilters,
)


class GridFilterForm(forms.Form):
    """Search, tag, state and one list (column); the choices come from rows the
    view has read already, so the form adds no query of its own."""

    q = forms.CharField(label=_("Search address or label"), required=False)
    tag = forms.ChoiceField(label=_("Tag"), required=False)
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=(
            ("", _("All")),
            (LISTED, _("Listed now")),
            (ERRORING, _("Erroring")),
            (NEVER, _("Never checked")),
        ),
    )
    blocklist = forms.TypedChoiceField(
        label=_("Blocklist"), required=False, coerce=int, empty_value=None
    )

    def __init__(
        self,
        data: Mapping[str, Any],
        *,
        tags: Iterable[str],
        columns: Iterable[Column],
    ) -> None:
        super().__init__(data)
        tag = cast(forms.ChoiceField, self.fields["tag"])
        tag.choices = [("", _("All tags")), *((t, t) for t in tags)]
        blocklist = cast(forms.ChoiceField, self.fields["blocklist"])
        blocklist.choices = [("", _("All lists")), *((c.pk, c.name) for c in columns)]

    def filters(self) -> GridFilters:
        """The valid fields' values; a field in error filters nothing."""
        self.is_valid()
        data = self.cleaned_data
        return GridFilters(
            search=(data.get("q") or "").strip(),
            tag=data.get("tag") or "",
            state=data.get("state") or "",
            blocklist_id=data.get("blocklist"),
        )
