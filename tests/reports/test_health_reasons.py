"""A list that failed its probes keeps why wherever its lookups are shown."""

import pytest
from django.urls import reverse

from blcheck.monitoring.models import Lookup
from tests.factories import ListingFactory, LookupFactory

pytestmark = pytest.mark.django_db

REASONS = {
    "refused": (
        "Refuses our resolver: use your own recursive resolver or a DQS key",
        "自前の再帰リゾルバーか DQS キーを使ってください",
    ),
    "timeout": ("No answer to its probes in time", "時間内の応答がありません"),
}


@pytest.mark.parametrize("health", sorted(REASONS))
@pytest.mark.parametrize("language", ["en", "ja"])
def test_history_target_and_run_pages_say_why(reader, health, language):
    lookup = LookupFactory(
        run__status="finished",
        verdict=Lookup.Verdict.ERROR,
        error=Lookup.Error.LIST_UNHEALTHY,
        health=health,
    )
    reader.cookies["django_language"] = language
    sentence = REASONS[health][0 if language == "en" else 1]
    pages = [
        reverse("reports:history-lookups"),
        reverse("reports:target-detail", args=[lookup.target.pk]),
        reverse("monitoring:run-detail", args=[lookup.run.pk]),
    ]
    for page in pages:
        assert sentence in reader.get(page).content.decode(), page


@pytest.mark.parametrize(
    ("language", "reason"),
    [
        ("en", "the list refuses our resolver"),
        ("ja", "リストがこちらのリゾルバーを拒否"),
    ],
)
def test_headlines_name_why_an_unhealthy_list_was_not_asked(reader, language, reason):
    lookup = LookupFactory(
        run__status="finished",
        run__error_count=1,
        run__done=1,
        verdict=Lookup.Verdict.ERROR,
        error=Lookup.Error.LIST_UNHEALTHY,
        health="refused",
    )
    ListingFactory(
        target=lookup.target,
        blocklist=lookup.blocklist,
        subject=lookup.subject,
        last_error=Lookup.Error.LIST_UNHEALTHY,
    )
    reader.cookies["django_language"] = language
    for page in (
        reverse("reports:target-detail", args=[lookup.target.pk]),
        reverse("monitoring:run-detail", args=[lookup.run.pk]),
    ):
        headline = reader.get(page).content.decode()
        assert f"({reason}" in headline, page
