"""PURE: read a pasted bounce and say which list refused which IP.

Staff paste a bounce: a whole RFC 5322 message (.eml, mbox) or just the text
they copied. `parse_bounce` returns the SMTP reply code and enhanced status
code of the rejection, the blocked sending IP, the blocklist or reputation
service, its lookup/delisting URL and the failed recipient, plus the decoded
text those values were read from and where in it they stand.

Standard library only, no I/O. Input over 1 MiB raises BounceTooLarge; any
other input, however broken, gives a report (category "other" and None fields
where nothing is found).

How a bounce is read:

- MIME is walked. The human-readable notice (text/plain, or text/html with the
  tags stripped) and the message/delivery-status part are read; the returned
  original (message/rfc822, text/rfc822-headers, or the part of a plain-text
  bounce after "This is a copy of the message") is never read, because its
  Received headers and body carry IPs and codes that are not the rejection's.
- SMTP replies continued over several lines ("550-5.7.1 ..." / "550 5.7.1 ...",
  RFC 5321 §4.2.1), and notices wrapped with indented continuation lines
  (Postfix, DSN header folding), are unfolded into one reply.
- Each 4xx/5xx reply is classified with the phrases, provider codes and URL
  fragments mail administrators know (the facts file, §5): "blocked using
  <zone>", "banned sending IP", Outlook S3150, Yahoo TSS04, Gmail "low
  reputation" and so on. The first reply that names a list or a reputation
  refusal is *the* rejection; its IP, list and URL are reported.
- The DSN Status field is not used as the enhanced code: reporting MTAs rewrite
  it (Sendmail turns a remote 5.7.1 into 5.1.1, Postfix says 4.0.0 for a 554).
"""

from __future__ import annotations

import html
import ipaddress
import quopri
import re
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.utils import getaddresses

MAX_BYTES = 1024 * 1024

BLOCKLIST = "blocklist"
REPUTATION = "reputation"
OTHER = "other"

# Parse limits, so that hostile input stays cheap (the 1 MiB cap bounds the rest).
_MAX_PARTS = 500
_MAX_DEPTH = 12
_MAX_REPLIES = 300
_MAX_REPLY_CHARS = 4096  # RFC 5321 allows 512 per line; unfolded replies run longer
_MAX_LINES = 3000  # lines searched for a list phrase when no reply names one


class BounceTooLarge(ValueError):
    """The pasted bounce is over the 1 MiB limit."""

    def __init__(self, size: int) -> None:
        super().__init__(
            f"The bounce is {size:,} bytes; the limit is 1 MiB ({MAX_BYTES:,} bytes)."
        )
        self.size = size


@dataclass(frozen=True)
class BounceReport:
    """What a bounce says, and where in `text` each value was read."""

    category: str
    smtp_code: int | None
    enhanced_code: str | None
    blocked_ip: str | None
    blocklist: str | None
    lookup_url: str | None
    recipient: str | None
    text: str = ""
    spans: tuple[tuple[int, int, str], ...] = ()
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        """The seven fields of the `parse_bounce` JSON contract, in order."""
        return {
            "category": self.category,
            "smtp_code": self.smtp_code,
            "enhanced_code": self.enhanced_code,
            "blocked_ip": self.blocked_ip,
            "blocklist": self.blocklist,
            "lookup_url": self.lookup_url,
            "recipient": self.recipient,
        }


def parse_bounce(data: bytes | str) -> BounceReport:
    """Read one bounce (a message or pasted text, any charset).

    Raises BounceTooLarge over MAX_BYTES (str input is measured as UTF-8);
    never raises otherwise.
    """
    if isinstance(data, bytearray | memoryview):
        data = bytes(data)
    if not isinstance(data, bytes | str):
        return _empty(f"not text: {type(data).__name__}")
    size = _size(data)
    if size > MAX_BYTES:
        raise BounceTooLarge(size)
    try:
        return _parse(data)
    except Exception as exc:  # the contract: garbage in, "other" out
        return _empty(f"could not read the bounce ({type(exc).__name__})")


def _size(data: bytes | str) -> int:
    if isinstance(data, bytes):
        return len(data)
    return len(data.encode("utf-8", "surrogatepass"))


def _empty(warning: str) -> BounceReport:
    return BounceReport(OTHER, None, None, None, None, None, None, warnings=(warning,))


# --------------------------------------------------------------------------
# Decoding: bytes and MIME parts to text
# --------------------------------------------------------------------------

