"""The CSV writer's formula guard (blcheck/core/export.py): no piece of a cell
starts a formula, whatever separator a spreadsheet splits the cell on, and
plain cells are written as they are."""

import csv
import io
import re

import pytest
from django.urls import reverse

from blcheck.core.export import csv_lines, formula_guard
from tests.factories import LookupFactory

FORMULA = ("=", "+", "-", "@")
# What a spreadsheet may split a cell on: its locale's list separator, its
# import dialog's choice, a line break.
SEPARATORS = re.compile(r"[,;|\t\r\n]")
HOSTILE = [
    "=1+1",
    "+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    " =1+1",
    ";=1+1",
    "foo|=cmd|' /C calc'!A0",
    'foo;=HYPERLINK("http://192.0.2.1")',
    "a,=1",
    "a, -1",
    "listed\t+1",
    "a\n@SUM(1)",
    "a;\t=1",
    "a; ;=1",
    "v=spf1 -all;=1",
]
PLAIN = [
    "Listed by Barracuda",
    "127.0.0.2 127.0.0.4",
    "Blocked - see https://192.0.2.1/lookup?ip=192.0.2.66",
    "a,b;c|d",
    "v=spf1 -all",
    "",
    "'=already quoted",
]


def written(value: object) -> str:
    """The one cell of a row holding value, as the CSV file holds it."""
    text = "".join(csv_lines(["cell"], [[value]]))
    _, (cell,) = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    return cell


def formula_pieces(cell: str) -> list[str]:
    """The pieces of the cell, split on any separator, that a spreadsheet
    would run as a formula (blanks before them trimmed)."""
    pieces = [cell, *SEPARATORS.split(cell)]
    return [p for p in pieces if p.lstrip(" \u3000\u00a0").startswith(FORMULA)]


@pytest.mark.parametrize("value", HOSTILE)
def test_no_piece_of_a_hostile_cell_starts_a_formula(value):
    cell = written(value)
    assert formula_pieces(cell) == []
    # Nothing is lost: the apostrophes are the only change.
    assert cell.replace("'", "") == value.replace("'", "")


@pytest.mark.parametrize("value", PLAIN)
def test_plain_cells_are_written_as_they_are(value):
    assert written(value) == value


@pytest.mark.parametrize(
    ("value", "guarded"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tfoo", "'\tfoo"),
        ("\rfoo", "'\rfoo"),
        (";=1+1", ";'=1+1"),
        ("foo|=cmd", "foo|'=cmd"),
        ("a;\t=1", "a;\t'=1"),
    ],
)
def test_the_apostrophe_goes_before_each_formula(value, guarded):
    assert formula_guard(value) == guarded


def test_numbers_stay_numbers():
    assert written(-5) == "-5"
    assert written(["127.0.0.2", "-1"]) == "127.0.0.2 -1"


@pytest.mark.django_db
def test_a_hostile_txt_record_is_guarded_in_the_history_csv(reader):
    LookupFactory(verdict="listed", reason=";=1+1")
    response = reader.get(reverse("reports:history-lookups-csv"))
    body = b"".join(response.streaming_content).decode("utf-8").removeprefix("\ufeff")
    header, row = list(csv.reader(io.StringIO(body)))
    assert row[header.index("reason")] == ";'=1+1"
