"""PURE: turn what a person typed into a target: an address, a range or a domain.

No Django, no I/O (the Public Suffix List is its package's snapshot). Bad input
raises TargetError with a message naming the value, so forms and the `lookup`
command can show it as it is. A typo never becomes a target: what looks like an
IP address is never a domain, and a domain must sit under a public suffix."""

import functools
import ipaddress
import re
import unicodedata
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

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


def parse_target(
    text: str, *, max_range_size: int, registrable: bool = True
) -> ParsedTarget:
    """Parse an IPv4/IPv6 address, a CIDR range (up to max_range_size) or a
    domain under a public suffix. A URL, an e-mail address or full-width text
    is read as the host, domain or address it holds, with a note saying so.
    registrable=False skips the Public Suffix List: for stored targets (added
    before the check) and list zones (a company's list may be under a private
    name)."""
    if not (typed := text.strip()):
        raise TargetError(
            gettext_noop("Enter an IP address, a CIDR range or a domain.")
        )
    text, note = _tidy(typed)
    parsed = _parse_tidy(text, max_range_size, registrable=registrable)
    if note is None:
        return parsed
    message = Message(note, {"text": typed[:80], "value": parsed.value})
    return replace(parsed, warnings=(message, *parsed.warnings))


def _parse_tidy(text: str, size: int, *, registrable: bool) -> ParsedTarget:
    if "/" in text:
        return _parse_network(text, size)
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        if _IP_LIKE.fullmatch(text):
            ipv4 = re.fullmatch(r"[0-9.]+", text)
            raise TargetError(
                _IPV4_TYPO if ipv4 else _IP_TYPO, text=text[:80]
            ) from None
        domain = _parse_domain(text)
        return _registrable(domain) if registrable else domain
    return ParsedTarget(Kind.ADDRESS, str(address), _address_warnings(address))


# --- what people paste: URLs, e-mail addresses, full width, typos -----------

_NOTE_READ = gettext_noop("'%(text)s' is read as %(value)s.")
_NOTE_URL = gettext_noop("%(text)s is a web address: watching its host %(value)s.")
_NOTE_EMAIL = gettext_noop(
    "%(text)s is an e-mail address: watching its domain %(value)s."
)
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_ANGLE = re.compile(r"<([^<>]*)>")
_PREFIX = re.compile(r"[0-9]{1,3}")  # what follows "/" in a CIDR range
_HOST_PORT = re.compile(r"([^:]+):[0-9]{1,5}|\[([0-9a-f:.]+)\](?::[0-9]{1,5})?", re.I)
# An IME's full stops; NFKC makes the rest of full-width text ASCII.
_FULL_STOPS = str.maketrans({"\u3002": ".", "\uff61": "."})


def _tidy(text: str) -> tuple[str, str | None]:
    """What the text means (case and trailing dots left to the parser), and
    the note saying how it was read, None if it is read as it is."""
    note = None
    narrow = unicodedata.normalize("NFKC", text).translate(_FULL_STOPS)
    narrow = "".join(c for c in narrow if unicodedata.category(c) != "Cf").strip()
    if narrow != text:
        text, note = narrow, _NOTE_READ
    if angle := _ANGLE.search(text):  # "Postmaster <postmaster@example.jp>"
        text, note = angle.group(1).strip(), _NOTE_READ
    if text[:7].lower() == "mailto:":
        text = text[7:].partition("?")[0]
    path = text.partition("/")[2]
    if _SCHEME.match(text) or ("/" in text and not _PREFIX.fullmatch(path)):
        try:
            host = urlsplit(text if _SCHEME.match(text) else "//" + text).hostname
        except ValueError:  # "http://[zz]/"
            host = None
        if host:
            text, note = host, _NOTE_URL
    if "@" in text:
        text, note = text.rpartition("@")[2], _NOTE_EMAIL
    if port := _HOST_PORT.fullmatch(text):  # "mx.example.jp:25", "[2001:db8::1]"
        text, note = port.group(1) or port.group(2), note or _NOTE_READ
    return text.rstrip("."), note


# Only digits and dots, a colon, or a last label starting with a digit (no
# top-level domain does): an attempt at an IP address, never a domain.
_IP_LIKE = re.compile(r"[0-9.]+|.*:.*|.*\.[0-9][^.]*")
_IPV4_TYPO = gettext_noop(
    "'%(text)s' looks like an IPv4 address but is not one: an address is four "
    "numbers from 0 to 255, such as 192.0.2.1."
)
_IP_TYPO = gettext_noop(
    "'%(text)s' looks like an IP address but is not one: check for a mistyped "
    "character."
)

# RFC 2606/6761 names, never delegated so not in the Public Suffix List, used
# by tests and docs (ours are .test): accepted, noting no list will list them.
SPECIAL_USE_TLDS = ("test", "example", "invalid", "localhost")


@functools.cache
def _public_suffixes() -> PublicSuffixList:
    # The snapshot the package ships (ICANN section only); it never downloads.
    return PublicSuffixList(accept_unknown=False, only_icann=True)


def _registrable(parsed: ParsedTarget) -> ParsedTarget:
    """The domain, if it sits under a public suffix (such as .com or .co.jp)."""
    name = parsed.value
    top = name.rpartition(".")[2]
    if top in SPECIAL_USE_TLDS:
        note = gettext_noop(
            "%(value)s is under .%(top)s, a name reserved for tests and "
            "documentation: no public list will list it."
        )
        return replace(parsed, warnings=(Message(note, {"value": name, "top": top}),))
    suffixes = _public_suffixes()
    if suffixes.privatesuffix(name) is not None:
        return parsed
    if suffixes.publicsuffix(name) is None:
        raise TargetError(
            gettext_noop(
                "'%(text)s' does not end in a known top-level domain "
                "(such as .com or .jp): check the spelling."
            ),
            text=name,
        )
    raise TargetError(
        gettext_noop(
            "%(text)s is a public suffix, not a domain: enter a name under it, "
            "such as example.%(text)s."
        ),
        text=name,
    )


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


# --- bulk input (read by monitoring.imports) ----------------------------------

MAX_TAGS_PER_TARGET = 20
MAX_TAGS = 1000  # distinct tags in all


@dataclass(frozen=True)
class BulkRow:
    line: int
    target: ParsedTarget
    label: str = ""
    tags: tuple[str, ...] = ()
    interval: int | None = None


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
