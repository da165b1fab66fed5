"""Which targets a target action must leave alone because of their cases
(registered with monitoring in CasesConfig.ready)."""

from django.db.models import Exists, OuterRef, QuerySet

from blcheck.cases import workflow
from blcheck.cases.models import DelistingCase
from blcheck.monitoring.models import Target


def target_with_active_cases(targets: QuerySet[Target]) -> QuerySet[Target]:
    active = DelistingCase.objects.filter(target=OuterRef("pk")).exclude(
        status__in=[str(s) for s in workflow.ENDED]
    )
    return targets.filter(Exists(active))


def target_with_cases(targets: QuerySet[Target]) -> QuerySet[Target]:
    return targets.filter(Exists(DelistingCase.objects.filter(target=OuterRef("pk"))))
