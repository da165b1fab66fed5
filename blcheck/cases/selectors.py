"""Reads for cases."""

from django.db.models import QuerySet

from blcheck.cases.models import CaseEvent, DelistingCase


def case_list() -> QuerySet[DelistingCase]:
    return DelistingCase.objects.select_related("target", "blocklist", "assignee")


def case_timeline(case: DelistingCase) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor").order_by("at", "pk")
