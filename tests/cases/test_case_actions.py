"""Cases say what can be done now: the request form only where the list takes
requests and the case can still use one, the close menu only with the ends
its status allows, a reason in one sentence where a form is missing, and a
forged post refused with a clear message and nothing written."""

import pytest
from django.urls import reverse
from django.utils import translation

from blcheck.cases import services, workflow
from blcheck.cases.models import CaseEvent, DelistingCase
from blcheck.monitoring.models import Blocklist
from tests.support.cases import BBR, open_case
from tests.support.html import parse

pytestmark = pytest.mark.django_db

# The statuses a request can be recorded in (a first one, or an amendment).
REQUESTABLE = {"open", "requested", "awaiting_removal", "relisted", "rejected"}
# The close menu in each status, in its order.
ENDS = {
    "open": ["abandoned"],
    "requested": ["rejected", "abandoned"],
    "awaiting_removal": ["abandoned"],
    "removal_verified": ["closed"],
    "watching": ["closed"],
    "relisted": ["abandoned"],
    "rejected": ["abandoned"],
    "abandoned": [],
    "closed": [],
}
WHY_NOT = {
    "removal_verified": "blcheck verified the removal, so no request is needed; "
    "close the case when the work is done.",
    "watching": "This case is being watched for relisting until the list's "
    "re-evaluation; no request is needed.",
    "abandoned": "This case has ended; if the address is listed again, open a "
    "new case.",
    "closed": "This case has ended; if the address is listed again, open a new case.",
}
SPAMCOP_WHY = (
    "SpamCop listings expire on their own after 24 hours without new reports, "
    "so the list takes no requests; blcheck verifies the removal."
)
BBR_FORMAT = (
    "Barracuda Reputation confirmation numbers are BBR followed by digits and "
    "hyphens, e.g. BBR1234567-89."
)
# The Japanese message, in pieces (its brackets are full-width).
BBR_FORMAT_JA = (
    "Barracuda Reputation の受付番号は「BBR の後に数字とハイフン」の形です",
    "例: BBR1234567-89",
)


@pytest.fixture
def case(barracuda, it_staff):
    """192.0.2.66's case on Barracuda (a web form), just opened."""
    return open_case(barracuda, it_staff)


@pytest.fixture
def spamcop_case(it_staff):
    spamcop = Blocklist.objects.create(
        zone="bl.spamcop.test", name="SpamCop", delist_method="expiry", expiry_hours=24
    )
    return open_case(spamcop, it_staff)


def in_status(case, status):
    DelistingCase.objects.filter(pk=case.pk).update(status=status)
    case.refresh_from_db()
    return case


def page_of(client, case, lang="en"):
    url = reverse("cases:case-detail", args=[case.pk])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    return parse(response.content)


def form_of(page, name, case):
    found = page.find_all("form", action=reverse(f"cases:{name}", args=[case.pk]))
    return found[0] if found else None


def close_menu(page, case):
    form = form_of(page, "case-close", case)
    if form is None:
        return []
    return [option["value"] for option in form.find("select").find_all("option")]


def post(client, name, case, data, lang="en"):
    url = reverse(f"cases:{name}", args=[case.pk])
    return client.post(url, data, HTTP_ACCEPT_LANGUAGE=lang)


def history(case):
    return list(case.events.values_list("pk", "kind", "detail"))


# --- what the page offers ------------------------------------------------------


@pytest.mark.parametrize("status", list(ENDS))
def test_each_status_offers_the_request_form_and_close_menu_it_allows(
    client, it_staff, case, status
):
    client.force_login(it_staff)
    page = page_of(client, in_status(case, status))
    has_form = form_of(page, "case-mark-requested", case) is not None
    assert has_form == (status in REQUESTABLE)
    assert close_menu(page, case) == ENDS[status]
    why = page.find_all(id="request-unavailable")
    if status in REQUESTABLE:
        assert why == []
    else:
        assert why[0].text == WHY_NOT[status]


