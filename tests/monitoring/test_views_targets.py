"""Target pages through the Django client, with their permission tests."""

import pytest
from django.urls import reverse

from blcheck.monitoring.models import CheckRun, Tag, Target
from tests.factories import (
    BlocklistFactory,
    CheckRunFactory,
    LookupFactory,
    TargetFactory,
)
from tests.support.html import parse

pytestmark = pytest.mark.django_db


def test_empty_target_list_explains_what_to_do(client, it_staff):
    client.force_login(it_staff)
    page = parse(client.get(reverse("monitoring:target-list")).content)
    assert page.find("title").text
    assert page.find("a", href="/targets/new/")
    assert "No targets yet" in page.text or "まだ" in page.text


def test_it_staff_adds_a_target(client, it_staff):
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:target-create"),
        {"value": "192.0.2.10", "label": "mx1", "check_interval_minutes": 30},
    )
    target = Target.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:target-detail", args=[target.pk])
    assert (
        target.value,
        target.label,
        target.owner,
        target.check_interval_minutes,
    ) == ("192.0.2.10", "mx1", it_staff, 30)


def test_invalid_target_shows_the_message_and_keeps_the_input(client, it_staff):
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:target-create"),
        {"value": "300.1.1.1", "label": "keep me", "check_interval_minutes": 30},
    )
    page = parse(response.content)
    assert response.status_code == 422
    assert "'300.1.1.1'" in page.text  # the message names the value
    assert page.find("input", value="keep me")  # and the form keeps the input
    assert not Target.objects.exists()


def test_huge_range_is_refused(client, it_staff):
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:target-create"),
        {"value": "10.0.0.0/8", "check_interval_minutes": 30},
    )
    assert response.status_code == 422
    assert "16,777,216" in response.content.decode()


def test_duplicate_target_is_refused(client, it_staff):
    TargetFactory(value="192.0.2.10")
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:target-create"),
        {"value": "192.0.2.10/32", "check_interval_minutes": 30},
    )
    assert response.status_code == 422
    assert Target.objects.count() == 1


def test_check_now_queues_a_run(client, it_staff, django_capture_on_commit_callbacks):
    target = TargetFactory()
    client.force_login(it_staff)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("monitoring:target-check-now", args=[target.pk]))
    assert response.status_code == 302
    run = CheckRun.objects.get()
    assert (run.target, run.requested_by, run.status, len(callbacks)) == (
        target,
        it_staff,
        "queued",
        1,
    )


def test_manager_cannot_add_target_or_check(client, manager):
    target = TargetFactory()
    client.force_login(manager)
    assert (
        client.post(
            reverse("monitoring:target-create"), {"value": "192.0.2.9"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("monitoring:target-check-now", args=[target.pk])
        ).status_code
        == 403
    )
    assert Target.objects.count() == 1 and not CheckRun.objects.exists()


def test_manager_reads_target_results(client, manager):
    lookup = LookupFactory(
        blocklist=BlocklistFactory(name="Good test list"),
        verdict="listed",
        run=CheckRunFactory(status="finished"),
    )
    client.force_login(manager)
    response = client.get(reverse("reports:target-detail", args=[lookup.target.pk]))
    page = response.content.decode()
    assert "Good test list" in page and parse(page).find(class_="badge-listed")
    assert "target-check-now" not in page and "/check/" not in page


def test_active_run_polls_its_progress(client, it_staff):
    run = CheckRunFactory(status="running", total=10, done=4)
    client.force_login(it_staff)
    page = parse(
        client.get(reverse("reports:target-detail", args=[run.target.pk])).content
    )
    assert page.find(hx_get=f"/runs/{run.pk}/", hx_trigger=True)
    assert page.find("progress", value="40")
    partial = client.get(
        reverse("monitoring:run-detail", args=[run.pk]), HTTP_HX_REQUEST="true"
    )
    fragment = parse(partial.content)
    assert not fragment.find_all("html") and fragment.find(hx_trigger=True)


def test_finished_run_stops_polling(client, it_staff):
    run = CheckRunFactory(status="finished")
    client.force_login(it_staff)
    partial = client.get(
        reverse("monitoring:run-detail", args=[run.pk]), HTTP_HX_REQUEST="true"
    )
    assert not parse(partial.content).find_all(hx_trigger=True)


def test_target_detail_query_count_is_bounded(
    client, manager, django_assert_max_num_queries
):
    run = CheckRunFactory(status="finished")
    for i in range(20):
        LookupFactory(run=run, blocklist=BlocklistFactory(zone=f"l{i}.dnsbl.test"))
    client.force_login(manager)
    # 10, the outage banner, a page-wide range read, the headline's outage read.
    with django_assert_max_num_queries(13):
        client.get(reverse("reports:target-detail", args=[run.target.pk]))


def test_target_errors_are_shown_in_japanese(client, it_staff):
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:target-create"),
        {"value": "10.0.0.0/8", "check_interval_minutes": 30},
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert "1 範囲の上限は 1,024 個です" in response.content.decode()


def test_private_address_is_added_with_a_warning(client, it_staff):
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:target-create"),
        {"value": "10.1.2.3", "check_interval_minutes": 30},
        follow=True,
    )
    assert "10.1.2.3 is a private, reserved or documentation address" in (
        response.content.decode()
    )


def test_target_list_filters_by_tag_and_offers_to_check_that_tag(client, it_staff):
    tokyo = TargetFactory(value="192.0.2.11")
    tokyo.tags.add(Tag.objects.create(name="tokyo"))
    TargetFactory(value="192.0.2.12").tags.add(Tag.objects.create(name="osaka"))
    client.force_login(it_staff)
    url = reverse("monitoring:target-list")
    page = parse(client.get(url, {"tag": "tokyo"}).content)
    shown = [code.text for code in page.find("table").find_all("code")]
    assert shown == ["192.0.2.11"]
    assert page.find("a", aria_current="page").text == "tokyo"
    assert page.find("input", type="hidden", name="tag")["value"] == "tokyo"
    everything = parse(client.get(url).content).find("table").find_all("code")
    assert [code.text for code in everything] == ["192.0.2.11", "192.0.2.12"]
    assert (
        parse(client.get(url, {"tag": "nobody"}).content).find("table").find_all("code")
        == []
    )
