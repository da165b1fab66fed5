"""The seam to DNS: the only module that imports dnspython.

Every query goes to the configured nameservers (BLCHECK_DNS_NAMESERVERS, else
the system's). Speed comes from the transport, not from tasks: a handful of
shared UDP sockets, queries matched to answers by socket, query id, source
address and question, one sweeping timer for all deadlines, and only the
12-byte header read
for the answers that dominate a sweep (NXDOMAIN). Positive answers are
parsed with dnspython's message API; truncated ones are asked again over TCP.

Safe while fast: ids come from the OS's random source, several sockets vary
the source port, a response whose source or question does not match its
query is dropped, and a lost packet is sent again (to the next server, with a
new id), never read as an answer. Every outcome becomes a dnsbl.Answer;
nothing here decides "listed" (dnsbl.read_answer does).
"""

import asyncio
import functools
import ipaddress
import os
import re
import socket
import struct
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import dns.asyncquery
import dns.exception
import dns.message
import dns.rdatatype
import dns.resolver
from django.conf import settings

from blcheck.lookups.dnsbl import Answer, Failure

_BRACKETED = re.compile(r"^\[(?P<host>[0-9a-fA-F:.]+)\](?::(?P<port>\d+))?$")
SOCKETS_PER_FAMILY = 8  # source ports in use at once
_RCODES = {
    0: "NOERROR",
    1: "FORMERR",
    2: "SERVFAIL",
    3: "NXDOMAIN",
    4: "NOTIMP",
    5: "REFUSED",
}
_FAILURES = {2: Failure.SERVFAIL, 5: Failure.REFUSED}


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


class Limiter(Protocol):
    """Grants queries to a pacing key (a list), waiting as its ceiling requires."""

    async def take(self, key: str, wanted: int) -> int: ...


# --- wire format -------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def _name_wire(name: str) -> bytes:
    """Wire form of a name; the cache makes a list's zone suffix a lookup."""
    if not name:
        return b"\0"
    label, _, rest = name.partition(".")
    if not 0 < len(label) < 64:
        raise ValueError(f"{name!r} holds an empty or over-long label")
    return bytes((len(label),)) + label.encode("ascii") + _name_wire(rest)


def _question(qname: str, rdtype: int) -> bytes:
    try:
        wire = _name_wire(qname.rstrip("."))
    except (ValueError, UnicodeError) as exc:
        raise ValueError(f"{qname!r} is not a valid query name") from exc
    if len(wire) > 255:
        raise ValueError(f"{qname!r} is too long for DNS")
    return wire + struct.pack("!HH", rdtype, 1)


def _query_wire(query_id: int, question: bytes) -> bytes:
    # RD set: the nameserver is a recursive resolver (or an authority answering).
    return struct.pack("!HHHHHH", query_id, 0x0100, 1, 0, 0, 0) + question


def _values(
    response: dns.message.Message, rdtype: int
) -> tuple[tuple[str, ...], int | None]:
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
    return tuple(values), ttl


# --- one batch of queries ----------------------------------------------------


@dataclass(eq=False)
class _Query:
    index: int
    qname: str
    question: bytes
    started: float
    attempt: int = 0
    server: tuple[str, int] | None = None
    key: tuple[int, int] | None = None
    deadline: float = 0.0


class _Socket(asyncio.DatagramProtocol):
    def __init__(self, batch: "_Batch", slot: int) -> None:
        self.batch = batch
        self.slot = slot
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.batch.received(self.slot, data, addr)

    def error_received(self, exc: Exception) -> None:
        pass  # unconnected UDP: a lost or refused packet shows as a timeout


