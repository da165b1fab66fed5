"""The one CSV writer: every download (the history, the reports' tables) goes
through it, so every file has the same format.

UTF-8 with a BOM (so that Excel, Japanese Windows included, reads it), times
in ISO 8601 in TIME_ZONE, and cells that a spreadsheet would run as a formula
made plain text. A page's CSV lives beside it: <page>.csv next to <page>/,
with the page's own query string.
"""

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

# Spreadsheets run a cell starting with these as a formula; TXT records come
# from third parties, so such cells get a leading apostrophe.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A spreadsheet may split a cell again on a separator of its locale or of its
# import dialog (";", "|", tab, ",", a line break), or trim the blanks before a
# formula, so a formula character after one of those, or after blanks at the
# start, gets the apostrophe too: "a;=1+1" -> "a;'=1+1", " =1" -> "' =1".
_FORMULA_AFTER_SEPARATOR = re.compile(r"(^|[;|,\t\r\n])([^\S\t\r\n]*[=+\-@])")
# Rows per piece handed to the server: one write per row costs a system call each.
LINES_PER_WRITE = 500


class _Echo:
    """A file-like object whose write() hands the line back (Django's docs)."""

    def write(self, value: str) -> str:
        return value


def formula_guard(text: str) -> str:
    """The text, with an apostrophe wherever a spreadsheet would start a
    formula: at its start, and after each separator it may split the cell on."""
    if text.startswith(_FORMULA_STARTS):
        text = "'" + text
    return _FORMULA_AFTER_SEPARATOR.sub(r"\1'\2", text)


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    if isinstance(value, list):
        value = " ".join(str(item) for item in value)
    if isinstance(value, str):
        return formula_guard(value)
    return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV text: the header at once (with a UTF-8 BOM, so that Excel, Japanese
    Windows included, reads UTF-8), then LINES_PER_WRITE rows per piece."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header)
    lines = []
    for row in rows:
        lines.append(writer.writerow([_cell(value) for value in row]))
        if len(lines) >= LINES_PER_WRITE:
            yield "".join(lines)
            lines.clear()
    if lines:
        yield "".join(lines)


def _headers(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def csv_streamed(
    rows: Iterator[Sequence[Any]], *, header: Sequence[str], filename: str
) -> StreamingHttpResponse:
    """For exports of any size: rows are read as they are written."""
    return StreamingHttpResponse(
        csv_lines(header, rows),
        content_type="text/csv; charset=utf-8",
        headers=_headers(filename),
    )


def csv_file(
    rows: Iterable[Sequence[Any]], *, header: Sequence[str], filename: str
) -> HttpResponse:
    """For a report's table: a few hundred rows at most, sent at once."""
    return HttpResponse(
        "".join(csv_lines(header, rows)),
        content_type="text/csv; charset=utf-8",
        headers=_headers(filename),
    )
