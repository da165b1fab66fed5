"""The managers' reports as pages: roles, the frame (chart library, no inline
script, print, CSV beside each page), the index's headlines, query bounds."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.urls import reverse

from blcheck.monitoring.models import ListingChange
from blcheck.reports import stats
from blcheck.reports.selectors import reports as selectors
from blcheck.reports.selectors import reports_cases, reports_listings
from tests.factories import BlocklistFactory, TargetFactory
from tests.support.history import NOW, episode, jst
from tests.support.html import parse
from tests.support.reports import Status, ageing, case, delisting, listing_on

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("tokyo"),
    pytest.mark.time_machine(NOW, tick=False),
]

CHART_FILE = "chart-4.6.1.umd.min.js"
REPORTS = (
    "reports:report-index",
    "reports:report-listings-per-month",
    "reports:report-time-to-delist",
    "reports:report-case-ageing",
    "reports:report-repeat-listings",
    "reports:report-cases-per-person",
)
CHARTED = REPORTS[1:]  # each has a chart, a table and a CSV
PERIODIC = tuple(name for name in CHARTED if name != "reports:report-case-ageing")


def page(reader, name):
    return parse(reader.get(reverse(name)).content)


# -- roles and the page frame ---------------------------------------------------


@pytest.mark.parametrize("name", REPORTS)
def test_manager_can_read_every_report(reader, name):
    response = reader.get(reverse(name))
    assert response.status_code == 200
    read = parse(response.content)
    assert read.find("h1").text and read.find("title").text


@pytest.mark.parametrize("name", REPORTS)
def test_it_staff_can_read_every_report(client, it_staff, name):
    client.force_login(it_staff)
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", REPORTS)
def test_outsider_is_refused_every_report(client, outsider, name):
    client.force_login(outsider)
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", CHARTED)
def test_outsider_is_refused_every_csv(client, outsider, name):
    client.force_login(outsider)
    assert client.get(reverse(f"{name}-csv")).status_code == 403


@pytest.mark.parametrize("name", REPORTS)
def test_reports_cannot_be_posted_to(reader, name):
    assert reader.post(reverse(name)).status_code == 405


@pytest.mark.parametrize("name", CHARTED)
def test_csvs_cannot_be_posted_to(reader, name):
    assert reader.post(reverse(f"{name}-csv")).status_code == 405


def test_chart_library_is_vendored_with_its_version_and_licence():
    vendored = Path(django_settings.STATICFILES_DIRS[0]) / "vendor" / CHART_FILE
    head = vendored.read_text()[:200]
    assert "Chart.js v4.6.1" in head and "MIT License" in head
    readme = (vendored.parent / "README").read_text()
    assert CHART_FILE in readme and "MIT" in readme


@pytest.mark.parametrize("name", CHARTED)
def test_report_pages_load_the_chart_library_and_script_deferred(reader, name):
    scripts = page(reader, name).find_all("script", src=True)
    deferred = [s["src"] for s in scripts if s.get("defer") is not None]
    assert any(src.endswith(f"vendor/{CHART_FILE}") for src in deferred)
    assert any(src.endswith("js/blcheck.js") for src in deferred)
    assert (Path(django_settings.STATICFILES_DIRS[0]) / "js" / "blcheck.js").exists()


@pytest.mark.parametrize("name", REPORTS)
def test_reports_carry_no_inline_script(reader, name):
    body = reader.get(reverse(name)).content.decode()
    for script in parse(body).find_all("script"):
        assert script.get("src") or script.get("type") == "application/json", script
    assert "onclick" not in body and "javascript:" not in body


def test_the_index_does_not_load_the_chart_library(reader):
    assert CHART_FILE not in reader.get(reverse(REPORTS[0])).content.decode()


@pytest.mark.parametrize("name", CHARTED)
def test_every_report_has_a_print_button_and_a_csv_link(reader, name):
    read = page(reader, name)
    read.find("button", type="button", data_print=True)
    link = read.find("a", href=reverse(f"{name}-csv"))
    assert link.get("download") is not None


@pytest.mark.parametrize("name", PERIODIC)
def test_the_csv_link_keeps_the_period(reader, name):
    response = reader.get(reverse(name), {"start": "2025-04", "end": "2025-05"})
    csv_url = f"{reverse(f'{name}-csv')}?start=2025-04&end=2025-05"
    parse(response.content).find("a", href=csv_url, download=True)


@pytest.mark.parametrize("name", PERIODIC)
def test_period_form_fields_are_labelled(reader, name):
    read = page(reader, name)
    for field in ("id_months", "id_start", "id_end"):
        read.find("label", for_=field)
        read.by_id(field)


# -- the index ----------------------------------------------------------------------


def test_index_links_every_report_with_a_headline(reader):
    delisting()
    ageing()
    read = page(reader, "reports:report-index")
    for name in CHARTED:
        read.find("a", href=reverse(name))
    text = read.text
    assert "7 new listings" in text  # Alpha 5 and Beta 2 begun in the period
    assert "Median request to removal: 1 d 12 h" in text
    assert "7 cases being worked, 3 over 4 weeks old" in text
    assert "2 addresses listed twice or more" in text


def test_index_headlines_are_the_reports_numbers():
    delisting()
    ageing()
    period = stats.last_months(NOW.date(), 12)
    headlines = selectors.report_headlines(period=period, now=NOW)
    episodes = ListingChange.objects.filter(
        kind=ListingChange.Kind.LISTED, at__gte=jst(2024, 7, 1)
    )
    assert headlines.new_listings == episodes.count()
    assert headlines.repeat_addresses == len(
        reports_listings.address_repeats(period=period)
    )
    ageing_now = reports_cases.case_ageing(now=NOW)
    assert headlines.active_cases == ageing_now.total
    assert headlines.cases_over_four_weeks == ageing_now.counts[-1]
    assert headlines.overdue_cases == ageing_now.overdue


# -- query bounds ------------------------------------------------------------------


def many(rows, offset=0):
    """`rows` lists, addresses, cases and staff, each with a few episodes."""
    for n in range(offset, offset + rows):
        blocklist = BlocklistFactory(name=f"List {n:02d}")
        target = TargetFactory(value=f"203.0.113.{n + 1}")
        listing = listing_on(blocklist, target)
        episode(listing, at=jst(2025, 4, 1, n % 24), cleared=jst(2025, 4, 2))
        episode(listing, at=jst(2025, 5, 1, n % 24), cleared=jst(2025, 5, 3))
        episode(listing, at=jst(2025, 6, 1, n % 24))
        user = User.objects.create_user(f"staff{n}")
        case(
            opened=NOW - timedelta(days=n),
            target=target,
            blocklist=blocklist,
            assignee=user,
            status=Status.REQUESTED if n % 2 else Status.CLOSED,
            requested_at=jst(2025, 5, 1),
            verified_at=jst(2025, 5, 2) if n % 2 == 0 else None,
            closed_at=jst(2025, 5, 3) if n % 2 == 0 else None,
        )


@pytest.mark.parametrize("name", REPORTS)
def test_report_query_count_is_small(reader, name, django_assert_max_num_queries):
    many(5)
    with django_assert_max_num_queries(10):
        assert reader.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", REPORTS)
def test_report_query_count_does_not_grow_with_rows(
    reader, name, django_assert_max_num_queries, django_assert_num_queries
):
    many(2)
    with django_assert_max_num_queries(10) as few:
        assert reader.get(reverse(name)).status_code == 200
    many(18, offset=2)
    with django_assert_num_queries(len(few)):
        assert reader.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", CHARTED)
def test_csv_query_count_is_small(reader, name, django_assert_max_num_queries):
    many(5)
    with django_assert_max_num_queries(10):
        assert reader.get(reverse(f"{name}-csv")).status_code == 200
