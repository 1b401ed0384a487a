"""Capture filters select exactly the packets real tcpdump selects, and fail with its words."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tui.engine import packets as P
from tui.engine.addr import ip_to_int, mac_to_bytes
from tui.engine.bpf import LINKTYPE_LINUX_SLL2, FilterError, compile_filter
from tui.engine.pcap import decode_pcap, file_header, record, sll2_from_ether, write_pcap


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


def _eip(src: int, dst: int, proto: int, payload: bytes, ms: bytes = MA, md: bytes = MB, **kw) -> bytes:
    return P.ether(md, ms, P.ETH_P_IP, P.ipv4(src, dst, proto, payload, **kw))


def corpus() -> list[bytes]:
    """ARP, ICMP, DNS, TCP/HTTP, VXLAN-wrapped ICMP/ARP, ESP, fragments, IGMP, odd cases."""
    f: list[bytes] = []
    f.append(P.ether(P.BROADCAST_MAC, MA, P.ETH_P_ARP, P.arp(1, MA, A, P.ZERO_MAC, B)))
    f.append(P.ether(MA, MB, P.ETH_P_ARP, P.arp(2, MB, B, MA, A), pad=True))
    ping = P.icmp_echo(8, 9, 1, bytes(56))
    f.append(_eip(A, B, 1, ping, df=True, ident=1))
    f.append(_eip(B, A, 1, P.icmp_echo(0, 9, 1, bytes(56)), MB, MA, ident=2))
    orig = P.ipv4(A, B, 17, P.udp(A, B, 41234, 9999, b"hello"))
    f.append(_eip(B, A, 1, P.icmp_error(3, 3, orig), MB, MA, tos=0xC0))
    f.append(_eip(A, DNS, 17, P.udp(A, DNS, 33987, 53, P.dns_query(4321, "web", 1))))
    f.append(_eip(DNS, A, 17, P.udp(DNS, A, 53, 33987, P.dns_response(4321, "web", 1, [(1, C)])), MB, MA))
    syn = P.tcp(A, C, 45678, 80, 1000, 0, P.TCP_SYN, 64860, b"", P.tcp_syn_options(1410, 1, 0, 7))
    f.append(_eip(A, C, 6, syn, df=True))
    sa = P.tcp(C, A, 80, 45678, 5000, 1001, P.TCP_SYN | P.TCP_ACK, 64308, b"", P.tcp_syn_options(1410, 2, 1, 7))
    f.append(_eip(C, A, 6, sa, MB, MA, df=True))
    get = P.tcp(A, C, 45678, 80, 1001, 5001, P.TCP_PSH | P.TCP_ACK, 507, b"GET / HTTP/1.1\r\nHost: web\r\n\r\n", P.tcp_ts_options(3, 2))
    f.append(_eip(A, C, 6, get, df=True))
    f.append(_eip(A, C, 6, P.tcp(A, C, 45679, 81, 7, 0, P.TCP_SYN, 64860), df=True))
    f.append(_eip(C, A, 6, P.tcp(C, A, 81, 45679, 0, 8, P.TCP_RST | P.TCP_ACK, 0), MB, MA, df=True))
    inner = _eip(A, B, 1, ping, df=True)
    f.append(_eip(H1, H2, 17, P.udp(H1, H2, 46048, 4789, P.vxlan(4097, inner)), M1, M2))
    inner_arp = P.ether(P.BROADCAST_MAC, MA, P.ETH_P_ARP, P.arp(1, MA, A, P.ZERO_MAC, B))
    f.append(_eip(H2, H1, 17, P.udp(H2, H1, 39852, 4789, P.vxlan(4097, inner_arp)), M2, M1))
    f.append(_eip(H1, H2, 50, P.esp(0x1A2B3C4D, 5, bytes(120)), M1, M2))
    big = P.udp(A, B, 5000, 53, bytes(100))
    f.append(_eip(A, B, 17, big[:48], mf=True, ident=77))
    f.append(_eip(A, B, 17, big[48:], frag_offset=48, ident=77))
    f.append(_eip(H1, H2, 6, P.tcp(H1, H2, 50000, 2377, 1, 1, P.TCP_ACK | P.TCP_PSH, 1000, b"raft"), M1, M2))
    f.append(_eip(H1, H2, 17, P.udp(H1, H2, 7946, 7946, b"gossip"), M1, M2))
    igmp = bytes.fromhex("46000028000000000102") + b"\0\0" + bytes.fromhex("0a0001030e0000169404000022000000000000010400000000e00000fc")
    f.append(P.ether(MB, MA, P.ETH_P_IP, igmp[:12] + P.ip_checksum(igmp[:24]).to_bytes(2, "big") + igmp[14:]))
    f.append(P.ether(MB, MA, 0x86DD, bytes(40)))
    return f


EXPRESSIONS = [
    "host 10.0.1.3", "src host 10.0.1.3", "dst host 10.0.1.5", "host 10.0.2.197", "host 10.0.1.30",
    "net 10.0.1.0/24", "net 10.0.0.0 mask 255.255.0.0", "dst net 127.0.0.0/8", "host 10.0.1",
    "port 53", "port 80", "port 4789", "udp port 4789", "tcp port 4789", "src port 53", "dst port 53",
    "port 53 or 80", "host 10.0.1.3 or 10.0.2.253", "host 10.0.1.3 and port 80", "portrange 50-90",
    "tcp portrange 1-1024", "port domain", "port http", "port 7946 or 2377",
    "udp", "tcp", "icmp", "arp", "ip", "esp", "igmp", "ip6", "proto 50", "ip proto \\udp", "ether proto \\arp",
    "ether host 02:42:0a:00:01:03", "ether src 02:fc:00:00:00:01", "ether dst ff:ff:ff:ff:ff:ff", "broadcast",
    "multicast", "ip multicast", "greater 100", "less 60", "len > 500",
    "icmp and host 10.0.1.3", "arp and host 10.0.1.5", "not arp and not ip", "not port 53 and 80",
    "tcp or udp and host 10.0.1.3", "(tcp or udp) and host 10.0.1.3", "host 10.0.1.3 and (53 or 80)",
    "tcp[tcpflags] & tcp-syn != 0", "tcp[tcpflags] == tcp-rst|tcp-ack", "icmp[icmptype] == icmp-echo",
    "icmp[icmptype] = icmp-unreach", "ip[6:2] & 0x1fff != 0", "udp[8:4] = 0x08000000", "ether[0] & 1 = 1",
    "src or dst port 53", "src and dst net 10.0.0.0/8", "host 10.0.1.3 and not icmp", "! icmp && ! arp",
    "",
]

BAD_EXPRESSIONS = [
    "port", "host", "80", "foo", "tcp and 80", "udp 53", "port 99999", "host 300.1.1.1", "host 1.2.3.4.5",
    "net 10.0.1.0/33", "net 10.0.1.3/24", "port foo", "udp port http", "tcp host 10.0.1.3",
    "(host 10.0.1.3", "host 10.0.1.3)", "host 10.0.1.3 and", "ip proto foo", "ether host 02:42:0a:00:01",
    "tcp[0] / 0 = 1", "ip[0:3] = 1", "port 080", "5 > 6", "inbound", "portrange 1-65536",
    "port 80 and (10.0.1.3 or 10.0.1.5)", "host foo.invalid",
]


def _real_selection(tcpdump: str, pcap: Path, expr: str, tmp: Path) -> tuple[set[int] | None, str]:
    out = tmp / "sel.pcap"
    args = [tcpdump, "-r", str(pcap), "-w", str(out)] + ([expr] if expr else [])
    p = subprocess.run(args, capture_output=True, text=True)
    err = [ln for ln in p.stderr.splitlines() if not ln.startswith(("reading from", "Warning"))]
    if p.returncode != 0:
        return None, err[0] if err else ""
    return {ts for ts, _ in decode_pcap(out.read_bytes()).records}, ""


@pytest.fixture(scope="module")
def corpus_pcap(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[int, bytes]]]:
    tmp = tmp_path_factory.mktemp("bpf")
    recs = [(1_700_000_000_000_000_000 + i * 1_000_000, fr) for i, fr in enumerate(corpus())]
    path = tmp / "corpus.pcap"
    write_pcap(str(path), recs)
    return path, recs


@needs_tcpdump
@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_selection_matches_real_tcpdump(expr: str, corpus_pcap, tmp_path: Path) -> None:
    path, recs = corpus_pcap
    real, err = _real_selection(TCPDUMP, path, expr, tmp_path)
    assert real is not None, err
    match = compile_filter(expr)
    ours = {ts for ts, fr in recs if match(fr)}
    assert ours == real, f"{expr!r}: ours-only {sorted(ours - real)}, real-only {sorted(real - ours)}"


@needs_tcpdump
def test_selection_on_truncated_captures(tmp_path: Path) -> None:
    frames = corpus()
    data = [file_header()]
    recs = []
    for i, fr in enumerate(frames):
        for cut in (20, 34, 40, 50):
            ts = 1_700_000_000_000_000_000 + (i * 10 + cut) * 1000
            data.append(record(ts, fr[:cut], orig_len=len(fr)))
            recs.append((ts, fr[:cut], len(fr)))
    path = tmp_path / "trunc.pcap"
    path.write_bytes(b"".join(data))
    for expr in ("port 53", "host 10.0.1.3", "tcp[tcpflags] & tcp-syn != 0", "len > 60", "icmp", "not udp"):
        real, err = _real_selection(TCPDUMP, path, expr, tmp_path)
        assert real is not None, err
        match = compile_filter(expr)
        assert {ts for ts, fr, wl in recs if match(fr, wl)} == real, expr


@needs_tcpdump
def test_selection_on_sll2(tmp_path: Path) -> None:
    recs = [(1_700_000_000_000_000_000 + i * 1000, sll2_from_ether(fr, 2 + i % 3, i % 5)) for i, fr in enumerate(corpus())]
    path = tmp_path / "any.pcap"
    write_pcap(str(path), recs, linktype=LINKTYPE_LINUX_SLL2)
    for expr in ("port 4789", "host 10.0.1.3", "arp", "icmp", "inbound", "outbound", "udp port 53", "esp"):
        real, err = _real_selection(TCPDUMP, path, expr, tmp_path)
        assert real is not None, err
        match = compile_filter(expr, LINKTYPE_LINUX_SLL2)
        assert {ts for ts, fr in recs if match(fr)} == real, expr
    for expr in ("ether host 02:42:0a:00:01:03", "broadcast", "vlan"):
        _sel, err = _real_selection(TCPDUMP, path, expr, tmp_path)
        with pytest.raises(FilterError) as exc:
            compile_filter(expr, LINKTYPE_LINUX_SLL2)
        assert "tcpdump: " + str(exc.value) == err


@needs_tcpdump
@pytest.mark.parametrize("expr", BAD_EXPRESSIONS)
def test_errors_match_real_tcpdump(expr: str, corpus_pcap, tmp_path: Path) -> None:
    path, _recs = corpus_pcap
    real, err = _real_selection(TCPDUMP, path, expr, tmp_path)
    assert real is None
    with pytest.raises(FilterError) as exc:
        compile_filter(expr)
    assert "tcpdump: " + str(exc.value) == err


# --------------------------------------------------------------------------- without the real binary


def _sel(expr: str, frames: list[bytes], **kw) -> list[int]:
    m = compile_filter(expr, **kw)
    return [i for i, fr in enumerate(frames) if m(fr)]


def test_outer_headers_only() -> None:
    f = corpus()
    vx = [12, 13]
    assert set(vx) <= set(_sel("port 4789", f))
    assert not set(vx) & set(_sel("icmp", f))
    assert not set(vx) & set(_sel("arp", f))


def test_host_matches_arp_protocol_addresses() -> None:
    f = corpus()
    assert _sel("host 10.0.1.5", f)[:2] == [0, 1]
    assert _sel("arp and src host 10.0.1.5", f) == [1]


def test_port_only_first_fragment() -> None:
    f = corpus()
    assert 15 in _sel("port 53", f) and 16 not in _sel("port 53", f)
    assert 16 in _sel("udp", f)


def test_qualifier_carry_over_and_precedence() -> None:
    f = corpus()
    assert _sel("port 53 or 80", f) == _sel("port 53 or port 80", f)
    assert _sel("host 10.0.1.3 or 10.0.2.253", f) == _sel("host 10.0.1.3 or host 10.0.2.253", f)
    # and/or have equal precedence, left to right
    assert _sel("tcp or udp and host 10.0.1.3", f) == _sel("(tcp or udp) and host 10.0.1.3", f)
    assert _sel("not port 53 and 80", f) == _sel("not port 53 and port 80", f)


def test_messages_without_binary() -> None:
    cases = {
        "port": "can't parse filter expression: syntax error",
        "tcp and 80": "syntax error in filter expression",
        "port 99999": "illegal port number 99999 > 65535",
        "udp port http": "port 'http' is tcp",
        "net 10.0.1.3/24": 'non-network bits set in "10.0.1.3/24"',
        "host web": "unknown host 'web'",
    }
    for expr, msg in cases.items():
        with pytest.raises(FilterError) as exc:
            compile_filter(expr)
        assert str(exc.value) == msg


def test_host_names_resolve_through_callback() -> None:
    f = corpus()
    names = {"web": C}
    assert _sel("host web", f, resolve_host=names.get) == _sel("host 10.0.1.30", f)


def test_empty_filter_accepts_everything() -> None:
    f = corpus()
    assert _sel("", f) == list(range(len(f)))
