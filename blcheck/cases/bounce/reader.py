"""Putting it together: one pass over a bounce's text gives its BounceReport."""

from __future__ import annotations

import re
from bisect import bisect_left

from blcheck.cases.bounce.fields import (
    blocked_ip_in,
    dsn_recipients,
    is_lookup_page,
    mx_ips,
    recipient_in,
    urls_in,
)
from blcheck.cases.bounce.lists import (
    Context,
    classify,
    is_query_refusal,
    list_label,
    lists_a_domain,
)
from blcheck.cases.bounce.mime import Source, read_source
from blcheck.cases.bounce.replies import (
    STANDALONE_ENHANCED_CODE,
    Mapped,
    Reply,
    smtp_replies,
    unfold,
)
from blcheck.cases.bounce.report import (
    MAX_CLASSIFIED_CHARS,
    MAX_LINES,
    MAX_REPLY_CHARS,
    OTHER,
    BounceReport,
)

# --------------------------------------------------------------------------
# Putting it together
# --------------------------------------------------------------------------


def read_bounce(data: bytes | str) -> BounceReport:
    """The report on one bounce. Unguarded: `parse_bounce` caps the size and
    turns any exception into an "other" report."""
    source = read_source(data)
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
        self, text: str, ranges: list[tuple[int, int, str]], src: Source
    ) -> None:
        self.text = text
        self.ranges = ranges
        self.source = src
        self.norm = unfold(Mapped(text))
        self.context = Context.of(self.norm.text)
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
        replies = smtp_replies(norm)
        findings = []
        budget = MAX_CLASSIFIED_CHARS  # hostile input stays cheap; real bounces fit
        for reply in replies:
            findings.append(classify(reply.text, self.context) if budget > 0 else None)
            budget -= len(reply.text)
        category = OTHER
        chosen: Reply | None = None
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
            budget = MAX_CLASSIFIED_CHARS
            for line in norm.split("\n", MAX_LINES)[:MAX_LINES]:
                if budget <= 0:
                    break
                budget -= len(line[: 2 * MAX_REPLY_CHARS])
                finding = classify(line[: 2 * MAX_REPLY_CHARS], self.context)
                if finding is not None:
                    category = finding.category
                    a, b = finding.evidence
                    signal = (offset + a, offset + b)
                    units = [(offset, line[: 2 * MAX_REPLY_CHARS])]
                    break
                offset += len(line) + 1
        main = chosen or (replies[0] if replies else None)
        smtp_code, enhanced = self.codes(main, replies)

        blocked_ip = blocklist = lookup_url = None
        if category != OTHER and any(is_query_refusal(t) for _, t in units):
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
        if re.search(r"^Action:\s*delayed", norm, re.M | re.I):
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
        self, main: Reply | None, replies: list[Reply]
    ) -> tuple[int | None, str | None]:
        if main is None:
            for match in STANDALONE_ENHANCED_CODE.finditer(self.norm.text):
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
            label = list_label(text, self.context)
            if label is not None:
                name, (a, b) = label
                self.mark(start + a, start + b, "blocklist")
                return name
        return None

    def lookup_url(self, units: list[tuple[int, str]]) -> str | None:
        """The lookup or delisting page; a help page only when it is the only URL."""
        found: list[tuple[int, int, str, int, int]] = []
        for start, text in units:
            for url, a, b in urls_in(text):
                rank = 0 if is_lookup_page(url) else 1
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
        if lists_a_domain(units[0][1] if units else "", blocklist):
            self.warnings.append(
                "The list names a domain, not the sending IP; no IP is reported."
            )
            return None
        excluded = mx_ips(self.norm.text)
        for start, text in units:
            hit = blocked_ip_in(text, excluded)
            if hit is not None:
                value, a, b = hit
                self.mark(start + a, start + b, "blocked_ip")
                return value
        return None

    def recipient(self, chosen: Reply | None) -> str | None:
        """The DSN Final-Recipient (of the rejection's block), unless the notice
        names a different address and never this one: then the notice, which is
        what the sender saw. Else the notice's address, X-Failed-Recipients,
        Original-Recipient."""
        norm = self.norm.text
        finals, originals = dsn_recipients(norm)
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
        for start, end in self.notice_ranges():
            found = recipient_in(self.norm.text, start, end, self.source.own_addresses)
            if found is not None:
                return found
        return None
