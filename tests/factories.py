"""factory_boy factories for every model; tests pass what they are about."""

import factory
from django.utils import timezone

from blcheck.monitoring.models import Blocklist, CheckRun, Lookup, Target


class BlocklistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Blocklist
        django_get_or_create = ("zone",)

    zone = factory.Sequence(lambda n: f"list{n}.dnsbl.test")
    name = factory.LazyAttribute(lambda o: o.zone.split(".")[0].title())


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    value = factory.Sequence(lambda n: f"198.51.100.{n % 250 + 1}")
    kind = Target.Kind.ADDRESS
    check_interval_minutes = 60
    next_check_at = factory.LazyFunction(timezone.now)


class CheckRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckRun

    target = factory.SubFactory(TargetFactory)
    trigger = CheckRun.Trigger.MANUAL


class LookupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lookup

    run = factory.SubFactory(CheckRunFactory)
    target = factory.LazyAttribute(lambda o: o.run.target)
    blocklist = factory.SubFactory(BlocklistFactory)
    subject = factory.LazyAttribute(lambda o: o.target.value)
    query_name = "x"
    verdict = Lookup.Verdict.NOT_LISTED
    checked_at = factory.LazyFunction(timezone.now)
