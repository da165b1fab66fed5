"""The start page: what is listed, erroring and being worked right now."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from blcheck.core.access import viewer_required


@require_GET
@viewer_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/dashboard.html", {})
