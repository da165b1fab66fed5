"""The history pages: who may read them, and the lookup history's filters,
messages and query cost. (Their pages: test_keyset_paging.py; their CSV:
test_history_csv.py.)"""

from datetime import date

import pytest
from django.urls import reverse

from blcheck.monitoring.models import Lookup, Target
from blcheck.reports.filters import LookupFilter
from blcheck.reports.selectors import history as selectors
from tests.factories import BlocklistFactory, LookupFactory, TargetFactory
from tests.support.history import (
    ago,
    bulk_lookups,
    jst,
    lookup_queries,
    page_rows,
)
from tests.support.html import parse

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tokyo")]

LOOKUPS = reverse("reports:history-lookups")
LOOKUPS_CSV = reverse("reports:history-lookups-csv")
EPISODES = reverse("reports:history-episodes")
EPISODES_CSV = reverse("reports:history-episodes-csv")
ALL_URLS = (LOOKUPS, LOOKUPS_CSV, EPISODES, EPISODES_CSV)
PAGE_BUDGET = 8  # queries for a history page, whatever the table holds


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
    tabs = parse(reader.get(LOOKUPS).content).find("nav", class_="history-tabs")
    assert tabs.find("a", href=LOOKUPS).get("aria-current") == "page"
    assert tabs.find("a", href=EPISODES).get("aria-current") is None
    page = parse(reader.get(EPISODES).content)
    tabs = page.find("nav", class_="history-tabs")
    assert tabs.find("a", href=EPISODES).get("aria-current") == "page"
    assert page.find("h1").text == "Listing episodes"


def test_pages_say_how_long_lookups_are_kept(reader, settings):
    settings.LOOKUP_RETENTION_DAYS = 45
    text = "Lookups older than 45 days are pruned; listing episodes are kept forever."
    assert text in parse(reader.get(LOOKUPS).content).text
    assert text in parse(reader.get(EPISODES).content).text


# --- lookups: filters ---------------------------------------------------------


def test_default_search_covers_the_last_seven_days(reader):
    recent = LookupFactory(checked_at=ago(days=5))
    old = LookupFactory(checked_at=ago(days=8))
    rows = page_rows(reader.get(LOOKUPS))
    assert recent in rows
    assert old not in rows


def test_date_range_is_whole_days_in_the_time_zone(reader):
    inside = [jst(2025, 3, 2, 0, 0, 0), jst(2025, 3, 2, 23, 59, 59)]
    outside = [jst(2025, 3, 1, 23, 59, 59), jst(2025, 3, 3, 0, 0, 0)]
    made = {at: LookupFactory(checked_at=at) for at in inside + outside}
    response = reader.get(LOOKUPS, {"date_from": "2025-03-02", "date_to": "2025-03-02"})
    assert set(page_rows(response)) == {made[at] for at in inside}
    # 00:00 in Tokyo is 15:00 UTC the day before; shown in Tokyo time.
    assert "2025-03-02 00:00:00" in parse(response.content).find("tbody").text


def test_exact_address_finds_it_inside_a_range_target(reader):
    network = TargetFactory(value="203.0.113.0/28", kind=Target.Kind.RANGE)
    wanted = LookupFactory(run__target=network, subject="203.0.113.5")
    LookupFactory(run__target=network, subject="203.0.113.6")
    LookupFactory()  # another target
    assert page_rows(reader.get(LOOKUPS, {"target": "203.0.113.5"})) == [wanted]


def test_target_text_matches_a_range_value_or_a_label(reader):
    network = TargetFactory(value="203.0.113.0/28", kind=Target.Kind.RANGE)
    labelled = TargetFactory(label="Osaka outbound relay")
    in_range = LookupFactory(run__target=network, subject="203.0.113.1")
    on_relay = LookupFactory(run__target=labelled)
    LookupFactory()
    assert page_rows(reader.get(LOOKUPS, {"target": "203.0.113.0/28"})) == [in_range]
    assert page_rows(reader.get(LOOKUPS, {"target": "osaka"})) == [on_relay]


def test_an_address_nobody_watches_finds_nothing(reader):
    LookupFactory()
    response = reader.get(LOOKUPS, {"target": "192.0.2.200"})
    assert page_rows(response) == []
    assert "No lookup matches these filters." in parse(response.content).text


def test_list_filter_keeps_only_that_list(reader):
    spamcop, other = BlocklistFactory(zone="bl.spamcop.test"), BlocklistFactory()
    wanted = LookupFactory(blocklist=spamcop)
    LookupFactory(blocklist=other)
    assert page_rows(reader.get(LOOKUPS, {"blocklist": spamcop.pk})) == [wanted]


def test_verdict_and_error_filters_narrow_the_lookups(reader):
    listed = LookupFactory(verdict=Lookup.Verdict.LISTED)
    clean = LookupFactory(verdict=Lookup.Verdict.NOT_LISTED)
    timeout = LookupFactory(verdict=Lookup.Verdict.ERROR, error="timeout")
    servfail = LookupFactory(verdict=Lookup.Verdict.ERROR, error="servfail")
    assert page_rows(reader.get(LOOKUPS, {"verdict": "listed"})) == [listed]
    assert page_rows(reader.get(LOOKUPS, {"verdict": "not_listed"})) == [clean]
    assert set(page_rows(reader.get(LOOKUPS, {"verdict": "error"}))) == {
        timeout,
        servfail,
    }
    assert page_rows(reader.get(LOOKUPS, {"error": "servfail"})) == [servfail]


