"""The target page: who may read it, what each list says now, the cases."""

from datetime import timedelta

import pytest
from django.urls import reverse

from blcheck.cases.models import DelistingCase
from blcheck.monitoring.models import Blocklist, Target
from tests.factories import (
    BlocklistFactory,
    CheckRunFactory,
    DelistingCaseFactory,
    ListingFactory,
    LookupFactory,
    TargetFactory,
)
from tests.support.history import NOW
from tests.support.reading import (
    get_ok,
    row,
    row_linking,
    section,
    target_page,
)

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


def verdicts(client, user, target):
    return section(target_page(client, user, target), "verdicts")


# --- Verdict per list ----------------------------------------------------------


def test_each_list_tells_its_own_verdict(client, manager, four_lists, ipv4_target):
    alpha, bravo, charlie, _delta = four_lists
    ListingFactory(
        target=ipv4_target,
        blocklist=alpha,
        last_changed_at=NOW - timedelta(days=2),
        codes=["127.0.0.4"],
        reason="Listed for spam, see https://alpha.test/66",
    )
    ListingFactory(
        target=ipv4_target,
        blocklist=bravo,
        is_listed=False,
        last_changed_at=NOW - timedelta(days=1),
        change_count=2,
    )
    ListingFactory(
        target=ipv4_target, blocklist=charlie, is_listed=False, last_error="timeout"
    )
    states = verdicts(client, manager, ipv4_target)

    listed = row(states, "Alpha")
    assert "verdict-listed" in listed.classes
    assert listed.find_all("span", class_="badge-listed")
    assert "127.0.0.4" in listed.text and "https://alpha.test/66" in listed.text
    assert "listed since" in listed.text
    clean = row(states, "Bravo")
    assert clean.find_all("span", class_="badge-not_listed") and "since" in clean.text
    error = row(states, "Charlie")
    assert error.find_all("span", class_="badge-error")
    assert "No answer in time" in error.text
    assert "no answer from this list on record" in error.text
    never = row(states, "Delta")
    assert never.find_all("span", class_="badge-unchecked")
    assert "Not checked yet" in never.text
    assert "Listed on 1 of 4 lists at the last answers." in states.text


def test_error_is_never_shown_as_not_listed(client, manager, four_lists, ipv4_target):
    alpha, bravo, *_ = four_lists
    ListingFactory(
        target=ipv4_target,
        blocklist=alpha,
        last_error="servfail",
        last_changed_at=NOW - timedelta(days=3),
    )
    ListingFactory(
        target=ipv4_target,
        blocklist=bravo,
        is_listed=False,
        last_error="refused",
        change_count=2,
    )
    states = verdicts(client, manager, ipv4_target)
    for name, known in (("Alpha", "last known: listed since"), ("Bravo", "not listed")):
        state = row(states, name)
        assert state.find_all("span", class_="badge-error") and known in state.text
        assert not state.find_all(class_="badge-not_listed")
        assert not state.find_all(class_="badge-listed")
    assert "(SERVFAIL)" in row(states, "Alpha").text
    assert "No answers at the last check: 2 of 4 lists could not be asked" in (
        states.text
    )


def test_state_icons_are_hidden_from_screen_readers_but_text_is_not(
    client, manager, four_lists, ipv4_target
):
    ListingFactory(target=ipv4_target, blocklist=four_lists[0])
    listed = row(verdicts(client, manager, ipv4_target), "Alpha")
    badge = listed.find("span", class_="badge-listed")
    assert badge.find("span", aria_hidden="true").text == "✕"
    assert badge.text == "✕ Listed"  # the word is outside the hidden icon


def test_only_lists_fitting_the_target_are_shown(client, manager, four_lists):
    BlocklistFactory(
        zone="v6.dnsbl.test", name="Sixonly", has_ipv4=False, has_ipv6=True
    )
    BlocklistFactory(
        zone="dom.dnsbl.test", name="Domains", has_ipv4=False, has_domains=True
    )
    BlocklistFactory(zone="old.dnsbl.test", name="Retired", is_retired=True)
    domain = TargetFactory(value="mail.example.com", kind=Target.Kind.DOMAIN)
    address = TargetFactory(value="2001:db8::25")
    domain_states = verdicts(client, manager, domain).text
    address_states = verdicts(client, manager, address).text
    assert "Domains" in domain_states and "Alpha" not in domain_states
    assert "Sixonly" in address_states and "Alpha" not in address_states
    assert "Retired" not in domain_states + address_states


def test_range_counts_and_names_its_listed_addresses(client, manager, four_lists):
    target = TargetFactory(value="192.0.2.0/28", kind=Target.Kind.RANGE)
    for n in range(16):
        ListingFactory(
            target=target,
            blocklist=four_lists[0],
            subject=f"192.0.2.{n}",
            is_listed=n < 12,
        )
    ListingFactory(
        target=target, blocklist=four_lists[1], subject="192.0.2.1", is_listed=False
    )
    states = verdicts(client, manager, target)
    alpha = row(states, "Alpha")
    assert "12 of 16 answering addresses listed" in alpha.text
    assert len(alpha.find_all("li")) == 11 and "and 2 more addresses" in alpha.text
    shown = [code.text for code in alpha.find_all("code")]
    assert "192.0.2.0" in shown and "192.0.2.14" not in shown
    assert "1 address answered, none listed" in row(states, "Bravo").text


