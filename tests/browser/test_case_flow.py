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
from django.utils import timezone, translation
from django.utils.text import capfirst
from playwright.sync_api import Page, expect

from blcheck.cases.models import CaseEvent
from blcheck.cases.tasks import verify_requested_cases
from blcheck.monitoring.models import Blocklist, Target
from tests.browser.test_check_flow import check_now, log_in, press_on
from tests.core.test_i18n_pages import _data_values, _english_left
from tests.support.dnsserver import Zone

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.dns,
    pytest.mark.django_db(transaction=True),
]

IP = "192.0.2.66"
REVERSED = "66.2.0.192"
BBR = "BBR21586894740-10107-515"


@pytest.fixture
def barracuda(dns_server):
    zone = dns_server.add_zone(
        Zone(
            "b.barracuda.test",
            a={"2.0.0.127": ["127.0.0.2"], REVERSED: ["127.0.0.2"]},
            txt={
                REVERSED: [f"http://www.barracudanetworks.com/reputation/?r=1&ip={IP}"]
            },
        )
    )
    Blocklist.objects.update(is_enabled=False)
    Blocklist.objects.create(
        zone="b.barracuda.test",
        name="Barracuda Reputation",
        delist_method="form",
        delist_url="https://www.barracudacentral.org/rbl/removal-request",
        removal_hours=48,
        reevaluation_days=30,
        reference_pattern="^BBR[0-9-]+$",
    )
    return zone


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
        if self.language != "en":
            assert _english_left(page.content(), _data_values()) == [], page.url


def status(page: Page):
    return page.locator("#case-status")


def beat_tick(page: Page, at) -> None:
    """What beat's verify-requested-cases entry sends, run by the real worker at
    that time (time_machine moves the clock of every thread)."""
    checked = CaseEvent.objects.filter(kind="checked").count()
    with time_machine.travel(at, tick=False):
        verify_requested_cases.delay()
        for _ in range(150):
            if CaseEvent.objects.filter(kind="checked").count() > checked:
                break
            page.wait_for_timeout(100)
        else:
            raise AssertionError("the worker did not check the case")
    page.reload()


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_barracuda_story(
    page: Page, live_server, celery_worker, barracuda, it_staff, settings, language
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
    expect(removal).to_have_attribute(
        "href", "https://www.barracudacentral.org/rbl/removal-request"
    )
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
    barracuda.a.pop(REVERSED)
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
