"""The start page: who may read it, the counts, the recent changes, the cases
due and the running checks, live updates, the empty states and the cost.
(The grid of targets by lists: test_dashboard_grid.py.)"""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from blcheck.monitoring.models import Blocklist, CheckRun, Tag
from tests.factories import (
    BlocklistFactory,
    CheckRunFactory,
    DelistingCaseFactory,
    ListingChangeFactory,
    ListingFactory,
    TargetFactory,
)
from tests.support.history import lookup_queries
from tests.support.html import parse
from tests.support.reading import get_ok

pytestmark = pytest.mark.django_db

URL = reverse("reports:dashboard")
# 15, one for the outage banner (base.html), one for the targets whose latest
# check was blind, one more while checks are running, and two for the counts
# (blind targets, and the answered/failing split of the failing targets: one
# query over every target's listings cost 60-140 ms at 10,000 targets).
QUERY_BUDGET = 20


def dashboard(client, user, **params):
    return parse(get_ok(client, user, URL, **params).content)


def counted(page, number, what):
    """The count's link that reads "<number> <what>", the number in bold."""
    links = [a for a in page.by_id("dash-counts").find_all("a") if what in a.text]
    assert len(links) == 1, what
    assert links[0].find("strong").text == number
    assert links[0].text.endswith(f"{number} {what}")
    return links[0]


# --- who may see it ----------------------------------------------------------


def test_manager_can_read_the_dashboard(client, manager, two_lists):
    page = dashboard(client, manager)
    assert page.find("title").text == "Dashboard · blcheck"
    assert page.find("h1").text == "Dashboard"


def test_outsider_is_refused(client, outsider):
    client.force_login(outsider)
    assert client.get(URL).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- counts ------------------------------------------------------------------


def test_counts_tell_targets_listed_addresses_troubled_lists_and_cases(
    client, manager, two_lists
):
    alpha, bravo = two_lists
    disabled = BlocklistFactory(name="Disabled", is_enabled=False)
    retired = BlocklistFactory(name="Retired", is_retired=True)
    unhealthy = BlocklistFactory(name="Unhealthy", health="refused")
    one, two, _three = TargetFactory.create_batch(3)
    TargetFactory(is_enabled=False)
    ListingFactory(target=one, blocklist=alpha)
    ListingFactory(target=one, blocklist=bravo)  # same address, second list
    ListingFactory(target=two, blocklist=disabled)
    ListingFactory(target=two, blocklist=retired)
    ListingFactory(target=two, blocklist=bravo, is_listed=False, last_error="timeout")
    DelistingCaseFactory(target=one, blocklist=alpha)
    DelistingCaseFactory(target=one, blocklist=bravo, is_overdue=True)
    DelistingCaseFactory(target=two, blocklist=alpha, status="closed")
    DelistingCaseFactory(target=two, blocklist=bravo, status="abandoned")

    response = get_ok(client, manager, URL)

    counts = response.context["counts"]
    assert counts.targets == 3
    assert counts.listed_addresses == 1  # one address, even on two lists
    assert (counts.lists_unhealthy, counts.lists_erroring) == (1, 1)
    assert counts.lists_troubled == 2  # Unhealthy and Bravo
    assert (counts.cases_open, counts.cases_overdue) == (2, 1)
    assert (counts.targets_unchecked, counts.targets_unanswered) == (1, 1)
    page = parse(response.content)
    counted(page, "3", "targets monitored")
    counted(page, "1", "address listed at the last answers")
    counted(page, "1", "target not checked yet")
    counted(page, "1", "target without answers")
    counted(page, "2", "lists unhealthy or erroring")
    counted(page, "2", "open cases")
    counted(page, "1", "case overdue")
    assert unhealthy.name in page.by_id("dash-grid").text  # still a column


def test_counts_link_to_the_pages_that_list_them(client, manager, two_lists):
    counts = dashboard(client, manager).by_id("dash-counts")
    counts.find("a", href=reverse("monitoring:target-list"))
    counts.find("a", href=f"{URL}?state=listed#dash-grid-title")
    counts.find("a", href=reverse("monitoring:blocklist-list"))
    cases = reverse("cases:case-list")
    counts.find("a", href=f"{cases}?active=true")
    counts.find("a", href=f"{cases}?is_overdue=true&active=true")