_CHARSET_ALIASES = {
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "iso-2022-jp": "iso2022_jp_2",
    "csiso2022jp": "iso2022_jp_2",
    "euc-jp": "euc_jis_2004",
    "x-euc-jp": "euc_jis_2004",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "ascii",
    "unicode-1-1-utf-7": "utf-7",
}
# Tried after the declared charset fails (mislabelled Japanese mail is common).
_JAPANESE = ("iso2022_jp_2", "iso2022_jp_ext", "cp932", "euc_jis_2004")
_KANA = re.compile(r"[\u3040-\u30ff]")


def _decode_bytes(raw: bytes, charset: str | None = None) -> str:
    """Decode with the declared charset, then the usual suspects, never failing."""
    tried: list[str] = []
    if charset:
        name = charset.strip().strip("\"'").lower()
        tried.append(_CHARSET_ALIASES.get(name, name))
        if "jp" in name or "jis" in name:
            tried.extend(_JAPANESE)
    if b"\x1b$" in raw or b"\x1b(" in raw:  # ISO-2022-JP escape sequences
        tried.append("iso2022_jp_2")
    tried.append("utf-8")
    for codec in tried:
        try:
            return raw.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    try:  # undeclared Shift_JIS: accept only when it yields kana
        text = raw.decode("cp932")
        if _KANA.search(text):
            return text
    except UnicodeDecodeError:
        pass
    return raw.decode("cp1252", "replace")


def _clean(value: object) -> str:
    """A header value as text, even when it holds undecodable raw bytes."""
    text = str(value)
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        raw = text.encode("ascii", "surrogateescape")
        return _decode_bytes(raw)
    return text


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^<>]{0,4000}>")
_DROP = re.compile(
    r"<(script|style|head|title)\b[^<>]{0,4000}>.*?</\1\s*>", re.IGNORECASE | re.S
)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_BLOCK_TAGS = frozenset(
    {"br", "p", "div", "tr", "li", "hr", "h1", "h2", "h3", "h4", "h5", "h6"}
    | {"table", "pre", "blockquote", "ul", "ol", "dd", "dt"}
)


def _html_to_text(markup: str) -> str:
    markup = _COMMENT.sub("", markup)
    markup = _DROP.sub("", markup)

    def tag(match: re.Match[str]) -> str:
        return "\n" if match.group(2).lower() in _BLOCK_TAGS else ""

    text = html.unescape(_TAG.sub(tag, markup))
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


_HTML_HINT = re.compile(r"<(?:html|body|br|p|div|table|td)\b[^<>]{0,200}>", re.I)


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# Where a plain-text bounce starts quoting the original message (Exim, qmail,
# Gmail, Sendmail V5, Lotus Notes, GMX, Exchange, OpenSMTPD, Courier).
_ORIGINAL_MARKER = re.compile(
    r"^[ \t]*(?:"
    r"-+ ?This is a copy of the message"
    r"|-* ?Below this line is a copy of the message"
    r"|-+ ?Original message ?-+"
    r"|-+ ?Unsent message follows"
    r"|-+ ?Returned [Mm]essage ?-+"
    r"|-+ ?The header of the original message"
    r"|Original message headers:"
    r"|Below is a copy of the original message"
    r"|The original message follows"
    r"|-+ ?(?:Begin )?[Oo]riginal message"
    r")",
    re.M,
)


def _cut_original(text: str) -> str:
    match = _ORIGINAL_MARKER.search(text)
    return text[: match.start()] if match else text


# --------------------------------------------------------------------------
# Messages: headers, MIME walk, sections
# --------------------------------------------------------------------------


@dataclass
class _Section:
    kind: str  # "notice" (human-readable) or "dsn" (message/delivery-status)
    text: str


@dataclass
class _Source:
    sections: list[_Section] = field(default_factory=list)
    own_addresses: set[str] = field(default_factory=set)  # the bounce's headers
    failed_header: str | None = None  # X-Failed-Recipients
    warnings: list[str] = field(default_factory=list)
    parts: int = 0


