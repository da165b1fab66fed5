"""One Listing per (list, subject), kept under the subject's owner.

An address inside two monitored targets is asked by its owner only
(blcheck.monitoring.overlap), and its Listing row, with its history, follows
the owner: an address target added inside a checked range takes the range's
row over; when it is disabled, the range takes it back. Rows recorded twice
before owners existed (one per target) are merged into one on the address's
next check, so every episode counts once.

Two runs may record the same (list, subject) at once (an address's own run
and a case's run on its range, or two workers): listing_apply holds the
subjects first (listing_lock), so the second reads what the first wrote.
"""

import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from django.db import OperationalError, connection, transaction
from django.db.models import Model

from blcheck.monitoring import overlap
from blcheck.monitoring.models import Listing, ListingChange, Lookup

Key = tuple[int, str]  # (blocklist id, subject)
NEVER_ENDED = datetime.max.replace(tzinfo=UTC)

# PostgreSQL advisory locks (namespace, bucket): a subject's bucket is held
# from reading its rows to the end of the transaction. Buckets bound the locks
# one transaction takes (the server's lock table is shared and finite); two
# subjects in one bucket only wait for each other.
LOCK_NAMESPACE = 0x626C6C73  # "blls"
LOCK_BUCKETS = 256
ATTEMPTS = 3  # a deadlock with another writer is retried, then raised
RETRYABLE = {"40001", "40P01"}  # serialization failure, deadlock detected


def listing_lock(*, subjects: Iterable[str]) -> None:
    """Hold these subjects' listings until the transaction ends: another
    writer of the same subjects waits, then reads what this one wrote. One
    query, buckets in one order for everyone, so two writers never deadlock
    on them. SQLite needs none: it lets one writer in at a time."""
    if connection.vendor != "postgresql":
        return
    buckets = sorted({zlib.crc32(s.encode()) % LOCK_BUCKETS for s in subjects})
    if not buckets:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(%s, b))"
            " FROM (SELECT unnest(%s::integer[]) AS b ORDER BY b) AS held",
            [LOCK_NAMESPACE, buckets],
        )


def listing_rows_owned(
    *, keys: set[Key], target_ids: set[int]
) -> tuple[dict[Key, Listing], dict[str, int]]:
    """The Listing of each (list, subject) wherever it is, moved to the
    subject's owner, duplicates merged; and the owner's id per subject (for
    rows still to create). target_ids: the targets of the lookups. Two
    queries, more only for duplicates left from before."""
    subjects = {subject for _, subject in keys}
    cover = overlap.cover_of_subjects(subjects)
    owners = {s: span.pk for s in subjects if (span := cover.owner(s))}
    groups: dict[Key, list[Listing]] = defaultdict(list)
    for row in Listing.objects.filter(
        target_id__in=target_ids | cover.pks,
        blocklist_id__in={blocklist for blocklist, _ in keys},
        subject__in=subjects,
    ).order_by("pk"):
        if (row.blocklist_id, row.subject) in keys:
            groups[(row.blocklist_id, row.subject)].append(row)
    rows: dict[Key, Listing] = {}
    moved: list[Listing] = []
    merges: list[tuple[Listing, list[Listing]]] = []
    for key, group in groups.items():
        owner = owners.get(key[1])
        keeper = _keeper(group, owner)
        if len(group) > 1:
            merges.append((keeper, [row for row in group if row is not keeper]))
        if owner is not None and keeper.target_id != owner:
            keeper.target_id = owner
            moved.append(keeper)
        rows[key] = keeper
    listing_merge(merges=merges)  # first: a moved row may take a merged one's place
    Listing.objects.bulk_update(moved, ["target"])
    return rows, owners


def _keeper(group: list[Listing], owner: int | None) -> Listing:
    """The owner's row, else the one that changed last."""
    for row in group:
        if row.target_id == owner:
            return row
    return max(group, key=lambda row: (row.last_changed_at, -row.pk))


# --- rows recorded twice before owners existed ------------------------------


def _overlapping(a: ListingChange, b: ListingChange) -> bool:
    return a.at < (b.ended_at or NEVER_ENDED) and b.at < (a.ended_at or NEVER_ENDED)


