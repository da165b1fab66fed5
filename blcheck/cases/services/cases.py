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
from django.utils.text import capfirst
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


def case_notify(text: str) -> None:
    from blcheck.monitoring.tasks import notify_text as notify_text_task

    transaction.on_commit(functools.partial(notify_text_task.delay, text))


def listing_change_latest_episode(
    target: Target, blocklist: Blocklist, subject: str
) -> ListingChange | None:
    return (
        ListingChange.objects.filter(
            listing__target=target,
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
                episode=listing_change_latest_episode(target, blocklist, subject),
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


class RequestInFuture(ValueError):
    """The date given for a removal request is later than now."""


# What staff record about a request, in the order the case page shows it.
REQUEST_FIELDS = (
    "requested_at",
    "method",
    "reference",
    "contact_email",
    "contact_phone",
    "request_text",
)


def request_value_text(name: str, value: Any) -> str:
    """A request field's value as the history shows it (site language and time)."""
    if value is None or value == "":
        return ""
    if name == "requested_at":
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    if name == "method":
        return str(DelistingCase.Method(value).label)
    return str(value)


def request_field_label(name: str) -> str:
    """The field's label as the request form shows it."""
    if name == "requested_at":
        return _("Requested at")
    field = DelistingCase._meta.get_field(name)
    return capfirst(str(getattr(field, "verbose_name", name)))


def request_snapshot(values: dict[str, Any]) -> list[dict]:
    """The request as recorded: [{field, label, value}], kept in the event."""
    return [
        {
            "field": name,
            "label": request_field_label(name),
            "value": request_value_text(name, values[name]),
        }
        for name in REQUEST_FIELDS
    ]


def request_changes(changed: dict[str, tuple[Any, Any]]) -> list[dict]:
    """The changed fields: [{field, label, old, new}], in the form's order."""
    found = []
    for name in REQUEST_FIELDS:
        if name in changed:
            old, new = changed[name]
            found.append(
                {
                    "field": name,
                    "label": request_field_label(name),
                    "old": request_value_text(name, old),
                    "new": request_value_text(name, new),
                }
            )
    return found


@in_site_language
@transaction.atomic
def case_mark_requested(
    *,
    case: DelistingCase,
    by: User,
    method: str,
    requested_at: datetime | None = None,
    reference: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    request_text: str = "",
) -> DelistingCase:
    """Record the removal request (requested_at empty: now; never later than
    now, RequestInFuture). On a case already requested this amends the request
    (_amend_request): the first REQUESTED event and its copy stay as made.
    """
    now = timezone.now()
    if requested_at is not None and requested_at > now:
        raise RequestInFuture(
            _("The request date is in the future; enter when the request was made.")
        )
    values: dict[str, Any] = {
        "method": method,
        "reference": reference,
        "contact_email": contact_email,
        "contact_phone": contact_phone,
        "request_text": request_text,
    }
    if case.status == Status.REQUESTED:
        return _amend_request(
            case=case, by=by, requested_at=requested_at or case.requested_at, **values
        )
    values["requested_at"] = requested_at = requested_at or now
    due = workflow.removal_due(
        case.policy, requested_at=requested_at, opened_at=case.opened_at
    )
    fields = {**values, "removal_due_at": due, "is_overdue": False}
    return case_move(
        case,
        Status.REQUESTED,
        Kind.REQUESTED,
        by=by,
        at=now,
        detail=reference,
        evidence={"request": request_snapshot(values)},
        next_check_at=now,
        **fields,
    )


def _amend_request(*, case: DelistingCase, by: User, **values: Any) -> DelistingCase:
    """Change a recorded request and append a REQUEST_AMENDED event with each
    changed field, before and after. Nothing changed: nothing is written."""
    # Before is what the database holds, whatever the caller's copy says.
    stored = DelistingCase.objects.select_for_update().get(pk=case.pk)
    if stored.status != Status.REQUESTED:
        raise CaseConflict(
            _("This case was changed by someone else. Reload and try again.")
        )
    changed = {
        name: (getattr(stored, name), value)
        for name, value in values.items()
        if getattr(stored, name) != value
    }
    if not changed:
        case.refresh_from_db()
        return case
    now = timezone.now()
    fields: dict[str, Any] = {name: new for name, (_old, new) in changed.items()}
    if "requested_at" in changed:
        due = workflow.removal_due(
            case.policy, requested_at=values["requested_at"], opened_at=case.opened_at
        )
        fields |= {
            "removal_due_at": due,
            "is_overdue": stored.is_overdue and due is not None and now > due,
        }
    # Conditional on the request as read (SQLite has no row locks).
    as_read = {name: getattr(stored, name) for name in REQUEST_FIELDS}
    moved = DelistingCase.objects.filter(
        pk=case.pk, status=Status.REQUESTED, **as_read
    ).update(**fields)
    if moved != 1:
        raise CaseConflict(
            _("This case was changed by someone else. Reload and try again.")
        )
    changes = request_changes(changed)
    detail = "; ".join(
        f"{c['label']}: {c['old'] or '—'} → {c['new'] or '—'}" for c in changes
    )
    case_event_write(
        case,
        Kind.REQUEST_AMENDED,
        by=by,
        at=now,
        detail=detail,
        from_status=case.status,
        to_status=case.status,
        evidence={"changes": changes},
    )
    case.refresh_from_db()
    return case


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
    """Rejected by the list, or abandoned by staff."""
    kind = Kind.REJECTED if to == Status.REJECTED else Kind.ABANDONED
    fields: dict[str, Any] = {"next_check_at": None} if to == Status.ABANDONED else {}
    if to == Status.ABANDONED:
        fields["closed_at"] = timezone.now()
    return case_move(case, to, kind, by=by, at=timezone.now(), detail=text, **fields)
