"""Demo cases for seed_demo: up to `count` cases on listing episodes, in every
kind of state, each with the timeline the case page words from its events'
evidence (as the case services write it).

Cases are planned per listing, its episodes oldest first, so that at most one
case per (address, list) is still active; they and their events are written
with bulk_create (15,000 cases in seconds).
"""

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from blcheck.cases import workflow
from blcheck.cases.models import CaseEvent, DelistingCase
from blcheck.cases.services.requests import request_snapshot
from blcheck.core.access import IT_STAFF
from blcheck.monitoring.models import Blocklist, ListingChange, Lookup

Status = DelistingCase.Status
Kind = CaseEvent.Kind
Action = workflow.Action
Verdict = Lookup.Verdict
BATCH = 2000
# Demo IT staff who work the cases; they cannot log in (no usable password).
STAFF = (
    ("demo-sato", "Haruka", "Sato"),
    ("demo-suzuki", "Kenji", "Suzuki"),
    ("demo-tanaka", "Aiko", "Tanaka"),
)


@dataclass(frozen=True)
class Episode:
    pk: int
    at: datetime
    ended_at: datetime | None
    target_id: int
    blocklist_id: int
    subject: str


@dataclass
class Plan:
    """One case and its events, before they are written."""

    case: DelistingCase
    events: list[CaseEvent] = field(default_factory=list)
    status: str = Status.OPEN

    def add(
        self,
        at: datetime,
        kind: str,
        *,
        to: str = "",
        by: User | None = None,
        detail: str = "",
        evidence: dict[str, Any] | None = None,
    ) -> None:
        """An event; a `to` status moves the case from the one it was in."""
        moved = bool(to) and to != self.status
        self.events.append(
            CaseEvent(
                at=at,
                kind=kind,
                actor=by,
                detail=detail,
                from_status=self.status if moved else "",
                to_status=to if moved else "",
                evidence=evidence or {},
            )
        )
        if to:
            self.status = to


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


def demo_cases(*, seed: int, count: int) -> int:
    """Up to `count` cases on episodes that have none: cleared ones closed,
    watched, relisted or abandoned; current ones open, requested, overdue,
    awaiting expiry or rejected."""
    rng = random.Random(seed)
    now = timezone.now()
    staff = _demo_staff()
    by_listing: dict[int, list[Episode]] = defaultdict(list)
    rows = (
        ListingChange.objects.filter(kind=ListingChange.Kind.LISTED, cases=None)
        .order_by("listing_id", "at", "pk")
        .values_list(
            "listing_id",
            "pk",
            "at",
            "ended_at",
            "listing__target_id",
            "listing__blocklist_id",
            "listing__subject",
        )
    )
    for listing_id, pk, at, ended_at, target_id, list_id, subject in rows.iterator(
        chunk_size=BATCH
    ):
        episode = Episode(pk, at, ended_at, target_id, list_id, subject)
        by_listing[listing_id].append(episode)
    active = set(
        DelistingCase.objects.exclude(status__in=workflow.ENDED).values_list(
            "target_id", "blocklist_id", "subject"
        )
    )
    lists = {b.pk: b for b in Blocklist.objects.all()}
    listings = sorted(by_listing)
    rng.shuffle(listings)
    plans: list[Plan] = []
    for listing_id in listings:
        if len(plans) >= count:
            break
        episodes = by_listing[listing_id]
        first = episodes[0]
        if (first.target_id, first.blocklist_id, first.subject) in active:
            continue  # one active case per address and list
        plans += _listing_cases(episodes, lists[first.blocklist_id], now, rng, staff)
    plans = plans[:count]
    with transaction.atomic():
        _write(plans)
    return len(plans)


def _listing_cases(  # type: ignore[no-untyped-def]
    episodes: list[Episode], blocklist: Blocklist, now: datetime, rng, staff
) -> list[Plan]:
    """Cases on one listing's episodes: a watched case listed again becomes
    relisted and takes the next episode as its own."""
    plans: list[Plan] = []
    index = 0
    while index < len(episodes):
        episode = episodes[index]
        index += 1
        if rng.random() < 0.2:
            continue  # not every listing gets worked
        plan = _case(episode, blocklist, now, rng, staff)
        plans.append(plan)
        later = episodes[index] if index < len(episodes) else None
        watched_until = plan.case.reevaluate_at
        if (
            later is not None
            and plan.status in (Status.WATCHING, Status.CLOSED)
            and watched_until is not None
            and later.at < watched_until
        ):
            _relisted(plan, later)
            break  # the relisted case covers the next episode and stays active
    return plans


