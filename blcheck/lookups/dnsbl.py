"""PURE: DNSBL query names, how to read a list's answer, and RFC 5782 probes.

No Django, no sockets. resolver.py hands back Answer values; read_answer
turns one into a Reading with a Verdict, following RFC 5782 and the lists'
own return codes (dnsbl-facts §1.6, §1.7). A doubtful answer is an error,
never "not listed"; a list that lists its must-not test entry is not trusted.
"""

import ipaddress
from dataclasses import dataclass, field
from enum import Enum, StrEnum

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


KINDS = frozenset({"ipv4", "ipv6", "domain"})  # what subject_kind returns


@dataclass(frozen=True)
class ListSpec:
    """One list as the engine asks and reads it: the only description of a list
    below the models (monitoring's Blocklist.spec builds it).

    zone: the zone queried, a key already filled in.
    kinds: the kinds of subject the list covers (of KINDS).
    listed_codes: A values that mean "listed" (empty: the RFC 5782 default).
    error_codes: the list's own in-band refusals.
    With bitmask (SURBL, URIBL), both hold bit values ("2", "4", ...) tested
    against the last octet of the answer.
    has_test_points: the list publishes RFC 5782 §5 test entries.
    qps: a polite ceiling across all workers; None: none.
    """

    zone: str
    kinds: frozenset[str] = KINDS
    listed_codes: frozenset[str] = field(default_factory=frozenset)
    error_codes: frozenset[str] = field(default_factory=frozenset)
    bitmask: bool = False
    has_test_points: bool = True
    qps: float | None = None

    @property
    def listed_bits(self) -> int:
        return sum(int(bit) for bit in self.listed_codes)

    @property
    def error_bits(self) -> int:
        return sum(int(bit) for bit in self.error_codes)

    def fits(self, subject: str) -> bool:
        return subject_kind(subject) in self.kinds


@dataclass(frozen=True)
class Reading:
    verdict: Verdict
    codes: tuple[str, ...] = ()
    error: Failure | None = None


class _Code(Enum):
    LISTING = 1
    REFUSAL = 2
    BAD = 3


def _is_dotted_quad(subject: str) -> bool:
    # Subjects come normalised from targets.py; this cheap test spares a sweep
    # of 20,000 names the cost of ipaddress parsing.
    return subject.count(".") == 3 and subject.replace(".", "").isdigit()


def query_name(subject: str, zone: str) -> str:
    """RFC 5782 §2.1/§2.4/§3: reversed octets, reversed nibbles, or the domain."""
    if _is_dotted_quad(subject):
        a, b, c, d = subject.split(".")
        return f"{d}.{c}.{b}.{a}.{zone}"
    try:
        address = ipaddress.ip_address(subject)
    except ValueError:
        return f"{subject.rstrip('.')}.{zone}"
    if address.version == 4:
        return ".".join(reversed(str(address).split("."))) + f".{zone}"
    nibbles = address.exploded.replace(":", "")
    return ".".join(reversed(nibbles)) + f".{zone}"


def _classify(code: str, spec: ListSpec) -> _Code:
    address = ipaddress.ip_address(code)
    if spec.bitmask:
        bits = int(address) & 0xFF
        if address not in LOOPBACK_NET:
            return _Code.BAD
        if bits & spec.error_bits:
            return _Code.REFUSAL
        return _Code.LISTING if bits & spec.listed_bits else _Code.BAD
    if code in spec.error_codes or (
        code in KNOWN_REFUSAL_CODES and code not in spec.listed_codes
    ):
        return _Code.REFUSAL
    if address not in LOOPBACK_NET:
        return _Code.BAD  # a hijacked or parked zone (facts §3)
    if spec.listed_codes:
        return _Code.LISTING if code in spec.listed_codes else _Code.BAD
    in_default = DEFAULT_FIRST <= ipaddress.IPv4Address(code) <= DEFAULT_LAST
    return _Code.LISTING if in_default else _Code.BAD  # 127.0.0.1 is never one


