"""The two personas' main paths in Chromium, keyboard only.

IT staff start the day on the dashboard and open a case from a listed cell.
A manager, in Japanese, searches the history, exports it as CSV and reads the
reports, and finds nothing to change anywhere.
"""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from blcheck.cases.models import DelistingCase
from blcheck.monitoring.models import ListingChange
from tests.factories import ListingChangeFactory, ListingFactory, TargetFactory
from tests.support.browser import Speaker, log_in, press_on

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_staff_open_a_case_from_the_dashboard(
    page: Page, live_server, it_staff, barracuda
):
    listed = ListingFactory(
        target=TargetFactory(value="192.0.2.66", label="outbound MX 1"),
        blocklist=barracuda,
    )
    ListingChangeFactory(listing=listed)
    ListingFactory(
        target=TargetFactory(value="192.0.2.10"), blocklist=barracuda, is_listed=False
    )
    log_in(page, live_server.url, "itstaff")
    press_on(page, page.get_by_role("link", name="Dashboard"))
    expect(page).to_have_title(re.compile("^Dashboard"))
    grid = page.locator("table.dash-grid")
    expect(grid).to_contain_text("listed")
    expect(page.locator("#dash-changes")).to_contain_text("192.0.2.66")

    press_on(
        page,
        page.get_by_role(
            "button",
            name="Open a delisting case for 192.0.2.66 on Barracuda Reputation",
        ),
    )
    expect(page).to_have_title(re.compile("^Case #"))
    case = DelistingCase.objects.get()
    assert (case.subject, case.blocklist, case.opened_by) == (
        "192.0.2.66",
        barracuda,
        it_staff,
    )
    press_on(page, page.get_by_role("link", name="Dashboard"))
    expect(grid.get_by_role("link", name=f"Case #{case.pk}")).to_be_visible()


def test_manager_reads_history_and_reports_in_japanese(
    page: Page, live_server, manager, demo, settings, tmp_path
):
    t = Speaker("ja")
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "ja", "url": live_server.url}]
    )
    log_in(page, live_server.url, "manager", label=t("Username"))
    press_on(page, page.get_by_role("link", name=t("Dashboard"), exact=True))
    expect(page.locator("table.dash-grid")).to_be_visible()
    expect(
        page.get_by_role("button", name=re.compile(t("Open a delisting case")))
    ).to_have_count(0)
    t.check_page(page)

    # History: the listings of the last 40 days, then the same as CSV.
    press_on(page, page.get_by_role("link", name=t("History"), exact=True))
    expect(page).to_have_url(re.compile(r"/history/lookups/$"))
    first = ListingChange.objects.earliest("at").at
    page.get_by_label(t("From")).fill(timezone.localdate(first).isoformat())
    page.get_by_label(t("Verdict")).select_option("listed")
    press_on(page, page.get_by_role("button", name=t("Search")))
    expect(page).to_have_url(re.compile(r"verdict=listed"))
    rows = page.locator("table tbody tr")
    expect(rows.first).to_contain_text(t("Listed"))
    t.check_page(page)
    with page.expect_download() as download:
        press_on(page, page.get_by_role("link", name=t("Download CSV")))
    saved = tmp_path / "lookups.csv"
    download.value.save_as(saved)
    lines = saved.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("checked_at,")
    assert len(lines) > 1 and all(",listed," in line for line in lines[1:])

    # Reports: each opens from the index, with a drawn chart and its numbers.
    press_on(page, page.get_by_role("link", name=t("Reports"), exact=True))
    expect(page).to_have_url(re.compile(r"/reports/$"))
    t.check_page(page)
    for name, path in REPORTS:
        press_on(page, page.locator("main").get_by_role("link", name=t(name)).first)
        expect(page).to_have_url(re.compile(path))
        expect(page.locator("main table").first).to_be_visible()
        # Chart.js drew the numbers of the table beside it.
        expect(page.locator("main canvas").first).to_be_visible()
        assert page.evaluate(
            "() => [...document.querySelectorAll('main canvas')]"
            ".every(c => window.Chart && Chart.getChart(c))"
        )
        t.check_page(page)
        page.go_back()
        expect(page).to_have_url(re.compile(r"/reports/$"))


REPORTS = (
    ("Listings per month", "/reports/listings-per-month/"),
    ("Time to delist", "/reports/time-to-delist/"),
    ("Open-case ageing", "/reports/case-ageing/"),
    ("Repeat listings", "/reports/repeat-listings/"),
    ("Cases per staff member", "/reports/cases-per-person/"),
)
