"""The start page: counts, the target-by-list grid, changes, cases and runs."""

import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from blcheck.cases.models import DelistingCase
from blcheck.monitoring.models import Blocklist, CheckRun, Tag, Target
from tests.factories import (
    BlocklistFactory,
    CheckRunFactory,
    DelistingCaseFactory,
    ListingChangeFactory,
    ListingFactory,
    TargetFactory,
)

pytestmark = pytest.mark.django_db

URL = reverse("reports:dashboard")
QUERY_BUDGET = 16  # 15, and one more while checks are running


@pytest.fixture
def lists():
    """Two enabled lists, Alpha and Bravo; nothing else is a column."""
    Blocklist.objects.update(is_enabled=False)
    return [
        BlocklistFactory(zone="alpha.dnsbl.test", name="Alpha"),
        BlocklistFactory(zone="bravo.dnsbl.test", name="Bravo"),
    ]


def _get(client, user, **params):
    client.force_login(user)
    response = client.get(URL, params)
    assert response.status_code == 200
    return response


def _row(response, target):
    """The grid row of one target, as HTML."""
    html = response.content.decode()
    start = html.index(f'<th scope="row"><a href="/targets/{target.pk}/">')
    return html[start : html.index("</tr>", start)]


def _cells(response, target):
    return re.findall(r'<td class="cell[^"]*".*?</td>', _row(response, target), re.S)


def _grid_values(response):
    return [row.target.value for row in response.context["grid"].rows]


# --- who may see it ----------------------------------------------------------


def test_manager_can_read_the_dashboard(client, manager, lists):
    html = _get(client, manager).content.decode()
    assert "<title>Dashboard · blcheck</title>" in html
    assert "<h1>Dashboard</h1>" in html


def test_outsider_is_refused(client, outsider):
    client.force_login(outsider)
    assert client.get(URL).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- counts ------------------------------------------------------------------


def test_counts_tell_targets_listed_addresses_troubled_lists_and_cases(
    client, manager, lists
):
    alpha, bravo = lists
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

    response = _get(client, manager)

    counts = response.context["counts"]
    assert counts.targets == 3
    assert counts.listed_addresses == 1  # one address, even on two lists
    assert (counts.lists_unhealthy, counts.lists_erroring) == (1, 1)
    assert counts.lists_troubled == 2  # Unhealthy and Bravo
    assert (counts.cases_open, counts.cases_overdue) == (2, 1)
    html = response.content.decode()
    assert "<strong>3</strong> targets monitored" in html
    assert "<strong>1</strong> address listed now" in html
    assert "<strong>2</strong> lists unhealthy or erroring" in html
    assert "<strong>2</strong> open cases" in html
    assert "<strong>1</strong> case overdue" in html
    assert unhealthy.name in html  # an unhealthy list is still a column


def test_counts_link_to_the_pages_that_list_them(client, manager, lists):
    html = _get(client, manager).content.decode()
    assert f'href="{reverse("monitoring:target-list")}"' in html
    assert f'href="{URL}?state=listed#dash-grid-title"' in html
    assert f'href="{reverse("monitoring:blocklist-list")}"' in html
    cases = reverse("cases:case-list")
    assert f'href="{cases}?active=true"' in html
    assert f'href="{cases}?is_overdue=true&amp;active=true"' in html


def test_case_links_of_the_counts_select_the_counted_cases(client, manager, lists):
    alpha, bravo = lists
    overdue = DelistingCaseFactory(blocklist=alpha, is_overdue=True)
    DelistingCaseFactory(blocklist=bravo)
    DelistingCaseFactory(blocklist=alpha, status="closed", is_overdue=True)
    client.force_login(manager)
    response = client.get(
        reverse("cases:case-list"), {"is_overdue": "true", "active": "true"}
    )
    assert [case.pk for case in response.context["cases"]] == [overdue.pk]


def test_error_counts_as_erroring_and_never_as_listed(client, manager, lists):
    target = TargetFactory()
    ListingFactory(
        target=target, blocklist=lists[0], is_listed=False, last_error="servfail"
    )
    counts = _get(client, manager).context["counts"]
    assert counts.listed_addresses == 0
    assert counts.lists_erroring == 1


# --- the grid ----------------------------------------------------------------