class _Batch:
    """Sends every query of one resolve() call and collects the answers in order."""

    def __init__(
        self,
        qnames: Sequence[str],
        rdtype: dns.rdatatype.RdataType,
        servers: Sequence[tuple[str, int]],
        labels: Sequence[str],
        timeout: float,
        concurrency: int,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.qnames = qnames
        self.rdtype = rdtype
        self.servers = servers
        self.labels = labels  # "host:port" per server, for Answer.resolver
        self.attempts = 2 * len(servers)  # each server twice: one retransmission
        self.per_try = timeout / self.attempts
        self.concurrency = concurrency
        self.results: list[Answer | None] = [None] * len(qnames)
        self.ready: deque[int] = deque()
        self.pending: dict[tuple[int, int], _Query] = {}
        self.in_flight = 0
        self.remaining = len(qnames)
        self.sockets: dict[int, list[_Socket]] = {}
        self.next_slot = 0
        self.finished = self.loop.create_future()
        self.id_pool, self.id_offset = b"", 0
        # Deadlines are checked this often: a query times out within a quarter
        # of its try's budget after its deadline.
        self.sweep_interval = self.per_try / 4
        self.progress: Callable[[int], None] | None = None

    async def open(self) -> None:
        for host, _ in self.servers:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            if family in self.sockets:
                continue
            pool: list[_Socket] = []
            for _ in range(SOCKETS_PER_FAMILY):
                slot = len(self._all_sockets()) + len(pool)
                _, proto = await self.loop.create_datagram_endpoint(
                    functools.partial(_Socket, self, slot),
                    family=family,
                    local_addr=("::" if family == socket.AF_INET6 else "0.0.0.0", 0),
                )
                pool.append(proto)
            self.sockets[family] = pool

    def _all_sockets(self) -> list[_Socket]:
        return [s for pool in self.sockets.values() for s in pool]

    def close(self) -> None:
        for sock in self._all_sockets():
            if sock.transport is not None:
                sock.transport.close()

    # queue and window
    def release(self, indices: Sequence[int]) -> None:
        self.ready.extend(indices)
        self._pump()

    def _pump(self) -> None:
        while self.ready and self.in_flight < self.concurrency:
            index = self.ready.popleft()
            self.in_flight += 1
            qname = self.qnames[index]
            try:
                question = _question(qname, self.rdtype)
            except ValueError:
                self._finish(index, Answer(failure=Failure.BAD_ANSWER))
                continue
            self._send(_Query(index, qname, question, time.perf_counter()))

    def _send(self, query: _Query) -> None:
        server_index = (query.attempt // 2) % len(self.servers)
        host, port = query.server = self.servers[server_index]
        pool = self.sockets[socket.AF_INET6 if ":" in host else socket.AF_INET]
        sock = pool[self.next_slot % len(pool)]
        self.next_slot += 1
        while True:
            query_id = self._random_id()
            key = (sock.slot, query_id)
            if key not in self.pending:
                break
        query.key = key
        self.pending[key] = query
        query.deadline = self.loop.time() + self.per_try
        assert sock.transport is not None
        try:
            sock.transport.sendto(_query_wire(query_id, query.question), (host, port))
        except OSError:
            self._drop(query)
            self._retry_or_fail(
                query,
                Answer(
                    failure=Failure.NO_NAMESERVERS, resolver=self.labels[server_index]
                ),
            )

    def _drop(self, query: _Query) -> None:
        if query.key is not None:
            self.pending.pop(query.key, None)

    def _retry_or_fail(self, query: _Query, failure: Answer) -> None:
        query.attempt += 1
        if query.attempt < self.attempts:
            self._send(query)
        else:
            self._finish(query.index, self._with_timing(failure, query))

    def _random_id(self) -> int:
        # Unpredictable ids from the OS, fetched in bulk: one syscall per 4,096.
        if self.id_offset >= len(self.id_pool):
            self.id_pool, self.id_offset = os.urandom(8192), 0
        value = (self.id_pool[self.id_offset] << 8) | self.id_pool[self.id_offset + 1]
        self.id_offset += 2
        return value

    def _sweep(self) -> None:
        """Time out every query past its deadline; runs while queries remain."""
        if self.remaining == 0:
            return
        now = self.loop.time()
        for query in [q for q in self.pending.values() if q.deadline <= now]:
            self._timed_out(query)
        self.loop.call_later(self.sweep_interval, self._sweep)

    def _timed_out(self, query: _Query) -> None:
        self._drop(query)
        label = self.labels[self.servers.index(query.server)] if query.server else ""
        self._retry_or_fail(query, Answer(failure=Failure.TIMEOUT, resolver=label))

    @staticmethod
    def _with_timing(answer: Answer, query: _Query) -> Answer:
        return Answer(
            rcode=answer.rcode,
            addresses=answer.addresses,
            texts=answer.texts,
            ttl=answer.ttl,
            failure=answer.failure,
            resolver=answer.resolver,
            elapsed_ms=round((time.perf_counter() - query.started) * 1000, 2),
        )

    # answers
    def received(self, slot: int, data: bytes, addr: tuple[str | int, ...]) -> None:
        if len(data) < 12:
            return
        query = self.pending.get((slot, (data[0] << 8) | data[1]))
        if query is None or query.server is None:
            return  # late, duplicate or forged
        host, port = query.server
        if addr[1] != port or (addr[0] != host and not _same_host(addr[0], host)):
            return  # not from the server we asked
        end = 12 + len(query.question)
        if (
            not data[2] & 0x80
            or data[4:6] != b"\0\1"
            or (data[12:end].lower() != query.question.lower())
        ):
            return  # not an answer to this question
        self._drop(query)
        self._answered(query, data)

    def _answered(self, query: _Query, data: bytes) -> None:
        label = self.labels[self.servers.index(query.server)]  # type: ignore[arg-type]
        if data[2] & 0x02:  # TC: the answer did not fit, ask over TCP
            self.loop.create_task(self._over_tcp(query, label))
            return
        rcode = data[3] & 0x0F
        if rcode in _FAILURES:
            self._retry_or_fail(
                query,
                Answer(rcode=_RCODES[rcode], failure=_FAILURES[rcode], resolver=label),
            )
            return
        if rcode == 3 or (rcode == 0 and data[6:8] == b"\0\0"):
            # NXDOMAIN or NODATA: the header says all; nothing else to parse.
            answer = Answer(rcode=_RCODES[rcode], resolver=label)
        elif rcode == 0:
            answer = self._parse(data, label)
        else:
            answer = Answer(
                rcode=_RCODES.get(rcode, str(rcode)),
                failure=Failure.BAD_ANSWER,
                resolver=label,
            )
        self._finish(query.index, self._with_timing(answer, query))

    def _parse(self, data: bytes, label: str) -> Answer:
        try:
            message = dns.message.from_wire(data)
        except dns.exception.DNSException:
            return Answer(failure=Failure.BAD_ANSWER, resolver=label)
        values, ttl = _values(message, self.rdtype)
        if self.rdtype == dns.rdatatype.TXT:
            return Answer(texts=values, ttl=ttl, resolver=label)
        return Answer(addresses=values, ttl=ttl, resolver=label)

    async def _over_tcp(self, query: _Query, label: str) -> None:
        host, port = query.server  # type: ignore[misc]
        message = dns.message.make_query(query.qname, self.rdtype)
        try:
            response = await dns.asyncquery.tcp(
                message, host, timeout=self.per_try * 2, port=port
            )
        except (dns.exception.DNSException, OSError):
            self._retry_or_fail(query, Answer(failure=Failure.TIMEOUT, resolver=label))
            return
        self._answered(query, response.to_wire())

    def _finish(self, index: int, answer: Answer) -> None:
        self.results[index] = answer
        self.in_flight -= 1
        self.remaining -= 1
        if self.progress is not None:
            self.progress(1)
        if self.remaining == 0 and not self.finished.done():
            self.finished.set_result(None)
        else:
            self._pump()


def _same_host(seen: object, asked: str) -> bool:
    try:
        return ipaddress.ip_address(str(seen).split("%")[0]) == ipaddress.ip_address(
            asked
        )
    except ValueError:
        return False


async def _servers(
    nameservers: Sequence[Nameserver],
) -> tuple[list[tuple[str, int]], list[str]]:
    """Resolve host names of nameservers (once per batch) to addresses."""
    loop = asyncio.get_running_loop()
    addresses, labels = [], []
    for ns in nameservers:
        try:
            ipaddress.ip_address(ns.host)
            host = ns.host
        except ValueError:
            infos = await loop.getaddrinfo(ns.host, ns.port, type=socket.SOCK_DGRAM)
            host = str(infos[0][4][0])
        addresses.append((host, ns.port))
        labels.append(str(ns))
    return addresses, labels


async def resolve_async(
    qnames: Sequence[str],
    rdtype: str = "A",
    *,
    nameservers: Sequence[str] | None = None,
    timeout: float | None = None,
    concurrency: int | None = None,
    pacing: Sequence[str] | None = None,
    limiter: Limiter | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Answer]:
    """Ask every name; one Answer per name, in order.

    With `limiter`, each name's pacing key (its list) is granted by the limiter
    before the name is sent; names of other lists go on meanwhile.
    """
    configured = configured_nameservers(nameservers)
    if not configured:
        return [Answer(failure=Failure.NO_NAMESERVERS) for _ in qnames]
    try:
        servers, labels = await _servers(configured)
    except OSError:
        return [Answer(failure=Failure.NO_NAMESERVERS) for _ in qnames]
    batch = _Batch(
        qnames,
        dns.rdatatype.from_text(rdtype),
        servers,
        labels,
        timeout or settings.DNS_TIMEOUT,
        concurrency or settings.DNS_CONCURRENCY,
    )
    batch.progress = progress
    if not qnames:
        return []
    await batch.open()
    batch.loop.call_later(batch.sweep_interval, batch._sweep)
    feeders: list[Awaitable[None]] = []
    try:
        if limiter is None or pacing is None:
            batch.release(range(len(qnames)))
        else:
            feeders = _feeders(batch, pacing, limiter)
        await asyncio.gather(batch.finished, *feeders)
    finally:
        batch.close()
    return [
        a if a is not None else Answer(failure=Failure.TIMEOUT) for a in batch.results
    ]


def _feeders(
    batch: _Batch, pacing: Sequence[str], limiter: Limiter
) -> list[Awaitable[None]]:
    groups: dict[str, list[int]] = {}
    for index, key in enumerate(pacing):
        groups.setdefault(key, []).append(index)

    async def feed(key: str, indices: list[int]) -> None:
        position = 0
        while position < len(indices):
            granted = await limiter.take(key, len(indices) - position)
            batch.release(indices[position : position + granted])
            position += granted

    return [feed(key, indices) for key, indices in groups.items()]


def resolve(
    qnames: Sequence[str], rdtype: str = "A", **options: object
) -> list[Answer]:
    """Synchronous resolve_async() for callers without an event loop."""
    return asyncio.run(resolve_async(qnames, rdtype, **options))  # type: ignore[arg-type]
