"""A case's history as its page tells it: each event worded in the reader's
language and time zone from the tokens and data it stores (kind, verdict,
codes, dates), never from the sentence blcheck wrote in the site's language
at the time. Rows from before the data was kept are read from their stored
words where a number or date can be taken from them, else shown as stored.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from blcheck.cases.models import CaseEvent, DelistingCase
from blcheck.cases.services.requests import REQUEST_FIELDS, request_field_label
from blcheck.monitoring.models import Lookup

Kind = CaseEvent.Kind

# What blcheck says by itself, the same words whatever the case.
FIXED_WORDS = {
    Kind.OVERDUE: "Still listed after the list's removal window.",
    Kind.RELISTED: "Listed again.",
    Kind.WAITING: (
        "This list removes listings on its own; no request is possible. Wait, "
        "and blcheck keeps checking."
    ),
}
STILL_CLEAN = "Still clean at the re-evaluation."
# Dates as blcheck wrote them into its sentences ("2026-11-03 14:00 JST").
STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?: (?:[A-Z]{2,5}|[+-]\d{2,4}))?")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass
class LookupShown:
    """The lookup behind an event, as evidence."""

    verdict: str
    verdict_label: str
    query_name: str
    codes: list[str]
    reason: str
    error: str
    rcode: str
    resolver: str
    checked_at: str


@dataclass
class Entry:
    event: CaseEvent
    words: str = ""  # the event in the reader's language, or a person's own text
    facts: list[tuple[str, str]] = field(default_factory=list)  # a request
    changes: list[tuple[str, str, str, str]] = field(default_factory=list)
    lookup: LookupShown | None = None


def _when(value: Any) -> str:
    """An ISO date-time kept in evidence, in the reader's format and the site's
    time zone ("" when there is none)."""
    moment = parse_datetime(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        return ""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "DATETIME_FORMAT")


def _before_full_stop(when: str) -> str:
    """A date that ends a sentence: "4 a.m." loses its own last dot there."""
    return when.removesuffix(".")


def _day(value: Any) -> str:
    """An ISO date (or date-time) kept in evidence, as the reader writes days."""
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        return ""
    day = timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()
    return formats.date_format(day, "DATE_FORMAT")


def in_any_language(message: "str | Promise") -> list[str]:
    """A message (a msgid, or a lazy label) in each of the site's languages:
    stored text may be in any of them."""
    texts = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts.append(_(message) if isinstance(message, str) else str(message))
    return texts


def _method(data: str, text: str) -> str:
    """A request method in the reader's language, from its code or, in rows
    from before codes were kept, from its label in any language."""
    for method in DelistingCase.Method:
        if data == method.value or (not data and text in in_any_language(method.label)):
            return str(method.label)
    return text


def _request_value(name: str, data: str, text: str) -> str:
    if name == "method":
        return _method(data, text)
    if name == "requested_at":
        return _when(data) or text
    return text


def _lookup(evidence: dict[str, Any]) -> LookupShown | None:
    if not evidence.get("query_name"):
        return None
    verdict, error = str(evidence.get("verdict", "")), str(evidence.get("error") or "")
    return LookupShown(
        verdict=verdict,
        verdict_label=_choice(Lookup.Verdict, verdict),
        query_name=str(evidence["query_name"]),
        codes=[str(code) for code in evidence.get("codes") or []],
        reason=str(evidence.get("reason") or ""),
        error=_choice(Lookup.Error, error) if error else "",
        rcode=str(evidence.get("rcode") or ""),
        resolver=str(evidence.get("resolver") or ""),
        checked_at=_when(evidence.get("checked_at")),
    )


def _choice(choices: Any, value: str) -> str:
    """A stored token's label in the reader's language (the token if unknown)."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _verified(evidence: dict[str, Any], stored: str) -> str:
    since = _before_full_stop(_when(evidence.get("clean_since")))
    count = evidence.get("clean_count")
    if count is None:  # an older row: the count and the date from its words
        stamp = STAMP.search(stored)
        number = NUMBER.search(STAMP.sub(" ", stored))
        if stamp is None or number is None:
            return stored
        count, since = number.group(), stamp.group()
    return _("Not listed in %(count)s consecutive lookups since %(since)s.") % {
        "count": count,
        "since": since,
    }


