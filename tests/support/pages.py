"""The main pages of the app, filled by seed_demo, and the scan for English
left on a Japanese page (tests/core/test_i18n_pages.py, the browser tests).
"""

import re

from django.urls import reverse

from blcheck.cases.models import DelistingCase
from blcheck.monitoring.models import Blocklist, Lookup, Target
from tests.support.html import parse

# Three words or more: a sentence or a label, not a list of column names.
ENGLISH_RUN = re.compile(r"[A-Za-z][a-z]+(?:[ '-]+[A-Za-z][a-z]+){2,}")
SKIPPED_ELEMENTS = {"script", "style", "code", "pre", "textarea", "option"}
ATTRIBUTES = {"title", "aria-label", "placeholder", "alt"}


def data_values() -> set[str]:
    """Words that come from the data, not from our templates."""
    values: set[str] = set()
    for row in Blocklist.objects.values_list(
        "name", "operator", "access_notes", "notes", "retired_reason"
    ):
        values.update(v for v in row if v)
    values.update(Lookup.objects.exclude(reason="").values_list("reason", flat=True))
    values.update(Target.objects.exclude(label="").values_list("label", flat=True))
    return values


def english_runs(html: str, data: set[str]) -> list[str]:
    """Runs of three or more English words in the visible text of `html` (and
    in its titles, aria-labels, placeholders and alts), data left out."""
    page = parse(html)
    texts = [
        value
        for element in page.iter()
        for name, value in element.attrs.items()
        if name in ATTRIBUTES and value
    ]
    texts += [text for text in page.strings(skip=SKIPPED_ELEMENTS) if text.strip()]
    found = []
    for text in texts:
        for value in sorted(data, key=len, reverse=True):
            text = text.replace(value, " ")
        found += ENGLISH_RUN.findall(text)
    return found


def main_pages() -> list[str]:
    """Every main page, on seed_demo's data."""
    target = Target.objects.filter(listings__is_listed=True).first()
    case = DelistingCase.objects.exclude(status="closed").first()
    assert target is not None and case is not None, "the demo data changed"
    return [
        reverse("reports:dashboard"),
        reverse("monitoring:target-list"),
        reverse("reports:target-detail", args=[target.pk]),
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
        reverse("reports:audit-log"),
    ]
