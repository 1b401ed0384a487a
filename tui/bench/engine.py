"""Engine benchmarks: packets/s through the hand-built VXLAN overlay (capture on) vs scapy's build rate,
and the tcpdump printer's lines/s vs the real `tcpdump -n -r`."""

from __future__ import annotations

import struct
import time

from tui.bench.metrics import Metric
from tui.engine.clock import MS

OVERLAY_SETUP = {
    "ip-10-0-2-197": ("10.0.1.2", "10.0.2.253"),
    "ip-10-0-2-253": ("10.0.1.3", "10.0.2.197"),
}


def build_overlay(seed: int = 1):  # type: ignore[no-untyped-def]
    """linux-hosts with the by-hand VXLAN overlay of the engine's Done-means script."""
    from tui.engine.scenarios import build_scenario
    from tui.shell import Shell

    lab = build_scenario("linux-hosts", seed)
    for host, (addr, remote) in OVERLAY_SETUP.items():
        sh = Shell(lab, host)
        for line in (
            "ip netns add ns1",
            "ip link add br0 type bridge",
            "ip link set br0 up",
            "ip link add veth0 type veth peer name eth0 netns ns1",
            "ip link set veth0 master br0",
            "ip link set veth0 mtu 1450 up",
            f"ip link add vxlan0 type vxlan id 4097 dstport 4789 remote {remote} dev eth0",
            "ip link set vxlan0 master br0",
            "ip link set vxlan0 up",
            "ip netns exec ns1 ip link set lo up",
            "ip netns exec ns1 ip link set eth0 mtu 1450 up",
            f"ip netns exec ns1 ip addr add {addr}/24 dev eth0",
        ):
            sh.run_line(line)
    return lab


def _echo(ident: int, seq: int) -> bytes:
    from tui.engine.netns import checksum

    body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + bytes(56)
    c = checksum(body)
    return body[:2] + c.to_bytes(2, "big") + body[4:]


def overlay_rate(n: int) -> float:
    """Packets per wall-clock second moving end to end through the overlay (requests + replies)."""
    from tui.engine.bpf import compile_filter
    from tui.engine.capture import Capture
    from tui.engine.netns import PROTO_ICMP

    lab = build_overlay()
    src = lab.hosts["ip-10-0-2-197"].netns_by_name["ns1"]
    dst_root = lab.hosts["ip-10-0-2-253"].root_ns
    dst = 0x0A000103
    replies = [0]
    src.ping_sockets[7] = lambda kind, pkt, info: replies.__setitem__(0, replies[0] + 1)
    src.ip_send(None, dst, PROTO_ICMP, _echo(7, 0))
    lab.clock.advance(50 * MS)  # ARP done before timing
    cap = Capture(dst_root, "eth0", compile_filter("udp port 4789")).start()
    start_replies = replies[0]
    bodies = [_echo(7, i & 0xFFFF) for i in range(n)]
    t0 = time.perf_counter()
    for body in bodies:
        src.ip_send(None, dst, PROTO_ICMP, body)
        lab.clock.advance(2 * MS)
    dt = time.perf_counter() - t0
    done = replies[0] - start_replies
    assert done == n and cap.matched >= 2 * n, (done, cap.matched)  # plus the odd ARP re-probe
    return 2 * n / dt


def scapy_build_rate(n: int) -> float:
    from scapy.layers.inet import ICMP, IP, UDP
    from scapy.layers.l2 import Ether
    from scapy.layers.vxlan import VXLAN

    def build() -> bytes:
        return bytes(
            Ether(src="0e:00:00:00:00:01", dst="0e:00:00:00:00:02")
            / IP(src="10.0.2.197", dst="10.0.2.253", flags=0)
            / UDP(sport=46048, dport=4789)
            / VXLAN(flags=0x08, vni=4097)
            / Ether(src="02:42:0a:00:01:03", dst="02:42:0a:00:01:05")
            / IP(src="10.0.1.2", dst="10.0.1.3")
            / ICMP(id=7, seq=0)
            / bytes(56)
        )

    build()
    t0 = time.perf_counter()
    for _ in range(n):
        build()
    return n / (time.perf_counter() - t0)


def run(quick: bool = False) -> list[Metric]:
    n = 500 if quick else 5000
    ours = max(overlay_rate(n) for _ in range(1 if quick else 3))
    ref = max(scapy_build_rate(100 if quick else 1000) for _ in range(1 if quick else 3))
    metrics = [Metric("overlay_packets_per_s", ours, "packets/s", ref, ours / ref, ">= 50",
                      "echo request+reply end to end over VXLAN, tcpdump-style capture on node2 eth0; "
                      "reference: scapy building the same VXLAN frame")]
    try:
        from tui.bench.formatter import bench_formatter

        d = bench_formatter(2000 if quick else 20000)
        metrics.append(Metric(d["name"], d["value"], d["unit"], d["reference"], d["ratio"], d["target"],
                              "reference: real `tcpdump -n -r` on the same pcap"))
    except ImportError:
        pass
    return metrics
