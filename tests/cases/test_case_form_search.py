"""Opening a case names its target by typing (an address, range, domain or
label), with at most 20 suggestions: never a <select> of every target."""

import pytest
from django.urls import reverse
from django.utils import timezone

from blcheck.cases.models import DelistingCase
from blcheck.monitoring.models import Target
from tests.factories import DelistingCaseFactory, TargetFactory
from tests.support.html import parse

pytestmark = pytest.mark.django_db

OPEN = reverse("cases:case-open")
OPTIONS = reverse("cases:target-options")


def _targets(values: list[str], **fields: object) -> list[Target]:
    """Many targets at once (bulk_create skips save(): keys set here)."""
    made = [
        Target(
            value=value,
            kind="range" if "/" in value else "address",
            check_interval_minutes=60,
            **fields,
        ).set_keys()
        for value in values
    ]
    return Target.objects.bulk_create(made)


def _options(response) -> list[str]:
    datalist = parse(response.content.decode()).find("datalist", id="target-options")
    return [option["value"] for option in datalist.find_all("option")]


def test_an_address_inside_a_range_opens_the_case_on_the_range(
    client, it_staff, barracuda
):
    wide = TargetFactory(value="192.0.2.0/24", kind="range")
    narrow = TargetFactory(value="192.0.2.64/27", kind="range")
    client.force_login(it_staff)
    response = client.post(OPEN, {"target": "192.0.2.70", "blocklist": barracuda.pk})
    case = DelistingCase.objects.get()
    assert response["Location"] == reverse("cases:case-detail", args=[case.pk])
    # The narrowest range holding it, and the case is the address's.
    assert (case.target, case.subject) == (narrow, "192.0.2.70")
    assert case.target != wide


def test_a_monitored_address_is_its_own_target_inside_a_range(
    client, it_staff, barracuda
):
    TargetFactory(value="192.0.2.0/24", kind="range")
    address = TargetFactory(value="192.0.2.70")
    client.force_login(it_staff)
    client.post(OPEN, {"target": " 192.0.2.70 ", "blocklist": barracuda.pk})
    assert DelistingCase.objects.get().target == address


@pytest.mark.parametrize("typed", ["203.0.113.9", "no-such-label", "10.0.0.0/8"])
def test_unknown_text_is_refused_and_nothing_is_saved(
    client, it_staff, barracuda, typed
):
    TargetFactory(value="192.0.2.0/24", kind="range", label="office")
    client.force_login(it_staff)
    response = client.post(OPEN, {"target": typed, "blocklist": barracuda.pk})
    assert response.status_code == 422
    errors = parse(response.content.decode()).find(id="id_target_errors").text
    assert f"No monitored target matches “{typed}”" in errors
    assert not DelistingCase.objects.exists()


def test_a_label_names_its_target_and_an_ambiguous_one_asks_for_more(
    client, it_staff, barracuda
):
    TargetFactory(value="192.0.2.10", label="mail relay 1")
    second = TargetFactory(value="192.0.2.11", label="Mail relay 2")
    client.force_login(it_staff)
    response = client.post(OPEN, {"target": "mail relay", "blocklist": barracuda.pk})
    assert response.status_code == 422
    assert "2 targets match “mail relay”; type more" in response.content.decode()
    assert not DelistingCase.objects.exists()
    client.post(OPEN, {"target": "mail relay 2", "blocklist": barracuda.pk})
    assert DelistingCase.objects.get().target == second


def test_an_archived_target_is_neither_opened_nor_offered(client, it_staff, barracuda):
    TargetFactory(
        value="192.0.2.0/24", kind="range", archived_at=timezone.now(), is_enabled=False
    )
    client.force_login(it_staff)
    for typed, said in [("192.0.2.0/24", "is archived"), ("192.0.2.9", "No monitored")]:
        response = client.post(OPEN, {"target": typed, "blocklist": barracuda.pk})
        assert response.status_code == 422 and said in response.content.decode()
    assert not DelistingCase.objects.exists()
    assert _options(client.get(OPTIONS, {"target": "192.0.2.9"})) == []


def test_a_link_with_the_target_id_shows_the_value_prefilled(client, it_staff):
    target = TargetFactory(value="192.0.2.0/28", kind="range")
    client.force_login(it_staff)
    page = parse(client.get(OPEN, {"target": target.pk}).content.decode())
    field = page.find("input", id="id_target")
    assert field["value"] == "192.0.2.0/28"
    # Suggestions as one types: a datalist fetched by htmx, keyboard-first.
    assert field["list"] == "target-options"
    assert field["hx-get"] == OPTIONS
    assert field["hx-trigger"] == "input changed delay:200ms"
    assert page.find("datalist", id="target-options")


