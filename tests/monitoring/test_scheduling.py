"""Scheduling under load: batches sized by lookups, totals known when queued,
manual checks standing for scheduled ones, spread additions, a steady grid."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from blcheck.monitoring import selectors, services
from blcheck.monitoring.models import Blocklist, CheckRun, Target
from blcheck.monitoring.targets import BulkRow, parse_target
from tests.conftest import LISTED_IP
from tests.factories import TargetFactory
from tests.support.checks import check_run
from tests.support.html import parse

pytestmark = pytest.mark.django_db

T = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def batches(callbacks):
    return [list(c.args[0]) for c in callbacks]


def lookups(batch):
    return sum(max(r.total, 1) for r in CheckRun.objects.filter(pk__in=batch))


def bulk_rows(values):
    return [
        BulkRow(line=n, target=parse_target(v, max_range_size=256))
        for n, v in enumerate(values, start=1)
    ]


def dispatch_at(moments):
    """Beat's ticks at these moments: the scheduled runs each tick made."""
    made = []
    for moment in moments:
        with time_machine.travel(moment, tick=False):
            made.append(services.run_dispatch_due())
    return made


def minutes(first, last):
    """A tick a minute, T + first to T + last minutes."""
    return [T + timedelta(minutes=m) for m in range(first, last + 1)]


# --- batches sized by lookups ----------------------------------------------------


def test_batches_hold_at_most_the_lookups_allowed(
    settings, test_blocklists, django_capture_on_commit_callbacks
):
    settings.BATCH_LOOKUPS, settings.DISPATCH_BATCH = 10, 50
    targets = [
        TargetFactory(value="192.0.2.1"),  # 1 x 2 lists
        TargetFactory(value="192.0.2.2"),
        TargetFactory(value="198.51.100.0/30", kind="range"),  # 4 x 2
        TargetFactory(value="198.51.100.8/29", kind="range"),  # 8 x 2: alone
        TargetFactory(value="192.0.2.3"),
        TargetFactory(value="192.0.2.4"),
    ]
    with django_capture_on_commit_callbacks() as callbacks:
        runs = services.run_create(targets=targets, by=None, trigger="schedule")
    ids = [run.pk for run in runs]
    assert batches(callbacks) == [ids[0:2], ids[2:3], ids[3:4], ids[4:6]]
    assert [lookups(b) for b in batches(callbacks)] == [4, 8, 16, 4]
    # With ids only (run_recover_stalled), the totals are read: same batches.
    with django_capture_on_commit_callbacks() as again:
        services.run_enqueue(ids)
    assert batches(again) == batches(callbacks)


def test_a_batch_still_holds_at_most_dispatch_batch_runs(
    settings, test_blocklists, django_capture_on_commit_callbacks
):
    settings.BATCH_LOOKUPS, settings.DISPATCH_BATCH = 20000, 3
    targets = [TargetFactory(value=f"192.0.2.{n}") for n in range(1, 8)]
    with django_capture_on_commit_callbacks() as callbacks:
        services.run_create(targets=targets, by=None, trigger="schedule")
    assert [len(b) for b in batches(callbacks)] == [3, 3, 1]


# --- totals known when queued ------------------------------------------------------


@pytest.fixture
def kinds_of_lists(test_blocklists):
    """good: IPv4 and domains; second: IPv4 only."""
    Blocklist.objects.filter(zone="good.dnsbl.test").update(has_domains=True)
    return test_blocklists


@pytest.mark.dns
def test_totals_are_known_when_queued_and_agree_with_the_run(kinds_of_lists):
    pool = TargetFactory(value="192.0.2.64/29", kind="range")  # 8 addresses
    TargetFactory(value=LISTED_IP)  # .66, owned by itself
    TargetFactory(value="192.0.2.68")  # starts where the /30 below does
    TargetFactory(value="192.0.2.68/30", kind="range")  # 4 owned by it
    TargetFactory(value="192.0.2.69")  # inside the /30: not counted twice
    TargetFactory(value="192.0.2.70", is_enabled=False)  # owns nothing
    domain = TargetFactory(value="mail.example.com", kind="domain")
    runs = services.run_create(targets=[pool, domain], by=None, trigger="manual")
    # 8 - 1 - 4 = 3 addresses x 2 lists; one domain x 1 list.
    assert [run.total for run in runs] == [6, 1]
    for run in runs:
        done = check_run(run)
        assert done is not None
        assert (done.status, done.total, done.done) == (
            "finished",
            run.total,
            run.total,
        )


@pytest.mark.dns
def test_group_progress_counts_the_queued_runs(client, manager, test_blocklists):
    targets = [
        TargetFactory(value="192.0.2.1"),
        TargetFactory(value="192.0.2.2"),
        TargetFactory(value="192.0.2.3"),
        TargetFactory(value="198.51.100.0/30", kind="range"),
    ]
    runs = services.run_create(targets=targets, by=None, trigger="manual")
    assert check_run(runs[0]) is not None  # 2 of 2 + 2 + 2 + 8 lookups
    progress = selectors.run_group_progress(runs[0].group)
    assert (progress["done"], progress["total"], progress["active"]) == (2, 14, 3)
    client.force_login(manager)
    url = reverse("monitoring:group-progress", args=[runs[0].group])
    page = parse(client.get(url, HTTP_HX_REQUEST="true").content)
    assert "2 of 14 lookups" in page.text
    assert page.find("progress")["value"] == "14"  # 2/14, not 2/2


