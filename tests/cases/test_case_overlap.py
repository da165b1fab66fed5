"""A case opened on a range follows its address when the address becomes a
target of its own: the listing row moves to its owner, the case still sees it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from blcheck.cases import services as cases
from blcheck.cases.models import DelistingCase
from blcheck.monitoring.models import Blocklist, Listing
from tests.conftest import LISTED_IP
from tests.factories import TargetFactory
from tests.support.checks import check_target

pytestmark = [pytest.mark.django_db, pytest.mark.dns]


def test_relisting_is_caught_after_the_address_became_its_own_target(it_staff):
    Blocklist.objects.update(is_enabled=False)
    good = Blocklist.objects.create(zone="good.dnsbl.test", name="Good")
    network = TargetFactory(value="192.0.2.64/29", kind="range")
    check_target(network)
    case, _ = cases.case_open(
        target=network, blocklist=good, subject=LISTED_IP, by=it_staff
    )
    assert case.episode is not None
    verified = timezone.now() - timedelta(days=1)
    DelistingCase.objects.filter(pk=case.pk).update(
        status="watching", verified_at=verified
    )
    # Removed meanwhile, as far as blcheck knew (the clean answer came first).
    Listing.objects.filter(subject=LISTED_IP).update(is_listed=False, listed_since=None)
    address = TargetFactory(value=LISTED_IP)
    check_target(address)  # the row moves to the address, listed again
    listing = Listing.objects.get(blocklist=good, subject=LISTED_IP)
    assert listing.target == address and listing.is_listed

    assert cases.case_watch_relisting() == 1
    case.refresh_from_db()
    assert case.status == "relisted"
    assert case.episode.listing == listing
