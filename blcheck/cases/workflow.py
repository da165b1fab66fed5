"""PURE: the delisting case's states, allowed moves, policy timers and the
verification rule. No Django, no I/O.

A case follows one (address, list) listing from the first look to the list's
re-evaluation: open → requested (or awaiting removal, where no request is
possible) → removal verified (by blcheck's own lookups) → watching the
re-evaluation → closed, or relisted. Rejected and abandoned end the work.
"""

import re
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
    NONE = "none"  # the list removes nothing on request


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
        if self.delist_method == "none":
            return Action.NONE
        # form, self_service, email, or not known (a list added by hand).
        return Action.REQUEST


class NoRequest(StrEnum):
    """Why no removal request can be recorded on a case now."""

    ENDED = "ended"  # closed or abandoned
    EXPIRY = "expiry"  # the list's listings expire on their own
    OWNER = "owner"  # only the network owner can ask
    NONE = "none"  # the list takes no requests at all
    VERIFIED = "verified"  # blcheck verified the removal
    WATCHING = "watching"  # removed; watched until the list re-evaluates


def request_blocked(policy: Policy, status: str) -> NoRequest | None:
    """Why a request cannot be recorded on a case in this status, or None when
    it can: a first request where the table allows the move to REQUESTED, an
    amendment where one is recorded already."""
    current = Status(status)
    if current in ENDED:
        return NoRequest.ENDED
    if current is Status.REQUESTED:
        return None  # a request was made: it can always be corrected
    blocked_by_list = {
        Action.WAIT: NoRequest.EXPIRY,
        Action.OWNER: NoRequest.OWNER,
        Action.NONE: NoRequest.NONE,
    }.get(policy.action)
    if blocked_by_list is not None:
        return blocked_by_list
    if Status.REQUESTED in TRANSITIONS[current]:
        return None
    return NoRequest.WATCHING if current is Status.WATCHING else NoRequest.VERIFIED


# The ends staff may choose by hand, in the order the close menu offers them.
HAND_ENDS = (Status.CLOSED, Status.REJECTED, Status.ABANDONED)


def hand_ends(status: str) -> tuple[Status, ...]:
    """What staff may end a case in this status with: the ends the table allows
    (done once the removal is verified, rejected while requested, abandoned
    before the removal)."""
    return tuple(end for end in HAND_ENDS if end in TRANSITIONS[Status(status)])


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


# --- Confirmation numbers: a list's reference pattern, told as a shape --------


class CharKind(StrEnum):
    """The characters a part of a confirmation number is made of."""

    DIGIT = "digit"
    UPPER = "upper"
    LOWER = "lower"
    HYPHEN = "hyphen"
    UNDERSCORE = "underscore"
    DOT = "dot"


@dataclass(frozen=True)
class Piece:
    """Fixed text (literal), or `least` to `most` characters of `kinds`
    (most None: no upper bound)."""

    literal: str = ""
    kinds: tuple[CharKind, ...] = ()
    least: int = 1
    most: int | None = 1


@dataclass(frozen=True)
class ReferenceShape:
    pieces: tuple[Piece, ...]
    example: str  # a made-up number that matches the pattern


_RANGES = {"0-9": CharKind.DIGIT, "A-Z": CharKind.UPPER, "a-z": CharKind.LOWER}
_SINGLES = {"-": CharKind.HYPHEN, "_": CharKind.UNDERSCORE, ".": CharKind.DOT}
_WORD = (CharKind.UPPER, CharKind.LOWER, CharKind.DIGIT, CharKind.UNDERSCORE)
_LITERAL = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_:/#"
)
_SAMPLES = {
    CharKind.UPPER: "ABCDEFGHIJKL",
    CharKind.LOWER: "abcdefghijkl",
    CharKind.DIGIT: "123456789012",
}


def _class(body: str) -> tuple[CharKind, ...] | None:
    """The kinds a [...] body names; None for anything else (a negation,
    another range, a character outside the common separators)."""
    kinds: set[CharKind] = set()
    at = 0
    while at < len(body):
        three, two = body[at : at + 3], body[at : at + 2]
        if three in _RANGES:
            kinds.add(_RANGES[three])
            at += 3
        elif two in (r"\d", r"\w"):
            kinds.update([CharKind.DIGIT] if two == r"\d" else _WORD)
            at += 2
        elif two in (r"\-", r"\.", r"\_"):
            kinds.add(_SINGLES[two[1]])
            at += 2
        elif body[at] in _SINGLES:
            kinds.add(_SINGLES[body[at]])
            at += 1
        else:
            return None
    return tuple(k for k in CharKind if k in kinds) or None


