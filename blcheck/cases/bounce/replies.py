"""SMTP replies: unfolding continuation lines, finding each reply and its codes."""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

from blcheck.cases.bounce.report import MAX_REPLIES, MAX_REPLY_CHARS

# --------------------------------------------------------------------------
# Normalised text that remembers where each character came from
# --------------------------------------------------------------------------


class Mapped:
    """A string plus, for each character, its offset in the original text."""

    __slots__ = ("pos", "text")

    def __init__(self, text: str, pos: array[int] | None = None) -> None:
        self.text = text
        self.pos: array[int] = pos if pos is not None else array("q", range(len(text)))

    def edit(self, edits: Iterable[tuple[int, int, str]]) -> Mapped:
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
        return Mapped("".join(parts), pos)

    def sub(self, regex: re.Pattern[str], new: str) -> Mapped:
        return self.edit((m.start(), m.end(), new) for m in regex.finditer(self.text))

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Where text[start:end] stands in the original text."""
        return self.pos[start], self.pos[end - 1] + 1


# A wrapped line: Postfix indents continuation lines, DSN fields fold (RFC 5322).
_FOLD = re.compile(r"(?<=\S)[ \t]*\n[ \t]+(?=\S)")
# The first line of a multi-line SMTP reply: "550-5.7.1 ..." (RFC 5321 §4.2.1).
_MULTI_START = re.compile(
    r"(?<![\w.:/=#+-])([45][0-5]\d)-(?:([245]\.\d{1,3}\.\d{1,3})[ \t]+)?"
)
# A URL broken by a continuation marker, left as "https: //host".
_URL_GAP = re.compile(r"(?i)(?:(?<=\bhttps:)|(?<=\bhttp:))[ \t]+(?=//)")
_MARKERS: dict[str, re.Pattern[str]] = {}


def _marker(code: str) -> re.Pattern[str]:
    """Where a reply with this code goes on: a line break (or blanks), then the
    code again (group 1 the separator, group 2 an enhanced code after it).

    One pattern per reply code, so at most 120 are compiled. A try starts only
    where a run of blanks starts: a try from inside the run would read the
    rest of it again, once per blank, and can only match where the try from
    the run's start matches too. The runs are taken whole (possessive), as
    nothing after them can be a blank.
    """
    marker = _MARKERS.get(code)
    if marker is None:
        marker = _MARKERS[code] = re.compile(
            r"(?<![ \t])(?:[ \t]*+\n[ \t]*+(?:<<<[ \t]*+)?|[ \t]++)"
            + code
            + r"([ -])(?:([245]\.\d{1,3}\.\d{1,3})(?:[ \t]+|$))?"
        )
    return marker


def unfold(mapped: Mapped) -> Mapped:
    """Wrapped lines and multi-line SMTP replies, each joined into one line."""
    mapped = mapped.sub(_FOLD, " ")
    edits: list[tuple[int, int, str]] = []
    text = mapped.text
    search_from = 0
    for start in _MULTI_START.finditer(text):
        if start.start() < search_from:
            continue
        code, enh = start.group(1), start.group(2)
        marker = _marker(code)
        at = start.end()  # never just after a blank: the code's run is taken
        for _ in range(60):
            found = marker.search(text, at, min(len(text), at + 4000))
            if found is None or "\n\n" in text[at : found.start()]:
                break
            # The marker takes the same enhanced code, with its blanks, only.
            end = found.end() if enh and found.group(2) == enh else found.end(1)
            edits.append((found.start(), end, " "))
            at = end
            if found.group(1) == " ":
                break
        search_from = at
    mapped = mapped.edit(edits)
    return mapped.sub(_URL_GAP, "")


# --------------------------------------------------------------------------
# SMTP replies
# --------------------------------------------------------------------------

# A 4xx/5xx reply code and, when given, its enhanced status code: "550 5.7.1",
# "550-5.7.1", "550 #5.7.1". Group 1 is the code, group 2 the enhanced code.
REPLY_CODE = re.compile(
    r"(?:(?<=[\s:;(>\['\"])|(?<=\s#)|(?<=^#)|^)"
    r"([45][0-5]\d)(?:[ -]\1)?"
    r"(?:[ -]#?([245]\.\d{1,3}\.\d{1,3}))?"
    r"(?=[ \t-]|$)",
    re.M,
)
# A line that opens with an enhanced status code and no reply code.
STANDALONE_ENHANCED_CODE = re.compile(r"^[ \t]*([245]\.\d{1,3}\.\d{1,3})[ \t]+\S", re.M)
# A following line that starts something else, not the reply's continuation.
_NEW_ITEM = re.compile(
    r"[ \t]*(?:<<<|>>>|\.\.\.|---|===|\*\*|\(|[45]\d\d[ -]|[245]\.\d+\.\d+\s"
    r"|Giving up|I'm not going|[\w-]{2,40}:[ \t]|<[^>\s]+>:|\S+@\S+)",
    re.I,
)


@dataclass
class Reply:
    """One 4xx/5xx reply, in offsets of the unfolded text."""

    code: int
    code_span: tuple[int, int]
    enh: str | None
    enh_span: tuple[int, int] | None
    start: int  # the reply in the normalised text, from its code...
    end: int  # ...to the end of its (unfolded) line and continuation lines
    text: str


def smtp_replies(text: str) -> list[Reply]:
    """The replies in unfolded text, in order, each with its continuation lines."""
    found: list[Reply] = []
    # Where a reply ends depends only on where its line ends: replies on one
    # line share the answer, so each following line is read once, not once
    # per reply code on the line before it.
    reply_ends: dict[int, int] = {}
    for match in REPLY_CODE.finditer(text):
        if found and match.start() < found[-1].end and found[-1].start == match.start():
            continue
        line_end = text.find("\n", match.end())
        line_end = len(text) if line_end < 0 else line_end
        end = reply_ends.get(line_end)
        if end is None:
            end = reply_ends[line_end] = _continued(text, line_end)
        end = min(end, match.start() + MAX_REPLY_CHARS)
        enh = match.group(2)
        found.append(
            Reply(
                code=int(match.group(1)),
                code_span=match.span(1),
                enh=enh,
                enh_span=match.span(2) if enh else None,
                start=match.start(),
                end=end,
                text=text[match.start() : end],
            )
        )
        if len(found) >= MAX_REPLIES:
            break
    return found


def _continued(text: str, end: int) -> int:
    """The end of a reply whose line ends at `end`: up to five unindented
    continuation lines of a pasted reply are part of it."""
    for _ in range(5):
        nxt = text.find("\n", end + 1)
        line = text[end + 1 : len(text) if nxt < 0 else nxt]
        if end >= len(text) or not line.strip() or _NEW_ITEM.match(line):
            break
        end = len(text) if nxt < 0 else nxt
    return end
