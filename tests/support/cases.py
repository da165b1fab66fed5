"""Delisting cases as the tests tell them: the Barracuda story (DESIGN).

Barracuda Reputation lists 192.0.2.66; staff fill its removal form and record
the BBR confirmation number; the list removes the address within 48 hours and
re-evaluates it 30 days later. The fixtures `barracuda` (the list's row only)
and `barracuda_zone` / `barracuda_on_dns` (the list answering on the test DNS
server) live in tests/conftest.py.
"""

from django.contrib.auth.models import User

from blcheck.cases import services
from blcheck.cases.models import DelistingCase
from blcheck.monitoring.models import Blocklist
from tests.factories import TargetFactory

IP = "192.0.2.66"  # the address Barracuda lists
REVERSED = "66.2.0.192"  # its name in a zone: zone.a.pop(REVERSED) delists it
BBR = "BBR21586894740-10107-515"  # a confirmation number in Barracuda's format
REMOVAL_PAGE = "https://www.barracudacentral.org/rbl/removal-request"


def barracuda_list(zone: str) -> Blocklist:
    """Barracuda Reputation's policy: a web form, removal within 48 hours,
    re-evaluation 30 days later, confirmation numbers "BBR…"."""
    return Blocklist.objects.create(
        zone=zone,
        name="Barracuda Reputation",
        delist_method="form",
        delist_url=REMOVAL_PAGE,
        removal_hours=48,
        reevaluation_days=30,
        reference_pattern="^BBR[0-9-]+$",
    )


def open_case(blocklist: Blocklist, by: User, address: str = IP) -> DelistingCase:
    """A new case for address on blocklist, opened by staff on a new target."""
    case, created = services.case_open(
        target=TargetFactory(value=address), blocklist=blocklist, subject=address, by=by
    )
    assert created
    return case