_HEADER_LINE = re.compile(r"^[!-9;-~]{1,76}:")
_MESSAGE_HEADERS = frozenset(
    {"received", "from", "to", "subject", "date", "return-path", "message-id"}
    | {"mime-version", "content-type", "delivered-to", "x-failed-recipients"}
    | {"reply-to", "sender", "auto-submitted", "x-original-to", "envelope-to"}
    | {"resent-from"}
)
_ADDRESS_HEADERS = (
    *("from", "to", "cc", "sender", "reply-to", "return-path", "delivered-to"),
    *("x-original-to", "envelope-to", "resent-from", "resent-to"),
)
_ORIGINAL_TYPES = frozenset(
    {
        "message/rfc822",
        "message/global",
        "text/rfc822-headers",
        "message/rfc822-headers",
        "message/global-headers",
        "message/partial",
        "message/external-body",
    }
)
_DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_BOUNCE_SENDER = re.compile(r"mailer-daemon|postmaster|mail delivery", re.I)
_BOUNCE_HINT = re.compile(
    r"mailer-daemon|postmaster|mail delivery|undeliver|returned mail|"
    r"delivery status|failure notice|delivery failure|non-delivery",
    re.I,
)


def _strip_mbox(text: str) -> str:
    """Drop an mbox "From " line and anything after the next mbox message."""
    if text.startswith("From "):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        nxt = re.search(r"\n\r?\nFrom [^\n]*\n|\nFrom \S+ +\S", text)
        if nxt:
            text = text[: nxt.start() + 1]
    return text


def _looks_like_message(head: str) -> bool:
    """A header block naming at least one ordinary message header."""
    names: set[str] = set()
    for line in head.split("\n")[:200]:
        line = line.rstrip("\r")
        if not line:
            break
        if line[0] in " \t":
            continue
        if not _HEADER_LINE.match(line):
            return False
        names.add(line.split(":", 1)[0].strip().lower())
    return bool(names & _MESSAGE_HEADERS)


def _read_source(data: bytes | str) -> _Source:
    head = data[:65536].decode("latin-1") if isinstance(data, bytes) else data[:65536]
    head = head.lstrip("\ufeff\r\n\t ")
    mbox = head.startswith("From ")
    if mbox:
        head = head.split("\n", 1)[1] if "\n" in head else ""
    if not _looks_like_message(head):
        return _read_pasted(data)
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "replace")
    raw = raw.lstrip(b"\xef\xbb\xbf\r\n\t ")
    if mbox:
        raw = _strip_mbox(raw.decode("latin-1")).encode("latin-1")
    return _read_message(message_from_bytes(raw))


def _read_pasted(data: bytes | str) -> _Source:
    text = data if isinstance(data, str) else _decode_bytes(data)
    text = _newlines(text.lstrip("\ufeff"))
    text = _strip_mbox(text)
    # Pasted from a raw quoted-printable body: soft line breaks and =XX escapes.
    soft = len(re.findall(r"=\n", text))
    if soft >= 2 and re.search(r"=(?:3D|20|09|[89A-F][0-9A-F])", text):
        text = _decode_bytes(quopri.decodestring(text.encode("utf-8", "replace")))
    if _HTML_HINT.search(text):
        text = _html_to_text(text)
    return _Source(sections=[_Section("notice", _cut_original(text))])


def _read_message(msg: Message, depth: int = 0) -> _Source:
    source = _Source()
    for name in _ADDRESS_HEADERS:
        for value in msg.get_all(name) or []:
            for _, addr in getaddresses([_clean(value)]):
                if "@" in addr:
                    source.own_addresses.add(addr.lower())
    failed = msg.get("X-Failed-Recipients")
    if failed:
        found = [a for _, a in getaddresses([_clean(failed)]) if "@" in a]
        source.failed_header = found[0] if found else None
    _walk(msg, source, depth)
    forwarded = _forwarded_bounce(msg, source)
    if forwarded is not None and depth < 3:
        return _read_message(forwarded, depth + 1)
    return source


def _forwarded_bounce(msg: Message, source: _Source) -> Message | None:
    """A bounce staff forwarded as an attachment: read the attached one instead.

    Only when the outer message is not a bounce itself: a real bounce's
    attached message is the returned original, whose codes would mislead.
    """
    if (
        msg.get_content_type() == "multipart/report"
        or _BOUNCE_SENDER.search(_clean(msg.get("From", "")))
        or msg.get("Auto-Submitted", "no").strip().lower() != "no"
        or any(s.kind == "dsn" for s in source.sections)
    ):
        return None
    for part in msg.walk():
        if part.get_content_type() != "message/rfc822" or not part.is_multipart():
            continue
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if not isinstance(inner, Message):
            continue
        hint = " ".join(_clean(inner.get(h, "")) for h in ("From", "Subject"))
        if inner.get_content_type() == "multipart/report" or _BOUNCE_HINT.search(hint):
            return inner
    return None


