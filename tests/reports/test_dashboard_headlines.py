"""The dashboard's counts and grid say what was answered, in both languages:
no tick and no "clean" while targets were never checked, got no answers, or
the resolver is failing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation

from blcheck.monitoring.models import Blocklist, ResolverOutage, Target
from blcheck.reports.selectors.dashboard import blocklist_columns, dashboard_counts
from tests.factories import CheckRunFactory, ListingFactory, TargetFactory
from tests.support.html import parse
from tests.support.reading import get_ok, row_linking

pytestmark = pytest.mark.django_db

URL = reverse("reports:dashboard")


@pytest.fixture
def probed(two_lists):
    """Alpha and Bravo, both probed healthy."""
    Blocklist.objects.filter(pk__in=[b.pk for b in two_lists]).update(health="ok")
    return two_lists


def page(client, user, lang="en"):
    client.force_login(user)
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    return response, parse(response.content)


def item(counts, words):
    """The one count that holds `words`."""
    found = [li for li in counts.find_all("li") if words in li.text]
    assert len(found) == 1, words
    return found[0]


def icon(li):
    return li.find("span", aria_hidden="true").text


def clean(target, lists, **fields):
    for blocklist in lists:
        ListingFactory(target=target, blocklist=blocklist, is_listed=False, **fields)


LISTED = {
    "en": "addresses listed at the last answers",
    "ja": "直近の回答で掲載中のアドレス",
}
UNCHECKED = {"en": "2 targets not checked yet", "ja": "未チェックのターゲット 2 件"}
UNANSWERED = {"en": "1 target without answers", "ja": "回答のないターゲット 1 件"}
PARTLY = {"en": "1 target with failed lookups", "ja": "照会が失敗したターゲット 1 件"}


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_targets_never_checked_get_no_tick(client, manager, probed, lang):
    TargetFactory.create_batch(2)
    response, html = page(client, manager, lang)
    counts = html.by_id("dash-counts")
    listed = item(counts, LISTED[lang])
    assert "0" in listed.find("strong").text and icon(listed) != "✓"
    assert UNCHECKED[lang] in counts.text
    assert response.context["counts"].targets_unchecked == 2


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_targets_whose_lookups_failed_are_counted_without_answers(
    client, manager, probed, lang
):
    alpha, bravo = probed
    failed = TargetFactory()
    clean(failed, probed, last_error="timeout")
    partly = TargetFactory()
    ListingFactory(target=partly, blocklist=alpha, is_listed=False)
    ListingFactory(
        target=partly, blocklist=bravo, is_listed=False, last_error="refused"
    )
    _, html = page(client, manager, lang)
    counts = html.by_id("dash-counts")
    assert icon(item(counts, LISTED[lang])) != "✓"
    assert UNANSWERED[lang] in counts.text
    assert PARTLY[lang] in counts.text


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_target_answered_clean_gets_the_tick(client, manager, probed, lang):
    clean(TargetFactory(), probed)
    _, html = page(client, manager, lang)
    counts = html.by_id("dash-counts")
    assert icon(item(counts, LISTED[lang])) == "✓"
    absent = {
        "en": ("not checked yet", "without answers", "with failed lookups"),
        "ja": ("未チェック", "回答のない", "照会が失敗した"),
    }[lang]
    assert not [words for words in absent if words in counts.text]


def test_lists_never_probed_get_no_tick(client, manager, two_lists):
    clean(TargetFactory(), two_lists)
    _, html = page(client, manager)
    lists = item(html.by_id("dash-counts"), "unhealthy or erroring")
    assert icon(lists) == "?" and "2 not probed yet" in lists.text


def blind(target, *, checked_ago):
    """The target's latest check was blind: after its last answered one."""
    now = timezone.now()
    Target.objects.filter(pk=target.pk).update(
        last_checked_at=now - timedelta(minutes=checked_ago)
    )
    CheckRunFactory(target=target, status="blind", finished_at=now)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_blind_latest_check_counts_as_without_answers(client, manager, probed, lang):
    target = TargetFactory()
    clean(target, probed)  # answered clean before the resolver failed
    blind(target, checked_ago=30)
    response, html = page(client, manager, lang)
    counts = html.by_id("dash-counts")
    assert UNANSWERED[lang] in counts.text
    assert icon(item(counts, LISTED[lang])) != "✓"
    assert response.context["counts"].targets_partly == 0
    url = reverse("reports:target-detail", args=[target.pk])
    cells = row_linking(html.by_id("dash-grid"), url).find_all("td", class_="cell")
    assert [c.find("span", aria_hidden="true").text for c in cells] == ["?", "?"]
    assert not [c for c in cells if "cell-ok" in c.classes]


