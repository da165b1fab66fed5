"""The weekly digest: what the week's answers said, in each reader's language,
with links; only to those who asked; sent by beat on the site's Monday."""

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core import mail

from blcheck.monitoring.models import CheckRun, ListingChange, NotificationPreference
from blcheck.reports import digest
from blcheck.reports.tasks import send_weekly_digest
from tests.factories import (
    BlocklistFactory,
    CheckRunFactory,
    DelistingCaseFactory,
    ListingChangeFactory,
    ListingFactory,
    TargetFactory,
)
from tests.support.notifications import mail_to

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 3, 9, 9, 0, tzinfo=TOKYO)  # a Monday, 09:00
CLEARED = ListingChange.Kind.CLEARED


def reader(name, language, **fields):
    user = User.objects.create_user(name, email=f"{name}@example.com")
    NotificationPreference.objects.create(
        user=user, language=language, is_digest_on=True, **fields
    )


def send():
    with time_machine.travel(NOW, tick=False):
        return digest.digest_send()


@pytest.fixture
def week(db, settings):
    """A week with one new listing, one cleared after 5 h and one after 2 d,
    an old episode, and an overdue case."""
    settings.BASE_URL = "https://blcheck.example.com"
    barracuda = BlocklistFactory(
        zone="b.barracudacentral.org", name="Barracuda Reputation"
    )
    target = TargetFactory(value="192.0.2.66")
    new = ListingFactory(target=target, blocklist=barracuda)
    ListingChangeFactory(listing=new, at=NOW - timedelta(days=1, hours=3))
    other = TargetFactory(value="192.0.2.77")
    for hours, zone in ((5, "one.dnsbl.test"), (48, "two.dnsbl.test")):
        listing = ListingFactory(target=other, blocklist=BlocklistFactory(zone=zone))
        start = NOW - timedelta(days=3, hours=hours)
        ListingChangeFactory(listing=listing, at=start)
        ListingChangeFactory(
            listing=listing, kind=CLEARED, at=start + timedelta(hours=hours)
        )
    ListingChangeFactory(at=NOW - timedelta(days=20))  # not this week
    case = DelistingCaseFactory(
        target=target,
        blocklist=barracuda,
        is_overdue=True,
        removal_due_at=NOW - timedelta(days=2),
    )
    return {"target": target, "other": other, "case": case}


def test_the_digest_says_what_the_week_recorded(week):
    reader("boss", "en")
    assert send() == 1
    message = mail_to("boss")
    assert message.subject == (
        "blcheck: weekly digest, 2026-03-02 09:00 to 2026-03-09 09:00"
    )
    lines = message.body.splitlines()
    site = "https://blcheck.example.com"
    assert "New listings (3):" in lines
    assert (
        "- 192.0.2.66 on Barracuda Reputation (b.barracudacentral.org), listed at "
        f"2026-03-08 06:00: {site}/targets/{week['target'].pk}/"
    ) in lines
    assert "Cleared (2):" in lines
    assert (
        "- 192.0.2.77 on One (one.dnsbl.test), cleared at 2026-03-06 09:00 after "
        f"5 h 0 min: {site}/targets/{week['other'].pk}/"
    ) in lines
    assert (
        "Time to delist of the listings that ended: median 1 d 2 h, longest 2 d 0 h."
    ) in lines
    assert "Overdue cases (1):" in lines
    assert (
        f"- #{week['case'].pk} 192.0.2.66 on Barracuda Reputation "
        "(b.barracudacentral.org), removal expected by 2026-03-07 09:00: "
        f"{site}/cases/{week['case'].pk}/"
    ) in lines
    assert f"Dashboard: {site}/" in lines


def test_the_digest_in_japanese(week):
    reader("bucho", "ja")
    send()
    message = mail_to("bucho")
    assert message.subject.startswith("blcheck: 週次ダイジェスト")
    assert "2026-03-02 09:00〜2026-03-09 09:00" in message.subject
    body = message.body
    assert all(
        heading in body
        for heading in ("新規掲載", "3 件", "掲載解除", "2 件", "期限超過の案件")
    )
    assert "中央値 1 日 2 時間、最長 2 日 0 時間" in body
    lines = body.splitlines()
    assert "ダッシュボード: https://blcheck.example.com/" in lines


@pytest.mark.django_db
def test_a_quiet_week_says_nothing_happened_not_that_all_is_clean():
    reader("boss", "en")
    send()
    body = mail_to("boss").body
    assert "No listing appeared or cleared this week." in body.splitlines()
    assert "No open case is overdue." in body.splitlines()
    assert "clean" not in body.lower()


@pytest.mark.django_db
def test_checks_without_answers_are_owned_up_to():
    reader("boss", "en")
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        for _ in range(2):
            CheckRunFactory(status=CheckRun.Status.BLIND)
        CheckRunFactory(status=CheckRun.Status.FAILED)
    send()
    lines = mail_to("boss").body.splitlines()
    assert (
        "2 checks got no answers (DNS resolution failing): what they would have "
        "found is not known."
    ) in lines
    assert "1 check failed." in lines


@pytest.mark.django_db
def test_only_those_who_asked_get_it_and_only_by_email(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    reader("boss", "en", webhook_url="http://127.0.0.1:9/hook")
    quiet = User.objects.create_user("quiet", email="quiet@example.com")
    NotificationPreference.objects.create(user=quiet, is_email_on=True)
    assert send() == 1
    assert [m.to for m in mail.outbox] == [["boss@example.com"]]


def test_beat_sends_it_on_the_sites_monday_morning():
    entry = django_settings.CELERY_BEAT_SCHEDULE["weekly-digest"]
    assert entry["task"] == "blcheck.reports.tasks.send_weekly_digest"
    schedule = entry["schedule"]
    sunday = datetime(2026, 3, 8, 9, 0, tzinfo=TOKYO)
    with time_machine.travel(NOW - timedelta(minutes=1), tick=False):
        assert schedule.is_due(sunday)[0] is False
    with time_machine.travel(NOW + timedelta(seconds=30), tick=False):
        assert schedule.is_due(sunday)[0] is True
    # 09:00 in Tokyo is 00:00 UTC: Celery's own clock (UTC) would say Monday
    # 09:00 nine hours later.
    assert NOW.astimezone(UTC).hour == 0


@pytest.mark.worker
def test_the_task_sends_the_digest_on_a_worker(celery_worker):
    reader("boss", "en")
    send_weekly_digest.delay()
    deadline = time.monotonic() + 15
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.1)
    assert mail_to("boss").subject.startswith("blcheck: weekly digest, ")
