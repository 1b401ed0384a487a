"""The tcpdump printer prints what tcpdump 4.99.3 prints for the same bytes, line by line.

Also covers the pcap reader/writer (files open in tcpdump/tshark; damaged files
fail with tcpdump's own messages).
"""

from __future__ import annotations

import os
import random
import re
import shutil
import socket
import struct
import subprocess
from pathlib import Path

import pytest

from tui.engine import packets as P
from tui.engine.addr import ip_to_int, mac_to_bytes
from tui.engine.pcap import (
    LINKTYPE_LINUX_SLL2,
    PcapError,
    decode_pcap,
    encode_pcap,
    file_header,
    linktype_description,
    read_pcap,
    record,
    sll2_from_ether,
    sll2_header,
    write_pcap,
)
from tui.shell.formats.tcpdump import TcpdumpPrinter


def _tcpdump() -> str | None:
    for cand in (shutil.which("tcpdump"), "/usr/sbin/tcpdump", "/usr/bin/tcpdump"):
        if cand and os.access(cand, os.X_OK):
            return cand
    return None


TCPDUMP = _tcpdump()
needs_tcpdump = pytest.mark.skipif(TCPDUMP is None, reason="real tcpdump not installed")

MA, MB = mac_to_bytes("02:42:0a:00:01:03"), mac_to_bytes("02:42:0a:00:01:05")
M1, M2 = mac_to_bytes("02:fc:00:00:00:01"), mac_to_bytes("02:fc:00:00:00:02")
A, B, C = ip_to_int("10.0.1.3"), ip_to_int("10.0.1.5"), ip_to_int("10.0.1.30")
H1, H2 = ip_to_int("10.0.2.197"), ip_to_int("10.0.2.253")
DNS = ip_to_int("127.0.0.11")
T0 = 1_700_000_000_000_000_000
TS_LINE = re.compile(r"^(\d\d:\d\d:\d\d\.\d{6} |\[Invalid header)")


def _eip(src: int, dst: int, proto: int, payload: bytes, ms: bytes = MA, md: bytes = MB, **kw) -> bytes:
    return P.ether(md, ms, P.ETH_P_IP, P.ipv4(src, dst, proto, payload, **kw))


def _conversation(cli: int, srv: int, sport: int, dport: int, isn_c: int, isn_s: int, exchanges: list[tuple[str, bytes]]) -> list[bytes]:
    """A Linux-looking TCP connection: handshake, data, FIN exchange."""
    out = []
    c_seq, s_seq = isn_c, isn_s
    out.append(_eip(cli, srv, 6, P.tcp(cli, srv, sport, dport, c_seq, 0, P.TCP_SYN, 64860, b"", P.tcp_syn_options(1410, 100, 0, 7)), df=True))
    out.append(_eip(srv, cli, 6, P.tcp(srv, cli, dport, sport, s_seq, c_seq + 1, P.TCP_SYN | P.TCP_ACK, 64308, b"", P.tcp_syn_options(1410, 200, 100, 7)), MB, MA, df=True))
    c_seq += 1
    s_seq += 1
    out.append(_eip(cli, srv, 6, P.tcp(cli, srv, sport, dport, c_seq, s_seq, P.TCP_ACK, 507, b"", P.tcp_ts_options(101, 200)), df=True))
    for who, data in exchanges:
        if who == "c":
            out.append(_eip(cli, srv, 6, P.tcp(cli, srv, sport, dport, c_seq, s_seq, P.TCP_ACK | P.TCP_PSH, 507, data, P.tcp_ts_options(102, 200)), df=True))
            c_seq += len(data)
            out.append(_eip(srv, cli, 6, P.tcp(srv, cli, dport, sport, s_seq, c_seq, P.TCP_ACK, 502, b"", P.tcp_ts_options(201, 102)), MB, MA, df=True))
        else:
            out.append(_eip(srv, cli, 6, P.tcp(srv, cli, dport, sport, s_seq, c_seq, P.TCP_ACK | P.TCP_PSH, 502, data, P.tcp_ts_options(202, 102)), MB, MA, df=True))
            s_seq += len(data)
    out.append(_eip(cli, srv, 6, P.tcp(cli, srv, sport, dport, c_seq, s_seq, P.TCP_ACK | P.TCP_FIN, 507, b"", P.tcp_ts_options(103, 202)), df=True))
    out.append(_eip(srv, cli, 6, P.tcp(srv, cli, dport, sport, s_seq, c_seq + 1, P.TCP_ACK | P.TCP_FIN, 502, b"", P.tcp_ts_options(203, 103)), MB, MA, df=True))
    out.append(_eip(cli, srv, 6, P.tcp(cli, srv, sport, dport, c_seq + 1, s_seq + 1, P.TCP_ACK, 507, b"", P.tcp_ts_options(104, 203)), df=True))
    return out


