"""The pages under the Content-Security-Policy in Chromium: nothing is refused
(no inline script, style or handler, no eval), the charts are drawn, and the
dashboard's live update, its pause and its focus guard work from blcheck.js.

The dashboard polls every 15 s; the page's clock is Playwright's, so the test
moves time on instead of waiting.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import ConsoleMessage, Page, expect

from blcheck.cases.models import DelistingCase
from blcheck.monitoring.models import Blocklist, Target
from tests.factories import ListingChangeFactory, ListingFactory, TargetFactory
from tests.support.browser import log_in
from tests.support.headers import directives

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every refusal is reported to the page as an event and logged on the console.
WATCH_VIOLATIONS = """
window.blcheckViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.blcheckViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
document.addEventListener("htmx:afterRequest", () => {
  document.documentElement.dataset.polls =
    Number(document.documentElement.dataset.polls || 0) + 1;
});
"""
POLL = 16_000  # ms: a little more than the dashboard's 15 s


class Console:
    """The CSP violations a page reported, on the console and as events."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.messages: list[str] = []
        page.on("console", self._heard)
        page.add_init_script(WATCH_VIOLATIONS)

    def _heard(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or message.type == "error":
            self.messages.append(f"{message.type}: {message.text}")

    def violations(self) -> list[str]:
        return self.messages + self.page.evaluate("() => window.blcheckViolations")


def a_change(subject: str) -> None:
    """A new listing of subject on the first list, as a check would write it."""
    listing = ListingFactory(
        target=TargetFactory(value=subject), blocklist=Blocklist.objects.first()
    )
    ListingChangeFactory(listing=listing)


def polls(page: Page, count: int) -> None:
    expect(page.locator("html")).to_have_attribute("data-polls", str(count))


def test_pages_keep_to_the_policy_and_the_dashboard_stays_live(
    page: Page, live_server, it_staff, demo
):
    console = Console(page)
    page.clock.install()
    log_in(page, live_server.url, "itstaff")

    # The dashboard: paused, it asks nothing; live, it shows the new change.
    response = page.goto(live_server.url + reverse("reports:dashboard"))
    assert response is not None
    policy = directives(response.headers["content-security-policy"])
    assert policy["script-src"] == ["'self'"]
    changes = page.locator("#dash-changes")
    expect(changes).to_be_visible()
    a_change("203.0.113.201")
    page.get_by_label("Pause live updates").check()
    page.clock.run_for(POLL)
    page.clock.run_for(POLL)
    expect(page.locator("html")).not_to_have_attribute("data-polls", re.compile("."))
    expect(changes).not_to_contain_text("203.0.113.201")
    page.get_by_label("Pause live updates").uncheck()
    page.clock.run_for(POLL)
    polls(page, 1)
    expect(changes).to_contain_text("203.0.113.201")

    # A panel holding the keyboard focus is left alone until the focus leaves.
    changes.get_by_role("link", name="203.0.113.201").focus()
    a_change("203.0.113.202")
    page.clock.run_for(POLL)
    polls(page, 2)
    expect(changes).not_to_contain_text("203.0.113.202")
    page.get_by_label("Pause live updates").focus()
    page.clock.run_for(POLL)
    polls(page, 3)
    expect(changes).to_contain_text("203.0.113.202")
    assert console.violations() == []

    # The target page (its SVG timeline), a report (its chart), a case.
    target = Target.objects.filter(listings__is_listed=True).first()
    assert target is not None
    page.goto(live_server.url + reverse("reports:target-detail", args=[target.pk]))
    expect(page.locator(".episode-chart svg")).to_be_visible()
    assert console.violations() == []

    page.goto(live_server.url + reverse("reports:report-listings-per-month"))
    canvas = page.locator("main canvas").first
    expect(canvas).to_be_visible()
    assert page.evaluate(
        "(c) => Boolean(window.Chart.getChart(c))", canvas.element_handle()
    )
    assert console.violations() == []

    case = DelistingCase.objects.exclude(status="closed").first()
    assert case is not None
    page.goto(live_server.url + reverse("cases:case-detail", args=[case.pk]))
    expect(page).to_have_title(re.compile("^Case #"))
    assert console.violations() == []