def test_the_dashboard_and_target_page_posts_still_open_cases(
    client, it_staff, barracuda
):
    """They post the target's id, the list and the listed address."""
    target = TargetFactory(value="192.0.2.64/30", kind="range")
    client.force_login(it_staff)
    fields = {"target": target.pk, "blocklist": barracuda.pk, "subject": "192.0.2.65"}
    response = client.post(OPEN, fields)
    case = DelistingCase.objects.get()
    assert response["Location"] == reverse("cases:case-detail", args=[case.pk])
    assert (case.target, case.subject) == (target, "192.0.2.65")


def test_a_refused_form_shows_what_the_text_resolved_to(client, it_staff):
    TargetFactory(value="192.0.2.64/30", kind="range")
    client.force_login(it_staff)
    response = client.post(OPEN, {"target": "192.0.2.65", "blocklist": ""})
    assert response.status_code == 422
    page = parse(response.content.decode())
    assert page.find("input", id="id_target")["value"] == "192.0.2.64/30"
    assert page.find("input", id="id_subject")["value"] == "192.0.2.65"


def test_options_are_at_most_20_in_numeric_order_in_bounded_queries(
    client, it_staff, django_assert_max_num_queries
):
    _targets([f"10.0.{n // 250}.{n % 250 + 1}" for n in range(300)])
    client.force_login(it_staff)
    with django_assert_max_num_queries(5):
        response = client.get(OPTIONS, {"target": "10.0.0."})
    shown = _options(response)
    assert len(shown) == 20
    # Numeric, not text order: .2 before .10, .10 before .100.
    assert shown[:3] == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
    assert shown[-1] == "10.0.0.20"
    with django_assert_max_num_queries(5):
        assert len(_options(client.get(OPTIONS))) == 20
    with django_assert_max_num_queries(5):
        assert len(_options(client.get(OPTIONS, {"target": "10.0.0.0/16"}))) == 20


def test_options_offer_the_range_holding_an_address_and_labels(client, it_staff):
    TargetFactory(value="192.0.2.0/24", kind="range", label="Tokyo office")
    TargetFactory(value="mail.example.com", kind="domain", label="newsletters")
    client.force_login(it_staff)
    assert _options(client.get(OPTIONS, {"target": "192.0.2.77"})) == ["192.0.2.0/24"]
    assert _options(client.get(OPTIONS, {"target": "tokyo"})) == ["192.0.2.0/24"]
    assert _options(client.get(OPTIONS, {"target": "example"})) == ["mail.example.com"]
    page = client.get(OPTIONS, {"target": "tokyo"}).content.decode()
    assert "Tokyo office" in page  # the label beside the value


def test_managers_cannot_open_a_case_nor_read_the_options(client, manager, barracuda):
    target = TargetFactory(value="192.0.2.66")
    client.force_login(manager)
    assert client.get(OPEN).status_code == 403
    assert client.get(OPTIONS, {"target": "192.0.2"}).status_code == 403
    response = client.post(OPEN, {"target": target.value, "blocklist": barracuda.pk})
    assert response.status_code == 403
    assert not DelistingCase.objects.exists()


def test_no_page_under_cases_has_a_select_of_the_targets(client, it_staff, barracuda):
    targets = _targets([f"10.1.0.{n}" for n in range(1, 41)])
    case = DelistingCaseFactory(target=targets[0], blocklist=barracuda)
    client.force_login(it_staff)
    pages = [
        OPEN,
        reverse("cases:case-list"),
        reverse("cases:bounce-intake"),
        reverse("cases:case-detail", args=[case.pk]),
        f"{OPEN}?target={targets[3].pk}",
    ]
    values = {t.value for t in targets}
    for url in pages:
        page = parse(client.get(url).content.decode())
        for select in page.find_all("select"):
            options = select.find_all("option")
            offered = {o.text.strip() for o in options}
            assert len(options) < 40 and not (offered & values), (url, select)


def test_the_bounce_intake_links_to_the_form_with_its_target(client, it_staff):
    """A bounce naming a monitored address but a list blcheck does not know:
    "open a case by hand" fills in the target and the address."""
    pool = TargetFactory(value="192.0.2.64/28", kind="range")
    bounce = (
        "Final-Recipient: rfc822; someone@example.net\n"
        "Action: failed\nStatus: 5.7.1\n"
        "Diagnostic-Code: smtp; 554 5.7.1 Service unavailable; Client host "
        "[192.0.2.66] blocked using nosuch.example.org\n"
    )
    client.force_login(it_staff)
    page = parse(client.post(reverse("cases:bounce-intake"), {"text": bounce}).content)
    link = page.find("a", text="Open a case")["href"]
    assert link == f"{OPEN}?target={pool.pk}&subject=192.0.2.66"
    form = parse(client.get(link).content.decode())
    assert form.find("input", id="id_target")["value"] == "192.0.2.64/28"
    assert form.find("input", id="id_subject")["value"] == "192.0.2.66"
