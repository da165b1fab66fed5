"""Writes for delisting cases. Every change of a case writes its CaseEvent in
the same transaction; a move that lost a race raises CaseConflict."""

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from blcheck.cases import workflow
from blcheck.cases.models import CaseEvent, DelistingCase
from blcheck.monitoring.models import Blocklist, ListingChange, Lookup, Target
from blcheck.monitoring.targets import TargetError, case_subject

Status = DelistingCase.Status
Kind = CaseEvent.Kind


def in_site_language(function: Callable[..., Any]) -> Callable[..., Any]:
    """blcheck's own entries in a case's history are written in the site's
    language (LANGUAGE_CODE), whoever's request or task caused them."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with translation.override(settings.LANGUAGE_CODE):
            return function(*args, **kwargs)

    return wrapper


class CaseConflict(Exception):
    """The case changed since it was read (another person or blcheck moved it)."""


class CaseRefused(ValueError):
    """No such case may be opened: its address is not the target's or not of a
    kind the list covers, or its lookup link is not http(s). The message says
    why, in the site's language."""


def case_event_write(
    case: DelistingCase,
    kind: str,
    *,
    by: User | None,
    at: datetime,
    detail: str = "",
    from_status: str = "",
    to_status: str = "",
    lookup: Lookup | None = None,
    evidence: dict[str, Any] | None = None,
) -> CaseEvent:
    evidence = dict(evidence or {})
    if lookup is not None:
        evidence |= {
            "checked_at": lookup.checked_at.isoformat(),
            "verdict": lookup.verdict,
            "codes": lookup.codes,
            "error": lookup.error,
            "query_name": lookup.query_name,
            "resolver": lookup.resolver,
            "reason": lookup.reason,  # the list's TXT record
            "rcode": lookup.rcode,
        }
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=by,
        at=at,
        detail=detail,
        from_status=from_status,
        to_status=to_status,
        lookup=lookup,
        evidence=evidence,
    )


def case_move(
    case: DelistingCase,
    to: str,
    kind: str,
    *,
    by: User | None,
    at: datetime,
    detail: str = "",
    lookup: Lookup | None = None,
    evidence: dict[str, Any] | None = None,
    **fields: Any,
) -> DelistingCase:
    """Change the status (conditional on the one read) and log it."""
    workflow.ensure_allowed(case.status, to)
    moved = DelistingCase.objects.filter(pk=case.pk, status=case.status).update(
        status=to, **fields
    )
    if moved != 1:
        raise CaseConflict(
            _("This case was changed by someone else. Reload and try again.")
        )
    case_event_write(
        case,
        kind,
        by=by,
        at=at,
        detail=detail,
        from_status=case.status,
        to_status=to,
        lookup=lookup,
        evidence=evidence,
    )
    case.refresh_from_db()
    return case


def case_notify(case: DelistingCase, notice: str) -> None:
    """Tell subscribers, in their languages, once the step is committed."""
    from blcheck.cases.tasks import notify_case

    transaction.on_commit(functools.partial(notify_case.delay, case.pk, notice))


def listing_change_latest_episode(
    blocklist: Blocklist, subject: str
) -> ListingChange | None:
    # One Listing per (list, subject), under whichever target owns the subject
    # now (monitoring.overlap): the case's target may be a range around it.
    return (
        ListingChange.objects.filter(
            listing__blocklist=blocklist,
            listing__subject=subject,
            kind=ListingChange.Kind.LISTED,
        )
        .order_by("-at")
        .first()
    )


@in_site_language
def case_open(
    *,
    target: Target,
    blocklist: Blocklist,
    subject: str,
    by: User | None,
    bounce_text: str = "",
) -> tuple[DelistingCase, bool]:
    """Open a case, or find the one already open for this address and list.
    The subject is the target itself or an address inside its range, of a kind
    the list covers; anything else raises CaseRefused."""
    try:
        subject = case_subject(
            subject,
            target=target.value,
            kinds=blocklist.kinds,
            list_name=blocklist.name,
        )
    except TargetError as exc:
        raise CaseRefused(_(exc.message.template) % exc.message.params) from exc
    existing = DelistingCase.objects.filter(
        target=target,
        blocklist=blocklist,
        subject=subject,
        status__in=[s.value for s in workflow.ACTIVE],
    ).first()
    if existing is not None:
        return existing, False
    now = timezone.now()
    try:
        with transaction.atomic():
            case = DelistingCase.objects.create(
                target=target,
                blocklist=blocklist,
                subject=subject,
                opened_by=by,
                assignee=by,
                bounce_text=bounce_text[:1_000_000],
                episode=listing_change_latest_episode(blocklist, subject),
                contact_email=settings.ORG_CONTACT_EMAIL,
                contact_phone=settings.ORG_CONTACT_PHONE,
                next_check_at=now,
            )
            case_event_write(case, Kind.OPENED, by=by, at=now, to_status=Status.OPEN)
            if case.policy.action is workflow.Action.WAIT:
                due = workflow.removal_due(
                    case.policy, requested_at=None, opened_at=now
                )
                case_move(
                    case,
                    Status.AWAITING_REMOVAL,
                    Kind.WAITING,
                    by=None,
                    at=now,
                    removal_due_at=due,
                    evidence={
                        "removal_due_at": due.isoformat() if due else None,
                        "expiry_hours": case.blocklist.expiry_hours,
                    },
                    detail=_(
                        "This list removes listings on its own; no request is "
                        "possible. Wait, and blcheck keeps checking."
                    ),
                )
    except IntegrityError:  # someone opened it a moment earlier
        existing, _created = case_open(
            target=target, blocklist=blocklist, subject=subject, by=by
        )
        return existing, False
    return case, True


@transaction.atomic
def case_assign(
    *, case: DelistingCase, by: User, assignee: User | None
) -> DelistingCase:
    now = timezone.now()
    DelistingCase.objects.filter(pk=case.pk).update(assignee=assignee)
    case_event_write(
        case,
        Kind.ASSIGNED,
        by=by,
        at=now,
        detail=assignee.get_username() if assignee else "",
    )
    case.refresh_from_db()
    return case


@transaction.atomic
def case_add_note(*, case: DelistingCase, by: User, text: str) -> CaseEvent:
    return case_event_write(case, Kind.NOTE, by=by, at=timezone.now(), detail=text)


@transaction.atomic
def case_close_by_hand(
    *, case: DelistingCase, by: User, to: str, text: str = ""
) -> DelistingCase:
    """Done (the removal is verified), rejected by the list, or abandoned by
    staff: only the ends workflow.hand_ends allows, else TransitionError."""
    if to not in workflow.hand_ends(case.status):
        raise workflow.TransitionError(f"a case that is {case.status} cannot be {to}")
    kind = {Status.CLOSED: Kind.CLOSED, Status.REJECTED: Kind.REJECTED}.get(
        Status(to), Kind.ABANDONED
    )
    now = timezone.now()
    fields: dict[str, Any] = {}
    if to != Status.REJECTED:  # the work ends: blcheck stops looking
        fields = {"closed_at": now, "next_check_at": None}
    # The detail is the person's own words, not blcheck's closing summary.
    evidence = {"by_hand": True}
    return case_move(
        case, to, kind, by=by, at=now, detail=text, evidence=evidence, **fields
    )
