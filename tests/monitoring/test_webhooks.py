"""Webhooks: refused with the reason, sent pinned, never redirected; the
"Send a test message" button. The rule itself: tests/core/test_outbound.py.

Deliveries go to listeners on loopback, let through by
BLCHECK_WEBHOOK_INTERNAL_HOSTS; nothing here asks DNS for a real name.
"""

import json
from collections.abc import Iterator

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from blcheck.core.outbound import Reason
from blcheck.monitoring.models import NotificationPreference
from blcheck.monitoring.services import notifications
from blcheck.monitoring.services.notifications import Failure, Outcome
from tests.support.html import parse
from tests.support.notifications import send_to_all
from tests.support.ports import free_port
from tests.support.webhook import Listener


@pytest.fixture
def listener() -> Iterator[Listener]:
    with Listener() as hook:
        yield hook


@pytest.fixture
def allow(settings):
    """Lets webhooks reach the given loopback listeners over http."""

    def allow(*hosts: str) -> None:
        settings.WEBHOOK_ALLOW_HTTP = True
        settings.WEBHOOK_INTERNAL_HOSTS = list(hosts)

    return allow


def test_a_redirect_is_not_followed(allow):
    with Listener() as inside, Listener(status=302) as hook:
        hook.headers["Location"] = inside.url("/secret")
        allow(hook.hostport, inside.hostport)
        delivery = notifications.webhook_deliver(url=hook.url(), text="hello")
    assert delivery == notifications.Delivery(
        Outcome.FAILED, status=302, failure=Failure.REDIRECT
    )
    assert len(hook.hits) == 1 and inside.hits == []


def test_the_sender_checks_again_at_send_time(it_staff, listener, allow):
    """Saved while allowed (or by an older version); refused when sending."""
    NotificationPreference.objects.create(user=it_staff, webhook_url=listener.url())
    allow()  # the setting no longer lists it
    assert send_to_all("blcheck: x") == 0
    assert listener.hits == []
    delivery = notifications.webhook_deliver(url=listener.url(), text="x")
    assert delivery.outcome == Outcome.REFUSED
    assert delivery.refusal and delivery.refusal.reason == Reason.LOOPBACK


@pytest.mark.parametrize("status", [404, 500])
def test_an_http_error_is_a_failure(allow, status):
    with Listener(status=status) as hook:
        allow(hook.hostport)
        delivery = notifications.webhook_deliver(url=hook.url(), text="x")
    assert (delivery.outcome, delivery.status) == (Outcome.FAILED, status)


def test_the_allow_list_lets_a_delivery_through(listener, allow):
    allow(listener.hostport)
    delivery = notifications.webhook_deliver(url=listener.url(), text="hi")
    assert (delivery.outcome, delivery.status) == (Outcome.DELIVERED, 204)
    (hit,) = listener.hits
    assert json.loads(hit.body) == {"text": "hi"}


def errors(response) -> str:
    return parse(response.content).by_id("id_webhook_url_errors").text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "https://10.0.0.5/hook",
            "The host points at a private address (10.0.0.5); "
            "only public addresses are allowed.",
        ),
        ("http://1.1.1.1/hook", "Only https:// addresses are allowed."),
        (
            "https://user:pw@1.1.1.1/hook",
            "User names and passwords in the URL are not allowed.",
        ),
        (
            "https://localhost./hook",
            "The host points at a loopback address (127.0.0.1); "
            "only public addresses are allowed.",
        ),
    ],
)
def test_the_form_says_why_a_webhook_is_refused(client, it_staff, url, message):
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:notification-settings"), {"webhook_url": url}
    )
    assert response.status_code == 422
    assert message in errors(response)
    assert not NotificationPreference.objects.filter(webhook_url=url).exists()


