"""Reads for the target list: which targets are in a state, and what a page
of them shows. Every figure comes from what the lists answered: the current
Listing rows on the enabled lists (one per list and address, written by the
runs); a target with no such row has no answer on record."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from blcheck.monitoring import keys
from blcheck.monitoring.models import Blocklist, Listing, Target

LISTED = "listed"
ERRORS = "errors"
CLEAN = "clean"
UNCHECKED = "unchecked"
PAUSED = "paused"
ARCHIVED = "archived"


def _answers() -> QuerySet[Listing]:
    """The current answers on the lists in use."""
    lists = Blocklist.objects.filter(is_enabled=True, is_retired=False)
    return Listing.objects.filter(blocklist__in=lists.values("pk"))


def _listed() -> QuerySet[Listing, Any]:
    return _answers().filter(is_listed=True).values("target_id")


def _erroring() -> QuerySet[Listing, Any]:
    return _answers().filter(~Q(last_error="")).values("target_id")


def target_in_state(targets: QuerySet[Target], state: str) -> QuerySet[Target]:
    """The targets in one state of the list's filter; any other word keeps
    the targets not archived."""
    if state == ARCHIVED:
        return targets.filter(archived_at__isnull=False)
    targets = targets.filter(archived_at__isnull=True)
    if state == PAUSED:
        return targets.filter(is_enabled=False)
    if state == LISTED:
        return targets.filter(pk__in=_listed())
    if state == ERRORS:
        return targets.filter(pk__in=_erroring())
    if state == UNCHECKED:
        return targets.exclude(Exists(_answers().filter(target=OuterRef("pk"))))
    if state == CLEAN:
        answered = Exists(_answers().filter(target=OuterRef("pk"), last_error=""))
        return (
            targets.filter(answered)
            .exclude(pk__in=_listed())
            .exclude(pk__in=_erroring())
        )
    return targets


def span_holding(first: str, last: str, *, via: str = "") -> Q:
    """Targets holding every address from first to last (monitoring.keys
    span keys); `via` reaches the target from another model, e.g. "target__".
    A domain's keys are "": never at or above an address's last key."""
    return Q(**{f"{via}address_first__lte": first, f"{via}address_last__gte": last})


def span_inside(first: str, last: str, *, via: str = "") -> Q:
    """Targets lying within first..last (a domain's "" keys never are:
    "" sorts before every address key)."""
    return Q(**{f"{via}address_first__gte": first, f"{via}address_last__lte": last})


def target_matching(targets: QuerySet[Target], text: str) -> QuerySet[Target]:
    """Search: an address finds itself and the ranges holding it; a CIDR range
    finds those too and every target inside it; other text finds values and
    labels containing it."""
    text = text.strip()
    span = keys.search_span(text)
    if span is None:
        return targets.filter(Q(value__icontains=text) | Q(label__icontains=text))
    return targets.filter(span_holding(*span) | span_inside(*span))


@dataclass(frozen=True)
class TargetRow:
    """One target of a page, with what its lists said at their last answers."""

    target: Target
    listed_lists: int
    listed_addresses: int
    error_lists: int
    answered_lists: int

    @property
    def state(self) -> str:
        if self.target.archived_at is not None:
            return ARCHIVED
        if self.listed_lists:
            return LISTED
        if self.error_lists:
            return ERRORS
        if self.answered_lists:
            return CLEAN
        return UNCHECKED

    @property
    def is_paused(self) -> bool:
        return not self.target.is_enabled and self.target.archived_at is None


def target_rows(targets: list[Target]) -> list[TargetRow]:
    """A page's rows: one query for every target's answers, whatever the page
    holds (the lists in use are a subquery)."""
    ids = [t.pk for t in targets]
    figures: dict[int, dict[str, int]] = {}
    if ids:
        rows = (
            _answers()
            .filter(target_id__in=ids)
            .values("target_id")
            .annotate(
                listed_lists=Count(
                    "blocklist", filter=Q(is_listed=True), distinct=True
                ),
                listed_addresses=Count(
                    "subject", filter=Q(is_listed=True), distinct=True
                ),
                error_lists=Count("blocklist", filter=~Q(last_error=""), distinct=True),
                answered_lists=Count(
                    "blocklist", filter=Q(last_error=""), distinct=True
                ),
            )
            .order_by()
        )
        figures = {row.pop("target_id"): row for row in rows}
    empty = {
        "listed_lists": 0,
        "listed_addresses": 0,
        "error_lists": 0,
        "answered_lists": 0,
    }
    return [TargetRow(t, **figures.get(t.pk, empty)) for t in targets]