def test_it_staff_can_open_a_case_from_a_listed_row(
    client, it_staff, four_lists, ipv4_target
):
    ListingFactory(target=ipv4_target, blocklist=four_lists[0])
    alpha = row(verdicts(client, it_staff, ipv4_target), "Alpha")
    assert "Open a delisting case" in alpha.text
    alpha.find("input", name="blocklist", value=str(four_lists[0].pk))


def test_listed_row_links_its_active_case_instead(
    client, it_staff, four_lists, ipv4_target
):
    alpha_list = four_lists[0]
    ListingFactory(target=ipv4_target, blocklist=alpha_list)
    DelistingCaseFactory(target=ipv4_target, blocklist=alpha_list, status="closed")
    case = DelistingCaseFactory(
        target=ipv4_target, blocklist=alpha_list, status="requested"
    )
    alpha = row(verdicts(client, it_staff, ipv4_target), "Alpha")
    assert "Open a delisting case" not in alpha.text
    alpha.find("a", href=reverse("cases:case-detail", args=[case.pk]))
    assert "Removal requested" in alpha.text


def test_manager_sees_no_case_or_check_buttons(
    client, manager, four_lists, ipv4_target
):
    ListingFactory(target=ipv4_target, blocklist=four_lists[0])
    CheckRunFactory(target=ipv4_target, status="finished")
    url = reverse("reports:target-detail", args=[ipv4_target.pk])
    page = get_ok(client, manager, url).content.decode()
    assert "Open a delisting case" not in page and "Check now" not in page
    assert "/check/" not in page and reverse("cases:case-open") not in page


def test_outsider_is_refused(client, outsider, ipv4_target):
    client.force_login(outsider)
    url = reverse("reports:target-detail", args=[ipv4_target.pk])
    assert client.get(url).status_code == 403


def test_anonymous_is_sent_to_login(client, ipv4_target):
    response = client.get(reverse("reports:target-detail", args=[ipv4_target.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_title_is_the_target_value_only(client, manager, ipv4_target):
    page = target_page(client, manager, ipv4_target)
    assert page.find("title").text == "192.0.2.66 · blcheck"


@pytest.mark.parametrize(
    ("kind", "value", "family"),
    [
        ("address", "192.0.2.10", "ipv4"),
        ("range", "198.51.100.0/24", "ipv4"),
        ("address", "2001:db8::1", "ipv6"),
        ("range", "2001:db8::/120", "ipv6"),
        ("domain", "mail.example.com", "domain"),
    ],
)
def test_a_target_knows_which_lists_can_answer_for_it(kind, value, family):
    assert Target(kind=kind, value=value).family == family
    covering = Blocklist(has_ipv4=family == "ipv4", has_ipv6=family == "ipv6")
    covering.has_domains = family == "domain"
    assert covering.kinds == {family}


# --- Cases -----------------------------------------------------------------------


def test_cases_are_listed_the_active_ones_first(
    client, manager, four_lists, ipv4_target
):
    alpha, bravo, charlie, _delta = four_lists
    active = DelistingCaseFactory(
        target=ipv4_target, blocklist=alpha, status="requested"
    )
    closed = DelistingCaseFactory(target=ipv4_target, blocklist=bravo, status="closed")
    older = DelistingCaseFactory(
        target=ipv4_target, blocklist=charlie, status="watching"
    )
    DelistingCase.objects.filter(pk=active.pk).update(opened_at=NOW - timedelta(days=9))
    DelistingCase.objects.filter(pk=older.pk).update(opened_at=NOW - timedelta(days=20))
    cases = section(target_page(client, manager, ipv4_target), "cases")
    links = [a["href"] for a in cases.find_all("a")]
    detail = [
        reverse("cases:case-detail", args=[c.pk]) for c in (active, older, closed)
    ]
    assert links == detail
    assert row_linking(cases, detail[0]).find_all(class_="status-requested")
    assert "Removal requested" in cases.text


def test_a_target_without_cases_says_so(client, manager, ipv4_target):
    page = target_page(client, manager, ipv4_target)
    assert "No delisting case for this target so far." in page.text


# --- Latest check ----------------------------------------------------------------


def test_finished_run_is_summed_up_with_a_link_to_its_answers(
    client, manager, ipv4_target
):
    run = CheckRunFactory(
        target=ipv4_target, status="finished", done=20, listed_count=2, error_count=1
    )
    LookupFactory(run=run, verdict="error", error="servfail")
    latest = section(target_page(client, manager, ipv4_target), "latest-check")
    assert "Finished: 2 listed, 17 not listed." in latest.text
    assert "1 lookup could not be made (SERVFAIL)." in latest.text
    latest.find("a", href=reverse("monitoring:run-detail", args=[run.pk]))
