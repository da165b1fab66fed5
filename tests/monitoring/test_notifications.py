"""Notifications: what a run leaves to tell, and the message once its window
closes, by e-mail and to a loopback webhook. Grouping and the flaky-list
threshold: test_notifications_grouping.py; languages, links and DNS outages:
test_notifications_language.py."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from blcheck.lookups import dnsbl
from blcheck.monitoring.models import CheckRun, NotificationPreference, PendingNotice
from blcheck.monitoring.services import notices
from blcheck.monitoring.services.probes import blocklist_health_record
from tests.factories import BlocklistFactory, CheckRunFactory, TargetFactory
from tests.support.checks import check_target
from tests.support.dnsserver import Zone
from tests.support.notifications import send_to_all
from tests.support.webhook import Listener

pytestmark = pytest.mark.django_db

# 10:42 in Tokyo (the site's default time zone).
AT = datetime(2026, 3, 2, 1, 42, tzinfo=UTC)
LATER = AT + timedelta(minutes=11)  # the 10-minute window has closed


@pytest.fixture
def hook(settings):
    """A webhook listener on loopback, allowed as an internal host."""
    with Listener() as listener:
        settings.WEBHOOK_ALLOW_HTTP = True
        settings.WEBHOOK_INTERNAL_HOSTS = [listener.hostport]
        yield listener


@pytest.fixture
def subscribed(it_staff, hook):
    """IT staff, in English, by e-mail and webhook; returns the webhook's texts."""
    it_staff.email = "noc@example.com"
    it_staff.save()
    NotificationPreference.objects.create(
        user=it_staff, is_email_on=True, webhook_url=hook.url(), language="en"
    )
    return lambda: [json.loads(hit.body)["text"] for hit in hook.hits]


@pytest.fixture
def flip(dns_server):
    zone = dns_server.add_zone(
        Zone("notify.dnsbl.test", a={"2.0.0.127": ["127.0.0.2"]})
    )
    BlocklistFactory(zone="notify.dnsbl.test", name="Notify list")
    return zone


def check_at(when, target):
    with time_machine.travel(when, tick=False):
        return check_target(target)


def flush_at(when):
    with time_machine.travel(when, tick=False):
        return notices.notice_flush()


@pytest.mark.dns
def test_a_new_listing_waits_for_the_window_then_goes_out_once(subscribed, flip):
    flip.a["66.2.0.192"] = ["127.0.0.2"]
    flip.txt["66.2.0.192"] = ["Spam trap hit"]
    target = TargetFactory(value="192.0.2.64/30", kind="range", label="mx pool")
    check_at(AT, target)
    assert flush_at(AT + timedelta(minutes=9)) == 0 and mail.outbox == []
    assert flush_at(LATER) == 2
    (message,) = mail.outbox
    assert message.to == ["noc@example.com"]
    assert message.subject == "blcheck: 192.0.2.64/30 (mx pool): 1 new listing"
    assert (
        "- 192.0.2.66: Listed on Notify list (notify.dnsbl.test) since 10:42, "
        "code 127.0.0.2: Spam trap hit"
    ) in message.body.splitlines()
    assert f"Page: /targets/{target.pk}/" in message.body
    assert subscribed() == [message.body]
    assert not PendingNotice.objects.exists()
    assert flush_at(LATER + timedelta(minutes=20)) == 0  # sent once


@pytest.mark.dns
def test_a_clearing_says_since_when_it_was_listed(subscribed, flip):
    target = TargetFactory(value="192.0.2.66")
    flip.a["66.2.0.192"] = ["127.0.0.2"]
    check_at(AT, target)
    flush_at(LATER)
    flip.a.pop("66.2.0.192")
    check_at(AT + timedelta(hours=2), target)
    flush_at(AT + timedelta(hours=2, minutes=11))
    cleared = mail.outbox[-1]
    assert cleared.subject == "blcheck: 192.0.2.66: 1 listing cleared"
    assert (
        "- No longer listed on Notify list (notify.dnsbl.test): cleared at 12:42, "
        "listed since 10:42"
    ) in cleared.body.splitlines()


@pytest.mark.dns
def test_a_run_without_changes_leaves_nothing_to_tell(subscribed, flip):
    check_at(AT, TargetFactory(value="192.0.2.10"))
    assert not PendingNotice.objects.exists()
    assert flush_at(LATER) == 0 and mail.outbox == [] and subscribed() == []


