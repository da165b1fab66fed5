"""factory_boy factories for every model; tests pass what they are about."""

import factory
from django.utils import timezone

from blcheck.cases.models import CaseEvent, DelistingCase
from blcheck.monitoring.models import (
    Blocklist,
    CheckRun,
    Listing,
    ListingChange,
    Lookup,
    Target,
)


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


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing

    target = factory.SubFactory(TargetFactory)
    blocklist = factory.SubFactory(BlocklistFactory)
    subject = factory.LazyAttribute(lambda o: o.target.value)
    is_listed = True
    codes = factory.LazyAttribute(lambda o: ["127.0.0.2"] if o.is_listed else [])
    listed_since = factory.LazyAttribute(
        lambda o: o.last_changed_at if o.is_listed else None
    )
    last_changed_at = factory.LazyFunction(timezone.now)


class ListingChangeFactory(factory.django.DjangoModelFactory):
    """A flip; pass kind=ListingChange.Kind.CLEARED for an episode's end."""

    class Meta:
        model = ListingChange
        skip_postgeneration_save = True

    listing = factory.SubFactory(ListingFactory)
    blocklist = factory.LazyAttribute(lambda o: o.listing.blocklist)
    kind = ListingChange.Kind.LISTED
    at = factory.LazyFunction(timezone.now)
    codes = factory.LazyAttribute(
        lambda o: ["127.0.0.2"] if o.kind == ListingChange.Kind.LISTED else []
    )

    @factory.post_generation
    def end_the_episode(
        change: ListingChange,  # factory_boy passes the instance made
        create: bool,
        extracted: object,
        **kwargs: object,
    ) -> None:
        """A "cleared" change ends the open episode before it, as runs do."""
        if create and change.kind == ListingChange.Kind.CLEARED:
            ListingChange.objects.filter(
                listing=change.listing,
                kind=ListingChange.Kind.LISTED,
                ended_at__isnull=True,
                at__lt=change.at,
            ).update(ended_at=change.at)


class DelistingCaseFactory(factory.django.DjangoModelFactory):
    """A case as the database holds it; services.case_open writes events too."""

    class Meta:
        model = DelistingCase

    target = factory.SubFactory(TargetFactory)
    blocklist = factory.SubFactory(BlocklistFactory)
    subject = factory.LazyAttribute(lambda o: o.target.value)
    status = DelistingCase.Status.OPEN


class CaseEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseEvent

    case = factory.SubFactory(DelistingCaseFactory)
    kind = CaseEvent.Kind.OPENED
    at = factory.LazyFunction(timezone.now)