def test_case_links_of_the_counts_select_the_counted_cases(client, manager, two_lists):
    alpha, bravo = two_lists
    overdue = DelistingCaseFactory(blocklist=alpha, is_overdue=True)
    DelistingCaseFactory(blocklist=bravo)
    DelistingCaseFactory(blocklist=alpha, status="closed", is_overdue=True)
    client.force_login(manager)
    response = client.get(
        reverse("cases:case-list"), {"is_overdue": "true", "active": "true"}
    )
    assert [case.pk for case in response.context["cases"]] == [overdue.pk]


def test_error_counts_as_erroring_and_never_as_listed(client, manager, two_lists):
    target = TargetFactory()
    ListingFactory(
        target=target, blocklist=two_lists[0], is_listed=False, last_error="servfail"
    )
    counts = get_ok(client, manager, URL).context["counts"]
    assert counts.listed_addresses == 0
    assert counts.lists_erroring == 1


# --- changes, cases, runs ----------------------------------------------------


def test_recent_changes_newest_first_at_most_ten(client, manager, two_lists):
    now = timezone.now()
    target = TargetFactory()
    listing = ListingFactory(target=target, blocklist=two_lists[0])
    for hours in range(12):
        ListingChangeFactory(listing=listing, at=now - timedelta(hours=hours))
    cleared = ListingChangeFactory(
        listing=listing, kind="cleared", at=now + timedelta(minutes=1)
    )

    response = get_ok(client, manager, URL)

    changes = response.context["changes"]
    assert len(changes) == 10
    assert changes[0] == cleared
    assert [c.at for c in changes] == sorted((c.at for c in changes), reverse=True)
    panel = parse(response.content).by_id("dash-changes")
    badges = [badge.text for badge in panel.find_all("span", class_="badge")]
    assert badges[0] == "✓ Cleared" and "✕ Listed" in badges
    link = panel.find("a", href=reverse("reports:target-detail", args=[target.pk]))
    assert link.find("code").text == listing.subject


def test_open_cases_are_ordered_by_due_date_and_closed_ones_absent(
    client, manager, two_lists
):
    now = timezone.now()
    alpha = two_lists[0]
    later = DelistingCaseFactory(
        blocklist=alpha, removal_due_at=now + timedelta(days=2)
    )
    undated = DelistingCaseFactory(blocklist=alpha)
    watching = DelistingCaseFactory(
        blocklist=alpha, status="watching", reevaluate_at=now + timedelta(days=20)
    )
    soon = DelistingCaseFactory(
        blocklist=alpha, removal_due_at=now - timedelta(hours=1), is_overdue=True
    )
    DelistingCaseFactory(blocklist=alpha, status="closed", removal_due_at=now)
    DelistingCaseFactory(blocklist=alpha, status="abandoned", removal_due_at=now)

    response = get_ok(client, manager, URL)

    assert response.context["cases"] == [soon, later, watching, undated]
    panel = parse(response.content).by_id("dash-cases")
    panel.find("a", href=reverse("cases:case-detail", args=[soon.pk]))
    assert panel.find("span", class_="badge-overdue").text == "⚠ overdue"
    assert panel.find("span", class_="status-watching").text == "Watching re-evaluation"


def test_running_check_is_shown_with_its_progress(client, manager, two_lists):
    run = CheckRunFactory(status=CheckRun.Status.RUNNING, total=10, done=4)
    CheckRunFactory(status=CheckRun.Status.FINISHED, total=5, done=5)

    panel = dashboard(client, manager).by_id("dash-runs")

    panel.find("a", href=reverse("monitoring:run-detail", args=[run.pk]))
    assert "4/10 lookups" in panel.text
    progress = panel.find("progress", max="10", value="4")
    assert progress["id"].startswith("dash-run-")
    assert "No check is running." not in panel.text


def test_runs_asked_together_are_one_row(client, manager, two_lists):
    group = uuid.uuid4()
    CheckRunFactory(status="running", total=10, done=5, group=group)
    CheckRunFactory(status="queued", total=0, group=group)
    CheckRunFactory(status="finished", total=10, done=10, group=group)

    response = get_ok(client, manager, URL)

    (row,) = response.context["runs"]
    assert (row.runs, row.active, row.total, row.done) == (3, 2, 20, 15)
    panel = parse(response.content).by_id("dash-runs")
    link = panel.find("a", href=reverse("monitoring:group-progress", args=[group]))
    assert link.text == "3 targets checked together"


