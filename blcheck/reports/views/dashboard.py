"""The start page: what is listed, erroring and being worked right now."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from blcheck.core.access import viewer_required
from blcheck.core.htmx import render_page_or_partial
from blcheck.monitoring.selectors import tag_list
from blcheck.reports.filters import TargetGridFilter
from blcheck.reports.selectors import dashboard as selectors
from blcheck.reports.selectors.dashboard_runs import run_active


@require_GET
@viewer_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The whole page, or (htmx polling) the panels it refreshes in place."""
    columns = selectors.blocklist_columns()
    tags = [tag.name for tag in tag_list()]
    filtered = TargetGridFilter(request.GET, tags=tags, columns=columns)
    grid = selectors.dashboard_grid(
        columns=filtered.columns,
        targets=filtered.qs,
        page_number=request.GET.get("page"),
    )
    context = {
        "counts": selectors.dashboard_counts(columns=columns),
        "filter": filtered,
        "grid": grid,
        "changes": selectors.listing_change_latest(),
        "cases": selectors.case_due(),
        "runs": run_active(),
    }
    return render_page_or_partial(
        request,
        "reports/dashboard.html",
        "reports/partials/dashboard_panels.html",
        context,
    )
