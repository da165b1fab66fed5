"""Working on targets: edit, pause, resume, archive, restore, delete, and one
action on a whole filtered selection (10,000 targets, a handful of fields)."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from blcheck.monitoring.models import CheckRun, Lookup, Tag, Target
from blcheck.monitoring.services import run_dispatch_due
from tests.factories import (
    BlocklistFactory,
    CheckRunFactory,
    DelistingCaseFactory,
    LookupFactory,
    TargetFactory,
)
from tests.support.html import parse

pytestmark = pytest.mark.django_db

ACT = reverse("monitoring:target-bulk-action")


def _act(client, pk: int, action: str):
    return client.post(reverse("monitoring:target-act", args=[pk]), {"action": action})


def test_it_staff_edit_label_tags_and_interval(client, it_staff):
    target = TargetFactory(value="192.0.2.1", check_interval_minutes=1440)
    client.force_login(it_staff)
    url = reverse("monitoring:target-edit", args=[target.pk])
    page = parse(client.get(url).content)
    assert page.find("title").text.strip()
    response = client.post(
        url,
        {
            "label": "mx tokyo",
            "tag_text": "tokyo, outbound",
            "check_interval_minutes": 30,
        },
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.label == "mx tokyo" and target.check_interval_minutes == 30
    assert sorted(t.name for t in target.tags.all()) == ["outbound", "tokyo"]
    # A shorter interval brings the next check within one new interval.
    assert target.next_check_at <= timezone.now() + timezone.timedelta(minutes=30)
    bad = client.post(url, {"label": "x", "tag_text": "", "check_interval_minutes": 1})
    assert bad.status_code == 422
    target.refresh_from_db()
    assert target.label == "mx tokyo"


def test_managers_read_but_change_nothing(client, manager):
    target = TargetFactory()
    client.force_login(manager)
    assert (
        client.get(reverse("monitoring:target-edit", args=[target.pk])).status_code
        == 403
    )
    assert _act(client, target.pk, "pause").status_code == 403
    assert client.post(ACT, {"action": "pause", "count": 1}).status_code == 403
    assert (
        client.post(reverse("monitoring:target-delete", args=[target.pk])).status_code
        == 403
    )
    target.refresh_from_db()
    assert target.is_enabled


def test_pause_and_resume_one_target(client, it_staff):
    target = TargetFactory(next_check_at=timezone.now())
    client.force_login(it_staff)
    _act(client, target.pk, "pause")
    target.refresh_from_db()
    assert not target.is_enabled and target.archived_at is None
    assert run_dispatch_due() == 0  # paused: not checked on schedule
    _act(client, target.pk, "resume")
    target.refresh_from_db()
    assert target.is_enabled
    assert LogEntry.objects.get_for_object(target).count() >= 2


def test_archive_keeps_history_leaves_dashboard_and_schedule(client, it_staff):
    target = TargetFactory(value="192.0.2.77", next_check_at=timezone.now())
    run = CheckRunFactory(target=target, status=CheckRun.Status.FINISHED)
    LookupFactory(run=run, target=target, blocklist=BlocklistFactory())
    client.force_login(it_staff)
    _act(client, target.pk, "archive")
    target.refresh_from_db()
    assert target.archived_at is not None and not target.is_enabled
    assert run_dispatch_due() == 0
    assert Lookup.objects.filter(target=target).count() == 1
    dashboard = client.get(reverse("reports:dashboard")).content.decode()
    assert "192.0.2.77" not in dashboard
    detail = client.get(reverse("reports:target-detail", args=[target.pk]))
    assert detail.status_code == 200 and "192.0.2.77" in detail.content.decode()
    found = client.get("/targets/?state=archived&q=192.0.2.77").content.decode()
    assert "192.0.2.77" in found
    assert "192.0.2.77" not in client.get("/targets/").content.decode()
    # Adding it again says where it is, rather than "already monitored".
    again = client.post(
        reverse("monitoring:target-create"),
        {"value": "192.0.2.77", "check_interval_minutes": 60},
    )
    assert again.status_code in (200, 422) and "archive" in again.content.decode()
    _act(client, target.pk, "restore")
    target.refresh_from_db()
    assert target.archived_at is None and target.is_enabled


def test_a_target_with_an_open_case_is_not_archived(client, it_staff):
    target = TargetFactory()
    DelistingCaseFactory(target=target)
    client.force_login(it_staff)
    response = _act(client, target.pk, "archive")
    target.refresh_from_db()
    assert target.archived_at is None and target.is_enabled
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("case" in m for m in messages)


def test_delete_needs_no_cases_and_a_typed_confirmation(client, it_staff):
    kept = TargetFactory(value="192.0.2.1")
    DelistingCaseFactory(target=kept, status="closed")
    gone = TargetFactory(value="192.0.2.2")
    client.force_login(it_staff)
    refused = client.post(
        reverse("monitoring:target-delete", args=[kept.pk]), {"confirm": "192.0.2.1"}
    )
    assert refused.status_code == 302 and Target.objects.filter(pk=kept.pk).exists()
    url = reverse("monitoring:target-delete", args=[gone.pk])
    assert "192.0.2.2" in client.get(url).content.decode()
    assert client.post(url, {"confirm": "wrong"}).status_code == 422
    assert Target.objects.filter(pk=gone.pk).exists()
    assert client.post(url, {"confirm": "192.0.2.2"}).status_code == 302
    assert not Target.objects.filter(pk=gone.pk).exists()


def _many(count: int, tag: Tag | None = None) -> list[int]:
    made = Target.objects.bulk_create(
        Target(
            value=f"10.{n // 65536}.{n // 256 % 256}.{n % 256}",
            kind="address",
            check_interval_minutes=60,
            next_check_at=timezone.now(),
        ).set_keys()
        for n in range(count)
    )
    if tag is not None:
        through = Target.tags.through
        through.objects.bulk_create(through(target=t, tag=tag) for t in made)
    return [t.pk for t in made]


def test_bulk_pause_of_ten_thousand_targets_in_one_small_request(client, it_staff):
    tag = Tag.objects.create(name="dc1")
    _many(10_000, tag)
    other = TargetFactory(value="192.0.2.1")
    client.force_login(it_staff)
    confirm = client.get(ACT, {"tag": "dc1", "action": "pause"})
    assert confirm.status_code == 200
    form = parse(confirm.content).find("form", action=ACT)
    fields = {i["name"]: i.get("value", "") for i in form.find_all("input")}
    assert len(fields) <= 8 and fields["count"] == "10000"
    response = client.post(ACT, fields)
    assert response.status_code == 302 and "tag=dc1" in response["Location"]
    assert Target.objects.filter(is_enabled=False).count() == 10_000
    other.refresh_from_db()
    assert other.is_enabled
    assert LogEntry.objects.filter(actor=it_staff).count() == 10_000


def test_a_changed_selection_is_confirmed_again(client, it_staff):
    tag = Tag.objects.create(name="dc1")
    _many(5, tag)
    client.force_login(it_staff)
    response = client.post(ACT, {"tag": "dc1", "action": "archive", "count": 4})
    assert response.status_code == 409
    assert "5" in parse(response.content).find("h1").text
    assert not Target.objects.filter(archived_at__isnull=False).exists()


def test_bulk_tag_untag_check_and_archive(client, it_staff, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    tag = Tag.objects.create(name="dc1")
    pks = _many(6, tag)
    Target.objects.filter(pk=pks[0]).update(is_enabled=False)
    DelistingCaseFactory(target_id=pks[1], subject="10.0.0.1")
    client.force_login(it_staff)
    post = {"tag": "dc1", "count": 6}
    client.post(ACT, {**post, "action": "tag", "tag_name": "edge"})
    assert Target.objects.filter(tags__name="edge").count() == 6
    client.post(ACT, {**post, "action": "untag", "tag_name": "edge"})
    assert not Target.objects.filter(tags__name="edge").exists()
    checked = client.post(ACT, {**post, "action": "check"})
    assert checked.status_code == 302 and "/runs/groups/" in checked["Location"]
    assert CheckRun.objects.count() == 5  # the paused one is not checked
    response = client.post(ACT, {**post, "action": "archive"})
    archived = Target.objects.filter(archived_at__isnull=False)
    assert set(archived.values_list("pk", flat=True)) == set(pks) - {pks[1]}
    messages = " ".join(str(m) for m in response.wsgi_request._messages)
    assert "open delisting case" in messages


def test_the_admin_offers_no_delete_selected_for_targets(client):
    from django.contrib.auth.models import User

    admin = User.objects.create_superuser("root", "root@example.com", "pw-root")
    TargetFactory()
    client.force_login(admin)
    page = client.get("/admin/monitoring/target/")
    assert page.status_code == 200
    assert "delete_selected" not in page.content.decode()
