"""History pages: lookups and listing episodes, their filters, pages and CSV."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models.signals import post_init
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from blcheck.monitoring.models import CheckRun, ListingChange, Lookup, Target
from blcheck.reports import export
from blcheck.reports.selectors import history as selectors
from tests.factories import (
    BlocklistFactory,
    DelistingCaseFactory,
    ListingChangeFactory,
    ListingFactory,
    LookupFactory,
    TargetFactory,
)

pytestmark = pytest.mark.django_db

LOOKUPS = reverse("reports:history-lookups")
LOOKUPS_CSV = reverse("reports:history-lookups-csv")
EPISODES = reverse("reports:history-episodes")
EPISODES_CSV = reverse("reports:history-episodes-csv")
ALL_URLS = (LOOKUPS, LOOKUPS_CSV, EPISODES, EPISODES_CSV)
CLEARED = ListingChange.Kind.CLEARED


@pytest.fixture(autouse=True)
def _tokyo(settings):
    settings.TIME_ZONE = "Asia/Tokyo"


@pytest.fixture
def reader(client, manager):
    client.force_login(manager)
    return client


def jst(*args):
    return datetime(*args, tzinfo=timezone.get_current_timezone())


def _ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


def _bulk_lookups(count, *, at, target=None, blocklist=None, **fields):
    """count lookups of one address, a run each; at(i) gives each one's time."""
    target = target or TargetFactory()
    runs = CheckRun.objects.bulk_create(
        CheckRun(target=target, trigger=CheckRun.Trigger.SCHEDULE) for _ in range(count)
    )
    blocklist = blocklist or BlocklistFactory()
    return Lookup.objects.bulk_create(
        Lookup(
            run=runs[i],
            target=target,
            blocklist=blocklist,
            subject=target.value,
            query_name="x",
            verdict=Lookup.Verdict.NOT_LISTED,
            checked_at=at(i),
            **fields,
        )
        for i in range(count)
    )


def _rows(response):
    return list(response.context["page"].rows)


