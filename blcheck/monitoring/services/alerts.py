"""The words of a batch of notices (services/notices.py), in the active
language: one section per target with a link to its page, then the lists
that turned unhealthy, then what flipped back within the window."""

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext, ngettext, pgettext

from blcheck.monitoring.models import Blocklist, CheckRun, ListingChange, Target
from blcheck.monitoring.services.notifications import (
    Message,
    list_name,
    local_time,
    one_line,
    site_link,
)

if TYPE_CHECKING:
    from blcheck.monitoring.services.notices import Batch, Flip, Turn

LISTED = ListingChange.Kind.LISTED


def alert_message(batch: "Batch", *, now: datetime) -> Message:
    sections = _target_sections(batch, now)
    if batch.turns:
        sections.append(
            [
                gettext(
                    "Lists that turned unhealthy (their lookups count as errors "
                    "until their test entries answer correctly again):"
                )
            ]
            + [_turn_line(turn, now) for turn in batch.turns]
            + [
                gettext("Lists: %(link)s")
                % {"link": site_link("monitoring:blocklist-list")}
            ]
        )
    if batch.flapped or batch.recovered:
        sections.append(
            [
                ngettext(
                    "Changed and changed back within %(minutes)d minute (not alerts):",
                    "Changed and changed back within %(minutes)d minutes (not alerts):",
                    settings.NOTIFY_WINDOW_MINUTES,
                )
                % {"minutes": settings.NOTIFY_WINDOW_MINUTES}
            ]
            + [_flapped_line(steps, now) for steps in batch.flapped]
            + [_recovered_line(turn, now) for turn in batch.recovered]
        )
    return Message(_subject(batch), "\n\n".join("\n".join(lines) for lines in sections))


def _subject(batch: "Batch") -> str:
    listed = sum(1 for flip in batch.flips if flip.change.kind == LISTED)
    cleared = len(batch.flips) - listed
    parts = []
    if listed:
        parts.append(
            ngettext("%(count)d new listing", "%(count)d new listings", listed)
            % {"count": listed}
        )
    if cleared:
        parts.append(
            ngettext("%(count)d listing cleared", "%(count)d listings cleared", cleared)
            % {"count": cleared}
        )
    if batch.failed:
        count = len(batch.failed)
        parts.append(
            ngettext("%(count)d check failed", "%(count)d checks failed", count)
            % {"count": count}
        )
    if batch.turns:
        count = len(batch.turns)
        parts.append(
            ngettext("%(count)d list unhealthy", "%(count)d lists unhealthy", count)
            % {"count": count}
        )
    summary = pgettext("between the parts of a summary", ", ").join(parts)
    targets = {f.change.listing.target for f in batch.flips}
    targets |= {run.target for run in batch.failed}
    if len(targets) == 1:
        (target,) = targets
        return gettext("blcheck: %(target)s: %(summary)s") % {
            "target": _target_name(target),
            "summary": summary,
        }
    return gettext("blcheck: %(summary)s") % {"summary": summary}


def _target_name(target: Target) -> str:
    if target.label:
        return f"{target.value} ({one_line(target.label, 100)})"
    return target.value


def _target_sections(batch: "Batch", now: datetime) -> list[list[str]]:
    lines: dict[Target, list[str]] = defaultdict(list)
    for flip in batch.flips:
        lines[flip.change.listing.target].append(_flip_line(flip, now))
    for run in batch.failed:
        lines[run.target].append(_failed_line(run, now))
    return [
        [_target_name(target), *found, _page(target)]
        for target, found in sorted(lines.items(), key=lambda item: item[0].value)
    ]


def _page(target: Target) -> str:
    return gettext("Page: %(link)s") % {
        "link": site_link("reports:target-detail", target.pk)
    }


def _flip_line(flip: "Flip", now: datetime) -> str:
    change = flip.change
    values = {
        "list": list_name(change.blocklist),
        "time": local_time(change.at, now=now),
    }
    if change.kind == LISTED:
        codes = ", ".join(change.codes)
        values["codes"] = codes
        text = (
            ngettext(
                "Listed on %(list)s since %(time)s, code %(codes)s",
                "Listed on %(list)s since %(time)s, codes %(codes)s",
                len(change.codes),
            )
            % values
        )
        if change.reason:
            text = gettext("%(listing)s: %(reason)s") % {
                "listing": text,
                "reason": one_line(change.reason),
            }
    elif flip.since is not None:
        values["since"] = local_time(flip.since, now=now)
        text = (
            gettext(
                "No longer listed on %(list)s: cleared at %(time)s, "
                "listed since %(since)s"
            )
            % values
        )
    else:
        text = gettext("No longer listed on %(list)s: cleared at %(time)s") % values
    return _item(change.listing.subject, change.listing.target, text)


def _item(subject: str, target: Target, text: str) -> str:
    """A line of a target's section; a range's address is named first."""
    if subject == target.value:
        return f"- {text}"
    return "- " + gettext("%(subject)s: %(text)s") % {"subject": subject, "text": text}


def _failed_line(run: CheckRun, now: datetime) -> str:
    when = local_time(run.finished_at or run.created_at, now=now)
    if run.failure:
        text = gettext("The check failed at %(time)s: %(why)s") % {
            "time": when,
            "why": one_line(run.failure),
        }
    else:
        text = gettext("The check failed at %(time)s.") % {"time": when}
    return f"- {text}"


def _health_label(value: str) -> str:
    try:
        return str(Blocklist.Health(value).label)
    except ValueError:
        return value


def _turn_line(turn: "Turn", now: datetime) -> str:
    return "- " + gettext("%(list)s, at %(time)s: %(why)s") % {
        "list": list_name(turn.blocklist),
        "time": local_time(turn.at, now=now),
        "why": _health_label(turn.health),
    }


def _recovered_line(turn: "Turn", now: datetime) -> str:
    return "- " + gettext(
        "%(list)s: unhealthy at %(time)s (%(why)s), healthy at its latest probe"
    ) % {
        "list": list_name(turn.blocklist),
        "time": local_time(turn.at, now=now),
        "why": _health_label(turn.health),
    }


def _flapped_line(steps: list[ListingChange], now: datetime) -> str:
    first = steps[0]
    what = pgettext("between the parts of a summary", ", ").join(
        (
            gettext("listed at %(time)s")
            if step.kind == LISTED
            else gettext("cleared at %(time)s")
        )
        % {"time": local_time(step.at, now=now)}
        for step in steps
    )
    return "- " + gettext("%(subject)s on %(list)s: %(what)s") % {
        "subject": first.listing.subject,
        "list": list_name(first.blocklist),
        "what": what,
    }
