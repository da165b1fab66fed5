"""Pure: query names and verdict rules (DESIGN §1.3)."""

import pytest

from blcheck.lookups.dnsbl import (
    PROBE_SUBJECTS,
    Answer,
    Failure,
    Health,
    ListSpec,
    Verdict,
    judge_probes,
    query_name,
    read_answer,
    subject_kind,
)

PLAIN = ListSpec("bl.example")
SPAMHAUS = ListSpec(
    "zen.spamhaus.org",
    listed_codes=frozenset({"127.0.0.2", "127.0.0.4", "127.0.0.10"}),
    error_codes=frozenset({"127.255.255.254"}),
)


def test_ipv4_query_name_reverses_octets():
    assert query_name("192.0.2.99", "Z") == "99.2.0.192.Z"


def test_ipv6_query_name_uses_reversed_nibbles():
    # RFC 5782 §2.4 example.
    assert query_name("2001:db8:1:2:3:4:567:89ab", "Z") == (
        "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.Z"
    )


def test_domain_query_name_is_the_domain():
    assert (
        query_name("example.com", "dbl.spamhaus.org") == "example.com.dbl.spamhaus.org"
    )


def test_nxdomain_is_not_listed():
    assert read_answer(Answer(rcode="NXDOMAIN"), PLAIN).verdict is Verdict.NOT_LISTED


def test_nodata_is_not_listed():
    assert read_answer(Answer(rcode="NOERROR"), PLAIN).verdict is Verdict.NOT_LISTED


def test_listing_code_is_listed_with_codes():
    reading = read_answer(Answer(addresses=("127.0.0.10", "127.0.0.2")), SPAMHAUS)
    assert reading == read_answer(
        Answer(addresses=("127.0.0.2", "127.0.0.10")), SPAMHAUS
    )
    assert (reading.verdict, reading.codes) == (
        Verdict.LISTED,
        ("127.0.0.2", "127.0.0.10"),
    )


@pytest.mark.parametrize("failure", list(Failure))
def test_every_failure_is_error_not_clean(failure):
    reading = read_answer(Answer(failure=failure), PLAIN)
    assert (reading.verdict, reading.error) == (Verdict.ERROR, failure)


def test_public_resolver_code_is_error_not_listing():
    reading = read_answer(Answer(addresses=("127.255.255.254",)), SPAMHAUS)
    assert (reading.verdict, reading.error) == (Verdict.ERROR, Failure.RESOLVER_REFUSED)


def test_known_refusal_codes_are_errors_on_any_list():
    for code in ("127.255.255.252", "127.255.255.255", "127.0.1.255"):
        assert (
            read_answer(Answer(addresses=(code,)), PLAIN).error
            is Failure.RESOLVER_REFUSED
        )


def test_answer_outside_loopback_is_bad_answer():
    reading = read_answer(Answer(addresses=("91.195.240.117",)), PLAIN)
    assert (reading.verdict, reading.error) == (Verdict.ERROR, Failure.BAD_ANSWER)


def test_127_0_0_1_is_never_a_listing():
    assert read_answer(Answer(addresses=("127.0.0.1",)), PLAIN).verdict is Verdict.ERROR


def test_code_outside_the_lists_map_is_error():
    assert (
        read_answer(Answer(addresses=("127.0.0.3",)), SPAMHAUS).error
        is Failure.BAD_ANSWER
    )


def test_default_rule_lists_127_0_0_2_to_255():
    assert (
        read_answer(Answer(addresses=("127.0.0.77",)), PLAIN).verdict is Verdict.LISTED
    )
    assert read_answer(Answer(addresses=("127.0.1.2",)), PLAIN).verdict is Verdict.ERROR


def test_every_failure_token_has_a_label_for_people():
    from blcheck.monitoring.models import Lookup

    assert set(Lookup.Error.values) == {f.value for f in Failure}


URIBL = ListSpec(
    "multi.uribl.com",
    listed_codes=frozenset({"2", "4", "8"}),
    error_codes=frozenset({"1"}),
    bitmask=True,
)


def test_bitmask_list_reads_bits_of_the_last_octet():
    reading = read_answer(Answer(addresses=("127.0.0.14",)), URIBL)
    assert (reading.verdict, reading.codes) == (Verdict.LISTED, ("127.0.0.14",))


def test_bitmask_refusal_bit_is_an_error():
    # URIBL answers 127.0.0.1 (bit 1) to refused resolvers (facts §1.7).
    assert read_answer(Answer(addresses=("127.0.0.1",)), URIBL).error is (
        Failure.RESOLVER_REFUSED
    )


def test_bitmask_without_a_known_bit_is_bad_answer():
    assert read_answer(Answer(addresses=("127.0.0.16",)), URIBL).error is (
        Failure.BAD_ANSWER
    )


# --- RFC 5782 probes


def probes(positive, negative, spec=PLAIN):
    return judge_probes(Answer(**positive), Answer(**negative), spec)


LISTED = {"addresses": ("127.0.0.2",)}
NX = {"rcode": "NXDOMAIN"}


def test_healthy_list_passes_its_probes():
    assert probes(LISTED, NX) is Health.OK


def test_list_answering_listed_for_127_0_0_1_is_flagged_broken():
    assert probes(LISTED, LISTED) is Health.LISTS_EVERYTHING


def test_list_without_its_test_entry_is_not_trusted():
    assert probes(NX, NX) is Health.TEST_POINT_MISSING


def test_probe_answered_with_a_refusal_code_is_refused():
    refused = {"addresses": ("127.255.255.254",)}
    assert probes(refused, refused, SPAMHAUS) is Health.REFUSED


def test_probe_answered_outside_loopback_is_bad_answer():
    parked = {"addresses": ("91.195.240.117",)}
    assert probes(parked, parked) is Health.BAD_ANSWER


def test_probe_failure_says_which_way_it_failed():
    assert probes({"failure": Failure.TIMEOUT}, NX) is Health.TIMEOUT
    assert probes(NX, {"failure": Failure.NO_NAMESERVERS}) is Health.UNREACHABLE


def test_probe_subjects_follow_rfc5782():
    assert query_name(PROBE_SUBJECTS["ipv4"][0], "Z") == "2.0.0.127.Z"
    assert query_name(PROBE_SUBJECTS["ipv6"][0], "Z").startswith(
        "2.0.0.0.0.0.f.7.f.f.f.f."
    )
    assert query_name(PROBE_SUBJECTS["domain"][1], "Z") == "invalid.Z"


def test_subject_kinds():
    assert [subject_kind(s) for s in ("192.0.2.1", "2001:db8::1", "example.com")] == [
        "ipv4",
        "ipv6",
        "domain",
    ]
