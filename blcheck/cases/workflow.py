"""PURE: the delisting case's states, allowed moves, policy timers and the
verification rule. No Django, no I/O.

A case follows one (address, list) listing from the first look to the list's
re-evaluation: open → requested (or awaiting removal, where no request is
possible) → removal verified (by blcheck's own lookups) → watching the
re-evaluation → closed, or relisted. Rejected and abandoned end the work.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Status(StrEnum):
    OPEN = "open"
    REQUESTED = "requested"
    AWAITING_REMOVAL = "awaiting_removal"
    REMOVAL_VERIFIED = "removal_verified"
    WATCHING = "watching"
    RELISTED = "relisted"
    REJECTED = "rejected"
    ABANDONED = "abandoned"
    CLOSED = "closed"


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.OPEN: frozenset(
        {
            Status.REQUESTED,
            Status.AWAITING_REMOVAL,
            Status.REMOVAL_VERIFIED,
            Status.ABANDONED,
        }
    ),
    # Recording a request again is an amendment, not a move (the status stays).
    Status.REQUESTED: frozenset(
        {Status.REMOVAL_VERIFIED, Status.REJECTED, Status.ABANDONED}
    ),
    Status.AWAITING_REMOVAL: frozenset(
        {Status.REQUESTED, Status.REMOVAL_VERIFIED, Status.ABANDONED}
    ),
    Status.REMOVAL_VERIFIED: frozenset(
        {Status.WATCHING, Status.CLOSED, Status.RELISTED}
    ),
    Status.WATCHING: frozenset({Status.CLOSED, Status.RELISTED}),
    Status.RELISTED: frozenset(
        {
            Status.REQUESTED,
            Status.AWAITING_REMOVAL,
            Status.REMOVAL_VERIFIED,
            Status.ABANDONED,
        }
    ),
    Status.REJECTED: frozenset({Status.REQUESTED, Status.ABANDONED}),
    Status.ABANDONED: frozenset(),
    Status.CLOSED: frozenset(),
}

# Cases blcheck checks until the listing is gone.
VERIFYING = frozenset(
    {Status.OPEN, Status.REQUESTED, Status.AWAITING_REMOVAL, Status.RELISTED}
)
# Cases done with, in a fixed order: SQL "NOT IN" built from it matches the
# partial indexes' condition.
ENDED = (Status.CLOSED, Status.ABANDONED)
ACTIVE = frozenset(TRANSITIONS) - set(ENDED)


class TransitionError(ValueError):
    """The case cannot move from its status to the one asked for."""


def ensure_allowed(current: str, target: str) -> None:
    if Status(target) not in TRANSITIONS[Status(current)]:
        raise TransitionError(f"a case that is {current} cannot become {target}")


class Action(StrEnum):
    """What the list lets the organisation do about a listing."""

    REQUEST = "request"  # a form, portal or e-mail: staff ask for removal
    WAIT = "wait"  # listings expire on their own; no request is possible
    OWNER = "owner"  # only the network owner or upstream can act


@dataclass(frozen=True)
class Policy:
    """The list's delisting facts, from its catalog entry."""

    delist_method: str = ""
    removal_hours: int | None = None
    expiry_hours: int | None = None
    reevaluation_days: int | None = None

    @property
    def action(self) -> Action:
        if self.delist_method == "expiry":
            return Action.WAIT
        if self.delist_method == "isp":
            return Action.OWNER
        return Action.REQUEST


def removal_due(
    policy: Policy, *, requested_at: datetime | None, opened_at: datetime
) -> datetime | None:
    """When the listing should be gone: the list's window after the request,
    or its expiry after the case opened (a later listing restarts it)."""
    if policy.action is Action.WAIT and policy.expiry_hours:
        return opened_at + timedelta(hours=policy.expiry_hours)
    if requested_at is not None and policy.removal_hours:
        return requested_at + timedelta(hours=policy.removal_hours)
    return None


def reevaluation_at(policy: Policy, verified_at: datetime) -> datetime | None:
    """Barracuda: removed for 30 days, then re-evaluated."""
    if not policy.reevaluation_days:
        return None
    return verified_at + timedelta(days=policy.reevaluation_days)


@dataclass(frozen=True)
class VerifyRule:
    """Removal counts as verified after `lookups` consecutive clean answers
    spread over at least `spacing` between each (resolver caches lag)."""

    lookups: int = 2
    spacing: timedelta = timedelta(minutes=30)


def is_verified(clean_times: Sequence[datetime], rule: VerifyRule) -> bool:
    """clean_times: the current streak of clean lookups, oldest first.

    Errors never enter the streak and a listed answer empties it, so neither
    a single clean answer nor an error can verify a removal.
    """
    if len(clean_times) < max(rule.lookups, 2):
        return False
    return clean_times[-1] - clean_times[0] >= rule.spacing * (rule.lookups - 1)


def next_check(
    status: str, *, now: datetime, rule: VerifyRule, reevaluate_at: datetime | None
) -> datetime | None:
    """When blcheck should look again for this case."""
    if Status(status) in VERIFYING:
        return now + rule.spacing
    if Status(status) is Status.WATCHING and reevaluate_at is not None:
        return max(reevaluate_at, now)
    return None