def corpus() -> list[bytes]:
    f: list[bytes] = []
    # ARP, short (veth) and padded (physical NIC), request with a known target MAC
    f.append(P.ether(P.BROADCAST_MAC, MA, P.ETH_P_ARP, P.arp(1, MA, A, P.ZERO_MAC, B)))
    f.append(P.ether(MA, MB, P.ETH_P_ARP, P.arp(2, MB, B, MA, A)))
    f.append(P.ether(P.BROADCAST_MAC, MA, P.ETH_P_ARP, P.arp(1, MA, A, P.ZERO_MAC, B), pad=True))
    f.append(P.ether(MA, MB, P.ETH_P_ARP, P.arp(2, MB, B, MA, A), pad=True))
    f.append(P.ether(MB, MA, P.ETH_P_ARP, P.arp(1, MA, A, MB, B)))
    # ICMP echo, errors
    f.append(_eip(A, B, 1, P.icmp_echo(8, 9, 0, bytes(range(56))), df=True, ident=100))
    f.append(_eip(B, A, 1, P.icmp_echo(0, 9, 0, bytes(range(56))), MB, MA, ident=200))
    orig_udp = P.ipv4(A, B, 17, P.udp(A, B, 41234, 9999, b"hello"), ident=5, df=True)
    f.append(_eip(B, A, 1, P.icmp_error(3, 3, orig_udp), MB, MA, tos=0xC0))
    f.append(_eip(B, A, 1, P.icmp_error(3, 1, orig_udp), MB, MA, tos=0xC0))
    orig_tcp = P.ipv4(A, B, 6, P.tcp(A, B, 40000, 8080, 1, 0, P.TCP_SYN, 64240), df=True)
    f.append(_eip(B, A, 1, P.icmp_error(3, 3, orig_tcp), MB, MA, tos=0xC0))
    big = P.ipv4(A, B, 1, P.icmp_echo(8, 9, 1, bytes(1472)), df=True, ident=7)
    f.append(_eip(H1, A, 1, P.icmp_error(3, 4, big, mtu=1450), MB, MA, tos=0xC0))
    f.append(_eip(H1, A, 1, P.icmp_error(11, 0, big), MB, MA, tos=0xC0, ttl=63))
    # UDP, DNS
    f.append(_eip(A, B, 17, P.udp(A, B, 41234, 9999, b"hello"), df=True))
    f.append(_eip(A, DNS, 17, P.udp(A, DNS, 33987, 53, P.dns_query(4321, "web", P.DNS_A))))
    f.append(_eip(DNS, A, 17, P.udp(DNS, A, 53, 33987, P.dns_response(4321, "web", P.DNS_A, [(P.DNS_A, C)])), MB, MA))
    f.append(_eip(DNS, A, 17, P.udp(DNS, A, 53, 33988, P.dns_response(4322, "nope", P.DNS_A, [], rcode=3)), MB, MA))
    f.append(_eip(DNS, A, 17, P.udp(DNS, A, 53, 33989, P.dns_response(4323, "tasks.web", P.DNS_A, [(P.DNS_A, C), (P.DNS_A, B)], aa=True)), MB, MA))
    f.append(_eip(A, DNS, 17, P.udp(A, DNS, 33990, 53, P.dns_query(4324, "web", P.DNS_AAAA))))
    f.append(_eip(DNS, A, 17, P.udp(DNS, A, 53, 33990, P.dns_response(4324, "web", P.DNS_AAAA, [])), MB, MA))
    srv = struct.pack(">HHH", 0, 0, 80) + P.dns_name("web")
    f.append(_eip(DNS, A, 17, P.udp(DNS, A, 53, 33991, P.dns_response(4325, "_http._tcp.web", P.DNS_SRV, [(P.DNS_SRV, srv)], compress=True)), MB, MA))
    f.append(_eip(H1, H2, 17, P.udp(H1, H2, 7946, 7946, b"\x01gossip"), M1, M2))
    # TCP: several connections (relative sequence numbers), HTTP, a refused port
    f += _conversation(A, C, 45678, 80, 1234567890, 99999, [
        ("c", b"GET / HTTP/1.1\r\nHost: web\r\nUser-Agent: curl/7.81.0\r\nAccept: */*\r\n\r\n"),
        ("s", b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 5\r\n\r\nhello"),
    ])
    f += _conversation(B, C, 51000, 8080, 0xFFFFFF00, 7, [("c", b"POST /x HTTP/1.0\n\nbody"), ("s", b"\x00binary")])
    f += _conversation(H1, H2, 41000, 2377, 42, 4242, [("c", b"\x16\x03\x01raft"), ("s", b"\x17\x03\x03ok")])
    f.append(_eip(A, C, 6, P.tcp(A, C, 45679, 81, 5, 0, P.TCP_SYN, 64860, b"", P.tcp_syn_options(1410, 1000, 0, 7)), df=True))
    f.append(_eip(C, A, 6, P.tcp(C, A, 81, 45679, 0, 6, P.TCP_RST | P.TCP_ACK, 0), MB, MA, df=True))
    # VXLAN carrying ICMP and ARP (two lines each), ESP
    inner = _eip(A, B, 1, P.icmp_echo(8, 9, 0, bytes(56)), df=True, ident=100)
    f.append(_eip(H1, H2, 17, P.udp(H1, H2, 46048, 4789, P.vxlan(4097, inner)), M1, M2, ident=400))
    inner = _eip(B, A, 1, P.icmp_echo(0, 9, 0, bytes(56)), MB, MA, ident=101)
    f.append(_eip(H2, H1, 17, P.udp(H2, H1, 39852, 4789, P.vxlan(4097, inner)), M2, M1, ident=401))
    inner = P.ether(P.BROADCAST_MAC, MA, P.ETH_P_ARP, P.arp(1, MA, A, P.ZERO_MAC, B))
    f.append(_eip(H1, H2, 17, P.udp(H1, H2, 46048, 4789, P.vxlan(4097, inner)), M1, M2, ident=402))
    f.append(_eip(H1, H2, 50, P.esp(0x1A2B3C4D, 5, bytes(120)), M1, M2, ident=500))
    # fragments
    payload = P.udp(A, B, 5000, 9999, bytes(100))
    f.append(_eip(A, B, 17, payload[:48], mf=True, ident=77))
    f.append(_eip(A, B, 17, payload[48:], frag_offset=48, ident=77))
    return f


def fuzz_corpus(seed: int) -> list[tuple[bytes, int]]:
    """Random header values and truncated captures: (captured bytes, wire length)."""
    r = random.Random(seed)
    out: list[tuple[bytes, int]] = []
    base = corpus()
    for _ in range(120):
        t = r.choice([0, 3, 5, 8, 11, 12, 13, 17, 30])
        c = r.randrange(0, 16)
        if t in (3, 5, 11, 12):
            body = P.icmp_error(t, c, P.ipv4(B, A, r.choice([6, 17, 1]), bytes(r.randrange(8, 40))), mtu=r.choice([0, 1400]))
        else:
            body = bytes([t, c]) + bytes(r.getrandbits(8) for _ in range(r.choice([2, 6, 18])))
        out.append((_eip(A, B, 1, body, tos=r.randrange(256), ttl=r.randrange(256), ident=r.randrange(65536)), 0))
    for _ in range(60):
        qt = r.choice([1, 5, 12, 15, 16, 28, 33, 255, 65])
        if r.random() < 0.4:
            m = P.dns_query(r.randrange(65536), r.choice(["web", "a.b.example", "x"]), qt, rd=r.random() < 0.5)
        else:
            ans = [(r.choice([1, 5, 16]), r.choice([r.getrandbits(32), P.dns_name("t.example"), b"\x03abc"])) for _ in range(r.randrange(4))]
            ans = [(ty, rd if not (ty == 1 and not isinstance(rd, int)) else 7) for ty, rd in ans]
            m = P.dns_response(r.randrange(65536), "web", qt, ans, rcode=r.choice([0, 2, 3, 5]), ra=r.random() < 0.8, aa=r.random() < 0.3, compress=r.random() < 0.5)
        out.append((_eip(DNS, A, 17, P.udp(DNS, A, 53, r.randrange(1024, 65536), m), MB, MA), 0))
    for _ in range(60):
        opts = r.choice([b"", P.tcp_ts_options(r.getrandbits(32), r.getrandbits(32)), b"\x01\x01\x05\x0a" + bytes(8), b"\x02\x04\x05\xb4\x01", b"\x1c\x04\x00\x10", b"\x09\x03\x01"])
        seg = P.tcp(A, B, r.randrange(65536), r.choice([80, 22, 53, 443, r.randrange(65536)]), r.getrandbits(32), r.getrandbits(32), r.randrange(256), r.randrange(65536), r.choice([b"", b"GET / HTTP/1.1\r\n\r\n", b"SSH-2.0-x\r\n", bytes(7)]), opts, urgent=r.randrange(2))
        out.append((_eip(A, B, 6, seg, df=r.random() < 0.5), 0))
    for fr in r.sample(base, 30):
        for cut in sorted({r.randrange(0, len(fr) + 1) for _ in range(4)}):
            out.append((fr[:cut], len(fr)))
    return out


def _run_real(pcap: Path, *flags: str, timeout: float = 60) -> list[str]:
    env = dict(os.environ, TZ="UTC")
    p = subprocess.run([TCPDUMP, *flags, "-r", str(pcap)], capture_output=True, text=True, env=env, timeout=timeout)
    return p.stdout.splitlines()


def _group(lines: list[str]) -> list[str]:
    """Join continuation lines onto their packet's first line."""
    groups: list[list[str]] = []
    for ln in lines:
        if TS_LINE.match(ln) or not groups:
            groups.append([ln])
        else:
            groups[-1].append(ln)
    return ["\n".join(g) for g in groups]


def _compare(pcap: Path, printer: TcpdumpPrinter, *flags: str) -> None:
    c = decode_pcap(pcap.read_bytes())
    real = _group(_run_real(pcap, *flags))
    ours = [printer.format(ts, fr, c.linktype, wl) for (ts, fr), wl in zip(c.records, c.orig_lens, strict=True)]
    assert len(real) == len(ours)
    for i, (r, o) in enumerate(zip(real, ours, strict=True)):
        assert o == r, f"packet {i} with {flags}:\nreal: {r!r}\nours: {o!r}"


@pytest.fixture(scope="module")
def eth_pcap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fmt") / "corpus.pcap"
    write_pcap(str(path), [(T0 + i * 1_234_567_891, fr) for i, fr in enumerate(corpus())])
    return path


@pytest.fixture(scope="module")
def fuzz_pcap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fmt") / "fuzz.pcap"
    parts = [file_header()]
    for i, (fr, wl) in enumerate(fuzz_corpus(7)):
        parts.append(record(T0 + i * 1000, fr, orig_len=wl or len(fr)))
    path.write_bytes(b"".join(parts))
    return path


def _ifname(index: int) -> str | None:
    try:
        return socket.if_indextoname(index)
    except OSError:
        return None


@needs_tcpdump
@pytest.mark.parametrize("flags", [("-n",), ("-n", "-e"), ("-n", "-v"), ("-n", "-vv"), ("-n", "-e", "-v")])
def test_matches_real_tcpdump(eth_pcap: Path, flags: tuple[str, ...]) -> None:
    v = sum(f.count("v") for f in flags)
    _compare(eth_pcap, TcpdumpPrinter(numeric=True, show_ether="-e" in flags, verbose=v), *flags)


@needs_tcpdump
@pytest.mark.parametrize("flags", [("-n",), ("-n", "-v"), ("-n", "-e", "-vv")])
def test_fuzz_matches_real_tcpdump(fuzz_pcap: Path, flags: tuple[str, ...]) -> None:
    v = sum(f.count("v") for f in flags)
    _compare(fuzz_pcap, TcpdumpPrinter(numeric=True, show_ether="-e" in flags, verbose=v), *flags)


@needs_tcpdump
@pytest.mark.parametrize("flags", [("-n",), ("-n", "-e"), ("-n", "-v")])
def test_sll2_matches_real_tcpdump(tmp_path: Path, flags: tuple[str, ...]) -> None:
    recs = []
    for i, fr in enumerate(corpus()):
        hatype = 772 if i % 7 == 0 else 1
        recs.append((T0 + i * 1000, sll2_from_ether(fr, (1, 2, 4, 999)[i % 4], i % 5, hatype=hatype)))
    path = tmp_path / "any.pcap"
    write_pcap(str(path), recs, linktype=LINKTYPE_LINUX_SLL2)
    v = sum(f.count("v") for f in flags)
    _compare(path, TcpdumpPrinter(numeric=True, show_ether="-e" in flags, verbose=v, ifname=_ifname), *flags)


@needs_tcpdump
def test_names_match_real_tcpdump_without_n(eth_pcap: Path) -> None:
    """Without -n: service names from /etc/services, "(oui ...)" after MACs, Broadcast."""
    try:
        real = _run_real(eth_pcap, "-e", timeout=30)
    except subprocess.TimeoutExpired:
        pytest.skip("reverse DNS lookups are slow here")
    if any(re.search(r"[a-z]-?\w*\.\w+ > ", ln) and "ip-" in ln for ln in real):
        pytest.skip("this machine resolves the test addresses to names")
    _compare(eth_pcap, TcpdumpPrinter(numeric=False, show_ether=True), "-e")


@needs_tcpdump
def test_reference_capture() -> None:
    ref = Path("/tmp/ref/vx.pcap")
    if not ref.exists():
        pytest.skip("reference capture not present")
    try:
        c = decode_pcap(ref.read_bytes())
        recs, lens, lt = c.records, c.orig_lens, c.linktype
    except PcapError as e:  # the file is cut short: tcpdump prints what it could read
        recs, lens, lt = e.records, [len(fr) for _, fr in e.records], e.linktype or 1
    real = _group(_run_real(ref, "-n", "-v"))
    pr = TcpdumpPrinter(verbose=1)
    ours = [pr.format(ts, fr, lt, wl) for (ts, fr), wl in zip(recs, lens, strict=True)]
    assert ours == real[: len(ours)] and ours


# --------------------------------------------------------------------------- fixed expectations


def test_seed_line_shape_without_n() -> None:
    names = {H2: "ip-10-0-2-253"}
    pr = TcpdumpPrinter(numeric=False, resolve=names.get)
    inner = _eip(ip_to_int("10.0.1.7"), B, 1, P.icmp_echo(8, 9, 0, bytes(56)), df=True)
    fr = _eip(H1, H2, 17, P.udp(H1, H2, 46048, 4789, P.vxlan(4097, inner)), M1, M2)
    ts = (4 * 3600 + 27 * 60 + 59) * 1_000_000_000 + 184_691_999  # 04:27:59.184691 (truncated, not rounded)
    assert pr.format(ts, fr) == (
        "04:27:59.184691 IP 10.0.2.197.46048 > ip-10-0-2-253.4789: VXLAN, flags [I] (0x08), vni 4097\n"
        "IP 10.0.1.7 > 10.0.1.5: ICMP echo request, id 9, seq 0, length 64"
    )
    back = _eip(H2, H1, 17, P.udp(H2, H1, 39852, 4789, P.vxlan(4097, inner)), M2, M1)
    assert pr.format(ts, back).split("\n")[0].endswith("IP ip-10-0-2-253.39852 > 10.0.2.197.4789: VXLAN, flags [I] (0x08), vni 4097")


def test_fixed_lines() -> None:
    pr = TcpdumpPrinter()
    ts = 0
    q = _eip(A, DNS, 17, P.udp(A, DNS, 33987, 53, P.dns_query(4321, "web", P.DNS_A)))
    r = _eip(DNS, A, 17, P.udp(DNS, A, 53, 33987, P.dns_response(4321, "web", P.DNS_A, [(P.DNS_A, C)])))
    assert pr.format(ts, q) == "00:00:00.000000 IP 10.0.1.3.33987 > 127.0.0.11.53: 4321+ A? web. (21)"
    assert pr.format(ts, r) == "00:00:00.000000 IP 127.0.0.11.53 > 10.0.1.3.33987: 4321 1/0/0 A 10.0.1.30 (40)"
    nx = _eip(DNS, A, 17, P.udp(DNS, A, 53, 1, P.dns_response(4322, "nope", P.DNS_A, [], rcode=3)))
    assert pr.format(ts, nx).endswith("4322 NXDomain 0/0/0 (22)")
    arp = P.ether(MA, MB, P.ETH_P_ARP, P.arp(2, MB, B, MA, A))
    assert pr.format(ts, arp).endswith("ARP, Reply 10.0.1.5 is-at 02:42:0a:00:01:05, length 28")
    assert pr.format(ts, P.ether(MA, MB, P.ETH_P_ARP, P.arp(2, MB, B, MA, A), pad=True)).endswith("length 46")
    named = TcpdumpPrinter(numeric=False)
    assert named.format(ts, arp).endswith("is-at 02:42:0a:00:01:05 (oui Unknown), length 28")
    assert named.format(ts, q).endswith("> 127.0.0.11.domain: 4321+ A? web. (21)")
    esp = _eip(H1, H2, 50, P.esp(0x1A2B3C4D, 5, bytes(120)))
    assert pr.format(ts, esp).endswith("IP 10.0.2.197 > 10.0.2.253: ESP(spi=0x1a2b3c4d,seq=0x5), length 128")
    big = P.ipv4(A, B, 1, P.icmp_echo(8, 9, 1, bytes(1472)), df=True)
    fn = _eip(H1, A, 1, P.icmp_error(3, 4, big, mtu=1450))
    assert pr.format(ts, fn).endswith("ICMP 10.0.1.5 unreachable - need to frag (mtu 1450), length 556")
    e = TcpdumpPrinter(show_ether=True)
    ping = P.ether(MB, MA, P.ETH_P_IP, P.ipv4(A, B, 1, P.icmp_echo(8, 9, 0, bytes(56))))
    assert e.format(ts, ping).startswith(
        "00:00:00.000000 02:42:0a:00:01:03 > 02:42:0a:00:01:05, ethertype IPv4 (0x0800), length 98: 10.0.1.3 > 10.0.1.5: ICMP")


def test_relative_sequence_numbers_are_stateful() -> None:
    pr = TcpdumpPrinter()
    lines = [pr.format(0, fr) for fr in _conversation(A, C, 45678, 80, 1234567890, 99999, [("c", b"GET / HTTP/1.1\r\n\r\n")])]
    assert "Flags [S], seq 1234567890, win 64860, options [mss 1410,sackOK,TS val 100 ecr 0,nop,wscale 7], length 0" in lines[0]
    assert "Flags [S.], seq 99999, ack 1234567891," in lines[1]
    assert "Flags [.], ack 1, win 507, options [nop,nop,TS val 101 ecr 200], length 0" in lines[2]
    assert "Flags [P.], seq 1:19, ack 1, win 507" in lines[3] and lines[3].endswith("length 18: HTTP: GET / HTTP/1.1")
    fresh = TcpdumpPrinter()
    assert "seq 1234567891:1234567909, ack 100000" in fresh.format(0, _conversation(A, C, 45678, 80, 1234567890, 99999, [("c", b"GET / HTTP/1.1\r\n\r\n")])[3])
    pr.reset()
    assert "seq 1234567891:" in pr.format(0, _conversation(A, C, 45678, 80, 1234567890, 99999, [("c", b"GET / HTTP/1.1\r\n\r\n")])[3])


def test_sll2_fixed_line() -> None:
    ping = P.ipv4(A, B, 1, P.icmp_echo(8, 9, 0, bytes(56)))
    fr = sll2_header(4, 4, P.ETH_P_IP, MA) + ping
    pr = TcpdumpPrinter(ifname={4: "eth0"}.get)
    assert pr.format(0, fr, LINKTYPE_LINUX_SLL2) == "00:00:00.000000 eth0  Out IP 10.0.1.3 > 10.0.1.5: ICMP echo request, id 9, seq 0, length 64"
    assert pr.format(0, sll2_header(9, 0, P.ETH_P_IP, MA) + ping, LINKTYPE_LINUX_SLL2).startswith("00:00:00.000000 ?     In  IP ")


def test_invalid_record_headers() -> None:
    pr = TcpdumpPrinter()
    assert pr.format(0, b"") == "[Invalid header: caplen==0]"
    assert pr.format(0, bytes(20), orig_len=10) == "[Invalid header: len(10) < caplen(20)]"


# --------------------------------------------------------------------------- pcap files


def test_pcap_roundtrip(tmp_path: Path) -> None:
    frames = corpus()
    recs = [(T0 + i * 1_000_123, fr) for i, fr in enumerate(frames)]
    path = tmp_path / "rt.pcap"
    write_pcap(str(path), recs)
    data = path.read_bytes()
    assert data[:4] == bytes.fromhex("d4c3b2a1") and struct.unpack_from("<I", data, 16)[0] == 262144
    lt, back = read_pcap(str(path))
    assert lt == 1 and [fr for _, fr in back] == frames
    assert [ts for ts, _ in back] == [ts // 1000 * 1000 for ts, _ in recs]  # microsecond pcap
    assert encode_pcap(recs) == data
    assert linktype_description(1) == "EN10MB (Ethernet)"
    assert linktype_description(276) == "LINUX_SLL2 (Linux cooked v2)"


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
def test_tshark_reads_our_pcap(tmp_path: Path) -> None:
    path = tmp_path / "t.pcap"
    write_pcap(str(path), [(T0 + i, fr) for i, fr in enumerate(corpus())])
    p = subprocess.run(["tshark", "-r", str(path), "-T", "fields", "-e", "frame.protocols"], capture_output=True,
                       text=True, timeout=120, env=dict(os.environ, HOME=str(tmp_path)))
    assert p.returncode == 0
    assert len(p.stdout.splitlines()) == len(corpus())
    assert "eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:icmp" in p.stdout and ":dns" in p.stdout


def _damaged_files() -> dict[str, bytes]:
    good = encode_pcap([(T0, fr) for fr in corpus()[:4]])
    hdr = file_header()
    return {
        "empty": b"",
        "garbage": b"garbage garbage garbage garbage",
        "short": good[:10],
        "v1": struct.pack("<IHHiIII", 0xA1B2C3D4, 1, 4, 0, 0, 262144, 1),
        "v3": struct.pack("<IHHiIII", 0xA1B2C3D4, 3, 4, 0, 0, 262144, 1),
        "rechdr": good[:30],
        "recdata": good[: 24 + 16 + 42 + 16 + 20],
        "bigcap": hdr + struct.pack("<IIII", 0, 0, 300000, 300000) + bytes(100),
    }


def test_damaged_files_raise_pcap_error() -> None:
    expect = {
        "empty": "truncated dump file; tried to read 4 file header bytes, only got 0",
        "garbage": "unknown file format",
        "short": "truncated dump file; tried to read 24 file header bytes, only got 6",
        "v1": "archaic pcap savefile format",
        "v3": "unsupported pcap savefile version 3.4",
        "rechdr": "truncated dump file; tried to read 16 header bytes, only got 6",
        "recdata": "truncated dump file; tried to read 42 captured bytes, only got 20",
        "bigcap": "invalid packet capture length 300000, bigger than snaplen of 262144",
    }
    for name, data in _damaged_files().items():
        with pytest.raises(PcapError) as exc:
            decode_pcap(data)
        assert exc.value.message == expect[name], name
    with pytest.raises(PcapError) as exc:
        decode_pcap(_damaged_files()["recdata"])
    assert exc.value.in_loop and len(exc.value.records) == 1
    with pytest.raises(PcapError) as exc:
        read_pcap("/nonexistent/x.pcap")
    assert exc.value.message == "/nonexistent/x.pcap: No such file or directory"


@needs_tcpdump
def test_damaged_file_messages_match_real_tcpdump(tmp_path: Path) -> None:
    for name, data in _damaged_files().items():
        path = tmp_path / f"{name}.pcap"
        path.write_bytes(data)
        p = subprocess.run([TCPDUMP, "-n", "-r", str(path)], capture_output=True, text=True)
        err = [ln for ln in p.stderr.splitlines() if ln.startswith("tcpdump: ")]
        with pytest.raises(PcapError) as exc:
            decode_pcap(data)
        want = "tcpdump: " + ("pcap_loop: " if exc.value.in_loop else "") + exc.value.message
        assert err == [want], name
        assert p.returncode == 1
        if exc.value.in_loop:  # packets before the damage are still printed
            assert len(_group(_run_real(path, "-n"))) == len(exc.value.records)
