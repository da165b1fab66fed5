"""PURE: keys stored with a target so the database can order and search it.

Addresses and ranges are kept as the first and last address they hold, as 32
lower-case hex digits in one space (IPv4 mapped into ::ffff:0:0/96), so one
string comparison orders them numerically and finds "the range holding this
address" or "the targets inside this CIDR" with an index. No Django, no I/O.
"""

import ipaddress

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_V4_MAPPED = 0xFFFF << 32


def _hex(number: int) -> str:
    return f"{number:032x}"


def span_of(network: IPNetwork) -> tuple[str, str]:
    """(first, last) of the addresses the network holds, as comparable keys."""
    first = int(network.network_address)
    last = int(network.broadcast_address)
    if network.version == 4:
        first, last = first | _V4_MAPPED, last | _V4_MAPPED
    return _hex(first), _hex(last)


def address_span(kind: str, value: str) -> tuple[str, str]:
    """The span a stored target covers; ("", "") for a domain or a value that
    is not an address."""
    if kind == "domain":
        return "", ""
    try:
        return span_of(ipaddress.ip_network(value, strict=False))
    except ValueError:
        return "", ""


def sort_key(kind: str, value: str) -> str:
    """Numeric order: IPv4 before IPv6, each by first address then narrowest
    first (an address before the range starting at it); domains after every
    address, by name. "4" / "6" / "d" keep the families apart."""
    first, last = address_span(kind, value)
    if not first:
        return "d" + value
    family = "4" if first.startswith("0" * 20 + "ffff") else "6"
    return family + first + last


def search_span(text: str) -> tuple[str, str] | None:
    """What a search text means as addresses: an address or a CIDR range
    (host bits allowed), else None (a label, a domain, a typo)."""
    text = text.strip()
    if not text or len(text) > 64:
        return None
    try:
        return span_of(ipaddress.ip_network(text, strict=False))
    except ValueError:
        return None
