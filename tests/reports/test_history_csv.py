"""The history's CSV exports (history/lookups.csv, history/episodes.csv): the
filtered rows, the file format of blcheck/core/export.py, and streaming."""

import csv
import io

import pytest
from django.db.models.signals import post_init
from django.http import StreamingHttpResponse
from django.urls import reverse

from blcheck.core import export
from blcheck.monitoring.models import Lookup
from blcheck.reports.selectors import history as selectors
from tests.factories import BlocklistFactory, DelistingCaseFactory, LookupFactory
from tests.support.history import ago, bulk_lookups, episode, jst, lookup_queries

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tokyo")]

LOOKUPS = reverse("reports:history-lookups")
LOOKUPS_CSV = reverse("reports:history-lookups-csv")
EPISODES_CSV = reverse("reports:history-episodes-csv")


def rows_of(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


# --- lookups -------------------------------------------------------------------


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
    header, *rows = rows_of(response)
    assert header == list(selectors.LOOKUP_COLUMNS)
    assert header[7:9] == ["error", "health"]
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
            "",
            "NOERROR",
            "300",
            "10.0.0.53",
            "8.5",
        ]
    ]


def test_a_span_too_long_for_the_page_still_exports(reader):
    lookup = LookupFactory(checked_at=jst(2024, 6, 1, 12))
    params = {"date_from": "2023-01-01", "date_to": "2025-01-01"}
    assert reader.get(LOOKUPS, params).context["can_export"]
    response = reader.get(LOOKUPS_CSV, params)
    assert [row[1] for row in rows_of(response)[1:]] == [lookup.subject]


@pytest.mark.parametrize(
    ("url", "page"),
    [(LOOKUPS_CSV, LOOKUPS), (EPISODES_CSV, reverse("reports:history-episodes"))],
)
@pytest.mark.parametrize("params", ["date_from=0001-01-01", "date_to=9999-12-31"])
def test_an_export_of_days_out_of_range_is_refused_before_it_streams(
    reader, url, page, params
):
    LookupFactory()
    episode(at=ago(days=1))
    response = reader.get(f"{url}?{params}")
    assert response.status_code == 302  # not a download cut short
    assert response["Location"] == f"{page}?{params}"


def test_csv_starts_with_a_utf8_bom(reader):
    body = b"".join(reader.get(LOOKUPS_CSV).streaming_content)
    assert body.startswith(b"\xef\xbb\xbfchecked_at,subject,")


@pytest.mark.parametrize("reason", ["=HYPERLINK(1)", "+1", "-2+3", "@SUM(A1)"])
def test_csv_neutralises_formulas_from_txt_records(reader, reason):
    LookupFactory(verdict="listed", reason=reason)
    (row,) = rows_of(reader.get(LOOKUPS_CSV))[1:]
    assert row[6] == "'" + reason


def test_csv_streams_rows_as_it_reads_them(
    reader, monkeypatch, django_assert_num_queries
):
    bulk_lookups(30, at=lambda i: ago(minutes=i))
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
    with django_assert_num_queries(0):
        next(stream)  # the header goes out before the query runs
    assert pulled == []
    assert next(stream).count(b"\r\n") == 4
    assert len(pulled) == 4  # four rows read, four lines out: nothing held back
    rest = b"".join(stream)
    assert rest.count(b"\r\n") == 26 and len(pulled) == 30


def test_csv_export_reads_tuples_in_one_query_without_model_instances(
    reader, django_assert_num_queries
):
    bulk_lookups(30, at=lambda i: ago(minutes=i))
    built = []

    def count(sender, **kwargs):
        built.append(sender)

    post_init.connect(count, sender=Lookup)
    try:
        response = reader.get(LOOKUPS_CSV)
        with django_assert_num_queries(1) as captured:
            body = b"".join(response.streaming_content)
    finally:
        post_init.disconnect(count, sender=Lookup)
    assert body.count(b"\r\n") == 31
    assert built == []
    assert len(lookup_queries(captured)) == 1


# --- episodes ------------------------------------------------------------------


def test_episode_csv_holds_the_filtered_episodes(reader):
    blocklist = BlocklistFactory(zone="b.barracuda.test")
    started = episode(
        at=jst(2025, 3, 2, 9), cleared=jst(2025, 3, 3, 10), blocklist=blocklist
    )
    episode(at=jst(2025, 3, 2, 9))  # still listed: filtered out
    case = DelistingCaseFactory(
        target=started.listing.target, blocklist=blocklist, episode=started
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
    header, *rows = rows_of(response)
    assert header == list(selectors.EPISODE_COLUMNS)
    assert rows == [
        [
            "2025-03-02T09:00:00+09:00",
            "2025-03-03T10:00:00+09:00",
            started.listing.subject,
            started.listing.target.value,
            "b.barracuda.test",
            str(25 * 3600),
            "127.0.0.2",
            "",
            str(case.pk),
        ]
    ]


def test_lookup_csv_says_why_an_unhealthy_list_was_not_asked(reader):
    LookupFactory(
        verdict=Lookup.Verdict.ERROR,
        error=Lookup.Error.LIST_UNHEALTHY,
        health="refused",
        checked_at=jst(2025, 3, 2, 9, 30),
    )
    response = reader.get(
        LOOKUPS_CSV, {"date_from": "2025-03-01", "date_to": "2025-03-02"}
    )
    header, row = rows_of(response)
    assert row[header.index("error")] == "list_unhealthy"
    assert row[header.index("health")] == "refused"
