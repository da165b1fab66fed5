"""What every list says about a target now, and the headline of its page.

Every figure comes from answers: a list counts as "not listed" only when its
latest lookup answered so; a failed lookup keeps the last known state and says
why; a target whose latest check was blind (the resolver itself failed) says
that, and since when. One aggregate query, plus a few small ones bounded by the
number of lists (never by how many lookups the target has).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, F, FilteredRelation, Max, Min, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from blcheck.cases.models import DelistingCase
from blcheck.monitoring.models import (
    KIND_FIELDS,
    Blocklist,
    CheckRun,
    Listing,
    Lookup,
    ResolverOutage,
    Target,
)
from blcheck.monitoring.selectors import reason_token

SAMPLE_SIZE = 10  # listed addresses of a range shown per list
UNHEALTHY = Lookup.Error.LIST_UNHEALTHY.value
HEALTH_LABELS = dict(Blocklist.Health.choices)
ERROR_LABELS = dict(Lookup.Error.choices)


def blocklist_list_for_target(target: Target) -> QuerySet[Blocklist]:
    """Enabled, not retired lists that can answer for this kind of target."""
    fits = Q(**{dict(KIND_FIELDS)[target.family]: True})
    return Blocklist.objects.filter(fits, is_enabled=True, is_retired=False).order_by(
        "name"
    )


@dataclass
class ListedSubject:
    listing: Listing
    case: "DelistingCase | None" = None  # the active case, if one is open


@dataclass
class ListState:
    """One list's verdict on a target; for a range, summed over its addresses.

    `listed` counts last known listings, even where the latest lookup failed.
    """

    blocklist: Blocklist
    is_range: bool = False
    checked: int = 0  # addresses with a Listing row (asked at least once)
    listed: int = 0
    listed_ok: int = 0  # listed, and the latest lookup said so
    errors: int = 0  # the latest lookup was an error
    error: str = ""  # one of those errors' token
    error_other: str = ""  # another one, when they differ (a range)
    listed_since: datetime | None = None  # the oldest open episode's start
    changed_at: datetime | None = None
    changes: int = 0
    sample: list[ListedSubject] = field(default_factory=list)
    health: str = ""  # with list_unhealthy: why its probes failed, as recorded
    health_token: str = ""  # the same as its Blocklist.Health value
    has_answered: bool = False  # an answer about the address is on record
    is_stale: bool = False  # the target's latest check was blind

    @property
    def verdict(self) -> str:
        """listed / error / not_listed / unchecked: an error never reads clean."""
        if not self.checked:
            return "unchecked"
        if self.listed_ok:
            return "listed"
        return "error" if self.errors else "not_listed"

    @property
    def badge(self) -> str:
        """The verdict_badge key: "not listed" from before a blind check is
        only the last known state, and gets no tick."""
        if self.is_stale and self.verdict == "not_listed":
            return "last_known"
        return self.verdict

    @property
    def error_tokens(self) -> tuple[str, ...]:
        return tuple(t for t in dict.fromkeys((self.error, self.error_other)) if t)

    @property
    def reason_tokens(self) -> tuple[str, ...]:
        """error_tokens, an unhealthy list's with why: "list_unhealthy:refused"."""
        return tuple(
            reason_token(t, self.health_token if t == UNHEALTHY else "")
            for t in self.error_tokens
        )

    @property
    def error_label(self) -> str:
        return str(ERROR_LABELS.get(self.error, self.error))

    @property
    def answered(self) -> int:
        """Addresses whose latest lookup got an answer."""
        return self.checked - self.errors

    @property
    def last_known(self) -> str:
        """What the latest answer said: "listed", "not_listed", or "" when no
        answer is known (never asked, or every lookup failed)."""
        if self.listed:
            return "listed"
        if not self.checked:
            return ""
        if not self.errors:
            return "not_listed"
        # A cleared flip was an answer; a range's other addresses may never
        # have answered, so only the single address's history counts.
        if not self.is_range and (self.changes or self.has_answered):
            return "not_listed"
        return ""

    @property
    def more(self) -> int:
        return max(self.listed - len(self.sample), 0)


@dataclass(frozen=True)
class Blind:
    """The target's latest check got no answers: the resolver was failing."""

    since: datetime
    outage: ResolverOutage | None
    failure: str = ""  # the blind run's own words, when its outage row is gone


