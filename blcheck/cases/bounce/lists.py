"""Classification: blocklist or reputation, and the name of the list."""

from __future__ import annotations

import re
from dataclasses import dataclass

from blcheck.cases.bounce.fields import ip_value
from blcheck.cases.bounce.replies import REPLY_CODE
from blcheck.cases.bounce.report import BLOCKLIST, REPUTATION

# --------------------------------------------------------------------------
# Classification: what a mail administrator reads as a list or a reputation hit
# --------------------------------------------------------------------------

# Zone-shaped names (RFC 1035 labels, a letter TLD).
_ZONE = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,10}[a-z]{2,24}(?![\w-]|\.\w)"

# Phrases that mean "a list refused you" (facts §5.3, sisimai Reason::Blocked).
# Blanks around an optional hyphen are taken whole (`\s*+`): with `\s*-?\s*`
# a long run of blanks after "block" is split every way before the try fails.
_BLOCKLIST_PHRASES = [
    re.compile(p, re.I)
    for p in (
        r"\bblocked\s*+-\s*+see\s*+:?\s*+https?://",
        r"\bbanned\s+sending\s+ip\b",
        r"\bbanned\s+sender\b",
        r"\bpart\s+of\s+their\s+network\s+is\s+on\s+our\s+block\s*list",
        r"\bon\s+(?:our|a|the|their|its|any)\s+(?:[\w.-]+\s+){0,2}"
        r"(?:block|black|deny|ban)\s*+-?\s*+list",
        r"\bconnections\s+(?:will\s+)?not\s+(?:be\s+)?accepted\s+from\s+ip\s+"
        r"addresses\s+on\s+spamhaus",
        r"\b(?:block|black|deny)\s*+-?\s*+listed\b",
        r"\b(?:spam|block|black|deny|ban)\s*+-?\s*+list\b",
        r"\baccess\s+from\s+ip\s+address\s+\S+\s+blocked",
        r"\bemail\s+blocked\s+by\s+\S*(?:barracudacentral|spamhaus)",
        r"\bsender'?s\s+ip\s+address\s+is\s+listed\s+at\b",
        r"\bblocked\s+for\s+(?:abuse|spam(?:ming)?)\b",
        r"\bhost\s+network\s+not\s+allowed\b",  # Mimecast's block-list reply
        r"\bAUP#[A-Z0-9]*BL\b",  # Cox block-list AUP codes (CXBL, CDRBL, ...)
        r"\bERS-(?:RBL|QIL|DUL|RSS|OPS)\b",  # Trend Micro Email Reputation lists
        # "the ip is in Spamhaus's list" (Yahoo BL21)
        r"\b(?:is|are)\s+(?:in|on)\s+(?:[\w'.-]+\s+){1,2}list\b",
    )
] + [
    re.compile(r"\b(?:RBL|DNSBL|RHSBL|URIBL|SURBL|DNSRBL)\b"),
    re.compile(r"\(BL\)"),  # Deutsche Telekom's block-list marker
]
# Lookup and delisting pages that only appear when a list refused the mail.
_BLOCKLIST_URLS = re.compile(
    r"spamhaus\.org/(?:query|sbl|dbl|xbl|pbl|lookup|ip/)|check\.spamhaus\.org"
    r"|barracudanetworks\.com/reputation|barracudacentral\.org|spamcop\.net/bl\."
    r"|uceprotect\.net/rblcheck|psbl\.org/listing|spamrats\.com/(?:bl|lookup)"
    r"|ipcheck\.proofpoint\.com|dnsbl-lookup\.cgi|mail-abuse\.com/cgi-bin/lookup"
    r"|csi\.cloudmark\.com|mail\.ru/cgi-bin/support_bl|sender\.office\.com"
    r"|abuseat\.org/lookup|dronebl\.org/lookup|senderscore\.org/blocklist",
    re.I,
)
# Phrases that mean "your IP's or domain's reputation, volume or complaints".
_REPUTATION_PHRASES = [
    re.compile(p, re.I)
    for p in (
        r"\breputation\b",
        r"\bunexpected\s+volume\s+or\s+user\s+complaints\b",
        r"\buser\s+complaints\b",
        r"\btoo\s+many\s+unwanted\s+messages\b",
        r"\bunusual\s+rate\s+of\s+unsolicited\s+mail\b",
        r"\bfrequency\s+limited\b",
        r"\bopen\s+relay\b",
        r"\buse\s+(?:the|your)\s+(?:smtp|mail|outgoing)\s+server\s+of\s+your\s+"
        r"(?:isp|provider)\b",
        r"\buse\s+your\s+(?:isp|provider)'?s?\s+(?:smtp|mail|outgoing)\s+server\b",
        r"\bdynamic(?:ally[- ]assigned)?\s+ip\b",
        r"\[TSS?\d\d\]",  # Yahoo/AOL deferral codes
    )
]
# "It may be blacklisted", "not listed in": not a statement of a listing.
_HEDGE = re.compile(
    r"(?:\b(?:may|might|could|possibly|perhaps|whether|if|not|no|never)\b|n't\b)"
    r"(?:\s+\S+){0,3}\s*$",
    re.I,
)
# The receiver's own DNSBL queries are refused: not a listing (facts §1.7).
_NOT_A_LISTING = re.compile(r"uribl\.com/refused|spamhaus\.org/returnc/", re.I)
# A domain or URI list (URIBL, SURBL, Spamhaus DBL, "MailFrom domain is listed").
_DOMAIN_LISTING = re.compile(
    r"\b(?:domain|url|uri)\b[^.]{0,40}\b(?:is\s+)?(?:black\s*|block\s*)?listed"
    r"|blacklisted\s+(?:url|link|domain)|\buribl\b|\bsurbl\b|\bdbl\b",
    re.I,
)
_DOMAIN_LIST_NAME = re.compile(r"uribl|surbl|\bdbl\.", re.I)

