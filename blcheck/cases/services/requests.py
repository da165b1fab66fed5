"""The removal request: recorded once, then amended field by field, each
change kept in the case's history (REQUESTED, then REQUEST_AMENDED events)."""

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from blcheck.cases import workflow
from blcheck.cases.models import DelistingCase
from blcheck.cases.services.cases import (
    CaseConflict,
    Kind,
    Status,
    case_event_write,
    case_move,
    in_site_language,
)


class RequestInFuture(ValueError):
    """The date given for a removal request is later than now."""


class RequestRefused(ValueError):
    """No request can be recorded on the case now (the list takes none, or the
    case is past asking): `reason` says why; the page words it."""

    def __init__(self, reason: workflow.NoRequest) -> None:
        super().__init__(f"no request can be recorded: {reason}")
        self.reason = reason


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


def request_value_data(name: str, value: Any) -> str:
    """A request field's value as data, for the page to word in its reader's
    language and time zone: the method's code, the date in ISO 8601."""
    if value is None or value == "":
        return ""
    if name == "requested_at":
        return str(value.isoformat())
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
            "data": request_value_data(name, values[name]),
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
                    "old_data": request_value_data(name, old),
                    "new_data": request_value_data(name, new),
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
    now, RequestInFuture; RequestRefused where workflow.request_blocked says
    no request can be recorded). On a case already requested this amends the request
    (_amend_request): the first REQUESTED event and its copy stay as made.
    """
    blocked = workflow.request_blocked(case.policy, case.status)
    if blocked is not None:
        raise RequestRefused(blocked)
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
