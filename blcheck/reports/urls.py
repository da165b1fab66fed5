from django.urls import path

from blcheck.reports.views import dashboard, history, reports

app_name = "reports"

urlpatterns = [
    # the start page
    path("", dashboard.dashboard, name="dashboard"),
    # history/
    path("history/lookups/", history.lookup_history, name="history-lookups"),
    path("history/lookups.csv", history.lookup_history_csv, name="history-lookups-csv"),
    path("history/episodes/", history.episode_history, name="history-episodes"),
    path(
        "history/episodes.csv", history.episode_history_csv, name="history-episodes-csv"
    ),
    # reports/
    path("reports/", reports.report_index, name="report-index"),
    path(
        "reports/listings-per-month/",
        reports.listings_per_month,
        name="report-listings-per-month",
    ),
    path(
        "reports/time-to-delist/", reports.time_to_delist, name="report-time-to-delist"
    ),
    path("reports/case-ageing/", reports.case_ageing, name="report-case-ageing"),
    path(
        "reports/repeat-listings/",
        reports.repeat_listings,
        name="report-repeat-listings",
    ),
    path(
        "reports/cases-per-person/",
        reports.cases_per_person,
        name="report-cases-per-person",
    ),
]
