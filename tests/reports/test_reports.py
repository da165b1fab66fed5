"""The managers' reports: their numbers on small hand-made data, the chart data
beside the tables, periods in the site's time zone, CSV, roles and query bounds."""

import csv
import io
import json
import re
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from blcheck.cases.models import DelistingCase
from blcheck.monitoring.models import Blocklist, ListingChange
from blcheck.reports import stats
from blcheck.reports.selectors import reports as selectors
from blcheck.reports.selectors import reports_cases, reports_listings
from blcheck.reports.views.reports import AGE_LABELS
from tests.factories import (
    BlocklistFactory,
    DelistingCaseFactory,
    ListingChangeFactory,
    ListingFactory,
    TargetFactory,
)

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=TOKYO)
LISTED = ListingChange.Kind.LISTED
CLEARED = ListingChange.Kind.CLEARED
Status = DelistingCase.Status
CHART_FILE = "chart-4.6.1.umd.min.js"
REPORTS = (
    "reports:report-index",
    "reports:report-listings-per-month",
    "reports:report-time-to-delist",
    "reports:report-case-ageing",
    "reports:report-repeat-listings",
    "reports:report-cases-per-person",
)
CHARTED = REPORTS[1:]
PERIODIC = tuple(name for name in CHARTED if name != "reports:report-case-ageing")


