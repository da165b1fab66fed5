"""The audit log page: who changed targets, lists, notification settings,
users and group membership, with each field before and after."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from blcheck.core.access import viewer_required
from blcheck.core.paging import CURSOR_PARAM, keyset_page
from blcheck.reports.filters import AuditLogFilter
from blcheck.reports.selectors import audit as selectors


@require_GET
@viewer_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """Newest first, keyset-paged; no rows while the filters are refused."""
    filtered = AuditLogFilter(request.GET, queryset=selectors.audit_log())
    page, entries = None, []
    if filtered.is_valid():
        page = keyset_page(
            filtered.qs,
            time_field=selectors.TIME,
            cursor=request.GET.get(CURSOR_PARAM, ""),
            size=selectors.PAGE_SIZE,
        )
        entries = selectors.audit_entries(page.rows)
    context = {
        "filter": filtered,
        "page": page,
        "entries": entries,
        "query": filtered.query().urlencode(),
    }
    return render(request, "reports/audit_log.html", context)