def listing_merge(*, merges: list[tuple[Listing, list[Listing]]]) -> None:
    """Fold each keeper's duplicates into it and delete them. A duplicate's
    episode that overlaps one of the keeper's is the same episode seen by two
    targets: dropped, whatever pointed at it (a case) now points at the
    keeper's. One only the duplicate saw moves over, with its clearing; an
    open one makes the keeper listed, so the answer being applied ends it or
    not. A fixed number of queries for all of them."""
    if not merges:
        return
    keeper_of = {row.pk: keeper for keeper, rows in merges for row in rows}
    keepers = {keeper.pk: keeper for keeper, _ in merges}
    episodes: dict[int, list[ListingChange]] = defaultdict(list)
    runs: dict[int, set[tuple[int | None, str]]] = defaultdict(set)
    theirs = []
    for change in ListingChange.objects.filter(
        listing_id__in=[*keeper_of, *keepers]
    ).order_by("at", "pk"):
        if change.listing_id in keepers:
            runs[change.listing_id].add((change.run_id, change.kind))
            if change.kind == ListingChange.Kind.LISTED:
                episodes[change.listing_id].append(change)
        else:
            theirs.append(change)
    twins, moved = _sort_out(theirs, keeper_of, episodes, runs)
    ListingChange.objects.bulk_update(moved, ["listing"])
    _repoint(twins)
    Listing.objects.filter(pk__in=keeper_of).delete()  # and the dropped changes
    for keeper in keepers.values():
        keeper.change_count += sum(1 for c in moved if c.listing_id == keeper.pk)
    Listing.objects.bulk_update(
        keepers.values(),
        ["is_listed", "codes", "reason", "listed_since", "change_count"],
    )


def _sort_out(
    theirs: list[ListingChange],
    keeper_of: dict[int, Listing],
    episodes: dict[int, list[ListingChange]],
    runs: dict[int, set[tuple[int | None, str]]],
) -> tuple[dict[int, int], list[ListingChange]]:
    """(dropped episode -> the keeper's twin, changes to move), in time order."""
    dropped: set[int] = set()
    twins: dict[int, int] = {}
    moved: list[ListingChange] = []
    ended = {
        (c.listing_id, c.ended_at): c
        for c in theirs
        if c.kind == ListingChange.Kind.LISTED and c.ended_at is not None
    }
    for change in theirs:
        keeper = keeper_of[change.listing_id]
        if change.kind == ListingChange.Kind.LISTED:
            twin = next(
                (e for e in episodes[keeper.pk] if _overlapping(e, change)), None
            )
            if twin is not None:
                dropped.add(change.pk)
                twins[change.pk] = twin.pk
                continue
            episodes[keeper.pk].append(change)
            if change.ended_at is None and not keeper.is_listed:
                keeper.is_listed, keeper.listed_since = True, change.at
                keeper.codes, keeper.reason = change.codes, change.reason
        else:
            start = ended.get((change.listing_id, change.at))
            if start is not None and start.pk in dropped:
                continue
        if (
            change.run_id is not None
            and (change.run_id, change.kind) in runs[keeper.pk]
        ):
            continue  # (listing, run, kind) is unique: already there
        runs[keeper.pk].add((change.run_id, change.kind))
        change.listing_id = keeper.pk
        moved.append(change)
    return twins, moved


def _repoint(twins: dict[int, int]) -> None:
    """Rows of other apps that point at a dropped episode (a case's episode)
    point at its twin. Found through the model's relations, as Django's own
    deletion does, so monitoring imports nothing from the apps above it."""
    if not twins:
        return
    for relation in ListingChange._meta.related_objects:
        model = relation.related_model
        if not relation.one_to_many or not isinstance(model, type):
            continue
        column = relation.field.attname
        found: list[Model] = list(
            model._default_manager.filter(
                **{f"{relation.field.name}__in": list(twins)}
            ).only("pk", column)
        )
        for row in found:
            setattr(row, column, twins[getattr(row, column)])
        model._default_manager.bulk_update(found, [relation.field.name])


