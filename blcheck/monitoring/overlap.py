"""Overlapping targets: which target owns each address.

An address inside two monitored targets (198.51.100.5 and 198.51.100.0/28) is
asked once per list per sweep and counted once. It belongs to its owner: the
most specific enabled target that covers it, an address target over a range
and a smaller range over a larger one. Two targets of one size never overlap
(values are unique CIDRs); were there a tie, the older (lower id) would win.

A range's run asks only the addresses it owns (subjects_owned_elsewhere), and
the one Listing row of an address follows its owner (services/listings.py).
The reads are one query each and work on integers: a /16 costs no query per
address.
"""

import bisect
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.translation import gettext, ngettext

from blcheck.monitoring.models import Target
from blcheck.monitoring.targets import IPNetwork, Kind, ParsedTarget

IP_KINDS = (Target.Kind.ADDRESS, Target.Kind.RANGE)
MANY = 50  # more new targets than this: read every enabled IP target at once


@dataclass(frozen=True)
class Span:
    """An IP target as a network: what it covers."""

    pk: int
    value: str
    label: str
    is_enabled: bool
    network: IPNetwork

    @property
    def name(self) -> str:
        """ "198.51.100.0/28 (mx range)", or the value alone without a label."""
        return f"{self.value} ({self.label})" if self.label else self.value


def _network(text: str) -> IPNetwork | None:
    try:
        return ipaddress.ip_network(text)
    except ValueError:
        return None  # a domain


def _key(network: IPNetwork) -> tuple[int, int]:
    return network.version, int(network.network_address)


class Cover:
    """Spans indexed for the two questions: who covers this network, and what
    lies inside it. Built once per query; each answer costs one dictionary
    probe per distinct prefix length, or one bisection."""

    def __init__(self, spans: Iterable[Span]) -> None:
        self.spans = sorted(spans, key=lambda s: s.pk)  # older first: ties
        self._by_prefix: dict[tuple[int, int], dict[int, Span]] = {}
        for span in self.spans:
            net = span.network
            self._by_prefix.setdefault((net.version, net.prefixlen), {}).setdefault(
                int(net.network_address), span
            )
        self._prefixes = sorted(self._by_prefix, key=lambda p: -p[1])
        self._starts = sorted(self.spans, key=lambda s: _key(s.network))
        self._start_keys = [_key(s.network) for s in self._starts]

    @property
    def pks(self) -> set[int]:
        return {span.pk for span in self.spans}

    def covering(self, network: IPNetwork) -> list[Span]:
        """The spans holding all of network, itself included, most specific first."""
        found = []
        bits = network.max_prefixlen
        start = int(network.network_address)
        for version, length in self._prefixes:
            if version == network.version and length <= network.prefixlen:
                shift = bits - length
                span = self._by_prefix[(version, length)].get(start >> shift << shift)
                if span is not None:
                    found.append(span)
        return found

    def inside(self, network: IPNetwork) -> list[Span]:
        """The spans strictly inside network, by address."""
        low = bisect.bisect_left(self._start_keys, _key(network))
        high = bisect.bisect_right(
            self._start_keys, (network.version, int(network.broadcast_address))
        )
        return [
            span
            for span in self._starts[low:high]
            if span.network.prefixlen > network.prefixlen
        ]

    def covering_address(self, subject: str) -> list[Span]:
        """Every span covering subject (an address), the narrowest first."""
        network = _network(subject)
        return list(self.covering(network)) if network is not None else []

    def owner(self, subject: str) -> Span | None:
        """The enabled target that owns subject (an address), if any."""
        network = _network(subject)
        if network is None:
            return None
        return next((s for s in self.covering(network) if s.is_enabled), None)


def _spans(targets: QuerySet[Target]) -> list[Span]:
    rows = targets.filter(kind__in=IP_KINDS).values_list(
        "pk", "value", "label", "is_enabled"
    )
    return [
        Span(pk, value, label, enabled, network)
        for pk, value, label, enabled in rows.order_by()
        if (network := _network(value)) is not None
    ]


def _within(network: IPNetwork) -> Q:
    """Narrows targets to those that may lie inside network, by text. IPv4 is
    written without compression, so every address of 198.51.0.0/16 starts
    "198.51."; whole octets only (1.2.3.4 to 1.2.30.4 holds 1.2.4.0). IPv6
    compression moves zeros anywhere: every IPv6 target is read."""
    if network.version == 6:
        return Q(value__contains=":")
    first = str(network.network_address).split(".")
    last = str(network.broadcast_address).split(".")
    shared = []
    for a, b in zip(first, last, strict=True):
        if a != b:
            break
        shared.append(a)
    if not shared:
        return ~Q(value__contains=":")
    return Q(value__startswith=".".join(shared) + ".")


# --- a run's subjects -------------------------------------------------------


def subjects_owned_elsewhere(*, target_id: int, parsed: ParsedTarget) -> set[str]:
    """The addresses of a range that more specific enabled targets own (an
    address target inside it, a smaller range): its run leaves them to them.
    One query for a range, none for an address or a domain."""
    if parsed.kind is not Kind.RANGE:
        return set()
    network = ipaddress.ip_network(parsed.value)
    targets = Target.objects.filter(_within(network), is_enabled=True).exclude(
        pk=target_id
    )
    cover = Cover(s for s in _spans(targets) if s.network.version == network.version)
    return {str(address) for span in cover.inside(network) for address in span.network}