def _csv(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


# --- access ------------------------------------------------------------------


@pytest.mark.parametrize("url", ALL_URLS)
def test_manager_can_read_and_export_the_history(reader, url):
    assert reader.get(url).status_code == 200


@pytest.mark.parametrize("url", ALL_URLS)
def test_it_staff_can_read_and_export_the_history(client, it_staff, url):
    client.force_login(it_staff)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", ALL_URLS)
def test_outsider_may_not_read_the_history(client, outsider, url):
    client.force_login(outsider)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", ALL_URLS)
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_history_pages_link_to_each_other_and_mark_the_current_one(reader):
    page = reader.get(LOOKUPS).content.decode()
    assert f'<a href="{LOOKUPS}" aria-current="page">' in page
    assert f'<a href="{EPISODES}">' in page
    page = reader.get(EPISODES).content.decode()
    assert f'<a href="{EPISODES}" aria-current="page">' in page
    assert "<h1>Listing episodes</h1>" in page


def test_pages_say_how_long_lookups_are_kept(reader, settings):
    settings.LOOKUP_RETENTION_DAYS = 45
    text = "Lookups older than 45 days are pruned; listing episodes are kept forever."
    assert text in reader.get(LOOKUPS).content.decode()
    assert text in reader.get(EPISODES).content.decode()


# --- lookups: filters ---------------------------------------------------------


def test_default_search_covers_the_last_seven_days(reader):
    recent = LookupFactory(checked_at=_ago(days=5))
    old = LookupFactory(checked_at=_ago(days=8))
    rows = _rows(reader.get(LOOKUPS))
    assert recent in rows
    assert old not in rows


def test_date_range_is_whole_days_in_the_time_zone(reader):
    inside = [jst(2025, 3, 2, 0, 0, 0), jst(2025, 3, 2, 23, 59, 59)]
    outside = [jst(2025, 3, 1, 23, 59, 59), jst(2025, 3, 3, 0, 0, 0)]
    made = {at: LookupFactory(checked_at=at) for at in inside + outside}
    response = reader.get(LOOKUPS, {"date_from": "2025-03-02", "date_to": "2025-03-02"})
    assert set(_rows(response)) == {made[at] for at in inside}
    # 00:00 in Tokyo is 15:00 UTC the day before; shown in Tokyo time.
    assert "2025-03-02 00:00:00" in response.content.decode()


def test_exact_address_finds_it_inside_a_range_target(reader):
    network = TargetFactory(value="203.0.113.0/28", kind=Target.Kind.RANGE)
    wanted = LookupFactory(run__target=network, subject="203.0.113.5")
    LookupFactory(run__target=network, subject="203.0.113.6")
    LookupFactory()  # another target
    assert _rows(reader.get(LOOKUPS, {"target": "203.0.113.5"})) == [wanted]


def test_target_text_matches_a_range_value_or_a_label(reader):
    network = TargetFactory(value="203.0.113.0/28", kind=Target.Kind.RANGE)
    labelled = TargetFactory(label="Osaka outbound relay")
    in_range = LookupFactory(run__target=network, subject="203.0.113.1")
    on_relay = LookupFactory(run__target=labelled)
    LookupFactory()
    assert _rows(reader.get(LOOKUPS, {"target": "203.0.113.0/28"})) == [in_range]
    assert _rows(reader.get(LOOKUPS, {"target": "osaka"})) == [on_relay]


def test_an_address_nobody_watches_finds_nothing(reader):
    LookupFactory()
    response = reader.get(LOOKUPS, {"target": "192.0.2.200"})
    assert _rows(response) == []
    assert "No lookup matches these filters." in response.content.decode()


def test_list_filter_keeps_only_that_list(reader):
    spamcop, other = BlocklistFactory(zone="bl.spamcop.test"), BlocklistFactory()
    wanted = LookupFactory(blocklist=spamcop)
    LookupFactory(blocklist=other)
    assert _rows(reader.get(LOOKUPS, {"blocklist": spamcop.pk})) == [wanted]


def test_verdict_and_error_filters_narrow_the_lookups(reader):
    listed = LookupFactory(verdict=Lookup.Verdict.LISTED)
    clean = LookupFactory(verdict=Lookup.Verdict.NOT_LISTED)
    timeout = LookupFactory(verdict=Lookup.Verdict.ERROR, error="timeout")
    servfail = LookupFactory(verdict=Lookup.Verdict.ERROR, error="servfail")
    assert _rows(reader.get(LOOKUPS, {"verdict": "listed"})) == [listed]
    assert _rows(reader.get(LOOKUPS, {"verdict": "not_listed"})) == [clean]
    assert set(_rows(reader.get(LOOKUPS, {"verdict": "error"}))) == {
        timeout,
        servfail,
    }
    assert _rows(reader.get(LOOKUPS, {"error": "servfail"})) == [servfail]


def test_verdict_filter_reads_the_partial_index_of_notable_lookups():
    from blcheck.reports.filters import LookupFilter

    for verdict in ("listed", "error"):
        filtered = LookupFilter(
            {"verdict": verdict}, queryset=selectors.lookup_history()
        )
        query = str(filtered.qs.query).replace('"', "")
        # Implies the index's predicate (verdict <> 'not_listed') literally.
        assert "NOT (monitoring_lookup.verdict = not_listed)" in query


def test_error_is_never_shown_as_not_listed(reader):
    LookupFactory(verdict=Lookup.Verdict.ERROR, error="timeout", rcode="")
    page = reader.get(LOOKUPS).content.decode()
    assert 'class="badge badge-error"' in page
    assert "Error</span>" in page
    assert "No answer in time" in page
    assert "badge-not_listed" not in page


def test_listed_lookup_shows_codes_reason_and_a_link_to_its_target(reader):
    lookup = LookupFactory(
        verdict=Lookup.Verdict.LISTED,
        codes=["127.0.0.2"],
        reason="Listed, see https://example.test/lookup",
        resolver="10.0.0.53",
        elapsed_ms=12.34,
    )
    page = reader.get(LOOKUPS).content.decode()
    assert reverse("monitoring:target-detail", args=[lookup.target_id]) in page
    assert 'class="badge badge-listed"' in page
    for text in ("127.0.0.2", "https://example.test/lookup", "10.0.0.53", "12.3"):
        assert text in page


# --- lookups: invalid input ---------------------------------------------------


def _lookup_queries(captured):
    return [q for q in captured.captured_queries if "monitoring_lookup" in q["sql"]]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "2025-13-40"}, "Enter a valid date."),
        (
            {"date_from": "2025-03-05", "date_to": "2025-03-01"},
            "The end date is before the start date.",
        ),
        (
            {"date_from": "2023-01-01", "date_to": "2025-01-01"},
            "Choose at most 400 days here; the CSV export has no limit.",
        ),
    ],
)
def test_invalid_dates_give_a_message_and_no_query(reader, params, message):
    LookupFactory()
    with CaptureQueriesContext(connection) as captured:
        response = reader.get(LOOKUPS, params)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["page"] is None
    assert _lookup_queries(captured) == []


