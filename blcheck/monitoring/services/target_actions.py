"""Writes for working on targets: edit, pause, resume, archive, restore,
delete, and the same on a whole selection at once.

A selection is a queryset (the target list's filter), applied with a few
UPDATEs whatever its size; each changed target gets its audit entry
(django-auditlog's LogEntry, written in bulk, as a save() would have).

Archiving keeps everything (runs, lookups, listings, cases): the target
leaves the schedules and the dashboard, its page stays readable. A target
with an active delisting case is not archived (its case still checks it),
and only a target with no case at all may be deleted. The cases app says
which targets those are (holds_register), as monitoring does not know cases.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from auditlog.models import LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from blcheck.monitoring.models import CheckRun, Tag, Target
from blcheck.monitoring.services.targets import (
    UPDATE_BATCH,
    run_create,
    tag_get_or_create,
)

Hold = Callable[[QuerySet[Target]], QuerySet[Target]]
_HOLDS: dict[str, Hold] = {}

ARCHIVE = "archive"  # a hold on archiving: targets with an active case
DELETE = "delete"  # a hold on deleting: targets with any case

PAUSE = "pause"
RESUME = "resume"
TAG = "tag"
UNTAG = "untag"
CHECK = "check"
RESTORE = "restore"
ACTIONS = (PAUSE, RESUME, TAG, UNTAG, CHECK, ARCHIVE, RESTORE)


def holds_register(action: str, hold: Hold) -> None:
    """Another app names the targets an action must leave alone."""
    _HOLDS[action] = hold


def target_held(targets: QuerySet[Target], action: str) -> QuerySet[Target]:
    """The targets of the selection the action must leave alone."""
    hold = _HOLDS.get(action)
    return hold(targets) if hold else targets.none()


@dataclass
class Outcome:
    """What an action did: the targets changed, those already so, and those
    held back (with an active case, say); `runs` for a check."""

    changed: int = 0
    unchanged: int = 0
    held: int = 0
    runs: list[CheckRun] = field(default_factory=list)


def _audit(pks: Sequence[int], changes: dict[str, object], by: User | None) -> None:
    """One audit entry per changed target, in bulk (an UPDATE bypasses the
    signals django-auditlog listens to)."""
    if not pks:
        return
    kind = ContentType.objects.get_for_model(Target)
    now = timezone.now()
    for start in range(0, len(pks), UPDATE_BATCH):
        chunk = pks[start : start + UPDATE_BATCH]
        values = Target.objects.filter(pk__in=chunk).values_list("pk", "value")
        LogEntry.objects.bulk_create(
            LogEntry(
                content_type=kind,
                object_pk=str(pk),
                object_id=pk,
                object_repr=value,
                action=LogEntry.Action.UPDATE,
                changes=changes,
                actor=by,
                timestamp=now,
            )
            for pk, value in values
        )


def _ids(targets: QuerySet[Target]) -> list[int]:
    return list(targets.order_by().values_list("pk", flat=True))


def _update(
    targets: QuerySet[Target],
    *,
    by: User | None,
    changes: dict[str, object],
    audit: dict[str, object],
) -> int:
    pks = _ids(targets)
    for start in range(0, len(pks), UPDATE_BATCH):
        Target.objects.filter(pk__in=pks[start : start + UPDATE_BATCH]).update(
            **changes
        )
    _audit(pks, audit, by)
    return len(pks)


def _resume(targets: QuerySet[Target], *, by: User | None, restore: bool) -> int:
    """Enable them again, their next checks spread over their intervals (the
    first at once) so a thousand resumed targets do not come due in one tick."""
    now = timezone.now()
    rows = list(
        targets.order_by("sort_key").values_list("pk", "check_interval_minutes")
    )
    moved = [
        Target(
            pk=pk,
            is_enabled=True,
            archived_at=None,
            next_check_at=now + timedelta(minutes=minutes) * i / len(rows),
        )
        for i, (pk, minutes) in enumerate(rows)
    ]
    Target.objects.bulk_update(
        moved, ["is_enabled", "archived_at", "next_check_at"], batch_size=UPDATE_BATCH
    )
    audit: dict[str, object] = {"is_enabled": ["False", "True"]}
    if restore:
        audit["archived_at"] = ["archived", "None"]
    _audit([t.pk for t in moved], audit, by)
    return len(moved)


def target_apply(
    *,
    action: str,
    targets: QuerySet[Target],
    by: User | None,
    tag: str = "",
) -> Outcome:
    """Apply one action to every target of the selection, in one transaction
    (a check's runs are queued after it commits). Raises TagLimitError for a
    tag that cannot be created."""
    outcome = Outcome()
    now = timezone.now()
    with transaction.atomic():
        if action == PAUSE:
            todo = targets.filter(is_enabled=True, archived_at__isnull=True)
            outcome.changed = _update(
                todo,
                by=by,
                changes={"is_enabled": False},
                audit={"is_enabled": ["True", "False"]},
            )
        elif action in (RESUME, RESTORE):
            todo = (
                targets.filter(archived_at__isnull=False)
                if action == RESTORE
                else targets.filter(is_enabled=False, archived_at__isnull=True)
            )
            outcome.changed = _resume(todo, by=by, restore=action == RESTORE)
        elif action == ARCHIVE:
            open_ = targets.filter(archived_at__isnull=True)
            held = target_held(open_, ARCHIVE)
            outcome.held = held.count()
            outcome.changed = _update(
                open_.exclude(pk__in=held.values("pk")),
                by=by,
                changes={"is_enabled": False, "archived_at": now},
                audit={"archived_at": ["None", "archived"]},
            )
        elif action in (TAG, UNTAG):
            outcome.changed = _tag(targets, action=action, name=tag, by=by)
        elif action == CHECK:
            ready = targets.filter(is_enabled=True, archived_at__isnull=True)
            outcome.runs = run_create(
                targets=list(ready.order_by("sort_key")),
                by=by,
                trigger=CheckRun.Trigger.MANUAL,
            )
            outcome.changed = len(outcome.runs)
        else:
            raise ValueError(f"unknown action {action!r}")
        total = targets.count()
        outcome.unchanged = total - outcome.changed - outcome.held
    return outcome


def _tag(targets: QuerySet[Target], *, action: str, name: str, by: User | None) -> int:
    """Add or remove one tag on every target of the selection: rows of the
    through table in bulk, never a query per target."""
    through = Target.tags.through
    if action == TAG:
        (tag,) = tag_get_or_create(names=[name])
        pks = _ids(targets.exclude(tags=tag))
        through.objects.bulk_create(
            (through(target_id=pk, tag_id=tag.pk) for pk in pks),
            batch_size=UPDATE_BATCH,
        )
        operation = "add"
    else:
        found = Tag.objects.filter(name=name).first()
        if found is None:
            return 0
        pks = _ids(targets.filter(tags=found))
        for start in range(0, len(pks), UPDATE_BATCH):
            through.objects.filter(
                tag=found, target_id__in=pks[start : start + UPDATE_BATCH]
            ).delete()
        operation = "delete"
    _audit(
        pks, {"tags": {"type": "m2m", "operation": operation, "objects": [name]}}, by
    )
    return len(pks)


def target_update(
    *,
    target: Target,
    label: str,
    tags: Sequence[str],
    check_interval_minutes: int,
) -> Target:
    """Change what a person may change of a target (its value stays: a new
    address is a new target). A shorter interval brings the next check
    forward so it is never more than one new interval away."""
    with transaction.atomic():
        target.label = label
        if check_interval_minutes != target.check_interval_minutes:
            target.check_interval_minutes = check_interval_minutes
            soonest = timezone.now() + timedelta(minutes=check_interval_minutes)
            if target.next_check_at is None or target.next_check_at > soonest:
                target.next_check_at = soonest
        target.save()  # audited by django-auditlog's signals
        target.tags.set(tag_get_or_create(names=tags))
    return target


def target_delete(*, target: Target) -> bool:
    """Delete a target and its whole history; refused (False) when it has
    any case: archive it instead."""
    with transaction.atomic():
        one = Target.objects.filter(pk=target.pk)
        if target_held(one, DELETE).exists():
            return False
        target.delete()  # audited by django-auditlog's signals
    return True