def test_an_expiring_list_shows_why_instead_of_the_form(client, it_staff, spamcop_case):
    client.force_login(it_staff)
    assert spamcop_case.status == "awaiting_removal"
    page = page_of(client, spamcop_case)
    assert form_of(page, "case-mark-requested", spamcop_case) is None
    assert page.by_id("request-unavailable").text == SPAMCOP_WHY
    assert close_menu(page, spamcop_case) == ["abandoned"]
    ja = page_of(client, spamcop_case, "ja").by_id("request-unavailable").text
    assert ja.startswith("SpamCop の掲載は新しい報告がないまま 24 時間")


@pytest.mark.parametrize(
    ("method", "why"),
    [
        ("isp", "Only the owner of the network (your hosting provider or upstream)"),
        ("none", "Listy takes no removal requests; blcheck keeps checking"),
    ],
)
def test_lists_without_requests_say_what_to_do(client, it_staff, method, why):
    listy = Blocklist.objects.create(
        zone="listy.dnsbl.test", name="Listy", delist_method=method
    )
    case = open_case(listy, it_staff)
    client.force_login(it_staff)
    page = page_of(client, case)
    assert form_of(page, "case-mark-requested", case) is None
    assert page.by_id("request-unavailable").text.startswith(why)


def test_a_list_without_a_known_method_takes_requests(client, it_staff):
    """A list added by hand with no delisting method: staff know what they did."""
    unknown = Blocklist.objects.create(zone="own.dnsbl.test", name="Own")
    case = open_case(unknown, it_staff)
    client.force_login(it_staff)
    assert form_of(page_of(client, case), "case-mark-requested", case) is not None


def test_managers_read_the_reason_and_get_no_forms(client, manager, spamcop_case):
    client.force_login(manager)
    page = page_of(client, spamcop_case)
    assert page.by_id("request-unavailable").text == SPAMCOP_WHY
    actions = [form.get("action", "") for form in page.find_all("form")]
    assert not [action for action in actions if action.startswith("/cases/")]


# --- forged posts --------------------------------------------------------------


def test_a_forged_request_on_an_expiring_list_is_refused(
    client, it_staff, spamcop_case
):
    client.force_login(it_staff)
    before = history(spamcop_case)
    response = post(
        client,
        "case-mark-requested",
        spamcop_case,
        {"method": "email", "reference": "SC-1", "request_text": "Please remove."},
    )
    assert response.status_code == 422
    page = parse(response.content)
    assert page.by_id("refusal").find("p").text == (
        "⚠ The request was not saved: " + SPAMCOP_WHY
    )
    # What was typed is shown back to copy; the case is as it was.
    assert "Please remove." in page.by_id("unsaved").text
    spamcop_case.refresh_from_db()
    assert (spamcop_case.status, spamcop_case.method) == ("awaiting_removal", "")
    assert history(spamcop_case) == before


@pytest.mark.parametrize("status", ["removal_verified", "watching", "closed"])
def test_a_request_posted_after_the_removal_is_refused(client, it_staff, case, status):
    client.force_login(it_staff)
    case = in_status(case, status)
    before = history(case)
    response = post(client, "case-mark-requested", case, {"method": "form"})
    assert response.status_code == 422
    refusal = parse(response.content).by_id("refusal")
    assert refusal.find("p").text == "⚠ The request was not saved: " + WHY_NOT[status]
    assert refusal.find("dl").text == "Method Web form"  # what was sent, to copy
    case.refresh_from_db()
    assert case.status == status and history(case) == before


def test_the_refusal_speaks_japanese_to_a_japanese_reader(client, it_staff, case):
    client.force_login(it_staff)
    case = in_status(case, "watching")
    response = post(client, "case-mark-requested", case, {"method": "form"}, "ja")
    refusal = parse(response.content).by_id("refusal").text
    assert refusal.startswith("⚠ 依頼は保存されませんでした: この案件はリストの再評価")


def test_the_service_refuses_a_request_the_page_would_not_offer(case, it_staff):
    case = in_status(case, "watching")
    with pytest.raises(services.RequestRefused) as refused:
        services.case_mark_requested(case=case, by=it_staff, method="form")
    assert refused.value.reason is workflow.NoRequest.WATCHING
    assert case.events.count() == 1


