"""Report 1, listings per month: counts per list and month in the site's time
zone, the period form (given months, the last months, unusable input), the
table, the chart beside it and its CSV."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from blcheck.monitoring.models import Blocklist
from blcheck.reports import stats
from blcheck.reports.selectors import reports as selectors
from blcheck.reports.selectors import reports_listings
from tests.factories import BlocklistFactory
from tests.support.history import NOW, episode, jst
from tests.support.html import parse
from tests.support.reports import chart_json, csv_rows, listing_on, table

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("tokyo"),
    pytest.mark.time_machine(NOW, tick=False),
]

URL = reverse("reports:report-listings-per-month")
CSV_URL = reverse("reports:report-listings-per-month-csv")
TABLE = "table-listings-per-month"


def months(first, last):
    period = stats.months_between(first.date(), last.date())
    assert period is not None
    return period


@pytest.fixture
def monthly():
    """Alpha: 2 in May, 1 in June; Beta: 1 in April. Clearings and episodes
    before the period do not count."""
    alpha = BlocklistFactory(name="Alpha")
    beta = BlocklistFactory(name="Beta")
    first = listing_on(alpha)
    episode(first, at=jst(2025, 5, 1, 9), cleared=jst(2025, 5, 2))
    episode(first, at=jst(2025, 5, 20), cleared=jst(2025, 6, 1))
    episode(listing_on(alpha), at=jst(2025, 6, 3))
    episode(listing_on(beta), at=jst(2025, 4, 30, 23, 59))
    episode(listing_on(beta), at=jst(2024, 6, 30, 23, 59))  # before the 12 months
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
    response = reader.get(URL)
    header, *body, footer = table(response, TABLE)
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
    episode(listing, at=datetime(2025, 3, 31, 23, 30, tzinfo=UTC))  # April in Tokyo
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
            episode(listing, at=jst(2025, 6, 1 + day), cleared=jst(2025, 6, 1 + day, 1))
    period = stats.last_months(NOW.date(), 3)
    data = reports_listings.episode_monthly_counts(period=period)
    assert len(data.rows) == 11
    assert data.rows[0].name == "List 00" and data.rows[0].total == 12
    assert data.rows[-1].is_other and data.rows[-1].name == "Other lists"
    assert data.rows[-1].total == 2 + 1
    assert data.total == sum(range(1, 13))


def test_listings_per_month_says_so_when_nothing_was_listed(reader):
    body = reader.get(URL).content
    assert b"No listing in this period." in body
    assert b"data-chart" not in body


# --- the period --------------------------------------------------------------------


def test_period_of_given_months(reader, monthly):
    response = reader.get(URL, {"start": "2025-04", "end": "2025-05"})
    header, *body, footer = table(response, TABLE)
    assert header == ["List", "2025-04", "2025-05", "Total"]
    assert body == [["Alpha", "0", "2", "2"], ["Beta", "1", "0", "1"]]
    assert footer == ["Total", "1", "2", "3"]
    period = parse(response.content).find("select", name="months")
    assert period.find("option", value="custom").get("selected") is not None


def test_the_period_is_the_last_12_months_unless_chosen(reader, monthly):
    page = parse(reader.get(URL).content)
    period = page.find("select", name="months")
    assert period.find("option", value="12").get("selected") is not None
    assert "Period: July 2024 to June 2025" in page.text


@pytest.mark.parametrize("months_back", [3, 6])
def test_period_of_the_last_months(reader, monthly, months_back):
    header = table(reader.get(URL, {"months": months_back}), TABLE)[0]
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
    response = reader.get(f"{URL}?{query}")
    assert response.status_code == 200
    assert "this shows the last 12 months" in parse(response.content).text
    header = table(response, TABLE)[0]
    assert len(header) == 14


def test_a_wrong_month_is_named_beside_its_field(reader):
    page = parse(reader.get(URL, {"start": "2025-13"}).content)
    assert page.by_id("id_start")["aria-describedby"] == "id_start_errors"
    error = page.by_id("id_start_errors")
    assert error.tag == "span" and "error" in error.classes
    assert error.get("role") == "alert"
    assert error.find("span", aria_hidden="true").text == "⚠"
    assert error.text.startswith("⚠ Give the first month")


def test_htmx_gets_only_the_report_body(reader, monthly):
    response = reader.get(URL, {"months": "3"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body and "<h1>" not in body
    page = parse(body)
    page.by_id(TABLE)
    page.by_id("id_months")


# --- CSV ---------------------------------------------------------------------------


def test_listings_per_month_csv_holds_the_table(reader, monthly):
    response = reader.get(CSV_URL, {"start": "2025-04", "end": "2025-05"})
    assert response["Content-Type"].startswith("text/csv")
    assert "listings-per-month-2025-04-2025-05.csv" in response["Content-Disposition"]
    assert csv_rows(response) == [
        ["List", "2025-04", "2025-05", "Total"],
        ["Alpha", "0", "2", "2"],
        ["Beta", "1", "0", "1"],
        ["Total", "1", "2", "3"],
    ]


def test_report_csv_cells_never_run_as_a_formula(reader, monthly):
    # A list's name is typed by staff; a spreadsheet must not run it.
    Blocklist.objects.filter(name="Alpha").update(name='=HYPERLINK("x")')
    response = reader.get(CSV_URL, {"start": "2025-04", "end": "2025-05"})
    assert ['\'=HYPERLINK("x")', "0", "2", "2"] in csv_rows(response)
