"""History pages for managers: lookups and listing episodes, with CSV export."""

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from blcheck.core.access import viewer_required
from blcheck.reports.filters import (
    PAGE_MAX_DAYS,
    EpisodeFilter,
    HistoryFilter,
    LookupFilter,
)
from blcheck.reports.selectors import history as selectors

# Spreadsheets run a cell starting with these as a formula; TXT records come
# from third parties, so such cells get a leading apostrophe.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Rows per piece handed to the server: one write per row costs a system call each.
LINES_PER_WRITE = 500


@require_GET
@viewer_required
def lookup_history(request: HttpRequest) -> HttpResponse:
    filtered = LookupFilter(
        request.GET, queryset=selectors.lookup_history(), max_days=PAGE_MAX_DAYS
    )
    page = None
    if filtered.is_valid():
        page = selectors.history_page(
            filtered.qs, time_field="checked_at", before=request.GET.get("before", "")
        )
    return _render(request, "reports/history_lookups.html", filtered, page)


@require_GET
@viewer_required
def lookup_history_csv(request: HttpRequest) -> HttpResponseBase:
    filtered = LookupFilter(request.GET, queryset=selectors.lookup_history())
    if not filtered.is_valid():
        return _back_to_page("reports:history-lookups", request)
    return _csv_response(
        selectors.lookup_export_rows(filtered.qs),
        header=selectors.LOOKUP_COLUMNS,
        filename=_filename("lookups", filtered),
    )


@require_GET
@viewer_required
def episode_history(request: HttpRequest) -> HttpResponse:
    filtered = EpisodeFilter(
        request.GET, queryset=selectors.episode_history(), max_days=PAGE_MAX_DAYS
    )
    page = None
    if filtered.is_valid():
        page = selectors.history_page(
            filtered.qs, time_field="at", before=request.GET.get("before", "")
        )
    return _render(request, "reports/history_episodes.html", filtered, page)


@require_GET
@viewer_required
def episode_history_csv(request: HttpRequest) -> HttpResponseBase:
    filtered = EpisodeFilter(request.GET, queryset=selectors.episode_history())
    if not filtered.is_valid():
        return _back_to_page("reports:history-episodes", request)
    return _csv_response(
        selectors.episode_export_rows(filtered.qs),
        header=selectors.EPISODE_COLUMNS,
        filename=_filename("episodes", filtered),
    )


def _render(
    request: HttpRequest,
    template: str,
    filtered: HistoryFilter,
    page: selectors.HistoryPage[Any] | None,
) -> HttpResponse:
    cleaned = getattr(filtered.form, "cleaned_data", {})
    context = {
        "filter": filtered,
        "page": page,
        "query": filtered.query().urlencode(),
        "can_export": page is not None or filtered.form.only_too_long,
        "date_from": cleaned.get("date_from"),
        "date_to": cleaned.get("date_to"),
        "retention_days": settings.LOOKUP_RETENTION_DAYS,
    }
    return render(request, template, context)


def _back_to_page(name: str, request: HttpRequest) -> HttpResponse:
    """An export with filters the page would refuse: show the page's message."""
    return HttpResponseRedirect(f"{reverse(name)}?{request.GET.urlencode()}")


def _filename(kind: str, filtered: HistoryFilter) -> str:
    cleaned = filtered.form.cleaned_data
    return f"blcheck-{kind}-{cleaned['date_from']}-{cleaned['date_to']}.csv"


class _Echo:
    """A file-like object whose write() hands the line back (Django's docs)."""

    def write(self, value: str) -> str:
        return value


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    if isinstance(value, list):
        value = " ".join(str(item) for item in value)
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
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


def _csv_response(
    rows: Iterator[Sequence[Any]], *, header: Sequence[str], filename: str
) -> StreamingHttpResponse:
    return StreamingHttpResponse(
        csv_lines(header, rows),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
