"""Writes for delisting cases. Every change of a case writes its CaseEvent in
the same transaction; a move that lost a race raises CaseConflict."""

import functools
import re
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
from blcheck.monitoring.models import Blocklist, CheckRun, ListingChange, Lookup, Target

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


def verify_rule() -> workflow.VerifyRule:
    from datetime import timedelta

    return workflow.VerifyRule(
        lookups=settings.VERIFY_LOOKUPS,
        spacing=timedelta(minutes=settings.VERIFY_SPACING_MINUTES),
    )


def _event(
    case: DelistingCase,
    kind: str,
    *,
    by: User | None,
    at: datetime,
    detail: str = "",
    from_status: str = "",
    to_status: str = "",
    lookup: Lookup | None = None,
) -> CaseEvent:
    evidence = {}
    if lookup is not None:
        evidence = {
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


def _move(
    case: DelistingCase,
    to: str,
    kind: str,
    *,
    by: User | None,
    at: datetime,
    detail: str = "",
    lookup: Lookup | None = None,
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
    _event(
        case,
        kind,
        by=by,
        at=at,
        detail=detail,
        from_status=case.status,
        to_status=to,
        lookup=lookup,
    )
    case.refresh_from_db()
    return case


def _notify(text: str) -> None:
    from blcheck.monitoring.tasks import notify_text as notify_text_task

    transaction.on_commit(functools.partial(notify_text_task.delay, text))


def _latest_episode(
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
    """Open a case, or find the one already open for this address and list."""
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
                episode=_latest_episode(target, blocklist, subject),
                contact_email=settings.ORG_CONTACT_EMAIL,
                contact_phone=settings.ORG_CONTACT_PHONE,
                next_check_at=now,
            )
            _event(case, Kind.OPENED, by=by, at=now, to_status=Status.OPEN)
            if case.policy.action is workflow.Action.WAIT:
                due = workflow.removal_due(
                    case.policy, requested_at=None, opened_at=now
                )
                _move(
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


def reference_error(blocklist: Blocklist, reference: str) -> str | None:
    """A message when the confirmation number does not have the list's format."""
    pattern = blocklist.reference_pattern
    if reference and pattern and not re.fullmatch(pattern.strip("^$"), reference):
        return _("%(list)s confirmation numbers look like %(pattern)s.") % {
            "list": blocklist.name,
            "pattern": pattern,
        }
    return None


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
    now = timezone.now()
    requested_at = requested_at or now
    due = workflow.removal_due(
        case.policy, requested_at=requested_at, opened_at=case.opened_at
    )
    return _move(
        case,
        Status.REQUESTED,
        Kind.REQUESTED,
        by=by,
        at=now,
        detail=reference,
        method=method,
        requested_at=requested_at,
        reference=reference,
        contact_email=contact_email,
        contact_phone=contact_phone,
        request_text=request_text,
        removal_due_at=due,
        is_overdue=False,
        next_check_at=now,
    )


@transaction.atomic
def case_assign(
    *, case: DelistingCase, by: User, assignee: User | None
) -> DelistingCase:
    now = timezone.now()
    DelistingCase.objects.filter(pk=case.pk).update(assignee=assignee)
    _event(
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
    return _event(case, Kind.NOTE, by=by, at=timezone.now(), detail=text)


@transaction.atomic
def case_close_by_hand(
    *, case: DelistingCase, by: User, to: str, text: str = ""
) -> DelistingCase:
    """Rejected by the list, or abandoned by staff."""
    kind = Kind.REJECTED if to == Status.REJECTED else Kind.ABANDONED
    fields: dict[str, Any] = {"next_check_at": None} if to == Status.ABANDONED else {}
    if to == Status.ABANDONED:
        fields["closed_at"] = timezone.now()
    return _move(case, to, kind, by=by, at=timezone.now(), detail=text, **fields)


@in_site_language
def case_record_check(*, case: DelistingCase, lookup: Lookup) -> DelistingCase:
    """What one of blcheck's own lookups means for the case."""
    now = lookup.checked_at
    rule = verify_rule()
    with transaction.atomic():
        _event(
            case,
            Kind.CHECKED,
            by=None,
            at=now,
            lookup=lookup,
            detail=lookup.get_verdict_display(),
        )
        if lookup.verdict == Lookup.Verdict.ERROR:
            # Never evidence of anything: look again later.
            DelistingCase.objects.filter(pk=case.pk).update(
                next_check_at=now + rule.spacing
            )
        elif lookup.verdict == Lookup.Verdict.LISTED:
            _still_listed(case, lookup, now, rule)
        else:
            _clean(case, lookup, now, rule)
    case.refresh_from_db()
    return case


def _still_listed(
    case: DelistingCase, lookup: Lookup, now: datetime, rule: workflow.VerifyRule
) -> None:
    DelistingCase.objects.filter(pk=case.pk).update(
        clean_count=0, clean_since=None, next_check_at=now + rule.spacing
    )
    case.refresh_from_db()
    if case.status in (Status.WATCHING, Status.REMOVAL_VERIFIED):
        _relisted(case, now, lookup)
    elif case.removal_due_at and now > case.removal_due_at and not case.is_overdue:
        DelistingCase.objects.filter(pk=case.pk).update(is_overdue=True)
        _event(
            case,
            Kind.OVERDUE,
            by=None,
            at=now,
            lookup=lookup,
            detail=_("Still listed after the list's removal window."),
        )
        _notify(
            f"blcheck: case #{case.pk} overdue - {case.subject} is still listed on "
            f"{case.blocklist.name} ({case.blocklist.zone}) after its removal window"
        )


def _relisted(case: DelistingCase, now: datetime, lookup: Lookup | None) -> None:
    _move(
        case,
        Status.RELISTED,
        Kind.RELISTED,
        by=None,
        at=now,
        lookup=lookup,
        detail=_("Listed again."),
        next_check_at=now,
        reevaluate_at=None,
        episode=_latest_episode(case.target, case.blocklist, case.subject),
    )
    _notify(
        f"blcheck: case #{case.pk} relisted - {case.subject} is listed again on "
        f"{case.blocklist.name} ({case.blocklist.zone})"
    )


def _clean(
    case: DelistingCase, lookup: Lookup, now: datetime, rule: workflow.VerifyRule
) -> None:
    if case.status == Status.WATCHING:
        if case.reevaluate_at and now >= case.reevaluate_at:
            _move(
                case,
                Status.CLOSED,
                Kind.CLOSED,
                by=None,
                at=now,
                lookup=lookup,
                closed_at=now,
                next_check_at=None,
                detail=_summary(case, now),
            )
        else:
            DelistingCase.objects.filter(pk=case.pk).update(
                next_check_at=workflow.next_check(
                    case.status, now=now, rule=rule, reevaluate_at=case.reevaluate_at
                )
            )
        return
    clean_since = case.clean_since or now
    count = case.clean_count + 1
    DelistingCase.objects.filter(pk=case.pk).update(
        clean_count=count, clean_since=clean_since, next_check_at=now + rule.spacing
    )
    case.refresh_from_db()
    # Only the streak's first and latest times matter for the rule.
    streak = [clean_since, *([now] * (count - 1))]
    if workflow.Status(case.status) in workflow.VERIFYING and workflow.is_verified(
        streak, rule
    ):
        _verified(case, now, lookup)


def _verified(case: DelistingCase, now: datetime, lookup: Lookup) -> None:
    reevaluate = workflow.reevaluation_at(case.policy, now)
    detail = _("Not listed in %(count)s consecutive lookups since %(since)s.") % {
        "count": case.clean_count,
        "since": f"{case.clean_since:%Y-%m-%d %H:%M} UTC",
    }
    _move(
        case,
        Status.REMOVAL_VERIFIED,
        Kind.VERIFIED,
        by=None,
        at=now,
        lookup=lookup,
        verified_at=now,
        detail=detail,
    )
    if reevaluate is None:
        _move(
            case,
            Status.CLOSED,
            Kind.CLOSED,
            by=None,
            at=now,
            closed_at=now,
            next_check_at=None,
            detail=_summary(case, now),
        )
    else:
        _move(
            case,
            Status.WATCHING,
            Kind.WATCHING,
            by=None,
            at=now,
            reevaluate_at=reevaluate,
            next_check_at=reevaluate,
            detail=_("The list re-evaluates on %(date)s; blcheck checks again then.")
            % {"date": f"{reevaluate:%Y-%m-%d}"},
        )


def _summary(case: DelistingCase, now: datetime) -> str:
    """Closing words: how long the removal took (time to delist)."""
    start = case.requested_at or case.opened_at
    hours = ((case.verified_at or now) - start).total_seconds() / 3600
    removed = _("Removed %(hours).1f hours after the request.") % {"hours": hours}
    if case.reevaluate_at:
        return _("Still clean at the re-evaluation.") + " " + removed
    return removed


def cases_verify_due(*, claimant: str, now: datetime | None = None) -> int:
    """Check every case that is due, each with one lookup through the engine."""
    from blcheck.monitoring import services as monitoring

    now = now or timezone.now()
    due = list(
        DelistingCase.objects.select_related("target", "blocklist").filter(
            status__in=[s.value for s in workflow.ACTIVE], next_check_at__lte=now
        )
    )
    if not due:
        return 0
    runs = {
        case.pk: CheckRun.objects.create(
            target=case.target,
            blocklist=case.blocklist,
            subject=case.subject,
            trigger=CheckRun.Trigger.CASE,
        )
        for case in due
    }
    monitoring.runs_check(run_ids=[run.pk for run in runs.values()], claimant=claimant)
    for case in due:
        lookup = Lookup.objects.filter(run=runs[case.pk]).first()
        if lookup is not None:
            case_record_check(case=case, lookup=lookup)
    return len(due)


@in_site_language
def cases_watch_relisting(*, now: datetime | None = None) -> int:
    """Watched (or just verified) cases whose listing came back: relisted."""
    from blcheck.monitoring.models import Listing

    now = now or timezone.now()
    moved = 0
    watched = DelistingCase.objects.select_related("target", "blocklist").filter(
        status__in=[Status.WATCHING, Status.REMOVAL_VERIFIED]
    )
    for case in watched:
        listed = Listing.objects.filter(
            target=case.target,
            blocklist=case.blocklist,
            subject=case.subject,
            is_listed=True,
            listed_since__gt=case.verified_at,
        ).exists()
        if listed:
            with transaction.atomic():
                _relisted(case, now, None)
            moved += 1
    return moved


def target_for_address(address: str) -> Target | None:
    """The monitored target holding this address: itself, or a range around it."""
    import ipaddress

    exact = Target.objects.filter(value=address).first()
    if exact is not None:
        return exact
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    for target in Target.objects.filter(kind=Target.Kind.RANGE):
        if ip in ipaddress.ip_network(target.value):
            return target
    return None


@in_site_language
def case_open_from_bounce(
    *, blocklist: Blocklist, address: str, bounce_text: str, lookup_url: str, by: User
) -> tuple[DelistingCase, bool]:
    """Open (or find) the case a bounce points at; an unknown address becomes a
    target first. The bounce and its lookup link are kept on the case."""
    from blcheck.monitoring import services as monitoring
    from blcheck.monitoring.targets import parse_target

    with transaction.atomic():
        target = target_for_address(address)
        if target is None:
            parsed = parse_target(address, max_range_size=1)
            target = monitoring.target_create(
                parsed=parsed, label=_("from a bounce"), by=by
            )
        case, created = case_open(
            target=target,
            blocklist=blocklist,
            subject=address,
            by=by,
            bounce_text=bounce_text,
        )
        if created and lookup_url:
            DelistingCase.objects.filter(pk=case.pk).update(lookup_url=lookup_url[:500])
            case.refresh_from_db()
    return case, created
