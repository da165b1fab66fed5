"""PURE: the shared resolvers that DNS blocklists refuse, and which ones we use.

Spamhaus answers 127.255.255.254 to queries that come through public or
cloud resolvers, and Barracuda, URIBL, SURBL and Validity refuse or limit
them (dnsbl-facts §1.7, §1.8). This is the one list of such resolvers. It is
compared with configured addresses only: nothing here asks the network.
"""

import ipaddress
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    PUBLIC = "public"  # an open resolver anyone on the Internet may use
    CLOUD = "cloud"  # a cloud provider's resolver shared by all its customers
    LOCAL_STUB = "local stub"  # forwards to whatever the host is set to use


# Operator → its addresses (IPv4 and IPv6) and service names.
_RESOLVERS: dict[Kind, dict[str, tuple[str, ...]]] = {
    Kind.PUBLIC: {
        "Google Public DNS": (
            "8.8.8.8",
            "8.8.4.4",
            "2001:4860:4860::8888",
            "2001:4860:4860::8844",
            "dns.google",
        ),
        "Cloudflare 1.1.1.1": (
            "1.1.1.1",
            "1.0.0.1",
            "1.1.1.2",
            "1.0.0.2",
            "1.1.1.3",
            "1.0.0.3",
            "2606:4700:4700::1111",
            "2606:4700:4700::1001",
            "2606:4700:4700::1112",
            "2606:4700:4700::1002",
            "2606:4700:4700::1113",
            "2606:4700:4700::1003",
            "one.one.one.one",
        ),
        "Quad9": (
            "9.9.9.9",
            "149.112.112.112",
            "9.9.9.10",
            "149.112.112.10",
            "9.9.9.11",
            "149.112.112.11",
            "2620:fe::fe",
            "2620:fe::9",
            "2620:fe::10",
            "2620:fe::fe:10",
            "2620:fe::11",
            "2620:fe::fe:11",
            "dns.quad9.net",
        ),
        "OpenDNS (Cisco Umbrella)": (
            "208.67.222.222",
            "208.67.220.220",
            "208.67.222.123",
            "208.67.220.123",
            "2620:119:35::35",
            "2620:119:53::53",
            "resolver1.opendns.com",
            "resolver2.opendns.com",
        ),
        "Verisign Public DNS": (
            "64.6.64.6",
            "64.6.65.6",
            "2620:74:1b::1:1",
            "2620:74:1c::2:2",
        ),
        "AdGuard DNS": (
            "94.140.14.14",
            "94.140.15.15",
            "94.140.14.15",
            "94.140.15.16",
            "94.140.14.140",
            "94.140.14.141",
            "2a10:50c0::ad1:ff",
            "2a10:50c0::ad2:ff",
            "dns.adguard-dns.com",
        ),
        "Control D": ("76.76.2.0", "76.76.10.0", "2606:1a40::", "2606:1a40:1::"),
        "CleanBrowsing": (
            "185.228.168.9",
            "185.228.169.9",
            "185.228.168.10",
            "185.228.169.11",
            "185.228.168.168",
            "185.228.169.168",
            "2a0d:2a00:1::2",
            "2a0d:2a00:2::2",
        ),
        "Level3 / Lumen": ("4.2.2.1", "4.2.2.2", "4.2.2.3", "4.2.2.4"),
        "Comodo Secure DNS": ("8.26.56.26", "8.20.247.20"),
        "Neustar UltraDNS Public": ("156.154.70.1", "156.154.71.1"),
        "DNS.WATCH": ("84.200.69.80", "84.200.70.40"),
        "Yandex DNS": ("77.88.8.8", "77.88.8.1"),
        "AliDNS": ("223.5.5.5", "223.6.6.6"),
        "114DNS": ("114.114.114.114", "114.114.115.115"),
        "DNSPod": ("119.29.29.29",),
    },
    Kind.CLOUD: {
        "Amazon VPC resolver (AWS)": ("169.254.169.253", "fd00:ec2::253"),
        "Google Cloud / Oracle Cloud metadata resolver": ("169.254.169.254",),
        "Azure DNS": ("168.63.129.16",),
        "DigitalOcean": ("67.207.67.2", "67.207.67.3"),
        "OVHcloud": ("213.186.33.99",),
        "Hetzner": (
            "185.12.64.1",
            "185.12.64.2",
            "2a01:4ff:ff00::add:1",
            "2a01:4ff:ff00::add:2",
        ),
    },
    Kind.LOCAL_STUB: {
        "systemd-resolved": ("127.0.0.53", "127.0.0.54"),
        "Docker's embedded DNS": ("127.0.0.11",),
    },
}


@dataclass(frozen=True)
class Resolver:
    """A known shared resolver: who runs it and what kind it is."""

    operator: str
    kind: Kind


def _key(host: str) -> str:
    """An address in one spelling (IPv4-mapped IPv6 as IPv4); names lowercased."""
    text = host.strip().strip("[]").rstrip(".").lower()
    try:
        address = ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        return text
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(address)


KNOWN: dict[str, Resolver] = {
    _key(entry): Resolver(operator, kind)
    for kind, operators in _RESOLVERS.items()
    for operator, entries in operators.items()
    for entry in entries
}


def known_resolver(host: str) -> Resolver | None:
    """The shared resolver at this address or name, or None (ours, presumably)."""
    return KNOWN.get(_key(host))
