"""IPs, URLs and addresses in a rejection or a notice."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

# --------------------------------------------------------------------------
# IPs, URLs, addresses
# --------------------------------------------------------------------------

_IPV4 = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?![\w]|\.\d)")
_IPV6 = re.compile(
    r"(?:(?<=IPv6:)|(?<![\w:.]))([0-9A-Fa-f:][0-9A-Fa-f:.]{1,44})(?![\w:])"
)
# The remote MX in "host mx.example[ip] said", qmail's "Giving up on ip": the
# receiver, never the blocked sender. "Remote-MTA: dns; host [ip]" is read up
# to the next "[" but not past another "Remote-MTA:", which is tried in its
# turn: else each of many on one line would read the rest of the line again.
_MX_IP = re.compile(
    r"\bhost\s+[^\s\[\]]+\s*\[([0-9a-f.:]+)\]|\bremote\s+host\s+([0-9a-f.:]+)"
    r"|\bconnected\s+to\s+([0-9a-f.:]+)|\bgiving\s+up\s+on\s+([0-9a-f.:]+)"
    r"|(?<![\w.:])([0-9a-f.:]+)\s+does\s+not\s+like\b"
    r"|\bremote-mta:(?:(?!\bremote-mta:)[^\n\[])*+\[([0-9a-f.:]+)\]"
    r"|\bMXes\s+tried:\s*([0-9a-f.:]+)",
    re.I,
)
_IP_URL_PARAM = re.compile(
    r"(?:[?&;](?:ip|ip_address|ipr|ipaddr|ipaddress|addr|address|v|q|query)="
    r"|bl\.shtml\?|/bl\?|/query/ip/|/ip/)$",
    re.I,
)
_IP_LEAD = re.compile(
    r"(?:client|ip|address|sending|sender|from|through|source|server|relay|"
    r"host|comcast|ip=|mta)\W{0,3}$",
    re.I,
)
_IP_TRAIL = re.compile(
    r"^\W{0,3}(?:is\s+)?(?:listed|blocked|black|block|banned|on\s+our|in\s+)", re.I
)
_IP_NOT_SENDER = re.compile(r"(?:\bH=\S*|\bhelo=?\S*)\s*\[?$", re.I)


def ip_value(token: str) -> str | None:
    """The IP a token spells, in canonical form; None if it cannot be a sender."""
    try:
        address = ipaddress.ip_address(token)
    except ValueError:
        return None
    if address.is_loopback or address.is_unspecified or address.is_multicast:
        return None  # 127.0.0.x is a DNSBL answer code, not a sender
    return str(address)


def _ips(text: str) -> Iterator[tuple[str, int, int]]:
    for match in _IPV4.finditer(text):
        value = ip_value(match.group(1))
        if value:
            yield value, match.start(1), match.end(1)
    for match in _IPV6.finditer(text):
        token = match.group(1).rstrip(".")
        if token.endswith(":") and not token.endswith("::"):
            token = token.rstrip(":")
        if token.count(":") >= 2:
            value = ip_value(token)
            if value:
                yield value, match.start(1), match.start(1) + len(token)


def blocked_ip_in(text: str, excluded: set[str]) -> tuple[str, int, int] | None:
    """The sending IP a rejection is about, preferring the ones it points at."""
    best: tuple[int, int, str, int] | None = None
    for value, start, end in _ips(text):
        before = text[max(0, start - 30) : start]
        if value in excluded or _IP_NOT_SENDER.search(before):
            continue
        if _IP_URL_PARAM.search(before):
            score = 3
        elif _IP_LEAD.search(before) or _IP_TRAIL.search(text[end : end + 20]):
            score = 2
        else:
            score = 1
        if best is None or (-score, start) < (-best[0], best[1]):
            best = (score, start, value, end)
    return (best[2], best[1], best[3]) if best else None


def mx_ips(text: str) -> set[str]:
    """The receiving MX's IPs a bounce names: never the blocked sender."""
    mx = {v for m in _MX_IP.finditer(text) for v in m.groups() if v}
    return {ip for ip in (ip_value(v) for v in mx) if ip}


_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>\"'`\[\]{}|\\^]+", re.I)
_URL_DELIST = re.compile(
    r"lookup|removal|remove|delist|rblcheck|query|bl\.shtml|support_bl|"
    r"reset-request|[?&](?:ip|ipr|ip_address)=|sender\.office\.com|/bl[/?]",
    re.I,
)


def _trim_url(url: str) -> str:
    while url:
        last = url[-1]
        if last in ".,;:!?'\">" or (
            last in ")]" and url.count("(" if last == ")" else "[") < url.count(last)
        ):
            url = url[:-1]
        else:
            break
    return url


def urls_in(text: str) -> Iterator[tuple[str, int, int]]:
    """Each URL in text, trimmed of trailing punctuation, and where it stands."""
    for match in _URL.finditer(text):
        url = _trim_url(match.group())
        if "://" in url and len(url) > url.index("://") + 3:
            yield url, match.start(), match.start() + len(url)


def is_lookup_page(url: str) -> bool:
    """A per-IP lookup or delisting page, not a help page (Microsoft's fwlink)."""
    return "fwlink" not in url.lower() and bool(_URL_DELIST.search(url))


_EMAIL = re.compile(
    r"(?<![\w.%+'=!#$&*/?^`{|}~-])([\w.%+'=!#$&*/?^`{|}~-]{1,64}"
    r"@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+)",
    re.I,
)
_SENDER_LEAD = re.compile(
    r"(?:mail\s+from|from|sender|sent\s+by|envelope-from|x-postfix-sender)"
    r"\s*+:?\s*+(?:rfc822;\s*+)?<?\s*+$",
    re.I,
)
_SERVICE_LOCAL = re.compile(
    r"^(?:postmaster|mailer-daemon|abuse|noreply|no-reply)@", re.I
)
_DSN_FIELD = re.compile(
    r"^(Final-Recipient|Original-Recipient|Action|Diagnostic-Code)[ \t]*:[ \t]*(.*)$",
    re.M | re.I,
)


def _address_in(value: str) -> tuple[str, int] | None:
    match = _EMAIL.search(value)
    return (match.group(1).strip(".").rstrip(">"), match.start(1)) if match else None


def dsn_recipients(
    text: str,
) -> tuple[list[tuple[int, str, int]], list[tuple[str, int]]]:
    """The DSN's Final-Recipient fields, as (field position, address, at), and
    its Original-Recipient fields, as (address, at), in the order given."""
    finals: list[tuple[int, str, int]] = []
    originals: list[tuple[str, int]] = []
    for match in _DSN_FIELD.finditer(text):
        found = _address_in(match.group(2))
        if found is None:
            continue
        name = match.group(1).lower()
        if name == "final-recipient":
            finals.append((match.start(), found[0], match.start(2) + found[1]))
        elif name == "original-recipient":
            originals.append((found[0], match.start(2) + found[1]))
    return finals, originals


def recipient_in(
    text: str, start: int, end: int, own: set[str]
) -> tuple[str, int] | None:
    """The first address in text[start:end] that can be the failed recipient:
    not one of `own` (the bounce's own headers), a service mailbox or a sender."""
    for match in _EMAIL.finditer(text, start, end):
        address = match.group(1).strip(".")
        lead = text[max(0, match.start() - 25) : match.start()]
        if (
            address.lower() in own
            or _SERVICE_LOCAL.match(address)
            or _SENDER_LEAD.search(lead)
        ):
            continue
        return address, match.start(1)
    return None
