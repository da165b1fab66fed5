"""Report 5, cases per staff member: who opened, worked, verified and closed
which cases in the period, in a table, a chart beside it and a CSV."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from blcheck.reports import stats
from blcheck.reports.selectors import reports_cases
from tests.support.history import NOW, jst
from tests.support.reports import Status, case, chart_json, csv_rows, table

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("tokyo"),
    pytest.mark.time_machine(NOW, tick=False),
]

URL = reverse("reports:report-cases-per-person")


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
    response = reader.get(URL)
    header, *rows = table(response, "table-cases-per-person")
    assert rows[0] == ["Alice Smith", "3", "3", "1", "2", "1", "1 d 12 h"]
    assert rows[2][0] == "Unassigned" and rows[2][-1] == "—"
    chart = chart_json(response, "chart-cases-per-person")
    assert chart["labels"] == [row[0] for row in rows]
    for column, dataset in enumerate(chart["datasets"], start=1):
        assert dataset["label"] == header[column]
        assert [str(n) for n in dataset["data"]] == [row[column] for row in rows]


def test_cases_per_person_says_so_without_cases(reader):
    body = reader.get(URL).content
    assert b"No case in this period, and none being worked." in body


def test_cases_per_person_csv_holds_the_table(reader, workload):
    response = reader.get(reverse("reports:report-cases-per-person-csv"))
    assert "cases-per-person-2024-07-2025-06.csv" in response["Content-Disposition"]
    header, alice, *_rest = csv_rows(response)
    assert header[0] == "Staff member" and header[-1].startswith("Median opened")
    assert alice == ["Alice Smith", "3", "3", "1", "2", "1", "36.0"]
