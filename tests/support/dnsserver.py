"""A loopback authoritative DNS server that serves the tests' own zones.

UDP and TCP on 127.0.0.1, one free port for both. Each zone can misbehave on
purpose: SERVFAIL, REFUSED, silence, slow answers, truncated UDP (so the
client must ask again over TCP), or a wildcard that answers every name (a
list that "lists" everything, a parked zone outside 127/8, an in-band
refusal code). Every query is logged so tests can see what was asked and how.
"""

import contextlib
import socket
import struct
import threading
from dataclasses import dataclass, field
from enum import StrEnum

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset


class Behaviour(StrEnum):
    NORMAL = "normal"
    SERVFAIL = "servfail"
    REFUSED = "refused"
    SILENT = "silent"  # never answers: the client times out
    SLOW = "slow"  # answers after `delay` seconds
    TRUNCATE = "truncate"  # UDP answers carry TC and nothing else; TCP answers fully
    WRONG_ID = "wrong_id"  # answers "listed" with another query id (a forgery)
    WRONG_QUESTION = "wrong_question"  # answers "listed" for another name


@dataclass
class Zone:
    name: str
    a: dict[str, list[str]] = field(
        default_factory=dict
    )  # owner (relative) -> A values
    txt: dict[str, list[str]] = field(default_factory=dict)
    wildcard: list[str] = field(default_factory=list)  # A values for every name
    behaviour: Behaviour = Behaviour.NORMAL
    delay: float = 0.0
    ttl: int = 300
    per_name: dict[str, Behaviour] = field(
        default_factory=dict
    )  # owner -> misbehaviour

    def origin(self) -> dns.name.Name:
        return dns.name.from_text(self.name)


@dataclass(frozen=True)
class Query:
    name: str
    rdtype: str
    transport: str  # "udp" or "tcp"
    query_id: int = 0
    source_port: int = 0


class DNSServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.zones: dict[dns.name.Name, Zone] = {}
        self.queries: list[Query] = []
        # A resolver that refuses everything (the root's canary question too).
        self.refuse_all = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def add_zone(self, zone: Zone) -> Zone:
        with self._lock:
            self.zones[zone.origin()] = zone
        return zone

    def queries_for(self, name: str) -> list[Query]:
        """Queries for this name or any name below it."""
        absolute = name.rstrip(".") + "."
        with self._lock:
            return [
                q
                for q in self.queries
                if q.name == absolute or q.name.endswith("." + absolute)
            ]

    # --- answering ---------------------------------------------------------
    def _zone_for(self, qname: dns.name.Name) -> Zone | None:
        with self._lock:
            matches = [
                z for origin, z in self.zones.items() if qname.is_subdomain(origin)
            ]
        return max(matches, key=lambda z: len(z.origin()), default=None)

    def _values(
        self, zone: Zone, qname: dns.name.Name, rdtype: int
    ) -> list[str] | None:
        """Values for the name; [] when it lacks this type; None for NXDOMAIN."""
        owner = qname.relativize(zone.origin()).to_text()
        if zone.wildcard:
            a_values, txt_values = zone.wildcard, [f"wildcard answer for {owner}"]
        elif owner in zone.a or owner in zone.txt:
            a_values, txt_values = zone.a.get(owner, []), zone.txt.get(owner, [])
        else:
            return None
        if rdtype == dns.rdatatype.A:
            return a_values
        if rdtype == dns.rdatatype.TXT:
            return [f'"{t}"' for t in txt_values]
        return []

    def answer(
        self, wire: bytes, transport: str, source_port: int = 0
    ) -> tuple[bytes | None, float]:
        """The reply to send (None: stay silent) and how long to wait first."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None, 0.0
        question = query.question[0]
        with self._lock:
            self.queries.append(
                Query(
                    question.name.to_text(),
                    dns.rdatatype.to_text(question.rdtype),
                    transport,
                    query.id,
                    source_port,
                )
            )
        response = dns.message.make_response(query)
        if self.refuse_all:
            response.set_rcode(dns.rcode.REFUSED)
            return response.to_wire(), 0.0
        if question.name == dns.name.root:  # the canary: a resolver at work
            if question.rdtype == dns.rdatatype.NS:
                response.answer.append(
                    dns.rrset.from_text(".", 86400, "IN", "NS", "a.root.test.")
                )
            return response.to_wire(), 0.0
        zone = self._zone_for(question.name)
        if zone is None:
            response.set_rcode(dns.rcode.REFUSED)
            return response.to_wire(), 0.0
        owner = question.name.relativize(zone.origin()).to_text()
        behaviour = zone.per_name.get(owner, zone.behaviour)
        if behaviour is Behaviour.SILENT:
            return None, 0.0
        if behaviour is Behaviour.SERVFAIL:
            response.set_rcode(dns.rcode.SERVFAIL)
            return response.to_wire(), 0.0
        if behaviour is Behaviour.REFUSED:
            response.set_rcode(dns.rcode.REFUSED)
            return response.to_wire(), 0.0
        response.flags |= dns.flags.AA
        if zone.behaviour is Behaviour.TRUNCATE and transport == "udp":
            response.flags |= dns.flags.TC
            return response.to_wire(), 0.0
        if zone.behaviour in (Behaviour.WRONG_ID, Behaviour.WRONG_QUESTION):
            return self._forged(query, zone), 0.0
        values = self._values(zone, question.name, question.rdtype)
        if values is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif values:
            response.answer.append(
                dns.rrset.from_text(
                    question.name, zone.ttl, "IN", question.rdtype, *values
                )
            )
        delay = zone.delay if zone.behaviour is Behaviour.SLOW else 0.0
        return response.to_wire(), delay

    @staticmethod
    def _forged(query: dns.message.Message, zone: Zone) -> bytes:
        """A "listed" answer that does not belong to the query."""
        question = query.question[0]
        name = question.name
        if zone.behaviour is Behaviour.WRONG_QUESTION:
            name = dns.name.from_text("99.99.99.99." + zone.name)
        forged = dns.message.make_query(name, question.rdtype)
        forged.id = (
            query.id ^ 0x5A5A if zone.behaviour is Behaviour.WRONG_ID else query.id
        )
        response = dns.message.make_response(forged)
        response.answer.append(dns.rrset.from_text(name, 300, "IN", "A", "127.0.0.2"))
        return response.to_wire()

    # --- transports --------------------------------------------------------
    def _serve_udp(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                wire, peer = sock.recvfrom(65535)
            except OSError:
                return
            if peer is None:  # the socket was shut down
                return
            reply, delay = self.answer(wire, "udp", peer[1])
            if reply is None:
                continue
            if delay:
                threading.Timer(delay, self._send_quietly, (sock, reply, peer)).start()
            else:
                self._send_quietly(sock, reply, peer)

    @staticmethod
    def _send_quietly(sock: socket.socket, reply: bytes, peer: tuple[str, int]) -> None:
        with contextlib.suppress(OSError):
            sock.sendto(reply, peer)

    def _serve_tcp_client(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.settimeout(5)
            while True:
                header = conn.recv(2, socket.MSG_WAITALL)
                if len(header) < 2:
                    return
                (length,) = struct.unpack("!H", header)
                reply, delay = self.answer(conn.recv(length, socket.MSG_WAITALL), "tcp")
                if reply is None:
                    continue
                if delay:
                    self._stop.wait(delay)
                conn.sendall(struct.pack("!H", len(reply)) + reply)

    def _serve_tcp(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            threading.Thread(
                target=self._serve_tcp_client, args=(conn,), daemon=True
            ).start()

    def _bind(self) -> tuple[socket.socket, socket.socket]:
        """A UDP and a TCP socket on the same free port."""
        for _ in range(20):
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind((self.host, 0))
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                tcp.bind((self.host, udp.getsockname()[1]))
            except OSError:
                udp.close()
                tcp.close()
                continue
            tcp.listen(64)
            return udp, tcp
        raise RuntimeError("no free port for both UDP and TCP on loopback")

    def start(self) -> "DNSServer":
        self._udp, self._tcp = self._bind()
        self.port = self._udp.getsockname()[1]
        for target, sock in (
            (self._serve_udp, self._udp),
            (self._serve_tcp, self._tcp),
        ):
            thread = threading.Thread(target=target, args=(sock,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for sock in (self._udp, self._tcp):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in self._threads:
            thread.join(timeout=2)
