"""Demo cases for seed_demo: one per listing episode, in every kind of state."""

import random
from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from blcheck.cases import workflow
from blcheck.cases.models import CaseEvent, DelistingCase
from blcheck.core.access import IT_STAFF
from blcheck.monitoring.models import ListingChange

Status = DelistingCase.Status
Kind = CaseEvent.Kind
# Demo IT staff who work the cases; they cannot log in (no usable password).
STAFF = (
    ("demo-sato", "Haruka", "Sato"),
    ("demo-suzuki", "Kenji", "Suzuki"),
    ("demo-tanaka", "Aiko", "Tanaka"),
)


def _demo_staff() -> list[User]:
    group, _ = Group.objects.get_or_create(name=IT_STAFF)
    staff = []
    for username, first, last in STAFF:
        user, made = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        if made:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        user.groups.add(group)
        staff.append(user)
    return staff


def demo_cases(*, seed: int) -> int:
    """A case for most listing episodes that have none: cleared ones are closed
    or watched, current ones requested, open or overdue."""
    rng = random.Random(seed)
    now = timezone.now()
    made = 0
    staff = _demo_staff()
    episodes = ListingChange.objects.filter(kind=ListingChange.Kind.LISTED, cases=None)
    with transaction.atomic():
        for episode in episodes.select_related("listing__blocklist").order_by("at"):
            listing = episode.listing
            if rng.random() < 0.25:
                continue  # not every listing gets worked
            cleared = (
                ListingChange.objects.filter(
                    listing=listing, kind=ListingChange.Kind.CLEARED, at__gt=episode.at
                )
                .order_by("at")
                .first()
            )
            if (
                DelistingCase.objects.filter(
                    target_id=listing.target_id,
                    blocklist_id=listing.blocklist_id,
                    subject=listing.subject,
                )
                .exclude(status__in=workflow.ENDED)
                .exists()
            ):
                continue  # one active case per address and list
            _case(episode, cleared, now, rng, staff)
            made += 1
    return made


def _case(  # type: ignore[no-untyped-def]
    episode: ListingChange, cleared: ListingChange | None, now, rng, staff
) -> None:
    listing = episode.listing
    # Most cases are someone's; a few wait for an owner.
    assignee = rng.choice(staff) if rng.random() < 0.85 else None
    opened = episode.at + timedelta(hours=rng.randint(1, 6))
    requested = opened + timedelta(hours=rng.randint(1, 12))
    case = DelistingCase.objects.create(
        target_id=listing.target_id,
        blocklist_id=listing.blocklist_id,
        subject=listing.subject,
        episode=episode,
        assignee=assignee,
        opened_by=assignee,
        method=DelistingCase.Method.FORM,
        # Barracuda's form answers with a BBR number; other lists give none.
        reference=(
            f"BBR2{int(requested.timestamp())}-{rng.randint(10000, 99999)}-"
            f"{rng.randint(100, 999)}"
            if listing.blocklist.reference_pattern.startswith("^BBR")
            else ""
        ),
        requested_at=requested,
        status=Status.REQUESTED,
        removal_due_at=requested + timedelta(hours=48),
    )
    events = [
        (opened, Kind.OPENED, "", Status.OPEN),
        (requested, Kind.REQUESTED, case.reference, Status.REQUESTED),
    ]
    fields: dict[str, object] = {"opened_at": opened}
    if cleared is not None:
        verified = cleared.at + timedelta(minutes=30)
        closed = verified + timedelta(days=30)
        done = closed <= now
        status = Status.CLOSED if done else Status.WATCHING
        fields |= {
            "verified_at": verified,
            "reevaluate_at": closed,
            "closed_at": closed if done else None,
            "next_check_at": None if done else closed,
        }
        events += [
            (verified, Kind.VERIFIED, "", Status.REMOVAL_VERIFIED),
            (verified, Kind.WATCHING, "", Status.WATCHING),
        ]
        if done:
            events.append((closed, Kind.CLOSED, "", Status.CLOSED))
    else:
        overdue = now > requested + timedelta(hours=48)
        status = Status.REQUESTED
        fields |= {"is_overdue": overdue, "next_check_at": now}
        if overdue:
            events.append(
                (requested + timedelta(hours=49), Kind.OVERDUE, "", Status.REQUESTED)
            )
    DelistingCase.objects.filter(pk=case.pk).update(status=status, **fields)
    previous = ""
    for at, kind, detail, to in events:
        CaseEvent.objects.create(
            case=case,
            actor=assignee if kind in (Kind.OPENED, Kind.REQUESTED) else None,
            at=at,
            kind=kind,
            detail=detail,
            from_status=previous,
            to_status=to,
        )
        previous = to