def test_grid_tells_each_cell_state_in_text(client, manager, lists):
    alpha, bravo = lists
    extra = BlocklistFactory(zone="charlie.dnsbl.test", name="Charlie")
    target = TargetFactory(value="192.0.2.7")
    ListingFactory(target=target, blocklist=alpha)
    ListingFactory(target=target, blocklist=bravo, is_listed=False)

    response = _get(client, manager)

    states = [cell.state for cell in response.context["grid"].rows[0].cells]
    assert states == ["listed", "not_listed", "never"]
    listed, clean, never = _cells(response, target)
    assert "✕" in listed and "listed" in listed
    assert 'aria-hidden="true">✓' in clean and "Not listed" in clean
    assert 'aria-hidden="true">·' in never and "Never checked" in never
    assert extra.name in response.content.decode()


def test_error_is_shown_with_its_label_never_as_not_listed(client, manager, lists):
    target = TargetFactory()
    ListingFactory(
        target=target, blocklist=lists[0], is_listed=False, last_error="timeout"
    )

    response = _get(client, manager)

    cell = _cells(response, target)[0]
    assert response.context["grid"].rows[0].cells[0].state == "error"
    assert "cell-error" in cell and "error" in cell
    assert "No answer in time" in cell
    assert "Not listed" not in cell


def test_listed_cell_with_a_failed_lookup_stays_listed(client, manager, lists):
    target = TargetFactory()
    ListingFactory(target=target, blocklist=lists[0], last_error="refused")
    cell = _cells(_get(client, manager), target)[0]
    assert "cell-listed" in cell
    assert "The list&#x27;s server refused the query (REFUSED)" in cell


def test_range_cell_counts_its_listed_addresses(client, it_staff, lists):
    target = TargetFactory(value="192.0.2.0/30", kind=Target.Kind.RANGE)
    for n in (1, 2, 3):
        ListingFactory(target=target, blocklist=lists[0], subject=f"192.0.2.{n}")
    ListingFactory(
        target=target, blocklist=lists[0], subject="192.0.2.0", is_listed=False
    )

    cell = _cells(_get(client, it_staff), target)[0]

    assert "3 listed" in cell
    assert "Open a delisting case" not in cell  # several addresses: the target page
    assert f'href="/targets/{target.pk}/"' in cell


def test_domain_target_is_not_applicable_on_an_ip_list(client, manager, lists):
    target = TargetFactory(value="mail.example.com", kind=Target.Kind.DOMAIN)
    cell = _cells(_get(client, manager), target)[0]
    assert "cell-na" in cell and "Not applicable" in cell


def test_retired_and_disabled_lists_are_not_columns(client, manager, lists):
    BlocklistFactory(name="Gone", is_retired=True)
    BlocklistFactory(name="Off", is_enabled=False)
    TargetFactory()
    columns = _get(client, manager).context["grid"].columns
    assert [c.name for c in columns] == ["Alpha", "Bravo"]


def test_it_staff_can_open_a_case_from_a_listed_cell(client, it_staff, lists):
    target = TargetFactory(value="192.0.2.66")
    ListingFactory(target=target, blocklist=lists[1])

    cell = _cells(_get(client, it_staff), target)[1]

    assert "Open a delisting case" in cell
    fields = dict(
        re.findall(r'name="(target|blocklist|subject)" value="([^"]*)"', cell)
    )
    assert fields == {
        "target": str(target.pk),
        "blocklist": str(lists[1].pk),
        "subject": "192.0.2.66",
    }
    response = client.post(reverse("cases:case-open"), fields)
    case = DelistingCase.objects.get()
    assert response["Location"] == reverse("cases:case-detail", args=[case.pk])
    assert (case.target, case.blocklist, case.subject) == (
        target,
        lists[1],
        "192.0.2.66",
    )


def test_manager_sees_no_open_case_button(client, manager, lists):
    target = TargetFactory()
    ListingFactory(target=target, blocklist=lists[0])
    html = _get(client, manager).content.decode()
    assert "Open a delisting case" not in html
    assert reverse("cases:case-open") not in html


def test_listed_cell_links_to_the_active_case_instead(client, it_staff, lists):
    target = TargetFactory()
    ListingFactory(target=target, blocklist=lists[0])
    case = DelistingCaseFactory(target=target, blocklist=lists[0])
    cell = _cells(_get(client, it_staff), target)[0]
    assert f'href="{reverse("cases:case-detail", args=[case.pk])}"' in cell
    assert "Open a delisting case" not in cell


def test_grid_puts_listed_first_then_errors_then_the_rest(client, manager, lists):
    TargetFactory(value="10.0.0.1")
    erroring = TargetFactory(value="10.0.0.2")
    listed = TargetFactory(value="10.0.0.3")
    ListingFactory(
        target=erroring, blocklist=lists[0], is_listed=False, last_error="timeout"
    )
    ListingFactory(target=listed, blocklist=lists[1])
    assert _grid_values(_get(client, manager)) == ["10.0.0.3", "10.0.0.2", "10.0.0.1"]


