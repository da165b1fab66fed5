"""PURE: DNSBL query names and how to read a list's answer.

No Django, no sockets. resolver.py hands back Answer values; read_answer
turns one into a Reading with a Verdict, following RFC 5782 and the lists'
own return codes (dnsbl-facts §1.6, §1.7). A doubtful answer is an error,
never "not listed".
"""

import ipaddress
from dataclasses import dataclass, field
from enum import StrEnum

LOOPBACK_NET = ipaddress.ip_network("127.0.0.0/8")
# RFC 5782 §2.1: without a code map, 127.0.0.2 and up within 127.0.0.0/24 list.
DEFAULT_FIRST = ipaddress.IPv4Address("127.0.0.2")
DEFAULT_LAST = ipaddress.IPv4Address("127.0.0.255")

# In-band refusals that mean "we did not answer your question", whatever the
# list (dnsbl-facts §1.7): Spamhaus typo/public-resolver/volume codes, DBL's
# "IP queried on a domain list", dnswl's "query blocked".
KNOWN_REFUSAL_CODES = frozenset(
    {
        "127.255.255.252",
        "127.255.255.254",
        "127.255.255.255",
        "127.0.1.255",
        "127.0.0.255",
    }
)


class Verdict(StrEnum):
    LISTED = "listed"
    NOT_LISTED = "not_listed"
    ERROR = "error"


class Failure(StrEnum):
    """Error tokens, exactly as DESIGN §4.3 names them."""

    TIMEOUT = "timeout"
    SERVFAIL = "servfail"
    REFUSED = "refused"
    NO_NAMESERVERS = "no_nameservers"
    RESOLVER_REFUSED = "resolver_refused"
    BAD_ANSWER = "bad_answer"
    LIST_UNHEALTHY = "list_unhealthy"


@dataclass(frozen=True)
class Answer:
    """What resolver.py hands back for one query."""

    rcode: str = "NOERROR"
    addresses: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()
    ttl: int | None = None
    failure: Failure | None = None  # set when no usable DNS answer arrived
    resolver: str = ""
    elapsed_ms: float = 0.0


@dataclass(frozen=True)
class ZoneSpec:
    """How to read one list: its listing codes (empty = RFC default) and refusals."""

    zone: str
    listed_codes: frozenset[str] = field(default_factory=frozenset)
    error_codes: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Reading:
    verdict: Verdict
    codes: tuple[str, ...] = ()
    error: Failure | None = None


def query_name(subject: str, zone: str) -> str:
    """RFC 5782 §2.1/§2.4/§3: reversed octets, reversed nibbles, or the domain as-is."""
    try:
        address = ipaddress.ip_address(subject)
    except ValueError:
        return f"{subject.rstrip('.')}.{zone}"
    if address.version == 4:
        return ".".join(reversed(str(address).split("."))) + f".{zone}"
    nibbles = address.exploded.replace(":", "")
    return ".".join(reversed(nibbles)) + f".{zone}"


def _is_listing_code(code: str, spec: ZoneSpec) -> bool:
    if spec.listed_codes:
        return code in spec.listed_codes
    return DEFAULT_FIRST <= ipaddress.IPv4Address(code) <= DEFAULT_LAST


def read_answer(answer: Answer, spec: ZoneSpec) -> Reading:
    if answer.failure is not None:
        return Reading(Verdict.ERROR, error=answer.failure)
    if answer.rcode == "NXDOMAIN" or (
        answer.rcode == "NOERROR" and not answer.addresses
    ):
        return Reading(Verdict.NOT_LISTED)
    if answer.rcode != "NOERROR":
        return Reading(Verdict.ERROR, error=Failure.BAD_ANSWER)
    codes = tuple(sorted(answer.addresses, key=ipaddress.ip_address))
    refusals = (KNOWN_REFUSAL_CODES - spec.listed_codes) | spec.error_codes
    if refusals & set(codes):
        return Reading(Verdict.ERROR, codes, Failure.RESOLVER_REFUSED)
    if any(ipaddress.ip_address(c) not in LOOPBACK_NET for c in codes):
        return Reading(
            Verdict.ERROR, codes, Failure.BAD_ANSWER
        )  # hijacked or parked zone
    if all(_is_listing_code(c, spec) for c in codes):
        return Reading(Verdict.LISTED, codes)
    return Reading(
        Verdict.ERROR, codes, Failure.BAD_ANSWER
    )  # 127.0.0.1 or an unknown code
