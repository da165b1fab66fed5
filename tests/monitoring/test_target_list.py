"""The target list: state from the answers, search by address inside a range
or by CIDR, filters, numeric order, pages; and its pure sort keys."""

import pytest

from blcheck.monitoring import keys
from blcheck.monitoring.models import Tag, Target
from tests.factories import BlocklistFactory, ListingFactory, TargetFactory
from tests.support.html import parse

URL = "/targets/"


def _values(client, query: str = "") -> list[str]:
    response = client.get(URL + query)
    assert response.status_code == 200
    table = parse(response.content).find("table", class_="target-list")
    return [code.text for code in table.find_all("code")]


def test_sort_keys_are_numeric_and_ranges_sort_by_first_address():
    values = [
        ("address", "192.0.2.10"),
        ("address", "192.0.2.9"),
        ("range", "192.0.2.0/28"),
        ("address", "10.0.0.1"),
        ("domain", "example.jp"),
        ("address", "2001:db8::1"),
        ("address", "192.0.2.0"),
    ]
    ordered = sorted(values, key=lambda kv: keys.sort_key(*kv))
    assert [v for _, v in ordered] == [
        "10.0.0.1",
        "192.0.2.0",
        "192.0.2.0/28",
        "192.0.2.9",
        "192.0.2.10",
        "2001:db8::1",
        "example.jp",
    ]


def test_search_span_reads_addresses_and_cidr_but_not_text():
    first, last = keys.search_span("192.0.2.0/30")
    assert (first, last) == keys.span_of(
        __import__("ipaddress").ip_network("192.0.2.0/30")
    )
    assert keys.search_span("192.0.2.5") == (first[:-1] + "5", first[:-1] + "5")
    assert keys.search_span("mx-tokyo") is None
    assert keys.search_span("10.0.0.1x") is None
    assert keys.search_span("") is None


@pytest.mark.django_db
def test_keys_are_stored_on_save_and_on_bulk_add():
    target = Target.objects.create(
        value="192.0.2.0/28", kind="range", check_interval_minutes=60
    )
    assert target.sort_key.startswith("4") and target.address_first
    domain = Target.objects.create(
        value="example.jp", kind="domain", check_interval_minutes=60
    )
    assert (domain.sort_key, domain.address_first) == ("dexample.jp", "")


@pytest.mark.django_db
def test_list_is_in_numeric_order(client, manager):
    for value in ("192.0.2.10", "192.0.2.9", "192.0.2.100"):
        TargetFactory(value=value)
    TargetFactory(value="192.0.2.0/28", kind=Target.Kind.RANGE)
    client.force_login(manager)
    assert _values(client) == ["192.0.2.0/28", "192.0.2.9", "192.0.2.10", "192.0.2.100"]


@pytest.mark.django_db
def test_an_address_finds_the_range_holding_it_and_a_cidr_what_is_inside(
    client, manager
):
    TargetFactory(value="192.0.2.0/28", kind=Target.Kind.RANGE, label="tokyo block")
    TargetFactory(value="192.0.2.200", label="osaka mx")
    TargetFactory(value="198.51.100.7", label="backup")
    TargetFactory(value="example.jp", kind=Target.Kind.DOMAIN, label="mail domain")
    client.force_login(manager)
    assert _values(client, "?q=192.0.2.5") == ["192.0.2.0/28"]
    assert _values(client, "?q=192.0.2.0/24") == ["192.0.2.0/28", "192.0.2.200"]
    assert _values(client, "?q=osaka") == ["192.0.2.200"]
    assert _values(client, "?q=example") == ["example.jp"]
    assert _values(client, "?q=203.0.113.1") == []


@pytest.mark.django_db
def test_states_come_from_the_answers_and_filter_the_list(client, manager):
    lists = BlocklistFactory.create_batch(3)
    listed, clean, failing, unchecked = (
        TargetFactory(value=f"192.0.2.{n}") for n in (1, 2, 3, 4)
    )
    paused = TargetFactory(value="192.0.2.5", is_enabled=False)
    for blocklist in lists:
        ListingFactory(
            target=listed, blocklist=blocklist, is_listed=blocklist == lists[0]
        )
        ListingFactory(target=clean, blocklist=blocklist, is_listed=False)
        ListingFactory(
            target=failing,
            blocklist=blocklist,
            is_listed=False,
            last_error="timeout" if blocklist == lists[1] else "",
        )
    archived = TargetFactory(value="192.0.2.6")
    Target.objects.filter(pk=archived.pk).update(is_enabled=False)
    Target.objects.filter(pk=archived.pk).update(archived_at="2026-11-30T10:00Z")
    client.force_login(manager)
    page = parse(client.get(URL).content)
    cells = {
        row.find("code").text: row.find("td", class_="state").text
        for row in page.find("table", class_="target-list").find("tbody").find_all("tr")
    }
    assert "192.0.2.6" not in cells  # archived: off the list unless asked for
    assert "Listed on 1 list" in cells["192.0.2.1"] or "1" in cells["192.0.2.1"]
    assert cells["192.0.2.4"].strip() in ("No answer yet", "まだ回答がありません")
    assert _values(client, "?state=listed") == ["192.0.2.1"]
    assert _values(client, "?state=clean") == ["192.0.2.2"]
    assert _values(client, "?state=errors") == ["192.0.2.3"]
    assert _values(client, "?state=unchecked") == ["192.0.2.4", "192.0.2.5"]
    assert _values(client, "?state=paused") == ["192.0.2.5"]
    assert _values(client, "?state=archived") == ["192.0.2.6"]
    assert unchecked.pk and paused.pk


@pytest.mark.django_db
def test_tag_and_kind_filters(client, manager):
    tokyo = Tag.objects.create(name="tokyo")
    TargetFactory(value="192.0.2.1").tags.add(tokyo)
    TargetFactory(value="192.0.2.2")
    TargetFactory(value="192.0.2.0/30", kind=Target.Kind.RANGE).tags.add(tokyo)
    client.force_login(manager)
    assert _values(client, "?tag=tokyo") == ["192.0.2.0/30", "192.0.2.1"]
    assert _values(client, "?tag=tokyo&kind=range") == ["192.0.2.0/30"]
    assert _values(client, "?kind=nonsense") == [
        "192.0.2.0/30",
        "192.0.2.1",
        "192.0.2.2",
    ]


@pytest.mark.django_db
def test_pages_keep_the_filters_and_queries_do_not_grow(
    client, manager, django_assert_max_num_queries
):
    lists = BlocklistFactory.create_batch(2)
    tag = Tag.objects.create(name="edge")
    targets = Target.objects.bulk_create(
        Target(
            value=f"10.0.{n // 250}.{n % 250 + 1}",
            kind="address",
            check_interval_minutes=60,
        ).set_keys()
        for n in range(130)
    )
    for target in targets:
        target.tags.add(tag)
        ListingFactory(target=target, blocklist=lists[0], is_listed=False)
    client.force_login(manager)
    with django_assert_max_num_queries(14):
        response = client.get(URL + "?tag=edge")
    page = parse(response.content)
    assert (
        len(page.find("table", class_="target-list").find("tbody").find_all("tr")) == 50
    )
    nxt = page.find("a", rel="next")
    assert "tag=edge" in nxt["href"] and "page=2" in nxt["href"]
    with django_assert_max_num_queries(14):
        third = client.get(URL + "?tag=edge&page=3")
    assert len(parse(third.content).find("tbody").find_all("tr")) == 30
    assert "130" in parse(third.content).by_id("target-count").text
