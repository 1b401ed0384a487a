"""The internet stand-in: answers ping and DNS for well-known addresses, with no real network."""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from tui.engine.clock import US
from tui.engine.links import Dummy, IfAddr, Nic
from tui.engine.route import Route
from tui.engine.wire import Segment

if TYPE_CHECKING:
    from tui.engine.lab import Lab
    from tui.engine.pkt import Pkt

FAR_ADDRESSES = {
    "8.8.8.8": "dns.google",
    "8.8.4.4": "dns.google",
    "1.1.1.1": "one.one.one.one",
    "93.184.216.34": "example.com",
    "203.0.113.10": "client.example.net",
}

ZONE = {
    "dns.google": "8.8.8.8",
    "one.one.one.one": "1.1.1.1",
    "example.com": "93.184.216.34",
    "www.example.com": "93.184.216.34",
    "client.example.net": "203.0.113.10",
}


def _ip(s: str) -> int:
    a, b, c, d = (int(x) for x in s.split("."))
    return a << 24 | b << 16 | c << 8 | d


def install_world(lab: Lab, segment: Segment, gateway: str) -> None:
    from tui.engine.scenarios import random_mac

    host = lab.add_host("internet")
    router = host.root_ns
    router.label = "router"
    router.sysctl["net.ipv4.ip_forward"] = 1
    lo = router.links["lo"]
    router.add_addr(lo, IfAddr(_ip("127.0.0.1"), 8, scope="host"))
    router.set_up(lo)
    nic = Nic(router, "eth0", random_mac(lab), 1500)
    router.add_link(nic)
    segment.attach(nic)
    gw = _ip(gateway)
    router.add_addr(nic, IfAddr(gw, 24, brd=gw | 0xFF))
    router.set_up(nic)
    # the far side: a second segment with internet-like latency
    far_seg = Segment(lab, "internet", latency=480 * US, jitter=160 * US)
    lab.segments["internet"] = far_seg
    up = Nic(router, "eth1", random_mac(lab), 1500)
    router.add_link(up)
    far_seg.attach(up)
    router.add_addr(up, IfAddr(_ip("198.51.100.1"), 30, brd=_ip("198.51.100.3")))
    router.set_up(up)
    far = host.netns_by_name.setdefault("far", _new_ns(host, "far"))
    far.sysctl["net.ipv4.ip_default_ttl"] = 116
    lo2 = far.links["lo"]
    far.add_addr(lo2, IfAddr(_ip("127.0.0.1"), 8, scope="host"))
    far.set_up(lo2)
    fnic = Nic(far, "eth0", random_mac(lab), 1500)
    far.add_link(fnic)
    far_seg.attach(fnic)
    far.add_addr(fnic, IfAddr(_ip("198.51.100.2"), 30, brd=_ip("198.51.100.3")))
    far.set_up(fnic)
    far.routes.add(Route(0, 0, "eth0", via=_ip("198.51.100.1")))
    dummy = Dummy(far, "anycast", random_mac(lab))
    far.add_link(dummy)
    for addr in FAR_ADDRESSES:
        far.add_addr(dummy, IfAddr(_ip(addr), 32))
    far.set_up(dummy)
    router.routes.add(Route(0, 0, "eth1", via=_ip("198.51.100.2")))
    for a in ("8.8.8.8", "8.8.4.4", "1.1.1.1"):
        far.udp_bind(_ip(a), 53, _dns_server(far))
    lab.world = host  # type: ignore[attr-defined]


def _new_ns(host, name):  # type: ignore[no-untyped-def]
    from tui.engine.netns import Namespace

    return Namespace(host, name)


def _dns_server(ns):  # type: ignore[no-untyped-def]
    """A recursive resolver stand-in answering A queries from ZONE (NXDOMAIN otherwise)."""

    def handle(pkt: Pkt, src: int, sport: int, dst: int, dport: int, payload: bytes) -> None:
        if len(payload) < 12:
            return
        qid, flags, qd = struct.unpack_from("!HHH", payload, 0)
        if flags & 0x8000 or qd != 1:
            return
        pos = 12
        labels = []
        while pos < len(payload) and payload[pos]:
            n = payload[pos]
            labels.append(payload[pos + 1:pos + 1 + n].decode("ascii", "replace"))
            pos += 1 + n
        qname_end = pos + 1
        if qname_end + 4 > len(payload):
            return
        qtype, qclass = struct.unpack_from("!HH", payload, qname_end)
        question = payload[12:qname_end + 4]
        name = ".".join(labels).lower()
        addr = ZONE.get(name)
        rd = flags & 0x0100
        if addr is None:
            resp = struct.pack("!HHHHHH", qid, 0x8080 | rd | 3, 1, 0, 0, 0) + question
        elif qtype == 1:
            answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + bytes(int(x) for x in addr.split("."))
            resp = struct.pack("!HHHHHH", qid, 0x8080 | rd, 1, 1, 0, 0) + question + answer
        else:
            resp = struct.pack("!HHHHHH", qid, 0x8080 | rd, 1, 0, 0, 0) + question
        ns.udp_send(dst, src, 53, sport, resp, t=pkt.t + 30 * US)

    return handle
