"""Pure: the target parser. No database, no network."""

import pytest

from blcheck.monitoring.targets import Kind, TargetError, parse_target


def parse(text, max_range_size=1024):
    return parse_target(text, max_range_size=max_range_size)


def test_ipv4_address_is_normalised():
    parsed = parse(" 192.0.2.1 ")
    assert (parsed.kind, parsed.value, list(parsed.subjects())) == (
        Kind.ADDRESS,
        "192.0.2.1",
        ["192.0.2.1"],
    )


def test_ipv6_address_is_compressed():
    assert parse("2001:DB8:0:0::1").value == "2001:db8::1"


def test_cidr_range_yields_every_address():
    parsed = parse("198.51.100.0/30")
    assert parsed.kind is Kind.RANGE
    assert list(parsed.subjects()) == [f"198.51.100.{i}" for i in range(4)]


def test_range_with_host_bits_is_corrected_with_a_warning():
    parsed = parse("198.51.100.7/30")
    assert parsed.value == "198.51.100.4/30"
    assert any("host bits" in str(w) for w in parsed.warnings)


def test_single_address_cidr_is_an_address():
    assert parse("203.0.113.5/32").kind is Kind.ADDRESS


def test_range_over_the_cap_is_refused_with_its_size():
    with pytest.raises(TargetError, match=r"4,096 addresses; the limit is 1,024"):
        parse("10.0.0.0/20")


def test_domain_is_lower_cased():
    parsed = parse("Mail.Example.COM.")
    assert (parsed.kind, parsed.value) == (Kind.DOMAIN, "mail.example.com")


def test_internationalised_domain_becomes_a_label():
    assert parse("例え.jp").value == "xn--r8jz45g.jp"


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   ",
        "300.1.1.1",
        "1.2.3",
        "not a host",
        "-bad-.com",
        "a..b",
        "x" * 300 + ".com",
        "192.0.2.1/33",
    ],
)
def test_garbage_is_rejected_naming_it(garbage):
    with pytest.raises(TargetError) as caught:
        parse(garbage)
    if garbage.strip():
        assert repr(garbage.strip())[:20] in str(caught.value)


def test_private_and_documentation_addresses_are_flagged():
    assert parse("10.1.2.3").warnings
    assert parse("192.0.2.1").warnings
    assert parse("127.0.0.1").warnings


def test_public_address_has_no_warning():
    assert parse("8.8.8.8").warnings == ()