# --- manual checks stand for scheduled ones --------------------------------------


def test_a_manual_check_never_pushes_the_next_one_two_intervals_away():
    target = TargetFactory(check_interval_minutes=60, next_check_at=T)
    with time_machine.travel(T + timedelta(seconds=30), tick=False):
        services.target_request_check(target=target, by=None)
    target.refresh_from_db()
    assert target.next_check_at == T + timedelta(minutes=60)


def test_a_manual_check_moves_the_next_scheduled_check():
    target = TargetFactory(
        check_interval_minutes=60, next_check_at=T + timedelta(minutes=10)
    )
    with time_machine.travel(T, tick=False):
        services.target_request_check(target=target, by=None)
    target.refresh_from_db()
    # At least half an interval after the manual check, on its own grid.
    assert target.next_check_at == T + timedelta(minutes=70)
    assert sum(dispatch_at(minutes(0, 69))) == 0
    assert dispatch_at([T + timedelta(minutes=70)]) == [1]


def test_bulk_add_then_check_everything_makes_one_run_per_target(client, it_staff):
    with time_machine.travel(T, tick=False):
        services.target_bulk_create(
            rows=bulk_rows(f"192.0.2.{n}" for n in range(1, 31)),
            by=None,
            default_interval=60,
        )
        client.force_login(it_staff)
        client.post(
            reverse("monitoring:target-bulk-action"), {"action": "check", "count": 30}
        )
    assert CheckRun.objects.filter(trigger="manual").count() == 30
    # Half an hour after "check everything": no scheduled run repeats it.
    assert sum(dispatch_at(minutes(0, 29))) == 0
    # The next hour: each target comes round once, still spread.
    assert max(made := dispatch_at(minutes(30, 89))) == 1 and sum(made) == 30


# --- targets added together are spread -------------------------------------------


def test_bulk_added_targets_are_spread_over_their_interval():
    with time_machine.travel(T, tick=False):
        targets = services.target_bulk_create(
            rows=bulk_rows(f"192.0.2.{n}" for n in range(1, 121)),
            by=None,
            default_interval=60,
        )
    due = sorted(t.next_check_at for t in Target.objects.all())
    assert len(targets) == 120 and due[0] == T and due[-1] < T + timedelta(hours=1)
    # A tick a minute for the hour: two or three a tick, never all 120 at once.
    made = dispatch_at([moment + timedelta(seconds=59) for moment in minutes(-1, 59)])
    assert max(made) <= 3 and sum(made) == 120


def test_a_single_added_target_is_checked_at_once():
    with time_machine.travel(T, tick=False):
        alone = services.target_bulk_create(rows=bulk_rows(["192.0.2.1"]), by=None)
        target = services.target_create(
            parsed=parse_target("192.0.2.2", max_range_size=8), label="", by=None
        )
        assert services.run_dispatch_due() == 2
    assert alone[0].next_check_at == target.next_check_at == T


# --- the next check comes from the due time --------------------------------------


def test_five_minutes_come_round_every_five_minutes_with_a_late_dispatcher():
    target = TargetFactory(check_interval_minutes=5, next_check_at=T)
    # Beat ticks each minute, its task run 20 s or 2 s late by turns.
    late = [
        m + timedelta(seconds=20 if i % 2 == 0 else 2)
        for i, m in enumerate(minutes(0, 29))
    ]
    made = dispatch_at(late)
    assert sum(made) == 6  # due at :00, :05, ... :25, not every 6 minutes
    assert [i for i, n in enumerate(made) if n] == [0, 5, 10, 15, 20, 25]
    target.refresh_from_db()
    assert target.next_check_at == T + timedelta(minutes=30)


def test_a_dispatcher_down_for_a_while_takes_the_next_slot_on_the_grid():
    target = TargetFactory(check_interval_minutes=5, next_check_at=T)
    with time_machine.travel(T + timedelta(minutes=17), tick=False):
        assert services.run_dispatch_due() == 1  # one run, not three
    target.refresh_from_db()
    assert target.next_check_at == T + timedelta(minutes=20)


# --- on the real worker -----------------------------------------------------------


@pytest.mark.worker
@pytest.mark.dns
@pytest.mark.django_db(transaction=True)
def test_lookup_sized_batches_finish_every_run_on_the_worker(
    settings, celery_worker, test_blocklists
):
    settings.BATCH_LOOKUPS = 20
    targets = [
        TargetFactory(value="198.51.100.0/29", kind="range"),
        TargetFactory(value="198.51.100.16/28", kind="range"),  # 32: alone
        TargetFactory(value=LISTED_IP),
    ]
    runs = services.run_create(targets=targets, by=None, trigger="manual")
    queued = {run.pk: run.total for run in runs}
    deadline = time.monotonic() + 30
    group = CheckRun.objects.filter(group=runs[0].group)
    while group.filter(status__in=["queued", "running"]).exists():
        assert time.monotonic() < deadline, "runs still active after 30 s"
        time.sleep(0.1)
    assert {r.pk: (r.status, r.done) for r in group} == {
        pk: ("finished", total) for pk, total in queued.items()
    }
    assert queued == {runs[0].pk: 16, runs[1].pk: 32, runs[2].pk: 2}
