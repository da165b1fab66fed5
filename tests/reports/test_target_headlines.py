"""The target page's headline says exactly what was answered, in both
languages: never checked, all clean, partly errored, all errored, listed, a
range with some addresses listed and some errored, and a blind latest check."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation

from blcheck.core.templatetags.blcheck import verdict_badge
from blcheck.monitoring.models import Blocklist, ResolverOutage, Target
from tests.factories import (
    BlocklistFactory,
    CheckRunFactory,
    ListingFactory,
    LookupFactory,
    TargetFactory,
)
from tests.support.history import NOW
from tests.support.html import parse
from tests.support.reading import row, section

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

NAMES = ("Alpha", "Bravo", "Charlie", "Delta", "Echo")
# A clean bill: the old sentence, or every list answering "not listed".
CLEAN_BILLS = (
    "Not listed on any",
    "有効などのリスト",
    "Not listed on 5 of 5",
    "5 件中 5 件のリストに掲載されていません",
)


@pytest.fixture
def five_lists(db):
    """Alpha to Echo, the only enabled lists."""
    Blocklist.objects.update(is_enabled=False)
    return [
        BlocklistFactory(zone=f"{name.lower()}.dnsbl.test", name=name) for name in NAMES
    ]


def verdicts(client, user, target, lang):
    url = reverse("reports:target-detail", args=[target.pk])
    client.force_login(user)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    return section(parse(response.content), "verdicts")


def headline(client, user, target, lang):
    return verdicts(client, user, target, lang).by_id("target-headline")


def at(value, lang):
    """A time as the page writes it in `lang`."""
    with translation.override(lang):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def answered(target, lists, *, listed=(), errors=None):
    """Listings as runs leave them: `listed` lists say listed, `errors` maps
    a list to its failed lookup's error (never answered before), the rest
    answered "not listed"."""
    errors = errors or {}
    for blocklist in lists:
        error = errors.get(blocklist.name, "")
        ListingFactory(
            target=target,
            blocklist=blocklist,
            is_listed=blocklist.name in listed,
            last_error=error,
        )


# --- single address ---------------------------------------------------------

SINGLE = {
    "never": {
        "en": ["Not checked yet: no list has been asked about this target."],
        "ja": [
            "未チェック: このターゲットについて、"
            "まだどのリストにも問い合わせていません。"
        ],
    },
    "clean": {
        "en": ["Not listed on 5 of 5 lists at the last answers."],
        "ja": ["直近の回答では、5 件中 5 件のリストに掲載されていません。"],
    },
    "partly": {
        "en": [
            "Not listed on 3 of 5 lists at the last answers.",
            "2 of 5 lists could not be asked (SERVFAIL, timeout): the last "
            "known state is shown.",
        ],
        "ja": [
            "直近の回答では、5 件中 3 件のリストに掲載されていません。",
            "5 件中 2 件のリストに問い合わせできませんでした "
            "(SERVFAIL、タイムアウト)。",
        ],
    },
    "all_errored": {
        "en": [
            "No answers at the last check: 5 of 5 lists could not be asked (timeout).",
            "No list has answered about this target yet.",
        ],
        "ja": [
            "前回のチェックでは回答がありません: "
            "5 件中 5 件のリストに問い合わせできませんでした (タイムアウト)。",
            "このターゲットについて、まだどのリストからも回答がありません。",
        ],
    },
    "listed": {
        "en": [
            "Listed on 1 of 5 lists at the last answers.",
            "Not listed on 4 of 5 lists at the last answers.",
        ],
        "ja": [
            "直近の回答では、5 件中 1 件のリストに掲載されています。",
            "直近の回答では、5 件中 4 件のリストに掲載されていません。",
        ],
    },
}


def make_single(state, lists):
    target = TargetFactory(value="192.0.2.66")
    if state == "clean":
        answered(target, lists)
    elif state == "partly":
        answered(target, lists, errors={"Delta": "timeout", "Echo": "servfail"})
    elif state == "all_errored":
        answered(target, lists, errors={name: "timeout" for name in NAMES})
    elif state == "listed":
        answered(target, lists, listed={"Alpha"})
    return target


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("state", list(SINGLE))
def test_headline_of_an_address_says_what_was_answered(
    client, manager, five_lists, state, lang
):
    target = make_single(state, five_lists)
    text = headline(client, manager, target, lang).text
    for sentence in SINGLE[state][lang]:
        assert sentence in text
    if state != "clean":
        assert not any(bill in text for bill in CLEAN_BILLS)


def test_a_target_never_checked_has_no_clean_verdict(client, manager, five_lists):
    states = verdicts(client, manager, make_single("never", five_lists), "en")
    assert not states.find_all(class_="badge-not_listed")
    assert len(states.find_all(class_="badge-unchecked")) == 5
    assert "Not listed" not in states.text


def test_lists_that_never_answered_are_not_said_never_listed(
    client, manager, five_lists
):
    target = make_single("all_errored", five_lists)
    states = verdicts(client, manager, target, "en")
    assert "never listed" not in states.text
    assert "no answer from this list on record" in row(states, "Alpha").text
    assert len(states.find_all(class_="badge-error")) == 5


def test_a_list_that_answered_before_failing_keeps_its_last_answer(
    client, manager, five_lists
):
    target = make_single("all_errored", five_lists)
    LookupFactory(run__target=target, blocklist=five_lists[0], subject=target.value)
    states = verdicts(client, manager, target, "en")
    assert "last known: not listed" in row(states, "Alpha").text
    assert "Last known: not listed on 1 of 5 lists." in states.text
    assert "4 lists have no answer on record." in states.text


def test_unhealthy_list_shows_why_its_probes_failed_then(client, manager, five_lists):
    target = TargetFactory(value="192.0.2.66")
    alpha = five_lists[0]
    Blocklist.objects.filter(pk=alpha.pk).update(health=Blocklist.Health.OK)
    ListingFactory(
        target=target, blocklist=alpha, is_listed=False, last_error="list_unhealthy"
    )
    LookupFactory(
        run__target=target,
        blocklist=alpha,
        verdict="error",
        error="list_unhealthy",
        health=Blocklist.Health.SERVFAIL,
    )
    text = row(verdicts(client, manager, target, "en"), "Alpha").text
    assert "Its server failed on the probes (SERVFAIL)" in text
    assert "Healthy" not in text


# --- a range ------------------------------------------------------------------

RANGE = {
    "en": [
        "Listed on 1 of 2 lists at the last answers (2 address listings).",
        "1 of 2 lists did not answer for every address: the last known state is shown.",
        "3 address lookups failed (timeout).",
    ],
    "ja": [
        "直近の回答では、2 件中 1 件のリストに掲載されています (アドレスの掲載 2 件)。",
        "2 件中 1 件のリストが、一部のアドレスに回答しませんでした。",
        "アドレスの照会 3 件が失敗しました (タイムアウト)。",
    ],
}


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_range_with_some_addresses_listed_and_some_errored(
    client, manager, two_lists, lang
):
    alpha, bravo = two_lists
    target = TargetFactory(value="192.0.2.0/30", kind=Target.Kind.RANGE)
    for n in range(4):
        subject = f"192.0.2.{n}"
        ListingFactory(target=target, blocklist=alpha, subject=subject, is_listed=n < 2)
        ListingFactory(
            target=target,
            blocklist=bravo,
            subject=subject,
            is_listed=False,
            last_error="timeout" if n else "",
        )
    states = verdicts(client, manager, target, lang)
    text = states.by_id("target-headline").text
    for sentence in RANGE[lang]:
        assert sentence in text
    assert not any(bill in text for bill in CLEAN_BILLS)
    if lang == "en":
        bravo_row = row(states, "Bravo").text
        assert "1 address answered, none listed" in bravo_row
        assert "3 addresses could not be checked: No answer in time" in bravo_row


# --- a blind latest check -------------------------------------------------------


def blind_target(lists, *, ended=False):
    """Answered clean at 10:30; the resolver failed from 10:42; the 10:50
    check was blind."""
    answered_at = NOW - timedelta(minutes=90)
    target = TargetFactory(value="192.0.2.66", last_checked_at=answered_at)
    answered(target, lists)
    CheckRunFactory(target=target, status="finished", done=5, finished_at=answered_at)
    outage = ResolverOutage.objects.create(
        started_at=NOW - timedelta(minutes=78),
        last_seen_at=NOW - timedelta(minutes=70),
        ended_at=NOW - timedelta(minutes=60) if ended else None,
        failure="timeout",
        nameserver="127.0.0.1:53",
        blind_runs=1,
    )
    CheckRunFactory(
        target=target,
        status="blind",
        outage=outage,
        finished_at=NOW - timedelta(minutes=70),
        failure="timeout at 127.0.0.1:53",
    )
    return target, outage


BLIND = {
    "en": "No answers since {since}: DNS resolution failing (timeout at "
    "127.0.0.1:53). Last answers {last}: not listed on 5 of 5 lists.",
    "ja": "{since} 以降、回答がありません: DNS の名前解決が失敗しています "
    "(127.0.0.1:53 で タイムアウト)。 "
    "最後の回答 ({last}): 5 件中 5 件のリストに掲載なし。",
}


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_blind_latest_check_says_since_when_and_shows_the_last_answers(
    client, manager, five_lists, lang
):
    target, outage = blind_target(five_lists)
    states = verdicts(client, manager, target, lang)
    text = states.by_id("target-headline").text
    last = at(NOW - timedelta(minutes=90), lang)
    assert BLIND[lang].format(since=at(outage.started_at, lang), last=last) in text
    # The last known states are shown as last known: no tick.
    assert not states.find_all(class_="badge-not_listed")
    assert len(states.find_all("span", class_="badge-unchecked")) == 5


def test_blind_check_after_the_outage_ended_says_it_was_failing(
    client, manager, five_lists
):
    target, outage = blind_target(five_lists, ended=True)
    text = headline(client, manager, target, "en").text
    assert (
        f"DNS resolution was failing (timeout at 127.0.0.1:53) until "
        f"{at(outage.ended_at, 'en')}. The next check asks again." in text
    )


def test_open_outage_makes_a_target_not_answered_since_blind(
    client, manager, five_lists
):
    target = make_single("clean", five_lists)
    Target.objects.filter(pk=target.pk).update(last_checked_at=NOW - timedelta(hours=2))
    outage = ResolverOutage.objects.create(
        started_at=NOW - timedelta(hours=1),
        last_seen_at=NOW,
        failure="servfail",
        nameserver="127.0.0.1:53",
    )
    text = headline(client, manager, target, "en").text
    assert f"No answers since {at(outage.started_at, 'en')}: DNS resolution" in text
    assert "Not listed on 5 of 5 lists at the last answers" not in text


def test_answered_check_after_an_ended_outage_is_not_blind(client, manager, five_lists):
    target, _ = blind_target(five_lists, ended=True)
    CheckRunFactory(
        target=target, status="finished", done=5, finished_at=NOW - timedelta(minutes=5)
    )
    Target.objects.filter(pk=target.pk).update(
        last_checked_at=NOW - timedelta(minutes=5)
    )
    text = headline(client, manager, target, "en").text
    assert "Not listed on 5 of 5 lists at the last answers." in text
    assert "No answers" not in text


# --- the badge -------------------------------------------------------------------


@pytest.mark.parametrize("verdict", ["unchecked", "error", "last_known", "odd"])
def test_only_a_not_listed_answer_gets_a_tick(verdict):
    assert "✓" not in verdict_badge(verdict)
    assert "✓" in verdict_badge("not_listed")


def test_badge_tells_its_verdict_in_words_by_default():
    with translation.override("ja"):
        assert "未チェック" in verdict_badge("unchecked")
    assert verdict_badge("error").endswith("No answer</span>")
