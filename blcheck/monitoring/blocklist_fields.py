"""What IT staff type for a list's answer codes and confirmation numbers.

Codes are typed one per line, "127.0.1.2 = spam domain", and stored as the
dicts Blocklist keeps ({"127.0.1.2": "spam domain"}); a confirmation-number
format is typed as an example ("BBR1234-5678") and stored as the pattern
cases check numbers against. Each stored value turns back into the same text,
so a list's settings round-trip through its form. Every refusal says, in the
user's language, what to type instead: never a Python or regex message.
"""

import ipaddress
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from blcheck.lookups.dnsbl import LOOPBACK_NET

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_CODES = 64
MAX_MEANING = 200
BITS = tuple(1 << n for n in range(8))  # the bits of an answer's last octet
# What an example confirmation number may be made of.
EXAMPLE = re.compile(r"[A-Za-z0-9._/:#-]{1,40}")
MAX_PATTERN = 100


def code_order(code: str) -> tuple[int, int, str]:
    if code.isascii() and code.isdigit():
        return (0, int(code), code)
    try:
        return (1, int(ipaddress.ip_address(code)), code)
    except ValueError:
        return (2, 0, code)


def sorted_codes(codes: Mapping[str, str]) -> list[tuple[str, str]]:
    """(code, meaning) pairs, bits and addresses in numeric order."""
    return [(code, codes[code]) for code in sorted(codes, key=code_order)]


def codes_text(codes: Mapping[str, str]) -> str:
    """Stored codes as the form shows them: one per line, "code = meaning"."""
    return "\n".join(
        f"{code} = {meaning}" if meaning else code
        for code, meaning in sorted_codes(codes)
    )


def _split(line: str) -> tuple[str, str]:
    """ "127.0.1.2 = spam domain", or "127.0.1.2 spam domain": code, meaning."""
    parts = line.split("=", 1) if "=" in line else line.split(None, 1)
    code, meaning = [*parts, ""][:2]
    return code.strip(), meaning.strip()


def _address_problem(code: str, *, listing: bool) -> str | None:
    try:
        address = ipaddress.IPv4Address(code)
    except ValueError:
        return gettext(
            "not an IPv4 address. Type an address inside 127.0.0.0/8, "
            "e.g. 127.0.1.2; for bit values, tick “codes are bit flags”."
        )
    if address not in LOOPBACK_NET:
        return gettext(
            "outside 127.0.0.0/8. Lists answer with 127.x.y.z addresses; "
            "any other answer means a hijacked or parked zone."
        )
    if listing and code == "127.0.0.1":
        return gettext(
            "127.0.0.1 is never a listing code: RFC 5782 keeps it for "
            "“not listed” test entries."
        )
    return None


def _bit_problem(code: str) -> str | None:
    if code.isascii() and code.isdigit() and len(code) <= 3 and int(code) in BITS:
        return None
    return gettext(
        "not a single bit. With bit flags, each code is one of 1, 2, 4, 8, "
        "16, 32, 64 or 128 (e.g. 2 = black, 4 = grey)."
    )


def _line(number: int, code: str, message: str) -> str:
    return gettext("Line %(line)s (%(code)s): %(message)s") % {
        "line": number,
        "code": code[:40],
        "message": message,
    }


def read_codes(text: str, *, bitmask: bool, listing: bool) -> dict[str, str]:
    """The codes typed, one per line (blank lines and # comments skipped), as
    Blocklist stores them; ValidationError naming every bad line."""
    lines = [
        (number, line.strip())
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.strip().startswith("#")
    ]
    if len(lines) > MAX_CODES:
        raise forms.ValidationError(
            gettext("At most %(count)s codes, one per line.") % {"count": MAX_CODES}
        )
    codes: dict[str, str] = {}
    problems: list[str] = []
    for number, line in lines:
        code, meaning = _split(line)
        problem = (
            _bit_problem(code) if bitmask else _address_problem(code, listing=listing)
        )
        if problem is None:
            code = str(int(code)) if bitmask else code
            if code in codes:
                problem = gettext("this code is given twice.")
            elif len(meaning) > MAX_MEANING:
                problem = gettext(
                    "the meaning is longer than %(limit)s characters."
                ) % {"limit": MAX_MEANING}
        if problem is not None:
            problems.append(_line(number, code, problem))
        else:
            codes[code] = meaning
    if problems:
        raise forms.ValidationError(problems)
    return codes


def codes_field(*, label: "StrOrPromise", help_text: "StrOrPromise") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=MAX_CODES * (MAX_MEANING + 20),
        help_text=help_text,
        widget=forms.Textarea(
            attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"}
        ),
    )


# --- Confirmation numbers ------------------------------------------------------