def test_verdict_filter_reads_the_partial_index_of_notable_lookups():
    for verdict in ("listed", "error"):
        filtered = LookupFilter(
            {"verdict": verdict}, queryset=selectors.lookup_history()
        )
        query = str(filtered.qs.query).replace('"', "")
        # Implies the index's predicate (verdict <> 'not_listed') literally.
        assert "NOT (monitoring_lookup.verdict = not_listed)" in query


def test_error_is_never_shown_as_not_listed(reader):
    LookupFactory(verdict=Lookup.Verdict.ERROR, error="timeout", rcode="")
    page = parse(reader.get(LOOKUPS).content)
    assert page.find("span", class_="badge-error").text == "⚠ Error"
    assert "No answer in time" in page.find("tbody").text
    assert not page.find_all(class_="badge-not_listed")


def test_listed_lookup_shows_codes_reason_and_a_link_to_its_target(reader):
    lookup = LookupFactory(
        verdict=Lookup.Verdict.LISTED,
        codes=["127.0.0.2"],
        reason="Listed, see https://example.test/lookup",
        resolver="10.0.0.53",
        elapsed_ms=12.34,
    )
    row = parse(reader.get(LOOKUPS).content).find("tbody").find("tr")
    row.find("a", href=reverse("reports:target-detail", args=[lookup.target_id]))
    row.find("span", class_="badge-listed")
    for text in ("127.0.0.2", "https://example.test/lookup", "10.0.0.53", "12.3"):
        assert text in row.text


# --- lookups: invalid input ---------------------------------------------------


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
def test_invalid_dates_give_a_message_and_no_query(
    reader, params, message, django_assert_max_num_queries
):
    LookupFactory()
    with django_assert_max_num_queries(PAGE_BUDGET) as captured:
        response = reader.get(LOOKUPS, params)
    assert response.status_code == 200
    assert message in parse(response.content).find("form", role="search").text
    assert response.context["page"] is None
    assert lookup_queries(captured) == []


@pytest.mark.parametrize("url", [LOOKUPS, EPISODES])
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_to": "9999-12-31"}, "To"),
        ({"date_from": "0001-01-01"}, "From"),
        ({"date_from": "2025-01-01", "date_to": "9999-12-31"}, "To"),
        ({"date_to": "0001-01-02"}, None),  # its default start would be year 0
    ],
)
def test_days_beyond_what_time_zones_and_the_database_hold_are_refused(
    reader, url, params, field
):
    LookupFactory()
    response = reader.get(url, params)
    assert response.status_code == 200
    form = parse(response.content).find("form", role="search").text
    if field:
        assert f"{field}: give a day from 0001-01-02 to 9999-12-30." in form
        assert response.context["page"] is None
    else:
        assert response.context["date_from"] == date(1, 1, 2)


@pytest.mark.parametrize("url", [LOOKUPS, EPISODES])
def test_a_search_longer_than_any_target_is_refused_not_a_500(reader, url):
    """SQLite refuses a LIKE pattern over 50,000 bytes: this was a 500."""
    response = reader.get(url, {"target": "x" * 60_000})
    assert response.status_code == 200
    form = parse(response.content).find("form", role="search").text
    assert "at most 253 characters" in form


def test_export_with_a_bad_date_sends_back_to_the_page(reader):
    response = reader.get(LOOKUPS_CSV, {"date_from": "nonsense"})
    assert response.status_code == 302
    assert response["Location"] == f"{LOOKUPS}?date_from=nonsense"


# --- lookups: query budget ----------------------------------------------------


def test_lookup_page_queries_do_not_grow_with_rows(
    reader, django_assert_max_num_queries, django_assert_num_queries
):
    lists = [BlocklistFactory() for _ in range(3)]
    params = {"target": "198.51.100.250", "blocklist": lists[0].pk}
    target = TargetFactory(value="198.51.100.250")
    for blocklist in lists:
        bulk_lookups(2, at=lambda i: ago(minutes=i), blocklist=blocklist)
    with django_assert_max_num_queries(PAGE_BUDGET) as few:
        assert reader.get(LOOKUPS).status_code == 200
    with django_assert_max_num_queries(PAGE_BUDGET) as few_filtered:
        assert reader.get(LOOKUPS, params).status_code == 200
    for blocklist in lists:
        bulk_lookups(30, at=lambda i: ago(minutes=i), blocklist=blocklist)
    bulk_lookups(30, at=lambda i: ago(minutes=i), target=target)
    with django_assert_num_queries(len(few)):
        assert reader.get(LOOKUPS).status_code == 200
    with django_assert_num_queries(len(few_filtered)):
        assert reader.get(LOOKUPS, params).status_code == 200