def test_no_running_check_has_its_message(client, manager, two_lists):
    CheckRunFactory(status=CheckRun.Status.FINISHED)
    assert "No check is running." in dashboard(client, manager).by_id("dash-runs").text


# --- live updates, empty state, cost -----------------------------------------


def test_htmx_poll_gets_the_panels_without_the_page(client, manager, two_lists):
    TargetFactory()
    client.force_login(manager)
    response = client.get(URL, {"q": "198"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    page = parse(response.content)
    for region in (
        "dash-counts",
        "dash-runs",
        "dash-grid",
        "dash-cases",
        "dash-changes",
    ):
        page.by_id(region)


def test_page_polls_itself_with_its_filters(client, manager, two_lists):
    TargetFactory()
    page = dashboard(client, manager, q="198", page=1)
    poller = page.find(hx_get=f"{URL}?q=198&page=1")
    assert poller["hx-trigger"].startswith("every 15s")
    counts = page.by_id("dash-counts")
    assert "dash-counts" in counts.classes and counts["aria-live"] == "polite"


def test_fresh_install_tells_it_staff_what_to_do(client, it_staff, two_lists):
    page = dashboard(client, it_staff)
    assert "No target is monitored yet." in page.text
    for name in (
        "monitoring:target-create",
        "monitoring:target-bulk",
        "cases:bounce-intake",
    ):
        page.find("a", href=reverse(name))


def test_fresh_install_tells_a_manager_to_wait(client, manager, two_lists):
    html = get_ok(client, manager, URL).content.decode()
    assert "No target is monitored yet." in parse(html).text
    assert reverse("monitoring:target-create") not in html


def test_no_enabled_list_is_said(client, manager):
    Blocklist.objects.update(is_enabled=False)
    TargetFactory()
    assert "No blocklist is enabled" in dashboard(client, manager).text


def populate(n_targets, n_lists):
    Blocklist.objects.update(is_enabled=False)
    blocklists = [BlocklistFactory(name=f"List {n:02d}") for n in range(n_lists)]
    tag = Tag.objects.create(name=f"tag{n_targets}")
    for n in range(n_targets):
        target = TargetFactory(value=f"10.2.{n_targets}.{n}")
        target.tags.add(tag)
        for i, blocklist in enumerate(blocklists):
            listing = ListingFactory(
                target=target,
                blocklist=blocklist,
                is_listed=(n + i) % 3 == 0,
                last_error="timeout" if (n + i) % 5 == 0 else "",
            )
            if listing.is_listed:
                ListingChangeFactory(listing=listing)
        DelistingCaseFactory(target=target, blocklist=blocklists[0])
        CheckRunFactory(target=target, status="running", total=10, done=n % 10)
    return blocklists


def test_query_count_does_not_grow_with_targets_or_lists(
    client, it_staff, django_assert_max_num_queries, django_assert_num_queries
):
    client.force_login(it_staff)
    populate(3, 2)
    with django_assert_max_num_queries(QUERY_BUDGET) as small:
        assert client.get(URL).status_code == 200
    populate(30, 8)
    with django_assert_num_queries(len(small)):
        response = client.get(URL)
    assert len(response.context["grid"].rows) == 33


def test_dashboard_never_reads_the_lookup_table(
    client, it_staff, django_assert_max_num_queries
):
    client.force_login(it_staff)
    populate(5, 3)
    with django_assert_max_num_queries(QUERY_BUDGET) as captured:
        assert client.get(URL).status_code == 200
    assert lookup_queries(captured) == []


def test_the_polled_dashboard_travels_compressed(client, it_staff):
    barracuda = BlocklistFactory()
    for n in range(30):
        ListingFactory(
            target=TargetFactory(value=f"192.0.2.{n + 1}"), blocklist=barracuda
        )
    client.force_login(it_staff)
    plain = client.get(reverse("reports:dashboard"))
    packed = client.get(
        reverse("reports:dashboard"),
        HTTP_ACCEPT_ENCODING="gzip",
        HTTP_HX_REQUEST="true",
    )
    assert packed["Content-Encoding"] == "gzip"
    assert len(packed.content) * 5 < len(plain.content)
