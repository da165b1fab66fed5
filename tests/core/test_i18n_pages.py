"""Every main page, filled by seed_demo, read in Japanese: no English left over.

The catalogue test proves each msgid has a translation; this one proves the
pages use them: a run of three or more English words in the visible text (or
in a title, aria-label, placeholder or alt) of a Japanese page is a string
that was never marked for translation, unless it is data (a list's name, a
TXT record, a confirmation number).
"""

import re
from html.parser import HTMLParser

from django.urls import reverse

from blcheck.cases.models import DelistingCase
from blcheck.monitoring.models import Blocklist, Lookup, Target

# Three words or more: a sentence or a label, not a list of column names.
ENGLISH_RUN = re.compile(r"[A-Za-z][a-z]+(?:[ '-]+[A-Za-z][a-z]+){2,}")
SKIPPED_ELEMENTS = {"script", "style", "code", "pre", "textarea", "option"}
ATTRIBUTES = {"title", "aria-label", "placeholder", "alt"}


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.skipping: list[str] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.texts += [value for name, value in attrs if name in ATTRIBUTES and value]
        if tag in SKIPPED_ELEMENTS:
            self.skipping.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self.skipping and data.strip():
            self.texts.append(data)


def _data_values() -> set[str]:
    """Words that come from the data, not from our templates."""
    values: set[str] = set()
    for row in Blocklist.objects.values_list(
        "name", "operator", "access_notes", "notes", "retired_reason"
    ):
        values.update(v for v in row if v)
    values.update(Lookup.objects.exclude(reason="").values_list("reason", flat=True))
    values.update(Target.objects.exclude(label="").values_list("label", flat=True))
    return values


def _english_left(html: str, data: set[str]) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    found = []
    for text in parser.texts:
        for value in sorted(data, key=len, reverse=True):
            text = text.replace(value, " ")
        found += ENGLISH_RUN.findall(text)
    return found


def _pages() -> list[str]:
    target = Target.objects.filter(listings__is_listed=True).first()
    case = DelistingCase.objects.exclude(status="closed").first()
    assert target is not None and case is not None, "the demo data changed"
    return [
        reverse("reports:dashboard"),
        reverse("monitoring:target-list"),
        reverse("monitoring:target-detail", args=[target.pk]),
        reverse("monitoring:target-create"),
        reverse("monitoring:target-bulk"),
        reverse("monitoring:blocklist-list"),
        reverse("monitoring:notification-settings"),
        reverse("cases:case-list"),
        reverse("cases:case-detail", args=[case.pk]),
        reverse("cases:bounce-intake"),
        reverse("reports:history-lookups") + "?verdict=listed",
        reverse("reports:history-episodes"),
        reverse("reports:report-index"),
        reverse("reports:report-listings-per-month"),
        reverse("reports:report-time-to-delist"),
        reverse("reports:report-case-ageing"),
        reverse("reports:report-repeat-listings"),
        reverse("reports:report-cases-per-person"),
    ]


def test_japanese_pages_have_no_untranslated_english(client, it_staff, demo):
    client.force_login(it_staff)
    data = _data_values()
    left = {}
    for url in _pages():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="ja")
        assert response.status_code == 200, url
        english = _english_left(response.content.decode(), data)
        if english:
            left[url] = english
    assert left == {}


def test_the_scan_finds_an_untranslated_sentence():
    html = "<p>監視対象</p><p>Nothing to show yet</p><code>Not this one here</code>"
    assert _english_left(html, set()) == ["Nothing to show yet"]