def _case(  # type: ignore[no-untyped-def]
    episode: Episode, blocklist: Blocklist, now: datetime, rng, staff
) -> Plan:
    # Most cases are someone's; a few wait for an owner.
    who = rng.choice(staff) if rng.random() < 0.85 else None
    opened = min(episode.at + timedelta(hours=rng.randint(1, 6)), now)
    plan = Plan(
        DelistingCase(
            target_id=episode.target_id,
            blocklist=blocklist,
            subject=episode.subject,
            episode_id=episode.pk,
            assignee=who,
            opened_by=who,
            opened_at=opened,
            contact_email=settings.ORG_CONTACT_EMAIL,
            contact_phone=settings.ORG_CONTACT_PHONE,
        )
    )
    plan.add(opened, Kind.OPENED, to=Status.OPEN, by=who)
    plan.add(
        opened + timedelta(minutes=5), Kind.CHECKED, **_seen(plan, opened, listed=True)
    )
    action = workflow.Policy(
        delist_method=blocklist.delist_method,
        removal_hours=blocklist.removal_hours,
        expiry_hours=blocklist.expiry_hours,
    ).action
    cleared = episode.ended_at
    if cleared is not None and rng.random() < 0.05:
        _end_by_hand(plan, cleared + timedelta(hours=2), Status.ABANDONED, who)
        return plan
    if cleared is None and rng.random() < 0.12:
        return _still_open(plan, now)
    if action is Action.REQUEST:
        _requested(plan, rng, who, latest=cleared or now)
        if cleared is None and rng.random() < 0.08:
            asked = plan.case.requested_at or opened
            _end_by_hand(
                plan, min(asked + timedelta(days=1), now), Status.REJECTED, who
            )
            return plan
    elif action is Action.WAIT:
        due = opened + timedelta(hours=blocklist.expiry_hours or 48)
        plan.case.removal_due_at = due
        evidence = {
            "removal_due_at": due.isoformat(),
            "expiry_hours": blocklist.expiry_hours,
        }
        plan.add(opened, Kind.WAITING, to=Status.AWAITING_REMOVAL, evidence=evidence)
    else:  # only the network owner can ask, or nobody
        text = "Asked our upstream provider to request the removal."
        plan.add(opened + timedelta(hours=1), Kind.NOTE, by=who, detail=text)
    removal_due = plan.case.removal_due_at
    if removal_due is not None and removal_due < (cleared or now):
        plan.case.is_overdue = True
        late = removal_due + timedelta(hours=1)
        seen = _seen(plan, late, listed=True)["evidence"]
        plan.add(late, Kind.OVERDUE, evidence=seen)
    if cleared is None:
        plan.case.next_check_at = now
        return plan
    _verified(plan, cleared + timedelta(minutes=30), blocklist, now)
    return plan


def _seen(plan: Plan, at: datetime, *, listed: bool) -> dict[str, Any]:
    """A CHECKED event's words and evidence: what blcheck's lookup said."""
    case = plan.case
    verdict = Verdict.LISTED if listed else Verdict.NOT_LISTED
    reversed_ip = ".".join(reversed(case.subject.split(".")))
    name = case.blocklist.name
    return {
        "detail": str(verdict.label),
        "evidence": {
            "checked_at": at.isoformat(),
            "verdict": verdict.value,
            "codes": ["127.0.0.2"] if listed else [],
            "error": "",
            "query_name": f"{reversed_ip}.{case.blocklist.zone}",
            "resolver": "127.0.0.1:53",
            "reason": f"{case.subject} listed by {name} (demo data)" if listed else "",
            "rcode": "NOERROR" if listed else "NXDOMAIN",
        },
    }


def _still_open(plan: Plan, now: datetime) -> Plan:
    plan.case.next_check_at = now
    return plan


