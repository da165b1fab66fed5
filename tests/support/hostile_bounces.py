"""Hostile bounces at the 1 MiB limit: inputs that made the parser rescan.

Each builder returns bytes of at most `MAX_BYTES`. They aim at the patterns a
non-linear parser would rescan from every opener or every near-match: unclosed
HTML comments and elements, runs of reply continuation lines, IP-like digit
runs, long header lines, nested and numerous MIME parts, encoded bodies.
"""

from __future__ import annotations

import base64
import quopri
from collections.abc import Callable

from blcheck.cases.bounce import MAX_BYTES
from tests.support.bounces import mime_message

# A rejection that names a list, so that the IP, list and URL readers run too.
LISTED = "554 5.7.1 Client host [192.0.2.66] blocked using zen.spamhaus.org\n"


def _fill(unit: str, *, head: str = "", tail: str = "") -> bytes:
    """head + unit repeated + tail, as UTF-8, at most MAX_BYTES long."""
    room = MAX_BYTES - len(head.encode()) - len(tail.encode())
    count = room // len(unit.encode())
    return (head + unit * count + tail).encode()


def _message(body: bytes, content_type: str, encoding: str = "7bit") -> bytes:
    """A bounce message cut to the parser's limit."""
    return mime_message(body, content_type, encoding)[:MAX_BYTES]


def _html_message(markup_unit: str) -> bytes:
    body = _fill(markup_unit, head="<html><body><p>" + LISTED + "</p>", tail="")
    return _message(body[: MAX_BYTES - 400], "text/html; charset=utf-8")


def _nested(depth: int, unit_parts: int) -> bytes:
    """multipart inside multipart `depth` deep, each with `unit_parts` parts."""
    head = (
        "From: MAILER-DAEMON@mx.example.com\r\nTo: a@example.com\r\n"
        "Subject: Undelivered\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n'
    )
    parts = [head]
    for level in range(depth):
        for _ in range(unit_parts):
            parts.append(f"--b{level}\r\nContent-Type: text/plain\r\n\r\n{LISTED}")
        parts.append(
            f"--b{level}\r\n"
            f'Content-Type: multipart/mixed; boundary="b{level + 1}"\r\n\r\n'
        )
    data = "".join(parts).encode()
    if len(data) > MAX_BYTES:
        data = data[:MAX_BYTES]
    return data


def _many_parts() -> bytes:
    head = (
        "From: MAILER-DAEMON@mx.example.com\r\nTo: a@example.com\r\n"
        "Subject: Undelivered\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; boundary="B"\r\n\r\n'
    )
    part = "--B\r\nContent-Type: text/plain\r\n\r\n" + LISTED
    return _fill(part, head=head, tail="--B--\r\n")


def _long_headers() -> bytes:
    head = "From: MAILER-DAEMON@mx.example.com\r\nTo: a@example.com\r\n"
    line = "X-Filler: " + "a" * 998 + "\r\n"
    many = "X-Many: " + "b " * 20 + "\r\n"
    top = _fill(line, head=head)[: MAX_BYTES // 2].decode()
    top = top[: top.rfind("\r\n") + 2]
    rest = _fill(many, head=top, tail="\r\n" + LISTED)
    return rest


def _long_address_header() -> bytes:
    head = "From: MAILER-DAEMON@mx.example.com\r\nTo: "
    return _fill("a@example.com, ", head=head, tail="\r\nSubject: x\r\n\r\n" + LISTED)


def _base64_html() -> bytes:
    raw = _fill("<!--<script><br>", head=LISTED)[: (MAX_BYTES - 600) * 3 // 4 - 100]
    body = base64.encodebytes(raw)
    return _message(body, "text/html; charset=utf-8", "base64")


def _quoted_printable() -> bytes:
    raw = _fill("550-5.7.1 blocked =\n", head=LISTED)[: (MAX_BYTES - 600) // 2]
    return _message(quopri.encodestring(raw), "text/plain", "quoted-printable")


# name -> builder. Every one returns at most MAX_BYTES bytes.
HOSTILE: dict[str, Callable[[], bytes]] = {
    "unclosed comments": lambda: _fill("<!--", head="<br>"),
    "br then comment openers": lambda: _fill("<br><!--"),
    "unclosed scripts": lambda: _fill("<script>", head="<br>"),
    "unclosed styles": lambda: _fill("<style>", head="<p>"),
    "unclosed titles and heads": lambda: _fill("<title><head>", head="<div>"),
    "unclosed tags": lambda: _fill("<a href=x ", head="<br>"),
    "tag names without end": lambda: _fill("<" + "a" * 100, head="<br>"),
    "script closers without opener": lambda: _fill("</script ", head="<br>"),
    "reply continuation lines": lambda: _fill("550-5.7.1 "),
    "continuation lines, one per line": lambda: _fill("550-5.7.1 blocked\n"),
    "continuations with distinct codes": lambda: _fill(
        "".join(f"{c}-5.{c % 8}.{c % 999} " for c in range(400, 560))
    ),
    "continuation then blank run": lambda: _fill(
        "550-5.7.1 x" + " " * 3000 + "551-5.7.2 y" + "\t" * 3000
    ),
    "reply codes": lambda: _fill("550 "),
    "reply codes before long lines": lambda: _fill(
        "a" * 200_000 + "\n", head="550 " * 300 + "\n"
    ),
    "ip-like digit runs": lambda: _fill("1.", head=LISTED),
    "ip-like dotted quads": lambda: _fill("1.2.3.4.", head=LISTED),
    "ipv6-like runs": lambda: _fill("a:", head=LISTED),
    "remote-mta without bracket": lambda: _fill("remote-mta:", head=LISTED),
    "host without bracket": lambda: _fill("host a", head=LISTED),
    "listed phrases then blanks": lambda: _fill(
        "block" + " " * 4000 + "x\n", head=LISTED
    ),
    "see then blanks": lambda: _fill("blocked - see" + " " * 4000 + "x\n"),
    "on our block then blanks": lambda: _fill("on our block" + " " * 4000 + "x\n"),
    "sender leads": lambda: _fill("from" + " " * 21 + "a@example.net\n", head=LISTED),
    "urls without end": lambda: _fill("http://", head=LISTED),
    "addresses without domain": lambda: _fill("a@", head=LISTED),
    "zone-like labels": lambda: _fill("a." * 10 + "b ", head=LISTED),
    "one long line": lambda: _fill("x", head=LISTED),
    "blank run": lambda: _fill(" ", head=LISTED),
    "newlines": lambda: _fill("\n", head=LISTED),
    "indented continuation lines": lambda: _fill("x\n ", head=LISTED),
    "long header lines": _long_headers,
    "long address header": _long_address_header,
    "nested multipart to the depth limit": lambda: _nested(12, 2),
    "nested multipart past the depth limit": lambda: _nested(5000, 1),
    "many parts": _many_parts,
    "html part of 1 MiB": lambda: _html_message("<p>blocked <b>x</b><!-- c -->"),
    "html part with unclosed openers": lambda: _html_message("<!--<script><style>"),
    "base64 html part": _base64_html,
    "quoted-printable part": _quoted_printable,
}
