"""Every page a person can open, in one list: the page benchmark
(bench/pages.py) times each one and the query-count tests
(tests/core/test_page_queries.py) bound each one, so a page added to the
URLconf is measured and bounded, or named in LEFT_OUT with the reason.

A page is one line: its name as printed, its URL name, who asks for it, the
row its URL needs (a finder below) and its query string. A page whose URL
name does not exist yet is skipped (`missing_routes` says which), so pages
being built can be listed before they land.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Max
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

STAFF, MANAGER = "staff", "manager"


@dataclass(frozen=True)
class Page:
    name: str
    route: str  # "namespace:name"
    persona: str = STAFF
    row: str = ""  # a FINDERS key: the URL's one argument
    query: str = ""  # may hold {day}, {week_ago}, {list}, {cursor}, {tag}


# --- rows the URLs need: the biggest of their kind, as a worst case ----------


def _target() -> object:
    from blcheck.monitoring.models import Target

    return (
        Target.objects.annotate(n=Count("listings__changes"))
        .order_by("-n", "pk")
        .values_list("pk", flat=True)
        .first()
    )


def _quiet_target() -> object:
    """A target with no case: the one a delete page is shown for."""
    from blcheck.monitoring.models import Target

    return (
        Target.objects.filter(cases=None)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def _case() -> object:
    from blcheck.cases.models import DelistingCase

    return (
        DelistingCase.objects.annotate(n=Count("events"))
        .order_by("-n", "pk")
        .values_list("pk", flat=True)
        .first()
    )


def _blocklist() -> object:
    from blcheck.monitoring.models import Blocklist

    return (
        Blocklist.objects.annotate(n=Count("listings"))
        .order_by("-n", "pk")
        .values_list("pk", flat=True)
        .first()
    )


def _run() -> object:
    from blcheck.monitoring.models import CheckRun

    return CheckRun.objects.order_by("-pk").values_list("pk", flat=True).first()


def _group() -> object:
    from blcheck.monitoring.models import CheckRun

    return CheckRun.objects.order_by("-pk").values_list("group", flat=True).first()


FINDERS: dict[str, Callable[[], object]] = {
    "target": _target,
    "quiet_target": _quiet_target,
    "case": _case,
    "blocklist": _blocklist,
    "run": _run,
    "group": _group,
}


def _query_values() -> dict[str, str]:
    """The values page queries are written with, from the data."""
    from blcheck.cases.models import DelistingCase
    from blcheck.core.paging import cursor_encode
    from blcheck.monitoring.models import Blocklist, ListingChange, Tag

    last = ListingChange.objects.aggregate(last=Max("at"))["last"] or timezone.now()
    day = timezone.localdate(last)
    # Half-way down the whole case list: a deep page.
    total = DelistingCase.objects.count()
    deep = (
        DelistingCase.objects.order_by("-opened_at", "-pk")
        .values_list("opened_at", "pk")[total // 2 : total // 2 + 1]
        .first()
    )
    listed = Blocklist.objects.filter(listings__is_listed=True).values("pk").first()
    return {
        "day": day.isoformat(),
        "week_ago": (day - timedelta(days=6)).isoformat(),
        "month_ago": (day - timedelta(days=29)).isoformat(),
        "list": str(listed["pk"] if listed else ""),
        "cursor": cursor_encode(*deep) if deep else "",
        "tag": Tag.objects.order_by("name").values_list("name", flat=True).first()
        or "",
    }


# --- the pages -------------------------------------------------------------

P = Page
LISTED, DAYS_90 = "verdict=listed", "days=90"
PAUSE = "action=pause&state=listed"
ADDRESS = "target=198.18.3.7"
PAGES: tuple[Page, ...] = (
    # the start page
    P("dashboard", "reports:dashboard"),
    P("dashboard, manager", "reports:dashboard", MANAGER),
    P("dashboard, listed now", "reports:dashboard", query="state=listed"),
    P("dashboard, erroring", "reports:dashboard", query="state=erroring"),
    P("dashboard, never checked", "reports:dashboard", query="state=never"),
    P("dashboard, one tag", "reports:dashboard", query="tag={tag}"),
    P("dashboard, search", "reports:dashboard", query="q=198.18.1"),
    P("dashboard, one list", "reports:dashboard", query="blocklist={list}"),
    P("dashboard, page 100", "reports:dashboard", MANAGER, query="page=100"),
    # targets
    P("targets", "monitoring:target-list"),
    P("targets, search", "monitoring:target-list", query="q=198.18.1"),
    P("targets, address", "monitoring:target-list", query="q=198.18.3.7"),
    P("targets, one tag", "monitoring:target-list", query="tag={tag}"),
    P("targets, listed", "monitoring:target-list", query="state=listed"),
    P("targets, failing", "monitoring:target-list", query="state=errors"),
    P("targets, clean", "monitoring:target-list", query="state=clean"),
    P("targets, no answer yet", "monitoring:target-list", query="state=unchecked"),
    P("targets, paused", "monitoring:target-list", query="state=paused"),
    P("targets, archived", "monitoring:target-list", query="state=archived"),
    P("targets, ranges", "monitoring:target-list", query="kind=range"),
    P("targets, page 40", "monitoring:target-list", query="page=40"),
    P("targets, pause all listed", "monitoring:target-bulk-action", query=PAUSE),
    P("edit target", "monitoring:target-edit", row="target"),
    P("delete target", "monitoring:target-delete", row="quiet_target"),
    P("target page", "reports:target-detail", row="target"),
    P(
        "target page, listed",
        "reports:target-detail",
        row="target",
        query="verdict=listed",
    ),
    P("target page, 90 days", "reports:target-detail", row="target", query="days=90"),
    P("add target", "monitoring:target-create"),
    P("bulk add targets", "monitoring:target-bulk"),
    # runs
    P("run progress", "monitoring:run-detail", row="run"),
    P("group progress", "monitoring:group-progress", row="group"),
    # lists
    P("lists", "monitoring:blocklist-list"),
    P("list page", "monitoring:blocklist-detail", row="blocklist"),
    P("add list", "monitoring:blocklist-create"),
    P("edit list", "monitoring:blocklist-edit", row="blocklist"),
    # notifications
    P("notifications", "monitoring:notification-settings"),
    # cases
    P("cases", "cases:case-list"),
    P("cases, all", "cases:case-list", query="active="),
    P("cases, requested", "cases:case-list", query="status=requested"),
    P("cases, overdue", "cases:case-list", query="is_overdue=true"),
    P("cases, one list", "cases:case-list", query="active=&blocklist={list}"),
    P("cases, target", "cases:case-list", query="active=&target=198.18.1"),
    P("cases, this week", "cases:case-list", query="active=&opened_from={week_ago}"),
    P("cases, deep page", "cases:case-list", query="active=&before={cursor}"),
    P("case page", "cases:case-detail", row="case"),
    P("open a case", "cases:case-open"),
    P("case target options", "cases:target-options", query="target=198.18.1"),
    P("case target options, address", "cases:target-options", query=ADDRESS),
    P("bounce intake", "cases:bounce-intake"),
    # history
    P("history: lookups", "reports:history-lookups", MANAGER),
    P("history: listed", "reports:history-lookups", MANAGER, query="verdict=listed"),
    P("history: errors", "reports:history-lookups", MANAGER, query="verdict=error"),
    P(
        "history: 30 days, listed",
        "reports:history-lookups",
        MANAGER,
        query="verdict=listed&date_from={month_ago}&date_to={day}",
    ),
    P(
        "history: one list, one day",
        "reports:history-lookups",
        MANAGER,
        query="blocklist={list}&date_from={day}&date_to={day}",
    ),
    P("history: target", "reports:history-lookups", MANAGER, query="target=198.18.0.2"),
    P("history: episodes", "reports:history-episodes", MANAGER),
    P(
        "history: episodes listed",
        "reports:history-episodes",
        MANAGER,
        query="state=listed",
    ),
    P(
        "history: episodes, one list",
        "reports:history-episodes",
        MANAGER,
        query="blocklist={list}&date_from={month_ago}&date_to={day}",
    ),
    # reports
    P("reports", "reports:report-index", MANAGER),
    P("report: listings per month", "reports:report-listings-per-month", MANAGER),
    P("report: time to delist", "reports:report-time-to-delist", MANAGER),
    P("report: case ageing", "reports:report-case-ageing", MANAGER),
    P("report: repeat listings", "reports:report-repeat-listings", MANAGER),
    P("report: cases per person", "reports:report-cases-per-person", MANAGER),
    P("report CSV: listings", "reports:report-listings-per-month-csv", MANAGER),
    P("report CSV: time to delist", "reports:report-time-to-delist-csv", MANAGER),
    P("report CSV: case ageing", "reports:report-case-ageing-csv", MANAGER),
    P("report CSV: repeat", "reports:report-repeat-listings-csv", MANAGER),
    P("report CSV: per person", "reports:report-cases-per-person-csv", MANAGER),
    # audit
    P("audit log", "reports:audit-log", MANAGER),
)

POST_ONLY = "takes POST only: an action, not a page"
# URL names (or namespaces, "admin:") not benched, and why.
LEFT_OUT: dict[str, str] = {
    "monitoring:target-check-now": POST_ONLY,
    "monitoring:notification-test": POST_ONLY,
    "monitoring:target-act": POST_ONLY,
    "monitoring:target-export": "streamed CSV of the whole selection, as the CSVs",
    "cases:case-mark-requested": POST_ONLY,
    "cases:case-assign": POST_ONLY,
    "cases:case-add-note": POST_ONLY,
    "cases:case-close": POST_ONLY,
    "set_language": POST_ONLY,
    "reports:history-lookups-csv": "streamed export: bench/pages.py --csv-days",
    "reports:history-episodes-csv": "streamed export, like the lookups'",
    "healthz": "a probe for the load balancer, not a page (no login)",
    "login": "log-in form: no data behind it",
    "logout": POST_ONLY,
    "password_change": "Django's own form: no data behind it",
    "password_change_done": "Django's own page: no data behind it",
    "password_reset": "Django's own form: no data behind it",
    "password_reset_done": "Django's own page: no data behind it",
    "password_reset_confirm": "Django's own form: no data behind it",
    "password_reset_complete": "Django's own page: no data behind it",
    "admin:": "superuser tooling (Django admin), not the product's pages",
}


def routes(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    """Every URL name of the project, "namespace:name"."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            space = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from routes(entry, space)
        elif isinstance(entry, URLPattern):
            yield f"{prefix}{entry.name}" if entry.name else f"{prefix}{entry.pattern}"


def _left_out(route: str) -> bool:
    return route in LEFT_OUT or any(
        route.startswith(name) for name in LEFT_OUT if name.endswith(":")
    )


def unaccounted_routes() -> list[str]:
    """URL names neither in PAGES nor in LEFT_OUT: each needs a line."""
    benched = {page.route for page in PAGES}
    return sorted(
        route
        for route in set(routes())
        if route not in benched and not _left_out(route)
    )


def missing_routes() -> list[str]:
    """URL names PAGES lists that the URLconf has not (yet)."""
    known = set(routes())
    return sorted({page.route for page in PAGES} - known)


def page_urls(pages: tuple[Page, ...] = PAGES) -> list[tuple[Page, str]]:
    """Each page that exists and whose row exists, with its URL."""
    values = _query_values()
    rows = {name: finder() for name, finder in FINDERS.items()}
    found = []
    for page in pages:
        args = [rows[page.row]] if page.row else []
        if None in args:
            continue
        try:
            url = reverse(page.route, args=args)
        except NoReverseMatch:
            continue
        query = page.query.format(**values)
        found.append((page, f"{url}?{query}" if query else url))
    return found
