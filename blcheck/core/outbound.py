"""Where blcheck may send a request of its own (webhooks): public https only.

`check_url` is the rule. It takes the URL, the operator's settings and a
resolve function (default `socket.getaddrinfo`), and either returns the
`Destination` with every address the host resolved to, all checked, or raises
`Refused` with a reason code and a message template (translated by whoever
shows it). `post` sends to a checked destination over a connection pinned to a
checked address: no second DNS lookup between the check and the connection,
the Host header, TLS SNI and the certificate check still name the host, and a
redirect is never followed.

No Django here: standard library only, so the rule is testable on its own.
"""

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolve = Callable[..., Sequence[tuple[Any, ...]]]

# RFC 6052 §2.1: the well-known NAT64 prefix carries an IPv4 address in its
# last 32 bits, which a NAT64 gateway would connect to.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# RFC 1122 §3.2.1.3: "this network"; nothing listens there.
THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")
DEFAULT_PORTS = {"http": 80, "https": 443}


def gettext_noop(message: str) -> str:
    """Marks a message for the catalogue; the UI translates it."""
    return message


class Reason(StrEnum):
    SCHEME = "scheme"
    USERINFO = "userinfo"
    INVALID = "invalid"
    UNRESOLVED = "unresolved"
    LOOPBACK = "loopback"
    PRIVATE = "private"
    LINK_LOCAL = "link_local"
    MULTICAST = "multicast"
    RESERVED = "reserved"
    UNSPECIFIED = "unspecified"


# Address kinds an allow-listed internal host may resolve to (an on-premises
# chat server); the others are never a chat server.
INTERNAL_KINDS = frozenset({Reason.LOOPBACK, Reason.PRIVATE})

ADDRESS_MESSAGES = {
    Reason.LOOPBACK: gettext_noop(
        "The host points at a loopback address (%(address)s); "
        "only public addresses are allowed."
    ),
    Reason.PRIVATE: gettext_noop(
        "The host points at a private address (%(address)s); "
        "only public addresses are allowed."
    ),
    Reason.LINK_LOCAL: gettext_noop(
        "The host points at a link-local address (%(address)s); "
        "only public addresses are allowed."
    ),
    Reason.MULTICAST: gettext_noop(
        "The host points at a multicast address (%(address)s); "
        "only public addresses are allowed."
    ),
    Reason.RESERVED: gettext_noop(
        "The host points at a reserved address (%(address)s); "
        "only public addresses are allowed."
    ),
    Reason.UNSPECIFIED: gettext_noop(
        "The host points at an unspecified address (%(address)s); "
        "only public addresses are allowed."
    ),
}


class Refused(ValueError):
    """The URL may not be sent to; `reason` says why, `template` % `params`
    says it to a person."""

    def __init__(self, reason: Reason, template: str, **params: object) -> None:
        self.reason, self.template, self.params = reason, template, params
        super().__init__(template % params)


@dataclass(frozen=True)
class Destination:
    """A checked URL: connect to one of `addresses`, name `host` in the
    Host header and TLS."""

    scheme: str
    host: str
    port: int
    target: str  # path and query, as sent in the request line
    addresses: tuple[str, ...]


def address_kind(ip: IPAddress) -> Reason | None:
    """Why an address is not public, or None when it is."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_kind(embedded)
    if ip.is_unspecified or ip in THIS_NETWORK:
        return Reason.UNSPECIFIED
    for kind, flag in (
        (Reason.LOOPBACK, ip.is_loopback),
        (Reason.LINK_LOCAL, ip.is_link_local),
        (Reason.MULTICAST, ip.is_multicast),
        (Reason.RESERVED, ip.is_reserved),
    ):
        if flag:
            return kind
    # Private ranges, shared address space (100.64/10), documentation ranges.
    return None if ip.is_global else Reason.PRIVATE


def ip_literal(host: str) -> IPAddress | None:
    """The address a host written as a number means, in any form the C
    resolver accepts (127.1, 0x7f.1, 2130706433); None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def canonical_host(host: str) -> str:
    """Lower case, no trailing dot, an address in its one standard form."""
    host = host.lower().rstrip(".")
    literal = ip_literal(host)
    return str(literal) if literal is not None else host


def is_internal(host: str, port: int, internal_hosts: Collection[str]) -> bool:
    """Whether host:port is on the allow-list ("host", "host:port", "[v6]:port")."""
    return any(
        canonical_host(name) == host and entry_port in ("", str(port))
        for name, entry_port in map(host_and_port, internal_hosts)
    )


def host_and_port(entry: str) -> tuple[str, str]:
    """("host", "port") from "host:port" or "[v6]:port"; the port may be ""."""
    entry = entry.strip()
    if entry.startswith("[") and "]" in entry:
        name, _, rest = entry[1:].partition("]")
        return name, rest.removeprefix(":")
    if entry.count(":") != 1:  # a name, or a bare IPv6 address
        return entry, ""
    name, _, port = entry.partition(":")
    return name, port


