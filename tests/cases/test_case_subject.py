"""A case's address is its target's (or inside its range) and of a kind the list
covers; its lookup link is http(s) only. The form, the bounce intake and the
service all refuse anything else."""

import pytest
from django.urls import reverse

from blcheck.cases import services
from blcheck.cases.models import DelistingCase
from blcheck.monitoring.models import Target
from tests.factories import DelistingCaseFactory, TargetFactory
from tests.support.html import parse

pytestmark = pytest.mark.django_db


def open_by_hand(client, target, blocklist, subject):
    return client.post(
        reverse("cases:case-open"),
        {"target": target.pk, "blocklist": blocklist.pk, "subject": subject},
    )


def subject_errors(response) -> str:
    return parse(response.content.decode()).find("div", role="alert").text


def test_an_address_outside_the_range_is_refused_by_the_form(
    client, it_staff, barracuda
):
    pool = TargetFactory(value="192.0.2.0/24", kind="range")
    client.force_login(it_staff)
    response = open_by_hand(client, pool, barracuda, "198.51.100.7")
    assert response.status_code == 422
    assert "198.51.100.7 is not an address inside 192.0.2.0/24" in (
        subject_errors(response)
    )
    assert not DelistingCase.objects.exists()


def test_an_address_outside_the_range_is_refused_by_the_service(it_staff, barracuda):
    pool = TargetFactory(value="192.0.2.0/24", kind="range")
    with pytest.raises(services.CaseRefused, match="not an address inside"):
        services.case_open(
            target=pool, blocklist=barracuda, subject="198.51.100.7", by=it_staff
        )
    assert not DelistingCase.objects.exists()


def test_an_address_inside_the_range_opens_its_case(client, it_staff, barracuda):
    pool = TargetFactory(value="192.0.2.0/24", kind="range")
    client.force_login(it_staff)
    assert open_by_hand(client, pool, barracuda, " 192.0.2.7 ").status_code == 302
    assert DelistingCase.objects.get().subject == "192.0.2.7"


def test_an_ipv6_subject_on_an_ipv4_only_list_is_refused(client, it_staff, barracuda):
    host = TargetFactory(value="2001:db8::66")
    client.force_login(it_staff)
    response = open_by_hand(client, host, barracuda, "")
    assert response.status_code == 422
    assert "does not list IPv6 addresses" in subject_errors(response)
    with pytest.raises(services.CaseRefused, match="IPv6"):
        services.case_open(
            target=host, blocklist=barracuda, subject="2001:db8::66", by=it_staff
        )
    assert not DelistingCase.objects.exists()


def test_a_domain_subject_on_an_ip_list_is_refused(client, it_staff, barracuda):
    domain = TargetFactory(value="mail.example.com", kind="domain")
    client.force_login(it_staff)
    response = open_by_hand(client, domain, barracuda, "MAIL.example.com")
    assert response.status_code == 422
    assert "does not list domains" in subject_errors(response)
    with pytest.raises(services.CaseRefused, match="domains"):
        services.case_open(
            target=domain, blocklist=barracuda, subject="mail.example.com", by=it_staff
        )
    assert not DelistingCase.objects.exists()


def test_a_domain_case_on_a_domain_list_opens(client, it_staff, barracuda):
    barracuda.has_domains = True
    barracuda.save()
    domain = TargetFactory(value="mail.example.com", kind="domain")
    client.force_login(it_staff)
    assert open_by_hand(client, domain, barracuda, "MAIL.example.com.").status_code
    assert DelistingCase.objects.get().subject == "mail.example.com"


def open_from_bounce(client, blocklist, **fields):
    return client.post(
        reverse("cases:bounce-intake"),
        {
            "action": "open",
            "blocklist": blocklist.pk,
            "address": "192.0.2.66",
            "bounce_text": "550 blocked",
            "lookup_url": "https://www.barracudacentral.org/lookups",
            **fields,
        },
        follow=True,
    )


def test_a_javascript_lookup_url_is_refused(client, it_staff, barracuda):
    client.force_login(it_staff)
    page = open_from_bounce(client, barracuda, lookup_url="javascript:alert(1)")
    assert "Only an http or https link can be kept." in page.content.decode()
    assert not DelistingCase.objects.exists() and not Target.objects.exists()
    with pytest.raises(services.CaseRefused):
        services.case_open_from_bounce(
            blocklist=barracuda,
            address="192.0.2.66",
            bounce_text="550 blocked",
            lookup_url="javascript:alert(1)",
            by=it_staff,
        )
    assert not DelistingCase.objects.exists()


def test_an_http_lookup_url_is_kept_as_a_link(client, it_staff, barracuda):
    client.force_login(it_staff)
    page = parse(open_from_bounce(client, barracuda).content.decode())
    link = page.by_id("case-lookup-url")
    assert link.tag == "a"
    assert link["href"] == "https://www.barracudacentral.org/lookups"


def test_a_stored_javascript_link_is_never_rendered_as_a_link(client, manager):
    case = DelistingCaseFactory(lookup_url="JavaScript:alert(1)")
    client.force_login(manager)
    page = parse(client.get(reverse("cases:case-detail", args=[case.pk])).content)
    assert page.by_id("case-lookup-url").tag != "a"
    assert not [a for a in page.find_all("a") if "alert" in (a.get("href") or "")]


def test_a_bounce_naming_an_ipv6_address_for_an_ipv4_list_opens_nothing(
    client, it_staff, barracuda
):
    client.force_login(it_staff)
    page = open_from_bounce(client, barracuda, address="2001:db8::66")
    assert "does not list IPv6 addresses" in page.content.decode()
    assert not DelistingCase.objects.exists() and not Target.objects.exists()
