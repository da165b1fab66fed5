"""Report 2, time to delist: how long listings last per list (median and
worst of the ended ones, the open ones apart), how fast lists act on our
requests, in a table, two charts and a CSV in hours."""

from datetime import timedelta

import pytest
from django.urls import reverse

from blcheck.reports import stats
from blcheck.reports.selectors import reports_listings
from tests.support.history import NOW
from tests.support.html import parse
from tests.support.reports import chart_json, csv_rows, delisting, table

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("tokyo"),
    pytest.mark.time_machine(NOW, tick=False),
]

URL = reverse("reports:report-time-to-delist")


def delist_times():
    period = stats.last_months(NOW.date(), 12)
    return reports_listings.blocklist_delist_times(period=period, now=NOW)


def test_time_to_delist_takes_median_and_worst_of_ended_episodes():
    delisting()
    alpha, beta = delist_times()
    assert alpha.blocklist == "Alpha"
    assert alpha.episodes == stats.Durations(
        count=3, median=timedelta(hours=3), worst=timedelta(hours=10)
    )
    assert beta.episodes == stats.Durations(
        count=2, median=timedelta(hours=3), worst=timedelta(hours=4)
    )


def test_open_episodes_are_counted_apart_not_in_the_median():
    delisting()
    alpha, beta = delist_times()
    assert alpha.still_listed == 2 and alpha.oldest_open == timedelta(days=5)
    assert beta.still_listed == 0 and beta.oldest_open is None


def test_time_from_request_to_verified_removal():
    delisting()
    alpha, beta = delist_times()
    assert alpha.requests == stats.Durations(
        count=2, median=timedelta(hours=36), worst=timedelta(hours=48)
    )
    assert alpha.awaiting == 2  # the abandoned request waits for nothing
    assert beta.requests.count == 0 and beta.awaiting == 0


def test_time_to_delist_page_shows_both_measures_readably(reader):
    delisting()
    response = reader.get(URL)
    rows = table(response, "table-time-to-delist")
    assert rows[1][:5] == ["List", "Ended", "Median", "Worst", "Still listed"]
    alpha = rows[2]
    assert alpha[:4] == ["Alpha", "3", "3 h 0 min", "10 h 0 min"]
    assert alpha[4] == "2 still listed, the oldest for 5 d 0 h"
    assert alpha[5:] == ["2", "1 d 12 h", "2 d 0 h", "2"]
    assert rows[3][4] == "0" and rows[3][6] == "—"
    text = parse(response.content).text
    assert "Listing episodes (listed to cleared)" in text
    assert "Our requests (requested to removal verified)" in text


def test_time_to_delist_charts_carry_the_table_medians_in_hours(reader):
    delisting()
    response = reader.get(URL)
    episodes = chart_json(response, "chart-episodes")
    assert episodes["labels"] == ["Alpha", "Beta"] and episodes["horizontal"]
    median, worst = episodes["datasets"]
    assert median["data"] == [3.0, 3.0] and not median["marker"]
    assert worst["data"] == [10.0, 4.0] and worst["marker"]
    requests = chart_json(response, "chart-requests")
    assert requests["labels"] == ["Alpha"]
    assert [d["data"] for d in requests["datasets"]] == [[36.0], [48.0]]


def test_time_to_delist_says_so_when_nothing_was_listed(reader):
    assert b"No listing in this period." in reader.get(URL).content


def test_time_to_delist_csv_gives_hours(reader):
    delisting()
    rows = csv_rows(reader.get(reverse("reports:report-time-to-delist-csv")))
    assert rows[0][:3] == ["List", "Episodes ended", "Median episode (hours)"]
    alpha = ["Alpha", "3", "3.0", "10.0", "2", "120.0", "2", "36.0", "48.0", "2"]
    assert rows[1] == alpha
