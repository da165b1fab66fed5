"""The run page, its live partial and a group's progress say what was
answered, in both languages: a run whose lookups all failed finished without
answers, a blind run says the resolver failed."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation

from blcheck.monitoring.models import Blocklist, ResolverOutage
from tests.factories import BlocklistFactory, CheckRunFactory, LookupFactory
from tests.support.html import parse

pytestmark = pytest.mark.django_db


@pytest.fixture
def lists(db):
    return [BlocklistFactory(zone=f"run{n:02d}.dnsbl.test") for n in range(24)]


def run_with(lists, *, errors=(), listed=0, status="finished", **fields):
    """A finished run over `lists`: the first `listed` say listed, then one
    lookup per error token in `errors`, the rest not listed."""
    run = CheckRunFactory(status=status, done=len(lists), **fields)
    for n, blocklist in enumerate(lists):
        error = errors[n - listed] if listed <= n < listed + len(errors) else ""
        verdict = "listed" if n < listed else "error" if error else "not_listed"
        LookupFactory(run=run, blocklist=blocklist, verdict=verdict, error=error)
    run.listed_count, run.error_count = listed, len(errors)
    run.save()
    return run


def status(client, user, run, lang, **headers):
    client.force_login(user)
    response = client.get(
        reverse("monitoring:run-detail", args=[run.pk]),
        HTTP_ACCEPT_LANGUAGE=lang,
        **headers,
    )
    assert response.status_code == 200
    return parse(response.content).find("p", class_="run-status")


ALL_FAILED = {
    "en": "Finished without answers: all 24 lookups failed (timeout).",
    "ja": "完了、回答なし: 照会 24 件がすべて失敗しました (タイムアウト)。",
}
PARTLY = {
    "en": "Finished: 1 listed, 20 not listed. 3 lookups could not be made "
    "(SERVFAIL, timeout).",
    "ja": "完了: 掲載 1 件、掲載なし 20 件。 照会 3 件ができませんでした "
    "(SERVFAIL、タイムアウト)。",
}
ALL_CLEAN = {
    "en": "Finished: 0 listed, 24 not listed.",
    "ja": "完了: 掲載 0 件、掲載なし 24 件。",
}


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_run_whose_lookups_all_failed_finished_without_answers(
    client, manager, lists, lang
):
    run = run_with(lists, errors=["timeout"] * 24)
    text = status(client, manager, run, lang).text
    assert ALL_FAILED[lang] in text
    assert "0 listings" not in text and "Status: Finished" not in text


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_partly_failed_run_counts_answers_and_says_why_the_rest_failed(
    client, manager, lists, lang
):
    run = run_with(lists, listed=1, errors=["timeout", "servfail", "timeout"])
    assert PARTLY[lang] in status(client, manager, run, lang).text


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_clean_run_counts_what_answered_not_listed(client, manager, lists, lang):
    run = run_with(lists)
    assert ALL_CLEAN[lang] in status(client, manager, run, lang).text


def test_live_partial_says_the_same(client, manager, lists):
    run = run_with(lists, errors=["timeout"] * 24)
    partial = status(client, manager, run, "en", HTTP_HX_REQUEST="true")
    assert ALL_FAILED["en"] in partial.text


BLIND = {
    "en": "No answers: DNS resolution failing since {since} (timeout at 127.0.0.1:53).",
    "ja": "回答なし: DNS の名前解決が {since} から失敗しています "
    "(127.0.0.1:53 で タイムアウト)。",
}


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_blind_run_says_the_resolver_failed(client, manager, lang):
    started = timezone.now() - timedelta(minutes=8)
    outage = ResolverOutage.objects.create(
        started_at=started,
        last_seen_at=timezone.now(),
        failure="timeout",
        nameserver="127.0.0.1:53",
    )
    run = CheckRunFactory(status="blind", outage=outage, finished_at=timezone.now())
    client.force_login(manager)
    url = reverse("monitoring:run-detail", args=[run.pk])
    page = parse(client.get(url, HTTP_ACCEPT_LANGUAGE=lang).content)
    with translation.override(lang):
        since = formats.date_format(
            timezone.localtime(started), "SHORT_DATETIME_FORMAT"
        )
    assert BLIND[lang].format(since=since) in page.find("p", class_="run-status").text
    if lang == "en":
        assert "No list was asked: DNS resolution was failing." in page.text
        assert "No enabled blocklist can answer" not in page.text


def test_blind_run_after_some_lookups_says_how_many_failed(client, manager, lists):
    run = run_with(
        lists, errors=["timeout"] * 22, status="blind", failure="timeout at ::1"
    )
    text = status(client, manager, run, "en").text
    assert "No answers: DNS resolution failing (timeout at ::1)." in text
    assert "22 of 24 lookups failed. The last known states stand." in text


def test_unhealthy_list_error_shows_why_its_probes_failed_then(client, manager):
    blocklist = BlocklistFactory(health=Blocklist.Health.OK)
    run = CheckRunFactory(status="finished", done=1, error_count=1)
    LookupFactory(
        run=run,
        blocklist=blocklist,
        verdict="error",
        error="list_unhealthy",
        health=Blocklist.Health.TIMEOUT,
    )
    client.force_login(manager)
    page = parse(client.get(reverse("monitoring:run-detail", args=[run.pk])).content)
    details = page.find("table", class_="results").text
    assert "The list failed its health probes: No answer to its probes in time" in (
        details
    )
    assert "Healthy" not in details


# --- a group of runs ------------------------------------------------------------

GROUP_FAILED = {
    "en": "Done without answers: all 48 lookups failed (timeout).",
    "ja": "完了、回答なし: 照会 48 件がすべて失敗しました (タイムアウト)。",
}
GROUP_BLIND = {
    "en": "1 target got no answers: DNS resolution was failing.",
    "ja": "1 件のターゲットは回答を得られませんでした: "
    "DNS の名前解決が失敗していました。",
}


def group_outcome(client, user, group, lang):
    client.force_login(user)
    url = reverse("monitoring:group-progress", args=[group])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
    return parse(response.content).find("p", class_="group-outcome").text


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_group_whose_lookups_all_failed_is_done_without_answers(
    client, manager, lists, lang
):
    group = uuid.uuid4()
    for _ in range(2):
        run_with(lists, errors=["timeout"] * 24, group=group, total=24)
    CheckRunFactory(status="blind", group=group)
    text = group_outcome(client, manager, group, lang)
    assert GROUP_FAILED[lang] in text
    assert GROUP_BLIND[lang] in text
    assert "0 listings" not in text and "掲載なし" not in text


def test_group_with_answers_counts_them(client, manager, lists):
    group = uuid.uuid4()
    run_with(lists, listed=2, errors=["refused"], group=group, total=24)
    text = group_outcome(client, manager, group, "en")
    assert "Done: 2 listed, 21 not listed. 1 lookup could not be made (REFUSED)." in (
        text
    )
