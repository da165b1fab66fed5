"""Reports for managers: aggregates over listings and cases, charts and numbers."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from blcheck.core.access import viewer_required


@require_GET
@viewer_required
def report_index(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/placeholder.html", {})


@require_GET
@viewer_required
def listings_per_month(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/placeholder.html", {})


@require_GET
@viewer_required
def time_to_delist(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/placeholder.html", {})


@require_GET
@viewer_required
def case_ageing(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/placeholder.html", {})


@require_GET
@viewer_required
def repeat_listings(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/placeholder.html", {})


@require_GET
@viewer_required
def cases_per_person(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/placeholder.html", {})
