"""The target page: verdict per list, episode timeline, lookup evidence, cases."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from blcheck.cases.models import DelistingCase
from blcheck.monitoring import selectors
from blcheck.monitoring.models import Blocklist, ListingChange, Lookup, Target
from blcheck.monitoring.selectors import TargetPageOptions
from blcheck.monitoring.timeline import (
    CHART_LEFT,
    CHART_WIDTH,
    Episode,
    timeline_layout,
    timeline_start,
)
from tests.factories import (
    BlocklistFactory,
    CheckRunFactory,
    DelistingCaseFactory,
    ListingChangeFactory,
    ListingFactory,
    LookupFactory,
    TargetFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CLEARED = ListingChange.Kind.CLEARED


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def lists(db):
    """Four IPv4 lists; the catalog's lists are switched off."""
    Blocklist.objects.update(is_enabled=False)
    return [
        BlocklistFactory(zone=f"{name.lower()}.dnsbl.test", name=name)
        for name in ("Alpha", "Bravo", "Charlie", "Delta")
    ]


@pytest.fixture
def target(db):
    return TargetFactory(value="192.0.2.66")


def page_of(client, user, target, **params):
    client.force_login(user)
    response = client.get(reverse("monitoring:target-detail", args=[target.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


def section(page, name):
    start = page.index(f'aria-labelledby="{name}"')
    return page[start : page.index("</section>", start)]


def row(html, text):
    """The table row holding `text`."""
    rows = [chunk for chunk in html.split("<tr")[1:] if text in chunk]
    assert len(rows) == 1, text
    return rows[0].split("</tr>")[0]


def episode(listing, listed_at, cleared_at=None):
    ListingChangeFactory(listing=listing, at=listed_at)
    if cleared_at is not None:
        ListingChangeFactory(listing=listing, kind=CLEARED, at=cleared_at)


# --- Verdict per list ----------------------------------------------------------


def test_each_list_tells_its_own_verdict(client, manager, lists, target):
    alpha, bravo, charlie, _delta = lists
    ListingFactory(
        target=target,
        blocklist=alpha,
        last_changed_at=NOW - timedelta(days=2),
        codes=["127.0.0.4"],
        reason="Listed for spam, see https://alpha.test/66",
    )
    ListingFactory(
        target=target,
        blocklist=bravo,
        is_listed=False,
        last_changed_at=NOW - timedelta(days=1),
        change_count=2,
    )
    ListingFactory(
        target=target, blocklist=charlie, is_listed=False, last_error="timeout"
    )
    states = section(page_of(client, manager, target), "verdicts")

    listed = row(states, "Alpha")
    assert 'verdict-listed"' in listed and "badge-listed" in listed
    assert "127.0.0.4" in listed and "https://alpha.test/66" in listed
    assert "listed since" in listed
    clean = row(states, "Bravo")
    assert "badge-not_listed" in clean and "since" in clean
    error = row(states, "Charlie")
    assert "badge-error" in error and "No answer in time" in error
    assert "last known: never listed" in error
    never = row(states, "Delta")
    assert "badge-unchecked" in never and "Never checked" in never
    assert "Listed now on 1 list." in states


def test_error_is_never_shown_as_not_listed(client, manager, lists, target):
    alpha, bravo, *_ = lists
    ListingFactory(
        target=target,
        blocklist=alpha,
        last_error="servfail",
        last_changed_at=NOW - timedelta(days=3),
    )
    ListingFactory(
        target=target,
        blocklist=bravo,
        is_listed=False,
        last_error="refused",
        change_count=2,
    )
    states = section(page_of(client, manager, target), "verdicts")
    for name, known in (("Alpha", "last known: listed since"), ("Bravo", "not listed")):
        state = row(states, name)
        assert "badge-error" in state and known in state
        assert "badge-not_listed" not in state and "badge-listed" not in state
    assert "(SERVFAIL)" in row(states, "Alpha")
    assert "2 lists could not answer" in states


def test_state_icons_are_hidden_from_screen_readers_but_text_is_not(
    client, manager, lists, target
):
    ListingFactory(target=target, blocklist=lists[0])
    listed = row(section(page_of(client, manager, target), "verdicts"), "Alpha")
    assert '<span aria-hidden="true">✕</span> Listed' in listed


def test_only_lists_fitting_the_target_are_shown(client, manager, lists):
    BlocklistFactory(
        zone="v6.dnsbl.test", name="Sixonly", has_ipv4=False, has_ipv6=True
    )
    BlocklistFactory(
        zone="dom.dnsbl.test", name="Domains", has_ipv4=False, has_domains=True
    )
    BlocklistFactory(zone="old.dnsbl.test", name="Retired", is_retired=True)
    domain = TargetFactory(value="mail.example.com", kind=Target.Kind.DOMAIN)
    address = TargetFactory(value="2001:db8::25")
    domain_states = section(page_of(client, manager, domain), "verdicts")
    address_states = section(page_of(client, manager, address), "verdicts")
    assert "Domains" in domain_states and "Alpha" not in domain_states
    assert "Sixonly" in address_states and "Alpha" not in address_states
    assert "Retired" not in domain_states + address_states


def test_range_counts_and_names_its_listed_addresses(client, manager, lists):
    target = TargetFactory(value="192.0.2.0/28", kind=Target.Kind.RANGE)
    for n in range(16):
        ListingFactory(
            target=target, blocklist=lists[0], subject=f"192.0.2.{n}", is_listed=n < 12
        )
    ListingFactory(
        target=target, blocklist=lists[1], subject="192.0.2.1", is_listed=False
    )
    states = section(page_of(client, manager, target), "verdicts")
    alpha = row(states, "Alpha")
    assert "12 of 16 addresses listed" in alpha
    assert alpha.count("<li>") == 11 and "and 2 more addresses" in alpha
    assert "<code>192.0.2.0</code>" in alpha and "<code>192.0.2.14</code>" not in alpha
    assert "1 address, none listed" in row(states, "Bravo")


def test_it_staff_can_open_a_case_from_a_listed_row(client, it_staff, lists, target):
    ListingFactory(target=target, blocklist=lists[0])
    alpha = row(section(page_of(client, it_staff, target), "verdicts"), "Alpha")
    assert "Open a delisting case" in alpha
    assert f'name="blocklist" value="{lists[0].pk}"' in alpha


def test_listed_row_links_its_active_case_instead(client, it_staff, lists, target):
    ListingFactory(target=target, blocklist=lists[0])
    DelistingCaseFactory(target=target, blocklist=lists[0], status="closed")
    case = DelistingCaseFactory(target=target, blocklist=lists[0], status="requested")
    alpha = row(section(page_of(client, it_staff, target), "verdicts"), "Alpha")
    assert "Open a delisting case" not in alpha
    assert reverse("cases:case-detail", args=[case.pk]) in alpha
    assert "Removal requested" in alpha


def test_manager_sees_no_case_or_check_buttons(client, manager, lists, target):
    ListingFactory(target=target, blocklist=lists[0])
    CheckRunFactory(target=target, status="finished")
    page = page_of(client, manager, target)
    assert "Open a delisting case" not in page and "Check now" not in page
    assert "/check/" not in page and reverse("cases:case-open") not in page


def test_outsider_is_refused(client, outsider, target):
    client.force_login(outsider)
    url = reverse("monitoring:target-detail", args=[target.pk])
    assert client.get(url).status_code == 403


def test_anonymous_is_sent_to_login(client, target):
    response = client.get(reverse("monitoring:target-detail", args=[target.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_title_is_the_target_value_only(client, manager, target):
    assert "<title>192.0.2.66 · blcheck</title>" in page_of(client, manager, target)


# --- Episodes: pairing, geometry, chart and table ------------------------------


def test_episodes_pair_each_listing_with_the_next_clearing(lists, target):
    listing = ListingFactory(target=target, blocklist=lists[0])
    episode(listing, NOW - timedelta(days=10), NOW - timedelta(days=8))
    episode(listing, NOW - timedelta(days=5))
    found = selectors.target_episodes(
        target=target, days=90, listed_since=None, now=NOW
    )
    assert sorted((e.listed_at, e.cleared_at) for e in found) == [
        (NOW - timedelta(days=10), NOW - timedelta(days=8)),
        (NOW - timedelta(days=5), None),
    ]
    assert [e.duration for e in found if e.is_open] == [timedelta(days=5)]


def test_an_episode_begun_before_the_window_keeps_its_real_start(lists, target):
    listing = ListingFactory(target=target, blocklist=lists[0], is_listed=False)
    episode(listing, NOW - timedelta(days=100), NOW - timedelta(days=10))
    open_listing = ListingFactory(
        target=target, blocklist=lists[1], last_changed_at=NOW - timedelta(days=200)
    )
    episode(open_listing, NOW - timedelta(days=200))
    found = selectors.target_episodes(
        target=target, days=90, listed_since=NOW - timedelta(days=200), now=NOW
    )
    assert sorted((e.blocklist, e.duration) for e in found) == [
        ("Alpha", timedelta(days=90)),
        ("Bravo", timedelta(days=200)),
    ]


def test_bars_sit_at_their_fraction_of_the_window():
    start = NOW - timedelta(days=10)
    closed = Episode(
        "Alpha", "192.0.2.66", start + timedelta(days=2), NOW - timedelta(days=3), None
    )
    still = Episode("Alpha", "192.0.2.66", NOW - timedelta(days=1), None, None)
    early = Episode(
        "Bravo",
        "192.0.2.66",
        start - timedelta(days=5),
        start + timedelta(days=1),
        None,
    )
    timeline = timeline_layout([closed, still, early], start=start, end=NOW)
    alpha, bravo = timeline.lanes
    assert [(b.start, b.end) for b in alpha.bars] == [
        pytest.approx((0.2, 0.7)),
        pytest.approx((0.9, 1.0)),
    ]
    assert [(b.start, b.end, b.is_clipped) for b in bravo.bars] == [
        pytest.approx((0.0, 0.1, True))
    ]
    first = alpha.bars[0]
    assert first.x == CHART_LEFT + 0.2 * CHART_WIDTH
    assert first.width == pytest.approx(0.5 * CHART_WIDTH)
    assert bravo.y > alpha.y
    assert [e.listed_at for e in timeline.episodes] == [
        still.listed_at,
        closed.listed_at,
        early.listed_at,
    ]


def test_lanes_follow_list_then_address_in_numeric_order():
    def listed(blocklist, subject):
        return Episode(blocklist, subject, NOW - timedelta(days=1), None, None)

    timeline = timeline_layout(
        [
            listed("B", "192.0.2.10"),
            listed("B", "192.0.2.9"),
            listed("A", "192.0.2.10"),
        ],
        start=NOW - timedelta(days=2),
        end=NOW,
    )
    assert [(x.blocklist, x.subject) for x in timeline.lanes] == [
        ("A", "192.0.2.10"),
        ("B", "192.0.2.9"),
        ("B", "192.0.2.10"),
    ]


def test_window_is_since_the_first_episode_when_that_is_shorter():
    first = Episode("Alpha", "192.0.2.66", NOW - timedelta(days=20), None, None)
    start = timeline_start([first], now=NOW, days=90)
    assert NOW - timedelta(days=22) < start < first.listed_at
    assert timeline_start([], now=NOW, days=90) == NOW - timedelta(days=90)
    old = Episode("Alpha", "192.0.2.66", NOW - timedelta(days=400), None, None)
    assert timeline_start([old], now=NOW, days=30) == NOW - timedelta(days=30)


def test_chart_draws_one_bar_per_episode_and_open_ones_as_still_listed(
    client, manager, lists, target
):
    alpha = ListingFactory(target=target, blocklist=lists[0])
    episode(alpha, NOW - timedelta(days=30), NOW - timedelta(days=20))
    episode(alpha, NOW - timedelta(days=2))
    bravo = ListingFactory(target=target, blocklist=lists[1], is_listed=False)
    episode(bravo, NOW - timedelta(days=10), NOW - timedelta(days=9))
    chart = section(page_of(client, manager, target), "episodes")
    svg = chart[chart.index("<svg") : chart.index("</svg>")]
    assert 'role="img"' in svg and 'aria-labelledby="episode-chart-title' in svg
    assert len(re.findall(r'<rect [^>]*class="bar', svg)) == 3
    assert len(re.findall(r'class="bar bar-open"', svg)) == 1
    assert svg.count('class="lane"') == 2 and "still listed" in svg


def test_chart_coordinates_stay_plain_numbers_in_comma_locales(lists, target):
    listing = ListingFactory(target=target, blocklist=lists[0])
    episode(listing, NOW - timedelta(days=7, hours=3))
    timeline = selectors.target_timeline(target=target, days=90, listed_since=None)
    context = {"timeline": timeline, "target": target, "options": TargetPageOptions()}
    with translation.override("de"):
        html = render_to_string("monitoring/partials/target_timeline.html", context)
    assert timeline.lanes[0].bars[0].x % 1  # a fraction to write
    assert re.search(r'<rect x="\d+\.\d" y="\d+" width="\d+\.\d"', html)


def test_episode_table_gives_the_durations(client, manager, lists, target):
    listing = ListingFactory(target=target, blocklist=lists[0])
    episode(listing, NOW - timedelta(days=10), NOW - timedelta(days=7, hours=20))
    episode(listing, NOW - timedelta(hours=5, minutes=30))
    table = section(page_of(client, manager, target), "episodes")
    table = table[table.index('<table class="episode-table"') :]
    assert "2 d 4 h" in row(table, "2 d 4 h")
    still = row(table, "5 h 30 min")
    assert "still listed" in still and "so far" in still


def test_days_parameter_narrows_the_period(client, manager, lists, target):
    listing = ListingFactory(target=target, blocklist=lists[0], is_listed=False)
    episode(listing, NOW - timedelta(days=60), NOW - timedelta(days=59))
    assert "1 d 0 h" in section(page_of(client, manager, target), "episodes")
    narrow = section(page_of(client, manager, target, days="30"), "episodes")
    assert "No listing in this period." in narrow and "<svg" not in narrow
    assert 'aria-current="page">Last 30 days' in narrow
    assert TargetPageOptions.from_query({"days": "7"}).days == 90


# --- Lookups: the evidence -----------------------------------------------------


def test_lookups_show_their_evidence(client, manager, lists, target):
    LookupFactory(
        run=CheckRunFactory(target=target),
        blocklist=lists[0],
        verdict="listed",
        codes=["127.0.0.2"],
        reason="Spam source, see https://alpha.test/66",
        rcode="NOERROR",
        resolver="10.0.0.53:53",
        elapsed_ms=12.34,
        ttl=900,
    )
    LookupFactory(
        run=CheckRunFactory(target=target),
        blocklist=lists[1],
        verdict="error",
        error="timeout",
        elapsed_ms=3000,
    )
    lookups = section(page_of(client, manager, target), "lookups")
    listed = row(lookups, "Alpha")
    for evidence in ("badge-listed", "127.0.0.2", "https://alpha.test/66", "NOERROR"):
        assert evidence in listed
    assert "10.0.0.53:53" in listed and ">12.3<" in listed and ">900<" in listed
    error = row(lookups, "Bravo")
    assert "badge-error" in error and "No answer in time" in error
    assert "badge-not_listed" not in error


def test_lookups_of_a_list_since_retired_keep_its_name(client, manager, lists, target):
    retired = BlocklistFactory(zone="gone.dnsbl.test", name="Gone", is_retired=True)
    LookupFactory(run=CheckRunFactory(target=target), blocklist=retired)
    page = page_of(client, manager, target)
    assert "Gone" in section(page, "lookups") and "Gone" not in section(
        page, "verdicts"
    )


def test_older_link_pages_back_fifty_at_a_time(client, manager, lists, target):
    for n in range(3):  # three runs of 20 answers each, sharing their checked_at
        run = CheckRunFactory(target=target)
        for i in range(20):
            LookupFactory(
                run=run,
                blocklist=BlocklistFactory(zone=f"k{i}.dnsbl.test"),
                checked_at=NOW - timedelta(hours=3 - n),
            )
    first = section(page_of(client, manager, target), "lookups")
    older = re.search(r'href="\?before=(\d+)#lookups" rel="next"', first)
    assert older is not None and "Newest" not in first
    second = section(page_of(client, manager, target, before=older[1]), "lookups")
    assert (first.count('class="verdict-'), second.count('class="verdict-')) == (50, 10)
    assert "Older lookups" not in second and "Newest" in second


def test_keyset_pages_follow_time_then_id(lists, target):
    run = CheckRunFactory(target=target)
    made = [
        LookupFactory(
            run=run,
            blocklist=BlocklistFactory(zone=f"p{i}.dnsbl.test"),
            checked_at=NOW - timedelta(minutes=i // 30),
        )
        for i in range(120)
    ]
    seen, before = [], None
    while True:
        page = selectors.target_lookups(
            target=target, options=TargetPageOptions(before=before), blocklists={}
        )
        seen += [x.pk for x in page.rows]
        if page.older is None:
            break
        before = page.older
    expected = [
        x.pk for x in sorted(made, key=lambda x: (x.checked_at, x.pk), reverse=True)
    ]
    assert seen == expected


def test_lookups_filter_by_verdict_and_list(client, manager, lists, target):
    run = CheckRunFactory(target=target)
    LookupFactory(run=run, blocklist=lists[0], verdict="listed")
    LookupFactory(run=run, blocklist=lists[1], verdict="error", error="servfail")
    LookupFactory(run=run, blocklist=lists[2])
    only_errors = section(page_of(client, manager, target, verdict="error"), "lookups")
    assert only_errors.count('class="verdict-') == 1 and "Bravo" in only_errors
    one_list = section(
        page_of(client, manager, target, blocklist=str(lists[2].pk)), "lookups"
    )
    assert one_list.count('class="verdict-') == 1 and "badge-not_listed" in one_list
    garbage = section(
        page_of(client, manager, target, verdict="x", before="y"), "lookups"
    )
    assert garbage.count('class="verdict-') == 3


# --- Cases -----------------------------------------------------------------------


def test_cases_are_listed_the_active_ones_first(client, manager, lists, target):
    active = DelistingCaseFactory(target=target, blocklist=lists[0], status="requested")
    closed = DelistingCaseFactory(target=target, blocklist=lists[1], status="closed")
    older = DelistingCaseFactory(target=target, blocklist=lists[2], status="watching")
    DelistingCase.objects.filter(pk=active.pk).update(opened_at=NOW - timedelta(days=9))
    DelistingCase.objects.filter(pk=older.pk).update(opened_at=NOW - timedelta(days=20))
    cases = section(page_of(client, manager, target), "cases")
    order = [int(n) for n in re.findall(r"/cases/(\d+)/", cases)]
    assert order == [active.pk, older.pk, closed.pk]
    assert "status-requested" in row(cases, f"/cases/{active.pk}/")
    assert "Removal requested" in cases


def test_a_target_without_cases_says_so(client, manager, target):
    assert "No delisting case for this target so far." in page_of(
        client, manager, target
    )


# --- Latest check ----------------------------------------------------------------


def test_finished_run_is_summed_up_with_a_link_to_its_answers(client, manager, target):
    run = CheckRunFactory(target=target, status="finished", listed_count=2)
    page = section(page_of(client, manager, target), "latest-check")
    assert (
        "2 listings" in page and reverse("monitoring:run-detail", args=[run.pk]) in page
    )


# --- Query budget ----------------------------------------------------------------


def fill(target, lists, n):
    """n lookups, n listings with their episodes (some open), n cases."""
    run = CheckRunFactory(target=target, status="finished")
    retired = BlocklistFactory(zone="retired.dnsbl.test", is_retired=True)
    LookupFactory(run=run, blocklist=retired, checked_at=NOW - timedelta(days=1))
    for i in range(n):
        blocklist = lists[i % 4]
        LookupFactory(
            run=run,
            blocklist=BlocklistFactory(zone=f"q{i}.dnsbl.test"),
            verdict="listed" if i % 2 else "error",
            checked_at=NOW - timedelta(minutes=i),
        )
        listing = ListingFactory(
            target=target,
            blocklist=blocklist,
            subject=f"{target.pk}.{i}",
            is_listed=bool(i % 2),
            last_error="" if i % 3 else "timeout",
            last_changed_at=NOW - timedelta(days=100 if i == 1 else 3),
        )
        if i == 1:  # listed since before the window
            episode(listing, NOW - timedelta(days=100))
        else:  # one episode across the window's start, one inside it
            episode(listing, NOW - timedelta(days=120), NOW - timedelta(days=40))
            episode(listing, NOW - timedelta(days=3), None if i % 2 else NOW)
        DelistingCaseFactory(
            target=target, blocklist=blocklist, subject=listing.subject, status="closed"
        )


def queries_for(client, user, target, **params):
    client.force_login(user)
    url = reverse("monitoring:target-detail", args=[target.pk])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


@pytest.mark.parametrize("kind", [Target.Kind.ADDRESS, Target.Kind.RANGE])
def test_query_count_does_not_grow_with_rows(client, it_staff, lists, kind):
    values = (
        ("192.0.2.1", "192.0.2.2")
        if kind == "address"
        else ("10.0.0.0/26", "10.0.1.0/26")
    )
    few, many = (TargetFactory(value=value, kind=kind) for value in values)
    fill(few, lists, 2)
    fill(many, lists, 20)
    counts = {
        queries_for(client, it_staff, few),
        queries_for(client, it_staff, many),
    }
    assert len(counts) == 1, counts
    before = Lookup.objects.filter(target=many).order_by("pk")[5].pk
    older = queries_for(client, it_staff, many, before=str(before))
    assert older == counts.pop() + 1


def test_page_stays_within_its_query_budget(
    client, manager, lists, target, django_assert_max_num_queries
):
    fill(target, lists, 20)
    client.force_login(manager)
    before = Lookup.objects.filter(target=target).order_by("pk")[3].pk
    with django_assert_max_num_queries(16):
        page = client.get(
            reverse("monitoring:target-detail", args=[target.pk]), {"before": before}
        )
    assert "still listed" in page.content.decode()


@pytest.mark.parametrize(
    ("kind", "value", "family"),
    [
        ("address", "192.0.2.10", "ipv4"),
        ("range", "198.51.100.0/24", "ipv4"),
        ("address", "2001:db8::1", "ipv6"),
        ("range", "2001:db8::/120", "ipv6"),
        ("domain", "mail.example.com", "domain"),
    ],
)
def test_a_target_knows_which_lists_can_answer_for_it(kind, value, family):
    assert Target(kind=kind, value=value).family == family
    covering = Blocklist(has_ipv4=family == "ipv4", has_ipv6=family == "ipv6")
    covering.has_domains = family == "domain"
    assert covering.kinds == {family}
