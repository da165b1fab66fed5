"""Case services under time_machine, with blcheck's own lookups on loopback DNS."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from blcheck.cases import services
from blcheck.cases.forms import reference_error
from blcheck.cases.models import CaseEvent, DelistingCase
from blcheck.monitoring.models import Blocklist, NotificationPreference
from tests.support.cases import BBR, IP, REVERSED, open_case
from tests.support.dnsserver import Behaviour

pytestmark = [pytest.mark.django_db, pytest.mark.dns]

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def case(barracuda_on_dns, it_staff):
    """192.0.2.66's case on Barracuda (on the test DNS server), opened at START."""
    with time_machine.travel(START, tick=False):
        return open_case(barracuda_on_dns, it_staff)


def verify_at(when):
    with time_machine.travel(when, tick=False):
        services.case_verify_due(claimant=f"t-{when:%H%M%S%f}")


def requested(case, it_staff, hours=1):
    with time_machine.travel(START + timedelta(hours=hours), tick=False):
        return services.case_mark_requested(
            case=case, by=it_staff, method="form", reference=BBR
        )


def delisted_and_verified(case, zone):
    """Barracuda removes the address; two clean answers an hour apart verify it."""
    zone.a.pop(REVERSED)
    verify_at(START + timedelta(hours=10))
    verify_at(START + timedelta(hours=11))
    case.refresh_from_db()


def kinds(case):
    return list(case.events.values_list("kind", flat=True))


def test_opening_twice_finds_the_open_case(case, barracuda_on_dns, it_staff):
    again, created = services.case_open(
        target=case.target, blocklist=barracuda_on_dns, subject=IP, by=it_staff
    )
    assert (again.pk, created) == (case.pk, False)
    assert DelistingCase.objects.count() == 1 and kinds(case) == ["opened"]


def test_request_sets_the_policy_timer(case, it_staff):
    case = requested(case, it_staff)
    assert case.status == "requested"
    assert case.removal_due_at == START + timedelta(hours=49)
    assert case.reference == BBR
    assert kinds(case) == ["opened", "requested"]


def test_the_barracuda_story_to_day_31(case, barracuda_zone, it_staff):
    case = requested(case, it_staff)
    verify_at(START + timedelta(hours=2))  # still listed: nothing yet
    case.refresh_from_db()
    assert (case.status, case.clean_count) == ("requested", 0)
    barracuda_zone.a.pop(REVERSED)  # Barracuda removes it
    verify_at(START + timedelta(hours=20))
    case.refresh_from_db()
    assert (case.status, case.clean_count) == (
        "requested",
        1,
    )  # one clean is not enough
    verify_at(START + timedelta(hours=20, minutes=31))
    case.refresh_from_db()
    assert case.status == "watching"
    assert case.verified_at == START + timedelta(hours=20, minutes=31)
    assert case.reevaluate_at == case.verified_at + timedelta(days=30)
    verified = case.events.get(kind="verified")
    assert verified.lookup is not None and verified.evidence["verdict"] == "not_listed"
    # Written in TIME_ZONE (Asia/Tokyo by default), as every page shows times.
    assert verified.detail.endswith("since 2026-11-03 14:00 JST.")  # 05:00 UTC
    verify_at(case.reevaluate_at + timedelta(days=1))  # day 31
    case.refresh_from_db()
    assert case.status == "closed" and case.closed_at is not None
    assert "Still clean at the re-evaluation" in case.events.get(kind="closed").detail
    assert kinds(case) == [
        "opened",
        "requested",
        "checked",
        "checked",
        "checked",
        "verified",
        "watching",
        "checked",
        "closed",
    ]


def test_listed_again_at_re_evaluation_is_relisted_and_told(
    case, barracuda_zone, it_staff
):
    it_staff.email = "noc@example.com"
    it_staff.save()
    NotificationPreference.objects.create(user=it_staff, is_email_on=True)
    case = requested(case, it_staff)
    delisted_and_verified(case, barracuda_zone)
    barracuda_zone.a[REVERSED] = ["127.0.0.2"]  # re-evaluated: listed again
    verify_at(case.reevaluate_at)
    case.refresh_from_db()
    assert case.status == "relisted" and case.next_check_at is not None


def test_an_error_never_counts_as_clean(case, barracuda_zone, it_staff):
    case = requested(case, it_staff)
    barracuda_zone.a.pop(REVERSED)
    barracuda_zone.per_name[REVERSED] = Behaviour.SERVFAIL
    verify_at(START + timedelta(hours=10))
    verify_at(START + timedelta(hours=11))
    case.refresh_from_db()
    assert (case.status, case.clean_count) == ("requested", 0)
    barracuda_zone.per_name.clear()


def test_a_listed_answer_restarts_the_streak(case, barracuda_zone, it_staff):
    case = requested(case, it_staff)
    barracuda_zone.a.pop(REVERSED)
    verify_at(START + timedelta(hours=10))
    # A cache or a second server still lists it.
    barracuda_zone.a[REVERSED] = ["127.0.0.2"]
    verify_at(START + timedelta(hours=10, minutes=31))
    barracuda_zone.a.pop(REVERSED)
    verify_at(START + timedelta(hours=11, minutes=2))
    case.refresh_from_db()
    assert (case.status, case.clean_count) == ("requested", 1)


def test_still_listed_after_the_window_is_overdue_once(case, it_staff):
    case = requested(case, it_staff)
    verify_at(START + timedelta(hours=50))
    verify_at(START + timedelta(hours=51))
    case.refresh_from_db()
    assert case.is_overdue and case.status == "requested"
    assert case.events.filter(kind="overdue").count() == 1


def test_an_expiring_list_says_wait_and_until_when(dns_server, it_staff):
    spamcop = Blocklist.objects.create(
        zone="bl.spamcop.test",
        name="SpamCop (test)",
        delist_method="expiry",
        expiry_hours=24,
    )
    with time_machine.travel(START, tick=False):
        case = open_case(spamcop, it_staff)
    assert case.status == "awaiting_removal"
    assert case.removal_due_at == START + timedelta(hours=24)
    assert "no request is possible" in case.events.get(kind="waiting").detail


def test_watch_relisting_catches_a_new_episode(
    case, barracuda_zone, barracuda_on_dns, it_staff
):
    from blcheck.monitoring.models import Listing

    case = requested(case, it_staff)
    delisted_and_verified(case, barracuda_zone)
    assert case.status == "watching"
    # The target's scheduled monitoring sees it listed again on day 3.
    Listing.objects.filter(
        target=case.target, blocklist=barracuda_on_dns, subject=IP
    ).update(
        is_listed=True,
        listed_since=START + timedelta(days=3),
        last_changed_at=START + timedelta(days=3),
    )
    with time_machine.travel(START + timedelta(days=3, hours=1), tick=False):
        assert services.case_watch_relisting() == 1
    case.refresh_from_db()
    assert case.status == "relisted"


def test_reference_must_have_the_lists_format(barracuda):
    assert reference_error(barracuda, BBR) is None
    assert "BBR" in reference_error(barracuda, "12345")


def test_history_is_never_edited(case, it_staff):
    services.case_add_note(case=case, by=it_staff, text="called Barracuda")
    first = list(CaseEvent.objects.order_by("pk").values_list("pk", "kind", "detail"))
    requested(case, it_staff)
    assert (
        list(CaseEvent.objects.order_by("pk").values_list("pk", "kind", "detail"))[:2]
        == first
    )
