"""Two runs of overlapping targets recording the same (list, subject) at once.

Each round, two threads with their own database connections record the same
answers for 198.51.100.5 (the address's own run, and a run on
198.51.100.0/28 that asks it too, as a case's run does), released together
by a barrier, each inside its own transaction as a check step records. The
answers flip every round, a new list joins every round (a row both want to
create), and between rounds the address target is switched off and on, so
its rows move between the address and the range. On PostgreSQL (when
DATABASE_URL points at one) the two really overlap; on SQLite the writers
queue. Afterwards each (list, subject) has one Listing, under its owner, with
one change per flip: none lost, none doubled.
"""

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from blcheck.monitoring.models import (
    Blocklist,
    CheckRun,
    Listing,
    ListingChange,
    Lookup,
    Target,
)
from blcheck.monitoring.services import listing_apply
from blcheck.monitoring.services.listings import listing_lock
from tests.factories import CheckRunFactory, TargetFactory

ADDRESS = "198.51.100.5"
RANGE = "198.51.100.0/28"
ROUNDS = 24
LISTS = 4
LISTED = ListingChange.Kind.LISTED
CLEARED = ListingChange.Kind.CLEARED

pytestmark = pytest.mark.django_db(transaction=True)


def together(*jobs: Callable[[], None]) -> list[BaseException]:
    """Run the jobs in threads released at once; the errors they raised."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def worker(job: Callable[[], None]) -> None:
        try:
            barrier.wait(timeout=30)
            job()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    return errors


def record(run: CheckRun, lists: list[Blocklist], *, listed: bool) -> Callable:
    """What a check step does with its answers: the lookups and the listings
    they move, in one transaction."""

    def job() -> None:
        now = timezone.now()
        lookups = [
            Lookup(
                run=run,
                target_id=run.target_id,
                blocklist=blocklist,
                subject=ADDRESS,
                query_name=f"5.100.51.198.{blocklist.zone}",
                verdict=Lookup.Verdict.LISTED if listed else Lookup.Verdict.NOT_LISTED,
                codes=["127.0.0.2"] if listed else [],
                checked_at=now,
            )
            for blocklist in lists
        ]
        with transaction.atomic():
            Lookup.objects.bulk_create(lookups)
            listing_apply(lookups=lookups, now=now)

    return job


def new_list(n: int) -> Blocklist:
    return Blocklist.objects.create(zone=f"conc{n}.dnsbl.test", name=f"Conc{n}")


@pytest.mark.parametrize("moving", [False, True], ids=["flips", "new-rows-moving"])
def test_overlapping_runs_recording_at_once_keep_one_row_and_every_flip_once(moving):
    """flips: the rows exist, both runs see the same flip each round.
    new-rows-moving: also a new list each round (a row both want to create)
    and the owner switched between the address and the range."""
    address = TargetFactory(value=ADDRESS)
    the_range = TargetFactory(value=RANGE, kind=Target.Kind.RANGE)
    lists = [new_list(n) for n in range(LISTS)]
    seed = CheckRunFactory(target=the_range)
    record(seed, lists, listed=False)()  # the rows, never listed yet
    joined: dict[int, int] = {}  # list -> the round it joined
    errors: list[BaseException] = []
    for round_ in range(ROUNDS):
        if moving:
            lists.append(new_list(LISTS + round_))
            joined[lists[-1].pk] = round_
            address.is_enabled = round_ % 3 != 2  # owner: the address, or the range
            address.save(update_fields=["is_enabled"])
        runs = [CheckRunFactory(target=address), CheckRunFactory(target=the_range)]
        listed = round_ % 2 == 0
        errors += together(*(record(run, lists, listed=listed) for run in runs))
    assert errors == []

    owner = address if address.is_enabled else the_range
    rows = list(Listing.objects.filter(subject=ADDRESS))
    assert sorted(row.blocklist_id for row in rows) == sorted(x.pk for x in lists)
    assert {row.target_id for row in rows} == {owner.pk}
    for row in rows:
        flips = list(ListingChange.objects.filter(listing=row).order_by("at", "pk"))
        # a list that joined on round r saw its first answer then: a flip to
        # listed on even rounds, nothing on odd ones (never listed yet)
        first = joined.get(row.blocklist_id, 0)
        expected = ROUNDS - first - (first % 2)
        assert [x.kind for x in flips] == [LISTED, CLEARED] * (expected // 2), (
            row.blocklist_id
        )
        assert row.change_count == expected
        assert row.is_listed is False  # the last round (odd) said not listed
        opened = [x for x in flips if x.kind == LISTED]
        assert [x.ended_at for x in opened] == [
            x.at for x in flips if x.kind == CLEARED
        ]
        assert all(x.at < x.ended_at for x in opened)


def test_an_answer_older_than_the_last_flip_changes_nothing():
    """Recorded in the order the runs got in, not the order they asked: the
    later answer, recorded first, stands."""
    address = TargetFactory(value=ADDRESS)
    (blocklist,) = lists = [new_list(0)]
    older, newer = CheckRunFactory(target=address), CheckRunFactory(target=address)
    then = timezone.now()

    def answer(run: CheckRun, *, listed: bool, at) -> Lookup:
        return Lookup(
            run=run,
            target_id=address.pk,
            blocklist=blocklist,
            subject=ADDRESS,
            verdict=Lookup.Verdict.LISTED if listed else Lookup.Verdict.NOT_LISTED,
            codes=["127.0.0.2"] if listed else [],
            checked_at=at,
        )

    record(CheckRunFactory(target=address), lists, listed=False)()
    listing_apply(
        lookups=[answer(newer, listed=True, at=then)], now=then + timedelta(seconds=1)
    )
    listing_apply(lookups=[answer(older, listed=False, at=then)], now=then)
    (row,) = Listing.objects.filter(subject=ADDRESS)
    assert row.is_listed is True
    assert row.change_count == 1
    (flip,) = ListingChange.objects.filter(listing=row)
    assert (flip.kind, flip.run_id, flip.ended_at) == (LISTED, newer.pk, None)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite lets one writer in at a time"
)
def test_a_deadlock_with_another_writer_is_retried_not_raised():
    """Another writer holds the Listing row, then wants the subject that
    listing_apply holds while it waits for that row: PostgreSQL breaks the
    cycle by failing one of them. If listing_apply is the one, it retries
    once the other is through; the flip is recorded once either way."""
    address = TargetFactory(value=ADDRESS)
    lists = [new_list(0)]
    record(CheckRunFactory(target=address), lists, listed=False)()
    (row,) = Listing.objects.filter(subject=ADDRESS)
    holding = threading.Event()

    def other_writer() -> None:
        try:
            with transaction.atomic():
                Listing.objects.select_for_update().get(pk=row.pk)
                holding.set()
                time.sleep(0.3)  # listing_apply holds the subject by now
                listing_lock(subjects=[ADDRESS])
        except OperationalError as error:  # the one PostgreSQL chose to fail
            assert getattr(error.__cause__, "sqlstate", None) == "40P01"

    def applying() -> None:
        assert holding.wait(timeout=30)
        run = CheckRun.objects.create(target=address, trigger=CheckRun.Trigger.MANUAL)
        record(run, lists, listed=True)()

    assert together(other_writer, applying) == []
    row.refresh_from_db()
    assert (row.is_listed, row.change_count) == (True, 1)
    assert ListingChange.objects.filter(listing=row, kind=LISTED).count() == 1
