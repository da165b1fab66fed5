"""Pure: when do a run's probes and lookups point at the resolver itself?"""

from blcheck.lookups import dnsbl, engine
from blcheck.lookups.dnsbl import Answer, Failure, Health, ListSpec, Reading, Verdict

A = ListSpec("a.dnsbl.test")
B = ListSpec("b.dnsbl.test")


def result(spec, failure=None, health=None):
    verdict = Verdict.ERROR if failure else Verdict.NOT_LISTED
    return engine.Result(
        subject="192.0.2.10",
        list=spec,
        qname=dnsbl.query_name("192.0.2.10", spec.zone),
        reading=Reading(verdict, error=failure),
        answer=Answer(failure=failure),
        health=health,
    )


def test_probe_failures_keep_their_reason():
    timeout, nx = Answer(failure=Failure.TIMEOUT), Answer(rcode="NXDOMAIN")
    assert dnsbl.judge_probes(timeout, nx, A) is Health.TIMEOUT
    assert dnsbl.judge_probes(Answer(failure=Failure.SERVFAIL), nx, A) is (
        Health.SERVFAIL
    )
    assert dnsbl.judge_probes(Answer(failure=Failure.REFUSED), nx, A) is (
        Health.DNS_REFUSED
    )
    assert dnsbl.judge_probes(Answer(failure=Failure.NO_NAMESERVERS), nx, A) is (
        Health.UNREACHABLE
    )


def test_every_list_failing_its_probes_alike_is_a_suspect():
    health = {("a", "ipv4"): Health.TIMEOUT, ("b", "ipv4"): Health.TIMEOUT}
    assert engine.probes_blind(health) is Failure.TIMEOUT
    health[("b", "ipv4")] = Health.DNS_REFUSED
    assert engine.probes_blind(health) is None  # two ways: the lists' own trouble
    assert engine.probes_blind({("a", "ipv4"): Health.DNS_REFUSED}) is (Failure.REFUSED)


def test_list_faults_are_never_the_resolvers():
    for state in (Health.OK, Health.REFUSED, Health.LISTS_EVERYTHING):
        assert engine.probes_blind({("a", "ipv4"): state}) is None
    assert engine.probes_blind({}) is None


def test_most_lookups_failing_alike_is_a_suspect():
    results = [result(A, Failure.TIMEOUT), result(B, Failure.TIMEOUT), result(A)]
    assert engine.results_blind(results) is Failure.TIMEOUT
    results.append(result(B))
    assert engine.results_blind(results) is None  # half is not most


def test_an_unhealthy_list_counts_as_its_probes_failure():
    results = [result(A, Failure.LIST_UNHEALTHY, Health.SERVFAIL)] * 2
    assert engine.results_blind(results) is Failure.SERVFAIL
    refusing = [result(A, Failure.LIST_UNHEALTHY, Health.REFUSED)] * 2
    assert engine.results_blind(refusing) is None  # the list refuses us, not DNS


def test_bad_answers_and_refusal_codes_are_not_the_resolvers():
    results = [result(A, Failure.BAD_ANSWER), result(B, Failure.RESOLVER_REFUSED)]
    assert engine.results_blind(results) is None
