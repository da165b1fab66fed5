"""Notices wait for the notification window, then go out as one message.

A run that changed a listing or failed leaves a PendingNotice in its own
transaction; a list that turns unhealthy leaves one too. Beat's
flush_notices (every minute) sends everything pending once the oldest notice
is BLCHECK_NOTIFY_WINDOW_MINUTES old: one message per recipient, in their
language, then the notices are deleted. What the message says is read at
that moment from the runs' ListingChange rows, so the history stays the one
record of what changed. Within a batch:

- a listing that flipped and flipped back (listed, then cleared again) is no
  alert: it is mentioned only in a message that goes out anyway;
- a list that turned unhealthy and whose latest probe is healthy again is
  mentioned the same way;
- when the remaining listings and clearings touch fewer lists than
  BLCHECK_NOTIFY_MIN_LISTS and no check failed and no list turned unhealthy,
  nothing is sent (the weekly digest and the history still show them).

A flush claims its notices with one conditional UPDATE, so two flushes never
send the same notice; a claim older than CLAIM_TIMEOUT is a flush that died,
and its notices are taken again.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Min, Q
from django.utils import timezone

from blcheck.monitoring.models import (
    Blocklist,
    CheckRun,
    ListingChange,
    PendingNotice,
)
from blcheck.monitoring.services.alerts import alert_message
from blcheck.monitoring.services.notifications import (
    Audience,
    notification_send_each,
)

CLAIM_TIMEOUT = timedelta(minutes=5)
LISTED = ListingChange.Kind.LISTED


@dataclass(frozen=True)
class Flip:
    """One listing's net change in the batch."""

    change: ListingChange  # with listing__target and blocklist
    since: datetime | None = None  # a clearing: when the episode began


@dataclass(frozen=True)
class Turn:
    """A list that turned unhealthy: its probes' verdict (a Blocklist.Health)."""

    blocklist: Blocklist
    health: str
    at: datetime


@dataclass
class Batch:
    """What one flush has to tell."""

    flips: list[Flip] = field(default_factory=list)
    # Flipped and flipped back within the batch: each listing's changes.
    flapped: list[list[ListingChange]] = field(default_factory=list)
    failed: list[CheckRun] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    recovered: list[Turn] = field(default_factory=list)  # healthy again since

    @property
    def lists(self) -> set[int]:
        """The lists the batch's alerted listings and clearings are on."""
        return {flip.change.blocklist_id for flip in self.flips}

    def is_alert(self, *, min_lists: int) -> bool:
        """Whether the batch pages anyone (see the module's docstring)."""
        if self.failed or self.turns:
            return True
        return bool(self.flips) and len(self.lists) >= min_lists


def notice_record_run(*, run_id: int) -> None:
    """The run changed a listing or failed: tell people when the window
    closes. Call inside the run's transaction; a second call is a no-op."""
    PendingNotice.objects.bulk_create(
        [PendingNotice(run_id=run_id, created_at=timezone.now())],
        ignore_conflicts=True,
    )


def notice_record_health(*, turned: Sequence[Sequence[str]]) -> None:
    """Lists that turned unhealthy: [zone, Blocklist.Health value] pairs."""
    health = dict((zone, value) for zone, value in turned)
    now = timezone.now()
    PendingNotice.objects.bulk_create(
        [
            PendingNotice(
                blocklist=blocklist, health=health[blocklist.zone], created_at=now
            )
            for blocklist in Blocklist.objects.filter(zone__in=health)
        ]
    )


def notice_flush(*, now: datetime | None = None) -> int:
    """Send the pending notices as one message per recipient once the oldest
    is a window old; returns how many e-mails and webhook posts arrived."""
    now = now or timezone.now()
    free = Q(claimed_by="") | Q(claimed_at__lt=now - CLAIM_TIMEOUT)
    oldest = PendingNotice.objects.filter(free).aggregate(first=Min("created_at"))
    window = timedelta(minutes=settings.NOTIFY_WINDOW_MINUTES)
    if oldest["first"] is None or oldest["first"] > now - window:
        return 0
    token = uuid.uuid4().hex
    PendingNotice.objects.filter(free, created_at__lte=now).update(
        claimed_by=token, claimed_at=now
    )
    claimed = PendingNotice.objects.filter(claimed_by=token)
    batch = notice_batch(list(claimed.select_related("blocklist")))
    reached = 0
    if batch.is_alert(min_lists=settings.NOTIFY_MIN_LISTS):
        reached = notification_send_each(
            audience=Audience.ALERTS, render=lambda: alert_message(batch, now=now)
        )
    claimed.delete()
    return reached


def notice_batch(notices: Sequence[PendingNotice]) -> Batch:
    """What the notices amount to, read from the runs' history rows."""
    batch = Batch()
    run_ids = [notice.run_id for notice in notices if notice.run_id]
    _add_changes(batch, run_ids)
    batch.failed = list(
        CheckRun.objects.select_related("target")
        .filter(pk__in=run_ids, status=CheckRun.Status.FAILED)
        .order_by("target__value", "pk")
    )
    latest: dict[int, PendingNotice] = {}
    for notice in notices:
        if notice.blocklist is not None:
            latest[notice.blocklist.pk] = notice  # notices come oldest first
    for notice in latest.values():
        assert notice.blocklist is not None
        turn = Turn(notice.blocklist, notice.health, notice.created_at)
        healthy = notice.blocklist.is_healthy  # as the latest probe found it
        (batch.recovered if healthy else batch.turns).append(turn)
    return batch


def _add_changes(batch: Batch, run_ids: Sequence[int]) -> None:
    changes = (
        ListingChange.objects.filter(run_id__in=run_ids)
        .select_related("listing__target", "blocklist")
        .order_by("at", "pk")
    )
    per_listing: dict[int, list[ListingChange]] = defaultdict(list)
    for change in changes:
        per_listing[change.listing_id].append(change)
    for steps in per_listing.values():
        if len(steps) % 2 == 0:  # back where it started
            batch.flapped.append(steps)
        else:
            batch.flips.append(Flip(steps[-1]))
    batch.flips = _with_episode_starts(batch.flips)
    batch.flips.sort(key=_order)
    batch.flapped.sort(key=lambda steps: _order(Flip(steps[0])))


def _with_episode_starts(flips: list[Flip]) -> list[Flip]:
    """A clearing ends an episode: find when each began (one query)."""
    cleared = [f.change for f in flips if f.change.kind != LISTED]
    if not cleared:
        return flips
    began = {
        (row.listing_id, row.ended_at): row.at
        for row in ListingChange.objects.filter(
            listing_id__in={c.listing_id for c in cleared},
            kind=LISTED,
            ended_at__in={c.at for c in cleared},
        ).only("listing_id", "ended_at", "at")
    }
    return [
        Flip(f.change, began.get((f.change.listing_id, f.change.at)))
        if f.change.kind != LISTED
        else f
        for f in flips
    ]


def _order(flip: Flip) -> tuple[str, str, str]:
    change = flip.change
    return (change.listing.target.value, change.listing.subject, change.blocklist.name)