def pattern_from_example(example: str) -> str:
    """^BBR[0-9]+-[0-9]+$ from BBR1234-5678: each run of digits stands for
    any digits, the rest must match as typed. ValidationError when the
    example is not one a person would copy from a list's confirmation."""
    if not EXAMPLE.fullmatch(example):
        raise forms.ValidationError(
            gettext(
                "Type one confirmation number as an example, e.g. BBR1234-5678: "
                "letters, digits and - _ . / : # only, at most 40 characters."
            ),
            code="reference",
        )
    if not any(c.isdigit() for c in example):
        raise forms.ValidationError(
            gettext(
                "The example needs at least one digit: digits are what changes "
                "from one confirmation number to the next, e.g. BBR1234-5678."
            ),
            code="reference",
        )
    parts = re.findall(r"[0-9]+|[^0-9]+", example)
    # Of the characters allowed, only the dot means something in a pattern.
    body = "".join("[0-9]+" if p[0].isdigit() else p.replace(".", r"\.") for p in parts)
    pattern = f"^{body}$"
    if len(pattern) > MAX_PATTERN:
        raise forms.ValidationError(
            gettext(
                "This example has too many parts; use a shorter one, e.g. BBR1234-5678."
            ),
            code="reference",
        )
    return pattern


# One piece of a simple pattern: an escaped character, a class or a character,
# then an optional quantifier. Anything else (groups, alternatives, dots) is
# not turned into an example.
_PIECE = re.compile(
    r"(?:\\(?P<escaped>.)|\[(?P<klass>[^\]^\\]+)\]|(?P<char>[^\\\[\]().*+?{}|^$]))"
    r"(?P<quantifier>[+*?]|\{(?P<low>\d{1,2})(?P<comma>,(?P<high>\d{1,2})?)?\})?"
)
_SAMPLE_DIGITS = "1234567890"


def _members(klass: str) -> str:
    chars = ""
    for start, dash, end in re.findall(r"(.)(-)?(.)?", klass):
        if dash and end:
            chars += "".join(chr(c) for c in range(ord(start), ord(end) + 1))
        else:
            chars += start + dash + end
    digits = [c for c in _SAMPLE_DIGITS if c in chars]
    return "".join(digits) or chars


def _repeats(match: re.Match[str]) -> int:
    quantifier, low, high = match["quantifier"], match["low"], match["high"]
    if quantifier in (None, "?"):
        return 1
    if quantifier in ("+", "*"):
        return 4
    if match["comma"] is None:
        return int(low)
    return min(max(int(low), 4), int(high)) if high else max(int(low), 4)


def example_from_pattern(pattern: str) -> str | None:
    """A confirmation number the pattern accepts, for people to read
    (BBR1234 for ^BBR[0-9-]+$); None for a pattern too intricate to show so."""
    body = pattern.removeprefix("^").removesuffix("$")
    example, position = "", 0
    drawn: dict[str, int] = {}  # digits run on: BBR1234-5678, not BBR1234-1234
    while position < len(body):
        match = _PIECE.match(body, position)
        if match is None:
            return None
        if match["escaped"] == "d":
            members = _SAMPLE_DIGITS
        elif match["escaped"] is not None:
            if match["escaped"].isalnum():
                return None  # \w, \s and the like
            members = match["escaped"]
        else:
            members = _members(match["klass"]) if match["klass"] else match["char"]
        start, count = drawn.get(members, 0), _repeats(match)
        example += "".join(members[(start + i) % len(members)] for i in range(count))
        drawn[members] = start + count
        position = match.end()
    try:
        accepted = re.fullmatch(pattern.strip("^$"), example) is not None
    except re.error:
        return None
    return example if example and accepted else None


def pattern_shown(pattern: str) -> str:
    """What the form shows for a stored pattern: an example, else the pattern."""
    return (example_from_pattern(pattern) or pattern) if pattern else ""


# --- The form's fields ---------------------------------------------------------


class HttpURLField(forms.URLField):
    """A link people open from a case: https or http only, never javascript:."""

    def __init__(self, *, label: "StrOrPromise", help_text: "StrOrPromise") -> None:
        # Instead of URLField's own validator, which also allows ftp:.
        self.default_validators = [URLValidator(schemes=["http", "https"])]
        super().__init__(
            label=label,
            help_text=help_text,
            required=False,
            max_length=300,
            assume_scheme="https",
            error_messages={
                "invalid": _(
                    "Type an https or http link, e.g. https://www.example.org/removal; "
                    "other kinds of link are refused."
                )
            },
        )


def count_field(
    *,
    label: "StrOrPromise",
    help_text: "StrOrPromise",
    limit: int,
    too_many: "StrOrPromise",
) -> forms.IntegerField:
    """A number of hours or days: empty (not known), 0 up to a sane limit."""
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        required=False,
        min_value=0,
        max_value=limit,
        error_messages={
            "invalid": _("Type a whole number, e.g. 48."),
            "min_value": _("Type 0 or more."),
            "max_value": too_many,
        },
    )