# Provider codes. Outlook.com/Hotmail (facts §5.2): S3150/S3140/SC-001/OU-002 are
# its block list; S3113/S3114/SC-004 are reputation or complaint throttling.
_MS_CODE = re.compile(r"\b(A?S3\d{3}|SC-00\d|OU-00\d|DY-00\d)\b")
_MS_BLOCKLIST = frozenset({"S3150", "S3140", "AS3150", "AS3140", "SC-001", "OU-002"})
_MS_REPUTATION = frozenset({"S3113", "S3114", "SC-004"})
_MS_CONTEXT = re.compile(
    r"outlook|hotmail|live\.com|microsoft|office\.com|msn\.com|weren't\s+sent", re.I
)
# Yahoo/AOL: [TSS04] volume or complaints; [BL21]/[BL23] the IP is on Spamhaus.
_YAHOO_CODE = re.compile(r"\[(TSS?\d\d|BL2\d)\]")
_COMCAST_CODE = re.compile(r"\b((?:BL|RL)\d{6})\b")
_COX_CODE = re.compile(r"\bAUP#([A-Z0-9]+)\b")


@dataclass
class Finding:
    """What `classify` read: the category and the words that say so."""

    category: str
    evidence: tuple[int, int]  # in the reply's text


@dataclass(frozen=True)
class Context:
    """What the whole bounce says about who rejected it (read once)."""

    microsoft: bool = False
    cox: bool = False

    @classmethod
    def of(cls, text: str) -> Context:
        return cls(
            microsoft=bool(_MS_CONTEXT.search(text)),
            cox=bool(re.search(r"\bcox\.(?:com|net)\b", text, re.I)),
        )


def classify(text: str, context: Context) -> Finding | None:
    """Blocklist or reputation, from one reply (or line); None if neither."""
    code = _provider_code(text, context)
    if code is not None:
        _, category, span = code
        if category:
            return Finding(category, span)
    for regex in _BLOCKLIST_PHRASES:
        for match in regex.finditer(text):
            if not _hedged(text, match.start()):
                return Finding(BLOCKLIST, match.span())
    name = _named_list(text)
    if name is not None:
        return Finding(BLOCKLIST, name[1])
    url = _BLOCKLIST_URLS.search(text)
    if url:
        return Finding(BLOCKLIST, url.span())
    for regex in _REPUTATION_PHRASES:
        hit = regex.search(text)
        if hit:
            return Finding(REPUTATION, hit.span())
    return None


def is_query_refusal(text: str) -> bool:
    """The receiver's own DNSBL queries were refused: not a listing at all."""
    return bool(_NOT_A_LISTING.search(text))