def _quantity(pattern: str, at: int) -> tuple[int, int | None, int] | None:
    """(least, most, where the pattern goes on) for a quantifier at `at`."""
    mark = pattern[at : at + 1]
    if mark in ("+", "*", "?"):
        least, most = {"+": (1, None), "*": (0, None), "?": (0, 1)}[mark]
        return least, most, at + 1
    if mark != "{":
        return 1, 1, at
    end = pattern.find("}", at)
    low, comma, high = pattern[at + 1 : end].partition(",")
    if end < 0 or not low.isdigit() or (high and not high.isdigit()):
        return None
    return int(low), (int(high) if high else None) if comma else int(low), end + 1


def _atoms(pattern: str) -> list[Piece] | None:
    """The pattern as single pieces, each with its quantity; None when it has
    anything beyond literal text and character classes."""
    pieces, at = [], 0
    while at < len(pattern):
        kinds: tuple[CharKind, ...] | None = None
        literal = ""
        if pattern[at] == "[":
            end = pattern.find("]", at + 1)
            kinds = _class(pattern[at + 1 : end]) if end > at else None
            if kinds is None:
                return None
            at = end + 1
        elif pattern[at : at + 2] in (r"\d", r"\w"):
            kinds = (CharKind.DIGIT,) if pattern[at + 1] == "d" else _WORD
            at += 2
        elif pattern[at] == "\\" and pattern[at + 1 : at + 2] in ("-", ".", "_"):
            literal, at = pattern[at + 1], at + 2
        elif pattern[at] in _LITERAL:
            literal, at = pattern[at], at + 1
        else:
            return None
        quantity = _quantity(pattern, at)
        if quantity is None:
            return None
        least, most, at = quantity
        if literal and (least, most) != (1, 1):
            if literal not in _SINGLES:
                return None
            kinds, literal = (_SINGLES[literal],), ""
        pieces.append(Piece(literal, kinds or (), least, most))
    return pieces


def _merged(atoms: list[Piece]) -> tuple[Piece, ...]:
    """Runs of fixed characters joined into one piece of text."""
    pieces: list[Piece] = []
    for atom in atoms:
        if atom.literal and pieces and pieces[-1].literal:
            pieces[-1] = Piece(literal=pieces[-1].literal + atom.literal)
        else:
            pieces.append(atom)
    return tuple(pieces)


def _sample(piece: Piece) -> str:
    if piece.literal:
        return piece.literal
    main = [
        k for k in (CharKind.UPPER, CharKind.LOWER, CharKind.DIGIT) if k in piece.kinds
    ]
    separators = [k for k in piece.kinds if k not in _SAMPLES]
    marks = {v: k for k, v in _SINGLES.items()}
    if not main:  # separators only: as many as the least asked, at least one
        return "".join(marks[k] for k in separators) * max(piece.least, 1)
    # Letters first, then digits: "AB1234567".
    text = "".join(_SAMPLES[k][:2] for k in main[:-1]) + _SAMPLES[main[-1]]
    size = (
        max(piece.least, 7)
        if piece.most is None
        else min(max(piece.least, 7), piece.most)
    )
    sample = list((text * (size // len(text) + 1))[:size])
    if piece.most is None:  # "BBR1234567-89": a run, then a group per separator
        return "".join(sample) + "".join(marks[k] + text[7:9] for k in separators)
    for number, kind in enumerate(separators, start=1):
        if 3 * number < size:
            sample[size - 3 * number] = marks[kind]
    return "".join(sample)


def reference_shape(pattern: str) -> ReferenceShape | None:
    """A list's confirmation-number pattern as pieces to describe and an
    example, for the common shapes (fixed text, digits, letters and a few
    separators, each with + * ? or {n,m}); None for any other pattern."""
    body = pattern.strip("^$")
    atoms = _atoms(body) if body else None
    if not atoms:
        return None
    pieces = _merged(atoms)
    example = "".join(_sample(piece) for piece in pieces)
    try:
        if not re.fullmatch(body, example):
            return None
    except re.error:
        return None
    return ReferenceShape(pieces, example)
