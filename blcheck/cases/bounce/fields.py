"""IPs, URLs and addresses in a rejection or a notice."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

# --------------------------------------------------------------------------
# IPs, URLs, addresses
# --------------------------------------------------------------------------

_I = re.IGNORECASE

_IPV4 = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?![\w]|\.\d)")
_IPV6 = re.compile(
    r"(?:(?<=IPv6:)|(?<![\w:.]))([0-9A-Fa-f:][0-9A-Fa-f:.]{1,44})(?![\w:])"
)
# The remote MX in "host mx.example[ip] said", qmail's "Giving up on ip": the
# receiver, never the blocked sender.
_MX_IP = re.compile(
    r"\bhost\s+[^\s\[\]]+\s*\[([0-9a-f.:]+)\]|\bremote\s+host\s+([0-9a-f.:]+)"
    r"|\bconnected\s+to\s+([0-9a-f.:]+)|\bgiving\s+up\s+on\s+([0-9a-f.:]+)"
    r"|(?<![\w.:])([0-9a-f.:]+)\s+does\s+not\s+like\b|\bremote-mta:[^\n\[]*\[([0-9a-f.:]+)\]"
    r"|\bMXes\s+tried:\s*([0-9a-f.:]+)",
    _I,
)
_IP_URL_PARAM = re.compile(
    r"(?:[?&;](?:ip|ip_address|ipr|ipaddr|ipaddress|addr|address|v|q|query)="
    r"|bl\.shtml\?|/bl\?|/query/ip/|/ip/)$",
    _I,
)
_IP_LEAD = re.compile(
    r"(?:client|ip|address|sending|sender|from|through|source|server|relay|"
    r"host|comcast|ip=|mta)\W{0,3}$",
    _I,
)
_IP_TRAIL = re.compile(
    r"^\W{0,3}(?:is\s+)?(?:listed|blocked|black|block|banned|on\s+our|in\s+)", _I
)
_IP_NOT_SENDER = re.compile(r"(?:\bH=\S*|\bhelo=?\S*)\s*\[?$", _I)


def _ip_value(token: str) -> str | None:
    try:
        address = ipaddress.ip_address(token)
    except ValueError:
        return None
    if address.is_loopback or address.is_unspecified or address.is_multicast:
        return None  # 127.0.0.x is a DNSBL answer code, not a sender
    return str(address)


def _ips(text: str) -> Iterator[tuple[str, int, int]]:
    for match in _IPV4.finditer(text):
        value = _ip_value(match.group(1))
        if value:
            yield value, match.start(1), match.end(1)
    for match in _IPV6.finditer(text):
        token = match.group(1).rstrip(".")
        if token.endswith(":") and not token.endswith("::"):
            token = token.rstrip(":")
        if token.count(":") >= 2:
            value = _ip_value(token)
            if value:
                yield value, match.start(1), match.start(1) + len(token)


def _blocked_ip(text: str, excluded: set[str]) -> tuple[str, int, int] | None:
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


_DOMAIN_LISTING = re.compile(
    r"\b(?:domain|url|uri)\b[^.]{0,40}\b(?:is\s+)?(?:black\s*|block\s*)?listed"
    r"|blacklisted\s+(?:url|link|domain)|\buribl\b|\bsurbl\b|\bdbl\b",
    _I,
)
_DOMAIN_LIST_NAME = re.compile(r"uribl|surbl|\bdbl\.", _I)

_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>\"'`\[\]{}|\\^]+", _I)
_URL_DELIST = re.compile(
    r"lookup|removal|remove|delist|rblcheck|query|bl\.shtml|support_bl|"
    r"reset-request|[?&](?:ip|ipr|ip_address)=|sender\.office\.com|/bl[/?]",
    _I,
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


def _urls(text: str) -> Iterator[tuple[str, int, int]]:
    for match in _URL.finditer(text):
        url = _trim_url(match.group())
        if "://" in url and len(url) > url.index("://") + 3:
            yield url, match.start(), match.start() + len(url)


_EMAIL = re.compile(
    r"(?<![\w.%+'=!#$&*/?^`{|}~-])([\w.%+'=!#$&*/?^`{|}~-]{1,64}"
    r"@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+)",
    _I,
)
_SENDER_LEAD = re.compile(
    r"(?:mail\s+from|from|sender|sent\s+by|envelope-from|x-postfix-sender)"
    r"\s*:?\s*(?:rfc822;\s*)?<?\s*$",
    _I,
)
_SERVICE_LOCAL = re.compile(
    r"^(?:postmaster|mailer-daemon|abuse|noreply|no-reply)@", _I
)
_DSN_FIELD = re.compile(
    r"^(Final-Recipient|Original-Recipient|Action|Diagnostic-Code)[ \t]*:[ \t]*(.*)$",
    re.M | _I,
)


def _address_in(value: str) -> tuple[str, int] | None:
    match = _EMAIL.search(value)
    return (match.group(1).strip(".").rstrip(">"), match.start(1)) if match else None
