"""Issue 15's story, keyboard only: paste five rows from Excel (one with a
typo, refused with its line number while nothing is saved), fix it, import,
find a target by an address inside its range, pause it, archive another, and
see both on the dashboard."""

import re

import pytest
from playwright.sync_api import Page, expect

from blcheck.monitoring.models import Target
from tests.support.browser import log_in, press_on

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROWS = [
    "192.0.2.0/28\tTokyo block\ttokyo",
    "198.51.100.10\tOsaka MX\tosaka",
    "198.51.100.11\tOsaka MX 2\tosaka",
    "10.0.0.1x\tTypo\t",
    "example.jp\tMail domain\t",
]


def test_paste_fix_import_find_pause_archive(
    page: Page, live_server, it_staff, test_blocklists
):
    log_in(page, live_server.url, "itstaff")
    press_on(page, page.get_by_role("link", name="Add many"))
    page.get_by_label("Targets, one per line").focus()
    page.keyboard.insert_text("\n".join(ROWS))  # what pasting Excel cells does
    press_on(page, page.get_by_role("button", name="Add all"))
    alert = page.get_by_role("alert").first
    expect(alert).to_contain_text("Nothing was added")
    expect(alert).to_contain_text(re.compile(r"[Ll]ine 4"))
    assert not Target.objects.exists()

    # Fix line 4 where it stands: the text came back as it was sent.
    field = page.get_by_label("Targets, one per line")
    expect(field).to_have_value(re.compile("10.0.0.1x"))
    fixed = "\n".join(ROWS).replace("10.0.0.1x", "10.0.0.1")
    field.focus()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text(fixed)
    press_on(page, page.get_by_role("button", name="Add all"))
    expect(page).to_have_url(re.compile(r"/targets/$"))
    expect(page.get_by_role("status").first).to_contain_text("5 targets")
    assert Target.objects.count() == 5

    # Find the range by an address inside it.
    page.get_by_label("Search").focus()
    page.keyboard.type("192.0.2.5")
    page.keyboard.press("Enter")
    table = page.locator("table.target-list")
    expect(table.locator("tbody tr")).to_have_count(1)
    press_on(page, table.get_by_role("link", name="192.0.2.0/28"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("192.0.2.0/28")
    press_on(page, page.get_by_role("button", name="Pause checks"))
    expect(page.get_by_role("note")).to_contain_text("Paused")

    # Archive another from its page.
    page.goto(live_server.url + "/targets/?q=Osaka+MX+2")
    press_on(
        page,
        page.locator("table.target-list").get_by_role("link", name="198.51.100.11"),
    )
    press_on(page, page.get_by_role("link", name="Edit, archive or delete"))
    press_on(page, page.get_by_role("button", name="Archive"))
    expect(page.get_by_role("note")).to_contain_text("Archived")

    page.goto(live_server.url + "/")
    grid = page.locator("table.dash-grid")
    expect(grid).to_contain_text("192.0.2.0/28")
    expect(grid.locator("tr").filter(has_text="192.0.2.0/28")).to_contain_text("paused")
    expect(grid).not_to_contain_text("198.51.100.11")
    expect(page.locator("#dash-counts")).to_contain_text("3 targets monitored")
    expect(page.locator("#dash-counts")).to_contain_text("1 paused")
    assert Target.objects.get(value="198.51.100.11").archived_at is not None
