"""Netfilter semantics: traversal, targets, conntrack states, NAT and its checksums.

Packets are built with scapy (an independent oracle) and every rewritten frame is checked
with a from-scratch RFC 1071 checksum, including the header quoted inside ICMP errors.
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import Ether

from tui.engine.netfilter import (
    SEC,
    IptablesError,
    Netfilter,
    nat_rewrite,
    parse_rule_args,
)
from tui.engine.pkt import Pkt, hops


def ip(text: str) -> int:
    a, b, c, d = (int(x) for x in text.split("."))
    return a << 24 | b << 16 | c << 8 | d


class FakeClock:
    def __init__(self) -> None:
        self.now = 0


class FakeNS:
    """The members of a namespace that netfilter uses."""

    def __init__(self) -> None:
        self.where = "host1/root"
        self.clock = FakeClock()
        self.local = {ip("10.0.0.5"), ip("127.0.0.1"), ip("172.17.0.1")}
        self.masq = {"eth0": ip("10.0.0.5"), "docker0": ip("172.17.0.1")}
        self.errors: list[tuple[bytes, int, int]] = []
        self.resets: list[bytes] = []

    def addr_type(self, addr: int) -> str:
        if addr in self.local:
            return "LOCAL"
        if addr == 0xFFFFFFFF:
            return "BROADCAST"
        if addr >> 28 == 0xE:
            return "MULTICAST"
        return "UNICAST"

    def masquerade_source(self, out_dev: str, dst: int) -> int | None:
        return self.masq.get(out_dev)

    def primary_addr(self, dev: str, dst: int | None = None) -> int | None:
        return self.masq.get(dev)

    def send_icmp_error(self, pkt: Pkt, icmp_type: int, icmp_code: int) -> None:
        self.errors.append((pkt.data, icmp_type, icmp_code))

    def send_tcp_reset(self, pkt: Pkt) -> None:
        self.resets.append(pkt.data)

    def link_names(self) -> list[str]:
        return ["lo", "eth0", "docker0"]


@pytest.fixture
def ns() -> FakeNS:
    return FakeNS()


@pytest.fixture
def nf(ns: FakeNS) -> Netfilter:
    return Netfilter(ns)


MAC1, MAC2 = "02:00:00:00:00:01", "02:00:00:00:00:02"


def frame(layer: object) -> Pkt:
    return Pkt(bytes(Ether(src=MAC1, dst=MAC2) / layer), 0)  # type: ignore[operator]


def tcp(src: str, sport: int, dst: str, dport: int, flags: str = "S") -> Pkt:
    return frame(IP(src=src, dst=dst) / TCP(sport=sport, dport=dport, flags=flags))


def udp(src: str, sport: int, dst: str, dport: int, payload: bytes = b"hello") -> Pkt:
    return frame(IP(src=src, dst=dst) / UDP(sport=sport, dport=dport) / payload)


def ping(src: str, dst: str, ident: int = 7, reply: bool = False) -> Pkt:
    return frame(IP(src=src, dst=dst) / ICMP(type=0 if reply else 8, id=ident, seq=1) / (b"x" * 8))


def icmp_error(src: str, dst: str, about: Pkt, itype: int = 3, code: int = 3) -> Pkt:
    quoted = Ether(about.data)[IP]
    inner = bytes(quoted)[: (quoted.ihl * 4) + 8]
    return frame(IP(src=src, dst=dst) / ICMP(type=itype, code=code) / inner)


def view(pkt: Pkt) -> tuple[str, int, str, int]:
    p = Ether(pkt.data)[IP]
    l4 = p.payload
    sport = getattr(l4, "sport", getattr(l4, "id", 0))
    dport = getattr(l4, "dport", 0)
    return p.src, sport, p.dst, dport


def _sum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def assert_checksums(pkt: Pkt) -> None:
    """Every checksum in the frame verifies (RFC 1071: the one's-complement sum is 0xFFFF)."""
    d = pkt.data
    off = pkt.l3
    ihl = (d[off] & 15) * 4
    tot = struct.unpack_from("!H", d, off + 2)[0]
    assert _sum(d[off:off + ihl]) == 0xFFFF, "IP header checksum"
    proto = d[off + 9]
    seg = d[off + ihl:off + tot]
    if proto in (6, 17):
        if proto == 17 and struct.unpack_from("!H", seg, 6)[0] == 0:
            return
        pseudo = d[off + 12:off + 20] + struct.pack("!BBH", 0, proto, len(seg))
        assert _sum(pseudo + seg) == 0xFFFF, "L4 checksum"
    elif proto == 1:
        assert _sum(seg) == 0xFFFF, "ICMP checksum"
        if seg[0] in (3, 4, 5, 11, 12):
            inner = seg[8:]
            assert _sum(inner[:(inner[0] & 15) * 4]) == 0xFFFF, "quoted IP header checksum"


def forward(nf: Netfilter, pkt: Pkt, in_dev: str, out_dev: str) -> bool:
    return (nf.hook("PREROUTING", pkt, in_dev, "") and nf.hook("FORWARD", pkt, in_dev, out_dev)
            and nf.hook("POSTROUTING", pkt, in_dev, out_dev))


def deliver(nf: Netfilter, pkt: Pkt, in_dev: str) -> bool:
    return nf.hook("PREROUTING", pkt, in_dev, "") and nf.hook("INPUT", pkt, in_dev, "")


def send(nf: Netfilter, pkt: Pkt, out_dev: str) -> bool:
    return nf.hook("OUTPUT", pkt, "", out_dev) and nf.hook("POSTROUTING", pkt, "", out_dev)


def counts(nf: Netfilter, table: str, chain: str) -> list[int]:
    return [r.pkts for r in nf.rules(table, chain)]


# --------------------------------------------------------------------------- basics


def test_empty_netfilter_is_inactive_and_accepts(nf: Netfilter) -> None:
    assert not nf.active
    pkt = udp("10.0.0.9", 1000, "10.0.0.5", 53)
    assert deliver(nf, pkt, "eth0")
    nf.run(["-A", "INPUT", "-j", "ACCEPT"])
    assert nf.active
    nf.run(["-F"])
    assert not nf.active
    nf.run(["-P", "FORWARD", "DROP"])
    assert nf.active
    nf.run(["-P", "FORWARD", "ACCEPT"])
    nf.run(["-N", "EMPTY"])
    assert not nf.active


def test_policy_drop_and_counters_use_ip_total_length(nf: Netfilter) -> None:
    nf.run(["-P", "INPUT", "DROP"])
    nf.run(["-A", "INPUT", "-p", "udp", "--dport", "53", "-j", "ACCEPT"])
    ok = udp("10.0.0.9", 1000, "10.0.0.5", 53, b"x" * 10)
    bad = udp("10.0.0.9", 1000, "10.0.0.5", 54, b"x" * 100)
    assert deliver(nf, ok, "eth0")
    assert not deliver(nf, bad, "eth0")
    rule = nf.rules("filter", "INPUT")[0]
    assert (rule.pkts, rule.bytes) == (1, 20 + 8 + 10)
    text = nf.run(["-nvxL", "INPUT"])
    assert text.splitlines()[0] == "Chain INPUT (policy DROP 1 packets, 128 bytes)"
    assert hops(bad.trace)[-1].action == "drop"
    assert "policy DROP" in hops(bad.trace)[-1].detail
    nf.run(["-Z"])
    assert (rule.pkts, rule.bytes) == (0, 0)
    assert "policy DROP 0 packets, 0 bytes" in nf.run(["-nvL", "INPUT"])


def test_jump_return_and_goto(nf: Netfilter) -> None:
    for cmd in (
        "-N A", "-N B", "-N G",
        "-A INPUT -j A",
        "-A INPUT -p udp -j DROP",  # reached after A returns
        "-A A -p udp --dport 1 -j RETURN",
        "-A A -p udp --dport 2 -j B",
        "-A A -p udp --dport 3 -g G",
        "-A A -p udp -j ACCEPT",
        "-A B -j RETURN",
        "-A G -p udp --dport 3 -j RETURN",  # goto: returns past A, to INPUT
    ):
        nf.run(cmd.split())
    assert not deliver(nf, udp("1.1.1.1", 5, "10.0.0.5", 1), "eth0")  # RETURN -> DROP
    assert deliver(nf, udp("1.1.1.1", 5, "10.0.0.5", 2), "eth0")  # B returns -> A accepts
    assert not deliver(nf, udp("1.1.1.1", 5, "10.0.0.5", 3), "eth0")  # G returns to INPUT
    assert deliver(nf, udp("1.1.1.1", 5, "10.0.0.5", 4), "eth0")
    assert counts(nf, "filter", "INPUT") == [4, 2]
    assert counts(nf, "filter", "A") == [1, 1, 1, 2]
    assert "Chain A (1 references)" in nf.run(["-L", "-n"])


def test_return_in_builtin_chain_applies_policy(nf: Netfilter) -> None:
    nf.run(["-P", "INPUT", "DROP"])
    nf.run(["-A", "INPUT", "-j", "RETURN"])
    nf.run(["-A", "INPUT", "-j", "ACCEPT"])
    assert not deliver(nf, udp("1.1.1.1", 5, "10.0.0.5", 1), "eth0")


def test_matches(nf: Netfilter) -> None:
    rules = [
        "-s 10.0.0.0/8 ! -d 10.0.0.7",
        "-i eth+ -p tcp --syn",
        "-p tcp -m multiport --dports 22,8000:8080",
        "-p icmp --icmp-type echo-request",
        "-p udp ! --sport 1:1023",
        "-m addrtype --dst-type LOCAL",
        "! -i lo -p tcp --tcp-flags SYN,ACK ACK",
        "-m comment --comment hi -p 47",
    ]
    for r in rules:
        nf.run(["-A", "INPUT", *r.split()])
    deliver(nf, tcp("10.1.1.1", 999, "10.0.0.5", 8001), "eth0")
    deliver(nf, ping("192.168.1.1", "10.0.0.5"), "eth1")
    deliver(nf, udp("192.168.1.1", 5353, "10.0.0.7", 53), "eth0")
    deliver(nf, tcp("192.168.1.1", 999, "8.8.8.8", 22, "A"), "eth0")
    deliver(nf, frame(IP(src="1.2.3.4", dst="10.0.0.5", proto=47) / b"gre!"), "eth0")
    assert counts(nf, "filter", "INPUT") == [1, 1, 2, 1, 1, 3, 1, 1]


def test_mark_target_and_match(nf: Netfilter) -> None:
    nf.run(["-t", "mangle", "-A", "PREROUTING", "-p", "udp", "--dport", "4789", "-j", "MARK",
            "--set-mark", "0x100"])
    nf.run(["-t", "mangle", "-A", "PREROUTING", "-j", "MARK", "--or-mark", "0x1"])
    nf.run(["-A", "INPUT", "-m", "mark", "--mark", "0x100/0xff00", "-j", "DROP"])
    pkt = udp("10.0.0.9", 1000, "10.0.0.5", 4789)
    assert not deliver(nf, pkt, "eth0")
    assert pkt.mark == 0x101
    assert any(h.action == "MARK" and h.detail == "0x100" for h in hops(pkt.trace))
    other = udp("10.0.0.9", 1000, "10.0.0.5", 53)
    assert deliver(nf, other, "eth0")
    assert other.mark == 1


def test_ipvs_match_uses_the_meta_flag(nf: Netfilter) -> None:
    nf.run(["-t", "nat", "-A", "POSTROUTING", "-d", "10.0.1.0/24", "-m", "ipvs", "--ipvs",
            "-j", "SNAT", "--to-source", "10.0.1.2"])
    plain = udp("10.0.0.9", 1000, "10.0.1.5", 53)
    assert forward(nf, plain, "eth0", "eth1")
    assert view(plain)[0] == "10.0.0.9"
    lb = udp("10.0.0.9", 1001, "10.0.1.5", 53)
    lb.meta = {"ipvs": True}
    assert forward(nf, lb, "eth0", "eth1")
    assert view(lb)[0] == "10.0.1.2"
    assert_checksums(lb)
    assert "ipvs to:10.0.1.2" in nf.run(["-t", "nat", "-nL", "POSTROUTING"])


def test_log_counts_and_continues(nf: Netfilter) -> None:
    nf.run(["-A", "INPUT", "-j", "LOG", "--log-prefix", "IN: "])
    nf.run(["-A", "INPUT", "-j", "DROP"])
    pkt = udp("10.0.0.9", 1000, "10.0.0.5", 53)
    assert not deliver(nf, pkt, "eth0")
    assert counts(nf, "filter", "INPUT") == [1, 1]
    log = [h for h in hops(pkt.trace) if h.action == "LOG"]
    assert log and log[0].detail.startswith("IN: IN=eth0 OUT= SRC=10.0.0.9 DST=10.0.0.5")


# --------------------------------------------------------------------------- REJECT


def test_reject_sends_port_unreachable_by_default(nf: Netfilter, ns: FakeNS) -> None:
    nf.run(["-A", "INPUT", "-p", "udp", "--dport", "9", "-j", "REJECT"])
    pkt = udp("10.0.0.9", 1000, "10.0.0.5", 9)
    assert not deliver(nf, pkt, "eth0")
    assert [(t, c) for _d, t, c in ns.errors] == [(3, 3)]
    assert any(h.action == "REJECT" and h.detail == "icmp-port-unreachable" for h in hops(pkt.trace))
    assert pkt.meta and pkt.meta.get("rejected")


def test_reject_with_variants(nf: Netfilter, ns: FakeNS) -> None:
    nf.run(["-A", "INPUT", "-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset"])
    nf.run(["-A", "INPUT", "-p", "udp", "-j", "REJECT", "--reject-with", "icmp-host-prohibited"])
    nf.run(["-A", "INPUT", "-p", "icmp", "-j", "REJECT", "--reject-with", "admin-prohib"])
    assert not deliver(nf, tcp("10.0.0.9", 1000, "10.0.0.5", 25), "eth0")
    assert len(ns.resets) == 1
    assert not deliver(nf, tcp("10.0.0.9", 1000, "10.0.0.5", 25, "R"), "eth0")
    assert len(ns.resets) == 1  # never a reset for a reset
    assert not deliver(nf, udp("10.0.0.9", 1000, "10.0.0.5", 53), "eth0")
    about = udp("10.0.0.5", 53, "10.0.0.9", 1000)
    assert not deliver(nf, icmp_error("10.0.0.9", "10.0.0.5", about), "eth0")
    assert [(t, c) for _d, t, c in ns.errors] == [(3, 10)]  # no error about an error


def test_reject_is_refused_outside_filter_input_forward_output(nf: Netfilter) -> None:
    with pytest.raises(IptablesError) as e:
        nf.run(["-t", "mangle", "-A", "PREROUTING", "-j", "REJECT"])
    assert e.value.status == 1
    assert str(e.value) == "iptables: Invalid argument. Run `dmesg' for more information."


def test_rejected_dnat_connection_gets_its_error_un_natted(nf: Netfilter, ns: FakeNS) -> None:
    nf.run(["-t", "nat", "-A", "PREROUTING", "-p", "udp", "--dport", "53", "-j", "DNAT",
            "--to-destination", "172.17.0.2:5353"])
    nf.run(["-A", "FORWARD", "-j", "REJECT"])
    query = udp("10.0.0.9", 1000, "10.0.0.5", 53)
    assert not forward(nf, query, "eth0", "docker0")
    (quoted, t, c), = ns.errors
    err = icmp_error("10.0.0.5", "10.0.0.9", Pkt(quoted, 0))
    assert send(nf, err, "eth0")
    outer = Ether(err.data)[IP]
    inner = IP(bytes(outer[ICMP].payload))
    assert (outer.src, outer.dst) == ("10.0.0.5", "10.0.0.9")
    assert (inner.src, inner.dst, inner[UDP].dport) == ("10.0.0.9", "10.0.0.5", 53)
    assert_checksums(err)
    assert nf.conntrack.entries() == []  # the rejected connection was never confirmed


# --------------------------------------------------------------------------- conntrack


def add_state_counters(nf: Netfilter, chain: str) -> None:
    for state in ("NEW", "ESTABLISHED", "RELATED", "INVALID"):
        nf.run(["-A", chain, "-m", "conntrack", "--ctstate", state])


def test_conntrack_states_for_ping(nf: Netfilter) -> None:
    add_state_counters(nf, "INPUT")
    add_state_counters(nf, "OUTPUT")
    req = ping("10.0.0.5", "8.8.8.8", ident=42)
    assert send(nf, req, "eth0")
    assert counts(nf, "filter", "OUTPUT") == [1, 0, 0, 0]
    assert deliver(nf, ping("8.8.8.8", "10.0.0.5", ident=42, reply=True), "eth0")
    assert counts(nf, "filter", "INPUT") == [0, 1, 0, 0]
    assert deliver(nf, ping("8.8.8.8", "10.0.0.5", ident=43, reply=True), "eth0")
    assert counts(nf, "filter", "INPUT") == [0, 1, 0, 1]  # an answer nobody asked for
    assert send(nf, ping("10.0.0.5", "8.8.8.8", ident=42), "eth0")
    assert counts(nf, "filter", "OUTPUT") == [1, 1, 0, 0]
    (conn,) = nf.conntrack.entries()
    line = conn.line(nf.ns.clock.now)
    assert line.startswith("icmp     1 30 src=10.0.0.5 dst=8.8.8.8 type=8 code=0 id=42")
    assert "src=8.8.8.8 dst=10.0.0.5 type=0 code=0 id=42" in line


def test_icmp_error_about_tracked_udp_is_related(nf: Netfilter) -> None:
    add_state_counters(nf, "INPUT")
    out = udp("10.0.0.5", 4000, "8.8.8.8", 33434)
    assert send(nf, out, "eth0")
    assert deliver(nf, icmp_error("8.8.8.8", "10.0.0.5", out), "eth0")
    stray = udp("10.0.0.5", 4001, "8.8.8.8", 33434)
    assert deliver(nf, icmp_error("8.8.8.8", "10.0.0.5", stray), "eth0")
    assert counts(nf, "filter", "INPUT") == [0, 0, 1, 1]


def test_tcp_handshake_states_and_assured(nf: Netfilter) -> None:
    add_state_counters(nf, "FORWARD")
    assert forward(nf, tcp("10.0.0.9", 5000, "172.17.0.2", 80, "S"), "eth0", "docker0")
    (conn,) = nf.conntrack.entries()
    assert conn.state == "SYN_SENT" and not conn.seen_reply
    assert forward(nf, tcp("172.17.0.2", 80, "10.0.0.9", 5000, "SA"), "docker0", "eth0")
    assert conn.state == "SYN_RECV" and conn.seen_reply and not conn.assured
    assert forward(nf, tcp("10.0.0.9", 5000, "172.17.0.2", 80, "A"), "eth0", "docker0")
    assert conn.state == "ESTABLISHED" and conn.assured
    assert conn.timeout_left(nf.ns.clock.now) == 432000
    assert counts(nf, "filter", "FORWARD") == [1, 2, 0, 0]
    assert forward(nf, tcp("10.0.0.9", 5000, "172.17.0.2", 80, "FA"), "eth0", "docker0")
    assert conn.state == "FIN_WAIT"
    assert forward(nf, tcp("172.17.0.2", 80, "10.0.0.9", 5000, "FA"), "docker0", "eth0")
    assert conn.state == "LAST_ACK"
    assert forward(nf, tcp("10.0.0.9", 5000, "172.17.0.2", 80, "A"), "eth0", "docker0")
    assert conn.state == "TIME_WAIT"
    assert conn.timeout_left(nf.ns.clock.now) == 120
    # A RST or a stray SYN/ACK without a connection is INVALID.
    assert forward(nf, tcp("10.0.0.9", 6000, "172.17.0.2", 80, "R"), "eth0", "docker0")
    assert forward(nf, tcp("10.0.0.9", 6001, "172.17.0.2", 80, "SA"), "eth0", "docker0")
    assert counts(nf, "filter", "FORWARD")[3] == 2


def test_timeouts_expire_lazily_in_virtual_time(nf: Netfilter, ns: FakeNS) -> None:
    add_state_counters(nf, "OUTPUT")
    assert send(nf, udp("10.0.0.5", 4000, "8.8.8.8", 53), "eth0")
    ns.clock.now += 29 * SEC
    assert send(nf, udp("10.0.0.5", 4000, "8.8.8.8", 53), "eth0")
    assert counts(nf, "filter", "OUTPUT")[:2] == [2, 0]  # still NEW: no reply yet
    ns.clock.now += 31 * SEC
    assert nf.conntrack.entries() == []
    assert send(nf, udp("10.0.0.5", 4000, "8.8.8.8", 53), "eth0")
    assert deliver(nf, udp("8.8.8.8", 53, "10.0.0.5", 4000), "eth0")
    (conn,) = nf.conntrack.entries()
    assert conn.assured and conn.timeout_left(ns.clock.now) == 120
    ns.clock.now += 119 * SEC
    assert len(nf.conntrack.entries()) == 1
    ns.clock.now += 2 * SEC
    assert nf.conntrack.entries() == []


# --------------------------------------------------------------------------- NAT


def publish_port(nf: Netfilter) -> None:
    """What `docker run -p 8080:80` installs."""
    for cmd in (
        ["-t", "nat", "-N", "DOCKER"],
        ["-t", "nat", "-A", "PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "DOCKER"],
        ["-t", "nat", "-A", "OUTPUT", "!", "-d", "127.0.0.0/8", "-m", "addrtype", "--dst-type",
         "LOCAL", "-j", "DOCKER"],
        ["-t", "nat", "-A", "POSTROUTING", "-s", "172.17.0.0/16", "!", "-o", "docker0", "-j",
         "MASQUERADE"],
        ["-t", "nat", "-A", "DOCKER", "-i", "docker0", "-j", "RETURN"],
        ["-t", "nat", "-A", "DOCKER", "!", "-i", "docker0", "-p", "tcp", "-m", "tcp", "--dport",
         "8080", "-j", "DNAT", "--to-destination", "172.17.0.2:80"],
        ["-A", "FORWARD", "-o", "docker0", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED",
         "-j", "ACCEPT"],
        ["-A", "FORWARD", "-d", "172.17.0.2/32", "!", "-i", "docker0", "-o", "docker0", "-p",
         "tcp", "-m", "tcp", "--dport", "80", "-j", "ACCEPT"],
        ["-A", "FORWARD", "-i", "docker0", "!", "-o", "docker0", "-j", "ACCEPT"],
        ["-P", "FORWARD", "DROP"],
    ):
        nf.run(cmd)


def test_dnat_then_reply_is_un_natted(nf: Netfilter) -> None:
    publish_port(nf)
    syn = tcp("10.0.0.9", 40000, "10.0.0.5", 8080, "S")
    assert forward(nf, syn, "eth0", "docker0")
    assert view(syn) == ("10.0.0.9", 40000, "172.17.0.2", 80)
    assert_checksums(syn)
    hop = next(h for h in hops(syn.trace) if h.action == "DNAT")
    assert hop.detail == "10.0.0.5:8080 -> 172.17.0.2:80"
    synack = tcp("172.17.0.2", 80, "10.0.0.9", 40000, "SA")
    assert forward(nf, synack, "docker0", "eth0")
    assert view(synack) == ("10.0.0.5", 8080, "10.0.0.9", 40000)
    assert_checksums(synack)
    assert any(h.action == "un-DNAT" for h in hops(synack.trace))
    ack = tcp("10.0.0.9", 40000, "10.0.0.5", 8080, "A")
    assert forward(nf, ack, "eth0", "docker0")
    assert view(ack)[2:] == ("172.17.0.2", 80)
    # The nat chains saw the first packet only; replies skip them entirely.
    assert counts(nf, "nat", "DOCKER") == [0, 1]
    assert counts(nf, "nat", "PREROUTING") == [1]
    assert counts(nf, "nat", "POSTROUTING") == [0]
    (conn,) = nf.conntrack.entries()
    assert "src=172.17.0.2 dst=10.0.0.9 sport=80 dport=40000 [ASSURED]" in conn.line(0)


def test_dnat_state_bit_and_conntrack_nat_count(nf: Netfilter, ns: FakeNS) -> None:
    publish_port(nf)
    nf.run(["-I", "FORWARD", "-m", "conntrack", "--ctstate", "DNAT"])
    assert forward(nf, tcp("10.0.0.9", 40000, "10.0.0.5", 8080, "S"), "eth0", "docker0")
    assert counts(nf, "filter", "FORWARD")[0] == 1
    for table in ("filter", "nat"):
        nf.run(["-t", table, "-F"])
        nf.run(["-t", table, "-X"])
    nf.run(["-P", "FORWARD", "ACCEPT"])
    assert nf.active  # a NATed connection is still alive
    reply = tcp("172.17.0.2", 80, "10.0.0.9", 40000, "SA")
    assert forward(nf, reply, "docker0", "eth0")
    assert view(reply)[:2] == ("10.0.0.5", 8080)
    ns.clock.now += 121 * SEC
    assert not nf.active


def test_masquerade_and_port_clash(nf: Netfilter) -> None:
    publish_port(nf)
    a = udp("172.17.0.2", 5000, "8.8.8.8", 53)
    b = udp("172.17.0.3", 5000, "8.8.8.8", 53)
    assert forward(nf, a, "docker0", "eth0") and forward(nf, b, "docker0", "eth0")
    assert view(a) == ("10.0.0.5", 5000, "8.8.8.8", 53)
    assert view(b)[0] == "10.0.0.5" and view(b)[1] != 5000
    assert_checksums(a)
    assert_checksums(b)
    assert any(h.action == "MASQUERADE" for h in hops(a.trace))
    for original, translated in ((a, view(a)), (b, view(b))):
        answer = udp("8.8.8.8", 53, "10.0.0.5", translated[1], b"answer")
        assert forward(nf, answer, "eth0", "docker0")
        assert view(answer)[2:] == view_orig(original)
        assert_checksums(answer)
        assert any(h.action == "un-MASQUERADE" for h in hops(answer.trace))


def view_orig(pkt: Pkt) -> tuple[str, int]:
    hop = next(h for h in hops(pkt.trace) if h.action == "MASQUERADE")
    addr, port = hop.detail.split(" -> ")[0].split(":")
    return addr, int(port)


def test_masquerade_without_source_address_drops(nf: Netfilter, ns: FakeNS) -> None:
    nf.run(["-t", "nat", "-A", "POSTROUTING", "-o", "eth9", "-j", "MASQUERADE"])
    pkt = udp("172.17.0.2", 5000, "8.8.8.8", 53)
    assert not forward(nf, pkt, "docker0", "eth9")
    assert hops(pkt.trace)[-1].action == "drop"


def test_snat_ping_and_un_snat_of_the_echo_reply(nf: Netfilter) -> None:
    nf.run(["-t", "nat", "-A", "POSTROUTING", "-p", "icmp", "-j", "SNAT", "--to-source",
            "10.0.0.5"])
    req = ping("172.17.0.2", "8.8.8.8", ident=99)
    assert forward(nf, req, "docker0", "eth0")
    assert view(req)[:2] == ("10.0.0.5", 99)
    assert_checksums(req)
    rep = ping("8.8.8.8", "10.0.0.5", ident=99, reply=True)
    assert forward(nf, rep, "eth0", "docker0")
    assert view(rep)[2] == "172.17.0.2"
    assert_checksums(rep)


def test_snat_port_only_like_docker_dns(nf: Netfilter) -> None:
    nf.run(["-t", "nat", "-A", "POSTROUTING", "-s", "127.0.0.11/32", "-p", "udp", "-m", "udp",
            "--sport", "38291", "-j", "SNAT", "--to-source", ":53"])
    nf.run(["-t", "nat", "-A", "OUTPUT", "-d", "127.0.0.11/32", "-p", "udp", "-m", "udp",
            "--dport", "53", "-j", "DNAT", "--to-destination", "127.0.0.11:38291"])
    q = udp("172.18.0.2", 41000, "127.0.0.11", 53)
    assert send(nf, q, "lo")
    assert view(q) == ("172.18.0.2", 41000, "127.0.0.11", 38291)
    assert deliver(nf, q, "lo")  # looped back: same conntrack entry, no second lookup
    answer = udp("127.0.0.11", 38291, "172.18.0.2", 41000)
    assert send(nf, answer, "lo")
    assert view(answer) == ("127.0.0.11", 53, "172.18.0.2", 41000)
    assert_checksums(answer)
    assert len(nf.conntrack.entries()) == 1


def test_redirect_in_output_goes_to_loopback(nf: Netfilter) -> None:
    nf.run(["-t", "nat", "-A", "OUTPUT", "-p", "tcp", "--dport", "80", "-j", "REDIRECT",
            "--to-ports", "8080"])
    nf.run(["-t", "nat", "-A", "PREROUTING", "-p", "tcp", "--dport", "81", "-j", "REDIRECT"])
    pkt = tcp("10.0.0.5", 1234, "1.2.3.4", 80)
    assert send(nf, pkt, "eth0")
    assert view(pkt)[2:] == ("127.0.0.1", 8080)
    inbound = tcp("1.2.3.4", 1234, "9.9.9.9", 81)
    assert deliver(nf, inbound, "eth0")
    assert view(inbound)[2:] == ("10.0.0.5", 81)
    assert any(h.action == "REDIRECT" for h in hops(inbound.trace))


def test_related_icmp_error_of_dnat_connection_is_rewritten_back(nf: Netfilter) -> None:
    publish_port(nf)
    nf.run(["-t", "nat", "-A", "DOCKER", "!", "-i", "docker0", "-p", "udp", "--dport", "9999",
            "-j", "DNAT", "--to-destination", "172.17.0.2:7"])
    nf.run(["-A", "FORWARD", "-d", "172.17.0.2", "-p", "udp", "-j", "ACCEPT"])
    query = udp("10.0.0.9", 4000, "10.0.0.5", 9999)
    assert forward(nf, query, "eth0", "docker0")
    err = icmp_error("172.17.0.2", "10.0.0.9", query)
    nf.run(["-I", "FORWARD", "-m", "state", "--state", "RELATED"])
    assert forward(nf, err, "docker0", "eth0")
    outer = Ether(err.data)[IP]
    inner = IP(bytes(outer[ICMP].payload))
    assert (outer.src, outer.dst) == ("10.0.0.5", "10.0.0.9")
    assert (inner.src, inner.dst, inner[UDP].sport, inner[UDP].dport) == (
        "10.0.0.9", "10.0.0.5", 4000, 9999)
    assert_checksums(err)
    assert any(h.action == "un-DNAT (icmp error)" for h in hops(err.trace))
    assert counts(nf, "filter", "FORWARD")[0] == 1


def test_nat_rules_must_be_in_their_hooks(nf: Netfilter) -> None:
    with pytest.raises(IptablesError, match="Invalid argument"):
        nf.run(["-t", "nat", "-A", "POSTROUTING", "-j", "DNAT", "--to-destination", "1.1.1.1"])
    nf.run(["-t", "nat", "-N", "C"])
    nf.run(["-t", "nat", "-A", "C", "-j", "MASQUERADE"])
    with pytest.raises(IptablesError, match="Invalid argument"):
        nf.run(["-t", "nat", "-A", "PREROUTING", "-j", "C"])
    nf.run(["-t", "nat", "-A", "POSTROUTING", "-j", "C"])
    assert nf.rules("nat", "PREROUTING") == []


@given(src=st.integers(1, 2**32 - 1), dst=st.integers(1, 2**32 - 1),
       sport=st.integers(0, 65535), dport=st.integers(0, 65535),
       proto=st.sampled_from(["tcp", "udp"]), payload=st.binary(max_size=40))
@settings(max_examples=150, deadline=None)
def test_nat_rewrite_keeps_checksums_valid(src: int, dst: int, sport: int, dport: int,
                                           proto: str, payload: bytes) -> None:
    l4 = TCP(sport=1, dport=2) if proto == "tcp" else UDP(sport=1, dport=2)
    pkt = frame(IP(src="10.1.2.3", dst="10.4.5.6") / l4 / payload)
    pkt.data = nat_rewrite(pkt.data, 14, src, dst, sport, dport)
    assert_checksums(pkt)
    p = Ether(pkt.data)[IP]
    assert (ip(p.src), ip(p.dst), p.payload.sport, p.payload.dport) == (src, dst, sport, dport)


# --------------------------------------------------------------------------- API


def test_api_with_parsed_rules(nf: Netfilter) -> None:
    rule = parse_rule_args(["-s", "10.0.0.0/8", "-p", "tcp", "--dport", "22", "-j", "ACCEPT"])
    nf.append("filter", "INPUT", rule)
    nf.insert("filter", "INPUT", parse_rule_args(["-j", "DROP"]), 1)
    assert [r.target_name for r in nf.rules("filter", "INPUT")] == ["DROP", "ACCEPT"]
    assert nf.check("filter", "INPUT", parse_rule_args(["-s", "10.0.0.0/255.0.0.0", "-p", "tcp",
                                                        "-m", "tcp", "--dport", "22", "-j", "ACCEPT"]))
    nf.delete("filter", "INPUT", parse_rule_args(["-p", "tcp", "-s", "10.1.2.3/8", "--dport", "22",
                                                  "-j", "ACCEPT"]))
    nf.replace("filter", "INPUT", 1, parse_rule_args(["-j", "ACCEPT"]))
    nf.new_chain("filter", "MINE")
    nf.append("filter", "INPUT", parse_rule_args(["-j", "MINE"]))
    assert nf.chains("filter") == ["INPUT", "FORWARD", "OUTPUT", "MINE"]
    with pytest.raises(IptablesError) as e:
        nf.delete_chain("filter", "MINE")
    assert (str(e.value), e.value.status) == ("iptables: Too many links.", 1)
    nf.delete("filter", "INPUT", 2)
    assert nf.delete_chain("filter", "MINE") == ["MINE"]
    nf.set_policy("filter", "OUTPUT", "DROP")
    assert nf.policy("filter", "OUTPUT") == "DROP"
    assert nf.zero("filter") == ["INPUT", "FORWARD", "OUTPUT"]
    assert nf.flush("filter") == ["INPUT", "FORWARD", "OUTPUT"]
    with pytest.raises(IptablesError, match="Bad rule"):
        nf.delete("filter", "INPUT", parse_rule_args(["-j", "ACCEPT"]))
    with pytest.raises(IptablesError, match="Couldn't load target `NOPE'"):
        nf.append("filter", "INPUT", parse_rule_args(["-j", "NOPE"]))


def test_parse_rule_args_errors() -> None:
    with pytest.raises(IptablesError) as e:
        parse_rule_args(["-p", "tcp", "--dport", "99999"])
    assert e.value.status == 2
    assert str(e.value).splitlines() == [
        "iptables v1.8.4 (legacy): invalid port/service `99999' specified",
        "Try `iptables -h' or 'iptables --help' for more information.",
    ]
    with pytest.raises(IptablesError, match="unknown option"):
        parse_rule_args(["--sport", "1"])


def test_loops_reachable_from_a_hook_are_refused(nf: Netfilter) -> None:
    nf.run(["-N", "X"])
    nf.run(["-N", "Y"])
    nf.run(["-A", "X", "-j", "Y"])
    nf.run(["-A", "Y", "-j", "X"])  # not reachable from a built-in chain: allowed
    with pytest.raises(IptablesError) as e:
        nf.run(["-A", "INPUT", "-j", "X"])
    assert (str(e.value), e.value.status) == ("iptables: Too many levels of symbolic links.", 1)
    assert nf.rules("filter", "INPUT") == []


def test_table_errors(nf: Netfilter) -> None:
    status, out, err = nf.execute(["-t", "bogus", "-L"])
    assert status == 3 and out == ""
    assert err == ("iptables v1.8.4 (legacy): can't initialize iptables table `bogus': Table does "
                   "not exist (do you need to insmod?)\nPerhaps iptables or your kernel needs to be "
                   "upgraded.\n")
    assert nf.execute(["-L", "NOPE"]) == (1, "", "iptables: No chain/target/match by that name.\n")


def test_listing_in_1_8_4_names_protocols_with_n(nf: Netfilter) -> None:
    publish_port(nf)
    assert nf.run(["-t", "nat", "-L", "-n"]) == """\
Chain PREROUTING (policy ACCEPT)
target     prot opt source               destination         
DOCKER     all  --  0.0.0.0/0            0.0.0.0/0            ADDRTYPE match dst-type LOCAL

Chain INPUT (policy ACCEPT)
target     prot opt source               destination         

Chain OUTPUT (policy ACCEPT)
target     prot opt source               destination         
DOCKER     all  --  0.0.0.0/0           !127.0.0.0/8          ADDRTYPE match dst-type LOCAL

Chain POSTROUTING (policy ACCEPT)
target     prot opt source               destination         
MASQUERADE  all  --  172.17.0.0/16        0.0.0.0/0           

Chain DOCKER (2 references)
target     prot opt source               destination         
RETURN     all  --  0.0.0.0/0            0.0.0.0/0           
DNAT       tcp  --  0.0.0.0/0            0.0.0.0/0            tcp dpt:8080 to:172.17.0.2:80
"""  # noqa: W291
    nf.iptables_version = "1.8.9"
    assert "DNAT       6    --  0.0.0.0/0" in nf.run(["-t", "nat", "-L", "-n"])


def test_kmg_counters(nf: Netfilter) -> None:
    for p, b in ((99999, 100000), (100499, 99500), (9999499, 9999500),
                 (1234567890123, 12345678901234567)):
        nf.run(["-A", "INPUT", "-c", str(p), str(b)])
    lines = nf.run(["-nvL", "INPUT"]).splitlines()[2:]
    assert [ln[:12] for ln in lines] == ["99999  100K ", " 100K 99500 ", "9999K   10M ",
                                         "1235G 12346T"]


def test_messages_differ_between_releases(nf: Netfilter) -> None:
    """1.8.9 dropped the extra newline some messages had; 1.8.4 still prints the blank line."""
    hint = "Try `iptables -h' or 'iptables --help' for more information.\n"
    assert nf.execute(["-L", "-A", "INPUT"]) == (
        2, "", f"iptables v1.8.4 (legacy): Cannot use -A with -L\n\n{hint}")
    assert nf.execute(["-A", "INPUT", "-n"])[2] == (
        f"iptables v1.8.4 (legacy): Illegal option `-n' with this command\n\n{hint}")
    assert "--wait-interval -W [usecs]" in nf.run(["-h"])
    nf.iptables_version = "1.8.9"
    assert nf.execute(["-L", "-A", "INPUT"])[2] == (
        f"iptables v1.8.9 (legacy): Cannot use -A with -L\n{hint}")
    assert "--wait-interval" not in nf.run(["-h"])


def test_ipvs_vaddr_listing_and_match(nf: Netfilter) -> None:
    nf.run(["-t", "mangle", "-A", "OUTPUT", "-m", "ipvs", "--vaddr", "10.0.0.2/32", "--vport",
            "80", "-j", "MARK", "--set-mark", "1"])
    assert nf.run(["-t", "mangle", "-S", "OUTPUT"]).splitlines()[1] == (
        "-A OUTPUT -m ipvs --vaddr 10.0.0.2 --vport 80 -j MARK --set-xmark 0x1/0xffffffff")
    assert "vaddr 10.0.0.2 vport 80 MARK set 0x1" in nf.run(["-t", "mangle", "-nL", "OUTPUT"])
    hit = udp("10.0.0.5", 1000, "10.0.1.7", 80)
    hit.meta = {"ipvs": True, "ipvs_vaddr": ip("10.0.0.2"), "ipvs_vport": 80}
    miss = udp("10.0.0.5", 1000, "10.0.1.7", 80)
    miss.meta = {"ipvs": True, "ipvs_vaddr": ip("10.0.0.3"), "ipvs_vport": 80}
    assert send(nf, hit, "eth0") and send(nf, miss, "eth0")
    assert (hit.mark, miss.mark) == (1, 0)