@pytest.fixture(autouse=True)
def _tokyo_noon(settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def reader(client, manager):
    client.force_login(manager)
    return client


def jst(*args):
    return datetime(*args, tzinfo=TOKYO)


def episode(listing, start, end=None):
    ListingChangeFactory(listing=listing, kind=LISTED, at=start)
    if end is not None:
        ListingChangeFactory(listing=listing, kind=CLEARED, at=end)


def listing_on(blocklist, target=None):
    return ListingFactory(blocklist=blocklist, target=target or TargetFactory())


def case(*, opened, **fields):
    made = DelistingCaseFactory(**fields)
    DelistingCase.objects.filter(pk=made.pk).update(opened_at=opened)
    made.refresh_from_db()
    return made


def months(first, last):
    period = stats.months_between(first.date(), last.date())
    assert period is not None
    return period


class _Tables(HTMLParser):
    """Every table's rows as lists of cell texts, keyed by the caption's id."""

    def __init__(self):
        super().__init__()
        self.tables, self._rows, self._cell, self._key = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._rows = []
        elif tag == "caption":
            self._key = dict(attrs).get("id", "")
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in {"td", "th"} and self._rows is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in {"td", "th"} and self._cell is not None:
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self.tables[self._key] = self._rows
            self._rows = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(response):
    parser = _Tables()
    parser.feed(response.content.decode())
    return parser.tables


def chart_json(response, chart_id):
    found = re.search(
        rf'<script id="{chart_id}" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert found, f"no chart data {chart_id}"
    return json.loads(found[1])


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# -- roles and the page frame ---------------------------------------------------


@pytest.mark.parametrize("name", REPORTS)
def test_manager_can_read_every_report(reader, name):
    response = reader.get(reverse(name))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>" in body and "<title>" in body


@pytest.mark.parametrize("name", REPORTS)
def test_it_staff_can_read_every_report(client, it_staff, name):
    client.force_login(it_staff)
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", REPORTS)
def test_outsider_is_refused_every_report(client, outsider, name):
    client.force_login(outsider)
    assert client.get(reverse(name)).status_code == 403
    assert client.get(reverse(name) + "?format=csv").status_code == 403


@pytest.mark.parametrize("name", REPORTS)
def test_reports_cannot_be_posted_to(reader, name):
    assert reader.post(reverse(name)).status_code == 405


def test_chart_library_is_vendored_with_its_version_and_licence():
    vendored = Path(django_settings.STATICFILES_DIRS[0]) / "vendor" / CHART_FILE
    head = vendored.read_text()[:200]
    assert "Chart.js v4.6.1" in head and "MIT License" in head
    readme = (vendored.parent / "README").read_text()
    assert CHART_FILE in readme and "MIT" in readme


@pytest.mark.parametrize("name", CHARTED)
def test_report_pages_load_the_chart_library_and_script_deferred(reader, name):
    body = reader.get(reverse(name)).content.decode()
    assert re.search(rf'<script src="[^"]*vendor/{CHART_FILE}" defer>', body)
    assert re.search(r'<script src="[^"]*js/blcheck\.js" defer>', body)
    assert (Path(django_settings.STATICFILES_DIRS[0]) / "js" / "blcheck.js").exists()


@pytest.mark.parametrize("name", REPORTS)
def test_reports_carry_no_inline_script(reader, name):
    body = reader.get(reverse(name)).content.decode()
    for tag in re.findall(r"<script[^>]*>", body):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "onclick" not in body and "javascript:" not in body


def test_the_index_does_not_load_the_chart_library(reader):
    assert CHART_FILE not in reader.get(reverse(REPORTS[0])).content.decode()


@pytest.mark.parametrize("name", CHARTED)
def test_every_report_has_a_print_button_and_a_csv_link(reader, name):
    body = reader.get(reverse(name)).content.decode()
    assert re.search(r'<button type="button"[^>]*data-print', body)
    assert "format=csv" in body


@pytest.mark.parametrize("name", PERIODIC)
def test_period_form_fields_are_labelled(reader, name):
    body = reader.get(reverse(name)).content.decode()
    for field in ("id_months", "id_start", "id_end"):
        assert f'<label for="{field}">' in body
        assert f'id="{field}"' in body


# -- 1. listings per month --------------------------------------------------------


@pytest.fixture
def monthly():
    """Alpha: 2 in May, 1 in June; Beta: 1 in April. Clearings and episodes
    before the period do not count."""
    alpha = BlocklistFactory(name="Alpha")
    beta = BlocklistFactory(name="Beta")
    first = listing_on(alpha)
    episode(first, jst(2025, 5, 1, 9), jst(2025, 5, 2))
    episode(first, jst(2025, 5, 20), jst(2025, 6, 1))
    episode(listing_on(alpha), jst(2025, 6, 3))
    episode(listing_on(beta), jst(2025, 4, 30, 23, 59))
    episode(listing_on(beta), jst(2024, 6, 30, 23, 59))  # before the 12 months
    return alpha, beta


def test_listings_per_month_counts_new_episodes_per_list_and_month(monthly):
    period = stats.last_months(NOW.date(), 12)
    data = reports_listings.episode_monthly_counts(period=period)
    assert [row.name for row in data.rows] == ["Alpha", "Beta"]
    april, may, june = 9, 10, 11
    assert period.months[april] == jst(2025, 4, 1).date()
    assert data.rows[0].counts[may] == 2 and data.rows[0].counts[june] == 1
    assert data.rows[0].total == 3
    assert data.rows[1].counts[april] == 1 and data.rows[1].total == 1
    assert data.total == 4 and sum(data.totals) == 4


def test_listings_per_month_page_shows_the_table_and_the_same_chart(reader, monthly):
    response = reader.get(reverse("reports:report-listings-per-month"))
    table = tables(response)["table-listings-per-month"]
    header, *body, footer = table
    assert header[0] == "List" and header[1] == "2024-07" and header[-2] == "2025-06"
    assert body[0][0] == "Alpha" and body[0][-3:] == ["2", "1", "3"]
    assert footer[-1] == "4"
    chart = chart_json(response, "chart-listings-per-month")
    assert chart["labels"] == header[1:-1]
    assert chart["stacked"] is True
    for dataset, row in zip(chart["datasets"], body, strict=True):
        assert dataset["label"] == row[0]
        assert [str(n) for n in dataset["data"]] == row[1:-1]


def test_month_follows_the_site_time_zone(settings):
    listing = listing_on(BlocklistFactory(name="Alpha"))
    utc = ZoneInfo("UTC")
    episode(listing, datetime(2025, 3, 31, 23, 30, tzinfo=utc))  # April in Tokyo
    period = months(jst(2025, 3, 1), jst(2025, 4, 1))
    assert reports_listings.episode_monthly_counts(period=period).totals == [0, 1]
    settings.TIME_ZONE = "UTC"
    assert reports_listings.episode_monthly_counts(period=period).totals == [1, 0]


def test_period_bounds_are_midnight_in_the_site_time_zone():
    start, end = selectors.period_bounds(months(jst(2025, 3, 1), jst(2025, 4, 1)))
    assert start == jst(2025, 3, 1) and end == jst(2025, 5, 1)
    assert start.utcoffset() == timedelta(hours=9)


def test_lists_beyond_the_top_ten_are_summed_as_other_lists():
    for n in range(12):
        listing = listing_on(BlocklistFactory(name=f"List {n:02d}"))
        for day in range(12 - n):  # List 00 has 12 episodes, List 11 has 1
            episode(listing, jst(2025, 6, 1 + day), jst(2025, 6, 1 + day, 1))
    period = stats.last_months(NOW.date(), 3)
    data = reports_listings.episode_monthly_counts(period=period)
    assert len(data.rows) == 11
    assert data.rows[0].name == "List 00" and data.rows[0].total == 12
    assert data.rows[-1].is_other and data.rows[-1].name == "Other lists"
    assert data.rows[-1].total == 2 + 1
    assert data.total == sum(range(1, 13))


def test_listings_per_month_says_so_when_nothing_was_listed(reader):
    body = reader.get(reverse("reports:report-listings-per-month")).content
    assert b"No listing in this period." in body
    assert b"data-chart" not in body


def test_period_of_given_months(reader, monthly):
    url = reverse("reports:report-listings-per-month") + "?start=2025-04&end=2025-05"
    response = reader.get(url)
    header, *body, footer = tables(response)["table-listings-per-month"]
    assert header == ["List", "2025-04", "2025-05", "Total"]
    assert body == [["Alpha", "0", "2", "2"], ["Beta", "1", "0", "1"]]
    assert footer == ["Total", "1", "2", "3"]
    assert 'value="custom" selected' in response.content.decode()


def test_the_period_is_the_last_12_months_unless_chosen(reader, monthly):
    response = reader.get(reverse("reports:report-listings-per-month"))
    assert '<option value="12" selected>' in response.content.decode()
    assert "Period: July 2024 to June 2025" in response.content.decode()


@pytest.mark.parametrize("months_back", [3, 6])
def test_period_of_the_last_months(reader, monthly, months_back):
    url = reverse("reports:report-listings-per-month") + f"?months={months_back}"
    header = tables(reader.get(url))["table-listings-per-month"][0]
    assert len(header) == months_back + 2 and header[-2] == "2025-06"


@pytest.mark.parametrize(
    "query",
    [
        "start=May&end=2025-05",
        "start=2025-06&end=2025-01",
        "start=2022-01&end=2025-01",
        "start=2025-01&end=June",
        "months=custom",
    ],
)
def test_unusable_months_show_twelve_months_and_say_why(reader, monthly, query):
    response = reader.get(reverse("reports:report-listings-per-month") + "?" + query)
    assert response.status_code == 200
    body = response.content.decode()
    assert "this shows the last 12 months" in body
    header = tables(response)["table-listings-per-month"][0]
    assert len(header) == 14


def test_a_wrong_month_is_named_beside_its_field(reader):
    url = reverse("reports:report-listings-per-month") + "?start=2025-13"
    body = reader.get(url).content.decode()
    assert 'aria-describedby="id_start_error"' in body
    assert '<span class="error" id="id_start_error">Give the first month' in body


def test_htmx_gets_only_the_report_body(reader, monthly):
    response = reader.get(
        reverse("reports:report-listings-per-month") + "?months=3",
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "<html" not in body and "<h1>" not in body
    assert 'id="table-listings-per-month"' in body and 'id="id_months"' in body


def test_listings_per_month_csv_holds_the_table(reader, monthly):
    url = reverse("reports:report-listings-per-month") + "?start=2025-04&end=2025-05"
    response = reader.get(url + "&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "listings-per-month-2025-04-2025-05.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["List", "2025-04", "2025-05", "Total"],
        ["Alpha", "0", "2", "2"],
        ["Beta", "1", "0", "1"],
        ["Total", "1", "2", "3"],
    ]


# -- 2. time to delist -------------------------------------------------------------


@pytest.fixture
def delisting():
    """Alpha: episodes of 1 h, 10 h and 3 h, two still open (5 d and 1 d).
    Beta: one listing listed twice, 2 h then 4 h. Cases on Alpha: verified in
    24 h and 48 h, one awaiting, one whose verification predates its request."""
    alpha = BlocklistFactory(name="Alpha")
    beta = BlocklistFactory(name="Beta")
    one = listing_on(alpha)
    episode(one, jst(2025, 5, 1), jst(2025, 5, 1, 1))
    episode(one, jst(2025, 5, 2), jst(2025, 5, 2, 10))
    episode(listing_on(alpha), jst(2025, 5, 3), jst(2025, 5, 3, 3))
    episode(listing_on(alpha), NOW - timedelta(days=5))
    episode(listing_on(alpha), NOW - timedelta(days=1))
    episode(listing_on(alpha), jst(2024, 5, 1), jst(2024, 8, 1))  # began before
    twice = listing_on(beta)
    episode(twice, jst(2025, 5, 1), jst(2025, 5, 1, 2))
    episode(twice, jst(2025, 5, 2), jst(2025, 5, 2, 4))
    requested = jst(2025, 5, 1, 9)
    for hours in (24, 48):
        case(
            opened=requested,
            blocklist=alpha,
            status=Status.CLOSED,
            requested_at=requested,
            verified_at=requested + timedelta(hours=hours),
        )
    case(
        opened=requested,
        blocklist=alpha,
        status=Status.REQUESTED,
        requested_at=requested,
    )
    case(
        opened=requested,
        blocklist=alpha,
        status=Status.REQUESTED,
        requested_at=requested,
        verified_at=requested - timedelta(days=1),  # an earlier removal
    )
    case(
        opened=requested,
        blocklist=alpha,
        status=Status.ABANDONED,
        requested_at=requested,
    )
    return alpha, beta


def test_time_to_delist_takes_median_and_worst_of_ended_episodes(delisting):
    period = stats.last_months(NOW.date(), 12)
    alpha, beta = reports_listings.blocklist_delist_times(period=period, now=NOW)
    assert alpha.blocklist == "Alpha"
    assert alpha.episodes == stats.Durations(
        count=3, median=timedelta(hours=3), worst=timedelta(hours=10)
    )
    assert beta.episodes == stats.Durations(
        count=2, median=timedelta(hours=3), worst=timedelta(hours=4)
    )


def test_open_episodes_are_counted_apart_not_in_the_median(delisting):
    period = stats.last_months(NOW.date(), 12)
    alpha, beta = reports_listings.blocklist_delist_times(period=period, now=NOW)
    assert alpha.still_listed == 2 and alpha.oldest_open == timedelta(days=5)
    assert beta.still_listed == 0 and beta.oldest_open is None


def test_time_from_request_to_verified_removal(delisting):
    period = stats.last_months(NOW.date(), 12)
    alpha, beta = reports_listings.blocklist_delist_times(period=period, now=NOW)
    assert alpha.requests == stats.Durations(
        count=2, median=timedelta(hours=36), worst=timedelta(hours=48)
    )
    assert alpha.awaiting == 2  # the abandoned request waits for nothing
    assert beta.requests.count == 0 and beta.awaiting == 0


def test_time_to_delist_page_shows_both_measures_readably(reader, delisting):
    response = reader.get(reverse("reports:report-time-to-delist"))
    rows = tables(response)["table-time-to-delist"]
    assert rows[1][:5] == ["List", "Ended", "Median", "Worst", "Still listed"]
    alpha = rows[2]
    assert alpha[:4] == ["Alpha", "3", "3 h 0 min", "10 h 0 min"]
    assert alpha[4] == "2 still listed, the oldest for 5 d 0 h"
    assert alpha[5:] == ["2", "1 d 12 h", "2 d 0 h", "2"]
    assert rows[3][4] == "0" and rows[3][6] == "—"
    body = response.content.decode()
    assert "Listing episodes (listed to cleared)" in body
    assert "Our requests (requested to removal verified)" in body


def test_time_to_delist_charts_carry_the_table_medians_in_hours(reader, delisting):
    response = reader.get(reverse("reports:report-time-to-delist"))
    episodes = chart_json(response, "chart-episodes")
    assert episodes["labels"] == ["Alpha", "Beta"] and episodes["horizontal"]
    median, worst = episodes["datasets"]
    assert median["data"] == [3.0, 3.0] and not median["marker"]
    assert worst["data"] == [10.0, 4.0] and worst["marker"]
    requests = chart_json(response, "chart-requests")
    assert requests["labels"] == ["Alpha"]
    assert [d["data"] for d in requests["datasets"]] == [[36.0], [48.0]]


def test_time_to_delist_says_so_when_nothing_was_listed(reader):
    body = reader.get(reverse("reports:report-time-to-delist")).content
    assert b"No listing in this period." in body


def test_report_csv_cells_never_run_as_a_formula(reader, monthly):
    # A list's name is typed by staff; a spreadsheet must not run it.
    Blocklist.objects.filter(name="Alpha").update(name='=HYPERLINK("x")')
    url = reverse("reports:report-listings-per-month") + "?start=2025-04&end=2025-05"
    response = reader.get(url + "&format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert ['\'=HYPERLINK("x")', "0", "2", "2"] in rows


def test_time_to_delist_csv_gives_hours(reader, delisting):
    response = reader.get(reverse("reports:report-time-to-delist") + "?format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["List", "Episodes ended", "Median episode (hours)"]
    alpha = ["Alpha", "3", "3.0", "10.0", "2", "120.0", "2", "36.0", "48.0", "2"]
    assert rows[1] == alpha


# -- 3. open-case ageing -----------------------------------------------------------


@pytest.fixture
def ageing():
    made = [
        case(opened=NOW - timedelta(hours=2), status=Status.OPEN),
        case(opened=NOW - timedelta(hours=30), status=Status.REQUESTED),
        case(opened=NOW - timedelta(days=3), status=Status.REQUESTED, is_overdue=True),
        case(opened=NOW - timedelta(days=10), status=Status.AWAITING_REMOVAL),
        case(opened=NOW - timedelta(days=40), status=Status.OPEN, is_overdue=True),
    ]
    case(opened=NOW - timedelta(days=60), status=Status.CLOSED)
    case(opened=NOW - timedelta(days=50), status=Status.ABANDONED)
    return made


def test_case_ageing_buckets_active_cases_by_age_and_status(ageing):
    data = reports_cases.case_ageing(now=NOW)
    assert data.counts == [1, 1, 1, 1, 1] and data.total == 5 and data.overdue == 2
    by_status = {row.status: (row.counts, row.overdue) for row in data.by_status}
    assert by_status == {
        "open": ([1, 0, 0, 0, 1], 1),
        "requested": ([0, 1, 1, 0, 0], 1),
        "awaiting_removal": ([0, 0, 0, 1, 0], 0),
    }


def test_case_ageing_lists_the_oldest_first_with_links(reader, ageing):
    response = reader.get(reverse("reports:report-case-ageing"))
    body = response.content.decode()
    oldest = [reverse("cases:case-detail", args=[c.pk]) for c in reversed(ageing)]
    positions = [body.index(f'href="{url}"') for url in oldest]
    assert positions == sorted(positions)
    assert '<span aria-hidden="true">⚠</span> overdue' in body  # icon and text


def test_case_ageing_table_and_chart_agree(reader, ageing):
    response = reader.get(reverse("reports:report-case-ageing"))
    header, *body, footer = tables(response)["table-case-ageing"]
    assert header[1:-2] == [str(label) for label in AGE_LABELS]
    assert footer == ["Total", "1", "1", "1", "1", "1", "5", "2"]
    chart = chart_json(response, "chart-case-ageing")
    assert chart["labels"] == header[1:-2]
    for dataset, row in zip(chart["datasets"], body, strict=True):
        assert dataset["label"] == row[0]
        assert [str(n) for n in dataset["data"]] == row[1:-2]


def test_age_labels_match_the_buckets():
    assert len(AGE_LABELS) == len(stats.AGE_BUCKETS)


def test_case_ageing_says_so_when_no_case_is_worked(reader):
    case(opened=NOW - timedelta(days=60), status=Status.CLOSED)
    body = reader.get(reverse("reports:report-case-ageing")).content
    assert b"No case is being worked" in body


# -- 4. repeat listings --------------------------------------------------------------


@pytest.fixture
def repeats():
    alpha = BlocklistFactory(name="Alpha")
    beta = BlocklistFactory(name="Beta")
    often = TargetFactory(value="192.0.2.7")
    twice = TargetFactory(value="192.0.2.8")
    on_alpha = listing_on(alpha, often)
    episode(on_alpha, jst(2024, 1, 1), jst(2024, 1, 2))  # before the period
    episode(on_alpha, jst(2025, 5, 1), jst(2025, 5, 2))
    episode(on_alpha, jst(2025, 5, 10), jst(2025, 5, 11))
    episode(listing_on(beta, often), jst(2025, 6, 1, 8))
    second = listing_on(alpha, twice)
    episode(second, jst(2025, 3, 1), jst(2025, 3, 2))
    episode(second, jst(2025, 4, 1), jst(2025, 4, 2))
    episode(listing_on(alpha, TargetFactory(value="192.0.2.9")), jst(2025, 5, 1))
    return often, twice


def test_repeat_listings_rank_addresses_by_episodes(repeats):
    often, _twice = repeats
    rows = reports_listings.address_repeats(period=stats.last_months(NOW.date(), 12))
    assert [(r.subject, r.episodes, r.lists) for r in rows] == [
        ("192.0.2.7", 3, ["Alpha", "Beta"]),
        ("192.0.2.8", 2, ["Alpha"]),
    ]
    assert rows[0].target_id == often.pk
    assert rows[0].last_listed_at == jst(2025, 6, 1, 8)


def test_repeat_listings_page_links_to_the_targets(reader, repeats):
    often, _twice = repeats
    response = reader.get(reverse("reports:report-repeat-listings"))
    body = response.content.decode()
    assert reverse("monitoring:target-detail", args=[often.pk]) in body
    _header, *rows = tables(response)["table-repeat-listings"]
    assert rows[0][:3] == ["192.0.2.7", "3", "Alpha, Beta"]
    chart = chart_json(response, "chart-repeat-listings")
    assert chart["labels"] == ["192.0.2.7", "192.0.2.8"]
    assert chart["datasets"][0]["data"] == [3, 2]


def test_an_address_in_two_targets_is_counted_per_target():
    alpha = BlocklistFactory(name="Alpha")
    alone = TargetFactory(value="192.0.2.7")
    network = TargetFactory(value="192.0.2.0/28", kind="range")
    for target in (alone, network):
        listing = ListingFactory(target=target, blocklist=alpha, subject="192.0.2.7")
        episode(listing, jst(2025, 5, 1), jst(2025, 5, 2))
        episode(listing, jst(2025, 5, 3), jst(2025, 5, 4))
    rows = reports_listings.address_repeats(period=stats.last_months(NOW.date(), 12))
    assert sorted((r.target_id, r.episodes) for r in rows) == [
        (alone.pk, 2),
        (network.pk, 2),
    ]


def test_repeat_listings_show_at_most_25(reader):
    alpha = BlocklistFactory(name="Alpha")
    for n in range(27):
        listing = listing_on(alpha, TargetFactory(value=f"192.0.2.{n + 1}"))
        episode(listing, jst(2025, 5, 1), jst(2025, 5, 2))
        episode(listing, jst(2025, 5, 3), jst(2025, 5, 4))
    rows = reports_listings.address_repeats(period=stats.last_months(NOW.date(), 12))
    assert len(rows) == 25


def test_repeat_listings_say_so_when_none_repeated(reader):
    episode(listing_on(BlocklistFactory()), jst(2025, 5, 1))
    body = reader.get(reverse("reports:report-repeat-listings")).content
    assert b"No address was listed more than once in this period." in body


# -- 5. cases per staff member -------------------------------------------------------


@pytest.fixture
def workload():
    alice = User.objects.create_user("alice", first_name="Alice", last_name="Smith")
    bob = User.objects.create_user("bob")
    carol = User.objects.create_user("carol")
    case(
        opened=jst(2025, 5, 1),
        assignee=alice,
        status=Status.CLOSED,
        verified_at=jst(2025, 5, 3),
        closed_at=jst(2025, 5, 4),
    )
    case(
        opened=jst(2025, 5, 10),
        assignee=alice,
        status=Status.WATCHING,
        verified_at=jst(2025, 5, 11),
    )
    case(opened=jst(2025, 6, 1), assignee=alice, status=Status.OPEN, is_overdue=True)
    case(opened=jst(2024, 1, 1), assignee=alice, status=Status.REQUESTED)
    case(
        opened=jst(2025, 5, 5),
        assignee=bob,
        status=Status.ABANDONED,
        closed_at=jst(2025, 5, 6),
    )
    case(opened=jst(2025, 6, 2), status=Status.OPEN)
    case(
        opened=jst(2023, 1, 1),
        assignee=carol,
        status=Status.CLOSED,
        closed_at=jst(2023, 2, 1),
    )
    return alice, bob


def test_cases_per_person_counts_each_assignee(workload):
    rows = reports_cases.case_workload(period=stats.last_months(NOW.date(), 12))
    got = {r.name: (r.opened, r.active, r.overdue, r.verified, r.closed) for r in rows}
    assert got == {
        "Alice Smith": (3, 3, 1, 2, 1),
        "bob": (1, 0, 0, 0, 0),
        "Unassigned": (1, 1, 0, 0, 0),
    }
    assert [r.name for r in rows] == ["Alice Smith", "bob", "Unassigned"]
    assert rows[0].to_verify.median == timedelta(days=1, hours=12)


def test_cases_per_person_table_and_chart_agree(reader, workload):
    response = reader.get(reverse("reports:report-cases-per-person"))
    header, *rows = tables(response)["table-cases-per-person"]
    assert rows[0] == ["Alice Smith", "3", "3", "1", "2", "1", "1 d 12 h"]
    assert rows[2][0] == "Unassigned" and rows[2][-1] == "—"
    chart = chart_json(response, "chart-cases-per-person")
    assert chart["labels"] == [row[0] for row in rows]
    for column, dataset in enumerate(chart["datasets"], start=1):
        assert dataset["label"] == header[column]
        assert [str(n) for n in dataset["data"]] == [row[column] for row in rows]


def test_cases_per_person_says_so_without_cases(reader):
    body = reader.get(reverse("reports:report-cases-per-person")).content
    assert b"No case in this period, and none being worked." in body


# -- the index ----------------------------------------------------------------------


def test_index_links_every_report_with_a_headline(reader, delisting, ageing):
    body = reader.get(reverse("reports:report-index")).content.decode()
    for name in CHARTED:
        assert f'href="{reverse(name)}"' in body
    assert "7 new listings" in body  # Alpha 5 and Beta 2 begun in the period
    assert "Median request to removal: 1 d 12 h" in body
    assert "7 cases being worked, 3 over 4 weeks old" in body
    assert "2 addresses listed twice or more" in body


def test_index_headlines_are_the_reports_numbers(delisting, ageing):
    period = stats.last_months(NOW.date(), 12)
    headlines = selectors.report_headlines(period=period, now=NOW)
    episodes = ListingChange.objects.filter(kind=LISTED, at__gte=jst(2024, 7, 1))
    assert headlines.new_listings == episodes.count()
    assert headlines.repeat_addresses == len(
        reports_listings.address_repeats(period=period)
    )
    ageing_now = reports_cases.case_ageing(now=NOW)
    assert headlines.active_cases == ageing_now.total
    assert headlines.cases_over_four_weeks == ageing_now.counts[-1]
    assert headlines.overdue_cases == ageing_now.overdue


# -- query bounds ------------------------------------------------------------------


def _many(rows, offset=0):
    """`rows` lists, addresses, cases and staff, each with a few episodes."""
    for n in range(offset, offset + rows):
        blocklist = BlocklistFactory(name=f"List {n:02d}")
        target = TargetFactory(value=f"203.0.113.{n + 1}")
        listing = listing_on(blocklist, target)
        episode(listing, jst(2025, 4, 1, n % 24), jst(2025, 4, 2))
        episode(listing, jst(2025, 5, 1, n % 24), jst(2025, 5, 3))
        episode(listing, jst(2025, 6, 1, n % 24))
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
    _many(5)
    with django_assert_max_num_queries(10):
        assert reader.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", REPORTS)
def test_report_query_count_does_not_grow_with_rows(reader, name):
    _many(2)
    few = count_queries(reader, reverse(name))
    _many(18, offset=2)
    assert count_queries(reader, reverse(name)) == few


@pytest.mark.parametrize("name", CHARTED)
def test_csv_query_count_is_small(reader, name, django_assert_max_num_queries):
    _many(5)
    with django_assert_max_num_queries(10):
        assert reader.get(reverse(name) + "?format=csv").status_code == 200