def _walk(part: Message, source: _Source, depth: int) -> None:
    source.parts += 1
    if depth > _MAX_DEPTH or source.parts > _MAX_PARTS:
        return
    ctype = part.get_content_type()
    if ctype in _ORIGINAL_TYPES:
        return
    if ctype in _DSN_TYPES:
        source.sections.append(_Section("dsn", _dsn_text(part)))
        return
    if part.is_multipart():
        children = [c for c in part.get_payload() if isinstance(c, Message)]
        if ctype == "multipart/alternative":
            plain = [c for c in children if c.get_content_type() == "text/plain"]
            children = plain[:1] or children[:1]
        for child in children:
            _walk(child, source, depth + 1)
        return
    maintype = part.get_content_maintype()
    if maintype not in ("text", "multipart"):  # images, attachments
        return
    try:
        text = _newlines(_payload_text(part))
    except Exception:  # one broken part must not hide the others
        source.warnings.append(f"could not decode a {ctype} part")
        return
    if ctype == "text/html" or (ctype != "text/plain" and _HTML_HINT.search(text)):
        text = _html_to_text(text)
    text = _cut_original(text)
    if text.strip():
        source.sections.append(_Section("notice", text))


def _payload_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        try:
            charset = part.get_content_charset()
        except Exception:
            charset = None
        return _decode_bytes(payload, charset)
    raw = part.get_payload()
    return _clean(raw) if isinstance(raw, str) else ""


