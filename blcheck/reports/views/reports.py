"""Reports for managers: aggregates over listings and cases, charts and numbers.

Each report page shows a chart and a table of the same numbers (the table is
the accessible source), takes a period of whole months in a GET form, prints
cleanly, and gives its table as CSV beside it: reports/<name>.csv next to
reports/<name>/, with the same query string.
"""

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from blcheck.core import export
from blcheck.core.access import viewer_required
from blcheck.core.htmx import render_page_or_partial
from blcheck.reports import stats
from blcheck.reports.forms import CUSTOM, DEFAULT_MONTHS, PeriodForm
from blcheck.reports.selectors import reports as selectors
from blcheck.reports.selectors import reports_cases, reports_listings
from blcheck.reports.stats import Period

AGE_LABELS = (
    gettext_lazy("Under 1 day"),
    gettext_lazy("1 to 2 days"),
    gettext_lazy("2 to 7 days"),
    gettext_lazy("1 to 4 weeks"),
    gettext_lazy("Over 4 weeks"),
)  # one per stats.AGE_BUCKETS


def _period(request: HttpRequest) -> tuple[PeriodForm, Period]:
    """The form as the user filled it, and the period to show (12 months when
    the form is empty or wrong; its errors are shown)."""
    data = request.GET.copy()
    if data.get("start"):
        data["months"] = CUSTOM  # the months typed in are what is shown
    elif not data.get("months"):
        data["months"] = str(DEFAULT_MONTHS)
    form = PeriodForm(data)
    if form.is_valid() and form.cleaned_data["period"] is not None:
        return form, form.cleaned_data["period"]
    return form, stats.last_months(timezone.localdate(), DEFAULT_MONTHS)


def _render(request: HttpRequest, name: str, context: dict[str, Any]) -> HttpResponse:
    """The report's page, linking to its CSV with the same query string."""
    csv_url = reverse(f"reports:report-{name.replace('_', '-')}-csv")
    query = request.GET.urlencode()
    context["csv_url"] = f"{csv_url}?{query}" if query else csv_url
    return render_page_or_partial(
        request,
        f"reports/report_{name}.html",
        f"reports/partials/report_{name}.html",
        context,
    )


def _csv_name(name: str, period: Period) -> str:
    return f"{name}-{period.first:%Y-%m}-{period.last:%Y-%m}.csv"


def _csv(filename: str, header: list[Any], rows: list[list[Any]]) -> HttpResponse:
    return export.csv_file(rows, header=header, filename=filename)


def _chart(
    labels: list[Any],
    datasets: list[dict[str, Any]],
    *,
    stacked: bool = False,
    horizontal: bool = False,
    unit: str = "",
) -> dict[str, Any]:
    """What static/js/blcheck.js draws: one dataset per series; a dataset with
    "marker" is drawn as points (the worst case beside a median bar)."""
    return {
        "labels": [str(label) for label in labels],
        "datasets": [{"marker": False, **dataset} for dataset in datasets],
        "stacked": stacked,
        "horizontal": horizontal,
        "unit": unit,
    }


def _month(month: date) -> str:
    return f"{month:%Y-%m}"


@require_GET
@viewer_required
def report_index(request: HttpRequest) -> HttpResponse:
    period = stats.last_months(timezone.localdate(), DEFAULT_MONTHS)
    headlines = selectors.report_headlines(period=period, now=timezone.now())
    context = {"period": period, "headlines": headlines}
    return render(request, "reports/report_index.html", context)


@require_GET
@viewer_required
def listings_per_month(request: HttpRequest) -> HttpResponse:
    form, period = _period(request)
    data = reports_listings.episode_monthly_counts(period=period)
    months = [_month(month) for month in data.months]
    chart = _chart(
        months,
        [{"label": row.name, "data": row.counts} for row in data.rows],
        stacked=True,
    )
    context = {"form": form, "period": period, "data": data, "chart": chart}
    return _render(request, "listings_per_month", context)


@require_GET
@viewer_required
def listings_per_month_csv(request: HttpRequest) -> HttpResponse:
    _form, period = _period(request)
    data = reports_listings.episode_monthly_counts(period=period)
    header = [_("List"), *(_month(month) for month in data.months), _("Total")]
    rows = [[row.name, *row.counts, row.total] for row in data.rows]
    rows.append([_("Total"), *data.totals, data.total])
    return _csv(_csv_name("listings-per-month", period), header, rows)


def _delist_chart(rows: list[Any], attribute: str, median: str, worst: str) -> Any:
    shown = [row for row in rows if getattr(row, attribute).count]
    return _chart(
        [row.blocklist for row in shown],
        [
            {
                "label": median,
                "data": [stats.hours(getattr(row, attribute).median) for row in shown],
            },
            {
                "label": worst,
                "data": [stats.hours(getattr(row, attribute).worst) for row in shown],
                "marker": True,
            },
        ],
        horizontal=True,
        unit=_("hours"),
    )


