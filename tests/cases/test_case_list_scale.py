"""The case list at scale: paged newest first, filtered, counted, in a fixed
number of queries whatever the number of cases."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from blcheck.cases.models import DelistingCase
from blcheck.cases.selectors import CASE_PAGE_SIZE
from tests.factories import TargetFactory
from tests.support.html import parse

pytestmark = pytest.mark.django_db

LIST = reverse("cases:case-list")
RANGE = "198.51.100.0/24"
ADDRESS = "203.0.113.5"


@pytest.fixture
def cases(barracuda, it_staff):
    """120 cases: 100 open ones on a range (every other one assigned to IT
    staff), 20 closed ones on an address."""
    wide = TargetFactory(value=RANGE, kind="range")
    single = TargetFactory(value=ADDRESS)
    made = [
        DelistingCase(
            target=wide,
            blocklist=barracuda,
            subject=f"198.51.100.{n}",
            assignee=it_staff if n % 2 == 0 else None,
        )
        for n in range(1, 101)
    ] + [
        DelistingCase(
            target=single, blocklist=barracuda, subject=ADDRESS, status="closed"
        )
        for _ in range(20)
    ]
    return DelistingCase.objects.bulk_create(made)


def _rows(response) -> list[str]:
    """The case numbers shown, in order."""
    page = parse(response.content.decode())
    tables = page.find_all("table")
    if not tables:
        return []
    return [row[0] for row in tables[0].rows()[1:]]


def _count(response) -> str:
    return parse(response.content.decode()).by_id("case-count").text.strip()


def _next_link(response) -> str | None:
    page = parse(response.content.decode())
    links = page.find_all("a", rel="next")
    return links[0]["href"] if links else None


def test_the_list_is_paged_and_the_page_links_keep_the_filters(client, manager, cases):
    client.force_login(manager)
    first = client.get(LIST)  # still being worked: the 100 open cases
    assert _count(first) == "100 cases match, newest first."
    assert len(_rows(first)) == CASE_PAGE_SIZE
    link = _next_link(first)
    assert link is not None
    query = parse_qs(urlsplit(link).query)
    assert query["active"] == ["true"] and "before" in query
    second = client.get(LIST + link)
    assert len(_rows(second)) == 100 - CASE_PAGE_SIZE
    assert not set(_rows(first)) & set(_rows(second))
    assert _next_link(second) is None
    assert parse(second.content.decode()).find("a", text="Newest")
    # Newest first, across pages: opened times tie here, ids decide.
    numbers = [int(n.lstrip("#")) for n in _rows(first) + _rows(second)]
    assert numbers == sorted(numbers, reverse=True)


def test_filters_are_kept_on_the_second_page(client, manager, it_staff, cases):
    client.force_login(manager)
    first = client.get(LIST, {"status": "open", "target": RANGE})
    assert _count(first) == "100 cases match, newest first."
    query = parse_qs(urlsplit(_next_link(first)).query)
    assert query["status"] == ["open"] and query["target"] == [RANGE]
    second = client.get(LIST + _next_link(first))
    assert len(_rows(second)) == 100 - CASE_PAGE_SIZE
    mine = client.get(LIST, {"assignee": it_staff.pk})
    assert _count(mine) == "50 cases match, newest first."


def test_an_address_finds_the_cases_of_the_range_holding_it(client, manager, cases):
    client.force_login(manager)
    response = client.get(LIST, {"target": "198.51.100.250", "active": ""})
    assert _count(response) == "100 cases match, newest first."
    link = _next_link(response)
    assert parse_qs(urlsplit(link).query)["target"] == ["198.51.100.250"]
    response = client.get(LIST, {"target": ADDRESS, "status": "closed"})
    assert _count(response) == "20 cases match, newest first."
    assert _next_link(response) is None
    response = client.get(LIST, {"target": "192.0.2.1", "active": ""})
    assert _count(response) == "0 cases match, newest first."


def test_opened_dates_and_overdue_narrow_the_list(client, manager, cases):
    january = datetime(2026, 1, 15, 3, tzinfo=UTC)
    DelistingCase.objects.filter(pk__in=[c.pk for c in cases[:10]]).update(
        opened_at=january
    )
    DelistingCase.objects.filter(pk__in=[c.pk for c in cases[5:12]]).update(
        is_overdue=True
    )
    client.force_login(manager)
    january_only = {"opened_from": "2026-01-01", "opened_to": "2026-01-31"}
    assert _count(client.get(LIST, january_only)) == "10 cases match, newest first."
    both = {**january_only, "is_overdue": "true"}
    assert _count(client.get(LIST, both)) == "5 cases match, newest first."
    later = {"opened_from": "2026-01-16", "active": ""}
    assert _count(client.get(LIST, later)) == "110 cases match, newest first."


def test_no_match_has_a_clear_empty_state(client, manager, cases):
    client.force_login(manager)
    response = client.get(LIST, {"status": "rejected"})
    assert _rows(response) == []
    empty = parse(response.content.decode()).by_id("cases-empty")
    assert "No cases match these filters." in empty.text
    assert empty.find("a", href="?status=")  # all cases, one step away


def test_refused_filters_filter_nothing_and_never_fail(client, manager, cases):
    client.force_login(manager)
    for odd in [
        {"opened_from": "0001-01-01"},
        {"opened_from": "2026-02-01", "opened_to": "2026-01-01"},
        {"before": "garbage", "status": "open"},
        {"target": "x" * 300, "status": "open"},
    ]:
        response = client.get(LIST, odd)
        assert response.status_code == 200, odd
        assert len(_rows(response)) == CASE_PAGE_SIZE, odd


def _queries(client, params: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST, params).status_code == 200
    return len(queries)


def test_queries_are_bounded_and_do_not_grow_with_the_cases(
    client, manager, barracuda, it_staff, django_assert_max_num_queries
):
    client.force_login(manager)
    wide = TargetFactory(value=RANGE, kind="range")

    def add(count: int, start: int) -> None:
        DelistingCase.objects.bulk_create(
            DelistingCase(
                target=wide,
                blocklist=barracuda,
                subject=f"198.51.100.{n}",
                assignee=it_staff,
                is_overdue=n % 3 == 0,
            )
            for n in range(start, start + count)
        )

    searches = [{}, {"target": "198.51.100.7", "assignee": str(it_staff.pk)}]
    add(60, 1)  # more than a page: counted, and a next page
    few = [_queries(client, search) for search in searches]
    add(150, 61)
    many = [_queries(client, search) for search in searches]
    assert few == many
    with django_assert_max_num_queries(12):
        client.get(LIST, {"active": "true", "is_overdue": "true"})


def test_managers_read_the_list_but_cannot_open_cases(client, manager, cases):
    client.force_login(manager)
    response = client.get(LIST)
    assert response.status_code == 200
    page = parse(response.content.decode())
    assert not page.find_all("a", href=reverse("cases:case-open"))
    assert client.get(reverse("cases:case-open")).status_code == 403


def test_the_newest_case_is_first_on_the_first_page(client, it_staff, cases):
    client.force_login(it_staff)
    before = _rows(client.get(LIST))
    DelistingCase.objects.filter(pk=cases[0].pk).update(
        opened_at=timezone.now() + timedelta(seconds=5)
    )
    shown = _rows(client.get(LIST))
    assert shown[0] == f"#{cases[0].pk}" and shown[1] == before[0]