# --- applying a step's answers ---------------------------------------------


def listing_apply(*, lookups: Sequence[Lookup], now: datetime) -> None:
    """Move each (list, subject) to what its lookup says; log every flip.

    One Listing per (list, subject), under the subject's owner, whichever
    target's run asked (a case's run on a range): listing_rows_owned finds it
    under any target and moves it, with its history, when the owner changed.
    An error changes nothing but last_error: the last known state stands.
    Unchanged listings are not written: a sweep rewrites nothing that did not
    change. An answer older than the listing's last flip (another run's,
    recorded first) is stale and changes nothing.

    Safe with other runs recording the same subjects at once: the subjects
    are held (listing_lock) before their rows are read, until the caller's
    transaction ends; a deadlock with another writer is retried from a
    savepoint.
    """
    if not lookups:
        return
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with transaction.atomic():
                listing_lock(subjects={x.subject for x in lookups})
                _apply_all(lookups, now)
            return
        except OperationalError as error:
            code = getattr(error.__cause__, "sqlstate", None)
            if attempt == ATTEMPTS or code not in RETRYABLE:
                raise


def _apply_all(lookups: Sequence[Lookup], now: datetime) -> None:
    existing, owners = listing_rows_owned(
        keys={(x.blocklist_id, x.subject) for x in lookups},
        target_ids={x.target_id for x in lookups},
    )
    new: list[Listing] = []
    dirty: dict[int, Listing] = {}
    flips = []
    for lookup in lookups:
        key = (lookup.blocklist_id, lookup.subject)
        listing = existing.get(key)
        if listing is None:
            listing = existing[key] = Listing(
                target_id=owners.get(lookup.subject, lookup.target_id),
                blocklist_id=key[0],
                subject=key[1],
                last_changed_at=now,
            )
            new.append(listing)
        changed, flip = _apply(listing, lookup, now)
        if flip is not None:
            flips.append((listing, flip, lookup))
        if listing.pk is not None and changed:
            dirty[listing.pk] = listing
    Listing.objects.bulk_create(new)
    Listing.objects.bulk_update(list(dirty.values()), LISTING_STATE_FIELDS)
    ListingChange.objects.bulk_create(
        [
            ListingChange(
                listing=listing,
                blocklist_id=listing.blocklist_id,
                kind=kind,
                at=now,
                run_id=lookup.run_id,
                codes=lookup.codes,
                reason=lookup.reason,
            )
            for listing, kind, lookup in flips
        ],
        ignore_conflicts=True,
    )
    cleared = [x.pk for x, kind, _ in flips if kind == ListingChange.Kind.CLEARED]
    if cleared:
        ListingChange.objects.filter(
            listing_id__in=cleared,
            kind=ListingChange.Kind.LISTED,
            ended_at__isnull=True,
            at__lt=now,
        ).update(ended_at=now)


LISTING_STATE_FIELDS = [
    "is_listed",
    "codes",
    "reason",
    "listed_since",
    "last_changed_at",
    "last_error",
    "change_count",
]


def _apply(listing: Listing, lookup: Lookup, now: datetime) -> tuple[bool, str | None]:
    """Update one listing in memory: (anything besides the check time changed, flip)."""
    if now < listing.last_changed_at:
        return False, None  # stale: a newer answer flipped it already
    if lookup.verdict == Lookup.Verdict.ERROR:
        changed = listing.last_error != lookup.error
        listing.last_error = lookup.error
        return changed, None
    is_listed = lookup.verdict == Lookup.Verdict.LISTED
    changed = bool(listing.last_error)
    listing.last_error = ""
    if is_listed and (listing.codes, listing.reason) != (lookup.codes, lookup.reason):
        listing.codes, listing.reason = lookup.codes, lookup.reason
        changed = True
    if is_listed == listing.is_listed and not (
        is_listed and listing.listed_since is None
    ):
        return changed, None
    listing.is_listed = is_listed
    listing.listed_since = now if is_listed else None
    listing.last_changed_at = now
    listing.change_count += 1
    return True, ListingChange.Kind.LISTED if is_listed else ListingChange.Kind.CLEARED