@require_GET
@viewer_required
def time_to_delist(request: HttpRequest) -> HttpResponse:
    form, period = _period(request)
    rows = reports_listings.blocklist_delist_times(period=period, now=timezone.now())
    context = {
        "form": form,
        "period": period,
        "rows": rows,
        "episode_chart": _delist_chart(
            rows, "episodes", _("Median episode"), _("Worst episode")
        ),
        "request_chart": _delist_chart(
            rows,
            "requests",
            _("Median request to removal"),
            _("Worst request to removal"),
        ),
    }
    return _render(request, "time_to_delist", context)


@require_GET
@viewer_required
def time_to_delist_csv(request: HttpRequest) -> HttpResponse:
    _form, period = _period(request)
    rows = reports_listings.blocklist_delist_times(period=period, now=timezone.now())
    header = [
        _("List"),
        _("Episodes ended"),
        _("Median episode (hours)"),
        _("Worst episode (hours)"),
        _("Still listed"),
        _("Oldest still listed (hours)"),
        _("Requests verified"),
        _("Median request to removal (hours)"),
        _("Worst request to removal (hours)"),
        _("Awaiting removal"),
    ]
    lines = [
        [
            row.blocklist,
            row.episodes.count,
            stats.hours(row.episodes.median),
            stats.hours(row.episodes.worst),
            row.still_listed,
            stats.hours(row.oldest_open),
            row.requests.count,
            stats.hours(row.requests.median),
            stats.hours(row.requests.worst),
            row.awaiting,
        ]
        for row in rows
    ]
    return _csv(_csv_name("time-to-delist", period), header, lines)


@require_GET
@viewer_required
def case_ageing(request: HttpRequest) -> HttpResponse:
    """A snapshot of now: it has no period (a period would hide the oldest)."""
    now = timezone.now()
    data = reports_cases.case_ageing(now=now)
    chart = _chart(
        list(AGE_LABELS),
        [{"label": row.label, "data": row.counts} for row in data.by_status],
        stacked=True,
    )
    context = {"data": data, "age_labels": AGE_LABELS, "chart": chart, "now": now}
    return _render(request, "case_ageing", context)


@require_GET
@viewer_required
def case_ageing_csv(request: HttpRequest) -> HttpResponse:
    data = reports_cases.case_ageing(now=timezone.now())
    header = [_("Status"), *AGE_LABELS, _("Total"), _("Overdue")]
    rows = [[r.label, *r.counts, r.total, r.overdue] for r in data.by_status]
    rows.append([_("Total"), *data.counts, data.total, data.overdue])
    return _csv(f"case-ageing-{timezone.localdate():%Y-%m-%d}.csv", header, rows)


@require_GET
@viewer_required
def repeat_listings(request: HttpRequest) -> HttpResponse:
    form, period = _period(request)
    rows = reports_listings.address_repeats(period=period)
    chart = _chart(
        [row.subject for row in rows],
        [{"label": _("Episodes"), "data": [row.episodes for row in rows]}],
        horizontal=True,
    )
    context = {"form": form, "period": period, "rows": rows, "chart": chart}
    return _render(request, "repeat_listings", context)


@require_GET
@viewer_required
def repeat_listings_csv(request: HttpRequest) -> HttpResponse:
    _form, period = _period(request)
    header = [_("Address or domain"), _("Episodes"), _("Lists"), _("Last listed")]
    lines = [
        [
            row.subject,
            row.episodes,
            ", ".join(row.lists),
            timezone.localtime(row.last_listed_at).isoformat(timespec="minutes"),
        ]
        for row in reports_listings.address_repeats(period=period)
    ]
    return _csv(_csv_name("repeat-listings", period), header, lines)


WORKLOAD_COLUMNS = (
    ("opened", gettext_lazy("Opened in the period")),
    ("active", gettext_lazy("Being worked now")),
    ("overdue", gettext_lazy("Overdue now")),
    ("verified", gettext_lazy("Removal verified in the period")),
    ("closed", gettext_lazy("Closed in the period")),
)


@require_GET
@viewer_required
def cases_per_person(request: HttpRequest) -> HttpResponse:
    form, period = _period(request)
    rows = reports_cases.case_workload(period=period)
    chart = _chart(
        [row.name for row in rows],
        [
            {"label": label, "data": [getattr(row, key) for row in rows]}
            for key, label in WORKLOAD_COLUMNS
        ],
    )
    context = {
        "form": form,
        "period": period,
        "columns": [label for _key, label in WORKLOAD_COLUMNS],
        "rows": [
            (row, [getattr(row, key) for key, _label in WORKLOAD_COLUMNS])
            for row in rows
        ],
        "chart": chart,
    }
    return _render(request, "cases_per_person", context)


@require_GET
@viewer_required
def cases_per_person_csv(request: HttpRequest) -> HttpResponse:
    _form, period = _period(request)
    header = [_("Staff member"), *(label for _key, label in WORKLOAD_COLUMNS)]
    header.append(_("Median opened to verified (hours)"))
    lines = [
        [
            row.name,
            *(getattr(row, key) for key, _label in WORKLOAD_COLUMNS),
            stats.hours(row.to_verify.median),
        ]
        for row in reports_cases.case_workload(period=period)
    ]
    return _csv(_csv_name("cases-per-person", period), header, lines)
