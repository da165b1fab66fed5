"""Log in, add a target, press "Check now", read each list's verdict: keyboard only."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import LISTED_IP
from tests.support.browser import check_now, log_in, press_on

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.dns,
    pytest.mark.django_db(transaction=True),
]


def test_it_staff_checks_a_new_target_and_sees_each_verdict(
    page: Page, live_server, celery_worker, test_blocklists, it_staff
):
    log_in(page, live_server.url, "itstaff")
    expect(page).to_have_title(re.compile("Targets"))
    expect(page.get_by_text("No targets yet")).to_be_visible()

    press_on(page, page.get_by_role("link", name="Add a target"))
    page.get_by_label("IP address, CIDR range or domain").focus()
    page.keyboard.type(LISTED_IP)
    page.keyboard.press("Tab")
    page.keyboard.type("outbound MX 1")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(LISTED_IP)

    check_now(page)
    verdicts = page.get_by_role("region", name="Verdict per list")
    good = verdicts.get_by_role("row").filter(has_text="Good test list")
    second = verdicts.get_by_role("row").filter(has_text="Second test list")
    expect(good).to_contain_text("Listed")
    expect(good).to_contain_text("127.0.0.2")
    expect(page.locator("table.lookups")).to_contain_text(
        "https://good.dnsbl.test/lookup?ip=192.0.2.66"
    )
    expect(second).to_contain_text("Not listed")
    expect(page.locator(".run-status")).to_contain_text("Finished: 1 listed")


def test_manager_sees_no_edit_controls(page: Page, live_server, manager):
    log_in(page, live_server.url, "manager")
    expect(page.get_by_role("link", name="Add a target")).to_have_count(0)


def test_skip_link_is_the_first_tab_stop(page: Page, live_server, it_staff):
    log_in(page, live_server.url, "itstaff")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()


def test_a_target_added_in_the_browser_is_checked_on_schedule(
    page: Page, live_server, celery_worker, test_blocklists, it_staff
):
    """No "Check now": the beat tick's task (what beat sends every minute) does it."""
    from blcheck.monitoring.tasks import dispatch_due_checks

    log_in(page, live_server.url, "itstaff")
    press_on(page, page.get_by_role("link", name="Add a target"))
    page.get_by_label("IP address, CIDR range or domain").focus()
    page.keyboard.type("192.0.2.66")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Not checked yet: no list has been asked")).to_be_visible()
    dispatch_due_checks.delay()  # exactly what beat sends
    facts = page.locator("dl.facts")
    for _ in range(50):
        page.reload()
        if "never" not in (facts.text_content() or ""):
            break
        page.wait_for_timeout(200)
    expect(facts).not_to_contain_text("never")
    verdicts = page.get_by_role("region", name="Verdict per list")
    expect(
        verdicts.get_by_role("row", name=re.compile("Good test list"))
    ).to_contain_text("Listed")
