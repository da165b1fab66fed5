"""History nobody can rewrite: case events, lookups and listing changes are
append-only for everyone, and recording a request again appends an amendment
that keeps the first request as it was made."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from blcheck.cases import services
from blcheck.cases.models import CaseEvent, DelistingCase, HistoryRewrite
from blcheck.core.access import IT_STAFF
from blcheck.monitoring.models import Target
from tests.factories import ListingChangeFactory, LookupFactory
from tests.support.cases import BBR, open_case
from tests.support.html import Element, parse

pytestmark = pytest.mark.django_db

LATER_BBR = "BBR21586894740-10107-999"


@pytest.fixture
def case(barracuda, it_staff):
    """192.0.2.66's case on Barracuda, just opened."""
    return open_case(barracuda, it_staff)


def _admin_url(model, action, *args):
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{action}", args=args)


def test_the_admin_refuses_superusers_adding_changing_or_deleting_case_events(
    admin_client, case
):
    event = case.events.get()
    assert admin_client.get(_admin_url(CaseEvent, "add")).status_code == 403
    change = _admin_url(CaseEvent, "change", event.pk)
    assert admin_client.post(change, {"kind": "note", "detail": "x"}).status_code == 403
    delete = _admin_url(CaseEvent, "delete", event.pk)
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    bulk = admin_client.post(
        _admin_url(CaseEvent, "changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert bulk.status_code in {200, 302}
    # Nor may the case be deleted in the admin: its events would go with it.
    case_delete = _admin_url(DelistingCase, "delete", case.pk)
    assert admin_client.post(case_delete, {"post": "yes"}).status_code == 403
    assert list(CaseEvent.objects.values_list("pk", "kind", "detail")) == [
        (event.pk, "opened", "")
    ]


@pytest.mark.parametrize("factory", [LookupFactory, ListingChangeFactory])
def test_the_admin_refuses_changing_or_deleting_lookups_and_listing_changes(
    admin_client, factory
):
    row = factory()
    model = type(row)
    change = admin_client.post(_admin_url(model, "change", row.pk), {})
    assert change.status_code == 403
    delete = admin_client.post(_admin_url(model, "delete", row.pk), {"post": "yes"})
    assert delete.status_code == 403
    assert admin_client.get(_admin_url(model, "add")).status_code == 403
    assert model.objects.filter(pk=row.pk).exists()


def test_it_staff_may_view_but_not_write_history_after_migrate(it_staff):
    granted = set(
        Group.objects.get(name=IT_STAFF).permissions.values_list("codename", flat=True)
    )
    for model in ("caseevent", "lookup", "listingchange"):
        assert f"view_{model}" in granted
        assert not {f"add_{model}", f"change_{model}", f"delete_{model}"} & granted
    assert {"add_target", "change_target", "change_delistingcase"} <= granted
    assert it_staff.has_perm("cases.view_caseevent")
    assert not it_staff.has_perm("monitoring.delete_lookup")


def test_a_case_event_refuses_to_be_changed_or_deleted(case):
    event = case.events.get()
    event.detail = "rewritten"
    with pytest.raises(HistoryRewrite):
        event.save()
    with pytest.raises(HistoryRewrite):
        event.delete()
    with pytest.raises(HistoryRewrite):
        CaseEvent.objects.filter(pk=event.pk).update(detail="rewritten")
    with pytest.raises(HistoryRewrite):
        case.events.all().delete()
    assert CaseEvent.objects.get(pk=event.pk).detail == ""


def test_deleting_a_target_still_takes_its_cases_and_their_events(case):
    """Kept on purpose: a target removed from monitoring takes its history with
    it (only in code or the shell; the admin refuses, see above)."""
    Target.objects.filter(pk=case.target_id).delete()
    assert not DelistingCase.objects.exists() and not CaseEvent.objects.exists()


def _request(case, by, **fields):
    return services.case_mark_requested(
        case=case, by=by, **{"method": "form", **fields}
    )


def test_amending_a_request_appends_an_event_and_keeps_the_first(case, it_staff):
    _request(case, it_staff, reference=BBR, contact_email="noc@example.com")
    first = case.events.get(kind="requested")
    case.refresh_from_db()
    requested_at = case.requested_at
    case = _request(
        case,
        it_staff,
        method="email",
        reference=LATER_BBR,
        contact_email="noc@example.com",
    )
    assert (case.status, case.reference, case.method) == (
        "requested",
        LATER_BBR,
        "email",
    )
    assert case.requested_at == requested_at  # empty date: unchanged
    assert list(case.events.values_list("kind", flat=True)) == [
        "opened",
        "requested",
        "request_amended",
    ]
    kept = CaseEvent.objects.get(pk=first.pk)
    assert (kept.detail, kept.evidence, kept.actor) == (
        BBR,
        first.evidence,
        it_staff,
    )
    recorded = {item["field"]: item["value"] for item in kept.evidence["request"]}
    assert (recorded["reference"], recorded["method"]) == (BBR, "Web form")
    amendment = case.events.get(kind="request_amended")
    assert amendment.actor == it_staff
    assert [
        (c["field"], c["old"], c["new"]) for c in amendment.evidence["changes"]
    ] == [("method", "Web form", "E-mail"), ("reference", BBR, LATER_BBR)]
    assert "Confirmation number: " + BBR + " → " + LATER_BBR in amendment.detail


def test_amending_the_date_moves_the_removal_due_time(case, it_staff):
    _request(case, it_staff, reference=BBR)
    earlier = timezone.now() - timedelta(hours=5)
    case = _request(case, it_staff, reference=BBR, requested_at=earlier)
    assert case.requested_at == earlier
    assert case.removal_due_at == earlier + timedelta(hours=48)
    (change,) = case.events.get(kind="request_amended").evidence["changes"]
    assert change["field"] == "requested_at"


def test_recording_the_same_request_again_writes_nothing(case, it_staff):
    _request(case, it_staff, reference=BBR)
    _request(case, it_staff, reference=BBR)
    assert not case.events.filter(kind="request_amended").exists()


def test_the_case_page_shows_the_first_request_and_its_amendments_below(
    client, it_staff, case
):
    client.force_login(it_staff)
    url = reverse("cases:case-mark-requested", args=[case.pk])
    client.post(url, {"method": "form", "reference": BBR})
    response = client.post(url, {"method": "form", "reference": LATER_BBR})
    assert response.status_code == 302
    page = parse(client.get(reverse("cases:case-detail", args=[case.pk])).content)
    requests = page.find("ol", class_="case-requests").children
    items = [item for item in requests if isinstance(item, Element)]
    assert [item["class"] for item in items] == [
        "event-requested",
        "event-request_amended",
    ]
    assert BBR in items[0].text and LATER_BBR not in items[0].text
    assert f"{BBR} → {LATER_BBR}" in items[1].text
    assert page.by_id("case-reference").text == LATER_BBR  # the request now


def test_a_request_date_in_the_future_is_refused_by_the_form(client, it_staff, case):
    client.force_login(it_staff)
    tomorrow = timezone.localtime() + timedelta(days=1)
    response = client.post(
        reverse("cases:case-mark-requested", args=[case.pk]),
        {
            "method": "form",
            "reference": BBR,
            "requested_at": f"{tomorrow:%Y-%m-%d %H:%M}",
        },
    )
    assert response.status_code == 422
    errors = parse(response.content).by_id("id_requested_at_errors").text
    assert "in the future" in errors
    case.refresh_from_db()
    assert case.status == "open" and case.events.count() == 1


def test_a_request_date_in_the_future_is_refused_by_the_service(case, it_staff):
    with pytest.raises(services.RequestInFuture):
        _request(case, it_staff, requested_at=timezone.now() + timedelta(minutes=5))
    case.refresh_from_db()
    assert case.status == "open" and case.requested_at is None


def test_sending_the_amendment_form_back_unchanged_writes_nothing(
    client, it_staff, case
):
    _request(case, it_staff, reference=BBR)
    client.force_login(it_staff)
    page = parse(client.get(reverse("cases:case-detail", args=[case.pk])).content)
    shown = page.by_id("id_requested_at")["value"]
    assert shown  # the form starts from the recorded request
    response = client.post(
        reverse("cases:case-mark-requested", args=[case.pk]),
        {"method": "form", "reference": BBR, "requested_at": shown},
    )
    assert response.status_code == 302
    assert not case.events.filter(kind="request_amended").exists()
