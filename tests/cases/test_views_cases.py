"""Case pages: IT staff work cases, managers read and never change them."""

import pytest
from django.urls import reverse

from blcheck.cases import services
from blcheck.cases.models import CaseEvent, DelistingCase
from tests.factories import TargetFactory
from tests.support.cases import BBR, REMOVAL_PAGE, open_case
from tests.support.html import parse

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(barracuda, it_staff):
    """192.0.2.66's case on Barracuda, just opened."""
    return open_case(barracuda, it_staff)


def test_it_staff_open_a_case_from_the_target_page(client, it_staff, barracuda):
    target = TargetFactory(value="192.0.2.66")
    client.force_login(it_staff)
    response = client.post(
        reverse("cases:case-open"),
        {"target": target.pk, "blocklist": barracuda.pk, "subject": "192.0.2.66"},
    )
    case = DelistingCase.objects.get()
    assert response["Location"] == reverse("cases:case-detail", args=[case.pk])
    again = client.post(
        reverse("cases:case-open"),
        {"target": target.pk, "blocklist": barracuda.pk, "subject": "192.0.2.66"},
    )
    assert again["Location"] == response["Location"]  # the existing case
    assert DelistingCase.objects.count() == 1


def test_a_range_case_names_the_address(client, it_staff, barracuda):
    target = TargetFactory(value="192.0.2.64/30", kind="range")
    client.force_login(it_staff)
    response = client.post(
        reverse("cases:case-open"), {"target": target.pk, "blocklist": barracuda.pk}
    )
    assert response.status_code == 422 and "name the listed address" in (
        response.content.decode()
    )


def test_detail_offers_the_lists_removal_page_and_policy(client, manager, case):
    client.force_login(manager)
    page = client.get(reverse("cases:case-detail", args=[case.pk])).content.decode()
    assert parse(page).find("a", href=REMOVAL_PAGE)
    assert "up to 48 hours" in page and "30 days after removal" in page
    assert "Record the removal request" not in page  # managers only read


def test_request_with_a_wrong_confirmation_number_is_refused(client, it_staff, case):
    client.force_login(it_staff)
    response = client.post(
        reverse("cases:case-mark-requested", args=[case.pk]),
        {"method": "form", "reference": "ticket 42"},
    )
    assert response.status_code == 422
    assert "BBR" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "open"


def test_request_is_recorded_with_contact_and_text(client, it_staff, case):
    client.force_login(it_staff)
    client.post(
        reverse("cases:case-mark-requested", args=[case.pk]),
        {
            "method": "form",
            "reference": BBR,
            "contact_email": "postmaster@example.com",
            "contact_phone": "+81 3 1234 5678",
            "request_text": "Our MX was compromised; fixed on 2026-11-27.",
        },
    )
    case.refresh_from_db()
    assert (case.status, case.contact_email) == ("requested", "postmaster@example.com")
    assert case.events.filter(kind="requested", actor=it_staff).exists()


def test_notes_and_assignment_are_logged(client, it_staff, case):
    client.force_login(it_staff)
    client.post(reverse("cases:case-add-note", args=[case.pk]), {"text": "called them"})
    client.post(reverse("cases:case-assign", args=[case.pk]), {"assignee": ""})
    assert list(case.events.values_list("kind", flat=True)) == [
        "opened",
        "note",
        "assigned",
    ]


def test_abandon_ends_the_case(client, it_staff, case):
    client.force_login(it_staff)
    client.post(
        reverse("cases:case-close", args=[case.pk]),
        {"to": "abandoned", "text": "IP returned to the provider"},
    )
    case.refresh_from_db()
    assert case.status == "abandoned" and case.closed_at is not None


@pytest.mark.parametrize(
    "name", ["case-mark-requested", "case-add-note", "case-assign", "case-close"]
)
def test_manager_cannot_change_a_case(client, manager, case, name):
    client.force_login(manager)
    response = client.post(
        reverse(f"cases:{name}", args=[case.pk]),
        {"method": "form", "text": "x", "to": "abandoned"},
    )
    assert response.status_code == 403
    assert CaseEvent.objects.count() == 1  # only "opened"


def test_manager_cannot_open_a_case(client, manager, barracuda):
    client.force_login(manager)
    target = TargetFactory()
    assert (
        client.post(
            reverse("cases:case-open"), {"target": target.pk, "blocklist": barracuda.pk}
        ).status_code
        == 403
    )


def test_case_list_filters(client, manager, case, barracuda, it_staff):
    other = open_case(barracuda, it_staff, "192.0.2.67")
    services.case_mark_requested(case=other, by=it_staff, method="form")
    client.force_login(manager)
    page = client.get(reverse("cases:case-list")).content.decode()
    assert "192.0.2.66" in page and "192.0.2.67" in page
    page = client.get(
        reverse("cases:case-list"), {"status": "requested"}
    ).content.decode()
    assert "192.0.2.67" in page and "192.0.2.66" not in page
    page = client.get(reverse("cases:case-list"), {"target": "2.66"}).content.decode()
    assert "192.0.2.66" in page and "192.0.2.67" not in page
    page = client.get(
        reverse("cases:case-list"), {"is_overdue": "true"}
    ).content.decode()
    assert "No cases match" in page


def test_case_pages_have_bounded_queries(
    client, manager, case, django_assert_max_num_queries
):
    client.force_login(manager)
    with django_assert_max_num_queries(15):
        client.get(reverse("cases:case-detail", args=[case.pk]))
    with django_assert_max_num_queries(15):
        client.get(reverse("cases:case-list"))


def test_case_page_ids_are_unique_and_labels_point_at_their_fields(
    client, case, it_staff
):
    client.force_login(it_staff)
    page = parse(client.get(reverse("cases:case-detail", args=[case.pk])).content)
    ids = [element["id"] for element in page.iter() if element.get("id")]
    assert len(ids) == len(set(ids))
    for label in page.find_all("label", for_=True):
        assert len(page.find_all(id=label["for"])) == 1, label["for"]
