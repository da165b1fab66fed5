"""The case timeline speaks its reader's language: blcheck writes its history
in the site's language, and the page words each event again from the tokens
and data it keeps (verdicts, codes, TXT, dates), so a history written in
Japanese reads in English and the other way round; rows written before the
data was kept still read."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import formats, timezone, translation

from blcheck.cases import services
from blcheck.cases.models import CaseEvent
from blcheck.monitoring.models import Lookup
from tests.support.cases import BBR, IP, REVERSED, open_case
from tests.support.html import parse

pytestmark = [pytest.mark.django_db, pytest.mark.dns]

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
TXT = f"http://www.barracudanetworks.com/reputation/?r=1&ip={IP}"
# blcheck's own words, as the English reader reads them.
ENGLISH = [
    "Not listed in 2 consecutive lookups since",
    "The list re-evaluates on",
    "Still clean at the re-evaluation. Removed",
    "hours after the request.",
]


def verify_at(when):
    with time_machine.travel(when, tick=False):
        services.case_verify_due(claimant=f"t-{when:%H%M%S%f}")


def barracuda_story(barracuda_on_dns, barracuda_zone, it_staff):
    """The whole case, its history written in the site's language
    (LANGUAGE_CODE): opened, requested, still listed, removed, verified,
    watched, closed."""
    with time_machine.travel(START, tick=False):
        case = open_case(barracuda_on_dns, it_staff)
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        services.case_mark_requested(
            case=case, by=it_staff, method="form", reference=BBR
        )
    verify_at(START + timedelta(hours=2))  # still listed
    barracuda_zone.a.pop(REVERSED)
    verify_at(START + timedelta(hours=10))
    verify_at(START + timedelta(hours=11))
    verify_at(START + timedelta(days=31))
    case.refresh_from_db()
    assert case.status == "closed"
    return case


def timeline(client, case, lang):
    url = reverse("cases:case-detail", args=[case.pk])
    page = parse(client.get(url, HTTP_ACCEPT_LANGUAGE=lang).content)
    return page.find("ol", class_="timeline").find_all("li")


def written(case, kind):
    return case.events.filter(kind=kind).first()


def shown_at(value, lang):
    with translation.override(lang):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


def test_a_history_written_in_japanese_reads_in_english(
    client, manager, settings, barracuda_on_dns, barracuda_zone, it_staff, tokyo
):
    settings.LANGUAGE_CODE = "ja"
    case = barracuda_story(barracuda_on_dns, barracuda_zone, it_staff)
    assert JAPANESE.search(written(case, "verified").detail)  # stored in Japanese
    client.force_login(manager)
    items = timeline(client, case, "en")
    text = " ".join(item.text for item in items)
    assert not JAPANESE.search(text)
    for words in ENGLISH:
        assert words in text
    assert "not_listed" not in text and "Web form, " + BBR in text
    listed, *_clean = [i for i in items if "event-checked" in i.classes]
    assert "Checked (blcheck) : Listed" in listed.text
    assert "127.0.0.2" in listed.text and TXT in listed.text
    lookup = Lookup.objects.filter(verdict="listed").latest("checked_at")
    assert shown_at(lookup.checked_at, "en") in listed.text
    assert "Not listed" in _clean[0].text


def test_a_history_written_in_english_reads_in_japanese(
    client, manager, settings, barracuda_on_dns, barracuda_zone, it_staff, tokyo
):
    case = barracuda_story(barracuda_on_dns, barracuda_zone, it_staff)
    assert written(case, "verified").detail.startswith("Not listed in 2")
    client.force_login(manager)
    items = timeline(client, case, "ja")
    text = " ".join(item.text for item in items)
    for words in ENGLISH:
        assert words not in text
    assert "not_listed" not in text and "Web フォーム、" + BBR in text
    with translation.override("ja"):
        verified = written(case, "verified")
        since = shown_at(datetime.fromisoformat(verified.evidence["clean_since"]), "ja")
        expected = [
            "掲載なし",
            f"{since} 以降、連続 2 回の照会で掲載なし。",
            "リストは ",  # re-evaluates on (a date)
            "再評価の時点でも掲載なし。 依頼から ",
        ]
    for words in expected:
        assert words in text
    listed = next(i for i in items if "event-checked" in i.classes)
    assert "127.0.0.2" in listed.text and TXT in listed.text
    assert "TXT の理由" in listed.text and "回答" in listed.text


def test_the_dates_follow_the_sites_time_zone(
    client, manager, barracuda_on_dns, barracuda_zone, it_staff, tokyo
):
    case = barracuda_story(barracuda_on_dns, barracuda_zone, it_staff)
    client.force_login(manager)
    watching = next(
        i for i in timeline(client, case, "en") if "event-watching" in i.classes
    )
    reevaluate = datetime.fromisoformat(
        written(case, "watching").evidence["reevaluate_at"]
    )
    with translation.override("en"):
        day = formats.date_format(timezone.localdate(reevaluate), "DATE_FORMAT")
    assert f"The list re-evaluates on {day}; blcheck checks again then." in (
        watching.text
    )


def _old_row(case, kind, detail, **evidence):
    """An event as blcheck wrote it before it kept the data beside its words."""
    return CaseEvent.objects.create(
        case=case, kind=kind, at=timezone.now(), detail=detail, evidence=evidence
    )


def test_rows_written_before_the_data_was_kept_still_read(client, manager, case):
    old_request = [
        {"field": "requested_at", "label": "依頼日時", "value": "2026-11-02 19:00"},
        {"field": "method", "label": "方法", "value": "Web フォーム"},
        {"field": "reference", "label": "受付番号", "value": BBR},
    ]
    _old_row(case, "requested", BBR, request=old_request)
    _old_row(case, "checked", "掲載なし", verdict="not_listed", query_name="q.test")
    _old_row(case, "verified", "2026-11-03 14:00 JST 以降、連続 2 回の照会で掲載なし。")
    _old_row(case, "watching", "リストは 2026-12-03 に再評価します。")
    _old_row(
        case,
        "closed",
        "再評価の時点でも掲載なし。 依頼から 19.5 時間後に解除されました。",
    )
    _old_row(case, "overdue", "リストの解除期間を過ぎても掲載されています。")
    _old_row(case, "note", "電話しました")  # a person's words stay theirs
    client.force_login(manager)
    items = timeline(client, case, "en")
    text = " ".join(item.text for item in items)
    with translation.override("en"):
        december = formats.date_format(datetime(2026, 12, 3), "DATE_FORMAT")
    for words in [
        ": Web form, " + BBR,
        ": Not listed",
        "Not listed in 2 consecutive lookups since 2026-11-03 14:00 JST.",
        f"The list re-evaluates on {december}; blcheck checks again then.",
        "Still clean at the re-evaluation. Removed 19.5 hours after the request.",
        "Still listed after the list's removal window.",
        "電話しました",
    ]:
        assert words in text
    assert [i for i in items if JAPANESE.search(i.text)] == [items[-1]]
    requests = parse(
        client.get(reverse("cases:case-detail", args=[case.pk])).content
    ).find("ol", class_="case-requests")
    assert "Method Web form" in requests.text and "Requested at 2026" in requests.text


@pytest.fixture
def case(barracuda, it_staff):
    return open_case(barracuda, it_staff)
