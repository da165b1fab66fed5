"""The target page: what every list says about a target, its timeline, lookups
and cases. A read-only page over monitoring and cases, so it lives here."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from blcheck.core.access import viewer_required
from blcheck.core.paging import CURSOR_PARAM
from blcheck.monitoring import overlap
from blcheck.monitoring.models import Target
from blcheck.monitoring.selectors import run_latest
from blcheck.reports.filters import TargetPageFilter
from blcheck.reports.selectors import target as selectors
from blcheck.reports.selectors import target_states


@require_GET
@viewer_required
def target_detail(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(Target.objects.prefetch_related("tags"), pk=pk)
    cases = selectors.target_cases(target=target)
    states = target_states.target_list_states(target=target, cases=cases)
    run = run_latest(target)
    filtered = TargetPageFilter(
        request.GET,
        queryset=selectors.target_lookup_list(target=target),
        blocklists=[row.blocklist for row in states.rows],
    )
    timeline = selectors.target_timeline(
        target=target,
        days=filtered.timeline_days,
        listed_since=states.oldest_listed_since,
    )
    lookups = selectors.target_lookups(
        filtered.qs,
        cursor=request.GET.get(CURSOR_PARAM, ""),
        blocklists=states.blocklists,
    )
    return render(
        request,
        "reports/target_detail.html",
        {
            "target": target,
            "run": run,
            "run_errors": target_states.run_errors(run),
            "overlap": overlap.target_overlap(target=target),
            "states": states,
            "timeline": timeline,
            "cases": cases,
            "lookups": lookups,
            "filter": filtered,
            "day_choices": selectors.TIMELINE_DAYS,
        },
    )