@dataclass
class TargetStates:
    rows: list[ListState]
    is_range: bool = False
    blind: Blind | None = None
    last_answers_at: datetime | None = None  # the latest run that got answers

    def _count(self, verdict: str) -> int:
        return sum(1 for row in self.rows if row.verdict == verdict)

    @property
    def state(self) -> str:
        """blind / unchecked / unanswered / answered: what the headline says."""
        if self.blind is not None:
            return "blind"
        if not any(row.checked for row in self.rows):
            return "unchecked"
        if not (self.listed_lists or self.clean_lists):
            return "unanswered"
        return "answered"

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def listed_lists(self) -> int:
        return self._count("listed")

    @property
    def clean_lists(self) -> int:
        return self._count("not_listed")

    @property
    def error_lists(self) -> int:
        return self._count("error")

    @property
    def unchecked_lists(self) -> int:
        return self._count("unchecked")

    @property
    def listings(self) -> int:
        """Addresses listed at the latest answers, summed over the lists."""
        return sum(row.listed_ok for row in self.rows)

    @property
    def failed_lookups(self) -> int:
        return sum(row.errors for row in self.rows)

    @property
    def error_tokens(self) -> list[str]:
        """Why lookups failed, each once; an unhealthy list's with its reason
        (the error_reasons tag names them)."""
        tokens = (t for row in self.rows if row.errors for t in row.reason_tokens)
        return sorted(set(tokens))

    @property
    def known_listed(self) -> int:
        return sum(1 for row in self.rows if row.last_known == "listed")

    @property
    def known_clean(self) -> int:
        return sum(1 for row in self.rows if row.last_known == "not_listed")

    @property
    def known_none(self) -> int:
        """Lists asked, but with no answer on record."""
        return sum(1 for row in self.rows if row.checked and not row.last_known)

    @property
    def blocklists(self) -> dict[int, Blocklist]:
        return {row.blocklist.pk: row.blocklist for row in self.rows}

    @property
    def oldest_listed_since(self) -> datetime | None:
        return min((r.listed_since for r in self.rows if r.listed_since), default=None)


def target_list_states(
    *, target: Target, cases: Sequence["DelistingCase"]
) -> TargetStates:
    """The verdict of every list that fits the target: one aggregate query;
    one more for the listed addresses when anything is listed; one or two for
    the lookups behind failed rows; and two for a blind latest check."""
    mine = FilteredRelation("listings", condition=Q(listings__target=target))
    failing = Q(mine__last_error__gt="")
    is_range = target.kind == Target.Kind.RANGE
    rows = [
        _state(blocklist, is_range=is_range)
        for blocklist in blocklist_list_for_target(target)
        .annotate(mine=mine)
        .annotate(
            checked=Count("mine"),
            listed=Count("mine", filter=Q(mine__is_listed=True)),
            listed_ok=Count(
                "mine", filter=Q(mine__is_listed=True, mine__last_error="")
            ),
            errors=Count("mine", filter=failing),
            error=Max("mine__last_error"),
            error_other=Min("mine__last_error", filter=failing),
            listed_since=Min("mine__listed_since"),
            changed_at=Max("mine__last_changed_at"),
            changes=Max("mine__change_count"),
        )
    ]
    if any(row.listed for row in rows):
        _attach_samples(target, rows, cases)
    _attach_lookups(target, rows)
    states = TargetStates(rows, is_range=is_range, blind=_blind(target))
    if states.blind is not None:
        for row in rows:
            row.is_stale = True
    if states.state in ("blind", "unanswered"):
        states.last_answers_at = _last_answers(target)
    return states


def _state(annotated: Any, *, is_range: bool) -> ListState:
    """A Blocklist row annotated by target_list_states."""
    return ListState(
        blocklist=annotated,
        is_range=is_range,
        checked=annotated.checked,
        listed=annotated.listed,
        listed_ok=annotated.listed_ok,
        errors=annotated.errors,
        error=annotated.error or "",
        error_other=annotated.error_other or "",
        listed_since=annotated.listed_since,
        changed_at=annotated.changed_at,
        changes=annotated.changes or 0,
    )


