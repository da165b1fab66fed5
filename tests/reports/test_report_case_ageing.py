"""Report 3, open-case ageing: the cases being worked now by age and status,
the oldest first, in a table, a chart beside it and a CSV."""

from datetime import timedelta

import pytest
from django.urls import reverse

from blcheck.reports import stats
from blcheck.reports.selectors import reports_cases
from blcheck.reports.views.reports import AGE_LABELS
from tests.support.history import NOW
from tests.support.html import parse
from tests.support.reports import Status, ageing, case, chart_json, csv_rows, table

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("tokyo"),
    pytest.mark.time_machine(NOW, tick=False),
]

URL = reverse("reports:report-case-ageing")


def test_case_ageing_buckets_active_cases_by_age_and_status():
    ageing()
    data = reports_cases.case_ageing(now=NOW)
    assert data.counts == [1, 1, 1, 1, 1] and data.total == 5 and data.overdue == 2
    by_status = {row.status: (row.counts, row.overdue) for row in data.by_status}
    assert by_status == {
        "open": ([1, 0, 0, 0, 1], 1),
        "requested": ([0, 1, 1, 0, 0], 1),
        "awaiting_removal": ([0, 0, 0, 1, 0], 0),
    }


def test_case_ageing_lists_the_oldest_first_with_links(reader):
    made = ageing()
    page = parse(reader.get(URL).content)
    links = [a["href"] for a in page.find_all("a")]
    oldest = [reverse("cases:case-detail", args=[c.pk]) for c in reversed(made)]
    positions = [links.index(url) for url in oldest]
    assert positions == sorted(positions)
    overdue = page.find("span", class_="badge-overdue")  # icon and text
    assert overdue.find("span", aria_hidden="true").text == "⚠"
    assert overdue.text == "⚠ overdue"


def test_case_ageing_table_and_chart_agree(reader):
    ageing()
    response = reader.get(URL)
    header, *body, footer = table(response, "table-case-ageing")
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
    assert b"No case is being worked" in reader.get(URL).content


def test_case_ageing_csv_holds_the_table(reader):
    ageing()
    response = reader.get(reverse("reports:report-case-ageing-csv"))
    assert "case-ageing-2025-06-15.csv" in response["Content-Disposition"]
    header, *_by_status, total = csv_rows(response)
    assert header == ["Status", *map(str, AGE_LABELS), "Total", "Overdue"]
    assert total == ["Total", "1", "1", "1", "1", "1", "5", "2"]
