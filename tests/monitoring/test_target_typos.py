"""Pure: typos never become targets, and what people paste (a URL, an e-mail
address, full-width text from a Japanese IME) is read as what they meant,
with a note. No database, no network."""

import pytest

from blcheck.monitoring.imports import bulk_rows, read_pasted
from blcheck.monitoring.targets import Kind, TargetError, parse_target


def wide(text):
    """The text as a Japanese IME types it in full-width mode."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def parse(text):
    return parse_target(text, max_range_size=1024)


def notes(parsed):
    return [str(w) for w in parsed.warnings]


@pytest.mark.parametrize(
    ("typo", "says"),
    [
        ("10.0.0.1x", "looks like an IP address but is not one"),
        ("10.0.o.1", "looks like an IP address but is not one"),
        ("192.168.1", "an address is four numbers from 0 to 255"),
        ("1.2.3.4.5", "looks like an IPv4 address but is not one"),
        ("10.0.0.256", "looks like an IPv4 address but is not one"),
        ("2001:db8::zz", "looks like an IP address but is not one"),
        ("2001:db8:::1", "looks like an IP address but is not one"),
        ("1.2.3.4/33", "is not a valid CIDR range"),
        ("example.123", "looks like an IP address"),
    ],
)
def test_what_looks_like_an_ip_address_is_never_a_domain(typo, says):
    with pytest.raises(TargetError, match=says) as caught:
        parse(typo)
    assert f"'{typo}'" in str(caught.value)


@pytest.mark.parametrize(
    ("typed", "value", "says"),
    [
        (
            "http://mail.example.jp/",
            "mail.example.jp",
            "http://mail.example.jp/ is a web address: watching its host "
            "mail.example.jp.",
        ),
        (
            "https://Mail.Example.JP:8443/login?x=1",
            "mail.example.jp",
            "is a web address",
        ),
        ("mail.example.jp/contact", "mail.example.jp", "is a web address"),
        (
            "postmaster@example.jp",
            "example.jp",
            "postmaster@example.jp is an e-mail address: watching its domain "
            "example.jp.",
        ),
        ("mailto:postmaster@example.jp?subject=hi", "example.jp", "e-mail address"),
        ("<postmaster@example.jp>", "example.jp", "e-mail address"),
        ("Taro Yamada <postmaster@example.jp>", "example.jp", "e-mail address"),
        (wide("POSTMASTER@EXAMPLE.JP"), "example.jp", "e-mail address"),
        (
            wide("192.0.2.1"),
            "192.0.2.1",
            f"'{wide('192.0.2.1')}' is read as 192.0.2.1.",
        ),
        (
            wide("mail.example.jp").replace(wide("."), "\u3002"),
            "mail.example.jp",
            "is read as mail.example.jp",
        ),
        (wide("198.51.100.0/24"), "198.51.100.0/24", "is read as"),
        ("mx.example.jp:25", "mx.example.jp", "is read as mx.example.jp"),
        ("[2001:db8::1]:25", "2001:db8::1", "is read as 2001:db8::1"),
        ("http://192.0.2.1/", "192.0.2.1", "is a web address"),
    ],
)
def test_a_pasted_url_address_or_full_width_text_is_read_with_a_note(
    typed, value, says
):
    parsed = parse(typed)
    assert parsed.value == value
    assert says in notes(parsed)[0]


def test_case_and_a_trailing_dot_are_read_without_a_note():
    # DNS names are case-insensitive and "name." is the same name: nothing to say.
    parsed = parse("MAIL.EXAMPLE.JP.")
    assert (parsed.kind, parsed.value, parsed.warnings) == (
        Kind.DOMAIN,
        "mail.example.jp",
        (),
    )


@pytest.mark.parametrize(
    "domain", ["example.com", "mail.example.co.jp", "a.example.ed.jp", "例え.jp"]
)
def test_a_domain_under_a_public_suffix_is_taken_as_it_is(domain):
    parsed = parse(domain)
    assert parsed.kind is Kind.DOMAIN and parsed.warnings == ()


@pytest.mark.parametrize(
    ("typo", "says"),
    [
        ("mail.example.cmo", "does not end in a known top-level domain"),
        ("mail.exmaple.lan", "does not end in a known top-level domain"),
        ("printer.local", "does not end in a known top-level domain"),
        ("co.jp", "co.jp is a public suffix, not a domain"),
        ("com", "is not an IP address, a CIDR range or a domain"),
    ],
)
def test_a_domain_nobody_can_register_is_refused(typo, says):
    with pytest.raises(TargetError, match=says):
        parse(typo)


@pytest.mark.parametrize(
    "name", ["mail.example.test", "admin1.example", "x.invalid", "mx.localhost"]
)
def test_reserved_test_names_are_accepted_with_a_note(name):
    parsed = parse(name)
    assert parsed.value == name
    assert "a name reserved for tests and documentation" in notes(parsed)[0]


def test_every_typo_of_a_paste_is_named_by_its_line_and_nothing_else_is():
    records, _ = read_pasted(
        "192.0.2.1 mx1\n10.0.0.1x\nhttp://mail.example.jp/ web\n192.168.1\n"
        "postmaster@example.net\n"
    )
    rows, errors = bulk_rows(records, max_range_size=1024, max_addresses=65536)
    assert [(e.line, e.text) for e in errors] == [(2, "10.0.0.1x"), (4, "192.168.1")]
    assert [(r.line, r.target.value, r.label) for r in rows] == [
        (1, "192.0.2.1", "mx1"),
        (3, "mail.example.jp", "web"),
        (5, "example.net", ""),
    ]
    assert "is a web address" in str(rows[1].target.warnings[0])


def test_a_url_and_its_host_on_two_lines_are_one_target_twice():
    records, _ = read_pasted("mail.example.jp\nhttps://mail.example.jp/\n")
    _, errors = bulk_rows(records, max_range_size=1024, max_addresses=65536)
    assert [(e.line, str(e.message)) for e in errors] == [
        (2, "mail.example.jp is already on line 1.")
    ]


def test_stored_names_and_list_zones_skip_the_public_suffix_list():
    """A target stored before the check (mail.corp) still runs, and a
    company's own list may sit under a private name."""
    with pytest.raises(TargetError):
        parse_target("mail.corp", max_range_size=1)
    stored = parse_target("mail.corp", max_range_size=1, registrable=False)
    assert stored.value == "mail.corp"
    zone = parse_target("rbl.corp.internal", max_range_size=1, registrable=False)
    assert zone.kind == "domain"
