"""History pages for managers: lookups and listing episodes, with CSV export."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from blcheck.core.access import viewer_required


@require_GET
@viewer_required
def lookup_history(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/placeholder.html", {})


@require_GET
@viewer_required
def lookup_history_csv(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/placeholder.html", {})


@require_GET
@viewer_required
def episode_history(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/placeholder.html", {})


@require_GET
@viewer_required
def episode_history_csv(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/placeholder.html", {})
