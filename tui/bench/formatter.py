"""Benchmark: how fast our tcpdump printer formats packets, against the real tcpdump.

Both read the same pcap of VXLAN-wrapped ICMP echo requests/replies (two lines
per packet); the metric is output lines per second, best of three runs each.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time

from tui.engine.addr import ip_to_int, mac_to_bytes
from tui.engine.packets import ETH_P_IP, ether, icmp_echo, ipv4, udp, vxlan
from tui.engine.pcap import read_pcap, write_pcap
from tui.shell.formats.tcpdump import TcpdumpPrinter


def find_tcpdump() -> str | None:
    """The real tcpdump binary (Debian puts it in /usr/bin, others in /usr/sbin)."""
    for cand in (shutil.which("tcpdump"), "/usr/sbin/tcpdump", "/usr/bin/tcpdump"):
        if cand and os.access(cand, os.X_OK):
            return cand
    return None


def vxlan_icmp_records(n: int) -> list[tuple[int, bytes]]:
    """n overlay pings as the underlay sees them: request/reply alternating."""
    a, b = ip_to_int("10.0.1.3"), ip_to_int("10.0.1.5")
    h1, h2 = ip_to_int("10.0.2.197"), ip_to_int("10.0.2.253")
    ma, mb = mac_to_bytes("02:42:0a:00:01:03"), mac_to_bytes("02:42:0a:00:01:05")
    m1, m2 = mac_to_bytes("02:fc:00:00:00:01"), mac_to_bytes("02:fc:00:00:00:02")
    payload = bytes(range(56))
    base = 1_700_000_000_000_000_000
    recs = []
    for i in range(n):
        seq = i // 2
        if i % 2 == 0:
            inner = ether(mb, ma, ETH_P_IP, ipv4(a, b, 1, icmp_echo(8, 9, seq, payload), ident=i & 0xFFFF, df=True))
            outer = ipv4(h1, h2, 17, udp(h1, h2, 46048, 4789, vxlan(4097, inner)), ident=i & 0xFFFF)
            frame = ether(m2, m1, ETH_P_IP, outer)
        else:
            inner = ether(ma, mb, ETH_P_IP, ipv4(b, a, 1, icmp_echo(0, 9, seq, payload), ident=i & 0xFFFF))
            outer = ipv4(h2, h1, 17, udp(h2, h1, 39852, 4789, vxlan(4097, inner)), ident=i & 0xFFFF)
            frame = ether(m1, m2, ETH_P_IP, outer)
        recs.append((base + i * 731_000, frame))
    return recs


def _time_ours(records: list[tuple[int, bytes]]) -> tuple[float, int]:
    best = float("inf")
    lines = 0
    for _ in range(3):
        printer = TcpdumpPrinter(numeric=True)
        fmt = printer.format
        t0 = time.perf_counter()
        lines = 0
        for ts, frame in records:
            lines += fmt(ts, frame).count("\n") + 1
        best = min(best, time.perf_counter() - t0)
    return best, lines


def _time_real(binary: str, path: str) -> tuple[float, int] | None:
    best = float("inf")
    lines = 0
    env = dict(os.environ, TZ="UTC")
    for _ in range(3):
        t0 = time.perf_counter()
        proc = subprocess.run([binary, "-n", "-r", path], capture_output=True, env=env)
        dt = time.perf_counter() - t0
        if proc.returncode != 0:
            return None
        lines = proc.stdout.count(b"\n")
        best = min(best, dt)
    return best, lines


def bench_formatter(n: int = 20000) -> dict:
    """Lines/s of our printer vs ``tcpdump -n -r`` on the same pcap of n VXLAN pings."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "vxlan-icmp.pcap")
        write_pcap(path, vxlan_icmp_records(n))
        _lt, records = read_pcap(path)
        ours_t, ours_lines = _time_ours(records)
        ours = ours_lines / ours_t
        binary = find_tcpdump()
        real = None
        if binary is not None:
            res = _time_real(binary, path)
            if res is not None and res[0] > 0:
                real = res[1] / res[0]
    return {
        "name": "tcpdump_formatter_lines_per_s",
        "value": ours,
        "unit": "lines/s",
        "reference": real,
        "ratio": (ours / real) if real else None,
        "target": ">= 0.2",
    }


if __name__ == "__main__":
    print(bench_formatter())