def test_disabled_targets_are_not_in_the_grid(client, manager, lists):
    TargetFactory(value="10.0.0.1", is_enabled=False)
    TargetFactory(value="10.0.0.2")
    assert _grid_values(_get(client, manager)) == ["10.0.0.2"]


# --- filters and pages -------------------------------------------------------


def test_filter_by_tag(client, manager, lists):
    web = Tag.objects.create(name="web")
    tagged = TargetFactory(value="10.0.0.1")
    tagged.tags.add(web)
    TargetFactory(value="10.0.0.2")
    assert _grid_values(_get(client, manager, tag="web")) == ["10.0.0.1"]


def test_filter_by_search_on_value_and_label(client, manager, lists):
    TargetFactory(value="10.0.0.1", label="Tokyo relay")
    TargetFactory(value="10.0.9.9")
    TargetFactory(value="10.0.0.3")
    assert _grid_values(_get(client, manager, q="tokyo")) == ["10.0.0.1"]
    assert _grid_values(_get(client, manager, q="0.9.")) == ["10.0.9.9"]


def test_filter_by_state(client, manager, lists):
    alpha, bravo = lists
    clean = TargetFactory(value="10.0.0.1")
    ListingFactory(target=clean, blocklist=alpha, is_listed=False)
    ListingFactory(target=clean, blocklist=bravo, is_listed=False)
    listed = TargetFactory(value="10.0.0.2")
    ListingFactory(target=listed, blocklist=alpha)
    erroring = TargetFactory(value="10.0.0.3")
    ListingFactory(
        target=erroring, blocklist=bravo, is_listed=False, last_error="timeout"
    )
    TargetFactory(value="10.0.0.4")  # never checked

    assert _grid_values(_get(client, manager, state="listed")) == ["10.0.0.2"]
    assert _grid_values(_get(client, manager, state="erroring")) == ["10.0.0.3"]
    assert _grid_values(_get(client, manager, state="never")) == ["10.0.0.4"]
    assert len(_grid_values(_get(client, manager))) == 4


def test_filter_by_list_shows_one_column(client, manager, lists):
    alpha, bravo = lists
    on_alpha = TargetFactory(value="10.0.0.1")
    ListingFactory(target=on_alpha, blocklist=alpha)
    on_bravo = TargetFactory(value="10.0.0.2")
    ListingFactory(target=on_bravo, blocklist=bravo)

    response = _get(client, manager, blocklist=bravo.pk, state="listed")

    assert [c.name for c in response.context["grid"].columns] == ["Bravo"]
    assert _grid_values(response) == ["10.0.0.2"]
    assert len(_cells(response, on_bravo)) == 1


def test_filters_are_labelled_fields(client, manager, lists):
    TargetFactory()
    html = _get(client, manager).content.decode()
    for name in ("q", "tag", "state", "blocklist"):
        assert f'<label for="id_{name}">' in html
        assert f'id="id_{name}"' in html


def test_grid_is_paginated_and_page_links_keep_the_filters(client, manager, lists):
    for n in range(55):
        TargetFactory(value=f"10.1.0.{n + 100}", label="fleet")

    first = _get(client, manager, q="fleet")
    second = _get(client, manager, q="fleet", page=2)

    assert len(first.context["grid"].rows) == 50
    assert len(second.context["grid"].rows) == 5
    assert set(_grid_values(first)).isdisjoint(_grid_values(second))
    assert 'href="?q=fleet&amp;page=2#dash-grid-title"' in first.content.decode()
    assert "Page 2 of 2" in second.content.decode()


def test_nonsense_filters_show_every_target_and_say_so(client, manager, lists):
    TargetFactory()
    response = _get(client, manager, state="bogus", blocklist="999", page="x")
    assert len(response.context["grid"].rows) == 1
    assert len(response.context["grid"].columns) == 2
    assert "Select a valid choice" in response.content.decode()


def test_no_match_has_its_own_message(client, manager, lists):
    TargetFactory()
    html = _get(client, manager, q="nothing-like-this").content.decode()
    assert "No target matches these filters." in html


# --- changes, cases, runs ----------------------------------------------------


