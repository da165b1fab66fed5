from django.urls import path

from blcheck.reports.views import audit, dashboard, history, reports, target

app_name = "reports"

# A page's CSV lives beside it: <page>.csv next to <page>/, same query string.
urlpatterns = [
    # the start page
    path("", dashboard.dashboard, name="dashboard"),
    # targets/
    path("targets/<int:pk>/", target.target_detail, name="target-detail"),
    # history/
    path("history/lookups/", history.lookup_history, name="history-lookups"),
    path("history/lookups.csv", history.lookup_history_csv, name="history-lookups-csv"),
    path("history/episodes/", history.episode_history, name="history-episodes"),
    path(
        "history/episodes.csv", history.episode_history_csv, name="history-episodes-csv"
    ),
    # audit/
    path("audit/", audit.audit_log, name="audit-log"),
    # reports/
    path("reports/", reports.report_index, name="report-index"),
    path(
        "reports/listings-per-month/",
        reports.listings_per_month,
        name="report-listings-per-month",
    ),
    path(
        "reports/listings-per-month.csv",
        reports.listings_per_month_csv,
        name="report-listings-per-month-csv",
    ),
    path(
        "reports/time-to-delist/", reports.time_to_delist, name="report-time-to-delist"
    ),
    path(
        "reports/time-to-delist.csv",
        reports.time_to_delist_csv,
        name="report-time-to-delist-csv",
    ),
    path("reports/case-ageing/", reports.case_ageing, name="report-case-ageing"),
    path(
        "reports/case-ageing.csv",
        reports.case_ageing_csv,
        name="report-case-ageing-csv",
    ),
    path(
        "reports/repeat-listings/",
        reports.repeat_listings,
        name="report-repeat-listings",
    ),
    path(
        "reports/repeat-listings.csv",
        reports.repeat_listings_csv,
        name="report-repeat-listings-csv",
    ),
    path(
        "reports/cases-per-person/",
        reports.cases_per_person,
        name="report-cases-per-person",
    ),
    path(
        "reports/cases-per-person.csv",
        reports.cases_per_person_csv,
        name="report-cases-per-person-csv",
    ),
]
