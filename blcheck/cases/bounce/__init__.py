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

The package, by concern: `report` (the BounceReport, its limits), `mime`
(bytes and MIME parts to text), `replies` (unfolding, SMTP replies), `lists`
(classification, naming the list), `fields` (IPs, URLs, addresses) and
`reader` (one pass that puts them together).
"""

from __future__ import annotations

from blcheck.cases.bounce.reader import read_bounce
from blcheck.cases.bounce.report import (
    BLOCKLIST,
    MAX_BYTES,
    OTHER,
    REPUTATION,
    BounceReport,
    BounceTooLarge,
)

__all__ = [
    "BLOCKLIST",
    "MAX_BYTES",
    "OTHER",
    "REPUTATION",
    "BounceReport",
    "BounceTooLarge",
    "parse_bounce",
]


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
        return read_bounce(data)
    except Exception as exc:  # the contract: garbage in, "other" out
        return _empty(f"could not read the bounce ({type(exc).__name__})")


def _size(data: bytes | str) -> int:
    if isinstance(data, bytes):
        return len(data)
    return len(data.encode("utf-8", "surrogatepass"))


def _empty(warning: str) -> BounceReport:
    return BounceReport(OTHER, None, None, None, None, None, None, warnings=(warning,))