def test_recent_changes_newest_first_at_most_ten(client, manager, lists):
    now = timezone.now()
    target = TargetFactory()
    listing = ListingFactory(target=target, blocklist=lists[0])
    for hours in range(12):
        ListingChangeFactory(listing=listing, at=now - timedelta(hours=hours))
    cleared = ListingChangeFactory(
        listing=listing, kind="cleared", at=now + timedelta(minutes=1)
    )

    response = _get(client, manager)

    changes = response.context["changes"]
    assert len(changes) == 10
    assert changes[0] == cleared
    assert [c.at for c in changes] == sorted((c.at for c in changes), reverse=True)
    html = response.content.decode()
    assert "Cleared</span>" in html and "Listed</span>" in html
    assert f'href="/targets/{target.pk}/"><code>{listing.subject}</code>' in html


def test_open_cases_are_ordered_by_due_date_and_closed_ones_absent(
    client, manager, lists
):
    now = timezone.now()
    alpha = lists[0]
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

    response = _get(client, manager)

    assert response.context["cases"] == [soon, later, watching, undated]
    html = response.content.decode()
    assert f'href="{reverse("cases:case-detail", args=[soon.pk])}"' in html
    assert "⚠</span> overdue" in html
    assert "status-watching" in html and "Watching re-evaluation" in html


def test_running_check_is_shown_with_its_progress(client, manager, lists):
    run = CheckRunFactory(status=CheckRun.Status.RUNNING, total=10, done=4)
    CheckRunFactory(status=CheckRun.Status.FINISHED, total=5, done=5)

    html = _get(client, manager).content.decode()

    assert f'href="{reverse("monitoring:run-detail", args=[run.pk])}"' in html
    assert "4/10 lookups" in html
    assert '<progress id="dash-run-' in html and 'max="10" value="4"' in html
    assert "No check is running." not in html


def test_runs_asked_together_are_one_row(client, manager, lists):
    group = uuid.uuid4()
    CheckRunFactory(status="running", total=10, done=5, group=group)
    CheckRunFactory(status="queued", total=0, group=group)
    CheckRunFactory(status="finished", total=10, done=10, group=group)

    response = _get(client, manager)

    (row,) = response.context["runs"]
    assert (row.runs, row.active, row.total, row.done) == (3, 2, 20, 15)
    html = response.content.decode()
    assert f'href="{reverse("monitoring:group-progress", args=[group])}"' in html
    assert "3 targets checked together" in html


def test_no_running_check_has_its_message(client, manager, lists):
    CheckRunFactory(status=CheckRun.Status.FINISHED)
    assert "No check is running." in _get(client, manager).content.decode()


# --- live updates, empty state, cost -----------------------------------------


def test_htmx_poll_gets_the_panels_without_the_page(client, manager, lists):
    TargetFactory()
    client.force_login(manager)
    response = client.get(URL, {"q": "198"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    for region in (
        "dash-counts",
        "dash-runs",
        "dash-grid",
        "dash-cases",
        "dash-changes",
    ):
        assert f'id="{region}"' in html


def test_page_polls_itself_with_its_filters(client, manager, lists):
    TargetFactory()
    html = _get(client, manager, q="198", page=1).content.decode()
    assert f'hx-get="{URL}?q=198&amp;page=1"' in html
    assert 'hx-trigger="every 15s' in html
    assert 'id="dash-counts" class="dash-counts" aria-live="polite"' in html


def test_fresh_install_tells_it_staff_what_to_do(client, it_staff, lists):
    html = _get(client, it_staff).content.decode()
    assert "No target is monitored yet." in html
    for name in (
        "monitoring:target-create",
        "monitoring:target-bulk",
        "cases:bounce-intake",
    ):
        assert f'href="{reverse(name)}"' in html


def test_fresh_install_tells_a_manager_to_wait(client, manager, lists):
    html = _get(client, manager).content.decode()
    assert "No target is monitored yet." in html
    assert reverse("monitoring:target-create") not in html


def test_no_enabled_list_is_said(client, manager):
    Blocklist.objects.update(is_enabled=False)
    TargetFactory()
    assert "No blocklist is enabled" in _get(client, manager).content.decode()


def _populate(n_targets, n_lists):
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


def _count_queries(client, user):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return queries


def test_query_count_does_not_grow_with_targets_or_lists(
    client, it_staff, django_assert_max_num_queries
):
    client.force_login(it_staff)
    _populate(3, 2)
    small = len(_count_queries(client, it_staff))
    _populate(30, 8)
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = client.get(URL)
    assert len(response.context["grid"].rows) == 33
    assert len(_count_queries(client, it_staff)) == small


def test_dashboard_never_reads_the_lookup_table(client, it_staff):
    client.force_login(it_staff)
    _populate(5, 3)
    queries = _count_queries(client, it_staff)
    assert not [q for q in queries.captured_queries if "monitoring_lookup" in q["sql"]]


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
