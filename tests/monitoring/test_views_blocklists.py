"""The blocklist pages: managers read, IT staff edit, dead lists stay off."""

import pytest
from django.urls import reverse

from blcheck.monitoring.models import Blocklist
from tests.factories import BlocklistFactory

pytestmark = pytest.mark.django_db


def test_list_page_shows_health_and_retired_lists(client, manager):
    BlocklistFactory(zone="good.dnsbl.test", name="Good", health="ok")
    BlocklistFactory(
        zone="everything.dnsbl.test", name="Everything", health="lists_everything"
    )
    BlocklistFactory(
        zone="dnsbl.ahbl.org",
        is_retired=True,
        is_enabled=False,
        retired_reason="answers listed for everything since 2015",
    )
    client.force_login(manager)
    page = client.get(reverse("monitoring:blocklist-list")).content.decode()
    assert "Lists everything, even 127.0.0.1" in page
    assert "answers listed for everything since 2015" in page
    assert "/lists/new/" not in page  # managers get no edit controls


def test_empty_list_page_says_how_to_fill_it(client, it_staff):
    client.force_login(it_staff)
    page = client.get(reverse("monitoring:blocklist-list")).content.decode()
    assert "load_catalog" in page


def test_it_staff_disables_a_list_and_sets_its_ceiling(client, it_staff):
    blocklist = BlocklistFactory(zone="good.dnsbl.test", name="Good")
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:blocklist-edit", args=[blocklist.pk]),
        {"name": "Good", "kinds": ["ipv4"], "qps": 5},
    )
    assert response.status_code == 302
    blocklist.refresh_from_db()
    assert (blocklist.is_enabled, blocklist.qps) == (False, 5)


def test_retired_list_cannot_be_enabled(client, it_staff):
    dead = BlocklistFactory(
        zone="dnsbl.sorbs.net",
        name="SORBS",
        is_retired=True,
        is_enabled=False,
        retired_reason="Shut down 2024-06-05",
    )
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:blocklist-edit", args=[dead.pk]),
        {"name": "SORBS", "kinds": ["ipv4"], "is_enabled": "on"},
    )
    assert response.status_code == 422
    assert "Shut down 2024-06-05" in response.content.decode()
    dead.refresh_from_db()
    assert not dead.is_enabled


def test_key_list_cannot_be_enabled_without_its_key(client, it_staff, settings):
    settings.DNSBL_KEYS = {"BLCHECK_ABUSIX_KEY": ""}
    keyed = BlocklistFactory(
        zone="{key}.combined.mail.abusix.zone",
        name="Abusix",
        key_setting="BLCHECK_ABUSIX_KEY",
        is_enabled=False,
    )
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:blocklist-edit", args=[keyed.pk]),
        {"name": "Abusix", "kinds": ["ipv4"], "is_enabled": "on"},
    )
    assert response.status_code == 422
    assert "BLCHECK_ABUSIX_KEY" in response.content.decode()


def test_it_staff_adds_an_ad_hoc_list(client, it_staff):
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:blocklist-create"),
        {
            "zone": "BL.Example.ORG.",
            "name": "Example",
            "kinds": ["ipv4", "ipv6"],
            "has_test_points": "on",
        },
    )
    assert response.status_code == 302
    added = Blocklist.objects.get()
    assert (added.zone, added.has_ipv4, added.has_ipv6, added.has_domains) == (
        "bl.example.org",
        True,
        True,
        False,
    )


def test_adding_a_dead_list_is_refused_with_the_reason(client, it_staff):
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:blocklist-create"),
        {
            "zone": "ix.dnsbl.manitu.net",
            "name": "NiX",
            "kinds": ["ipv4"],
        },
    )
    assert response.status_code == 422
    assert "retired" in response.content.decode()
    assert not Blocklist.objects.exists()


def test_manager_cannot_change_lists(client, manager):
    blocklist = BlocklistFactory(zone="good.dnsbl.test", name="Good")
    client.force_login(manager)
    url = reverse("monitoring:blocklist-edit", args=[blocklist.pk])
    assert client.post(url, {"name": "Changed"}).status_code == 403
    assert (
        client.post(
            reverse("monitoring:blocklist-create"), {"zone": "x.org"}
        ).status_code
        == 403
    )
    blocklist.refresh_from_db()
    assert blocklist.name == "Good" and blocklist.is_enabled


def test_manager_reads_every_setting_but_gets_no_edit_controls(client, manager):
    blocklist = BlocklistFactory(
        zone="b.barracudacentral.org",
        name="Barracuda",
        listed_codes={"127.0.0.2": "poor reputation"},
        error_codes={"127.255.255.254": "public resolver"},
        reference_pattern="^BBR[0-9-]+$",
        removal_hours=48,
        delist_url="https://www.barracudacentral.org/rbl/removal-request",
    )
    client.force_login(manager)
    listing = client.get(reverse("monitoring:blocklist-list")).content.decode()
    detail_url = reverse("monitoring:blocklist-detail", args=[blocklist.pk])
    assert detail_url in listing
    page = client.get(detail_url).content.decode()
    for shown in (
        "127.0.0.2</code> poor reputation",
        "127.255.255.254</code> public resolver",
        "look like BBR1234",
        "48 hours",
        "https://www.barracudacentral.org/rbl/removal-request",
    ):
        assert shown in page
    edit_url = reverse("monitoring:blocklist-edit", args=[blocklist.pk])
    assert edit_url not in page
    assert client.get(edit_url).status_code == 403
    assert client.post(edit_url, {"name": "Changed"}).status_code == 403


def test_it_staff_get_the_edit_link_and_a_grouped_form(client, it_staff):
    blocklist = BlocklistFactory(zone="own.example.test", name="Own")
    client.force_login(it_staff)
    edit_url = reverse("monitoring:blocklist-edit", args=[blocklist.pk])
    detail = client.get(reverse("monitoring:blocklist-detail", args=[blocklist.pk]))
    assert edit_url in detail.content.decode()
    page = client.get(edit_url).content.decode()
    for legend in ("The list", "Reading its answers", "Delisting"):
        assert f"<legend>{legend}</legend>" in page
    assert 'name="listed_codes"' in page and "127.0.1.2 = spam domain" in page


def test_bad_codes_posted_save_nothing_and_say_which_line(client, it_staff):
    blocklist = BlocklistFactory(zone="own.example.test", name="Own")
    client.force_login(it_staff)
    data = {"name": "Own", "kinds": ["ipv4"], "listed_codes": "127.0.1.2\nspam"}
    response = client.post(
        reverse("monitoring:blocklist-edit", args=[blocklist.pk]), data
    )
    assert response.status_code == 422
    assert "Line 2 (spam): not an IPv4 address" in response.content.decode()
    blocklist.refresh_from_db()
    assert blocklist.listed_codes == {}