def test_a_span_too_long_for_the_page_still_exports(reader):
    lookup = LookupFactory(checked_at=jst(2024, 6, 1, 12))
    params = {"date_from": "2023-01-01", "date_to": "2025-01-01"}
    assert reader.get(LOOKUPS, params).context["can_export"]
    response = reader.get(LOOKUPS_CSV, params)
    assert [row[1] for row in _csv(response)[1:]] == [lookup.subject]


def test_export_with_a_bad_date_sends_back_to_the_page(reader):
    response = reader.get(LOOKUPS_CSV, {"date_from": "nonsense"})
    assert response.status_code == 302
    assert response["Location"] == f"{LOOKUPS}?date_from=nonsense"


# --- lookups: keyset pages ----------------------------------------------------


def _walk(reader, url, params):
    seen, pages, before = [], 0, None
    while True:
        query = dict(params, **({"before": before} if before else {}))
        page = reader.get(url, query).context["page"]
        seen += [row.pk for row in page.rows]
        pages += 1
        before = page.older
        if before is None:
            return seen, pages


def test_keyset_pages_neither_overlap_nor_skip(reader):
    start = jst(2025, 3, 2, 9)
    # Forty distinct times, three lookups each: ties are broken by id.
    made = _bulk_lookups(120, at=lambda i: start + timedelta(minutes=i // 3))
    dates = {"date_from": "2025-03-02", "date_to": "2025-03-02"}
    seen, pages = _walk(reader, LOOKUPS, dates)
    expected = sorted(made, key=lambda row: (row.checked_at, row.pk), reverse=True)
    assert seen == [row.pk for row in expected]
    assert pages == 3


def test_pages_offer_older_and_newest_links(reader):
    _bulk_lookups(60, at=lambda i: _ago(minutes=i))
    first = reader.get(LOOKUPS)
    older = first.context["page"].older
    html = first.content.decode()
    assert f"before={older}" in html and "Older" in html and "Newest" not in html
    second = reader.get(LOOKUPS, {"before": older}).content.decode()
    assert "Newest" in second and "Older" not in second
    assert "Showing 10 lookups" in second


def test_a_broken_page_marker_shows_the_newest_page(reader):
    lookup = LookupFactory()
    assert _rows(reader.get(LOOKUPS, {"before": "yesterday_x"})) == [lookup]


def test_cursor_round_trips_to_the_microsecond():
    at = datetime(2025, 3, 2, 1, 2, 3, 456789, tzinfo=UTC)
    assert selectors.cursor_decode(selectors.cursor_encode(at, 42)) == (at, 42)


# --- lookups: CSV -------------------------------------------------------------


def test_lookup_csv_holds_exactly_the_filtered_rows_with_the_header(reader):
    listed_list = BlocklistFactory(zone="b.barracuda.test")
    wanted = LookupFactory(
        blocklist=listed_list,
        verdict=Lookup.Verdict.LISTED,
        codes=["127.0.0.2", "127.0.0.4"],
        reason="Listed by Barracuda",
        rcode="NOERROR",
        ttl=300,
        resolver="10.0.0.53",
        elapsed_ms=8.5,
        checked_at=jst(2025, 3, 2, 9, 30),
    )
    LookupFactory(blocklist=listed_list, checked_at=jst(2025, 3, 2, 10))  # clean
    LookupFactory(verdict="listed", checked_at=jst(2025, 3, 4, 9))  # later
    response = reader.get(
        LOOKUPS_CSV,
        {"date_from": "2025-03-01", "date_to": "2025-03-02", "verdict": "listed"},
    )
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="blcheck-lookups-2025-03-01-2025-03-02.csv"'
    )
    header, *rows = _csv(response)
    assert header == list(selectors.LOOKUP_COLUMNS)
    assert rows == [
        [
            "2025-03-02T09:30:00+09:00",
            wanted.subject,
            wanted.target.value,
            "b.barracuda.test",
            "listed",
            "127.0.0.2 127.0.0.4",
            "Listed by Barracuda",
            "",
            "NOERROR",
            "300",
            "10.0.0.53",
            "8.5",
        ]
    ]


def test_csv_starts_with_a_utf8_bom(reader):
    body = b"".join(reader.get(LOOKUPS_CSV).streaming_content)
    assert body.startswith(b"\xef\xbb\xbfchecked_at,subject,")


@pytest.mark.parametrize("reason", ["=HYPERLINK(1)", "+1", "-2+3", "@SUM(A1)"])
def test_csv_neutralises_formulas_from_txt_records(reader, reason):
    LookupFactory(verdict="listed", reason=reason)
    (row,) = _csv(reader.get(LOOKUPS_CSV))[1:]
    assert row[6] == "'" + reason


def test_csv_streams_rows_as_it_reads_them(reader, monkeypatch):
    _bulk_lookups(30, at=lambda i: _ago(minutes=i))
    pulled = []
    real = selectors.lookup_export_rows

    def counting(queryset):
        for row in real(queryset):
            pulled.append(row)
            yield row

    monkeypatch.setattr(selectors, "lookup_export_rows", counting)
    monkeypatch.setattr(export, "LINES_PER_WRITE", 4)
    response = reader.get(LOOKUPS_CSV)
    assert isinstance(response, StreamingHttpResponse)
    stream = iter(response.streaming_content)
    with CaptureQueriesContext(connection) as captured:
        next(stream)  # the header goes out before the query runs
    assert (pulled, _lookup_queries(captured)) == ([], [])
    assert next(stream).count(b"\r\n") == 4
    assert len(pulled) == 4  # four rows read, four lines out: nothing held back
    rest = b"".join(stream)
    assert rest.count(b"\r\n") == 26 and len(pulled) == 30


def test_csv_export_reads_tuples_in_one_query_without_model_instances(reader):
    _bulk_lookups(30, at=lambda i: _ago(minutes=i))
    built = []

    def count(sender, **kwargs):
        built.append(sender)

    post_init.connect(count, sender=Lookup)
    try:
        response = reader.get(LOOKUPS_CSV)
        with CaptureQueriesContext(connection) as captured:
            body = b"".join(response.streaming_content)
    finally:
        post_init.disconnect(count, sender=Lookup)
    assert body.count(b"\r\n") == 31
    assert built == []
    assert len(_lookup_queries(captured)) == 1


# --- lookups: query budget ----------------------------------------------------


def _queries(reader, url, params=None):
    with CaptureQueriesContext(connection) as captured:
        assert reader.get(url, params or {}).status_code == 200
    return len(captured)


def test_lookup_page_queries_do_not_grow_with_rows(
    reader, django_assert_max_num_queries
):
    lists = [BlocklistFactory() for _ in range(3)]
    params = {"target": "198.51.100.250", "blocklist": lists[0].pk}
    target = TargetFactory(value="198.51.100.250")
    for blocklist in lists:
        _bulk_lookups(2, at=lambda i: _ago(minutes=i), blocklist=blocklist)
    few = _queries(reader, LOOKUPS)
    few_filtered = _queries(reader, LOOKUPS, params)
    for blocklist in lists:
        _bulk_lookups(30, at=lambda i: _ago(minutes=i), blocklist=blocklist)
    _bulk_lookups(30, at=lambda i: _ago(minutes=i), target=target)
    assert _queries(reader, LOOKUPS) == few
    assert _queries(reader, LOOKUPS, params) == few_filtered
    with django_assert_max_num_queries(8):
        reader.get(LOOKUPS, params)


# --- episodes -----------------------------------------------------------------


def _episode(listing=None, *, at, cleared=None, **kwargs):
    listing = listing or ListingFactory(**kwargs)
    start = ListingChangeFactory(listing=listing, at=at)
    if cleared:
        ListingChangeFactory(listing=listing, kind=CLEARED, at=cleared)
    return start


def test_episode_pairs_listed_with_the_first_clear_after_it(reader):
    listing, now = ListingFactory(), timezone.now()
    ends = [now - timedelta(days=8), now - timedelta(days=2)]
    first = _episode(listing, at=now - timedelta(days=9), cleared=ends[0])
    second = _episode(listing, at=now - timedelta(days=3), cleared=ends[1])
    rows = _rows(reader.get(EPISODES))
    assert rows == [second, first]
    assert [row.cleared_at for row in rows] == [ends[1], ends[0]]
    assert rows[1].duration == timedelta(days=1)


def test_listed_twice_is_two_episodes_and_the_open_one_is_still_listed(reader):
    listing = ListingFactory()
    _episode(listing, at=_ago(days=5), cleared=_ago(days=4))
    _episode(listing, at=_ago(days=1))
    response = reader.get(EPISODES)
    newest, older = _rows(response)
    assert newest.cleared_at is None and older.cleared_at is not None
    page = response.content.decode()
    assert page.count("Still listed</span>") == 1
    assert "1 d 0 h so far" in page


def test_episode_dates_find_those_overlapping_the_range(reader):
    before = _episode(at=jst(2025, 2, 1), cleared=jst(2025, 2, 10))
    across = _episode(at=jst(2025, 2, 20), cleared=jst(2025, 3, 2, 12))
    inside = _episode(at=jst(2025, 3, 5), cleared=jst(2025, 3, 6))
    open_since = _episode(at=jst(2025, 1, 1))
    _episode(at=jst(2025, 4, 1))  # after
    response = reader.get(
        EPISODES, {"date_from": "2025-03-01", "date_to": "2025-03-31"}
    )
    assert _rows(response) == [inside, across, open_since]
    assert before not in _rows(response)


def test_episode_state_target_and_list_filters(reader):
    spamcop = BlocklistFactory(zone="bl.spamcop.test")
    network = TargetFactory(value="203.0.113.0/28", kind=Target.Kind.RANGE)
    cleared = _episode(at=_ago(days=3), cleared=_ago(days=2), blocklist=spamcop)
    listed = _episode(at=_ago(days=1), target=network, subject="203.0.113.9")
    assert _rows(reader.get(EPISODES, {"state": "cleared"})) == [cleared]
    assert _rows(reader.get(EPISODES, {"state": "listed"})) == [listed]
    assert _rows(reader.get(EPISODES, {"blocklist": spamcop.pk})) == [cleared]
    assert _rows(reader.get(EPISODES, {"target": "203.0.113.9"})) == [listed]
    assert _rows(reader.get(EPISODES, {"target": "203.0.113.8"})) == []


def test_episode_links_to_its_case(reader):
    episode = _episode(at=_ago(days=1))
    case = DelistingCaseFactory(
        target=episode.listing.target,
        blocklist=episode.listing.blocklist,
        episode=episode,
    )
    page = reader.get(EPISODES).content.decode()
    assert reverse("cases:case-detail", args=[case.pk]) in page
    assert f"Case #{case.pk}" in page


def test_no_episode_gives_the_empty_state(reader):
    page = reader.get(EPISODES).content.decode()
    assert "No listing episode matches these filters." in page


def test_episode_pages_walk_without_overlap(reader):
    listing = ListingFactory()
    made = [
        ListingChangeFactory(listing=listing, at=jst(2025, 3, 2) + timedelta(hours=i))
        for i in range(60)
    ]
    dates = {"date_from": "2025-03-01", "date_to": "2025-03-31"}
    seen, pages = _walk(reader, EPISODES, dates)
    assert seen == [change.pk for change in reversed(made)]
    assert pages == 2


def test_episode_csv_holds_the_filtered_episodes(reader):
    blocklist = BlocklistFactory(zone="b.barracuda.test")
    episode = _episode(
        at=jst(2025, 3, 2, 9), cleared=jst(2025, 3, 3, 10), blocklist=blocklist
    )
    _episode(at=jst(2025, 3, 2, 9))  # still listed: filtered out
    case = DelistingCaseFactory(
        target=episode.listing.target, blocklist=blocklist, episode=episode
    )
    response = reader.get(
        EPISODES_CSV,
        {"date_from": "2025-03-01", "date_to": "2025-03-31", "state": "cleared"},
    )
    assert isinstance(response, StreamingHttpResponse)
    assert (
        "blcheck-episodes-2025-03-01-2025-03-31.csv"
        in (response["Content-Disposition"])
    )
    header, *rows = _csv(response)
    assert header == list(selectors.EPISODE_COLUMNS)
    assert rows == [
        [
            "2025-03-02T09:00:00+09:00",
            "2025-03-03T10:00:00+09:00",
            episode.listing.subject,
            episode.listing.target.value,
            "b.barracuda.test",
            str(25 * 3600),
            "127.0.0.2",
            "",
            str(case.pk),
        ]
    ]


def test_episode_page_queries_do_not_grow_with_rows(
    reader, django_assert_max_num_queries
):
    def episodes(count):
        for i in range(count):
            episode = _episode(at=_ago(days=2, minutes=i), cleared=_ago(days=1))
            DelistingCaseFactory(
                target=episode.listing.target,
                blocklist=episode.listing.blocklist,
                episode=episode,
            )

    episodes(2)
    params = {"state": "cleared", "target": "198.51.100"}
    few = (_queries(reader, EPISODES), _queries(reader, EPISODES, params))
    episodes(28)
    assert (_queries(reader, EPISODES), _queries(reader, EPISODES, params)) == few
    assert len(_rows(reader.get(EPISODES))) == 30
    with django_assert_max_num_queries(8):
        reader.get(EPISODES, params)


def test_a_whole_episode_page_is_one_query():
    for i in range(5):
        _episode(at=_ago(days=2, minutes=i), cleared=_ago(days=1))
    with CaptureQueriesContext(connection) as captured:
        page = selectors.history_page(selectors.episode_history(), time_field="at")
        shown = [
            (e.listing.target.value, e.blocklist.zone, e.cleared_at, e.duration)
            for e in page.rows
        ]
    assert len(shown) == 5
    assert len(captured) == 1
