"""Forms of the read-only pages: the dashboard grid's filters and a report's
period. Plain GET forms, so every page works without JavaScript."""

from collections.abc import Iterable, Mapping
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from blcheck.reports import stats
from blcheck.reports.selectors.dashboard import (
    ERRORING,
    LISTED,
    NEVER,
    Column,
    GridFilters,
)
from blcheck.reports.stats import Period


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


DEFAULT_MONTHS = 12
CUSTOM = "custom"


class MonthInput(forms.TextInput):
    """A month picker where the browser has one, else a YYYY-MM text box."""

    input_type = "month"

    def __init__(self) -> None:
        super().__init__(attrs={"placeholder": "YYYY-MM", "pattern": r"\d{4}-\d{2}"})


class PeriodForm(forms.Form):
    """The period of a report: the last 3, 6 or 12 months, or from/to months."""

    months = forms.ChoiceField(
        label=_("Period"),
        required=False,
        choices=(
            ("3", _("Last 3 months")),
            ("6", _("Last 6 months")),
            ("12", _("Last 12 months")),
            (CUSTOM, _("From month … to month …")),
        ),
    )
    start = forms.CharField(label=_("From month"), required=False, widget=MonthInput())
    end = forms.CharField(
        label=_("To month"),
        required=False,
        widget=MonthInput(),
        help_text=_("Empty: up to this month."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("months") == CUSTOM or data.get("start"):
            data["period"] = self._custom(data)
        else:
            months = int(data.get("months") or DEFAULT_MONTHS)
            data["period"] = stats.last_months(timezone.localdate(), months)
        return data

    def _custom(self, data: dict[str, Any]) -> Period | None:
        first = stats.parse_month(data.get("start") or "")
        last = stats.parse_month(data.get("end") or f"{timezone.localdate():%Y-%m}")
        if first is None:
            self.add_error("start", _("Give the first month as YYYY-MM."))
        if last is None:
            self.add_error("end", _("Give the last month as YYYY-MM."))
        if first is None or last is None:
            return None
        period = stats.months_between(first, last)
        if period is None:
            later = stats.MAX_MONTHS - 1
            message = ngettext(
                "Give a last month from the first one on, at most %(count)s month "
                "after it.",
                "Give a last month from the first one on, at most %(count)s months "
                "after it.",
                later,
            )
            self.add_error("end", message % {"count": later})
        return period