def lists_a_domain(rejection: str, blocklist: str | None) -> bool:
    """The list names a domain, so the IPs in the rejection are not listed."""
    return bool(_DOMAIN_LISTING.search(rejection)) or bool(
        blocklist and _DOMAIN_LIST_NAME.search(blocklist)
    )


def _hedged(text: str, at: int) -> bool:
    clause = re.split(r"[.;:!?()\n]", text[max(0, at - 60) : at])[-1]
    return bool(_HEDGE.search(clause))


def _provider_code(
    text: str, context: Context
) -> tuple[str | None, str | None, tuple[int, int]] | None:
    """A provider's own list or reputation code: (label, category, span)."""
    reply = REPLY_CODE.search(text)
    if reply and reply.group(2):
        enh = reply.group(2)
        major, minor, detail = (int(x) for x in enh.split("."))
        # Exchange Online "Access denied, banned sending IP" (5.7.606-649) and
        # "banned sender" (5.7.511): Microsoft's own list.
        if (major, minor) == (5, 7) and (606 <= detail <= 649 or detail == 511):
            return f"Microsoft {enh}", BLOCKLIST, reply.span(2)
    ms = _MS_CODE.search(text)
    if ms and context.microsoft:
        code = ms.group(1)
        category = (
            BLOCKLIST
            if code in _MS_BLOCKLIST
            else REPUTATION
            if code in _MS_REPUTATION
            else None
        )
        return f"Microsoft {code}", category, ms.span(1)
    yahoo = _YAHOO_CODE.search(text)
    if yahoo:
        code = yahoo.group(1)
        if code.startswith("BL"):  # Yahoo's Spamhaus rejections: Spamhaus's list
            return None, BLOCKLIST, yahoo.span(1)
        category = REPUTATION if code.startswith("TS") else None
        return f"Yahoo {code}", category, yahoo.span(1)
    comcast = _COMCAST_CODE.search(text)
    if comcast and re.search(r"comcast", text, re.I):
        code = comcast.group(1)
        category = BLOCKLIST if code.startswith("BL") else REPUTATION
        return f"Comcast {code}", category, comcast.span(1)
    cox = _COX_CODE.search(text)
    if cox and context.cox:
        code = cox.group(1)
        category = BLOCKLIST if code.endswith("BL") else None
        return f"Cox AUP#{code}", category, cox.span()
    return None


# Services that are named rather than zoned, and the zone where the facts give
# one (§2). "{0}" is the first group of the pattern, lower-cased.
_SERVICES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(pattern, re.I), label)
    for pattern, label in (
        (
            r"barracuda\s*(?:reputation|rbl|brbl)|barracudacentral\.org"
            r"|barracudanetworks\.com/reputation|\bBRBL\b",
            "b.barracudacentral.org",
        ),
        (r"spamhaus(?:'s)?\s*(zen|sbl|xbl|pbl|dbl)\b", "{0}.spamhaus.org"),
        (r"spamhaus", "Spamhaus"),
        (r"spamcop", "bl.spamcop.net"),
        (r"abuseat\.org|\bCBL\b", "cbl.abuseat.org"),
        (r"\bsorbs\b", "dnsbl.sorbs.net"),
        (r"uceprotect[- ]?level\s*([123])", "dnsbl-{0}.uceprotect.net"),
        (r"uceprotect", "UCEPROTECT"),
        (r"\bpsbl\b|psbl\.org|psbl\.surriel\.com", "psbl.surriel.com"),
        (r"spamrats", "SpamRATS"),
        (r"mailspike", "bl.mailspike.net"),
        (r"spameatingmonkey", "bl.spameatingmonkey.net"),
        (r"dronebl", "dnsbl.dronebl.org"),
        (r"\bnordspam\b", "bl.nordspam.com"),
        (r"\bsurbl\b", "multi.surbl.org"),
        (r"proofpoint", "Proofpoint"),
        (r"cloudmark", "Cloudmark CSI"),
        (r"trend\s*micro|mail-abuse\.com|\bERS-(?:RBL|QIL|DUL)\b", "Trend Micro ERS"),
        (r"mimecast", "Mimecast"),
        (r"win\.mail\.ru|mail\.ru/cgi-bin/support_bl", "Mail.ru"),
        (r"postmaster\.gmx\.|postmaster\.web\.de", "GMX"),
        (r"abusix", "Abusix"),
    )
]


_SERVICE_LABELS = dict(_SERVICES)


