"""Packet builders produce the same bytes as scapy for the same fields; parsers round-trip."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.engine import packets as P
from tui.engine.addr import (
    IP_PROTOCOL_NAMES,
    IP_PROTOCOLS,
    TCP_SERVICES,
    UDP_SERVICES,
    int_to_ip,
    ip_bytes,
    ip_to_int,
    mac_str,
    mac_to_bytes,
    service_port,
)

pytest.importorskip("scapy")

MA = mac_to_bytes("02:42:0a:00:01:03")
MB = mac_to_bytes("02:42:0a:00:01:05")
A = ip_to_int("10.0.1.3")
B = ip_to_int("10.0.1.5")

ips = st.integers(0, 0xFFFFFFFF)
ports = st.integers(0, 0xFFFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
payloads = st.binary(max_size=200)


def _sc():
    """Lazily import the scapy layers the tests compare with."""
    from scapy.layers.dns import DNS, DNSQR, DNSRR
    from scapy.layers.inet import ICMP, IP, TCP, UDP
    from scapy.layers.ipsec import ESP
    from scapy.layers.l2 import ARP, Ether
    from scapy.layers.vxlan import VXLAN
    from scapy.packet import Raw

    return {
        "DNS": DNS, "DNSQR": DNSQR, "DNSRR": DNSRR, "ICMP": ICMP, "IP": IP, "TCP": TCP,
        "UDP": UDP, "ESP": ESP, "ARP": ARP, "Ether": Ether, "VXLAN": VXLAN, "Raw": Raw,
    }


# --------------------------------------------------------------------------- addr


def test_addr_helpers() -> None:
    assert ip_to_int("10.0.1.3") == 0x0A000103
    assert int_to_ip(0x0A000103) == "10.0.1.3"
    assert ip_bytes(0x0A000103) == b"\x0a\x00\x01\x03"
    assert mac_to_bytes("02:42:0A:00:01:03") == bytes.fromhex("02420a000103")
    assert mac_str(bytes.fromhex("02420a000103")) == "02:42:0a:00:01:03"
    for bad in ("10.0.1", "10.0.1.256", "a.b.c.d", "1.2.3.4.5", ""):
        with pytest.raises(ValueError):
            ip_to_int(bad)
    with pytest.raises(ValueError):
        mac_to_bytes("02:42:0a:00:01")


def test_netbase_tables() -> None:
    assert TCP_SERVICES[80] == "http" and UDP_SERVICES[53] == "domain"
    assert 4789 not in UDP_SERVICES and 7946 not in TCP_SERVICES and 2377 not in TCP_SERVICES
    assert service_port("www", "tcp") == 80 and service_port("http", "udp") is None
    assert IP_PROTOCOLS["esp"] == 50 and IP_PROTOCOLS["IPSEC-ESP"] == 50
    assert IP_PROTOCOL_NAMES[17] == "udp" and IP_PROTOCOL_NAMES[0] == "ip"


@given(ips)
def test_ip_text_roundtrip(a: int) -> None:
    assert ip_to_int(int_to_ip(a)) == a


# --------------------------------------------------------------------------- builders vs scapy


def test_ether_arp_matches_scapy() -> None:
    s = _sc()
    req = P.ether(P.BROADCAST_MAC, MA, P.ETH_P_ARP, P.arp(1, MA, A, P.ZERO_MAC, B))
    ref = bytes(s["Ether"](dst="ff:ff:ff:ff:ff:ff", src=mac_str(MA)) / s["ARP"](
        op=1, hwsrc=mac_str(MA), psrc="10.0.1.3", hwdst="00:00:00:00:00:00", pdst="10.0.1.5"))
    assert req == ref and len(req) == 42
    rep = P.ether(MA, MB, P.ETH_P_ARP, P.arp(2, MB, B, MA, A))
    ref = bytes(s["Ether"](dst=mac_str(MA), src=mac_str(MB)) / s["ARP"](
        op=2, hwsrc=mac_str(MB), psrc="10.0.1.5", hwdst=mac_str(MA), pdst="10.0.1.3"))
    assert rep == ref
    padded = P.ether(MA, MB, P.ETH_P_ARP, P.arp(2, MB, B, MA, A), pad=True)
    assert len(padded) == 60 and padded[:42] == rep and padded[42:] == bytes(18)


@settings(max_examples=150)
@given(ips, ips, st.integers(0, 255), payloads, st.integers(0, 255), u16, st.booleans(), st.integers(0, 255))
def test_ipv4_matches_scapy(src: int, dst: int, proto: int, payload: bytes, ttl: int, ident: int, df: bool, tos: int) -> None:
    s = _sc()
    mine = P.ipv4(src, dst, proto, payload, ttl=ttl, ident=ident, df=df, tos=tos)
    ref = bytes(s["IP"](src=int_to_ip(src), dst=int_to_ip(dst), proto=proto, ttl=ttl, id=ident,
                         flags="DF" if df else 0, tos=tos) / s["Raw"](payload))
    assert mine == ref
    assert P.ip_checksum(mine[:20]) == 0
    h = P.parse_ipv4(mine, 0)
    assert (h.src, h.dst, h.proto, h.ttl, h.ident, h.df, h.tos, h.total_len, h.ihl, h.payload_offset) == (
        src, dst, proto, ttl, ident, df, tos, 20 + len(payload), 20, 20)


def test_ipv4_fragment_fields() -> None:
    s = _sc()
    mine = P.ipv4(A, B, 17, bytes(16), ident=7, mf=True, frag_offset=1480)
    ref = bytes(s["IP"](src="10.0.1.3", dst="10.0.1.5", proto=17, id=7, flags="MF", frag=185) / s["Raw"](bytes(16)))
    assert mine == ref
    h = P.parse_ipv4(mine, 0)
    assert h.mf and not h.df and h.frag_offset == 1480


@settings(max_examples=150)
@given(st.sampled_from([0, 8]), u16, u16, payloads)
def test_icmp_echo_matches_scapy(kind: int, ident: int, seq: int, payload: bytes) -> None:
    s = _sc()
    mine = P.icmp_echo(kind, ident, seq, payload)
    assert mine == bytes(s["ICMP"](type=kind, id=ident, seq=seq) / s["Raw"](payload))
    h = P.parse_icmp(mine, 0)
    assert (h.type, h.code, h.ident, h.seq, h.payload_offset) == (kind, 0, ident, seq, 8)
    assert P.ip_checksum(mine) == 0


@settings(max_examples=60)
@given(st.sampled_from([(3, 3), (3, 1), (3, 4), (11, 0), (3, 13)]), st.binary(min_size=28, max_size=1500), u16)
def test_icmp_error_matches_scapy(tc: tuple[int, int], orig: bytes, mtu: int) -> None:
    s = _sc()
    t, c = tc
    mine = P.icmp_error(t, c, orig, mtu=mtu)
    kw = {"nexthopmtu": mtu} if (t, c) == (3, 4) else {}
    ref = bytes(s["ICMP"](type=t, code=c, **kw) / s["Raw"](orig[:548]))
    assert mine == ref
    assert len(mine) <= 576 - 20  # Linux: the whole error fits in 576 bytes
    assert P.icmp_error(t, c, orig, max_len=56)[8:] == orig[:28]  # RFC 792 minimum


@settings(max_examples=150)
@given(ips, ips, ports, ports, payloads)
def test_udp_matches_scapy(src: int, dst: int, sport: int, dport: int, payload: bytes) -> None:
    s = _sc()
    mine = P.udp(src, dst, sport, dport, payload)
    ip = s["IP"](src=int_to_ip(src), dst=int_to_ip(dst)) / s["UDP"](sport=sport, dport=dport) / s["Raw"](payload)
    assert mine == bytes(ip)[20:]
    h = P.parse_udp(mine, 0)
    assert (h.sport, h.dport, h.length, h.payload_offset) == (sport, dport, 8 + len(payload), 8)
    nocsum = P.udp(src, dst, sport, dport, payload, checksum=False)
    assert nocsum[6:8] == b"\0\0" and nocsum[:6] == mine[:6]


def test_udp_partial_checksum_matches_reference_capture() -> None:
    # /tmp/ref/vx.pcap: 10.0.2.197 -> 10.0.2.253, UDP length 0x422, checksum field 0x1df5
    assert P.udp_partial_checksum(ip_to_int("10.0.2.197"), ip_to_int("10.0.2.253"), 0x422) == 0x1DF5


tcp_flags = st.integers(0, 255)


@settings(max_examples=150)
@given(ips, ips, ports, ports, u32, u32, tcp_flags, u16, payloads,
       st.sampled_from(["none", "syn", "ts"]), u32, u32)
def test_tcp_matches_scapy(src, dst, sport, dport, seq, ack, flags, window, payload, opt, tsv, tse) -> None:
    s = _sc()
    if opt == "syn":
        options = P.tcp_syn_options(1410, tsv, tse, 7)
        sc_opts = [("MSS", 1410), ("SAckOK", b""), ("Timestamp", (tsv, tse)), ("NOP", None), ("WScale", 7)]
    elif opt == "ts":
        options = P.tcp_ts_options(tsv, tse)
        sc_opts = [("NOP", None), ("NOP", None), ("Timestamp", (tsv, tse))]
    else:
        options, sc_opts = b"", []
    mine = P.tcp(src, dst, sport, dport, seq, ack, flags, window, payload, options)
    ref = s["IP"](src=int_to_ip(src), dst=int_to_ip(dst)) / s["TCP"](
        sport=sport, dport=dport, seq=seq, ack=ack, flags=flags, window=window, options=sc_opts) / s["Raw"](payload)
    assert mine == bytes(ref)[20:]
    h = P.parse_tcp(mine, 0)
    assert (h.sport, h.dport, h.seq, h.ack, h.flags, h.window, h.options) == (sport, dport, seq, ack, flags, window, options)
    assert h.payload_offset == 20 + len(options)


def test_tcp_syn_option_order_is_linux() -> None:
    o = P.tcp_syn_options(1460, 1, 0, 7)
    assert o == bytes.fromhex("020405b4" "0402" "080a0000000100000000" "01" "030307")
    assert P.tcp_ts_options(5, 6) == bytes.fromhex("0101080a0000000500000006")


def test_dns_matches_scapy() -> None:
    s = _sc()
    q = P.dns_query(4321, "web", P.DNS_A)
    assert q == bytes(s["DNS"](id=4321, rd=1, qd=s["DNSQR"](qname="web.", qtype="A")))
    assert len(q) == 21
    r = P.dns_response(4321, "web", P.DNS_A, [(P.DNS_A, ip_to_int("10.0.1.30"))])
    ref = s["DNS"](id=4321, qr=1, rd=1, ra=1, qd=s["DNSQR"](qname="web.", qtype="A"),
                   an=s["DNSRR"](rrname="web.", type="A", ttl=600, rdata="10.0.1.30"))
    assert r == bytes(ref) and len(r) == 40
    two = P.dns_response(7, "tasks.web", P.DNS_A, [(P.DNS_A, A), (P.DNS_A, B)], aa=True, ttl=0)
    ref = s["DNS"](id=7, qr=1, aa=1, rd=1, ra=1, qd=s["DNSQR"](qname="tasks.web.", qtype="A"),
                   an=[s["DNSRR"](rrname="tasks.web.", type="A", ttl=0, rdata="10.0.1.3"),
                       s["DNSRR"](rrname="tasks.web.", type="A", ttl=0, rdata="10.0.1.5")])
    assert two == bytes(ref)
    nx = P.dns_response(9, "nope", P.DNS_A, [], rcode=P.DNS_RCODE_NXDOMAIN)
    assert nx == bytes(s["DNS"](id=9, qr=1, rd=1, ra=1, rcode=3, qd=s["DNSQR"](qname="nope.", qtype="A")))
    comp = P.dns_response(1, "web", P.DNS_A, [(P.DNS_A, A)], compress=True)
    assert comp[21:23] == b"\xc0\x0c" and len(comp) == 21 + 16


def test_parse_dns_roundtrip() -> None:
    q = P.parse_dns(P.dns_query(4321, "tasks.web", P.DNS_AAAA, rd=False))
    assert (q.id, q.qr, q.rd, [(x.name, x.qtype) for x in q.questions]) == (4321, False, False, [("tasks.web", 28)])
    r = P.parse_dns(P.dns_response(5, "web", P.DNS_A, [(P.DNS_A, A), ("alias.web", P.DNS_CNAME, P.dns_name("web"))], compress=True))
    assert r.qr and r.rcode == 0 and len(r.answers) == 2
    assert (r.answers[0].name, r.answers[0].rtype, r.answers[0].rdata) == ("web", 1, ip_bytes(A))
    assert r.answers[1].name == "alias.web" and r.answers[1].ttl == 600
    nx = P.parse_dns(P.dns_response(6, "x", P.DNS_A, [], rcode=3))
    assert nx.rcode == 3 and nx.answers == []
    with pytest.raises(P.PacketError):
        P.parse_dns(b"\x00\x01\x00")
    loop = struct.pack(">HHHHHH", 1, 0, 1, 0, 0, 0) + b"\xc0\x0c" + b"\x00\x01\x00\x01"
    with pytest.raises(P.PacketError):
        P.parse_dns(loop)


def test_vxlan_and_esp_match_scapy() -> None:
    s = _sc()
    inner = P.ether(MB, MA, P.ETH_P_IP, P.ipv4(A, B, 1, P.icmp_echo(8, 9, 0, bytes(56))))
    mine = P.vxlan(4097, inner)
    ref = s["VXLAN"](flags=0x08, vni=4097) / s["Ether"](dst=mac_str(MB), src=mac_str(MA)) / s["IP"](
        src="10.0.1.3", dst="10.0.1.5", id=0) / s["ICMP"](type=8, id=9, seq=0) / s["Raw"](bytes(56))
    assert mine == bytes(ref)
    assert mine[0] == 0x08  # Linux: I flag only (scapy's default would be 0x0C)
    h = P.parse_vxlan(mine, 0)
    assert (h.flags, h.vni, h.inner_offset) == (0x08, 4097, 8)
    # full underlay packet with scapy's sport set explicitly
    h1, h2 = ip_to_int("10.0.2.197"), ip_to_int("10.0.2.253")
    outer = P.ipv4(h1, h2, 17, P.udp(h1, h2, 46048, 4789, mine))
    ref2 = s["IP"](src="10.0.2.197", dst="10.0.2.253", id=0) / s["UDP"](sport=46048, dport=4789) / ref
    assert outer == bytes(ref2)
    assert P.esp(0x1A2B3C4D, 5, b"opaque") == bytes(s["ESP"](spi=0x1A2B3C4D, seq=5, data=b"opaque"))


# --------------------------------------------------------------------------- parsers


def test_parse_ether_and_arp_roundtrip() -> None:
    f = P.ether(P.BROADCAST_MAC, MA, P.ETH_P_ARP, P.arp(1, MA, A, P.ZERO_MAC, B))
    e = P.parse_ether(f)
    assert (e.dst, e.src, e.ethertype, e.offset) == (P.BROADCAST_MAC, MA, P.ETH_P_ARP, 14)
    a = P.parse_arp(f, e.offset)
    assert (a.op, a.sha, a.spa, a.tha, a.tpa, a.htype, a.ptype) == (1, MA, A, P.ZERO_MAC, B, 1, 0x0800)


@pytest.mark.parametrize("fn,data", [
    (P.parse_ether, b"\x00" * 10), (P.parse_arp, b"\x00" * 20), (P.parse_icmp, b"\x00" * 16),
    (P.parse_udp, b"\x00" * 18), (P.parse_tcp, b"\x00" * 30), (P.parse_vxlan, b"\x00" * 18),
])
def test_parsers_reject_truncated(fn, data: bytes) -> None:
    with pytest.raises(P.PacketError):
        fn(data, 14) if fn is not P.parse_ether else fn(data)


def test_parse_ipv4_rejects_garbage() -> None:
    with pytest.raises(P.PacketError):
        P.parse_ipv4(b"\x60" + bytes(39), 0)
    with pytest.raises(P.PacketError):
        P.parse_ipv4(bytes(10), 0)


# --------------------------------------------------------------------------- NAT helpers


def _l4_ok(pkt: bytes) -> bool:
    h = P.parse_ipv4(pkt, 0)
    seg = pkt[h.payload_offset : h.total_len]
    if h.proto == P.IPPROTO_UDP and seg[6:8] == b"\0\0":
        return True
    if h.proto in (P.IPPROTO_TCP, P.IPPROTO_UDP):
        pseudo = struct.pack(">IIBBH", h.src, h.dst, 0, h.proto, len(seg))
        return P.ip_checksum(pseudo + seg) == 0
    return P.ip_checksum(seg) == 0


@settings(max_examples=200)
@given(st.sampled_from(["tcp", "udp", "udp0", "icmp"]), ips, ips, ports, ports, payloads,
       st.one_of(st.none(), ips), st.one_of(st.none(), ips), st.one_of(st.none(), ports), st.one_of(st.none(), ports))
def test_rewrite_ipv4_addrs_keeps_checksums_valid(kind, src, dst, sp, dp, payload, nsrc, ndst, nsp, ndp) -> None:
    if kind == "tcp":
        seg = P.tcp(src, dst, sp, dp, 1, 2, P.TCP_ACK, 100, payload)
        proto = P.IPPROTO_TCP
    elif kind == "udp":
        seg, proto = P.udp(src, dst, sp, dp, payload), P.IPPROTO_UDP
    elif kind == "udp0":
        seg, proto = P.udp(src, dst, sp, dp, payload, checksum=False), P.IPPROTO_UDP
    else:
        seg, proto = P.icmp_echo(8, sp, dp, payload), P.IPPROTO_ICMP
    frame = P.ether(MB, MA, P.ETH_P_IP, P.ipv4(src, dst, proto, seg, ident=3))
    out = P.rewrite_ipv4_addrs(frame, 14, nsrc, ndst, nsp, ndp)
    h = P.parse_ipv4(out, 14)
    assert h.src == (src if nsrc is None else nsrc) and h.dst == (dst if ndst is None else ndst)
    assert P.ip_checksum(out[14:34]) == 0
    assert _l4_ok(out[14:])
    if kind in ("tcp", "udp", "udp0"):
        ph = P.parse_udp(out, 34)
        assert ph.sport == (sp if nsp is None else nsp) and ph.dport == (dp if ndp is None else ndp)
    else:
        ic = P.parse_icmp(out, 34)
        want = nsp if nsp is not None else ndp
        assert ic.ident == (sp if want is None else want)
    if kind == "udp0":
        assert out[40:42] == b"\0\0"


def test_rewrite_matches_scapy_recompute() -> None:
    s = _sc()
    frame = P.ether(MB, MA, P.ETH_P_IP, P.ipv4(A, B, 6, P.tcp(A, B, 40000, 80, 5, 0, P.TCP_SYN, 64240)))
    out = P.rewrite_ipv4_addrs(frame, 14, new_src=ip_to_int("10.0.2.197"), new_sport=33000)
    ref = s["IP"](src="10.0.2.197", dst="10.0.1.5", id=0) / s["TCP"](sport=33000, dport=80, seq=5, flags="S", window=64240)
    assert out[14:] == bytes(ref)


def test_rewrite_leaves_non_first_fragment_ports_alone() -> None:
    frag = P.ipv4(A, B, P.IPPROTO_UDP, bytes(range(16)), frag_offset=8, ident=9)
    out = P.rewrite_ipv4_addrs(frag, 0, new_dst=ip_to_int("10.0.9.9"), new_dport=1)
    assert out[20:] == frag[20:] and P.ip_checksum(out[:20]) == 0


@given(st.integers(1, 255), st.integers(0, 255))
def test_decrement_ttl(ttl: int, proto: int) -> None:
    pkt = P.ether(MB, MA, P.ETH_P_IP, P.ipv4(A, B, proto, b"xyz", ttl=ttl))
    out = P.decrement_ttl(pkt)
    assert out[22] == ttl - 1 and P.ip_checksum(out[14:34]) == 0 and out[34:] == pkt[34:]


def test_decrement_ttl_zero_refused() -> None:
    with pytest.raises(ValueError):
        P.decrement_ttl(P.ether(MB, MA, P.ETH_P_IP, P.ipv4(A, B, 1, b"", ttl=0)))


def test_ip_checksum_edges() -> None:
    assert P.ip_checksum(b"") == 0xFFFF
    assert P.ip_checksum(b"\x00\x00") == 0xFFFF
    assert P.ip_checksum(b"\xff\xff") == 0
    assert P.ip_checksum(b"\x01") == 0xFEFF