def _requested(
    plan: Plan, rng: random.Random, who: User | None, latest: datetime
) -> None:
    case = plan.case
    requested = min(case.opened_at + timedelta(hours=rng.randint(1, 12)), latest)
    # Barracuda's form answers with a BBR number; other lists give none.
    if case.blocklist.reference_pattern.startswith("^BBR"):
        case.reference = (
            f"BBR2{int(requested.timestamp())}-{rng.randint(10000, 99999)}-"
            f"{rng.randint(100, 999)}"
        )
    case.method = (
        DelistingCase.Method.FORM
        if case.blocklist.delist_method != "email"
        else DelistingCase.Method.EMAIL
    )
    case.requested_at = requested
    hours = case.blocklist.removal_hours
    case.removal_due_at = requested + timedelta(hours=hours) if hours else None
    values = {
        "requested_at": requested,
        "method": case.method,
        "reference": case.reference,
        "contact_email": case.contact_email,
        "contact_phone": case.contact_phone,
        "request_text": case.request_text,
    }
    evidence = {"request": request_snapshot(values)}
    plan.add(
        requested,
        Kind.REQUESTED,
        to=Status.REQUESTED,
        by=who,
        detail=case.reference,
        evidence=evidence,
    )


def _end_by_hand(plan: Plan, at: datetime, to: str, who: User | None) -> None:
    words: dict[str, str] = {
        Status.ABANDONED: "Cleared on its own before anyone asked.",
        Status.REJECTED: "The list refused: the address still sends spam traps.",
    }
    kind = Kind.REJECTED if to == Status.REJECTED else Kind.ABANDONED
    plan.add(at, kind, to=to, by=who, detail=words[to], evidence={"by_hand": True})
    if to != Status.REJECTED:
        plan.case.closed_at = at


def _verified(plan: Plan, at: datetime, blocklist: Blocklist, now: datetime) -> None:
    """Two clean lookups half an hour apart, then the re-evaluation watch (the
    case closes when it has passed) or, for lists with none, the end."""
    case = plan.case
    since = at - timedelta(minutes=30)
    plan.add(since, Kind.CHECKED, **_seen(plan, since, listed=False))
    evidence = {"clean_count": 2, "clean_since": since.isoformat()}
    evidence |= _seen(plan, at, listed=False)["evidence"]
    detail = f"Not listed in 2 consecutive lookups since {since:%Y-%m-%d %H:%M %Z}."
    plan.add(at, Kind.VERIFIED, to=Status.REMOVAL_VERIFIED, detail=detail)
    plan.events[-1].evidence = evidence
    case.verified_at = at
    case.is_overdue = False
    reevaluate = workflow.reevaluation_at(case.policy, at)
    if reevaluate is not None:
        case.reevaluate_at = reevaluate
        plan.add(
            at,
            Kind.WATCHING,
            to=Status.WATCHING,
            detail=f"The list re-evaluates on {reevaluate:%Y-%m-%d}.",
            evidence={"reevaluate_at": reevaluate.isoformat()},
        )
        if reevaluate > now:
            case.next_check_at = reevaluate
            return
    closed = reevaluate or at
    start = case.requested_at or case.opened_at
    hours = round((at - start).total_seconds() / 3600, 1)
    plan.add(
        closed,
        Kind.CLOSED,
        to=Status.CLOSED,
        detail=f"Removed {hours:.1f} hours after the request.",
        evidence={"removed_hours": hours, "reevaluated": reevaluate is not None},
    )
    case.closed_at = closed


def _relisted(plan: Plan, later: Episode) -> None:
    """Listed again while watched: the case takes the new episode."""
    case = plan.case
    if plan.status == Status.CLOSED:  # closed only past the re-evaluation
        plan.events.pop()
        plan.status = Status.WATCHING
        case.closed_at = None
    plan.add(
        later.at,
        Kind.RELISTED,
        to=Status.RELISTED,
        detail="Listed again.",
        evidence=_seen(plan, later.at, listed=True)["evidence"],
    )
    case.episode_id = later.pk
    case.reevaluate_at = None
    case.next_check_at = later.at


def _write(plans: list[Plan]) -> None:
    cases = [plan.case for plan in plans]
    for case, plan in zip(cases, plans, strict=True):
        case.status = plan.status
    opened = [case.opened_at for case in cases]
    DelistingCase.objects.bulk_create(cases, batch_size=BATCH)
    # opened_at is set on insert; a demo case was opened on its own day.
    for case, at in zip(cases, opened, strict=True):
        case.opened_at = at
    DelistingCase.objects.bulk_update(cases, ["opened_at"], batch_size=500)
    events = []
    for plan in plans:
        for event in plan.events:
            event.case = plan.case
            events.append(event)
    CaseEvent.objects.bulk_create(events, batch_size=BATCH)
