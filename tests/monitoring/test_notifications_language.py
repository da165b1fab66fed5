"""Each recipient reads every message in the language they chose, with links
to the page in question; DNS outages are told at once, both ways."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from blcheck.monitoring.models import (
    CheckRun,
    ListingChange,
    NotificationPreference,
    ResolverOutage,
)
from blcheck.monitoring.services import notices, notifications
from blcheck.monitoring.tasks import notify_outage
from tests.core.test_settings import start_django
from tests.factories import (
    BlocklistFactory,
    CheckRunFactory,
    ListingChangeFactory,
    ListingFactory,
    TargetFactory,
)
from tests.support.notifications import mail_to, person
from tests.support.webhook import Listener

AT = datetime(2026, 3, 2, 1, 42, tzinfo=UTC)  # 10:42 in Tokyo


@pytest.fixture
def listed(db):
    """192.0.2.66 listed on Barracuda at 10:42, waiting to be told."""
    barracuda = BlocklistFactory(
        zone="b.barracudacentral.org", name="Barracuda Reputation"
    )
    with time_machine.travel(AT, tick=False):
        listing = ListingFactory(
            target=TargetFactory(value="192.0.2.66"), blocklist=barracuda
        )
        run = CheckRunFactory(target=listing.target, status=CheckRun.Status.FINISHED)
        ListingChangeFactory(
            listing=listing,
            at=AT,
            run=run,
            reason="Client host blocked using Barracuda Reputation",
        )
        notices.notice_record_run(run_id=run.pk)
    return listing


def flush():
    with time_machine.travel(AT + timedelta(minutes=10), tick=False):
        return notices.notice_flush()


@pytest.mark.django_db
def test_each_recipient_reads_the_alert_in_their_language(listed):
    person("hanako", "ja", is_email_on=True)
    person("john", "en", is_email_on=True)
    assert flush() == 2
    english, japanese = mail_to("john"), mail_to("hanako")
    assert english.subject == "blcheck: 192.0.2.66: 1 new listing"
    assert (
        "- Listed on Barracuda Reputation (b.barracudacentral.org) since 10:42, "
        "code 127.0.0.2: Client host blocked using Barracuda Reputation"
    ) in english.body.splitlines()
    assert japanese.subject == "blcheck: 192.0.2.66: 新規掲載 1 件"
    assert (
        "- Barracuda Reputation (b.barracudacentral.org) に 10:42 から掲載、"
        "コード 127.0.0.2: Client host blocked using Barracuda Reputation"
    ) in japanese.body.splitlines()
    assert f"ページ: /targets/{listed.target_id}/" in japanese.body


@pytest.mark.django_db
def test_links_are_absolute_with_the_base_url(listed, settings):
    settings.BASE_URL = "https://blcheck.example.com"
    person("john", "en", is_email_on=True)
    flush()
    link = f"https://blcheck.example.com/targets/{listed.target_id}/"
    assert f"Page: {link}" in mail_to("john").body.splitlines()


@pytest.mark.django_db
def test_without_a_base_url_a_link_is_the_path_alone(listed):
    person("john", "en", is_email_on=True)
    flush()
    body = mail_to("john").body
    assert f"Page: /targets/{listed.target_id}/" in body.splitlines()
    assert "http" not in body


@pytest.mark.django_db
def test_a_clearing_in_japanese(db):
    person("hanako", "ja", is_email_on=True)
    listing = ListingFactory(target=TargetFactory(value="192.0.2.66"))
    ListingChangeFactory(listing=listing, at=AT - timedelta(hours=2))
    run = CheckRunFactory(target=listing.target, status=CheckRun.Status.FINISHED)
    ListingChangeFactory(
        listing=listing, kind=ListingChange.Kind.CLEARED, at=AT, run=run
    )
    with time_machine.travel(AT, tick=False):
        notices.notice_record_run(run_id=run.pk)
    flush()
    message = mail_to("hanako")
    assert message.subject == "blcheck: 192.0.2.66: 掲載解除 1 件"
    name = f"{listing.blocklist.name} ({listing.blocklist.zone})"
    assert (
        f"- {name} の掲載が解除されました: 10:42 に解除 (08:42 から掲載)"
        in message.body.splitlines()
    )


@pytest.mark.django_db
def test_the_test_message_is_in_the_chosen_language(client, it_staff, settings):
    settings.BASE_URL = "https://blcheck.example.com"
    it_staff.email = "noc@example.com"
    it_staff.save()
    NotificationPreference.objects.create(
        user=it_staff, is_email_on=True, language="ja"
    )
    client.force_login(it_staff)  # the page is read in English
    client.post(reverse("monitoring:notification-test"))
    (message,) = mail.outbox
    assert message.subject == "blcheck: テストメッセージ"
    assert (
        "設定: https://blcheck.example.com/notifications/" in message.body.splitlines()
    )


def outage(**fields):
    return ResolverOutage.objects.create(
        started_at=AT,
        last_seen_at=AT,
        failure=ResolverOutage.Failure.TIMEOUT,
        nameserver="127.0.0.1:53",
        **fields,
    )


@pytest.mark.django_db
def test_an_outage_is_told_at_once_in_each_language(settings):
    settings.BASE_URL = "https://blcheck.example.com"
    person("john", "en", is_email_on=True)
    person("hanako", "ja", is_email_on=True)
    with time_machine.travel(AT + timedelta(minutes=1), tick=False):
        assert notifications.outage_notify(outage_id=outage().pk) == 2
    english = mail_to("john").body.splitlines()
    assert english == [
        "blcheck: DNS resolution failing since 10:42 (timeout at 127.0.0.1:53).",
        "Checks are blind until it answers again: no list can be asked.",
        "Dashboard: https://blcheck.example.com/",
    ]
    japanese = mail_to("hanako").body.splitlines()
    assert japanese[0].startswith("blcheck: 10:42 から DNS の名前解決に失敗しています")
    assert "127.0.0.1:53" in japanese[0]
    assert japanese[1].startswith("名前解決が回復するまでチェックは行えません")


@pytest.mark.django_db
def test_the_end_of_an_outage_says_how_long_and_how_many_checks(db):
    person("john", "en", is_email_on=True)
    person("hanako", "ja", is_email_on=True)
    ended = outage(ended_at=AT + timedelta(minutes=23), blind_runs=3)
    with time_machine.travel(AT + timedelta(minutes=24), tick=False):
        notifications.outage_notify(outage_id=ended.pk)
    assert mail_to("john").subject == (
        "blcheck: DNS resolution works again since 11:05 "
        "(it failed from 10:42, 3 blind checks)."
    )
    japanese = mail_to("hanako").subject
    assert japanese.startswith("blcheck: 11:05 から DNS の名前解決が回復しました")
    assert "10:42 から失敗、チェックできなかった回数 3" in japanese


@pytest.mark.django_db
def test_a_vanished_outage_tells_nobody(db):
    person("john", "en", is_email_on=True)
    assert notifications.outage_notify(outage_id=999_999) == 0 and mail.outbox == []


@pytest.mark.worker
def test_the_outage_task_posts_to_the_webhook(celery_worker, settings):
    with Listener() as hook:
        settings.WEBHOOK_ALLOW_HTTP = True
        settings.WEBHOOK_INTERNAL_HOSTS = [hook.hostport]
        person("john", "en", webhook_url=hook.url())
        notify_outage.delay(outage().pk)
        deadline = time.monotonic() + 15
        while not hook.hits and time.monotonic() < deadline:
            time.sleep(0.1)
    (hit,) = hook.hits
    assert json.loads(hit.body)["text"].startswith(
        "blcheck: DNS resolution failing since"
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BLCHECK_BASE_URL", "blcheck.example.com"),
        ("BLCHECK_BASE_URL", "https://blcheck.example.com/?x=1"),
        ("BLCHECK_NOTIFY_WINDOW_MINUTES", "0"),
        ("BLCHECK_NOTIFY_MIN_LISTS", "some"),
        ("BLCHECK_DIGEST_DAY", "someday"),
        ("BLCHECK_DIGEST_HOUR", "24"),
    ],
)
def test_a_bad_notification_setting_stops_start_up(tmp_path, name, value):
    result = start_django(tmp_path, **{name: value})
    assert result.returncode != 0
    assert name in result.stderr.strip().splitlines()[-1]