def test_a_failed_run_is_announced(subscribed):
    target = TargetFactory(value="198.51.100.7")
    run = CheckRunFactory(
        target=target,
        status=CheckRun.Status.FAILED,
        failure="gave up after 5 attempts",
        finished_at=AT,
    )
    with time_machine.travel(AT, tick=False):
        notices.notice_record_run(run_id=run.pk)
        notices.notice_record_run(run_id=run.pk)  # a second delivery: once
    assert flush_at(LATER) == 2
    (message,) = mail.outbox
    assert message.subject == "blcheck: 198.51.100.7: 1 check failed"
    assert "- The check failed at 10:42: gave up after 5 attempts" in message.body


def probe(blocklist, health):
    spec = dnsbl.ListSpec(blocklist.zone, frozenset({"ipv4"}))
    blocklist_health_record({(blocklist.zone, "ipv4"): health}, {spec: blocklist})


def test_a_list_turning_unhealthy_is_announced_once(subscribed):
    blocklist = BlocklistFactory(
        zone="everything.dnsbl.test", name="Everything", health="ok"
    )
    with time_machine.travel(AT, tick=False):
        probe(blocklist, dnsbl.Health.LISTS_EVERYTHING)
        probe(blocklist, dnsbl.Health.LISTS_EVERYTHING)  # no turn: no notice
    assert PendingNotice.objects.count() == 1
    flush_at(LATER)
    (message,) = mail.outbox
    assert message.subject == "blcheck: 1 list unhealthy"
    assert (
        "- Everything (everything.dnsbl.test), at 10:42: "
        "Lists everything, even 127.0.0.1"
    ) in message.body.splitlines()


def test_a_list_healthy_again_by_the_flush_pages_nobody(subscribed):
    blocklist = BlocklistFactory(zone="wobbly.dnsbl.test", health="ok")
    with time_machine.travel(AT, tick=False):
        probe(blocklist, dnsbl.Health.TEST_POINT_MISSING)
        probe(blocklist, dnsbl.Health.OK)
    assert flush_at(LATER) == 0 and mail.outbox == []
    assert not PendingNotice.objects.exists()


def test_people_who_did_not_opt_in_hear_nothing(it_staff):
    it_staff.email = "quiet@example.com"
    it_staff.save()
    NotificationPreference.objects.create(user=it_staff)  # defaults: off
    assert send_to_all("blcheck: something") == 0 and mail.outbox == []


def test_a_dead_webhook_does_not_stop_the_email(it_staff, settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_INTERNAL_HOSTS = ["127.0.0.1:9"]
    it_staff.email = "noc@example.com"
    it_staff.save()
    NotificationPreference.objects.create(
        user=it_staff, is_email_on=True, webhook_url="http://127.0.0.1:9/hook"
    )
    assert send_to_all("blcheck: x\nLISTED ...") == 1
    assert len(mail.outbox) == 1


def test_a_failing_mail_server_does_not_stop_the_webhook(subscribed, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens
    assert send_to_all("blcheck: x\nbody") == 1
    assert subscribed() == ["blcheck: x\nbody"]


def test_it_staff_opt_in_on_their_page(client, it_staff):
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:notification-settings"),
        {
            "is_email_on": "on",
            "webhook_url": "1.1.1.1/x",  # a literal: no DNS
            "language": "en",
            "is_digest_on": "on",
        },
    )
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=it_staff)
    assert pref.is_email_on and pref.webhook_url == "https://1.1.1.1/x"
    assert (pref.language, pref.is_digest_on) == ("en", True)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_language_starts_as_the_one_the_page_is_read_in(it_staff, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(it_staff)
    page = client.get(reverse("monitoring:notification-settings"))
    assert page.status_code == 200
    assert NotificationPreference.objects.get(user=it_staff).language == language


def test_outsider_cannot_change_notification_settings(client, outsider):
    client.force_login(outsider)
    response = client.post(
        reverse("monitoring:notification-settings"), {"is_email_on": "on"}
    )
    assert response.status_code == 403
    assert not NotificationPreference.objects.exists()


def test_the_settings_page_says_how_long_changes_wait(it_staff, settings):
    settings.NOTIFY_WINDOW_MINUTES = 15
    client = Client(HTTP_ACCEPT_LANGUAGE="ja")
    client.force_login(it_staff)
    page = client.get(reverse("monitoring:notification-settings")).content.decode()
    assert "最初の1件から 15 分間まとめてから 1 通のメッセージでお送りします" in page
    assert "毎週月曜日 09:00 (Asia/Tokyo)" in page
