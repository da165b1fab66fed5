"""The case list's filters: status, list, assignee, target (an address finds
the cases of the range holding it), opened between two days, overdue, still
being worked. A value a filter does not accept is named beside its field and
filters nothing: a bad URL never fails the page."""

from datetime import date, datetime, time, timedelta
from typing import Any

import django_filters
from django import forms
from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from blcheck.cases import workflow
from blcheck.cases.models import DelistingCase
from blcheck.cases.selectors import SEARCH_MAX_LENGTH
from blcheck.core.paging import CURSOR_PARAM
from blcheck.monitoring import keys
from blcheck.monitoring.models import Blocklist
from blcheck.monitoring.selection import span_holding, span_inside

# Days whose midnights exist as datetimes in every time zone and in UTC.
FIRST_DAY = date.min + timedelta(days=1)
LAST_DAY = date.max - timedelta(days=1)


def _day_start(day: date) -> datetime:
    """Midnight at the start of the day in the current time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


class CaseFilterForm(forms.Form):
    """Checks the opened dates: each a day that exists, in order."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("opened_from", "opened_to"):
            day = cleaned.get(name)
            if day is not None and not FIRST_DAY <= day <= LAST_DAY:
                self.add_error(name, _("Enter a date between the years 1 and 9999."))
                cleaned.pop(name, None)
        start, end = cleaned.get("opened_from"), cleaned.get("opened_to")
        if start and end and start > end:
            self.add_error("opened_to", _("The end date is before the start date."))
            cleaned.pop("opened_to", None)
        return cleaned


class CaseFilter(django_filters.FilterSet):
    """The case list's filters: status, list, target, assignee, dates, overdue."""

    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=DelistingCase.Status.choices
    )
    # Only lists and people with cases: an index probe each, not a scan of cases.
    blocklist = django_filters.ModelChoiceFilter(
        label=_("Blocklist"),
        queryset=Blocklist.objects.filter(
            Exists(DelistingCase.objects.filter(blocklist=OuterRef("pk")))
        ).order_by("name"),
    )
    # At most a target's length: SQLite refuses a LIKE pattern over 50,000 bytes.
    target = django_filters.CharFilter(
        label=_("Target"),
        method="filter_target",
        max_length=SEARCH_MAX_LENGTH,
        help_text=_("An address finds the cases of the range holding it."),
    )
    assignee = django_filters.ModelChoiceFilter(
        label=_("Assignee"),
        queryset=User.objects.filter(
            Exists(DelistingCase.objects.filter(assignee=OuterRef("pk")))
        ).order_by("username"),
    )
    opened_from = django_filters.DateFilter(
        label=_("Opened from"),
        method="filter_opened_from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    opened_to = django_filters.DateFilter(
        label=_("Opened until"),
        method="filter_opened_to",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    is_overdue = django_filters.BooleanFilter(label=_("Overdue"))
    active = django_filters.BooleanFilter(
        label=_("Still being worked"), method="filter_active"
    )

    class Meta:
        model = DelistingCase
        fields = ("status", "blocklist", "target", "assignee", "is_overdue")
        form = CaseFilterForm

    def filter_target(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        text = value.strip()
        span = keys.search_span(text)
        if span is None:
            return queryset.filter(
                Q(subject__icontains=text)
                | Q(target__value__icontains=text)
                | Q(target__label__icontains=text)
            )
        # An address or a range: the cases of the targets holding it, and of
        # those inside it (a range typed finds its addresses' cases too).
        around = span_holding(*span, via="target__")
        inside = span_inside(*span, via="target__")
        return queryset.filter(around | inside | Q(subject=text))

    def filter_opened_from(
        self, queryset: QuerySet, name: str, value: date
    ) -> QuerySet:
        return queryset.filter(opened_at__gte=_day_start(value))

    def filter_opened_to(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(opened_at__lt=_day_start(value + timedelta(days=1)))

    def filter_active(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:  # noqa: FBT001
        return (
            queryset.exclude(status__in=workflow.ENDED)
            if value
            else queryset.filter(status__in=workflow.ENDED)
        )

    def query(self) -> QueryDict:
        """The search as a query string, without the page: for page links."""
        query = QueryDict(mutable=True)
        query.update(self.data)
        query.pop(CURSOR_PARAM, None)
        return query