def read_answer(answer: Answer, spec: ListSpec) -> Reading:
    if answer.failure is not None:
        return Reading(Verdict.ERROR, error=answer.failure)
    if answer.rcode == "NXDOMAIN" or (
        answer.rcode == "NOERROR" and not answer.addresses
    ):
        return Reading(Verdict.NOT_LISTED)
    if answer.rcode != "NOERROR":
        return Reading(Verdict.ERROR, error=Failure.BAD_ANSWER)
    codes = tuple(sorted(answer.addresses, key=ipaddress.ip_address))
    kinds = {_classify(code, spec) for code in codes}
    if _Code.REFUSAL in kinds:
        return Reading(Verdict.ERROR, codes, Failure.RESOLVER_REFUSED)
    if _Code.BAD in kinds:
        return Reading(Verdict.ERROR, codes, Failure.BAD_ANSWER)
    return Reading(Verdict.LISTED, codes)


# --- RFC 5782 §5 health probes ------------------------------------------------

# (must be listed, must not be listed) per kind of subject.
PROBE_SUBJECTS = {
    "ipv4": ("127.0.0.2", "127.0.0.1"),
    "ipv6": ("::ffff:7f00:2", "::ffff:7f00:1"),
    "domain": ("test", "invalid"),
}


class Health(StrEnum):
    """Why a list is trusted in a run, or not."""

    OK = "ok"
    LISTS_EVERYTHING = "lists_everything"  # the must-not entry is listed (AHBL)
    TEST_POINT_MISSING = "test_point_missing"  # dead, emptied, or blocking us
    REFUSED = "refused"  # an in-band refusal code: the list refuses our resolver
    BAD_ANSWER = "bad_answer"  # answers outside 127/8: hijacked or parked
    # The probes got no usable DNS answer, and why (never one "dead" for all).
    TIMEOUT = "timeout"  # no answer in time
    SERVFAIL = "servfail"  # the server failed
    DNS_REFUSED = "dns_refused"  # the server answered REFUSED
    UNREACHABLE = "unreachable"  # no nameserver could be reached


# Why a probe got no usable answer, as the list's health says it.
PROBE_FAILURES = {
    Failure.TIMEOUT: Health.TIMEOUT,
    Failure.SERVFAIL: Health.SERVFAIL,
    Failure.REFUSED: Health.DNS_REFUSED,
    Failure.RESOLVER_REFUSED: Health.REFUSED,
    Failure.NO_NAMESERVERS: Health.UNREACHABLE,
}


def subject_kind(subject: str) -> str:
    """ "ipv4", "ipv6" or "domain", for a subject as query_name takes it."""
    if _is_dotted_quad(subject):
        return "ipv4"
    try:
        return f"ipv{ipaddress.ip_address(subject).version}"
    except ValueError:
        return "domain"


def _probe_reading(answer: Answer, spec: ListSpec) -> Health | None:
    """None when the probe found no A record; else how its codes read."""
    if not answer.addresses:
        return None
    kinds = {_classify(code, spec) for code in answer.addresses}
    if _Code.REFUSAL in kinds:
        return Health.REFUSED
    if any(ipaddress.ip_address(c) not in LOOPBACK_NET for c in answer.addresses):
        return Health.BAD_ANSWER
    # An unexpected code in 127/8 on the test entry still shows the list answers.
    return Health.OK


def judge_probes(positive: Answer, negative: Answer, spec: ListSpec) -> Health:
    """Trust a list only when its test entry is listed and the must-not is not."""
    failure = positive.failure or negative.failure
    if failure is not None:
        return PROBE_FAILURES.get(failure, Health.UNREACHABLE)
    positive_reading = _probe_reading(positive, spec)
    negative_reading = _probe_reading(negative, spec)
    for reading in (positive_reading, negative_reading):
        if reading in (Health.REFUSED, Health.BAD_ANSWER):
            return reading
    if negative_reading is Health.OK:
        return Health.LISTS_EVERYTHING
    if positive_reading is None:
        return Health.TEST_POINT_MISSING
    return Health.OK
