"""An upgrade keeps every case: a database made by the last release's
migrations, with data in it, migrated to this tree's (what `make run` does
after a `git pull`: migrate, then load_catalog)."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from blcheck.cases.models import CaseEvent, DelistingCase
from blcheck.monitoring import keys, selection
from blcheck.monitoring.models import (
    Blocklist,
    CheckRun,
    Listing,
    ListingChange,
    Lookup,
    Target,
)

# Each app's last migration at the last release (commit 4342918).
PREVIOUS_RELEASE = [
    ("core", "0005_health_probe"),
    ("monitoring", "0012_notification_language_digest"),
    ("cases", "0004_case_event_request_amended"),
]


def _latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return list(executor.loader.graph.leaf_nodes())


@pytest.fixture
def previous_release() -> Iterator[Any]:
    """The database as the last release left it; the historical models."""
    executor = MigrationExecutor(connection)
    executor.migrate(PREVIOUS_RELEASE)
    yield executor.loader.project_state(PREVIOUS_RELEASE).apps
    MigrationExecutor(connection).migrate(_latest())  # whatever the test did


def _fill(apps: Any) -> dict[str, Any]:
    """Targets (an address, a range, a domain), a catalog list, a run with its
    lookups, a listing and its changes, a delisting case with its events."""
    old = {name: apps.get_model("monitoring", name) for name in ("Target", "Blocklist")}
    now = timezone.now()
    zen = old["Blocklist"].objects.create(
        zone="zen.spamhaus.org", name="Spamhaus ZEN", has_ipv4=True
    )
    targets = {
        kind: old["Target"].objects.create(
            value=value,
            kind=kind,
            label=f"{kind} of the last release",
            check_interval_minutes=60,
            next_check_at=now,
        )
        for kind, value in (
            ("address", "192.0.2.66"),
            ("range", "198.51.100.0/28"),
            ("domain", "mail.example.com"),
        )
    }
    run = apps.get_model("monitoring", "CheckRun").objects.create(
        target=targets["range"],
        trigger="schedule",
        status="finished",
        total=16,
        done=16,
        listed_count=1,
        finished_at=now,
    )
    Lookup = apps.get_model("monitoring", "Lookup")
    Lookup.objects.bulk_create(
        Lookup(
            run=run,
            target=targets["range"],
            blocklist=zen,
            subject=f"198.51.100.{n}",
            query_name=f"{n}.100.51.198.zen.spamhaus.org",
            verdict="listed" if n == 5 else "not_listed",
            codes=["127.0.0.2"] if n == 5 else [],
            checked_at=now,
        )
        for n in range(16)
    )
    listing = apps.get_model("monitoring", "Listing").objects.create(
        target=targets["range"],
        blocklist=zen,
        subject="198.51.100.5",
        is_listed=True,
        codes=["127.0.0.2"],
        listed_since=now - timedelta(days=3),
        last_changed_at=now - timedelta(days=3),
        change_count=3,
    )
    ListingChange = apps.get_model("monitoring", "ListingChange")
    for days, kind in ((9, "listed"), (6, "cleared"), (3, "listed")):
        ListingChange.objects.create(
            listing=listing,
            blocklist=zen,
            kind=kind,
            at=now - timedelta(days=days),
            codes=["127.0.0.2"] if kind == "listed" else [],
        )
    case = apps.get_model("cases", "DelistingCase").objects.create(
        target=targets["range"],
        blocklist=zen,
        subject="198.51.100.5",
        status="requested",
        method="form",
        reference="SR-1234",
        request_text="Please remove 198.51.100.5: the open relay is closed.",
    )
    CaseEvent = apps.get_model("cases", "CaseEvent")
    for minutes, kind, before, after in (
        (90, "opened", "", "open"),
        (60, "note", "", ""),
        (30, "requested", "open", "requested"),
    ):
        CaseEvent.objects.create(
            case=case,
            at=now - timedelta(minutes=minutes),
            kind=kind,
            from_status=before,
            to_status=after,
            detail=f"{kind} before the upgrade",
        )
    return {"targets": {k: t.pk for k, t in targets.items()}, "case": case.pk}


@pytest.mark.django_db(transaction=True)
def test_upgrade_from_the_last_release_keeps_every_case(previous_release: Any) -> None:
    with connection.cursor() as cursor:  # the last release's schema
        columns = connection.introspection.get_table_description(
            cursor, "monitoring_target"
        )
    assert "sort_key" not in {column.name for column in columns}
    made = _fill(previous_release)
    counts = {
        model: model.objects.count()
        for model in (Target, CheckRun, Lookup, Listing, ListingChange, CaseEvent)
    }
    assert counts[Lookup] == 16 and counts[CaseEvent] == 3  # the release's data

    # What `make run` does after a `git pull`.
    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_catalog", verbosity=0)

    assert not MigrationExecutor(connection).migration_plan(_latest())
    for model, count in counts.items():
        assert model.objects.count() == count, model.__name__
    case = DelistingCase.objects.get(pk=made["case"])
    assert (case.status, case.reference, case.blocklist.zone) == (
        "requested",
        "SR-1234",
        "zen.spamhaus.org",
    )
    assert list(case.events.order_by("at").values_list("kind", "detail")) == [
        ("opened", "opened before the upgrade"),
        ("note", "note before the upgrade"),
        ("requested", "requested before the upgrade"),
    ]
    listing = Listing.objects.get()
    assert listing.is_listed and listing.change_count == 3
    assert list(
        ListingChange.objects.filter(listing=listing)
        .order_by("at")
        .values_list("kind", flat=True)
    ) == ["listed", "cleared", "listed"]
    # The catalog's copy of the list is the one the history points at.
    assert Blocklist.objects.filter(zone="zen.spamhaus.org").count() == 1
    # The new derived fields are filled for every kind of target.
    for kind, pk in made["targets"].items():
        target = Target.objects.get(pk=pk)
        assert target.kind == kind and target.archived_at is None
        assert target.sort_key == keys.sort_key(target.kind, target.value) != ""
        assert (target.address_first, target.address_last) == keys.address_span(
            target.kind, target.value
        )
    span = Target.objects.get(pk=made["targets"]["range"])
    assert span.address_first < span.address_last
    # The target list's search by an address inside a range, and its numeric
    # order, work on the upgraded rows.
    found = selection.target_matching(Target.objects.all(), "198.51.100.9")
    assert list(found.values_list("pk", flat=True)) == [span.pk]
    assert list(Target.objects.values_list("kind", flat=True)) == sorted(
        ["address", "range", "domain"],
        key=lambda kind: keys.sort_key(kind, Target.objects.get(kind=kind).value),
    )
