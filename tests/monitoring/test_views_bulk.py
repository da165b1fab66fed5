"""Bulk add, check many, group progress and the target's history page."""

import io

import pytest
from django.urls import reverse
from django.utils import timezone

from blcheck.monitoring.models import CheckRun, Listing, ListingChange, Tag, Target
from tests.factories import BlocklistFactory, CheckRunFactory, TargetFactory
from tests.support.html import parse

pytestmark = pytest.mark.django_db


def post_bulk(client, **data):
    return client.post(
        reverse("monitoring:target-bulk"), {"check_interval_minutes": 60, **data}
    )


def test_pasted_targets_are_all_added(client, it_staff):
    client.force_login(it_staff)
    response = post_bulk(
        client,
        lines="192.0.2.1 mx1\n# a comment\n198.51.100.0/30, pool\nmail.example.com\n",
    )
    assert response.status_code == 302
    assert sorted(Target.objects.values_list("value", "label")) == [
        ("192.0.2.1", "mx1"),
        ("198.51.100.0/30", "pool"),
        ("mail.example.com", ""),
    ]


def test_one_bad_line_saves_nothing_and_names_every_problem(client, it_staff):
    TargetFactory(value="203.0.113.9")
    client.force_login(it_staff)
    response = post_bulk(
        client, lines="192.0.2.1\n300.1.1.1\n192.0.2.1/32\n203.0.113.9\n10.0.0.0/8\n"
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "Nothing was added" in page
    for fragment in (
        "Line 2 (300.1.1.1)",
        "Line 3 (192.0.2.1/32)",
        "already on line 1",
        "203.0.113.9 is already monitored",
        "Line 5 (10.0.0.0/8)",
    ):
        assert fragment in page
    assert Target.objects.count() == 1
    assert "300.1.1.1" in page  # the input is kept for correcting


def test_csv_upload_with_tags_and_intervals(client, it_staff):
    client.force_login(it_staff)
    upload = io.BytesIO(
        b"value,label,tags,interval\n192.0.2.1,mx1,tokyo;outbound,15\n"
        b"192.0.2.2,mx2,tokyo,\n"
    )
    upload.name = "targets.csv"
    response = post_bulk(client, csv_file=upload)
    assert response.status_code == 302
    mx1 = Target.objects.get(value="192.0.2.1")
    assert (mx1.label, mx1.check_interval_minutes) == ("mx1", 15)
    assert sorted(mx1.tags.values_list("name", flat=True)) == ["outbound", "tokyo"]
    assert Target.objects.get(value="192.0.2.2").check_interval_minutes == 60


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00garbage", "neither UTF-8 nor Shift_JIS"),
        (b"label,tags\nx,y\n", "must name the columns"),
        (b"value\n" + b"192.0.2.1\n" * 600_000, "larger than 1 MiB"),
        (b"value,interval\n192.0.2.1,3\n", "check interval"),
        # A cell over csv.field_size_limit() (131,072 characters): a 500 before.
        (b"value,label\n192.0.2.1," + b"x" * 131_073 + b"\n", "Line 2: a cell"),
        (b'value,label\n192.0.2.1,"never closed' + b"x" * 140_000, "Line 2: a cell"),
        # Unicode digits pass str.isdigit() but not int(): a 500 before.
        ("value,interval\n192.0.2.1,\u00b2\n".encode(), "check interval"),
    ],
)
def test_bad_csv_is_refused_clearly(client, it_staff, content, message):
    client.force_login(it_staff)
    upload = io.BytesIO(content)
    upload.name = "bad.csv"
    response = post_bulk(client, csv_file=upload)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Target.objects.exists()