@pytest.mark.parametrize("forged", ["closed", "requested", "open", "nonsense"])
def test_a_forged_close_choice_is_refused(client, it_staff, case, forged):
    client.force_login(it_staff)
    before = history(case)
    response = post(
        client, "case-close", case, {"to": forged, "text": "because reasons"}
    )
    assert response.status_code == 422
    page = parse(response.content)
    assert page.by_id("refusal").find("p").text == (
        "⚠ A case that is “Open” cannot be ended that way; it can be: "
        "“Abandon the case”. Nothing was changed."
    )
    assert page.by_id("id_close_text")["value"] == "because reasons"  # kept
    case.refresh_from_db()
    assert case.status == "open" and history(case) == before


def test_an_ended_case_cannot_be_ended_again(client, it_staff, case):
    client.force_login(it_staff)
    case = in_status(case, "closed")
    before = history(case)
    for lang, words in [
        ("en", ["This case has already ended (Closed); nothing was changed."]),
        ("ja", ["この案件はすでに終了しています", "完了", "何も変更していません。"]),
    ]:
        data = {"to": "abandoned", "text": "gone"}
        response = post(client, "case-close", case, data, lang)
        assert response.status_code == 422
        refusal = parse(response.content).by_id("refusal")
        assert all(piece in refusal.find("p").text for piece in words)
        assert refusal.find("dd").text == "gone"  # no menu to keep it: shown
    case.refresh_from_db()
    assert case.status == "closed" and history(case) == before


def test_the_service_refuses_an_end_the_menu_would_not_offer(case, it_staff):
    with pytest.raises(workflow.TransitionError):
        services.case_close_by_hand(case=case, by=it_staff, to="requested")
    case.refresh_from_db()
    assert case.status == "open" and case.events.count() == 1


def test_a_verified_case_is_closed_as_done(client, it_staff, case):
    client.force_login(it_staff)
    case = in_status(case, "watching")
    response = post(
        client, "case-close", case, {"to": "closed", "text": "Checked by hand."}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "closed"
    assert case.closed_at is not None and case.next_check_at is None
    closed = case.events.get(kind=CaseEvent.Kind.CLOSED)
    assert (closed.actor, closed.detail) == (it_staff, "Checked by hand.")
    item = parse(client.get(reverse("cases:case-detail", args=[case.pk])).content)
    last = item.find("ol", class_="timeline").find_all("li")[-1]
    assert last.text.endswith("Closed by itstaff: Checked by hand.")


# --- the confirmation number ---------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "words"), [("en", (BBR_FORMAT,)), ("ja", BBR_FORMAT_JA)]
)
def test_a_wrong_confirmation_number_is_explained_with_an_example(
    client, it_staff, case, lang, words
):
    client.force_login(it_staff)
    response = post(
        client,
        "case-mark-requested",
        case,
        {"method": "form", "reference": "12345"},
        lang,
    )
    assert response.status_code == 422
    page = parse(response.content)
    error = page.by_id("id_reference_errors").text
    assert all(piece in error for piece in words)
    assert error.startswith("⚠ Barracuda Reputation ")
    assert "[0-9" not in page.text and "^BBR" not in page.text
    case.refresh_from_db()
    assert case.status == "open"


def test_the_example_is_a_number_the_list_accepts(client, it_staff, case):
    client.force_login(it_staff)
    response = post(
        client,
        "case-mark-requested",
        case,
        {"method": "form", "reference": "BBR1234567-89"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.reference) == ("requested", "BBR1234567-89")


def test_a_pattern_of_another_shape_is_never_shown(it_staff):
    from blcheck.cases.forms import reference_error

    listy = Blocklist(name="Listy", reference_pattern=r"^(AB|CD)\d+$")
    with translation.override("en"):
        error = reference_error(listy, "XY1")
    assert error == (
        "Listy confirmation numbers have a format of their own: enter the number "
        "exactly as the list's confirmation page or e-mail shows it."
    )
    assert reference_error(listy, "AB12") is None
    assert reference_error(Blocklist(name="B", reference_pattern="^BBR["), BBR) is None