def _dsn_text(part: Message) -> str:
    """The DSN fields as text (the email package parses them as header blocks)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        blocks = []
        for block in payload:
            if isinstance(block, Message):
                lines = [f"{k}: {_clean(v)}" for k, v in block.items()]
                blocks.append("\n".join(lines))
        return _newlines("\n\n".join(blocks))
    return _newlines(_payload_text(part))


# --------------------------------------------------------------------------
# Normalised text that remembers where each character came from
# --------------------------------------------------------------------------


class _Mapped:
    """A string plus, for each character, its offset in the original text."""

    __slots__ = ("pos", "text")

    def __init__(self, text: str, pos: array[int] | None = None) -> None:
        self.text = text
        self.pos: array[int] = pos if pos is not None else array("q", range(len(text)))

    def edit(self, edits: Iterable[tuple[int, int, str]]) -> _Mapped:
        """Apply sorted, non-overlapping (start, end, replacement) edits."""
        parts: list[str] = []
        pos: array[int] = array("q")
        last = 0
        for start, end, new in edits:
            parts.append(self.text[last:start])
            pos.extend(self.pos[last:start])
            parts.append(new)
            anchor = self.pos[start] if start < len(self.pos) else len(self.pos)
            pos.extend([anchor] * len(new))
            last = end
        parts.append(self.text[last:])
        pos.extend(self.pos[last:])
        return _Mapped("".join(parts), pos)

    def sub(self, regex: re.Pattern[str], new: str) -> _Mapped:
        return self.edit((m.start(), m.end(), new) for m in regex.finditer(self.text))

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.pos[start], self.pos[end - 1] + 1


# A wrapped line: Postfix indents continuation lines, DSN fields fold (RFC 5322).
_FOLD = re.compile(r"(?<=\S)[ \t]*\n[ \t]+(?=\S)")
# The first line of a multi-line SMTP reply: "550-5.7.1 ..." (RFC 5321 §4.2.1).
_MULTI_START = re.compile(
    r"(?<![\w.:/=#+-])([45][0-5]\d)-(?:([245]\.\d{1,3}\.\d{1,3})[ \t]+)?"
)
# A URL broken by a continuation marker, left as "https: //host".
_URL_GAP = re.compile(r"(?i)(?:(?<=\bhttps:)|(?<=\bhttp:))[ \t]+(?=//)")


def _unfold(mapped: _Mapped) -> _Mapped:
    mapped = mapped.sub(_FOLD, " ")
    edits: list[tuple[int, int, str]] = []
    text = mapped.text
    search_from = 0
    for start in _MULTI_START.finditer(text):
        if start.start() < search_from:
            continue
        code, enh = start.group(1), start.group(2)
        marker = re.compile(
            r"(?:[ \t]*\n[ \t]*(?:<<<[ \t]*)?|[ \t]+)"
            + code
            + r"([ -])"
            + (r"(?:" + re.escape(enh) + r"(?:[ \t]+|$))?" if enh else "")
        )
        at = start.end()
        for _ in range(60):
            found = marker.search(text, at, min(len(text), at + 4000))
            if found is None or "\n\n" in text[at : found.start()]:
                break
            edits.append((found.start(), found.end(), " "))
            at = found.end()
            if found.group(1) == " ":
                break
        search_from = at
    mapped = mapped.edit(edits)
    return mapped.sub(_URL_GAP, "")


# --------------------------------------------------------------------------
# SMTP replies
# --------------------------------------------------------------------------

_REPLY = re.compile(
    r"(?:(?<=[\s:;(>\['\"])|(?<=\s#)|(?<=^#)|^)"
    r"([45][0-5]\d)(?:[ -]\1)?"
    r"(?:[ -]#?([245]\.\d{1,3}\.\d{1,3}))?"
    r"(?=[ \t-]|$)",
    re.M,
)
_STANDALONE_ENH = re.compile(r"^[ \t]*([245]\.\d{1,3}\.\d{1,3})[ \t]+\S", re.M)
# A following line that starts something else, not the reply's continuation.
_NEW_ITEM = re.compile(
    r"[ \t]*(?:<<<|>>>|\.\.\.|---|===|\*\*|\(|[45]\d\d[ -]|[245]\.\d+\.\d+\s"
    r"|Giving up|I'm not going|[\w-]{2,40}:[ \t]|<[^>\s]+>:|\S+@\S+)",
    re.I,
)


@dataclass
class _Reply:
    code: int
    code_span: tuple[int, int]
    enh: str | None
    enh_span: tuple[int, int] | None
    start: int  # the reply in the normalised text, from its code...
    end: int  # ...to the end of its (unfolded) line and continuation lines
    text: str


def _replies(text: str) -> list[_Reply]:
    found: list[_Reply] = []
    for match in _REPLY.finditer(text):
        if found and match.start() < found[-1].end and found[-1].start == match.start():
            continue
        end = text.find("\n", match.end())
        end = len(text) if end < 0 else end
        for _ in range(5):  # unindented continuation lines of a pasted reply
            nxt = text.find("\n", end + 1)
            line = text[end + 1 : len(text) if nxt < 0 else nxt]
            if end >= len(text) or not line.strip() or _NEW_ITEM.match(line):
                break
            end = len(text) if nxt < 0 else nxt
        end = min(end, match.start() + _MAX_REPLY_CHARS)
        enh = match.group(2)
        found.append(
            _Reply(
                code=int(match.group(1)),
                code_span=match.span(1),
                enh=enh,
                enh_span=match.span(2) if enh else None,
                start=match.start(),
                end=end,
                text=text[match.start() : end],
            )
        )
        if len(found) >= _MAX_REPLIES:
            break
    return found


# --------------------------------------------------------------------------
# Classification: what a mail administrator reads as a list or a reputation hit
# --------------------------------------------------------------------------

_I = re.IGNORECASE

# Zone-shaped names (RFC 1035 labels, a letter TLD).
_ZONE = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,10}[a-z]{2,24}(?![\w-]|\.\w)"

# Phrases that mean "a list refused you" (facts §5.3, sisimai Reason::Blocked).
_BLOCKLIST_PHRASES = [
    re.compile(p, _I)
    for p in (
        r"\bblocked\s*-\s*see\s*:?\s*https?://",
        r"\bbanned\s+sending\s+ip\b",
        r"\bbanned\s+sender\b",
        r"\bpart\s+of\s+their\s+network\s+is\s+on\s+our\s+block\s*list",
        r"\bon\s+(?:our|a|the|their|its|any)\s+(?:[\w.-]+\s+){0,2}"
        r"(?:block|black|deny|ban)\s*-?\s*list",
        r"\bconnections\s+(?:will\s+)?not\s+(?:be\s+)?accepted\s+from\s+ip\s+"
        r"addresses\s+on\s+spamhaus",
        r"\b(?:block|black|deny)\s*-?\s*listed\b",
        r"\b(?:spam|block|black|deny|ban)\s*-?\s*list\b",
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
    _I,
)
# Phrases that mean "your IP's or domain's reputation, volume or complaints".
_REPUTATION_PHRASES = [
    re.compile(p, _I)
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
    _I,
)
# The receiver's own DNSBL queries are refused: not a listing (facts §1.7).
_NOT_A_LISTING = re.compile(r"uribl\.com/refused|spamhaus\.org/returnc/", _I)

# Provider codes. Outlook.com/Hotmail (facts §5.2): S3150/S3140/SC-001/OU-002 are
# its block list; S3113/S3114/SC-004 are reputation or complaint throttling.
_MS_CODE = re.compile(r"\b(A?S3\d{3}|SC-00\d|OU-00\d|DY-00\d)\b")
_MS_BLOCKLIST = frozenset({"S3150", "S3140", "AS3150", "AS3140", "SC-001", "OU-002"})
_MS_REPUTATION = frozenset({"S3113", "S3114", "SC-004"})
_MS_CONTEXT = re.compile(
    r"outlook|hotmail|live\.com|microsoft|office\.com|msn\.com|weren't\s+sent", _I
)
# Yahoo/AOL: [TSS04] volume or complaints; [BL21]/[BL23] the IP is on Spamhaus.
_YAHOO_CODE = re.compile(r"\[(TSS?\d\d|BL2\d)\]")
_COMCAST_CODE = re.compile(r"\b((?:BL|RL)\d{6})\b")
_COX_CODE = re.compile(r"\bAUP#([A-Z0-9]+)\b")


@dataclass
class _Finding:
    category: str
    evidence: tuple[int, int]  # in the reply's text


@dataclass(frozen=True)
class _Context:
    """What the whole bounce says about who rejected it (read once)."""

    microsoft: bool = False
    cox: bool = False

    @classmethod
    def of(cls, text: str) -> _Context:
        return cls(
            microsoft=bool(_MS_CONTEXT.search(text)),
            cox=bool(re.search(r"\bcox\.(?:com|net)\b", text, _I)),
        )


def _classify(text: str, context: _Context) -> _Finding | None:
    """Blocklist or reputation, from one reply (or line); None if neither."""
    code = _provider_code(text, context)
    if code is not None:
        _, category, span = code
        if category:
            return _Finding(category, span)
    for regex in _BLOCKLIST_PHRASES:
        for match in regex.finditer(text):
            if not _hedged(text, match.start()):
                return _Finding(BLOCKLIST, match.span())
    name = _named_list(text)
    if name is not None:
        return _Finding(BLOCKLIST, name[1])
    url = _BLOCKLIST_URLS.search(text)
    if url:
        return _Finding(BLOCKLIST, url.span())
    for regex in _REPUTATION_PHRASES:
        hit = regex.search(text)
        if hit:
            return _Finding(REPUTATION, hit.span())
    return None


def _hedged(text: str, at: int) -> bool:
    clause = re.split(r"[.;:!?()\n]", text[max(0, at - 60) : at])[-1]
    return bool(_HEDGE.search(clause))


def _provider_code(
    text: str, context: _Context
) -> tuple[str | None, str | None, tuple[int, int]] | None:
    """A provider's own list or reputation code: (label, category, span)."""
    reply = _REPLY.search(text)
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
    if comcast and re.search(r"comcast", text, _I):
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
    (re.compile(pattern, _I), label)
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
    _I,
)
_ZONE_AT = re.compile(_ZONE, _I)
_ZONE_THEN_LISTED = re.compile(r"(?<![\w.@-])(" + _ZONE + r")\s+listed\b", _I)
# "192.0.2.1 blocked by <list>" (an Exim ACL naming its own list).
_BLOCKED_BY = re.compile(r"(?<=\S)\s+blocked\s+by\s+(\S*[^\s;,.:])", _I)
_NAMED_DNSBL = re.compile(
    r"\bblocked\s+by\s+((?:[A-Z0-9][\w.-]*\s+){1,3}(?:DNSBL|RBL|DNSRBL)\b)", _I
)
_URIBL_COLOUR = re.compile(r"\bin\s+\[(black|gr[ae]y|red|gold)\]", _I)


