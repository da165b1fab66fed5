"""Every page's SQL query count is bounded: it does not grow with the rows.

The pages are blcheck/demo/pages.py's, the list bench/pages.py times on
10,000 targets: each is read on a small database, then on one with five
times the targets, lookups, listings and cases (and more rows behind the very
target and case the page shows), and may not ask more queries. Adding a page
is one line in blcheck/demo/pages.py's PAGES.
"""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from blcheck.cases.models import CaseEvent, DelistingCase
from blcheck.demo.cases import demo_cases
from blcheck.demo.history import demo_seed
from blcheck.demo.pages import (
    MANAGER,
    PAGES,
    STAFF,
    Page,
    missing_routes,
    page_urls,
    unaccounted_routes,
)
from blcheck.monitoring.models import CheckRun, Listing, ListingChange, Lookup, Target
from tests.factories import CaseEventFactory, LookupFactory

pytestmark = pytest.mark.django_db
LISTS = 4
# A page may not ask more queries on the bigger database: none at all.
SLACK = 0
# The most any page asks: a dashboard with its panels.
CEILING = 30


def _grow(targets: int, seed: int) -> None:
    """Targets checked for three days, each listed on one list (half of them
    cleared since), and a case on most listings."""
    demo_seed(targets=targets, lists=LISTS, days=3, seed=seed)
    now = timezone.now()
    fresh = Listing.objects.filter(changes=None).select_related("target")
    for index, listing in enumerate(fresh.order_by("pk")[: targets * 2]):
        run = CheckRun.objects.filter(target=listing.target).first()
        listed = ListingChange.objects.create(
            listing=listing,
            blocklist_id=listing.blocklist_id,
            kind=ListingChange.Kind.LISTED,
            run=run,
            at=now - timedelta(days=2, hours=index),
            codes=["127.0.0.2"],
        )
        if index % 2:
            cleared_at = now - timedelta(days=1)
            ListingChange.objects.create(
                listing=listing,
                blocklist_id=listing.blocklist_id,
                kind=ListingChange.Kind.CLEARED,
                run=run,
                at=cleared_at,
            )
            ListingChange.objects.filter(pk=listed.pk).update(ended_at=cleared_at)
        else:
            Listing.objects.filter(pk=listing.pk).update(
                is_listed=True, listed_since=listed.at, codes=["127.0.0.2"]
            )
    demo_cases(seed=seed, count=targets * 2)


def _row(urls: list[tuple[Page, str]], row: str) -> int:
    """The id in the URL of the pages shown for `row` ("/targets/7/" → 7)."""
    url = next(url for page, url in urls if page.row == row)
    return int(url.split("?")[0].strip("/").split("/")[1])


def _deepen(urls: list[tuple[Page, str]], rows: int) -> None:
    """Rows behind the very target and case the pages show (and runs just
    asked for, as the dashboard's running checks show)."""
    target = Target.objects.get(pk=_row(urls, "target"))
    case = DelistingCase.objects.get(pk=_row(urls, "case"))
    blocklist = Lookup.objects.filter(target=target).first().blocklist  # type: ignore[union-attr]
    for _ in range(rows):
        LookupFactory(
            run__target=target, blocklist=blocklist, verdict=Lookup.Verdict.LISTED
        )
    for kind in (CaseEvent.Kind.NOTE, CaseEvent.Kind.ASSIGNED) * rows:
        CaseEventFactory(case=case, kind=kind, detail="more", actor=None)
    # The target a delete page is shown for stays one without cases.
    DelistingCase.objects.filter(target_id=_row(urls, "quiet_target")).delete()


@pytest.fixture
def clients(it_staff, manager) -> dict[str, Client]:  # type: ignore[no-untyped-def]
    made = {}
    for persona, user in ((STAFF, it_staff), (MANAGER, manager)):
        made[persona] = Client(HTTP_ACCEPT_LANGUAGE="en")
        made[persona].force_login(user)
    return made


def _counts(
    clients: dict[str, Client], urls: list[tuple[Page, str]]
) -> Iterator[tuple[str, int]]:
    for page, url in urls:
        with CaptureQueriesContext(connection) as captured:
            response = clients[page.persona].get(url)
        assert response.status_code == 200, (page.name, url, response.status_code)
        yield page.name, len(captured)


def test_every_url_pattern_is_benched_or_left_out_with_a_reason():
    assert unaccounted_routes() == []


def test_no_page_asks_more_queries_when_the_rows_grow(clients):
    _grow(targets=3, seed=1)
    urls = page_urls()
    missing = missing_routes()
    assert len(urls) == len([p for p in PAGES if p.route not in missing])
    _deepen(urls, rows=1)
    small = dict(_counts(clients, urls))
    _grow(targets=12, seed=2)
    _deepen(urls, rows=10)
    assert Target.objects.count() == 15 and DelistingCase.objects.count() >= 20
    big = dict(_counts(clients, urls))
    grew = {
        name: (small[name], big[name])
        for name in small
        if big[name] > small[name] + SLACK
    }
    assert not grew, f"queries on the small database, then the bigger one: {grew}"


def test_each_page_has_a_query_ceiling(clients, django_assert_max_num_queries):
    """A ceiling per page on the bigger database, so a page that adds a query
    per row fails here even where the small database shows it too."""
    _grow(targets=15, seed=3)
    for page, url in page_urls():
        with django_assert_max_num_queries(CEILING):
            response = clients[page.persona].get(url)
        assert response.status_code == 200, page.name
