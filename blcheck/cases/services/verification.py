"""blcheck's own checks of a case: verified removal, overdue, re-evaluation,
relisting."""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from blcheck.cases import workflow
from blcheck.cases.models import DelistingCase
from blcheck.cases.services.cases import (
    Kind,
    Status,
    case_event_write,
    case_move,
    case_notify,
    in_site_language,
    listing_change_latest_episode,
)
from blcheck.monitoring.models import CheckRun, Lookup


def _verify_rule() -> workflow.VerifyRule:
    from datetime import timedelta

    return workflow.VerifyRule(
        lookups=settings.VERIFY_LOOKUPS,
        spacing=timedelta(minutes=settings.VERIFY_SPACING_MINUTES),
    )


@in_site_language
def case_record_check(*, case: DelistingCase, lookup: Lookup) -> DelistingCase:
    """What one of blcheck's own lookups means for the case."""
    now = lookup.checked_at
    rule = _verify_rule()
    with transaction.atomic():
        case_event_write(
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
        case_event_write(
            case,
            Kind.OVERDUE,
            by=None,
            at=now,
            lookup=lookup,
            evidence={"removal_due_at": case.removal_due_at.isoformat()},
            detail=_("Still listed after the list's removal window."),
        )
        case_notify(case, "overdue")


def _relisted(case: DelistingCase, now: datetime, lookup: Lookup | None) -> None:
    case_move(
        case,
        Status.RELISTED,
        Kind.RELISTED,
        by=None,
        at=now,
        lookup=lookup,
        detail=_("Listed again."),
        next_check_at=now,
        reevaluate_at=None,
        episode=listing_change_latest_episode(case.blocklist, case.subject),
    )
    case_notify(case, "relisted")


def _clean(
    case: DelistingCase, lookup: Lookup, now: datetime, rule: workflow.VerifyRule
) -> None:
    if case.status == Status.WATCHING:
        if case.reevaluate_at and now >= case.reevaluate_at:
            _close(case, now, lookup)
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


def _close(case: DelistingCase, now: datetime, lookup: Lookup | None) -> None:
    """The work is done: the summary gives the time to delist."""
    case_move(
        case,
        Status.CLOSED,
        Kind.CLOSED,
        by=None,
        at=now,
        lookup=lookup,
        closed_at=now,
        next_check_at=None,
        detail=_summary(case, now),
        evidence=_summary_data(case, now),
    )


def _verified(case: DelistingCase, now: datetime, lookup: Lookup) -> None:
    reevaluate = workflow.reevaluation_at(case.policy, now)
    # Kept as text in the site's language and time zone, as pages show times.
    since = timezone.localtime(case.clean_since)
    detail = _("Not listed in %(count)s consecutive lookups since %(since)s.") % {
        "count": case.clean_count,
        "since": f"{since:%Y-%m-%d %H:%M %Z}",
    }
    case_move(
        case,
        Status.REMOVAL_VERIFIED,
        Kind.VERIFIED,
        by=None,
        at=now,
        lookup=lookup,
        verified_at=now,
        detail=detail,
        evidence={
            "clean_count": case.clean_count,
            "clean_since": since.isoformat(),
        },
    )
    if reevaluate is None:
        _close(case, now, None)
    else:
        case_move(
            case,
            Status.WATCHING,
            Kind.WATCHING,
            by=None,
            at=now,
            reevaluate_at=reevaluate,
            next_check_at=reevaluate,
            evidence={"reevaluate_at": reevaluate.isoformat()},
            detail=_("The list re-evaluates on %(date)s; blcheck checks again then.")
            % {"date": f"{timezone.localdate(reevaluate):%Y-%m-%d}"},
        )


def _summary_data(case: DelistingCase, now: datetime) -> dict[str, float | bool]:
    """How long the removal took (time to delist), and whether the case lasted
    to the list's re-evaluation: the page words them."""
    start = case.requested_at or case.opened_at
    hours = ((case.verified_at or now) - start).total_seconds() / 3600
    return {"removed_hours": round(hours, 1), "reevaluated": bool(case.reevaluate_at)}


def _summary(case: DelistingCase, now: datetime) -> str:
    """Closing words: how long the removal took (time to delist)."""
    hours = _summary_data(case, now)["removed_hours"]
    removed = _("Removed %(hours).1f hours after the request.") % {"hours": hours}
    if case.reevaluate_at:
        return _("Still clean at the re-evaluation.") + " " + removed
    return removed


def case_verify_due(*, claimant: str, now: datetime | None = None) -> int:
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
    monitoring.run_check(run_ids=[run.pk for run in runs.values()], claimant=claimant)
    for case in due:
        lookup = Lookup.objects.filter(run=runs[case.pk]).first()
        if lookup is not None:
            case_record_check(case=case, lookup=lookup)
    return len(due)


@in_site_language
def case_watch_relisting(*, now: datetime | None = None) -> int:
    """Watched (or just verified) cases whose listing came back: relisted."""
    from blcheck.monitoring.models import Listing

    now = now or timezone.now()
    moved = 0
    watched = DelistingCase.objects.select_related("target", "blocklist").filter(
        status__in=[Status.WATCHING, Status.REMOVAL_VERIFIED]
    )
    for case in watched:
        listed = Listing.objects.filter(  # under the subject's owner, any target
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
