"""Bytes and MIME parts to text: charsets, HTML, the MIME walk, the original cut off."""

from __future__ import annotations

import html
import quopri
import re
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.utils import getaddresses

from blcheck.cases.bounce.report import MAX_DEPTH, MAX_PARTS

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


# The HTML is stripped with a few patterns, each run so that the work stays
# linear in the input (up to 1 MiB): a pattern that fails from an unclosed
# opener must not be tried again from every later opener, which would read the
# rest of the text each time. (html.parser is no way out: before Python 3.11.13
# it rescans unclosed comments and tags quadratically, CVE-2025-6069.)
#
# A tag: the name, then at most 4,000 characters without "<" or ">". Each try
# stops at the next "<", so the tries together read the text about once.
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^<>]{0,4000}>")
# An element whose content is not text, dropped with its content up to the
# first closing tag of the same name (the backreference is case-insensitive).
_DROP = re.compile(
    r"<(script|style|head|title)\b[^<>]{0,4000}>.*?</\1\s*>", re.IGNORECASE | re.S
)
_DROP_OPEN = re.compile(r"<(script|style|head|title)\b[^<>]{0,4000}>", re.I)
_BLOCK_TAGS = frozenset(
    {"br", "p", "div", "tr", "li", "hr", "h1", "h2", "h3", "h4", "h5", "h6"}
    | {"table", "pre", "blockquote", "ul", "ol", "dd", "dt"}
)


def _strip_comments(markup: str) -> str:
    """What `re.sub(r"<!--.*?-->", "", markup, flags=re.S)` gives, in one pass.

    The pattern fails from an unclosed "<!--" after reading to the end, and
    then from every later "<!--" again; here the first miss ends the search.
    """
    parts: list[str] = []
    at = 0
    while True:
        start = markup.find("<!--", at)
        if start < 0:
            break
        end = markup.find("-->", start + 4)
        if end < 0:  # no later "<!--" can be closed either
            break
        parts.append(markup[at:start])
        at = end + 3
    parts.append(markup[at:])
    return "".join(parts)


def _drop_elements(markup: str) -> str:
    """What `_DROP.sub("", markup)` gives, in linear time.

    `_DROP` fails from an opener with no closing tag after it only after
    reading to the end. Once it failed from an opener, it fails from every
    later opener of the same name (compared as the backreference compares,
    lower-cased), so those are skipped instead of read again.
    """
    parts: list[str] = []
    at = 0
    search_from = 0
    unclosed: set[str] = set()  # names with no closing tag after their opener
    while True:
        opener = _DROP_OPEN.search(markup, search_from)
        if opener is None:
            break
        name = opener.group(1).lower()
        element = None
        if name not in unclosed:
            element = _DROP.match(markup, opener.start())
            if element is None:
                unclosed.add(name)
        if element is None:
            search_from = opener.start() + 1
            continue
        parts.append(markup[at : element.start()])
        at = search_from = element.end()
    parts.append(markup[at:])
    return "".join(parts)


def _html_to_text(markup: str) -> str:
    markup = _strip_comments(markup)
    markup = _drop_elements(markup)

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
class Section:
    """One readable part of a bounce, as text."""

    kind: str  # "notice" (human-readable) or "dsn" (message/delivery-status)
    text: str


@dataclass
class Source:
    """What a bounce's MIME structure gives: its readable parts and headers."""

    sections: list[Section] = field(default_factory=list)
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


def read_source(data: bytes | str) -> Source:
    """A message (.eml, mbox) walked by MIME, or pasted text, as sections."""
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


def _read_pasted(data: bytes | str) -> Source:
    text = data if isinstance(data, str) else _decode_bytes(data)
    text = _newlines(text.lstrip("\ufeff"))
    text = _strip_mbox(text)
    # Pasted from a raw quoted-printable body: soft line breaks and =XX escapes.
    soft = len(re.findall(r"=\n", text))
    if soft >= 2 and re.search(r"=(?:3D|20|09|[89A-F][0-9A-F])", text):
        text = _decode_bytes(quopri.decodestring(text.encode("utf-8", "replace")))
    if _HTML_HINT.search(text):
        text = _html_to_text(text)
    return Source(sections=[Section("notice", _cut_original(text))])


def _read_message(msg: Message, depth: int = 0) -> Source:
    source = Source()
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


def _forwarded_bounce(msg: Message, source: Source) -> Message | None:
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


def _walk(part: Message, source: Source, depth: int) -> None:
    source.parts += 1
    if depth > MAX_DEPTH or source.parts > MAX_PARTS:
        return
    ctype = part.get_content_type()
    if ctype in _ORIGINAL_TYPES:
        return
    if ctype in _DSN_TYPES:
        source.sections.append(Section("dsn", _dsn_text(part)))
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
        source.sections.append(Section("notice", text))


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
