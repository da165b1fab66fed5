"""The start page's grid: one row per target, one cell per enabled list, each
state told in text; its filters (TargetGridFilter) and its pages."""

import pytest
from django.urls import reverse
from django.utils import timezone

from blcheck.cases.models import DelistingCase
from blcheck.monitoring.models import Tag, Target
from tests.factories import (
    BlocklistFactory,
    DelistingCaseFactory,
    ListingFactory,
    TargetFactory,
)
from tests.support.html import parse
from tests.support.reading import get_ok, row_linking

pytestmark = pytest.mark.django_db

URL = reverse("reports:dashboard")


def cells(response, target):
    """The grid cells of one target's row."""
    grid = parse(response.content).by_id("dash-grid")
    url = reverse("reports:target-detail", args=[target.pk])
    return row_linking(grid, url).find_all("td", class_="cell")


def grid_values(response):
    return [row.target.value for row in response.context["grid"].rows]


def test_grid_tells_each_cell_state_in_text(client, manager, two_lists):
    alpha, bravo = two_lists
    extra = BlocklistFactory(zone="charlie.dnsbl.test", name="Charlie")
    target = TargetFactory(value="192.0.2.7")
    ListingFactory(target=target, blocklist=alpha)
    ListingFactory(target=target, blocklist=bravo, is_listed=False)

    response = get_ok(client, manager, URL)

    states = [cell.state for cell in response.context["grid"].rows[0].cells]
    assert states == ["listed", "not_listed", "never"]
    listed, clean, never = cells(response, target)
    assert "✕" in listed.text and "listed" in listed.text
    assert clean.find("span", aria_hidden="true").text == "✓"
    assert "Not listed at the latest answer" in clean.text
    assert never.find("span", aria_hidden="true").text == "·"
    assert "Not checked yet" in never.text
    assert extra.name in parse(response.content).by_id("dash-grid").text


def test_error_is_shown_with_its_label_never_as_not_listed(client, manager, two_lists):
    target = TargetFactory()
    ListingFactory(
        target=target, blocklist=two_lists[0], is_listed=False, last_error="timeout"
    )

    response = get_ok(client, manager, URL)

    cell = cells(response, target)[0]
    assert response.context["grid"].rows[0].cells[0].state == "error"
    assert "cell-error" in cell.classes and "no answer" in cell.text
    assert "No answer in time" in cell.text
    assert "Not listed" not in cell.text + cell["title"]


def test_listed_cell_with_a_failed_lookup_stays_listed(client, manager, two_lists):
    target = TargetFactory()
    ListingFactory(target=target, blocklist=two_lists[0], last_error="refused")
    cell = cells(get_ok(client, manager, URL), target)[0]
    assert "cell-listed" in cell.classes
    assert "The list's server refused the query (REFUSED)" in cell.text


def test_range_cell_counts_its_listed_addresses(client, it_staff, two_lists):
    target = TargetFactory(value="192.0.2.0/30", kind=Target.Kind.RANGE)
    for n in (1, 2, 3):
        ListingFactory(target=target, blocklist=two_lists[0], subject=f"192.0.2.{n}")
    ListingFactory(
        target=target, blocklist=two_lists[0], subject="192.0.2.0", is_listed=False
    )

    cell = cells(get_ok(client, it_staff, URL), target)[0]

    assert "3 listed" in cell.text
    # Several addresses: cases are opened on the target page.
    assert "Open a delisting case" not in cell.text and not cell.find_all("form")
    cell.find("a", href=reverse("reports:target-detail", args=[target.pk]))


def test_domain_target_is_not_applicable_on_an_ip_list(client, manager, two_lists):
    target = TargetFactory(value="mail.example.com", kind=Target.Kind.DOMAIN)
    cell = cells(get_ok(client, manager, URL), target)[0]
    assert "cell-na" in cell.classes and "Not applicable" in cell.text


def test_retired_and_disabled_lists_are_not_columns(client, manager, two_lists):
    BlocklistFactory(name="Gone", is_retired=True)
    BlocklistFactory(name="Off", is_enabled=False)
    TargetFactory()
    columns = get_ok(client, manager, URL).context["grid"].columns
    assert [c.name for c in columns] == ["Alpha", "Bravo"]


def test_it_staff_can_open_a_case_from_a_listed_cell(client, it_staff, two_lists):
    target = TargetFactory(value="192.0.2.66")
    ListingFactory(target=target, blocklist=two_lists[1])

    cell = cells(get_ok(client, it_staff, URL), target)[1]

    assert "Open a delisting case" in cell.text
    fields = {
        field["name"]: field["value"]
        for field in cell.find_all("input")
        if field["name"] in {"target", "blocklist", "subject"}
    }
    assert fields == {
        "target": target.value,
        "blocklist": str(two_lists[1].pk),
        "subject": "192.0.2.66",
    }
    response = client.post(reverse("cases:case-open"), fields)
    case = DelistingCase.objects.get()
    assert response["Location"] == reverse("cases:case-detail", args=[case.pk])
    assert (case.target, case.blocklist, case.subject) == (
        target,
        two_lists[1],
        "192.0.2.66",
    )


def test_manager_sees_no_open_case_button(client, manager, two_lists):
    target = TargetFactory()
    ListingFactory(target=target, blocklist=two_lists[0])
    html = get_ok(client, manager, URL).content.decode()
    assert "Open a delisting case" not in html
    assert reverse("cases:case-open") not in html


