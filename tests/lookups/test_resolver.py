"""The resolver seam against the loopback DNS server: no patching."""

import pytest

from blcheck.lookups import resolver
from blcheck.lookups.dnsbl import Failure

pytestmark = pytest.mark.dns


def ask(name, rdtype="A", **kwargs):
    return resolver.resolve([name], rdtype, **kwargs)[0]


def test_listed_name_returns_its_a_record_and_ttl(dns_server):
    answer = ask("66.2.0.192.good.dnsbl.test")
    assert (answer.rcode, answer.addresses, answer.ttl, answer.failure) == (
        "NOERROR",
        ("127.0.0.2",),
        300,
        None,
    )
    assert answer.resolver == dns_server.address


def test_txt_record_is_read(dns_server):
    answer = ask("66.2.0.192.good.dnsbl.test", "TXT")
    assert answer.texts == ("Listed, see https://good.dnsbl.test/lookup?ip=192.0.2.66",)


def test_unlisted_name_is_nxdomain(dns_server):
    answer = ask("10.2.0.192.good.dnsbl.test")
    assert (answer.rcode, answer.failure) == ("NXDOMAIN", None)


def test_servfail_is_a_failure(dns_server):
    assert ask("10.2.0.192.servfail.dnsbl.test").failure is Failure.SERVFAIL


def test_refused_is_a_failure(dns_server):
    assert ask("10.2.0.192.refused.dnsbl.test").failure is Failure.REFUSED


def test_silence_is_a_timeout_after_retransmission(dns_server):
    answer = ask("10.2.0.192.silent.dnsbl.test", timeout=0.4)
    assert answer.failure is Failure.TIMEOUT
    assert len(dns_server.queries_for("10.2.0.192.silent.dnsbl.test")) == 2


def test_slow_answer_within_the_timeout_arrives(dns_server):
    answer = ask("66.2.0.192.slow.dnsbl.test", timeout=2.0)
    assert answer.addresses == ("127.0.0.2",)
    assert answer.elapsed_ms >= 300


def test_truncated_udp_answer_is_asked_again_over_tcp(dns_server):
    answer = ask("66.2.0.192.truncating.dnsbl.test")
    assert answer.addresses == ("127.0.0.2",)
    transports = [
        q.transport for q in dns_server.queries_for("66.2.0.192.truncating.dnsbl.test")
    ]
    assert transports == ["udp", "tcp"]


def test_unreachable_nameserver_is_an_error_not_clean(dns_server):
    answer = ask("10.2.0.192.good.dnsbl.test", nameservers=["127.0.0.1:9"], timeout=0.5)
    assert answer.failure in {Failure.NO_NAMESERVERS, Failure.TIMEOUT}


def test_many_queries_keep_their_order(dns_server):
    names = [f"{i}.2.0.192.good.dnsbl.test" for i in range(60, 70)]
    answers = resolver.resolve(names)
    assert [bool(a.addresses) for a in answers] == [i == 66 for i in range(60, 70)]


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [
        ("127.0.0.1", "127.0.0.1", 53),
        ("127.0.0.1:5353", "127.0.0.1", 5353),
        ("[::1]:5353", "::1", 5353),
        ("[::1]", "::1", 53),
        ("::1", "::1", 53),
    ],
)
def test_nameserver_forms(text, host, port):
    assert resolver.parse_nameserver(text) == resolver.Nameserver(host, port)


@pytest.mark.parametrize("bad", ["", "host:port", "1.2.3.4:99999", "[::1]:x"])
def test_bad_nameserver_is_rejected(bad):
    with pytest.raises(ValueError, match="nameserver"):
        resolver.parse_nameserver(bad)


def test_wildcard_zone_answers_every_name_even_the_rfc5782_negative(dns_server):
    # The test server's "lists everything" zone, as AHBL did from 2015 (facts §3).
    assert ask("1.0.0.127.everything.dnsbl.test").addresses == ("127.0.0.2",)


@pytest.mark.parametrize("zone", ["forged-id.dnsbl.test", "forged-question.dnsbl.test"])
def test_answer_that_does_not_match_the_query_is_dropped(dns_server, zone):
    # A forged "listed" answer must never be read; the query times out instead.
    answer = ask(f"10.2.0.192.{zone}", timeout=0.4)
    assert (answer.failure, answer.addresses) == (Failure.TIMEOUT, ())


def test_retransmissions_use_new_ids_and_vary_source_ports(dns_server):
    names = [f"{i}.3.0.192.silent.dnsbl.test" for i in range(8)]
    resolver.resolve(names, timeout=0.2)
    seen = dns_server.queries_for("3.0.192.silent.dnsbl.test")
    assert len(seen) == 16  # every query tried twice
    for name in names:
        tries = [q for q in seen if q.name == name + "."]
        assert tries[0].query_id != tries[1].query_id
    assert len({q.source_port for q in seen}) >= 4


def test_invalid_query_name_is_an_error_not_a_crash(dns_server):
    assert ask("a" * 70 + ".good.dnsbl.test").failure is Failure.BAD_ANSWER


def test_progress_is_reported_per_answer(dns_server):
    seen = []
    resolver.resolve(
        [f"{i}.2.0.192.good.dnsbl.test" for i in range(5)], progress=seen.append
    )
    assert sum(seen) == 5