def _attach_samples(
    target: Target, rows: list[ListState], cases: Sequence["DelistingCase"]
) -> None:
    """The first SAMPLE_SIZE listed addresses per list, longest listed first."""
    order = ("listed_since", "subject")
    first = Window(
        RowNumber(), partition_by=[F("blocklist_id")], order_by=[F(x) for x in order]
    )
    listed = (
        Listing.objects.filter(target=target, is_listed=True)
        .annotate(row=first)
        .filter(row__lte=SAMPLE_SIZE)
        .order_by("blocklist_id", *order)
    )
    active = {(c.blocklist_id, c.subject): c for c in cases if c.is_active}
    by_list = {row.blocklist.pk: row for row in rows}
    for listing in listed:
        row = by_list.get(listing.blocklist_id)
        if row is not None:
            listing.blocklist = row.blocklist
            case = active.get((listing.blocklist_id, listing.subject))
            row.sample.append(ListedSubject(listing, case))


def _attach_lookups(target: Target, rows: list[ListState]) -> None:
    """For rows whose latest lookup failed: why an unhealthy list failed its
    probes (recorded on its latest such lookup, not the list's health now),
    and whether a list that never listed the address ever answered about it
    (the Listing row cannot tell)."""
    by_list = {row.blocklist.pk: row for row in rows}
    unhealthy = [pk for pk, row in by_list.items() if UNHEALTHY in row.error_tokens]
    if unhealthy:
        latest = Window(
            RowNumber(),
            partition_by=[F("blocklist_id")],
            order_by=[F("checked_at").desc(), F("pk").desc()],
        )
        found = (
            Lookup.objects.filter(
                target=target, blocklist_id__in=unhealthy, error=UNHEALTHY
            )
            .annotate(row=latest)
            .filter(row=1)
            .order_by()
            .values_list("blocklist_id", "health")
        )
        for pk, health in found:
            by_list[pk].health = str(HEALTH_LABELS[health]) if health else ""
            by_list[pk].health_token = health
    unsure = [
        pk
        for pk, row in by_list.items()
        if not row.is_range and row.errors and not row.listed and not row.changes
    ]
    if unsure:
        answered = (
            Lookup.objects.filter(
                subject=target.value, blocklist_id__in=unsure, target=target
            )
            .exclude(verdict=Lookup.Verdict.ERROR)
            .order_by()
            .values_list("blocklist_id", flat=True)
            .distinct()
        )
        for pk in answered:
            by_list[pk].has_answered = True


def _blind(target: Target) -> Blind | None:
    """Blind when the target's latest check was (a blind run after its last
    answered check: a blind run leaves last_checked_at alone), or when the
    resolver has been failing since before that check.

    One query when no outage was seen since the target's last answered check
    (outages never overlap, so the latest one is the last that could have
    made a run blind); one more for the blind run otherwise."""
    latest = ResolverOutage.objects.order_by("-started_at", "-pk").first()
    checked = target.last_checked_at  # a blind run leaves it alone
    if latest is None or (checked is not None and latest.last_seen_at < checked):
        return None
    outage = latest if latest.ended_at is None else None
    run = (
        target.runs.filter(status=CheckRun.Status.BLIND)
        .select_related("outage")
        .first()
    )
    if run is not None and (checked is None or checked < _ended(run)):
        cause = run.outage or outage
        began = cause.started_at if cause is not None else run.created_at
        since = began if checked is None or checked < began else run.created_at
        return Blind(since=since, outage=cause, failure=run.failure)
    if outage is not None and (checked is None or checked < outage.started_at):
        return Blind(since=outage.started_at, outage=outage)
    return None


def _ended(run: CheckRun) -> datetime:
    return run.finished_at or run.created_at


def _last_answers(target: Target) -> datetime | None:
    """When the latest run that got at least one answer ended."""
    return (
        target.runs.filter(
            status__in=[CheckRun.Status.FINISHED, CheckRun.Status.BLIND],
            done__gt=F("error_count"),
        )
        .order_by(F("finished_at").desc(nulls_last=True), "-pk")
        .values_list("finished_at", flat=True)
        .first()
    )


def run_errors(run: CheckRun | None) -> list[str]:
    """Why the run's failed lookups failed: each reason token once."""
    if run is None or not run.error_count:
        return []
    pairs = (
        run.lookups.filter(verdict=Lookup.Verdict.ERROR)
        .order_by()
        .values_list("error", "health")
        .distinct()
    )
    return sorted({reason_token(error, health) for error, health in pairs})