def _watching(evidence: dict[str, Any], stored: str) -> str:
    day = _day(evidence.get("reevaluate_at"))
    if not day:
        found = DAY.search(stored)
        day = _day(found.group()) if found else ""
    if not day:
        return stored
    return _("The list re-evaluates on %(date)s; blcheck checks again then.") % {
        "date": day
    }


def _closed(evidence: dict[str, Any], stored: str) -> str:
    hours, reevaluated = evidence.get("removed_hours"), evidence.get("reevaluated")
    if hours is None:  # an older row
        number = NUMBER.search(stored)
        if number is None:
            return stored
        hours = float(number.group())
        reevaluated = any(text in stored for text in in_any_language(STILL_CLEAN))
    removed = _("Removed %(hours).1f hours after the request.") % {"hours": hours}
    return f"{_(STILL_CLEAN)} {removed}" if reevaluated else removed


def _waiting(evidence: dict[str, Any]) -> str:
    words = _(FIXED_WORDS[Kind.WAITING])
    due = _before_full_stop(_when(evidence.get("removal_due_at")))
    if due:
        words += " " + _("Removal expected by %(when)s.") % {"when": due}
    return words


def _entry(event: CaseEvent) -> Entry:
    evidence: dict[str, Any] = (
        event.evidence if isinstance(event.evidence, dict) else {}
    )
    stored, kind = event.detail, event.kind
    entry = Entry(event, words=stored, lookup=_lookup(evidence))
    if kind in (Kind.OVERDUE, Kind.RELISTED):
        entry.words = _(FIXED_WORDS[Kind(kind)])
    elif kind == Kind.WAITING:
        entry.words = _waiting(evidence)
    elif kind == Kind.CHECKED and entry.lookup is not None:
        entry.words = entry.lookup.verdict_label
    elif kind == Kind.VERIFIED:
        entry.words = _verified(evidence, stored)
    elif kind == Kind.WATCHING:
        entry.words = _watching(evidence, stored)
    elif kind == Kind.CLOSED and not evidence.get("by_hand"):
        entry.words = _closed(evidence, stored)
    elif kind == Kind.ASSIGNED:
        entry.words = stored or _("nobody")
    elif kind == Kind.REQUESTED:
        # The timeline says how and the number; the request section, all of it.
        entry.facts = _request_facts(evidence, stored)
        shown = {label: value for label, value in entry.facts}
        brief = [request_field_label(name) for name in ("method", "reference")]
        entry.words = _(", ").join(shown[label] for label in brief if label in shown)
    elif kind == Kind.REQUEST_AMENDED and evidence.get("changes"):
        entry.changes = _request_changes(evidence["changes"])
        entry.words = "; ".join(
            f"{label}: {old or '—'} → {new or '—'}"
            for _name, label, old, new in entry.changes
        )
    return entry


def _request_facts(evidence: dict[str, Any], stored: str) -> list[tuple[str, str]]:
    items = evidence.get("request")
    if not items:  # recorded before the request was kept: its number only
        return [(request_field_label("reference"), stored)] if stored else []
    facts = []
    for item in items:
        name = str(item.get("field", ""))
        if name not in REQUEST_FIELDS:
            continue
        value = _request_value(
            name, str(item.get("data", "")), str(item.get("value", ""))
        )
        if value:
            facts.append((request_field_label(name), value))
    return facts


def _request_changes(changes: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """(field, label, before, after) of each changed field."""
    return [
        (
            name := str(change.get("field", "")),
            request_field_label(name),
            _request_value(
                name, str(change.get("old_data", "")), str(change.get("old", ""))
            ),
            _request_value(
                name, str(change.get("new_data", "")), str(change.get("new", ""))
            ),
        )
        for change in changes
        if change.get("field") in REQUEST_FIELDS
    ]


def case_timeline_entries(events: Iterable[CaseEvent]) -> list[Entry]:
    """The case's events, oldest first, each worded for the reader."""
    return [_entry(event) for event in events]