def test_listed_cell_links_to_the_active_case_instead(client, it_staff, two_lists):
    target = TargetFactory()
    ListingFactory(target=target, blocklist=two_lists[0])
    case = DelistingCaseFactory(target=target, blocklist=two_lists[0])
    cell = cells(get_ok(client, it_staff, URL), target)[0]
    cell.find("a", href=reverse("cases:case-detail", args=[case.pk]))
    assert "Open a delisting case" not in cell.text


def test_grid_puts_listed_first_then_errors_then_the_rest(client, manager, two_lists):
    TargetFactory(value="10.0.0.1")
    erroring = TargetFactory(value="10.0.0.2")
    listed = TargetFactory(value="10.0.0.3")
    ListingFactory(
        target=erroring, blocklist=two_lists[0], is_listed=False, last_error="timeout"
    )
    ListingFactory(target=listed, blocklist=two_lists[1])
    response = get_ok(client, manager, URL)
    assert grid_values(response) == ["10.0.0.3", "10.0.0.2", "10.0.0.1"]


def test_paused_targets_stay_marked_and_archived_ones_leave(client, manager, two_lists):
    TargetFactory(value="10.0.0.1", is_enabled=False)
    TargetFactory(value="10.0.0.2")
    TargetFactory(value="10.0.0.3", is_enabled=False, archived_at=timezone.now())
    response = get_ok(client, manager, URL)
    assert grid_values(response) == ["10.0.0.1", "10.0.0.2"]
    paused = parse(response.content).find("small", class_="paused")
    assert paused is not None and paused.text.strip() in ("paused", "一時停止中")
    counts = parse(response.content).by_id("dash-counts").text
    assert "1 target monitored" in counts and "1 paused" in counts


# --- filters and pages -------------------------------------------------------


def test_filter_by_tag(client, manager, two_lists):
    web = Tag.objects.create(name="web")
    tagged = TargetFactory(value="10.0.0.1")
    tagged.tags.add(web)
    TargetFactory(value="10.0.0.2")
    assert grid_values(get_ok(client, manager, URL, tag="web")) == ["10.0.0.1"]


def test_filter_by_search_on_value_and_label(client, manager, two_lists):
    TargetFactory(value="10.0.0.1", label="Tokyo relay")
    TargetFactory(value="10.0.9.9")
    TargetFactory(value="10.0.0.3")
    assert grid_values(get_ok(client, manager, URL, q="tokyo")) == ["10.0.0.1"]
    assert grid_values(get_ok(client, manager, URL, q="0.9.")) == ["10.0.9.9"]


def test_filter_by_state(client, manager, two_lists):
    alpha, bravo = two_lists
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

    def shown(**params):
        return grid_values(get_ok(client, manager, URL, **params))

    assert shown(state="listed") == ["10.0.0.2"]
    assert shown(state="erroring") == ["10.0.0.3"]
    assert shown(state="never") == ["10.0.0.4"]
    assert len(shown()) == 4


def test_filter_by_list_shows_one_column(client, manager, two_lists):
    alpha, bravo = two_lists
    on_alpha = TargetFactory(value="10.0.0.1")
    ListingFactory(target=on_alpha, blocklist=alpha)
    on_bravo = TargetFactory(value="10.0.0.2")
    ListingFactory(target=on_bravo, blocklist=bravo)

    response = get_ok(client, manager, URL, blocklist=bravo.pk, state="listed")

    assert [c.name for c in response.context["grid"].columns] == ["Bravo"]
    assert grid_values(response) == ["10.0.0.2"]
    assert len(cells(response, on_bravo)) == 1


def test_a_bad_filter_leaves_the_others_working(client, manager, two_lists):
    alpha, bravo = two_lists
    ListingFactory(target=TargetFactory(value="10.0.0.1"), blocklist=alpha)
    ListingFactory(target=TargetFactory(value="10.0.0.2"), blocklist=bravo)
    response = get_ok(client, manager, URL, blocklist=bravo.pk, state="bogus")
    assert [c.name for c in response.context["grid"].columns] == ["Bravo"]
    assert len(grid_values(response)) == 2
    assert (
        "Select a valid choice" in parse(response.content).by_id("id_state_errors").text
    )


def test_filters_are_labelled_fields(client, manager, two_lists):
    TargetFactory()
    page = parse(get_ok(client, manager, URL).content)
    for name in ("q", "tag", "state", "blocklist"):
        page.find("label", for_=f"id_{name}")
        page.by_id(f"id_{name}")


def test_grid_is_paginated_and_page_links_keep_the_filters(client, manager, two_lists):
    for n in range(55):
        TargetFactory(value=f"10.1.0.{n + 100}", label="fleet")

    first = get_ok(client, manager, URL, q="fleet")
    second = get_ok(client, manager, URL, q="fleet", page=2)

    assert len(first.context["grid"].rows) == 50
    assert len(second.context["grid"].rows) == 5
    assert set(grid_values(first)).isdisjoint(grid_values(second))
    parse(first.content).find("a", href="?q=fleet&page=2#dash-grid-title")
    assert "Page 2 of 2" in parse(second.content).text


def test_nonsense_filters_show_every_target_and_say_so(client, manager, two_lists):
    TargetFactory()
    response = get_ok(client, manager, URL, state="bogus", blocklist="999", page="x")
    assert len(response.context["grid"].rows) == 1
    assert len(response.context["grid"].columns) == 2
    assert "Select a valid choice" in parse(response.content).text


def test_no_match_has_its_own_message(client, manager, two_lists):
    TargetFactory()
    response = get_ok(client, manager, URL, q="nothing-like-this")
    assert "No target matches these filters." in parse(response.content).text