def _service(match: re.Match[str]) -> str:
    label = _SERVICE_LABELS[match.re]
    return label.format(*(g.lower() for g in match.groups() if g))


# "blocked using X", "listed in X": the list is named right after.
_LISTED_BEFORE_NAME = re.compile(
    r"\b(?:blocked\s+using|(?:black|block)\s*-?listed\s+(?:in|at|by|on)"
    r"|listed\s+(?:in|at|by|on|with)(?:\s+the)?|email\s+blocked\s+by"
    r"|blocked\s+by|rejected\s+by|refused\s+by\s+blackhole\s+site)\s+",
    re.I,
)
_ZONE_AT = re.compile(_ZONE, re.I)
_ZONE_THEN_LISTED = re.compile(r"(?<![\w.@-])(" + _ZONE + r")\s+listed\b", re.I)
# "192.0.2.1 blocked by <list>" (an Exim ACL naming its own list).
_BLOCKED_BY = re.compile(r"(?<=\S)\s+blocked\s+by\s+(\S*[^\s;,.:])", re.I)
_NAMED_DNSBL = re.compile(
    r"\bblocked\s+by\s+((?:[A-Z0-9][\w.-]*\s+){1,3}(?:DNSBL|RBL|DNSRBL)\b)", re.I
)
_URIBL_COLOUR = re.compile(r"\bin\s+\[(black|gr[ae]y|red|gold)\]", re.I)


def _named_list(text: str) -> tuple[str, tuple[int, int]] | None:
    """The list a rejection names: a zone, or a service's zone or short name."""
    colour = _URIBL_COLOUR.search(text)
    if colour and re.search(r"uribl\.com", text, re.I):
        name = colour.group(1).lower().replace("gray", "grey")
        return f"{name}.uribl.com", colour.span(1)
    for match in _LISTED_BEFORE_NAME.finditer(text):
        if _hedged(text, match.start()):
            continue
        at = match.end()
        zone = _ZONE_AT.match(text, at)
        if zone and not re.match(r"\d+(?:\.\d+)+$", zone.group()):
            return zone.group().lower(), zone.span()
        for regex, _ in _SERVICES:
            service = regex.match(text, at)
            if service:
                return _service(service), service.span()
    zone_first = _ZONE_THEN_LISTED.search(text)
    if zone_first and not _hedged(text, zone_first.start()):
        return zone_first.group(1).lower(), zone_first.span(1)
    for by in _BLOCKED_BY.finditer(text):
        ip = re.search(
            r"([0-9a-fA-F.:]+)[\])>]?$", text[max(0, by.start() - 45) : by.start()]
        )
        if ip and ip_value(ip.group(1)):
            return by.group(1), by.span(1)
    dnsbl = _NAMED_DNSBL.search(text)
    if dnsbl:
        return dnsbl.group(1), dnsbl.span(1)
    return None


# A zone of a known list operator written out anywhere in the reply (not a URL's
# host): "is in a black list at zen.spamhaus.org".
_KNOWN_ZONE = re.compile(
    r"(?<![\w./@-])((?!www\.|check\.|postmaster\.)(?:[a-z0-9-]{1,63}\.){1,4}"
    r"(?:spamhaus\.org|spamhaus\.net|spamcop\.net|barracudacentral\.org"
    r"|uceprotect\.net|sorbs\.net|abuseat\.org|surriel\.com|spamrats\.com"
    r"|mailspike\.net|abusix\.zone|spameatingmonkey\.net|mail-abuse\.com"
    r"|senderscore\.com|s5h\.net|0spam\.org|nordspam\.com|dronebl\.org"
    r"|uribl\.com|surbl\.org))(?![\w/-]|\.\w)",
    re.I,
)


def list_label(text: str, context: Context) -> tuple[str, tuple[int, int]] | None:
    """The `blocklist` value: a named zone, a provider code, then a service."""
    named = _named_list(text)
    if named is not None:
        return named
    code = _provider_code(text, context)
    if code is not None and code[0] is not None:
        return code[0], code[2]
    zone = _KNOWN_ZONE.search(text)
    if zone:
        return zone.group(1).lower(), zone.span(1)
    best: tuple[str, tuple[int, int]] | None = None
    for regex, _ in _SERVICES:
        match = regex.search(text)
        if match and (best is None or match.start() < best[1][0]):
            best = _service(match), match.span()
    return best
