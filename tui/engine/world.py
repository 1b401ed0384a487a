"""The internet stand-in: answers ping and DNS for well-known addresses, with no real network."""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from tui.engine.addr import int_to_ip, ip_to_int
from tui.engine.clock import US
from tui.engine.links import Dummy, IfAddr, Nic
from tui.engine.route import Route
from tui.engine.wire import Segment

if TYPE_CHECKING:
    from tui.engine.lab import Lab
    from tui.engine.pkt import Pkt

VPC_RESOLVER = "10.0.0.2"

FAR_ADDRESSES = {
    "8.8.8.8": "dns.google",
    "8.8.4.4": "dns.google",
    "1.1.1.1": "one.one.one.one",
    "93.184.216.34": "example.com",
}

ZONE = {
    "dns.google": "8.8.8.8",
    "one.one.one.one": "1.1.1.1",
    "example.com": "93.184.216.34",
    "www.example.com": "93.184.216.34",
    "laptop.example.net": "203.0.113.10",
}


_ip = ip_to_int


def install_world(lab: Lab, segment: Segment, gateway: str) -> None:
    from tui.engine.scenarios import random_mac

    host = lab.add_host("internet")
    router = host.root_ns
    router.label = "router"
    router.sysctl["net.ipv4.ip_forward"] = 1
    router.loopback_up()
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
    far.loopback_up()
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
    from tui.engine.apps.http import example_com_server

    example_com_server(far, _ip("93.184.216.34"))  # so `curl http://example.com` works from the hosts
    # the VPC resolver (the "+2" address of an AWS VPC), answering for the lab's hosts too
    vpc_dns = Dummy(router, "vpcdns", random_mac(lab))
    router.add_link(vpc_dns)
    router.add_addr(vpc_dns, IfAddr(_ip(VPC_RESOLVER), 32))
    router.set_up(vpc_dns)
    router.udp_bind(_ip(VPC_RESOLVER), 53, _dns_server(router))
    _add_laptop(lab, router)
    lab.world = host  # type: ignore[attr-defined]


def _new_ns(host, name):  # type: ignore[no-untyped-def]
    from tui.engine.netns import Namespace

    return Namespace(host, name)


def lookup_name(ns, name: str) -> str | None:  # type: ignore[no-untyped-def]
    """ZONE, plus the lab's own hosts by hostname (as a VPC resolver knows its instances)."""
    if name in ZONE:
        return ZONE[name]
    short = name.split(".")[0]
    host = ns.host.lab.hosts.get(short)
    if host is not None and host is not ns.host:
        for link in host.root_ns.links.values():
            for a in link.addrs:
                if a.addr >> 24 != 127:
                    return int_to_ip(a.addr)
    return None


def reverse_name(ns, addr: str) -> str | None:  # type: ignore[no-untyped-def]
    """PTR answers: the far addresses' names, and `ip-a-b-c-d.ec2.internal` for the lab's hosts."""
    if addr in FAR_ADDRESSES:
        return FAR_ADDRESSES[addr]
    v = _ip(addr)
    for host in ns.host.lab.hosts.values():
        if host is ns.host:
            continue
        for link in host.root_ns.links.values():
            if any(a.addr == v for a in link.addrs):
                return f"{host.hostname}.ec2.internal"
    return None


def _encode_name(name: str) -> bytes:
    return b"".join(bytes((len(p),)) + p.encode() for p in name.split(".") if p) + b"\x00"


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
        rd = flags & 0x0100
        if qtype == 12 and name.endswith(".in-addr.arpa"):
            parts = name[: -len(".in-addr.arpa")].split(".")
            ptr = reverse_name(ns, ".".join(reversed(parts))) if len(parts) == 4 else None
            if ptr is None:
                resp = struct.pack("!HHHHHH", qid, 0x8080 | rd | 3, 1, 0, 0, 0) + question
            else:
                rdata = _encode_name(ptr)
                answer = b"\xc0\x0c" + struct.pack("!HHIH", 12, 1, 300, len(rdata)) + rdata
                resp = struct.pack("!HHHHHH", qid, 0x8080 | rd, 1, 1, 0, 0) + question + answer
            ns.udp_send(dst, src, 53, sport, resp, t=pkt.t + 30 * US)
            return
        addr = lookup_name(ns, name)
        if addr is None:
            resp = struct.pack("!HHHHHH", qid, 0x8080 | rd | 3, 1, 0, 0, 0) + question
        elif qtype == 1:
            answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + bytes(int(x) for x in addr.split("."))
            resp = struct.pack("!HHHHHH", qid, 0x8080 | rd, 1, 1, 0, 0) + question + answer
        else:
            resp = struct.pack("!HHHHHH", qid, 0x8080 | rd, 1, 0, 0, 0) + question
        ns.udp_send(dst, src, 53, sport, resp, t=pkt.t + 30 * US)

    return handle


def install_stub_resolver(host) -> None:  # type: ignore[no-untyped-def]
    """systemd-resolved's stub on 127.0.0.53: forwards each query to the VPC resolver and relays the answer."""
    ns = host.root_ns
    upstream = _ip(VPC_RESOLVER)
    pending: dict[int, tuple[int, int]] = {}

    def from_client(pkt: Pkt, src: int, sport: int, dst: int, dport: int, payload: bytes) -> None:
        if len(payload) < 12:
            return
        port = ns.ephemeral_port()

        def from_upstream(pkt2: Pkt, s2: int, sp2: int, d2: int, dp2: int, answer: bytes) -> None:
            sock.close()
            ns.udp_send(_ip("127.0.0.53"), src, 53, sport, answer, t=pkt2.t + 20 * US)

        sock = ns.udp_bind(0, port, from_upstream)
        if sock is None:
            return
        pending[port] = (src, sport)
        ns.udp_send(None, upstream, port, 53, payload, t=pkt.t + 20 * US)

    ns.udp_bind(_ip("127.0.0.53"), 53, from_client)


def _add_laptop(lab: Lab, router) -> None:  # type: ignore[no-untyped-def]
    """An outside machine to test published services from, like a learner's laptop on the internet."""
    from tui.engine.scenarios import random_mac

    home = Segment(lab, "home", latency=700 * US, jitter=200 * US)
    lab.segments["home"] = home
    gw_nic = Nic(router, "eth2", random_mac(lab), 1500)
    router.add_link(gw_nic)
    home.attach(gw_nic)
    router.add_addr(gw_nic, IfAddr(_ip("203.0.113.1"), 24, brd=_ip("203.0.113.255")))
    router.set_up(gw_nic)
    laptop = lab.add_host("laptop")
    ns = laptop.root_ns
    ns.loopback_up()
    nic = Nic(ns, "eth0", random_mac(lab), 1500)
    ns.add_link(nic)
    home.attach(nic)
    ns.add_addr(nic, IfAddr(_ip("203.0.113.10"), 24, brd=_ip("203.0.113.255")))
    ns.set_up(nic)
    ns.routes.add(Route(0, 0, "eth0", via=_ip("203.0.113.1"), proto="dhcp", src=_ip("203.0.113.10"), metric=100))
    laptop.fs.write("/etc/resolv.conf", b"nameserver 8.8.8.8\n")
    laptop.fs.write("/etc/hosts", b"127.0.0.1 localhost\n")