def check_url(
    url: str,
    *,
    allow_http: bool = False,
    internal_hosts: Collection[str] = (),
    resolve: Resolve = socket.getaddrinfo,
) -> Destination:
    """The destination of a URL blcheck may post to; raises Refused."""
    parsed = parse_url(url, allow_http=allow_http)
    addresses = known_addresses(parsed.host) or resolved(
        parsed.host, parsed.port, resolve
    )
    check_addresses(parsed, addresses, internal_hosts)
    return Destination(
        scheme=parsed.scheme,
        host=parsed.host,
        port=parsed.port,
        target=parsed.target,
        addresses=tuple(dict.fromkeys(str(a) for a in addresses)),
    )


def check_shape(
    url: str, *, allow_http: bool = False, internal_hosts: Collection[str] = ()
) -> None:
    """What check_url refuses without asking DNS (scheme, user names, a host
    written as an address or a localhost name); raises Refused."""
    parsed = parse_url(url, allow_http=allow_http)
    check_addresses(parsed, known_addresses(parsed.host), internal_hosts)


@dataclass(frozen=True)
class Parsed:
    scheme: str
    host: str  # canonical_host
    port: int
    target: str


def parse_url(url: str, *, allow_http: bool) -> Parsed:
    """The parts of a URL whose scheme and form are allowed; raises Refused."""
    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:  # "http://[::1" and the like
        raise Refused(Reason.INVALID, gettext_noop("The URL names no host.")) from exc
    scheme = parts.scheme.lower()
    if scheme not in (("https", "http") if allow_http else ("https",)):
        raise Refused(
            Reason.SCHEME,
            gettext_noop("Only https:// and http:// addresses are allowed.")
            if allow_http
            else gettext_noop("Only https:// addresses are allowed."),
        )
    if "@" in parts.netloc:
        raise Refused(
            Reason.USERINFO,
            gettext_noop("User names and passwords in the URL are not allowed."),
        )
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError as exc:
        raise Refused(Reason.INVALID, gettext_noop("The port is not valid.")) from exc
    try:
        host = canonical_host((parts.hostname or "").encode("idna").decode("ascii"))
    except UnicodeError:
        host = ""
    if not host:
        raise Refused(Reason.INVALID, gettext_noop("The URL names no host."))
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Parsed(scheme, host, port, target)


def check_addresses(
    parsed: Parsed, addresses: Sequence[IPAddress], internal_hosts: Collection[str]
) -> None:
    """Refuses the first address that is not public, unless the host is
    allow-listed and the address private or loopback."""
    internal = is_internal(parsed.host, parsed.port, internal_hosts)
    allowed = INTERNAL_KINDS if internal else frozenset()
    for address in addresses:
        kind = address_kind(address)
        if kind is not None and kind not in allowed:
            raise Refused(kind, ADDRESS_MESSAGES[kind], address=str(address))


def known_addresses(host: str) -> list[IPAddress]:
    """What a host means without DNS: a literal, or loopback for localhost
    names (RFC 6761 §6.3); empty for every other name."""
    literal = ip_literal(host)
    if literal is not None:
        return [literal]
    if host == "localhost" or host.endswith(".localhost"):
        return [ipaddress.IPv4Address("127.0.0.1")]
    return []


def resolved(host: str, port: int, resolve: Resolve) -> list[IPAddress]:
    """Every address a name resolves to; raises Refused when there is none."""
    unresolved = Refused(
        Reason.UNRESOLVED,
        gettext_noop("The host %(host)s does not resolve."),
        host=host,
    )
    try:
        infos = resolve(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise unresolved from exc
    found = []
    for info in infos:
        try:
            found.append(ipaddress.ip_address(str(info[4][0]).partition("%")[0]))
        except (ValueError, IndexError, TypeError):
            continue
    if not found:
        raise unresolved
    return found


class PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to a checked address; the Host header still names the host."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address; SNI and the certificate check name the host."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        address: str,
        timeout: float,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.tls = tls or ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class Response:
    """What the server answered (a redirect is only reported, never followed)."""

    status: int
    address: str
    headers: Mapping[str, str] = field(default_factory=dict)


def post(
    destination: Destination,
    body: bytes,
    *,
    headers: Mapping[str, str],
    timeout: float,
    tls: ssl.SSLContext | None = None,
) -> Response:
    """POST the body to the destination, trying its checked addresses in turn
    while they refuse the connection. Raises OSError (timeouts, TLS errors)
    and http.client.HTTPException."""
    last: OSError | None = None
    for address in destination.addresses:
        connection: http.client.HTTPConnection
        if destination.scheme == "https":
            connection = PinnedHTTPSConnection(
                destination.host,
                destination.port,
                address=address,
                timeout=timeout,
                tls=tls,
            )
        else:
            connection = PinnedHTTPConnection(
                destination.host, destination.port, address=address, timeout=timeout
            )
        try:
            connection.request("POST", destination.target, body, dict(headers))
            answer = connection.getresponse()
            answer.read(64 * 1024)  # a little, so the server is not cut off
            return Response(answer.status, address, dict(answer.getheaders()))
        except ConnectionRefusedError as exc:
            last = exc
        finally:
            connection.close()
    raise last or ConnectionRefusedError("no address")