def test_csv_with_old_mac_line_ends_and_extra_cells_is_read(client, it_staff):
    """A lone \r ended csv with "new-line character seen in unquoted field",
    and a row longer than the header put a list under the key None: both 500s."""
    client.force_login(it_staff)
    upload = io.BytesIO(b"value,label\r192.0.2.1,mx1,extra,cells\r192.0.2.2\r")
    upload.name = "targets.csv"
    response = post_bulk(client, csv_file=upload)
    assert response.status_code == 302
    assert sorted(Target.objects.values_list("value", "label")) == [
        ("192.0.2.1", "mx1"),
        ("192.0.2.2", ""),
    ]


def test_empty_bulk_form_asks_for_targets(client, it_staff):
    client.force_login(it_staff)
    response = post_bulk(client, lines="  \n# only a comment\n")
    assert "Paste at least one target" in response.content.decode()


def test_manager_cannot_bulk_add(client, manager):
    client.force_login(manager)
    assert post_bulk(client, lines="192.0.2.1").status_code == 403
    check = {"action": "check", "count": 0}
    assert (
        client.post(reverse("monitoring:target-bulk-action"), check).status_code == 403
    )
    assert not Target.objects.exists() and not CheckRun.objects.exists()


def test_check_a_tag_queues_its_targets_and_shows_progress(
    client, it_staff, django_capture_on_commit_callbacks
):
    tokyo = Tag.objects.create(name="tokyo")
    TargetFactory(value="192.0.2.1").tags.add(tokyo)
    TargetFactory(value="192.0.2.2").tags.add(tokyo)
    TargetFactory(value="192.0.2.3")
    client.force_login(it_staff)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("monitoring:target-bulk-action"),
            {"tag": "tokyo", "action": "check", "count": 2},
        )
    runs = CheckRun.objects.all()
    assert sorted(r.target.value for r in runs) == ["192.0.2.1", "192.0.2.2"]
    assert len({r.group for r in runs}) == 1 and len(callbacks) == 1
    assert response["Location"] == reverse(
        "monitoring:group-progress", args=[runs[0].group]
    )
    page = parse(client.get(response["Location"]).content)
    assert "2 targets, 2 still running." in page.text
    assert page.find(hx_trigger=True)  # it polls


def test_group_progress_stops_polling_when_done(client, manager):
    run = CheckRunFactory(
        status="finished",
        total=20,
        done=20,
        listed_count=1,
        group="00000000-0000-4000-8000-0000000000aa",
    )
    client.force_login(manager)
    partial = parse(
        client.get(
            reverse("monitoring:group-progress", args=[run.group]),
            HTTP_HX_REQUEST="true",
        ).content
    )
    assert not partial.find_all(hx_trigger=True)
    assert "Done: 1 listed, 19 not listed." in partial.text


def test_target_page_shows_what_is_listed_now_and_the_history(client, manager):
    target = TargetFactory(value="192.0.2.66")
    blocklist = BlocklistFactory(zone="good.dnsbl.test", name="Good test list")
    now = timezone.now()
    listing = Listing.objects.create(
        target=target,
        blocklist=blocklist,
        subject="192.0.2.66",
        is_listed=True,
        listed_since=now,
        last_changed_at=now,
    )
    ListingChange.objects.create(
        listing=listing,
        blocklist=listing.blocklist,
        kind="listed",
        at=now,
        codes=["127.0.0.2"],
    )
    client.force_login(manager)
    page = parse(client.get(reverse("reports:target-detail", args=[target.pk])).content)
    # The target's title: the history is not in it.
    assert page.find("title").text == "192.0.2.66 · blcheck"
    assert "Listed on 1 of" in page.text and "Good test list" in page.text
    assert page.find(class_="badge-listed") and "127.0.0.2" in page.text


def test_single_target_form_takes_tags(client, it_staff):
    client.force_login(it_staff)
    client.post(
        reverse("monitoring:target-create"),
        {"value": "192.0.2.10", "check_interval_minutes": 30, "tags": "tokyo, mx"},
    )
    assert sorted(Target.objects.get().tags.values_list("name", flat=True)) == [
        "mx",
        "tokyo",
    ]
