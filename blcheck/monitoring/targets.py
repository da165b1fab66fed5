"""PURE: turn what a person typed into a target: an address, a range or a domain.

No Django, no I/O. Bad input raises TargetError with a message naming the
value, so forms and the `lookup` command can show it as it is.
"""

import ipaddress
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from blcheck.lookups.dnsbl import subject_kind

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# RFC 1035 §2.3.4: 63 octets per label, 253 characters per name in text form.
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def gettext_noop(message: str) -> str:
    """Marks a message for the catalogue (makemessages finds it); the UI translates."""
    return message


@dataclass(frozen=True)
class Message:
    """A message template and its values, translated by whoever shows it."""

    template: str
    params: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.template % self.params


class TargetError(ValueError):
    """The text is not a usable address, range or domain."""

    def __init__(self, template: str, **params: object) -> None:
        self.message = Message(template, params)
        super().__init__(str(self.message))


class Kind(StrEnum):
    ADDRESS = "address"
    RANGE = "range"
    DOMAIN = "domain"


@dataclass(frozen=True)
class ParsedTarget:
    kind: Kind
    value: (
        str  # normalised text: compressed IP, network/prefix, lower-case A-label domain
    )
    warnings: tuple[Message, ...] = field(default=())

    def subjects(self) -> Iterator[str]:
        """Every address (or the domain) a list is asked about."""
        if self.kind is Kind.RANGE:
            network = ipaddress.ip_network(self.value)
            yield from (str(a) for a in _hosts(network))
        else:
            yield self.value

    @property
    def ip_version(self) -> int | None:
        if self.kind is Kind.DOMAIN:
            return None
        return ipaddress.ip_network(self.value, strict=False).version


def _hosts(network: IPNetwork) -> Iterator[IPAddress]:
    # A mail server may sit on any address of an announced block, so the
    # network and broadcast addresses are checked too.
    return iter(network)


def _address_warnings(address: IPAddress) -> tuple[Message, ...]:
    if address.is_loopback:
        text = gettext_noop("%(address)s is a loopback address: no list will list it.")
    elif address.is_private or address.is_reserved or address.is_link_local:
        text = gettext_noop(
            "%(address)s is a private, reserved or documentation address: "
            "it is not routed on the Internet."
        )
    elif address.is_multicast or address.is_unspecified:
        text = gettext_noop("%(address)s is not a unicast address.")
    else:
        return ()
    return (Message(text, {"address": str(address)}),)


def _parse_domain(text: str) -> ParsedTarget:
    try:
        ascii_name = text.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise TargetError(
            gettext_noop("'%(text)s' is not a valid domain name."), text=text
        ) from exc
    labels = ascii_name.split(".")
    if (
        len(ascii_name) > 253
        or len(labels) < 2
        or not all(_LABEL.match(x) for x in labels)
    ):
        raise TargetError(
            gettext_noop("'%(text)s' is not an IP address, a CIDR range or a domain."),
            text=text[:80],
        )
    if labels[-1].isdigit():
        raise TargetError(
            gettext_noop("'%(text)s' is not a valid IP address or domain name."),
            text=text,
        )
    return ParsedTarget(Kind.DOMAIN, ascii_name)


def _parse_network(text: str, max_range_size: int) -> ParsedTarget:
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise TargetError(
            gettext_noop("'%(text)s' is not a valid CIDR range."), text=text[:80]
        ) from exc
    if network.num_addresses > max_range_size:
        raise TargetError(
            gettext_noop(
                "'%(text)s' holds %(size)s addresses; the limit is %(limit)s per range."
            ),
            text=text,
            size=f"{network.num_addresses:,}",
            limit=f"{max_range_size:,}",
        )
    if network.num_addresses == 1:
        return ParsedTarget(
            Kind.ADDRESS,
            str(network.network_address),
            _address_warnings(network.network_address),
        )
    warnings: tuple[Message, ...] = ()
    if str(network) != text.lower():
        text_ = gettext_noop("%(text)s has host bits set; using %(network)s.")
        warnings = (Message(text_, {"text": text, "network": str(network)}),)
    return ParsedTarget(
        Kind.RANGE, str(network), warnings + _address_warnings(network.network_address)
    )