def cover_of_subjects(subjects: Iterable[str]) -> Cover:
    """Every target, enabled or not, that covers one of the subjects: the
    address targets of those addresses and the ranges (few). One query."""
    addresses = [s for s in subjects if _network(s) is not None]
    if not addresses:
        return Cover(())
    targets = Target.objects.filter(
        Q(kind=Target.Kind.RANGE) | Q(kind=Target.Kind.ADDRESS, value__in=addresses)
    )
    return Cover(_spans(targets))


# --- overlaps of a target, for the add forms and the target page ------------


@dataclass(frozen=True)
class Overlap:
    """A target and the enabled targets it overlaps."""

    target: Span
    around: Span | None = None  # the most specific one holding it
    inside: list[Span] = field(default_factory=list)  # those it holds, by address

    @property
    def is_overlapping(self) -> bool:
        return self.around is not None or bool(self.inside)


def _spans_near(targets: Sequence[Target]) -> list[Span]:
    """The enabled IP targets that may overlap these: all of them for many,
    else the ranges and what lies inside the given ranges. One query."""
    enabled = Target.objects.filter(is_enabled=True)
    if len(targets) > MANY:
        return _spans(enabled)
    near = Q(kind=Target.Kind.RANGE)
    for target in targets:
        if target.kind == Target.Kind.RANGE and (net := _network(target.value)):
            near |= _within(net)
    return _spans(enabled.filter(near))


def target_overlaps(*, targets: Sequence[Target]) -> list[Overlap]:
    """Each IP target of these that overlaps another enabled target, in order."""
    targets = [t for t in targets if t.kind in IP_KINDS]
    if not targets:
        return []
    cover = Cover(_spans_near(targets))
    found = []
    for target in targets:
        network = _network(target.value)
        if network is None:
            continue
        span = Span(target.pk, target.value, target.label, target.is_enabled, network)
        around = [s for s in cover.covering(network) if s.pk != target.pk]
        overlap = Overlap(
            span,
            around=next((s for s in around if s.is_enabled), None),
            inside=[s for s in cover.inside(network) if s.is_enabled],
        )
        if overlap.is_overlapping:
            found.append(overlap)
    return found


def target_overlap(*, target: Target) -> Overlap | None:
    """What the target page says: the target holding this one, and the
    targets this range holds (their addresses are recorded under them)."""
    found = target_overlaps(targets=[target])
    return found[0] if found else None


# --- what the add forms say --------------------------------------------------

SHOWN = 5  # overlapping targets named in a message; the rest are counted


def _names(spans: Sequence[Span]) -> str:
    names = ", ".join(span.name for span in spans[:SHOWN])
    if len(spans) <= SHOWN:
        return names
    return gettext("%(names)s and %(count)s more") % {
        "names": names,
        "count": len(spans) - SHOWN,
    }


def overlap_messages(found: Sequence[Overlap]) -> list[str]:
    """Warnings for targets just added: which target already covered each,
    and which targets a new range holds."""
    texts = []
    for item in found:
        value = item.target.value
        if item.around is not None:
            texts.append(
                gettext(
                    "%(value)s is inside %(around)s, already monitored: its "
                    "answers will be recorded under %(value)s from now on."
                )
                % {"value": value, "around": item.around.name}
            )
        if item.inside:
            texts.append(
                ngettext(
                    "%(value)s holds %(count)s target already monitored: "
                    "%(targets)s. Its answers stay recorded under it; %(value)s "
                    "records the other addresses.",
                    "%(value)s holds %(count)s targets already monitored: "
                    "%(targets)s. Their answers stay recorded under them; "
                    "%(value)s records the other addresses.",
                    len(item.inside),
                )
                % {
                    "value": value,
                    "count": len(item.inside),
                    "targets": _names(item.inside),
                }
            )
    return texts


def overlap_summary(found: Sequence[Overlap]) -> str | None:
    """One warning for a bulk add: how many new targets overlap others, the
    first few, and where answers go."""
    if not found:
        return None
    examples = [
        gettext("%(value)s inside %(around)s")
        % {"value": item.target.value, "around": item.around.name}
        if item.around is not None
        else ngettext(
            "%(value)s holding %(count)s target",
            "%(value)s holding %(count)s targets",
            len(item.inside),
        )
        % {"value": item.target.value, "count": len(item.inside)}
        for item in found[:SHOWN]
    ]
    if len(found) > SHOWN:
        examples.append(gettext("%(count)s more") % {"count": len(found) - SHOWN})
    return ngettext(
        "%(count)s new target overlaps another target: %(examples)s. Each "
        "address is asked once per list, and its answers are recorded under "
        "the most specific target.",
        "%(count)s new targets overlap other targets: %(examples)s. Each "
        "address is asked once per list, and its answers are recorded under "
        "the most specific target.",
        len(found),
    ) % {"count": len(found), "examples": "; ".join(examples)}