@pytest.mark.django_db
def test_the_form_says_why_in_japanese(it_staff):
    client = Client(HTTP_ACCEPT_LANGUAGE="ja")
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:notification-settings"),
        {"webhook_url": "https://169.254.169.254/latest/meta-data/"},
    )
    assert "リンクローカルアドレス (169.254.169.254)" in errors(response)


@pytest.mark.django_db
def test_the_form_accepts_an_allow_listed_internal_host(client, it_staff, allow):
    allow("127.0.0.1:8065")
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:notification-settings"),
        {"webhook_url": "http://127.0.0.1:8065/hooks/abc"},
    )
    assert response.status_code == 302
    saved = NotificationPreference.objects.get(user=it_staff).webhook_url
    assert saved == "http://127.0.0.1:8065/hooks/abc"


def press_test_button(client: Client) -> list[str]:
    response = client.post(reverse("monitoring:notification-test"), follow=True)
    assert response.status_code == 200
    return [li.text for li in parse(response.content).find_all("li", class_="message")]


@pytest.mark.django_db
def test_the_test_button_delivers_to_the_saved_webhook(
    client, it_staff, listener, allow
):
    allow(listener.hostport)
    it_staff.email = "noc@example.com"
    it_staff.save()
    NotificationPreference.objects.create(
        user=it_staff, is_email_on=True, webhook_url=listener.url()
    )
    client.force_login(it_staff)
    shown = press_test_button(client)
    assert shown == [
        "E-mail: sent to noc@example.com.",
        "Webhook: delivered (HTTP 204).",
    ]
    assert len(listener.hits) == 1 and mail.outbox[0].to == ["noc@example.com"]
    assert json.loads(listener.hits[0].body)["text"] == mail.outbox[0].body


@pytest.mark.django_db
def test_the_test_button_says_why_a_webhook_is_refused(client, it_staff, listener):
    NotificationPreference.objects.create(user=it_staff, webhook_url=listener.url())
    client.force_login(it_staff)
    assert press_test_button(client) == [
        "Webhook: refused. Only https:// addresses are allowed."
    ]
    assert listener.hits == []


@pytest.mark.django_db
def test_the_test_button_says_when_the_connection_fails(client, it_staff, allow):
    port = free_port()
    allow(f"127.0.0.1:{port}")
    NotificationPreference.objects.create(
        user=it_staff, webhook_url=f"http://127.0.0.1:{port}/hook"
    )
    client.force_login(it_staff)
    assert press_test_button(client) == ["Webhook: failed, the connection was refused."]


@pytest.mark.django_db
def test_the_settings_page_has_the_test_button(client, it_staff):
    client.force_login(it_staff)
    page = parse(client.get(reverse("monitoring:notification-settings")).content)
    form = page.by_id("notification-test")
    assert form["action"] == reverse("monitoring:notification-test")
    assert form["method"] == "post"
    assert form.find("input", name="csrfmiddlewaretoken")


@pytest.mark.django_db
def test_manager_tests_their_own_settings(client, manager, listener, allow):
    allow(listener.hostport)
    NotificationPreference.objects.create(user=manager, webhook_url=listener.url())
    client.force_login(manager)
    response = client.post(reverse("monitoring:notification-test"))
    assert response.status_code == 302 and len(listener.hits) == 1


@pytest.mark.django_db
def test_outsider_cannot_send_a_test_message(client, outsider, listener, allow):
    allow(listener.hostport)
    NotificationPreference.objects.create(user=outsider, webhook_url=listener.url())
    client.force_login(outsider)
    response = client.post(reverse("monitoring:notification-test"))
    assert response.status_code == 403 and listener.hits == []


@pytest.mark.django_db
def test_the_test_button_needs_the_csrf_token(it_staff, listener, allow):
    allow(listener.hostport)
    NotificationPreference.objects.create(user=it_staff, webhook_url=listener.url())
    client = Client(enforce_csrf_checks=True)
    client.force_login(it_staff)
    response = client.post(reverse("monitoring:notification-test"))
    assert response.status_code == 403 and listener.hits == []
