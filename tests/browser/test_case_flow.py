"""The Barracuda story, end to end in the browser, keyboard only.

Mail bounces with "blocked using Barracuda Reputation"; staff find the IP
listed, open a case, fill Barracuda's form and record the BBR confirmation
number; Barracuda removes the IP within 24-48 h for 30 days; blcheck confirms
the removal by DNS (two clean lookups half an hour apart), watches the
re-evaluation and closes the case on day 31. Once in English, once in
Japanese: every label the story presses is the catalogue's translation, and
no page on the way shows English that is not data.
"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from blcheck.cases.models import CaseEvent
from blcheck.cases.tasks import verify_requested_cases
from blcheck.monitoring.models import Target
from tests.support.browser import Speaker, check_now, log_in, press_on, wait_until
from tests.support.cases import BBR, IP, REMOVAL_PAGE, REVERSED

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.dns,
    pytest.mark.django_db(transaction=True),
]


def status(page: Page):
    return page.locator("#case-status")


def beat_tick(page: Page, at) -> None:
    """What beat's verify-requested-cases entry sends, run by the real worker at
    that time (time_machine moves the clock of every thread)."""
    checked = CaseEvent.objects.filter(kind="checked").count()
    with time_machine.travel(at, tick=False):
        verify_requested_cases.delay()
        wait_until(
            page,
            lambda: CaseEvent.objects.filter(kind="checked").count() > checked,
            "the worker did not check the case",
        )
    page.reload()


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_barracuda_story(
    page: Page,
    live_server,
    celery_worker,
    barracuda_zone,
    barracuda_on_dns,
    it_staff,
    settings,
    language,
):
    t = Speaker(language)
    settings.SESSION_COOKIE_AGE = 90 * 24 * 3600  # the story spans a month
    settings.LANGUAGE_CODE = language  # blcheck writes case history in it
    page.context.add_cookies(
        [
            {
                "name": settings.LANGUAGE_COOKIE_NAME,
                "value": language,
                "url": live_server.url,
            }
        ]
    )
    Target.objects.create(
        value=IP, kind="address", check_interval_minutes=60, label="outbound MX 1"
    )
    log_in(page, live_server.url, "itstaff", label=t("Username"))
    press_on(page, page.get_by_role("link", name=IP, exact=True))
    check_now(page, t("Check now"))
    verdicts = page.get_by_role("region", name=t("Verdict per list"))
    expect(verdicts.get_by_role("row", name=re.compile("Barracuda"))).to_contain_text(
        t("Listed")
    )
    t.check_page(page)

    # Staff open the case from the listing.
    press_on(page, page.get_by_role("button", name=t("Open a delisting case")))
    case_title = t("Case #%(pk)s", pk="\0").split("\0")[0]
    expect(page).to_have_title(re.compile(re.escape(case_title)))
    expect(status(page)).to_have_text(t("Open"))
    removal = page.get_by_role(
        "link", name=t("Open %(name)s's removal page", name="Barracuda Reputation")
    )
    expect(removal).to_have_attribute("href", REMOVAL_PAGE)
    t.check_page(page)

    # They fill Barracuda's form elsewhere and record what they did.
    page.get_by_label(t.field("method")).focus()
    page.keyboard.press("ArrowDown")  # Web form
    page.get_by_label(t.field("confirmation number")).focus()
    page.keyboard.type(BBR)
    page.get_by_label(t.field("contact e-mail")).focus()
    page.keyboard.type("postmaster@example.com")
    press_on(page, page.get_by_role("button", name=t("Save the request")))
    expect(status(page)).to_have_text(t("Removal requested"))
    expect(page.locator("#case-reference")).to_have_text(BBR)
    expect(page.locator("#removal-due")).to_be_visible()

    # Barracuda removes the IP; blcheck verifies with two clean lookups.
    now = timezone.now()
    beat_tick(page, now + timedelta(hours=1))
    expect(status(page)).to_have_text(t("Removal requested"))
    barracuda_zone.a.pop(REVERSED)
    beat_tick(page, now + timedelta(hours=20))
    # One clean answer is not enough.
    expect(status(page)).to_have_text(t("Removal requested"))
    beat_tick(page, now + timedelta(hours=20, minutes=31))
    expect(status(page)).to_have_text(t("Watching re-evaluation"))
    expect(page.locator("#reevaluate-at")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text(t("Removal verified"))
    t.check_page(page)

    # Day 31: still clean at the re-evaluation, the case closes.
    beat_tick(page, now + timedelta(days=31))
    expect(status(page)).to_have_text(t("Closed"))
    expect(page.locator(".timeline")).to_contain_text(
        t("Still clean at the re-evaluation.")
    )
    t.check_page(page)