def parse_target(text: str, *, max_range_size: int) -> ParsedTarget:
    """Parse an IPv4/IPv6 address, a CIDR range (up to max_range_size) or a domain."""
    text = text.strip()
    if not text:
        raise TargetError(
            gettext_noop("Enter an IP address, a CIDR range or a domain.")
        )
    if "/" in text:
        return _parse_network(text, max_range_size)
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return _parse_domain(text)
    return ParsedTarget(Kind.ADDRESS, str(address), _address_warnings(address))


# --- a case's address -------------------------------------------------------

# What a list does not cover, by dnsbl.subject_kind of the subject.
_KIND_REFUSALS = {
    "ipv4": gettext_noop(
        "%(list)s does not list IPv4 addresses: no case for %(subject)s there."
    ),
    "ipv6": gettext_noop(
        "%(list)s does not list IPv6 addresses: no case for %(subject)s there."
    ),
    "domain": gettext_noop(
        "%(list)s does not list domains: no case for %(subject)s there."
    ),
}


def case_subject(
    text: str, *, target: str, kinds: Collection[str], list_name: str
) -> str:
    """The address (or domain) a case on target is about, normalised: target
    itself (text empty) or an address inside target's range, of a kind the list
    covers (kinds, of dnsbl.KINDS). Anything else raises TargetError."""
    text = text.strip()
    try:
        network: IPNetwork | None = ipaddress.ip_network(target)
    except ValueError:
        network = None  # a domain target
    if network is None:
        subject = _case_domain(text, target)
    elif not text and network.num_addresses > 1:
        raise TargetError(
            gettext_noop("%(range)s is a range: name the listed address."),
            range=target,
        )
    else:
        subject = _case_address(text, network, target) if text else target
    kind = subject_kind(subject)
    if kind not in kinds:
        raise TargetError(_KIND_REFUSALS[kind], list=list_name, subject=subject)
    return subject


def _case_domain(text: str, target: str) -> str:
    try:
        subject = _parse_domain(text).value if text else target
    except TargetError:
        subject = text
    if subject != target:
        raise TargetError(
            gettext_noop("%(subject)s is not %(target)s."),
            subject=text[:80],
            target=target,
        )
    return subject


def _case_address(text: str, network: IPNetwork, target: str) -> str:
    try:
        address: IPAddress | None = ipaddress.ip_address(text)
    except ValueError:
        address = None
    if address is None or address not in network:
        template = (
            gettext_noop("%(subject)s is not %(target)s.")
            if network.num_addresses == 1
            else gettext_noop("%(subject)s is not an address inside %(target)s.")
        )
        raise TargetError(template, subject=text[:80], target=target)
    return str(address)


# --- bulk input -------------------------------------------------------------

MAX_BULK_LINES = 5000
MAX_TAGS_PER_TARGET = 20
MAX_TAGS = 1000  # distinct tags in all


@dataclass(frozen=True)
class BulkRow:
    line: int
    target: ParsedTarget
    label: str = ""
    tags: tuple[str, ...] = ()
    interval: int | None = None


@dataclass(frozen=True)
class BulkError:
    line: int
    text: str
    message: Message


def _bulk_fields(line: str) -> tuple[str, str]:
    """ "192.0.2.1 outbound MX" or "192.0.2.1, outbound MX": target and label."""
    value, _, label = line.replace(",", " ", 1).partition(" ")
    return value, label.strip()


def parse_bulk_lines(
    text: str, *, max_range_size: int, max_addresses: int
) -> tuple[list[BulkRow], list[BulkError]]:
    """Pasted lines: a target and an optional label each; # starts a comment.
    The ranges may hold max_addresses in all."""
    records = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if line:
            value, label = _bulk_fields(line)
            records.append((number, raw, {"value": value, "label": label}))
    return _bulk_rows(records, max_range_size, max_addresses)


