"""check_resolver names the nameservers lookups use and warns about shared ones."""

import io
import os
import socket
import subprocess
import sys

import dns.resolver
import pytest
from django.conf import settings
from django.core.management import call_command

from blcheck.lookups.public_resolvers import Kind, known_resolver

# The resolvers issue 16 names, in both address families.
BRIEF = [
    "8.8.8.8",
    "8.8.4.4",
    "1.1.1.1",
    "1.0.0.1",
    "9.9.9.9",
    "149.112.112.112",
    "208.67.222.222",
    "208.67.220.220",
    "64.6.64.6",
    "94.140.14.14",
    "76.76.2.0",
    "185.228.168.9",
    "2001:4860:4860::8888",
    "2001:4860:4860::8844",
    "2606:4700:4700::1111",
    "2606:4700:4700::1001",
    "2620:fe::fe",
    "2620:119:35::35",
]


def run(nameservers, settings_fixture):
    settings_fixture.DNS_NAMESERVERS = nameservers
    out, err = io.StringIO(), io.StringIO()
    call_command("check_resolver", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("address", BRIEF)
def test_every_public_resolver_of_the_brief_is_known(address):
    found = known_resolver(address)
    assert found is not None and found.kind is Kind.PUBLIC


@pytest.mark.parametrize(
    ("spelling", "operator"),
    [
        ("2001:4860:4860:0:0:0:0:8888", "Google Public DNS"),
        ("[2606:4700:4700::1111]", "Cloudflare 1.1.1.1"),
        ("::ffff:8.8.4.4", "Google Public DNS"),
        ("DNS.Google.", "Google Public DNS"),
        (" 9.9.9.9 ", "Quad9"),
        ("169.254.169.253", "Amazon VPC resolver (AWS)"),
    ],
)
def test_any_spelling_of_a_known_resolver_is_recognised(spelling, operator):
    found = known_resolver(spelling)
    assert found is not None and found.operator == operator


@pytest.mark.parametrize("own", ["172.30.53.53", "192.0.2.53", "resolver", "::1"])
def test_an_own_resolver_is_not_flagged(own):
    assert known_resolver(own) is None


def test_a_public_resolver_is_named_with_what_to_do(settings):
    out, err = run(["8.8.8.8", "192.0.2.53:5353"], settings)
    assert out.strip() == (
        "resolver: 8.8.8.8:53, 192.0.2.53:5353 (BLCHECK_DNS_NAMESERVERS)"
    )
    warnings = err.strip().splitlines()
    assert len(warnings) == 1
    assert warnings[0].startswith("resolver: WARNING: 8.8.8.8:53 is Google Public DNS")
    assert "127.255.255.254" in warnings[0]
    assert "BLCHECK_DNS_NAMESERVERS" in warnings[0]
    assert "BLCHECK_SPAMHAUS_DQS_KEY" in warnings[0]


def test_an_ipv6_public_resolver_with_a_port_is_flagged(settings):
    _, err = run(["[2620:fe::fe]:53"], settings)
    assert "[2620:fe::fe]:53 is Quad9, a public resolver" in err


def test_a_cloud_resolver_is_flagged_as_shared(settings):
    _, err = run(["169.254.169.253"], settings)
    assert "Amazon VPC resolver (AWS), a cloud provider's shared resolver" in err


def test_the_compose_resolver_passes_quietly(settings):
    out, err = run(["172.30.53.53"], settings)
    assert out.strip() == "resolver: 172.30.53.53:53 (BLCHECK_DNS_NAMESERVERS)"
    assert err == ""


def test_an_unreadable_setting_is_a_warning_not_a_crash(settings):
    _, err = run(["[2620:fe::fe"], settings)
    assert "BLCHECK_DNS_NAMESERVERS cannot be read" in err


def test_without_the_setting_the_system_resolver_is_checked(settings):
    out, err = run([], settings)
    try:
        system = [str(ns) for ns in dns.resolver.Resolver().nameservers]
    except dns.resolver.NoResolverConfiguration:
        system = []
    if not system:
        assert "no nameserver found" in err
        return
    assert out.startswith("resolver: ") and "(the system resolver" in out
    for address in system:
        assert address in out
        if known_resolver(address):
            assert f"WARNING: {address}" in err


def test_it_sends_no_query(settings, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("check_resolver opened a socket or asked DNS")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    _, err = run(["1.1.1.1", "dns.quad9.net"], settings)
    assert "1.1.1.1:53 is Cloudflare" in err and "dns.quad9.net:53 is Quad9" in err


def test_it_exits_0_even_when_warning():
    env = {**os.environ, "BLCHECK_DNS_NAMESERVERS": "1.1.1.1,[oops"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check_resolver"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "resolver: WARNING: BLCHECK_DNS_NAMESERVERS cannot be read" in result.stderr


def test_make_run_checks_the_resolver_before_serving():
    makefile = (settings.BASE_DIR / "Makefile").read_text()
    recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    check = recipe.index("manage.py check_resolver")
    assert check < recipe.index('echo "blcheck: http://')
