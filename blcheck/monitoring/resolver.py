"""The seam to DNS: the only module that imports dnspython.

Sends each query to the configured nameservers (BLCHECK_DNS_NAMESERVERS, else
the system's), many in flight on one event loop, and maps every outcome to a
dnsbl.Answer: NXDOMAIN and answers as they are, SERVFAIL, REFUSED, timeouts
and unreachable servers as failures. Truncated UDP answers are asked again
over TCP. Nothing here decides "listed"; dnsbl.read_answer does.
"""

import asyncio
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

import dns.asyncquery
import dns.exception
import dns.message
import dns.rcode
import dns.rdatatype
import dns.resolver
from django.conf import settings

from blcheck.monitoring.dnsbl import Answer, Failure

_BRACKETED = re.compile(r"^\[(?P<host>[0-9a-fA-F:.]+)\](?::(?P<port>\d+))?$")


@dataclass(frozen=True)
class Nameserver:
    host: str
    port: int = 53

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_nameserver(text: str) -> Nameserver:
    """Read "host", "host:port", "[v6]" or "[v6]:port" (DESIGN §4.2)."""
    text = text.strip()
    match = _BRACKETED.match(text)
    if match:
        host, port = match["host"], match["port"]
    elif text.startswith("["):
        host, port = "", None
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text, None  # a bare IPv6 address or a plain host
    if not host or (port is not None and not port.isdigit()) or int(port or 53) > 65535:
        raise ValueError(
            f"{text!r} is not a nameserver (use host, host:port or [v6]:port)"
        )
    return Nameserver(host, int(port or 53))


def configured_nameservers(override: Sequence[str] | None = None) -> list[Nameserver]:
    names = list(override or settings.DNS_NAMESERVERS)
    if names:
        return [parse_nameserver(n) for n in names]
    try:
        system = dns.resolver.Resolver()  # reads /etc/resolv.conf
    except dns.resolver.NoResolverConfiguration:
        return []
    return [Nameserver(str(ns)) for ns in system.nameservers]


def _answer_from(
    response: dns.message.Message,
    rdtype: dns.rdatatype.RdataType,
    server: Nameserver,
    elapsed_ms: float,
) -> Answer:
    rcode = dns.rcode.to_text(response.rcode())
    failure = {"SERVFAIL": Failure.SERVFAIL, "REFUSED": Failure.REFUSED}.get(rcode)
    values: list[str] = []
    ttl = None
    for rrset in response.answer:
        if rrset.rdtype != rdtype:
            continue  # e.g. a CNAME on the way to the A record
        ttl = rrset.ttl if ttl is None else min(ttl, rrset.ttl)
        for rdata in rrset:
            if rdtype == dns.rdatatype.TXT:
                values.append(b"".join(rdata.strings).decode("utf-8", "replace"))
            else:
                values.append(rdata.to_text())
    is_txt = rdtype == dns.rdatatype.TXT
    return Answer(
        rcode=rcode,
        addresses=() if is_txt else tuple(values),
        texts=tuple(values) if is_txt else (),
        ttl=ttl,
        failure=failure,
        resolver=str(server),
        elapsed_ms=round(elapsed_ms, 2),
    )


async def _ask(
    qname: str,
    rdtype: dns.rdatatype.RdataType,
    servers: Sequence[Nameserver],
    timeout: float,
    limit: asyncio.Semaphore,
) -> Answer:
    if not servers:
        return Answer(failure=Failure.NO_NAMESERVERS)
    started = time.perf_counter()
    # Each server gets two tries (one retransmission) within the time budget; a
    # lost packet is asked again, never read as an answer.
    attempts = [s for s in servers for _ in range(2)]
    per_try = timeout / len(attempts)
    last = Answer(failure=Failure.TIMEOUT, resolver=str(servers[0]))
    async with limit:
        for server in attempts:
            query = dns.message.make_query(qname, rdtype)  # a fresh random id each try
            try:
                response, _ = await dns.asyncquery.udp_with_fallback(
                    query, server.host, timeout=per_try, port=server.port
                )
            except dns.exception.Timeout:
                last = Answer(failure=Failure.TIMEOUT, resolver=str(server))
                continue
            except (OSError, dns.exception.DNSException):
                last = Answer(failure=Failure.NO_NAMESERVERS, resolver=str(server))
                continue
            answer = _answer_from(
                response, rdtype, server, (time.perf_counter() - started) * 1000
            )
            if answer.failure is None:
                return answer
            last = answer
    return Answer(
        rcode=last.rcode,
        failure=last.failure,
        resolver=last.resolver,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 2),
    )


async def _ask_all(
    qnames: Sequence[str],
    rdtype: dns.rdatatype.RdataType,
    servers: Sequence[Nameserver],
    timeout: float,
    concurrency: int,
) -> list[Answer]:
    limit = asyncio.Semaphore(concurrency)
    return await asyncio.gather(
        *(_ask(name, rdtype, servers, timeout, limit) for name in qnames)
    )


def resolve(
    qnames: Sequence[str],
    rdtype: str = "A",
    *,
    nameservers: Sequence[str] | None = None,
    timeout: float | None = None,
    concurrency: int | None = None,
) -> list[Answer]:
    """Ask every name, in order; one Answer per name."""
    return asyncio.run(
        _ask_all(
            qnames,
            dns.rdatatype.from_text(rdtype),
            configured_nameservers(nameservers),
            timeout or settings.DNS_TIMEOUT,
            concurrency or settings.DNS_CONCURRENCY,
        )
    )