def parse_bulk_csv(
    rows: list[dict[str, str]], *, max_range_size: int, max_addresses: int
) -> tuple[list[BulkRow], list[BulkError]]:
    """CSV records with a header: value (required), label, tags (;), interval.
    The ranges may hold max_addresses in all."""
    records = [
        (number, ",".join(r.values()), r) for number, r in enumerate(rows, start=2)
    ]
    return _bulk_rows(records, max_range_size, max_addresses)


def _bulk_rows(
    records: list[tuple[int, str, dict[str, str]]],
    max_range_size: int,
    max_addresses: int,
) -> tuple[list[BulkRow], list[BulkError]]:
    if len(records) > MAX_BULK_LINES:
        message = Message(
            gettext_noop("%(count)s targets at once; the limit is %(limit)s."),
            {"count": f"{len(records):,}", "limit": f"{MAX_BULK_LINES:,}"},
        )
        return [], [BulkError(0, "", message)]
    rows: list[BulkRow] = []
    errors: list[BulkError] = []
    seen: dict[str, int] = {}  # value -> first line
    for number, raw, fields in records:
        try:
            row = _bulk_row(number, fields, max_range_size, seen)
        except TargetError as exc:
            errors.append(BulkError(number, raw.strip(), exc.message))
            continue
        seen[row.target.value] = number
        rows.append(row)
    total = sum(_address_count(row.target) for row in rows)
    if total > max_addresses:
        message = Message(
            gettext_noop(
                "These targets hold %(total)s addresses in all; the limit is "
                "%(limit)s at once. Add them in smaller parts."
            ),
            {"total": f"{total:,}", "limit": f"{max_addresses:,}"},
        )
        return [], [BulkError(0, "", message), *errors]
    return rows, errors


def _bulk_row(
    number: int, fields: dict[str, str], max_range_size: int, seen: dict[str, int]
) -> BulkRow:
    parsed = parse_target(fields.get("value") or "", max_range_size=max_range_size)
    interval = _interval(fields.get("interval") or "")
    if parsed.value in seen:
        raise TargetError(
            gettext_noop("%(value)s is already on line %(line)s."),
            value=parsed.value,
            line=seen[parsed.value],
        )
    tags = tag_names((fields.get("tags") or "").split(";"))
    return BulkRow(number, parsed, (fields.get("label") or "")[:100], tags, interval)


def _address_count(target: ParsedTarget) -> int:
    if target.kind is Kind.RANGE:
        return ipaddress.ip_network(target.value).num_addresses
    return 1


def tag_names(texts: Iterable[str]) -> tuple[str, ...]:
    """The distinct tag names in texts (cut to 50 characters, blanks dropped);
    more than MAX_TAGS_PER_TARGET raises TargetError."""
    names = tuple(dict.fromkeys(t.strip()[:50] for t in texts if t.strip()))
    if len(names) > MAX_TAGS_PER_TARGET:
        raise TargetError(
            gettext_noop("%(count)s tags on one target; the limit is %(limit)s."),
            count=len(names),
            limit=MAX_TAGS_PER_TARGET,
        )
    return names


def tag_total_error(*, existing: int, new: int) -> Message | None:
    """Why new tags cannot join the existing ones (MAX_TAGS in all), or None."""
    if new and existing + new > MAX_TAGS:
        return Message(
            gettext_noop(
                "%(new)s new tags would make %(total)s; the limit is %(limit)s "
                "tags in all. Reuse existing tags."
            ),
            {"new": new, "total": f"{existing + new:,}", "limit": f"{MAX_TAGS:,}"},
        )
    return None


# ASCII digits only: str.isdigit() takes "²", which int() refuses.
_MINUTES = re.compile(r"[0-9]{1,5}")


def _interval(text: str) -> int | None:
    if not text.strip():
        return None
    if not _MINUTES.fullmatch(text.strip()) or not 5 <= int(text) <= 7 * 24 * 60:
        raise TargetError(
            gettext_noop("'%(text)s' is not a check interval in minutes (5 to 10080)."),
            text=text,
        )
    return int(text)
