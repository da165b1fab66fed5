"""Grouping: changes within BLCHECK_NOTIFY_WINDOW_MINUTES arrive as one
message; a listing that flips back, or changes on fewer lists than
BLCHECK_NOTIFY_MIN_LISTS, page nobody. The flush is beat's task."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.db.models import F

from blcheck.monitoring.models import (
    CheckRun,
    ListingChange,
    NotificationPreference,
    PendingNotice,
)
from blcheck.monitoring.services import notices
from blcheck.monitoring.tasks import flush_notices
from tests.factories import (
    BlocklistFactory,
    CheckRunFactory,
    ListingChangeFactory,
    ListingFactory,
    TargetFactory,
)
from tests.support.checks import check_target
from tests.support.dnsserver import Zone

AT = datetime(2026, 3, 2, 1, 42, tzinfo=UTC)  # 10:42 in Tokyo
LISTED, CLEARED = ListingChange.Kind.LISTED, ListingChange.Kind.CLEARED


@pytest.fixture
def subscriber(it_staff):
    it_staff.email = "noc@example.com"
    it_staff.save()
    NotificationPreference.objects.create(
        user=it_staff, is_email_on=True, language="en"
    )


def change(at, *, listing=None, kind=LISTED, blocklist=None, target=None):
    """A run at `at` that flipped one listing, and its pending notice."""
    with time_machine.travel(at, tick=False):
        if listing is None:
            listing = ListingFactory(
                target=target or TargetFactory(value="192.0.2.66"),
                blocklist=blocklist or BlocklistFactory(),
                is_listed=kind == LISTED,
            )
        run = CheckRunFactory(target=listing.target, status=CheckRun.Status.FINISHED)
        ListingChangeFactory(listing=listing, kind=kind, at=at, run=run)
        notices.notice_record_run(run_id=run.pk)
    return listing


def flush_at(at):
    with time_machine.travel(at, tick=False):
        return notices.notice_flush()


@pytest.mark.django_db
def test_two_runs_within_the_window_make_one_message(subscriber):
    one = change(AT, target=TargetFactory(value="192.0.2.66"))
    two = change(AT + timedelta(minutes=4), target=TargetFactory(value="192.0.2.67"))
    assert flush_at(AT + timedelta(minutes=9)) == 0
    assert flush_at(AT + timedelta(minutes=10)) == 1
    (message,) = mail.outbox
    assert message.subject == "blcheck: 2 new listings"
    assert message.body.index("192.0.2.66") < message.body.index("192.0.2.67")
    assert f"/targets/{one.target_id}/" in message.body
    assert f"/targets/{two.target_id}/" in message.body


@pytest.mark.django_db
def test_a_change_after_the_flush_starts_a_new_window(subscriber):
    change(AT)
    flush_at(AT + timedelta(minutes=10))
    change(AT + timedelta(minutes=12), target=TargetFactory(value="192.0.2.70"))
    assert flush_at(AT + timedelta(minutes=15)) == 0  # its window is still open
    assert flush_at(AT + timedelta(minutes=22)) == 1
    assert [m.subject for m in mail.outbox] == [
        "blcheck: 192.0.2.66: 1 new listing",
        "blcheck: 192.0.2.70: 1 new listing",
    ]


@pytest.mark.django_db
def test_the_window_is_configurable(subscriber, settings):
    settings.NOTIFY_WINDOW_MINUTES = 30
    change(AT)
    assert flush_at(AT + timedelta(minutes=29)) == 0
    assert flush_at(AT + timedelta(minutes=30)) == 1


@pytest.mark.django_db
def test_a_listing_that_cleared_within_the_window_pages_nobody(subscriber):
    listing = change(AT)
    change(AT + timedelta(minutes=3), listing=listing, kind=CLEARED)
    assert flush_at(AT + timedelta(minutes=10)) == 0
    assert mail.outbox == [] and not PendingNotice.objects.exists()


@pytest.mark.django_db
def test_a_flapping_listing_is_mentioned_when_a_message_goes_anyway(subscriber):
    listing = change(AT)
    change(AT + timedelta(minutes=3), listing=listing, kind=CLEARED)
    change(AT + timedelta(minutes=5), target=TargetFactory(value="192.0.2.80"))
    flush_at(AT + timedelta(minutes=10))
    (message,) = mail.outbox
    assert message.subject == "blcheck: 192.0.2.80: 1 new listing"
    lines = message.body.splitlines()
    assert "Changed and changed back within 10 minutes (not alerts):" in lines
    name = f"{listing.blocklist.name} ({listing.blocklist.zone})"
    assert f"- 192.0.2.66 on {name}: listed at 10:42, cleared at 10:45" in lines


@pytest.mark.django_db
def test_changes_on_fewer_lists_than_the_threshold_page_nobody(subscriber, settings):
    settings.NOTIFY_MIN_LISTS = 2
    first = BlocklistFactory(zone="one.dnsbl.test")
    change(AT, blocklist=first, target=TargetFactory(value="192.0.2.66"))
    change(AT, blocklist=first, target=TargetFactory(value="192.0.2.67"))
    assert flush_at(AT + timedelta(minutes=10)) == 0 and mail.outbox == []
    assert not PendingNotice.objects.exists()  # held for the digest, not resent


@pytest.mark.django_db
def test_changes_on_enough_lists_page(subscriber, settings):
    settings.NOTIFY_MIN_LISTS = 2
    target = TargetFactory(value="192.0.2.66")
    change(AT, blocklist=BlocklistFactory(zone="one.dnsbl.test"), target=target)
    change(AT, blocklist=BlocklistFactory(zone="two.dnsbl.test"), target=target)
    assert flush_at(AT + timedelta(minutes=10)) == 1
    assert mail.outbox[0].subject == "blcheck: 192.0.2.66: 2 new listings"


@pytest.mark.django_db
def test_a_failed_check_pages_whatever_the_threshold(subscriber, settings):
    settings.NOTIFY_MIN_LISTS = 5
    run = CheckRunFactory(status=CheckRun.Status.FAILED, finished_at=AT)
    with time_machine.travel(AT, tick=False):
        notices.notice_record_run(run_id=run.pk)
    assert flush_at(AT + timedelta(minutes=10)) == 1


@pytest.mark.django_db
def test_two_flushes_never_send_a_notice_twice(subscriber):
    change(AT)
    assert flush_at(AT + timedelta(minutes=10)) == 1
    assert flush_at(AT + timedelta(minutes=10)) == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_claim_left_by_a_dead_flush_is_taken_again(subscriber):
    change(AT)
    claimed = AT + timedelta(minutes=10)  # by a flush that died sending
    PendingNotice.objects.update(claimed_by="dead-flush", claimed_at=claimed)
    assert flush_at(claimed + timedelta(minutes=1)) == 0  # it may still be sending
    assert flush_at(claimed + notices.CLAIM_TIMEOUT + timedelta(seconds=1)) == 1


def test_beat_flushes_every_minute():
    entry = django_settings.CELERY_BEAT_SCHEDULE["flush-notices"]
    assert entry["task"] == "blcheck.monitoring.tasks.flush_notices"
    assert entry["schedule"] == timedelta(minutes=1)


@pytest.mark.worker
@pytest.mark.dns
def test_the_flush_task_sends_two_runs_changes_in_one_message(
    celery_worker, dns_server, subscriber
):
    zone = dns_server.add_zone(Zone("group.dnsbl.test", a={"2.0.0.127": ["127.0.0.2"]}))
    BlocklistFactory(zone="group.dnsbl.test", name="Group list")
    zone.a["66.2.0.192"] = ["127.0.0.2"]
    zone.a["67.2.0.192"] = ["127.0.0.2"]
    check_target(TargetFactory(value="192.0.2.66"))
    check_target(TargetFactory(value="192.0.2.67"))
    flush_notices.delay()  # the window is still open
    # The window closes: the notices are eleven minutes old now.
    PendingNotice.objects.update(created_at=F("created_at") - timedelta(minutes=11))
    flush_notices.delay()
    deadline = time.monotonic() + 15
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)  # a second message would have come by now
    (message,) = mail.outbox
    assert message.subject == "blcheck: 2 new listings"
    assert "- Listed on Group list (group.dnsbl.test) since" in message.body
    assert not PendingNotice.objects.exists()
