"""History pages for managers: lookups and listing episodes, with CSV export."""

from typing import Any

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from blcheck.core import export
from blcheck.core.access import viewer_required
from blcheck.core.paging import CURSOR_PARAM, KeysetPage, keyset_page
from blcheck.reports.filters import (
    PAGE_MAX_DAYS,
    EpisodeFilter,
    HistoryFilter,
    LookupFilter,
)
from blcheck.reports.selectors import history as selectors


@require_GET
@viewer_required
def lookup_history(request: HttpRequest) -> HttpResponse:
    filtered = LookupFilter(
        request.GET, queryset=selectors.lookup_history(), max_days=PAGE_MAX_DAYS
    )
    return _render(
        request, "reports/history_lookups.html", filtered, selectors.LOOKUP_TIME
    )


@require_GET
@viewer_required
def lookup_history_csv(request: HttpRequest) -> HttpResponseBase:
    filtered = LookupFilter(request.GET, queryset=selectors.lookup_history())
    if not filtered.is_valid():
        return _back_to_page("reports:history-lookups", request)
    return export.csv_streamed(
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
    return _render(
        request, "reports/history_episodes.html", filtered, selectors.EPISODE_TIME
    )


@require_GET
@viewer_required
def episode_history_csv(request: HttpRequest) -> HttpResponseBase:
    filtered = EpisodeFilter(request.GET, queryset=selectors.episode_history())
    if not filtered.is_valid():
        return _back_to_page("reports:history-episodes", request)
    return export.csv_streamed(
        selectors.episode_export_rows(filtered.qs),
        header=selectors.EPISODE_COLUMNS,
        filename=_filename("episodes", filtered),
    )


def _render(
    request: HttpRequest, template: str, filtered: HistoryFilter, time_field: str
) -> HttpResponse:
    """The page of rows the filters select, newest first; none while the
    filters are refused (the form says why)."""
    page: KeysetPage[Any] | None = None
    if filtered.is_valid():
        page = keyset_page(
            filtered.qs,
            time_field=time_field,
            cursor=request.GET.get(CURSOR_PARAM, ""),
            size=selectors.PAGE_SIZE,
        )
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
