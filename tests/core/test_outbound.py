"""The outbound rule (blcheck/core/outbound.py): public https only, pinned.

Resolve functions are given in the test; nothing here asks DNS for a real
name. The connection tests talk to listeners on loopback (127.0.0.2).
"""

import socket
import ssl

import pytest
import trustme

from blcheck.core import outbound
from blcheck.core.outbound import Reason
from tests.support.webhook import Listener


def no_dns(host: str, port: int, **kwargs: object) -> list[tuple[object, ...]]:
    raise AssertionError(f"{host} was looked up; a literal must not be")


def answers(*addresses: str) -> outbound.Resolve:
    """A resolver that answers every name with these addresses, and counts."""

    def resolve(host: str, port: int, **kwargs: object) -> list[tuple[object, ...]]:
        resolve.calls += 1  # type: ignore[attr-defined]
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, 1, 6, "", (a, port))
            for a in addresses
        ]

    resolve.calls = 0  # type: ignore[attr-defined]
    return resolve


def nxdomain(host: str, port: int, **kwargs: object) -> list[tuple[object, ...]]:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1:8080/hook", Reason.LOOPBACK),
        ("https://localhost/hook", Reason.LOOPBACK),
        ("https://localhost./hook", Reason.LOOPBACK),
        ("https://chat.localhost/hook", Reason.LOOPBACK),
        ("https://127.1/hook", Reason.LOOPBACK),
        ("https://0x7f.1/hook", Reason.LOOPBACK),
        ("https://2130706433/hook", Reason.LOOPBACK),
        ("https://0177.0.0.1/hook", Reason.LOOPBACK),
        ("https://[::1]/hook", Reason.LOOPBACK),
        ("https://[::ffff:127.0.0.1]/hook", Reason.LOOPBACK),
        ("https://169.254.169.254/latest/meta-data/", Reason.LINK_LOCAL),
        ("https://[fe80::1]/hook", Reason.LINK_LOCAL),
        ("https://[64:ff9b::a9fe:a9fe]/hook", Reason.LINK_LOCAL),  # NAT64
        ("https://10.0.0.5/hook", Reason.PRIVATE),
        ("https://172.16.0.1/hook", Reason.PRIVATE),
        ("https://192.168.1.1/hook", Reason.PRIVATE),
        ("https://100.64.0.1/hook", Reason.PRIVATE),
        ("https://[fd00::1]/hook", Reason.PRIVATE),
        ("https://[::ffff:10.0.0.1]/hook", Reason.PRIVATE),
        ("https://[2002:a00:1::]/hook", Reason.PRIVATE),  # 6to4 of 10.0.0.1
        ("https://0.0.0.0/hook", Reason.UNSPECIFIED),
        ("https://0/hook", Reason.UNSPECIFIED),
        ("https://[::]/hook", Reason.UNSPECIFIED),
        ("https://224.0.0.1/hook", Reason.MULTICAST),
        ("https://[ff02::1]/hook", Reason.MULTICAST),
        ("https://240.0.0.1/hook", Reason.RESERVED),
        ("ftp://hooks.example.com/hook", Reason.SCHEME),
        ("http://hooks.example.com/hook", Reason.SCHEME),
        ("file:///etc/passwd", Reason.SCHEME),
        ("gopher://hooks.example.com/", Reason.SCHEME),
        ("https://user:secret@hooks.example.com/hook", Reason.USERINFO),
        ("https://user@hooks.example.com/hook", Reason.USERINFO),
        ("https:///hook", Reason.INVALID),
        ("https://hooks.example.com:99999/hook", Reason.INVALID),
        ("https://[::1/hook", Reason.INVALID),
    ],
)
def test_refused_shapes(url, reason):
    with pytest.raises(outbound.Refused) as refused:
        outbound.check_url(url, resolve=no_dns)
    assert refused.value.reason == reason


def test_a_public_name_that_resolves_to_a_private_address_is_refused():
    with pytest.raises(outbound.Refused) as refused:
        outbound.check_url("https://hooks.example.com/x", resolve=answers("10.0.0.5"))
    assert refused.value.reason == Reason.PRIVATE
    assert str(refused.value) == (
        "The host points at a private address (10.0.0.5); "
        "only public addresses are allowed."
    )


def test_every_address_a_name_resolves_to_is_checked():
    resolve = answers("93.184.215.14", "2606:2800:21f:cb07::1", "::ffff:127.0.0.1")
    with pytest.raises(outbound.Refused) as refused:
        outbound.check_url("https://hooks.example.com/x", resolve=resolve)
    assert refused.value.reason == Reason.LOOPBACK