def test_blind_run_before_the_last_answers_does_not_count(client, manager, probed):
    target = TargetFactory()
    clean(target, probed)
    CheckRunFactory(
        target=target, status="blind", finished_at=timezone.now() - timedelta(hours=2)
    )
    Target.objects.filter(pk=target.pk).update(last_checked_at=timezone.now())
    response, html = page(client, manager)
    assert response.context["counts"].targets_unanswered == 0
    assert icon(item(html.by_id("dash-counts"), LISTED["en"])) == "✓"


OUTAGE = {
    "en": "No answers since {since}: DNS resolution failing (timeout). The "
    "figures are the last known.",
    "ja": "{since} 以降、回答がありません: DNS の名前解決が失敗しています "
    "(タイムアウト)。数字は最後に分かっている状態です。",
}


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_open_outage_is_said_in_the_counts_and_takes_the_tick(
    client, manager, probed, lang
):
    clean(TargetFactory(), probed)
    started = timezone.now() - timedelta(minutes=5)
    ResolverOutage.objects.create(
        started_at=started, last_seen_at=timezone.now(), failure="timeout"
    )
    _, html = page(client, manager, lang)
    counts = html.by_id("dash-counts")
    with translation.override(lang):
        since = formats.date_format(
            timezone.localtime(started), "SHORT_DATETIME_FORMAT"
        )
    assert OUTAGE[lang].format(since=since) in counts.text
    assert icon(item(counts, LISTED[lang])) != "✓"


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_grid_legend_and_cells_say_answers_not_states(client, manager, probed, lang):
    target = TargetFactory()
    ListingFactory(target=target, blocklist=probed[0], is_listed=False)
    ListingFactory(
        target=target, blocklist=probed[1], is_listed=False, last_error="timeout"
    )
    never = TargetFactory()
    _, html = page(client, manager, lang)
    grid = html.by_id("dash-grid")
    words = {
        "en": ("Not listed at the latest answer", "no answer", "Not checked yet"),
        "ja": ("直近の回答では掲載なし", "回答なし", "未チェック"),
    }[lang]
    legend = grid.find("ul", class_="dash-legend").text
    assert all(word in legend for word in words)
    url = reverse("reports:target-detail", args=[target.pk])
    ok, error = row_linking(grid, url).find_all("td", class_="cell")
    assert words[0] in ok.text and words[1] in error.text
    assert words[0] not in error.text + error["title"]
    url = reverse("reports:target-detail", args=[never.pk])
    assert words[2] in row_linking(grid, url).find("td", class_="cell").text


def test_counts_stay_few_queries_whatever_the_targets(
    client, manager, probed, django_assert_max_num_queries
):
    for n in range(5):
        clean(TargetFactory(), probed, last_error="timeout" if n % 2 else "")
    TargetFactory.create_batch(3)
    columns = blocklist_columns()
    with django_assert_max_num_queries(5):
        counts = dashboard_counts(columns=columns)
    assert (counts.targets, counts.targets_unchecked) == (8, 3)
    assert (counts.targets_unanswered, counts.targets_partly) == (2, 0)
    assert get_ok(client, manager, URL).context["counts"] == counts
