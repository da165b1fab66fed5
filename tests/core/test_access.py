"""Every page needs a login; roles decide who may read and who may change."""

import uuid

import pytest
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import CheckRunFactory
from tests.support.html import parse

pytestmark = pytest.mark.django_db

# Pages anyone may open, and framework URLs that have their own protection.
PUBLIC = {"/healthz", "/accounts/login/"}
SKIPPED_PREFIXES = ("/admin/", "/i18n/", "/accounts/")
# One's own settings, which managers change too (their alerts, the digest).
PERSONAL = {"/notifications/", "/notifications/test/"}
GROUP = uuid.UUID("00000000-0000-4000-8000-000000000001")


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def product_urls():
    """Every URL of our apps, with 1 for each <int:pk>."""
    urls = set()
    for route in _walk(get_resolver().url_patterns):
        path = "/" + route.replace("<int:pk>", "1").replace("<uuid:group>", str(GROUP))
        if path.startswith(SKIPPED_PREFIXES) or "<" in path or "^" in path:
            continue
        urls.add(path)
    return sorted(urls)


@pytest.fixture
def objects():
    run = CheckRunFactory(pk=1, target__pk=1, group=GROUP)
    return run


def test_the_url_walk_sees_our_pages():
    assert {"/targets/", "/targets/new/", "/targets/1/check/", "/healthz"} <= set(
        product_urls()
    )


@pytest.mark.parametrize("url", [u for u in product_urls() if u not in PUBLIC])
def test_anonymous_is_sent_to_login(client, objects, url):
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "url", [u for u in product_urls() if u not in PUBLIC | PERSONAL]
)
def test_manager_gets_403_on_every_post(client, manager, objects, url):
    client.force_login(manager)
    assert client.post(url).status_code in {403, 405}, url


def test_manager_subscribes_to_the_weekly_digest(client, manager):
    from blcheck.monitoring.models import NotificationPreference

    client.force_login(manager)
    assert "/notifications/" in client.get("/").content.decode()
    response = client.post(
        "/notifications/", {"is_email_on": "on", "is_digest_on": "on", "language": "en"}
    )
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=manager)
    assert preference.is_digest_on and preference.language == "en"


def test_manager_post_is_refused_even_where_get_is_allowed(client, manager, objects):
    client.force_login(manager)
    assert client.get("/targets/").status_code == 200
    assert client.post("/targets/new/").status_code == 403
    assert client.post("/targets/1/check/").status_code == 403


@pytest.mark.parametrize("url", ["/targets/", "/targets/1/", "/runs/1/"])
def test_outsider_without_role_is_refused(client, outsider, objects, url):
    client.force_login(outsider)
    response = client.get(url)
    assert response.status_code == 403
    assert "IT staff" in response.content.decode()


def test_healthz_needs_no_login(client):
    assert client.get("/healthz").status_code in {200, 503}


def test_login_page_needs_no_login(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200 and parse(response.content).find("title").text


def test_roles_exist_with_their_permissions():
    staff = set(
        Group.objects.get(name="IT staff").permissions.values_list(
            "codename", flat=True
        )
    )
    managers = set(
        Group.objects.get(name="Managers").permissions.values_list(
            "codename", flat=True
        )
    )
    assert {"add_target", "change_target", "delete_target", "view_lookup"} <= staff
    assert managers == {
        "view_blocklist",
        "view_target",
        "view_checkrun",
        "view_lookup",
        "view_tag",
        "view_listing",
        "view_listingchange",
        "view_delistingcase",
        "view_caseevent",
    }


def test_forged_post_without_csrf_token_is_refused(manager, it_staff):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(it_staff)
    assert client.post("/targets/new/", {"value": "192.0.2.1"}).status_code == 403
