"""The audit log: every change to targets, lists, notification settings, users
and group membership is recorded (who, when, before and after) by
django-auditlog, and read on /audit/ by managers and IT staff."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.auth.models import Group, User
from django.urls import reverse

from blcheck.core.access import MANAGERS
from blcheck.core.audit import url_mask
from blcheck.monitoring.models import Blocklist, NotificationPreference, Tag, Target
from blcheck.reports.selectors import audit
from tests.factories import BlocklistFactory
from tests.support.html import Element, parse
from tests.support.pages import english_runs

pytestmark = pytest.mark.django_db

AUDIT = reverse("reports:audit-log")
DAY = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


def entries_for(model: type, pk: object) -> list[LogEntry]:
    """The log of one object, oldest first."""
    found = LogEntry.objects.get_for_model(model).filter(object_pk=str(pk))
    return list(found.order_by("timestamp", "pk"))


def form_data(page: Element, form_id: str) -> dict[str, list[str]]:
    """What the browser would send for the form as the page shows it."""
    data: dict[str, list[str]] = {}
    for element in page.find("form", id=form_id).iter():
        name = element.get("name")
        kind = element.get("type", "text")
        if not name or kind in {"submit", "button", "file"}:
            continue
        if element.tag == "input":
            if kind in {"checkbox", "radio"} and "checked" not in element.attrs:
                continue
            default = "on" if kind in {"checkbox", "radio"} else ""
            data.setdefault(name, []).append(element.get("value") or default)
        elif element.tag == "select":
            options = element.find_all("option")
            data[name] = [o["value"] for o in options if "selected" in o.attrs]
        elif element.tag == "textarea":
            data[name] = ["".join(element.strings())]
    return data


# --- What is recorded -----------------------------------------------------------


def test_it_staff_adding_a_target_through_the_web_form_is_recorded(client, it_staff):
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:target-create"),
        {"value": "192.0.2.7", "label": "MX 1", "check_interval_minutes": 60},
    )
    assert response.status_code == 302
    target = Target.objects.get(value="192.0.2.7")
    (entry,) = entries_for(Target, target.pk)
    assert (entry.action, entry.actor) == (LogEntry.Action.CREATE, it_staff)
    assert entry.changes_dict["label"] == ["None", "MX 1"]
    assert "next_check_at" not in entry.changes_dict  # blcheck's own field
    # The page names the owner, not the user's id.
    client.force_login(it_staff)
    page = parse(client.get(reverse("reports:audit-log")).content)
    owner = page.find("li", text="Owner")
    assert owner.text.endswith("→ itstaff")


def test_editing_a_target_records_before_and_after_with_its_tags(
    admin_client, admin_user
):
    with set_actor(admin_user):
        target = Target.objects.create(
            value="192.0.2.8", kind="address", label="old", check_interval_minutes=60
        )
    url = reverse("admin:monitoring_target_change", args=[target.pk])
    data = form_data(parse(admin_client.get(url).content), "target_form")
    tag = Tag.objects.create(name="outbound")
    response = admin_client.post(url, {**data, "label": ["new"], "tags": [tag.pk]})
    assert response.status_code == 302, response.content.decode()[:2000]
    changes = [e.changes_dict for e in entries_for(Target, target.pk)[1:]]
    assert {"label": ["old", "new"]} in changes
    assert {
        "tags": {"type": "m2m", "operation": "add", "objects": ["outbound"]}
    } in changes
    assert all(e.actor == admin_user for e in entries_for(Target, target.pk))


def test_it_staff_editing_a_blocklist_is_recorded_with_before_and_after(
    client, it_staff
):
    blocklist = BlocklistFactory(zone="good.dnsbl.test", name="Good")
    client.force_login(it_staff)
    response = client.post(
        reverse("monitoring:blocklist-edit", args=[blocklist.pk]),
        {"name": "Better", "kinds": ["ipv4"], "qps": 5},
    )
    assert response.status_code == 302
    entry = entries_for(Blocklist, blocklist.pk)[-1]
    assert (entry.action, entry.actor) == (LogEntry.Action.UPDATE, it_staff)
    assert entry.changes_dict["name"] == ["Good", "Better"]
    assert entry.changes_dict["is_enabled"] == ["True", "False"]
    assert "updated_at" not in entry.changes_dict


def test_changing_notification_settings_is_recorded(client, it_staff):
    client.force_login(it_staff)
    client.get(reverse("monitoring:notification-settings"))
    client.post(reverse("monitoring:notification-settings"), {"is_email_on": "on"})
    preference = NotificationPreference.objects.get(user=it_staff)
    entry = entries_for(NotificationPreference, preference.pk)[-1]
    assert entry.actor == it_staff
    assert entry.changes_dict["is_email_on"] == ["False", "True"]


def test_a_webhook_url_is_logged_without_its_secret_path():
    secret = "https://hooks.example.com/services/T0/B0/s3cr3tt0ken"
    user = User.objects.create_user("webhooker")
    preference = NotificationPreference.objects.create(user=user, webhook_url=secret)
    (entry,) = entries_for(NotificationPreference, preference.pk)
    assert "s3cr3t" not in str(entry.changes)
    assert entry.changes_dict["webhook_url"][1] == "https://hooks.example.com/…"
    assert url_mask("") == "" and url_mask("nonsense") == "…"


def test_adding_a_user_to_a_group_is_recorded_without_the_password(
    admin_client, admin_user
):
    user = User.objects.create_user("newcomer", password="a-long-password-1")
    managers = Group.objects.get(name=MANAGERS)
    url = reverse("admin:auth_user_change", args=[user.pk])
    data = form_data(parse(admin_client.get(url).content), "user_form")
    response = admin_client.post(url, {**data, "groups": [str(managers.pk)]})
    assert response.status_code == 302, response.content.decode()[:2000]
    entries = entries_for(User, user.pk)
    added = entries[-1]
    assert added.actor == admin_user
    assert added.changes_dict == {
        "groups": {"type": "m2m", "operation": "add", "objects": [MANAGERS]}
    }
    assert all("password" not in e.changes_dict for e in entries)
    assert all("last_login" not in e.changes_dict for e in entries)


# --- The page ---------------------------------------------------------------------


def _rows(response) -> list[Element]:
    return (
        parse(response.content)
        .find("table", class_="audit-table")
        .find_all("tr", id=True)
    )


def test_managers_read_who_changed_what_before_and_after(client, manager, it_staff):
    with set_actor(it_staff):
        blocklist = BlocklistFactory(zone="good.dnsbl.test", name="Good")
        blocklist.name = "Better"
        blocklist.is_enabled = False
        blocklist.save()
    client.force_login(manager)
    response = client.get(AUDIT, {"kind": "monitoring.blocklist"})
    assert response.status_code == 200
    newest, created = _rows(response)
    assert newest.find(class_="audit-actor").text == "itstaff"
    assert newest.find(class_="audit-action").text == "Changed"
    changes = {
        li.find(class_="audit-field").text: (li.find("del").text, li.find("ins").text)
        for li in newest.find("ul", class_="audit-changes").find_all("li")
    }
    assert changes == {"Name": ("Good", "Better"), "Enabled": ("Yes", "No")}
    # A created list shows what was set, not its id or reverse relations.
    fields = {li.find(class_="audit-field").text for li in created.find_all("li")}
    assert {"Zone", "Name"} <= fields and not {"ID", "Lookups", "Cases"} & fields
    nav = parse(response.content).find("nav", aria_label="Main")
    assert nav.find("a", href=AUDIT)


def test_the_page_filters_by_actor_kind_action_and_days(client, manager, it_staff):
    with time_machine.travel(DAY, tick=False), set_actor(it_staff):
        early = BlocklistFactory(zone="early.dnsbl.test")
    with time_machine.travel(DAY + timedelta(days=3), tick=False):
        with set_actor(manager):
            late = BlocklistFactory(zone="late.dnsbl.test")
        late_pk = late.pk
        late.delete()
        late.pk = late_pk
    client.force_login(manager)

    def shown(**query):
        return [row["id"] for row in _rows(client.get(AUDIT, query))]

    def row(obj, action):
        entry = LogEntry.objects.get(
            object_pk=str(obj.pk), action=action, content_type__model="blocklist"
        )
        return f"audit-{entry.pk}"

    created, deleted = LogEntry.Action.CREATE, LogEntry.Action.DELETE
    assert shown(actor=it_staff.pk, kind="monitoring.blocklist") == [
        row(early, created)
    ]
    assert shown(kind="monitoring.blocklist", action=deleted) == [row(late, deleted)]
    assert shown(
        kind="monitoring.blocklist", date_from="2026-03-10", date_to="2026-03-11"
    ) == [row(early, created)]
    assert shown(kind="auth.user", actor=manager.pk) == []


def test_dates_in_the_wrong_order_are_named_and_nothing_is_listed(client, manager):
    client.force_login(manager)
    response = client.get(AUDIT, {"date_from": "2026-03-10", "date_to": "2026-03-01"})
    page = parse(response.content)
    assert response.status_code == 200
    assert page.by_id("id_date_to_errors")
    assert not page.find_all("table", class_="audit-table")


def test_the_page_has_an_empty_state(client, manager):
    client.force_login(manager)
    response = client.get(AUDIT, {"date_from": "2001-01-01", "date_to": "2001-01-02"})
    page = parse(response.content)
    assert page.find("h1").text == "Audit log"
    assert "No change matches these filters." in page.find("table").text
    assert page.find("title").text.startswith("Audit log")


def test_the_page_is_paged_newest_first_without_overlap(client, manager, it_staff):
    with set_actor(it_staff):
        for n in range(audit.PAGE_SIZE + 5):
            BlocklistFactory(zone=f"bulk{n}.dnsbl.test")
    client.force_login(manager)
    query = {"kind": "monitoring.blocklist"}
    first = client.get(AUDIT, query)
    older = parse(first.content).find("a", rel="next")["href"]
    second = client.get(AUDIT + older)
    ids = [int(r["id"].removeprefix("audit-")) for r in _rows(first) + _rows(second)]
    assert len(ids) == audit.PAGE_SIZE + 5 == len(set(ids))
    assert ids == sorted(ids, reverse=True)
    assert parse_qs(urlsplit(older).query)["kind"] == ["monitoring.blocklist"]
    assert not parse(second.content).find_all("a", rel="next")


def test_the_page_reads_a_bounded_number_of_queries(
    client, manager, it_staff, django_assert_max_num_queries
):
    with set_actor(it_staff):
        for n in range(40):
            blocklist = BlocklistFactory(zone=f"q{n}.dnsbl.test")
            blocklist.name = f"renamed {n}"
            blocklist.save()
            User.objects.create_user(f"user{n}").groups.add(
                Group.objects.get(name=MANAGERS)
            )
    client.force_login(manager)
    with django_assert_max_num_queries(10):
        response = client.get(AUDIT)
    assert len(_rows(response)) == audit.PAGE_SIZE


def test_the_japanese_page_has_no_untranslated_english(client, manager, it_staff):
    with set_actor(it_staff):
        blocklist = BlocklistFactory(zone="good.dnsbl.test", name="Good")
        blocklist.is_enabled = False
        blocklist.save()
    client.force_login(manager)
    response = client.get(AUDIT, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200
    assert english_runs(response.content.decode(), {"good.dnsbl.test"}) == []


def test_outsiders_are_refused_and_anonymous_is_sent_to_log_in(client, outsider):
    assert client.get(AUDIT)["Location"].startswith(reverse("login"))
    client.force_login(outsider)
    assert client.get(AUDIT).status_code == 403


def test_nobody_edits_the_log_in_the_admin(admin_client, it_staff):
    entry = LogEntry.objects.filter(object_pk=str(it_staff.pk)).first()
    assert entry is not None
    assert admin_client.get(reverse("admin:auditlog_logentry_add")).status_code == 403
    delete = reverse("admin:auditlog_logentry_delete", args=[entry.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert LogEntry.objects.filter(pk=entry.pk).exists()
