"""The target page's lookups, the evidence behind each verdict, their filters,
and what the whole page costs in queries. (Their pages: test_keyset_paging.py.)
"""

from datetime import timedelta

import pytest
from django.urls import reverse

from blcheck.core.paging import cursor_encode
from blcheck.monitoring.models import Lookup, Target
from tests.factories import (
    BlocklistFactory,
    CheckRunFactory,
    DelistingCaseFactory,
    ListingFactory,
    LookupFactory,
    TargetFactory,
)
from tests.support.history import NOW, episode
from tests.support.reading import row, section, target_page

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

# 15, the outage banner (base.html), another page-wide read (a range query), and
# the headline's: the latest resolver outage, and one lookup read for lists that
# failed before ever answering (target_states._attach_lookups).
QUERY_BUDGET = 18


def lookups_section(client, user, target, **params):
    return section(target_page(client, user, target, **params), "lookups")


def shown(lookups):
    """How many lookups the section shows: each has one verdict badge."""
    return len(lookups.find("tbody").find_all("span", class_="badge"))


def test_lookups_show_their_evidence(client, manager, four_lists, ipv4_target):
    LookupFactory(
        run=CheckRunFactory(target=ipv4_target),
        blocklist=four_lists[0],
        verdict="listed",
        codes=["127.0.0.2"],
        reason="Spam source, see https://alpha.test/66",
        rcode="NOERROR",
        resolver="10.0.0.53:53",
        elapsed_ms=12.34,
        ttl=900,
    )
    LookupFactory(
        run=CheckRunFactory(target=ipv4_target),
        blocklist=four_lists[1],
        verdict="error",
        error="timeout",
        elapsed_ms=3000,
    )
    lookups = lookups_section(client, manager, ipv4_target)
    listed = row(lookups, "Alpha")
    listed.find("span", class_="badge-listed")
    for evidence in ("127.0.0.2", "https://alpha.test/66", "NOERROR", "10.0.0.53:53"):
        assert evidence in listed.text
    cells = [cell.text for cell in listed.find_all("td")]
    assert "12.3" in cells and "900" in cells
    error = row(lookups, "Bravo")
    error.find("span", class_="badge-error")
    assert "No answer in time" in error.text
    assert not error.find_all(class_="badge-not_listed")


def test_lookups_of_a_list_since_retired_keep_its_name(
    client, manager, four_lists, ipv4_target
):
    retired = BlocklistFactory(zone="gone.dnsbl.test", name="Gone", is_retired=True)
    LookupFactory(run=CheckRunFactory(target=ipv4_target), blocklist=retired)
    page = target_page(client, manager, ipv4_target)
    assert "Gone" in section(page, "lookups").text
    assert "Gone" not in section(page, "verdicts").text


def test_lookups_filter_by_verdict_and_list(client, manager, four_lists, ipv4_target):
    run = CheckRunFactory(target=ipv4_target)
    LookupFactory(run=run, blocklist=four_lists[0], verdict="listed")
    LookupFactory(run=run, blocklist=four_lists[1], verdict="error", error="servfail")
    LookupFactory(run=run, blocklist=four_lists[2])
    only_errors = lookups_section(client, manager, ipv4_target, verdict="error")
    assert shown(only_errors) == 1 and "Bravo" in only_errors.find("tbody").text
    one_list = lookups_section(
        client, manager, ipv4_target, blocklist=str(four_lists[2].pk)
    )
    assert shown(one_list) == 1 and one_list.find_all(class_="badge-not_listed")
    garbage = lookups_section(client, manager, ipv4_target, verdict="x", before="y")
    assert shown(garbage) == 3


def test_filters_are_labelled_fields_that_keep_the_period(
    client, manager, four_lists, ipv4_target
):
    form = lookups_section(client, manager, ipv4_target, days="30").find("form")
    for name in ("verdict", "blocklist"):
        form.find("label", for_=f"id_{name}")
        form.find("select", id=f"id_{name}", name=name)
    form.find("input", type="hidden", name="days", value="30")
    blocklist = form.find("select", name="blocklist")
    offered = [option.text for option in blocklist.find_all("option")]
    assert offered == ["All", "Alpha", "Bravo", "Charlie", "Delta"]


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
            episode(listing, at=NOW - timedelta(days=100))
        else:  # one episode across the window's start, one inside it
            episode(
                listing, at=NOW - timedelta(days=120), cleared=NOW - timedelta(days=40)
            )
            episode(listing, at=NOW - timedelta(days=3), cleared=None if i % 2 else NOW)
        DelistingCaseFactory(
            target=target, blocklist=blocklist, subject=listing.subject, status="closed"
        )


def older_cursor(target):
    """The cursor of a lookup in the middle of the target's lookups."""
    middle = Lookup.objects.filter(target=target).order_by("pk")[5]
    return cursor_encode(middle.checked_at, middle.pk)


@pytest.mark.parametrize("kind", [Target.Kind.ADDRESS, Target.Kind.RANGE])
def test_query_count_does_not_grow_with_rows(
    client,
    it_staff,
    four_lists,
    kind,
    django_assert_max_num_queries,
    django_assert_num_queries,
):
    values = (
        ("192.0.2.1", "192.0.2.2")
        if kind == "address"
        else ("10.0.0.0/26", "10.0.1.0/26")
    )
    few, many = (TargetFactory(value=value, kind=kind) for value in values)
    fill(few, four_lists, 2)
    fill(many, four_lists, 20)
    client.force_login(it_staff)

    def get(target, **params):
        url = reverse("reports:target-detail", args=[target.pk])
        assert client.get(url, params).status_code == 200

    with django_assert_max_num_queries(QUERY_BUDGET) as small:
        get(few)
    with django_assert_num_queries(len(small)):
        get(many)
    cursor = older_cursor(many)
    with django_assert_num_queries(len(small)):  # no query finds where it was
        get(many, before=cursor)


def test_page_stays_within_its_query_budget(
    client, manager, four_lists, ipv4_target, django_assert_max_num_queries
):
    fill(ipv4_target, four_lists, 20)
    client.force_login(manager)
    url = reverse("reports:target-detail", args=[ipv4_target.pk])
    cursor = older_cursor(ipv4_target)
    with django_assert_max_num_queries(QUERY_BUDGET):
        page = client.get(url, {"before": cursor})
    assert "still listed" in page.content.decode()
