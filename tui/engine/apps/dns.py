"""DNS on the wire: message helpers, the C library's stub resolver, and Docker's embedded DNS server.

Why it is modelled at this depth: service discovery is half of what the Swarm
lessons teach, and learners watch it with ``tcpdump -i lo`` inside a container.
So the queries a tool sends (A and AAAA together, as glibc's getaddrinfo does,
search domains and ``ndots`` as resolv.conf says) and the answers Docker's
resolver gives (TTL 600, RA set, not authoritative, names not compressed,
NXDOMAIN relayed from the host's resolvers) are real DNS messages.

:class:`EmbeddedResolver` follows libnetwork's resolver.go / resolver_unix.go:
it listens on 127.0.0.11 at random ports (UDP and TCP) inside the container's
namespace and installs the ``DOCKER_OUTPUT`` (DNAT ``127.0.0.11:53`` to those
ports) and ``DOCKER_POSTROUTING`` (SNAT back to ``:53``) nat rules with
``iptables`` in that namespace, so a client still talks to ``127.0.0.11:53``.
Names it does not own are forwarded to the upstream servers (at most 3, 4 s
each) from the container's namespace, as libnetwork does for every upstream
that is not a loopback address of the host (those go from the host's
namespace: pass ``host_ns``). Queries that arrive over TCP are answered over
TCP but forwarded over UDP (libnetwork would forward them over TCP; the
simulated upstream servers only speak UDP).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tui.engine.addr import int_to_ip
from tui.engine.clock import SEC, US
from tui.engine.process import Waiter, sleep_or

if TYPE_CHECKING:
    from tui.engine.netns import Namespace
    from tui.engine.pkt import Pkt
    from tui.engine.tcp import Conn

T_A, T_NS, T_CNAME, T_SOA, T_PTR, T_MX, T_TXT, T_AAAA, T_SRV, T_OPT, T_ANY = 1, 2, 5, 6, 12, 15, 16, 28, 33, 41, 255
TYPE_NAMES = {T_A: "A", T_NS: "NS", T_CNAME: "CNAME", T_SOA: "SOA", T_PTR: "PTR", T_MX: "MX", T_TXT: "TXT",
              T_AAAA: "AAAA", T_SRV: "SRV", T_ANY: "ANY"}
RCODES = ("NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
          "NXRRSET", "NOTAUTH", "NOTZONE", "11", "12", "13", "14", "15")
NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED = 0, 1, 2, 3, 4, 5
QR, AA, TC, RD, RA, AD, CD = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080, 0x0020, 0x0010

RESOLVER_IP = 0x7F00000B  # 127.0.0.11
RESP_TTL = 600  # libnetwork respTTL
MAX_EXT_DNS = 3  # libnetwork maxExtDNS
EXT_IO_TIMEOUT = 4 * SEC  # libnetwork extIOTimeout
DEFAULT_RESP_SIZE = 512
RESOLVER_DELAY = 40 * US  # dockerd's Go resolver answering one query


# --------------------------------------------------------------------------- messages


def encode_name(name: str) -> bytes:
    """Uncompressed wire form of a name ("" or "." is the root)."""
    return b"".join(bytes((len(p),)) + p.encode("ascii", "replace")[:63]
                    for p in name.rstrip(".").split(".") if p) + b"\x00"


def read_name(msg: bytes, pos: int) -> tuple[str, int]:
    """A possibly compressed name at ``pos``: (dotted name without the final dot, position after it)."""
    labels: list[str] = []
    end = -1
    hops = 0
    while pos < len(msg):
        n = msg[pos]
        if n == 0:
            pos += 1
            break
        if n & 0xC0 == 0xC0:
            if pos + 1 >= len(msg) or hops > 64:
                raise ValueError("bad pointer")
            if end < 0:
                end = pos + 2
            pos = (n & 0x3F) << 8 | msg[pos + 1]
            hops += 1
            continue
        labels.append(msg[pos + 1:pos + 1 + n].decode("ascii", "replace"))
        pos += 1 + n
    else:
        raise ValueError("name runs off the message")
    return ".".join(labels), (end if end >= 0 else pos)


@dataclass
class Question:
    name: str
    qtype: int
    qclass: int = 1


@dataclass
class RR:
    """A resource record; ``rdata`` stays raw, ``rdata_at`` lets names inside it be decompressed."""

    name: str
    rtype: int
    rclass: int
    ttl: int
    rdata: bytes
    rdata_at: int = 0

    def address(self) -> int | None:
        return int.from_bytes(self.rdata, "big") if self.rtype == T_A and len(self.rdata) == 4 else None

    def target(self, msg: bytes) -> str:
        """The domain name in a PTR/CNAME/NS record (decompressed against the whole message)."""
        return read_name(msg, self.rdata_at)[0]


@dataclass
class Message:
    id: int
    flags: int
    questions: list[Question] = field(default_factory=list)
    answers: list[RR] = field(default_factory=list)
    authority: list[RR] = field(default_factory=list)
    additional: list[RR] = field(default_factory=list)
    raw: bytes = b""

    @property
    def rcode(self) -> int:
        return self.flags & 0xF

    @property
    def opt(self) -> RR | None:
        return next((rr for rr in self.additional if rr.rtype == T_OPT), None)

    def addresses(self) -> list[int]:
        return [a for rr in self.answers if (a := rr.address()) is not None]


def parse_message(data: bytes) -> Message | None:
    """Decode a DNS message; None if it is malformed."""
    if len(data) < 12:
        return None
    try:
        qid, flags, qd, an, ns_, ar = struct.unpack_from("!HHHHHH", data, 0)
        msg = Message(qid, flags, raw=bytes(data))
        pos = 12
        for _ in range(qd):
            name, pos = read_name(data, pos)
            qtype, qclass = struct.unpack_from("!HH", data, pos)
            pos += 4
            msg.questions.append(Question(name, qtype, qclass))
        for count, section in ((an, msg.answers), (ns_, msg.authority), (ar, msg.additional)):
            for _ in range(count):
                name, pos = read_name(data, pos)
                rtype, rclass, ttl, rdlen = struct.unpack_from("!HHIH", data, pos)
                pos += 10
                if pos + rdlen > len(data):
                    return None
                section.append(RR(name, rtype, rclass, ttl, bytes(data[pos:pos + rdlen]), pos))
                pos += rdlen
    except (struct.error, ValueError):
        return None
    return msg


def build_query(qid: int, name: str, qtype: int, *, rd: bool = True, ad: bool = False, edns_size: int = 0) -> bytes:
    """A query as a stub resolver sends it (``edns_size``: add an OPT record with that UDP size)."""
    flags = (RD if rd else 0) | (AD if ad else 0)
    out = struct.pack("!HHHHHH", qid, flags, 1, 0, 0, 1 if edns_size else 0)
    out += encode_name(name) + struct.pack("!HH", qtype, 1)
    if edns_size:
        out += b"\x00" + struct.pack("!HHIH", T_OPT, edns_size, 0, 0)
    return out


def rr_wire(name: str, rtype: int, ttl: int, rdata: bytes) -> bytes:
    return encode_name(name) + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata


def reverse_name(addr: int) -> str:
    return f"{addr & 255}.{(addr >> 8) & 255}.{(addr >> 16) & 255}.{addr >> 24}.in-addr.arpa"


def parse_reverse(name: str) -> int | None:
    """The IPv4 address of ``d.c.b.a.in-addr.arpa`` (None for anything else)."""
    low = name.lower().rstrip(".")
    if not low.endswith(".in-addr.arpa"):
        return None
    parts = low[: -len(".in-addr.arpa")].split(".")
    if len(parts) != 4 or not all(p.isdigit() and int(p) < 256 for p in parts):
        return None
    d, c, b, a = (int(p) for p in parts)
    return a << 24 | b << 16 | c << 8 | d


# --------------------------------------------------------------------------- resolv.conf


@dataclass
class ResolvConf:
    """What the C library takes from /etc/resolv.conf."""

    nameservers: list[int] = field(default_factory=list)
    search: list[str] = field(default_factory=list)
    ndots: int = 1
    timeout: int = 5
    attempts: int = 2
    edns0: bool = False
    trust_ad: bool = False


def read_resolv_conf(fs: Any) -> ResolvConf:
    from tui.shell.resolve import parse_ipv4

    conf = ResolvConf()
    data = fs.read("/etc/resolv.conf") or b""
    for line in data.decode(errors="replace").splitlines():
        parts = line.split("#", 1)[0].split(";", 1)[0].split()
        if len(parts) < 2:
            continue
        key, args = parts[0], parts[1:]
        if key == "nameserver" and len(conf.nameservers) < 3:
            ip = parse_ipv4(args[0])
            if ip is not None:
                conf.nameservers.append(ip)
        elif key in ("search", "domain"):
            conf.search = [s.rstrip(".") for s in args if s != "."][:6]
        elif key == "options":
            for opt in args:
                name, _, val = opt.partition(":")
                if name == "ndots" and val.isdigit():
                    conf.ndots = min(int(val), 15)
                elif name == "timeout" and val.isdigit():
                    conf.timeout = max(1, min(int(val), 30))
                elif name == "attempts" and val.isdigit():
                    conf.attempts = max(1, min(int(val), 5))
                elif name == "edns0":
                    conf.edns0 = True
                elif name == "trust-ad":
                    conf.trust_ad = True
    return conf


# --------------------------------------------------------------------------- the client side


def udp_exchange(ns: Namespace, server: int, queries: list[bytes], *, timeout: int,
                 resend_every: int | None = None, port: int = 53,
                 on_reply: Callable[[int, bytes], None] | None = None) -> Generator[Any, Any, dict[int, bytes]]:
    """Send ``queries`` from one fresh socket and collect the replies matching their ids.

    Unanswered queries are sent again every ``resend_every`` (busybox nslookup's
    retry); the exchange ends when all are answered or ``timeout`` has passed.
    ``on_reply(index, reply)`` runs as each reply arrives (for tools that print
    answers in arrival order).
    """
    ids = {q[0] << 8 | q[1]: i for i, q in enumerate(queries)}
    got: dict[int, bytes] = {}
    wake = [Waiter()]

    def handler(pkt: Pkt, src: int, sport: int, dst: int, dport: int, payload: bytes) -> None:
        if src != server or sport != port or len(payload) < 12 or not payload[2] & 0x80:
            return
        idx = ids.get(payload[0] << 8 | payload[1])
        if idx is None or idx in got:
            return
        got[idx] = bytes(payload)
        if on_reply is not None:
            on_reply(idx, got[idx])
        wake[0].fire()

    lport = ns.ephemeral_port()
    sock = ns.udp_bind(0, lport, handler)
    if sock is None:
        return got
    clock = ns.clock
    start = clock.now
    try:
        last_send = start
        for q in queries:
            if ns.udp_send(None, server, lport, port, q) is not None:
                return got
        while len(got) < len(queries):
            now = clock.now
            deadline = start + timeout
            if now >= deadline:
                break
            until = deadline
            if resend_every:
                if now - last_send >= resend_every:
                    for i, q in enumerate(queries):
                        if i not in got:
                            ns.udp_send(None, server, lport, port, q)
                    last_send = now
                until = min(until, last_send + resend_every)
            wake[0] = Waiter()
            yield sleep_or(clock, wake[0], max(0, until - now))
    finally:
        sock.close()
    return got


def search_candidates(name: str, conf: ResolvConf) -> list[str]:
    """The names res_search tries, in order (absolute first when the name has ``ndots`` dots)."""
    if name.endswith("."):
        return [name.rstrip(".")]
    with_search = [f"{name}.{d}" for d in conf.search]
    if name.count(".") >= conf.ndots:
        return [name, *with_search]
    return [*with_search, name]


def getaddrinfo(sandbox: Any, name: str, *, style: str = "glibc", want_aaaa: bool = True,
                trace: Callable[[str], None] | None = None) -> Generator[Any, Any, tuple[list[int], str]]:
    """The IPv4 addresses a C program gets for ``name``: /etc/hosts, then DNS as resolv.conf says.

    Returns ``(addresses, error)`` where error is ``""``, ``"NXDOMAIN"`` (EAI_NONAME:
    the name does not exist or has no address) or ``"EAI_AGAIN"`` (no server
    answered). ``style`` is the C library: ``glibc`` sends the A and AAAA queries
    together from one socket (with EDNS0 and the AD bit when resolv.conf's options
    ask for them); ``musl`` does the same with the AD bit always set; ``uclibc``
    asks A, then AAAA.
    """
    from tui.shell.resolve import hosts_lookup, parse_ipv4

    ip = parse_ipv4(name)
    if ip is not None:
        return [ip], ""
    if not name or any(c.isspace() for c in name) or len(name) > 253:
        return [], "NXDOMAIN"
    ip = hosts_lookup(sandbox.fs, name)
    if ip is not None:
        return [ip], ""
    conf = read_resolv_conf(sandbox.fs)
    if not conf.nameservers:
        conf.nameservers = [0x7F000001]  # no nameserver line: the C library asks the local host
    ns = sandbox.netns
    rng = sandbox.host.lab.rng
    timed_out = False
    for cand in search_candidates(name, conf):
        answered = False
        for _attempt in range(conf.attempts):
            for server in conf.nameservers:
                ad = conf.trust_ad or style == "musl"
                edns = 1200 if conf.edns0 and style == "glibc" else 0
                qa = build_query(rng.randrange(65536), cand, T_A, ad=ad, edns_size=edns)
                queries = [qa]
                if want_aaaa:
                    queries.append(build_query(rng.randrange(65536), cand, T_AAAA, ad=ad, edns_size=edns))
                if trace is not None:
                    trace(cand)
                if style == "uclibc":
                    got = yield from udp_exchange(ns, server, queries[:1], timeout=conf.timeout * SEC)
                    if 0 in got and want_aaaa:
                        more = yield from udp_exchange(ns, server, queries[1:], timeout=conf.timeout * SEC)
                        if 0 in more:
                            got[1] = more[0]
                else:
                    got = yield from udp_exchange(ns, server, queries, timeout=conf.timeout * SEC)
                if 0 not in got:
                    timed_out = True
                    continue
                reply = parse_message(got[0])
                if reply is None:
                    continue
                if reply.rcode in (SERVFAIL, REFUSED):
                    continue  # the next server may know better
                answered = True
                addrs = reply.addresses()
                if reply.rcode == NOERROR and addrs:
                    return addrs, ""
                break
            if answered:
                break
    return [], "EAI_AGAIN" if timed_out else "NXDOMAIN"


# --------------------------------------------------------------------------- Docker's embedded DNS


Lookup = Callable[[str], "list[int] | None"]
Reverse = Callable[[int], "str | None"]


class EmbeddedResolver:
    """Docker's embedded DNS server (libnetwork ``Resolver``) inside one container namespace.

    ``lookup(name)`` gives the IPv4 addresses for a name Docker owns (service VIP,
    ``tasks.<svc>``, container names, aliases), or None when the name is not
    Docker's: the query is then forwarded to ``upstream`` (the host's resolvers).
    ``reverse(ip)`` gives the PTR name (``<container>.<network>``) or None.
    ``upstream`` may also be a callable returning the current list. The resolver
    starts at once (``autostart=False`` to call :meth:`start` later); ``stop``
    closes its sockets when the container stops.
    """

    def __init__(self, ns: Namespace, lookup: Lookup, reverse: Reverse | None = None,
                 upstream: list[int] | Callable[[], list[int]] | None = None, *,
                 host_ns: Namespace | None = None, address: int = RESOLVER_IP, autostart: bool = True) -> None:
        self.ns = ns
        self.lookup = lookup
        self.reverse = reverse or (lambda _ip: None)
        self._upstream = upstream if upstream is not None else []
        self.host_ns = host_ns
        self.address = address
        self.udp_port = 0
        self.tcp_port = 0
        self._sock: Any = None
        self.queries = 0
        self.forwarded = 0
        self.started = False
        if autostart:
            self.start()

    @property
    def upstream(self) -> list[int]:
        ups = self._upstream() if callable(self._upstream) else self._upstream
        return list(ups)[:MAX_EXT_DNS]

    # --- setup ------------------------------------------------------------------------------------
    def start(self) -> EmbeddedResolver:
        """SetupFunc + Start: listen on random ports of 127.0.0.11, then program the nat rules."""
        if self.started:
            return self
        from tui.engine.tcp import stack

        rng = self.ns.host.lab.rng
        while True:
            port = 32768 + rng.randrange(60999 - 32768)
            if (self.address, port) not in self.ns.udp_sockets and (0, port) not in self.ns.udp_sockets:
                break
        self.udp_port = port
        self._sock = self.ns.udp_bind(self.address, self.udp_port, self._udp_query)
        tcp = stack(self.ns)
        while True:
            # listen(2) on port 0 takes an odd port in Linux; connect(2) takes the even ones
            port = 32769 + 2 * rng.randrange((60999 - 32769) // 2)
            if port != self.udp_port and not tcp.port_in_use(port):
                break
        self.tcp_port = port
        tcp.listen(self.address, self.tcp_port, self._tcp_accept)
        self.setup_iptables()
        self.started = True
        return self

    def stop(self) -> None:
        """Stop answering (the rules stay, as libnetwork leaves them in the namespace)."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self.ns.tcp is not None:
            self.ns.tcp.unlisten(self.address, self.tcp_port)
        self.started = False

    def iptables_rules(self) -> list[list[str]]:
        """The four rules of resolver_unix.go's setupIPTable, in the order it inserts them."""
        rip = int_to_ip(self.address)
        return [
            ["-t", "nat", "-I", "DOCKER_OUTPUT", "-d", rip, "-p", "udp", "--dport", "53", "-j", "DNAT",
             "--to-destination", f"{rip}:{self.udp_port}"],
            ["-t", "nat", "-I", "DOCKER_POSTROUTING", "-s", rip, "-p", "udp", "--sport", str(self.udp_port),
             "-j", "SNAT", "--to-source", ":53"],
            ["-t", "nat", "-I", "DOCKER_OUTPUT", "-d", rip, "-p", "tcp", "--dport", "53", "-j", "DNAT",
             "--to-destination", f"{rip}:{self.tcp_port}"],
            ["-t", "nat", "-I", "DOCKER_POSTROUTING", "-s", rip, "-p", "tcp", "--sport", str(self.tcp_port),
             "-j", "SNAT", "--to-source", ":53"],
        ]

    def setup_iptables(self) -> None:
        nf = self.ns.netfilter
        if nf is None:
            return
        rip = int_to_ip(self.address)
        for chain, hook in (("DOCKER_OUTPUT", "OUTPUT"), ("DOCKER_POSTROUTING", "POSTROUTING")):
            flag = "-d"
            status, _out, _err = nf.execute(["-t", "nat", "-C", hook, flag, rip, "-j", chain])
            if status == 0:
                nf.run(["-t", "nat", "-F", chain])
            else:
                nf.run(["-t", "nat", "-N", chain])
                nf.run(["-t", "nat", "-I", hook, flag, rip, "-j", chain])
        for rule in self.iptables_rules():
            nf.run(rule)

    # --- answering ----------------------------------------------------------------------------------
    def answer(self, query: bytes, max_size: int) -> bytes | None:
        """The local answer to ``query``, or None when it must be forwarded (or dropped)."""
        msg = parse_message(query)
        if msg is None or len(msg.questions) != 1 or msg.flags & QR:
            return None
        q = msg.questions[0]
        qname = q.name  # as the client spelled it; answers repeat it
        key = qname.lower().rstrip(".")
        if q.qtype in (T_A, T_AAAA, T_MX):
            addrs = self.lookup(key)
            if addrs is None:
                return None
            if q.qtype == T_A and addrs:
                addrs = list(addrs)
                if len(addrs) > 1:
                    self._shuffle(addrs)
                answers = [rr_wire(qname, T_A, RESP_TTL, a.to_bytes(4, "big")) for a in addrs]
            else:
                answers = []  # AAAA of a name without IPv6 / "implicit MX": an empty NOERROR
            return self._reply(msg, q, answers, max_size)
        if q.qtype == T_PTR:
            addr = parse_reverse(qname)
            if addr is None:
                return None
            host = self.reverse(addr)
            if not host:
                return None
            return self._reply(msg, q, [rr_wire(qname, T_PTR, RESP_TTL, encode_name(host))], max_size)
        return None

    def _shuffle(self, addrs: list[int]) -> None:
        rng = self.ns.host.lab.rng
        for i in range(len(addrs) - 1, 0, -1):
            j = rng.randrange(i + 1)
            addrs[i], addrs[j] = addrs[j], addrs[i]

    def _reply(self, query: Message, q: Question, answers: list[bytes], max_size: int) -> bytes:
        """SetReply + RA: id, RD and CD copied, QR and RA set, AA clear; names uncompressed."""
        flags = QR | (query.flags & (0x7800 | RD | CD)) | RA
        question = encode_name(q.name) + struct.pack("!HH", q.qtype, q.qclass)
        while True:
            body = b"".join(answers)
            out = struct.pack("!HHHHHH", query.id, flags, 1, len(answers), 0, 0) + question + body
            if len(out) <= max_size or not answers:
                return out
            flags |= TC  # truncateResp: drop answers until it fits, and say so
            answers = answers[:-1]

    def _udp_query(self, pkt: Pkt, src: int, sport: int, dst: int, dport: int, payload: bytes) -> None:
        self.queries += 1
        msg = parse_message(payload)
        max_size = DEFAULT_RESP_SIZE
        if msg is not None and msg.opt is not None:
            max_size = max(msg.opt.rclass, DEFAULT_RESP_SIZE)

        def send(reply: bytes) -> None:
            self.ns.udp_send(dst, src, dport, sport, reply)

        self._serve(bytes(payload), max_size, send)

    def _serve(self, query: bytes, max_size: int, send: Callable[[bytes], None]) -> None:
        reply = self.answer(query, max_size)
        if reply is not None:
            self.ns.clock.call_later(RESOLVER_DELAY, send, reply)
            return
        msg = parse_message(query)
        if msg is None or len(msg.questions) != 1 or msg.flags & QR:
            return
        if msg.questions[0].qtype == T_PTR and parse_reverse(msg.questions[0].name) is None \
                and not msg.questions[0].name.lower().rstrip(".").endswith(".ip6.arpa"):
            return  # "invalid PTR query": logged and dropped
        self.forwarded += 1
        self._forward(query, 0, None, send)

    def _forward(self, query: bytes, index: int, last: bytes | None, send: Callable[[bytes], None]) -> None:
        """Try the upstream servers in order; relay the first useful answer (or the last NXDOMAIN)."""
        ups = self.upstream
        if index >= len(ups):
            if last is not None:
                send(last)
            return  # nobody answered: the client times out, as with libnetwork
        server = ups[index]
        src_ns = self.host_ns if self.host_ns is not None and server >> 24 == 127 else self.ns
        state: dict[str, Any] = {"done": False}
        port = src_ns.ephemeral_port()
        qid = query[0] << 8 | query[1]

        def finish(next_last: bytes | None, advance: bool, reply: bytes | None = None) -> None:
            if state["done"]:
                return
            state["done"] = True
            sock.close()
            timer.cancel()
            if advance:
                self._forward(query, index + 1, next_last, send)
            elif reply is not None:
                self.ns.clock.call_later(RESOLVER_DELAY, send, reply)

        def on_reply(pkt: Pkt, s: int, sp: int, d: int, dp: int, payload: bytes) -> None:
            if s != server or sp != 53 or len(payload) < 12 or (payload[0] << 8 | payload[1]) != qid:
                return
            resp = parse_message(payload)
            if resp is None:
                finish(last, True)
                return
            if resp.rcode in (SERVFAIL, REFUSED):
                finish(last, True)
            elif resp.rcode == NXDOMAIN and not resp.flags & AA:
                finish(bytes(payload), True)  # non-authoritative NXDOMAIN: ask the next one, keep this
            elif resp.rcode in (NOERROR, NXDOMAIN):
                finish(None, False, bytes(payload))
            else:
                finish(last, True)

        sock = src_ns.udp_bind(0, port, on_reply)
        timer = self.ns.clock.call_later(EXT_IO_TIMEOUT, lambda: finish(last, True))
        if sock is None or src_ns.udp_send(None, server, port, 53, query) is not None:
            if sock is not None:
                finish(last, True)
            else:
                timer.cancel()
                self._forward(query, index + 1, last, send)

    # --- DNS over TCP ------------------------------------------------------------------------------
    def _tcp_accept(self, conn: Conn) -> None:
        buf = bytearray()

        def on_data(c: Conn, data: bytes) -> None:
            buf.extend(data)
            while len(buf) >= 2:
                size = buf[0] << 8 | buf[1]
                if len(buf) < 2 + size:
                    return
                query = bytes(buf[2:2 + size])
                del buf[:2 + size]
                self.queries += 1
                self._serve(query, 65534, lambda reply, c=c: c.send(len(reply).to_bytes(2, "big") + reply))

        def on_close(c: Conn, _err: str) -> None:
            c.close()

        conn.nodelay = True
        conn.on_data = on_data
        conn.on_close = on_close

