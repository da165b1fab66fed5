"""A bounce's address finds the target its answers are recorded under."""

import pytest

from blcheck.monitoring.selectors import target_for_address
from tests.factories import TargetFactory

pytestmark = pytest.mark.django_db


def test_the_narrowest_enabled_target_holding_the_address():
    wide = TargetFactory(value="198.51.100.0/24", kind="range")
    narrow = TargetFactory(value="198.51.100.0/28", kind="range")
    exact = TargetFactory(value="198.51.100.200")
    assert target_for_address("198.51.100.5") == narrow
    assert target_for_address("198.51.100.77") == wide
    assert target_for_address("198.51.100.200") == exact
    assert target_for_address("203.0.113.1") is None
    assert target_for_address("not an address") is None
    narrow.is_enabled = False
    narrow.save()
    assert target_for_address("198.51.100.5") == wide  # the owner now
    wide.is_enabled = False
    wide.save()
    assert target_for_address("198.51.100.5") == narrow  # none enabled: narrowest
