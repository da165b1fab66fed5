"""The weekly digest: what the past seven days' answers said, with links.

Beat's send_weekly_digest sends it (BLCHECK_DIGEST_DAY at BLCHECK_DIGEST_HOUR,
site time) by e-mail to everyone who turned it on, each in their language.
It says only what was recorded: listing episodes that began (ListingChange
"listed" rows) and ended (their ended_at) in the week, the open cases marked
overdue, how long the episodes that ended had lasted, and how many checks got
no answers at all. "No listing appeared or cleared" is never "all clean":
when checks were blind or failed, the digest says so.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from blcheck.cases.models import DelistingCase
from blcheck.cases.workflow import ENDED
from blcheck.core.templatetags.blcheck import timesince_delta
from blcheck.monitoring.models import CheckRun, ListingChange
from blcheck.monitoring.services.notifications import (
    Audience,
    Message,
    list_name,
    notification_send_each,
    site_link,
)
from blcheck.reports import stats
from blcheck.reports.selectors.reports import Seconds
from blcheck.reports.stats import Durations

WEEK = timedelta(days=7)
MOST = 30  # lines per section; the rest is counted (the history has them all)


@dataclass(frozen=True)
class Section:
    rows: list[Any]
    total: int


@dataclass(frozen=True)
class Digest:
    start: datetime
    end: datetime
    begun: Section  # ListingChange "listed" rows: episodes that began
    ended: Section  # the same kind of rows: episodes that ended
    lengths: Durations  # of every episode that ended
    overdue: Section  # DelistingCase
    blind: int  # runs that got no answer (DNS resolution failing)
    failed: int  # runs that failed


def _section(rows: QuerySet, order: str) -> Section:
    return Section(list(rows.order_by(order, "pk")[:MOST]), rows.count())


def digest_build(*, now: datetime) -> Digest:
    """The week before now, from the history and the cases (eight queries)."""
    start = now - WEEK
    episodes = ListingChange.objects.filter(
        kind=ListingChange.Kind.LISTED
    ).select_related("listing__target", "blocklist")
    ended = episodes.filter(ended_at__gte=start, ended_at__lt=now)
    lengths = ended.annotate(length=Seconds(F("ended_at"), F("at"))).values_list(
        "length", flat=True
    )
    overdue = DelistingCase.objects.exclude(status__in=ENDED).filter(is_overdue=True)
    runs = CheckRun.objects.filter(created_at__gte=start, created_at__lt=now)
    counts = runs.aggregate(
        blind=Count("pk", filter=Q(status=CheckRun.Status.BLIND)),
        failed=Count("pk", filter=Q(status=CheckRun.Status.FAILED)),
    )
    return Digest(
        start=start,
        end=now,
        begun=_section(episodes.filter(at__gte=start, at__lt=now), "at"),
        ended=_section(ended, "ended_at"),
        lengths=stats.summarise_seconds(list(lengths.order_by())),
        overdue=_section(
            overdue.select_related("target", "blocklist"), "removal_due_at"
        ),
        blind=counts["blind"],
        failed=counts["failed"],
    )


def _when(moment: datetime | None) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else "—"


def _more(section: Section) -> list[str]:
    left = section.total - len(section.rows)
    if left <= 0:
        return []
    return [
        ngettext("… and %(count)d more", "… and %(count)d more", left) % {"count": left}
    ]


def _episode_lines(digest: Digest) -> list[str]:
    if not digest.begun.total and not digest.ended.total:
        return [gettext("No listing appeared or cleared this week.")]
    lines = []
    if digest.begun.total:
        lines.append(
            gettext("New listings (%(count)d):") % {"count": digest.begun.total}
        )
        for row in digest.begun.rows:
            lines.append(
                "- "
                + gettext("%(subject)s on %(list)s, listed at %(time)s: %(link)s")
                % _episode_values(row, row.at)
            )
        lines += _more(digest.begun)
    else:
        lines.append(gettext("No new listing this week."))
    lines.append("")
    if digest.ended.total:
        lines.append(gettext("Cleared (%(count)d):") % {"count": digest.ended.total})
        for row in digest.ended.rows:
            values = _episode_values(row, row.ended_at)
            values["duration"] = timesince_delta(row.ended_at - row.at)
            lines.append(
                "- "
                + gettext(
                    "%(subject)s on %(list)s, cleared at %(time)s after %(duration)s: "
                    "%(link)s"
                )
                % values
            )
        lines += _more(digest.ended)
        lines.append(
            gettext(
                "Time to delist of the listings that ended: median %(median)s, "
                "longest %(longest)s."
            )
            % {
                "median": timesince_delta(digest.lengths.median),
                "longest": timesince_delta(digest.lengths.worst),
            }
        )
    else:
        lines.append(gettext("No listing was cleared this week."))
    return lines


def _episode_values(row: ListingChange, moment: datetime | None) -> dict[str, str]:
    return {
        "subject": row.listing.subject,
        "list": list_name(row.blocklist),
        "time": _when(moment),
        "link": site_link("reports:target-detail", row.listing.target_id),
    }


def _case_lines(digest: Digest) -> list[str]:
    if not digest.overdue.total:
        return [gettext("No open case is overdue.")]
    lines = [gettext("Overdue cases (%(count)d):") % {"count": digest.overdue.total}]
    for case in digest.overdue.rows:
        lines.append(
            "- "
            + gettext(
                "#%(number)d %(subject)s on %(list)s, removal expected by %(due)s: "
                "%(link)s"
            )
            % {
                "number": case.pk,
                "subject": case.subject,
                "list": list_name(case.blocklist),
                "due": _when(case.removal_due_at),
                "link": site_link("cases:case-detail", case.pk),
            }
        )
    return lines + _more(digest.overdue)


def _unanswered_lines(digest: Digest) -> list[str]:
    lines = []
    if digest.blind:
        lines.append(
            ngettext(
                "%(count)d check got no answers (DNS resolution failing): what it "
                "would have found is not known.",
                "%(count)d checks got no answers (DNS resolution failing): what they "
                "would have found is not known.",
                digest.blind,
            )
            % {"count": digest.blind}
        )
    if digest.failed:
        lines.append(
            ngettext(
                "%(count)d check failed.", "%(count)d checks failed.", digest.failed
            )
            % {"count": digest.failed}
        )
    return lines


def digest_message(digest: Digest) -> Message:
    """The digest in the active language."""
    subject = gettext("blcheck: weekly digest, %(start)s to %(end)s") % {
        "start": _when(digest.start),
        "end": _when(digest.end),
    }
    sections = [_episode_lines(digest), _case_lines(digest)]
    if unanswered := _unanswered_lines(digest):
        sections.append(unanswered)
    sections.append(
        [
            gettext("Dashboard: %(link)s") % {"link": site_link("reports:dashboard")},
            gettext("History: %(link)s")
            % {"link": site_link("reports:history-episodes")},
        ]
    )
    return Message(subject, "\n\n".join("\n".join(lines) for lines in sections))


def digest_send(*, now: datetime | None = None) -> int:
    """Send the digest of the week before now; returns how many e-mails went."""
    digest = digest_build(now=now or timezone.now())
    return notification_send_each(
        audience=Audience.DIGEST, render=lambda: digest_message(digest)
    )