def _named_list(text: str) -> tuple[str, tuple[int, int]] | None:
    """The list a rejection names: a zone, or a service's zone or short name."""
    colour = _URIBL_COLOUR.search(text)
    if colour and re.search(r"uribl\.com", text, _I):
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
        if ip and _ip_value(ip.group(1)):
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
    _I,
)


def _list_label(text: str, context: _Context) -> tuple[str, tuple[int, int]] | None:
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


# --------------------------------------------------------------------------
# IPs, URLs, addresses
# --------------------------------------------------------------------------

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


# --------------------------------------------------------------------------
# Putting it together
# --------------------------------------------------------------------------


def _parse(data: bytes | str) -> BounceReport:
    source = _read_source(data)
    text = "\n\n".join(s.text.strip("\n") for s in source.sections)
    ranges: list[tuple[int, int, str]] = []
    at = 0
    for section in source.sections:
        length = len(section.text.strip("\n"))
        ranges.append((at, at + length, section.kind))
        at += length + 2
    return _Reader(text, ranges, source).report()


class _Reader:
    """One pass over the normalised text of one bounce."""

    def __init__(
        self, text: str, ranges: list[tuple[int, int, str]], src: _Source
    ) -> None:
        self.text = text
        self.ranges = ranges
        self.source = src
        self.norm = _unfold(_Mapped(text))
        self.context = _Context.of(self.norm.text)
        self.spans: list[tuple[int, int, str]] = []
        self.warnings: list[str] = list(src.warnings)

    def kind_at(self, norm_pos: int) -> str:
        original = self.norm.pos[norm_pos] if norm_pos < len(self.norm.pos) else 0
        for start, end, kind in self.ranges:
            if start <= original < end:
                return kind
        return "notice"

    def mark(self, start: int, end: int, name: str) -> None:
        if 0 <= start < end <= len(self.norm.text):
            a, b = self.norm.span(start, end)
            self.spans.append((a, b, name))

    def report(self) -> BounceReport:
        norm = self.norm.text
        replies = _replies(norm)
        findings = [_classify(reply.text, self.context) for reply in replies]
        category = OTHER
        chosen: _Reply | None = None
        # The text the list, IP and URL are read from: the rejection first.
        units: list[tuple[int, str]] = []
        signal: tuple[int, int] | None = None  # the evidence, in the normalised text
        for reply, finding in zip(replies, findings, strict=True):
            if finding is None:
                continue
            if chosen is None:
                category, chosen = finding.category, reply
                signal = (
                    reply.start + finding.evidence[0],
                    reply.start + finding.evidence[1],
                )
            units.append((reply.start, reply.text))
        if chosen is None:  # a bounce that quotes no SMTP reply ("... blacklisted")
            offset = 0
            for line in norm.split("\n", _MAX_LINES)[:_MAX_LINES]:
                finding = _classify(line[: 2 * _MAX_REPLY_CHARS], self.context)
                if finding is not None:
                    category = finding.category
                    a, b = finding.evidence
                    signal = (offset + a, offset + b)
                    units = [(offset, line[: 2 * _MAX_REPLY_CHARS])]
                    break
                offset += len(line) + 1
        main = chosen or (replies[0] if replies else None)
        smtp_code, enhanced = self.codes(main, replies)

        blocked_ip = blocklist = lookup_url = None
        if category != OTHER and any(_NOT_A_LISTING.search(t) for _, t in units):
            self.warnings.append(
                "The receiver's own DNSBL queries are refused (uribl.com/refused, "
                "spamhaus.org/returnc): this is not a listing of the sending IP."
            )
            category = OTHER
        elif category != OTHER:
            if signal is not None:
                self.mark(*signal, "category")
            blocklist = self.list_name(units)
            lookup_url = self.lookup_url(units)
            blocked_ip = self.blocked_ip(units, blocklist)
        recipient = self.recipient(chosen)

        if smtp_code is None and enhanced is None:
            self.warnings.append("No SMTP reply code was found in the bounce.")
        elif (smtp_code and smtp_code < 500) or (enhanced or "").startswith("4."):
            self.warnings.append(
                "A temporary (4xx) refusal: the sending server retries for a while."
            )
        if re.search(r"^Action:\s*delayed", norm, re.M | _I):
            self.warnings.append("A delay notice: the message is still queued.")
        return BounceReport(
            category=category,
            smtp_code=smtp_code,
            enhanced_code=enhanced,
            blocked_ip=blocked_ip,
            blocklist=blocklist,
            lookup_url=lookup_url,
            recipient=recipient,
            text=self.text,
            spans=tuple(sorted(set(self.spans))),
            warnings=tuple(dict.fromkeys(self.warnings)),
        )

    def codes(
        self, main: _Reply | None, replies: list[_Reply]
    ) -> tuple[int | None, str | None]:
        if main is None:
            for match in _STANDALONE_ENH.finditer(self.norm.text):
                if self.kind_at(match.start(1)) == "notice":
                    self.mark(*match.span(1), "enhanced_code")
                    return None, match.group(1)
            return None, None
        self.mark(*main.code_span, "smtp_code")
        if main.enh and main.enh_span:
            self.mark(*main.enh_span, "enhanced_code")
            return main.code, main.enh
        # Sendmail's "(reason: 550 Host unknown)" repeats its transcript line
        # "550 5.1.2 <a@b>... Host unknown" without the enhanced code.
        words = main.text.split(None, 1)
        gist = words[1].strip(" -)").lower() if len(words) > 1 else ""
        for other in replies:
            if (
                other is not main
                and other.code == main.code
                and other.enh
                and other.enh_span
                and gist
                and gist in other.text.lower()
            ):
                self.mark(*other.enh_span, "enhanced_code")
                return main.code, other.enh
        return main.code, None

    def list_name(self, units: list[tuple[int, str]]) -> str | None:
        for start, text in units:
            label = _list_label(text, self.context)
            if label is not None:
                name, (a, b) = label
                self.mark(start + a, start + b, "blocklist")
                return name
        return None

    def lookup_url(self, units: list[tuple[int, str]]) -> str | None:
        """The lookup or delisting page; a help page only when it is the only URL."""
        found: list[tuple[int, int, str, int, int]] = []
        for start, text in units:
            for url, a, b in _urls(text):
                delist = "fwlink" not in url.lower() and _URL_DELIST.search(url)
                rank = 0 if delist else 1
                found.append((rank, len(found), url, start + a, start + b))
        if not found:
            return None
        _, _, url, a, b = min(found)
        self.mark(a, b, "lookup_url")
        return url

    def blocked_ip(
        self, units: list[tuple[int, str]], blocklist: str | None
    ) -> str | None:
        # A domain or URI list (URIBL, SURBL, Spamhaus DBL, "MailFrom domain is
        # listed") lists a domain: the IPs in the text are not what is listed.
        if (units and _DOMAIN_LISTING.search(units[0][1])) or (
            blocklist and _DOMAIN_LIST_NAME.search(blocklist)
        ):
            self.warnings.append(
                "The list names a domain, not the sending IP; no IP is reported."
            )
            return None
        mx = {v for m in _MX_IP.finditer(self.norm.text) for v in m.groups() if v}
        excluded = {ip for ip in (_ip_value(v) for v in mx) if ip}
        for start, text in units:
            hit = _blocked_ip(text, excluded)
            if hit is not None:
                value, a, b = hit
                self.mark(start + a, start + b, "blocked_ip")
                return value
        return None

    def recipient(self, chosen: _Reply | None) -> str | None:
        """The DSN Final-Recipient (of the rejection's block), unless the notice
        names a different address and never this one: then the notice, which is
        what the sender saw. Else the notice's address, X-Failed-Recipients,
        Original-Recipient."""
        norm = self.norm.text
        finals: list[tuple[int, str, int]] = []  # (field position, address, at)
        originals: list[tuple[str, int]] = []
        for match in _DSN_FIELD.finditer(norm):
            found = _address_in(match.group(2))
            if found is None:
                continue
            name = match.group(1).lower()
            if name == "final-recipient":
                finals.append((match.start(), found[0], match.start(2) + found[1]))
            elif name == "original-recipient":
                originals.append((found[0], match.start(2) + found[1]))
        final: tuple[str, int] | None = None
        if finals:
            pick = finals[0]
            if chosen is not None and len(finals) > 1:
                for index, (position, address, at) in enumerate(finals):
                    nxt = finals[index + 1][0] if index + 1 < len(finals) else len(norm)
                    if position <= chosen.start < nxt:
                        pick = (position, address, at)
            final = (pick[1], pick[2])
        notice = self.notice_address()
        if final is not None:
            mentioned = any(
                final[0].lower() in norm[start:end].lower()
                for start, end in self.notice_ranges()
            )
            if notice is None or mentioned:
                return self.found(*final)
            self.warnings.append(
                f"The DSN names {final[0]} but the notice names {notice[0]}; "
                "the notice's address is reported."
            )
            return self.found(*notice)
        if notice is not None:
            return self.found(*notice)
        if self.source.failed_header:
            return self.source.failed_header
        if originals:
            return self.found(*originals[0])
        return None

    def found(self, address: str, at: int) -> str:
        self.mark(at, at + len(address), "recipient")
        return address

    def notice_ranges(self) -> list[tuple[int, int]]:
        """The human-readable sections, in normalised-text offsets."""
        out: list[tuple[int, int]] = []
        pos = self.norm.pos
        for start, end, kind in self.ranges:
            if kind != "notice":
                continue
            a = bisect_left(pos, start)
            b = bisect_left(pos, end)
            out.append((a, b))
        return out

    def notice_address(self) -> tuple[str, int] | None:
        """The first address the notice gives that is not the bounce's own."""
        norm = self.norm.text
        own = self.source.own_addresses
        for start, end in self.notice_ranges():
            for match in _EMAIL.finditer(norm, start, end):
                address = match.group(1).strip(".")
                lead = norm[max(0, match.start() - 25) : match.start()]
                if (
                    address.lower() in own
                    or _SERVICE_LOCAL.match(address)
                    or _SENDER_LEAD.search(lead)
                ):
                    continue
                return address, match.start(1)
        return None
