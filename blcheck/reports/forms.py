"""The period form of the reports: a plain GET form, so every report works
without JavaScript. (The pages' filters are FilterSets: reports/filters.py.)"""

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from blcheck.reports import stats
from blcheck.reports.stats import Period

DEFAULT_MONTHS = 12
CUSTOM = "custom"
# The months a period may name: its bounds (midnight of its first day and of
# the day after it) must exist as datetimes in every time zone and in UTC.
FIRST_MONTH = date(1, 2, 1)
LAST_MONTH = date(9999, 11, 1)


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
        for name, month in (("start", first), ("end", last)):
            if month is not None and not FIRST_MONTH <= month <= LAST_MONTH:
                self.add_error(name, self._out_of_range(name))
        refused = self.has_error("start") or self.has_error("end")
        if refused or first is None or last is None:
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

    def _out_of_range(self, name: str) -> forms.ValidationError:
        return forms.ValidationError(
            _("%(field)s: give a month from %(first)s to %(last)s."),
            code="out_of_range",
            params={
                "field": self.fields[name].label,
                "first": f"{FIRST_MONTH.year:04}-{FIRST_MONTH.month:02}",
                "last": f"{LAST_MONTH.year:04}-{LAST_MONTH.month:02}",
            },
        )
