import django_filters
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from blcheck.cases import workflow
from blcheck.cases.models import DelistingCase
from blcheck.monitoring.models import Blocklist


class CaseFilter(django_filters.FilterSet):
    """The case list's filters: status, list, target, assignee, overdue."""

    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=DelistingCase.Status.choices
    )
    blocklist = django_filters.ModelChoiceFilter(
        label=_("Blocklist"),
        queryset=Blocklist.objects.filter(cases__isnull=False)
        .distinct()
        .order_by("name"),
    )
    # At most a target's length: SQLite refuses a LIKE pattern over 50,000 bytes.
    target = django_filters.CharFilter(
        label=_("Target"), method="filter_target", max_length=253
    )
    assignee = django_filters.ModelChoiceFilter(
        label=_("Assignee"),
        queryset=User.objects.filter(assigned_cases__isnull=False)
        .distinct()
        .order_by("username"),
    )
    is_overdue = django_filters.BooleanFilter(label=_("Overdue"))
    active = django_filters.BooleanFilter(
        label=_("Still being worked"), method="filter_active"
    )

    class Meta:
        model = DelistingCase
        fields = ("status", "blocklist", "target", "assignee", "is_overdue")

    def filter_target(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(subject__icontains=value) | queryset.filter(
            target__value__icontains=value
        )

    def filter_active(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:  # noqa: FBT001
        return (
            queryset.exclude(status__in=workflow.ENDED)
            if value
            else queryset.filter(status__in=workflow.ENDED)
        )
