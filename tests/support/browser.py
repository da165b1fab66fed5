"""What a person does in the browser tests: keyboard only, in either language.

log_in(page, live_server.url, "itstaff")
press_on(page, page.get_by_role("link", name="Add a target"))
check_now(page)                  # press "Check now", read the finished run
t = Speaker("ja"); t("Check now") # the catalogue's words for the labels
"""

import re
from collections.abc import Callable

from django.utils import translation
from django.utils.text import capfirst
from playwright.sync_api import Locator, Page, expect

from blcheck.monitoring.models import CheckRun
from tests.support.pages import data_values, english_runs


def press_on(page: Page, locator: Locator) -> None:
    """Focus and press Enter, as a keyboard user does (never a click)."""
    locator.focus()
    page.keyboard.press("Enter")


def wait_until(page: Page, done: Callable[[], bool], what: str) -> None:
    """Wait up to 15 s for done(), on the page's clock (Playwright's loop keeps
    running); what says what did not happen."""
    for _ in range(150):
        if done():
            return
        page.wait_for_timeout(100)
    raise AssertionError(what)


def log_in(page: Page, base_url: str, username: str, label: str = "Username") -> None:
    page.goto(base_url + "/targets/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/targets/"))
    expect(page.get_by_label(label)).to_be_focused()  # autofocus: type at once
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type("pw-" + username)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/targets/$"))


def check_now(page: Page, button: str = "Check now") -> None:
    """Press "Check now" and read the page once the worker has finished.

    The page shows a running check's progress (htmx swaps in its answers) and
    a finished one's summary; which one the first load meets depends on how
    fast the worker is, so the tests read the page once the run is over."""
    press_on(page, page.get_by_role("button", name=button))
    # The post's redirect has landed once the page shows the run.
    expect(page.locator(".run-status")).to_be_visible(timeout=15_000)
    wait_until(
        page,
        lambda: not CheckRun.objects.filter(status__in=["queued", "running"]).exists(),
        "the check did not finish",
    )
    page.reload()


class Speaker:
    """The story's words in one language, as the catalogue has them."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, msgid: str, **values: str) -> str:
        with translation.override(self.language):
            text = translation.gettext(msgid)
        return text % values if values else text

    def field(self, verbose_name: str) -> str:
        """A model field's label as forms show it (capitalised first letter)."""
        return capfirst(self(verbose_name))

    def check_page(self, page: Page) -> None:
        """A page in another language than English shows no English but data."""
        if self.language != "en":
            assert english_runs(page.content(), data_values()) == [], page.url