def test_a_name_that_does_not_resolve_is_refused():
    with pytest.raises(outbound.Refused) as refused:
        outbound.check_url("https://hooks.example.com/x", resolve=nxdomain)
    assert refused.value.reason == Reason.UNRESOLVED
    assert str(refused.value) == "The host hooks.example.com does not resolve."


def test_a_public_https_url_is_allowed_with_its_checked_addresses():
    resolve = answers("93.184.215.14", "2606:2800:21f:cb07::1")
    destination = outbound.check_url(
        "https://Hooks.Example.com./services/T0/B0?x=1", resolve=resolve
    )
    assert destination == outbound.Destination(
        scheme="https",
        host="hooks.example.com",
        port=443,
        target="/services/T0/B0?x=1",
        addresses=("93.184.215.14", "2606:2800:21f:cb07::1"),
    )


def test_http_only_when_the_setting_allows_it():
    url = "http://hooks.example.com/x"
    allowed = outbound.check_url(url, allow_http=True, resolve=answers("93.184.215.14"))
    assert (allowed.scheme, allowed.port) == ("http", 80)
    with pytest.raises(outbound.Refused) as refused:
        outbound.check_url("ftp://hooks.example.com/x", allow_http=True)
    assert str(refused.value) == "Only https:// and http:// addresses are allowed."


@pytest.mark.parametrize(
    ("internal", "url", "allowed"),
    [
        (["chat.lan"], "https://chat.lan/hooks/abc", True),
        (["CHAT.lan."], "https://chat.lan:8065/hooks/abc", True),
        (["chat.lan:8065"], "https://chat.lan:8065/hooks/abc", True),
        (["chat.lan:8065"], "https://chat.lan/hooks/abc", False),
        (["other.lan"], "https://chat.lan/hooks/abc", False),
        (["127.0.0.1:8065"], "https://127.1:8065/hooks/abc", True),
        (["[fd00::5]:8065"], "https://[fd00::5]:8065/hooks/abc", True),
        (["fd00::5"], "https://[fd00::5]/hooks/abc", True),
    ],
)
def test_only_allow_listed_hosts_may_be_internal(internal, url, allowed):
    resolve = answers("192.168.1.20")
    try:
        outbound.check_url(url, internal_hosts=internal, resolve=resolve)
    except outbound.Refused:
        assert not allowed
    else:
        assert allowed


def test_an_allow_listed_host_still_never_reaches_link_local():
    with pytest.raises(outbound.Refused) as refused:
        outbound.check_url(
            "https://chat.lan/x",
            internal_hosts=["chat.lan"],
            resolve=answers("169.254.169.254"),
        )
    assert refused.value.reason == Reason.LINK_LOCAL


def test_the_connection_goes_to_the_checked_address():
    """One lookup: the check's. The socket goes to the address it checked; the
    Host header still names the host (no second lookup could change it)."""
    with Listener(host="127.0.0.2") as hook:
        resolve = answers("127.0.0.2")
        destination = outbound.check_url(
            f"http://hook.test:{hook.port}/in",
            allow_http=True,
            internal_hosts=["hook.test"],
            resolve=resolve,
        )
        response = outbound.post(destination, b"{}", headers={"X-Test": "1"}, timeout=5)
    assert resolve.calls == 1  # type: ignore[attr-defined]
    assert (response.status, response.address) == (204, "127.0.0.2")
    (hit,) = hook.hits
    assert (hit.path, hit.headers["Host"]) == ("/in", f"hook.test:{hook.port}")


def https_listener(ca: trustme.CA, name: str, sni: list[str]) -> Listener:
    """An HTTPS listener on 127.0.0.2 with a certificate for name; keeps the
    names clients ask for in their TLS hello."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(context)
    context.sni_callback = lambda sock, asked, ctx: sni.append(asked)
    return Listener(host="127.0.0.2", tls=context)


@pytest.mark.parametrize(("certified", "ok"), [("hook.test", True), ("x.test", False)])
def test_tls_names_the_host_while_connecting_to_the_checked_address(certified, ok):
    ca, sni = trustme.CA(), []
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)
    with https_listener(ca, certified, sni) as hook:
        destination = outbound.check_url(
            f"https://hook.test:{hook.port}/in",
            internal_hosts=["hook.test"],
            resolve=answers("127.0.0.2"),
        )
        try:
            response = outbound.post(
                destination, b"{}", headers={}, timeout=5, tls=trusting
            )
        except ssl.SSLCertVerificationError:
            response = None
    assert sni == ["hook.test"]
    if ok:  # the certificate is checked against the host name, not the address
        assert response and response.status == 204
        assert hook.hits[0].headers["Host"] == f"hook.test:{hook.port}"
    else:
        assert response is None and hook.hits == []
