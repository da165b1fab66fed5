"""Notifications: one message per run, by e-mail and to a loopback webhook."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.urls import reverse

from blcheck.monitoring.models import CheckRun, NotificationPreference
from blcheck.monitoring.services import notifications
from blcheck.monitoring.services.runs import blocklist_health_record
from tests.factories import BlocklistFactory, CheckRunFactory, TargetFactory
from tests.support.checks import check_target
from tests.support.dnsserver import Zone

pytestmark = pytest.mark.django_db


@pytest.fixture
def webhook():
    """An HTTP server on 127.0.0.1 that keeps every JSON body it receives."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()


@pytest.fixture
def subscribed(it_staff, webhook, settings):
    it_staff.email = "noc@example.com"
    it_staff.save()
    url, received = webhook
    # A loopback listener is internal: only an allow-listed host may be.
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_INTERNAL_HOSTS = [url.split("/")[2]]
    NotificationPreference.objects.create(
        user=it_staff, is_email_on=True, webhook_url=url
    )
    return received


@pytest.fixture
def flip(dns_server):
    zone = dns_server.add_zone(
        Zone("notify.dnsbl.test", a={"2.0.0.127": ["127.0.0.2"]})
    )
    BlocklistFactory(zone="notify.dnsbl.test", name="Notify list")
    return zone


@pytest.mark.dns
def test_new_listing_sends_one_email_and_one_webhook(subscribed, flip):
    flip.a["66.2.0.192"] = ["127.0.0.2"]
    run = check_target(
        TargetFactory(value="192.0.2.64/30", kind="range", label="mx pool")
    )
    assert notifications.run_notify(run_id=run.pk) == 2
    (message,) = mail.outbox
    assert message.to == ["noc@example.com"]
    assert message.subject == "blcheck: 192.0.2.64/30 (mx pool)"
    assert (
        "LISTED  192.0.2.66 on Notify list (notify.dnsbl.test) [127.0.0.2]"
        in message.body
    )
    (hook,) = subscribed
    assert hook["text"] == message.body


@pytest.mark.dns
def test_cleared_listing_is_announced(subscribed, flip):
    target = TargetFactory(value="192.0.2.66")
    flip.a["66.2.0.192"] = ["127.0.0.2"]
    check_target(target)
    flip.a.pop("66.2.0.192")
    run = check_target(target)
    notifications.run_notify(run_id=run.pk)
    assert "CLEARED 192.0.2.66 from Notify list" in mail.outbox[-1].body


@pytest.mark.dns
def test_a_run_without_changes_sends_nothing(subscribed, flip):
    run = check_target(TargetFactory(value="192.0.2.10"))
    assert notifications.run_notify(run_id=run.pk) == 0
    assert mail.outbox == [] and subscribed == []


def test_failed_run_is_announced(subscribed):
    run = CheckRunFactory(
        status=CheckRun.Status.FAILED, failure="gave up after 5 attempts"
    )
    notifications.run_notify(run_id=run.pk)
    assert "FAILED  check of" in mail.outbox[0].body


def test_list_turning_unhealthy_is_announced_once(
    subscribed, django_capture_on_commit_callbacks
):
    from blcheck.lookups import dnsbl
    from blcheck.lookups.dnsbl import Health

    blocklist = BlocklistFactory(zone="everything.dnsbl.test", health="ok")
    spec = dnsbl.ListSpec("everything.dnsbl.test", frozenset({"ipv4"}))
    health = {("everything.dnsbl.test", "ipv4"): Health.LISTS_EVERYTHING}
    with django_capture_on_commit_callbacks() as first:
        blocklist_health_record(health, {spec: blocklist})
    with django_capture_on_commit_callbacks() as second:
        blocklist_health_record(health, {spec: blocklist})
    assert (len(first), len(second)) == (1, 0)
    text = notifications.health_message([("everything.dnsbl.test", "lists_everything")])
    notifications.notification_send(text)
    assert "UNHEALTHY everything.dnsbl.test: lists_everything" in mail.outbox[0].body


def test_people_who_did_not_opt_in_hear_nothing(it_staff):
    it_staff.email = "quiet@example.com"
    it_staff.save()
    NotificationPreference.objects.create(user=it_staff)  # defaults: off
    assert (
        notifications.notification_send("blcheck: something") == 0 and mail.outbox == []
    )


def test_a_dead_webhook_does_not_stop_the_email(it_staff, settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_INTERNAL_HOSTS = ["127.0.0.1:9"]
    it_staff.email = "noc@example.com"
    it_staff.save()
    NotificationPreference.objects.create(
        user=it_staff, is_email_on=True, webhook_url="http://127.0.0.1:9/hook"
    )
    assert notifications.notification_send("blcheck: x\nLISTED ...") == 1
    assert len(mail.outbox) == 1


def test_it_staff_opt_in_on_their_page(client, it_staff):
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:notification-settings"),
        {"is_email_on": "on", "webhook_url": "1.1.1.1/x"},  # a literal: no DNS
    )
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=it_staff)
    assert pref.is_email_on and pref.webhook_url == "https://1.1.1.1/x"


def test_manager_cannot_change_notification_settings(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("monitoring:notification-settings"), {"is_email_on": "on"}
    )
    assert response.status_code == 403
    assert not NotificationPreference.objects.exists()
