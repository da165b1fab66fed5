"""Reads for cases: the case list, a case's timeline, and the targets a case
can be opened on, found by what a person types."""

import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from blcheck.cases.models import CaseEvent, DelistingCase
from blcheck.monitoring import keys
from blcheck.monitoring.models import Target
from blcheck.monitoring.selection import span_holding, span_inside
from blcheck.monitoring.selectors import target_for_address
from blcheck.monitoring.targets import TargetError, parse_target

CASE_PAGE_SIZE = 50
TARGET_OPTIONS = 20
# A target's value is at most 253 characters: a longer text matches nothing.
SEARCH_MAX_LENGTH = 253
# What the dashboard and target page post: a target's id (fits a 64-bit column).
_TARGET_ID = re.compile(r"[0-9]{1,18}")


def case_list() -> QuerySet[DelistingCase]:
    return DelistingCase.objects.select_related("target", "blocklist", "assignee")


def case_timeline(case: DelistingCase) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor").order_by("at", "pk")


def _searchable(text: str) -> str:
    """The text stripped, or "" when it can match no target."""
    text = text.strip()
    if len(text) > SEARCH_MAX_LENGTH or "\x00" in text:
        return ""
    return text


def target_options(text: str, limit: int = TARGET_OPTIONS) -> list[Target]:
    """At most `limit` non-archived targets for what was typed, in numeric
    order: those holding the address or range typed and those inside it, else
    those whose value or label contains the text. One query."""
    text = _searchable(text)
    current = Target.objects.current().only("pk", "value", "label", "sort_key")
    if not text:
        return list(current.order_by("sort_key")[:limit])
    span = keys.search_span(text)
    if span is not None:
        found = span_holding(*span) | span_inside(*span) | Q(value__startswith=text)
    else:
        found = Q(value__icontains=text) | Q(label__icontains=text)
    return list(current.filter(found).order_by("sort_key")[:limit])


@dataclass(frozen=True)
class TargetMatch:
    """What a typed text names: one target, or how many it could mean (0: none)."""

    target: Target | None
    count: int = 0
    archived: bool = False  # the text is exactly an archived target's value


def _normalised(text: str) -> str:
    """The value a target typed this way is stored as (targets.parse_target)."""
    try:
        return parse_target(text, max_range_size=2**128).value
    except TargetError:
        return text


def _holding_target(text: str) -> Target | None:
    """The non-archived target holding the address or range typed, narrowest
    first (for an address, as monitoring's target_for_address finds it)."""
    span = keys.search_span(text)
    if span is None:
        return None
    if "/" not in text:
        found = target_for_address(_normalised(text))
        if found is not None and not found.is_archived:
            return found
    first, last = span
    return (
        Target.objects.current()
        .filter(span_holding(first, last))
        .order_by("-address_first", "address_last", "pk")
        .first()
    )


def _unique(targets: QuerySet[Target]) -> TargetMatch:
    found = list(targets[:2])
    if len(found) == 1:
        return TargetMatch(found[0])
    return TargetMatch(None, targets.count() if found else 0)


def _label_match(text: str) -> TargetMatch:
    """The one target labelled so, else the one by id (as the dashboard and
    the target page post it), else the one label holding the text."""
    current = Target.objects.current()
    match = _unique(current.filter(label__iexact=text))
    if match.target is not None or match.count:
        return match
    if _TARGET_ID.fullmatch(text):
        by_id = current.filter(pk=int(text)).first()
        if by_id is not None:
            return TargetMatch(by_id)
    return _unique(current.filter(label__icontains=text))


def target_match(text: str) -> TargetMatch:
    """The one non-archived target a typed text names: its value exactly, else
    the target holding the address typed, else a label (exactly, else the one
    label holding the text); a target's id as the target page posts it is read
    after an exact label. A bounded number of queries, whatever the targets."""
    text = _searchable(text)
    if not text:
        return TargetMatch(None)
    value = _normalised(text)
    exact = list(Target.objects.filter(value__in={text, value}))
    current = [t for t in exact if not t.is_archived]
    if current:
        return TargetMatch(current[0])
    held = _holding_target(text)
    if held is not None:
        return TargetMatch(held)
    if keys.search_span(text) is not None:
        return TargetMatch(None, archived=bool(exact))
    match = _label_match(text)
    return TargetMatch(match.target, match.count, archived=bool(exact))
