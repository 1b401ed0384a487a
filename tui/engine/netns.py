"""A network namespace: devices, addresses, routes, neighbours, netfilter and the IPv4 stack.

The stack follows the kernel's order of events: a received frame is seen by
taps, then PREROUTING, the routing decision, INPUT or FORWARD, and local
delivery; a locally generated packet is routed, passes OUTPUT and
POSTROUTING, is resolved by ARP and leaves through its device.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tui.engine.addr import int_to_ip
from tui.engine.clock import SEC, US
from tui.engine.links import BROADCAST, HOP_DELAY, IfAddr, Link, Loopback, Vxlan
from tui.engine.neigh import FAILED, Neigh, NeighTable
from tui.engine.pkt import Pkt
from tui.engine.route import LOCAL, MAIN, Route, RouteTables, prefix_mask

if TYPE_CHECKING:
    from tui.engine.capture import Capture
    from tui.engine.clock import Clock
    from tui.engine.esp import Xfrm
    from tui.engine.host import Host

ETH_IP = b"\x08\x00"
ETH_ARP = b"\x08\x06"
PROTO_ICMP, PROTO_TCP, PROTO_UDP, PROTO_ESP = 1, 6, 17, 50

STACK_DELAY = 18 * US  # socket send path of a locally generated packet

PROTO_NAMES = {1: "icmp", 2: "igmp", 6: "tcp", 17: "udp", 50: "esp"}
_IP_HDR = struct.Struct("!BBHHHBBH4s4s")
_IP_HDR_C = struct.Struct("!BBHHHBBHII")
_UDP_HDR = struct.Struct("!HHHH")
_ICMP_ECHO = struct.Struct("!BBHHH")


_NATIVE_LITTLE = sys.byteorder == "little"


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071), summing native 16-bit words and swapping once at the end."""
    if len(data) % 2:
        data += b"\x00"
    s = sum(memoryview(data).cast("H"))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    if _NATIVE_LITTLE:
        s = ((s & 0xFF) << 8) | (s >> 8)
    return ~s & 0xFFFF


def ip_header(src: int, dst: int, proto: int, payload_len: int, ttl: int, ident: int,
              df: bool, tos: int = 0, frag: int = 0) -> bytes:
    total = 20 + payload_len
    flags_frag = (0x4000 if df else 0) | frag
    # the checksum straight from the field values: one pack instead of pack, sum and re-pack
    s = (0x4500 | tos) + total + ident + flags_frag + (ttl << 8 | proto) + (src >> 16) + (src & 0xFFFF) \
        + (dst >> 16) + (dst & 0xFFFF)
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return _IP_HDR_C.pack(0x45, tos, total, ident, flags_frag, ttl, proto, ~s & 0xFFFF, src, dst)


def udp_segment(src: int, dst: int, sport: int, dport: int, payload: bytes, with_csum: bool = True) -> bytes:
    length = 8 + len(payload)
    if not with_csum:
        return _UDP_HDR.pack(sport, dport, length, 0) + payload
    pseudo = src.to_bytes(4, "big") + dst.to_bytes(4, "big") + bytes((0, PROTO_UDP)) + length.to_bytes(2, "big")
    seg = _UDP_HDR.pack(sport, dport, length, 0) + payload
    c = checksum(pseudo + seg) or 0xFFFF
    return seg[:6] + c.to_bytes(2, "big") + seg[8:]


def _flow_mix(a: int, b: int) -> int:
    """A small avalanche mix (stands in for the kernel's siphash of the flow keys)."""
    h = (a * 0x9E3779B1 + b * 0x85EBCA77) & 0xFFFFFFFF
    h ^= h >> 15
    h = (h * 0x2C1B3C6D) & 0xFFFFFFFF
    h ^= h >> 12
    h = (h * 0x297A2D39) & 0xFFFFFFFF
    h ^= h >> 15
    return h


class UdpSocket:
    """A bound UDP socket: ``handler(pkt, src, sport, dst, dport, payload)`` runs on delivery."""

    def __init__(self, ns: Namespace, addr: int, port: int, handler: Callable[..., None]) -> None:
        self.ns = ns
        self.addr = addr
        self.port = port
        self.handler = handler

    def close(self) -> None:
        self.ns.udp_sockets.pop((self.addr, self.port), None)


class Namespace:
    """One network namespace."""

    def __init__(self, host: Host, name: str = "", label: str = "") -> None:
        self.host = host
        self.clock: Clock = host.lab.clock
        self.where = ""
        self._label = ""
        self.name = name  # the `ip netns` name, "" for a host's root or an unnamed container namespace
        self.label = label or name or "host"
        self._flow_ports: dict[tuple[int, bytes], int] = {}
        self.links: dict[str, Link] = {}
        self.by_index: dict[int, Link] = {}
        self._last_index = 0
        self.sysctl: dict[str, int] = {
            "net.ipv4.ip_forward": 0,
            "net.ipv4.ip_default_ttl": 64,
            "net.ipv4.icmp_echo_ignore_all": 0,
            "net.ipv6.conf.all.disable_ipv6": 0,
        }
        self.routes = RouteTables()
        rt = 15 * SEC + host.lab.rng.randrange(30 * SEC)
        self.neigh = NeighTable(host.lab.clock, rt, self._arp_solicit, self._neigh_failed)
        self.any_taps: list[Capture] = []
        self.udp_sockets: dict[tuple[int, int], UdpSocket] = {}
        self.ping_sockets: dict[int, Callable[[str, Pkt, dict[str, Any]], None]] = {}
        self.tcp = None  # set lazily by tui.engine.tcp
        self.vxlan_ports: dict[int, list[Vxlan]] = {}
        self.ipvs: Any = None  # tui.engine.ipvs.Ipvs, made by Ipvs.of(ns)
        self.xfrm: Xfrm | None = None  # SAD and SPD, made by Xfrm.of(ns)
        self.netnsids: dict[int, int] = {}  # id(peer namespace) -> netnsid, given out as `ip` first shows a peer
        self._ip_id = host.lab.rng.randrange(65536)
        self._frags: dict[tuple[int, int, int, int], list[tuple[int, bytes, bool]]] = {}
        self.netfilter = self._make_netfilter()
        self.owner: object | None = None  # container or docker sandbox that owns this namespace
        self.add_link(Loopback(self))

    def _make_netfilter(self) -> Any:
        try:
            from tui.engine.netfilter import Netfilter
        except ImportError:  # pragma: no cover - during bring-up
            return None
        return Netfilter(self)

    # --- identity ------------------------------------------------------------------------------
    @property
    def label(self) -> str:
        return self._label

    @label.setter
    def label(self, value: str) -> None:
        self._label = value
        self.refresh_where()

    def refresh_where(self) -> None:
        """``where`` (``host/namespace``, read on every hop) is a plain attribute kept up to date here."""
        self.where = f"{getattr(self.host, 'hostname', '')}/{self._label}"

    def link_names(self) -> list[str]:
        return list(self.links)

    def __repr__(self) -> str:
        return f"<Namespace {self.where}>"

    # --- devices -------------------------------------------------------------------------------
    def alloc_ifindex(self, wanted: int = 0) -> int:
        if wanted and wanted not in self.by_index:
            return wanted
        i = self._last_index + 1
        while i in self.by_index:
            i += 1
        self._last_index = i
        return i

    def add_link(self, link: Link, ifindex: int = 0) -> Link:
        link.ns = self
        link.ifindex = self.alloc_ifindex(ifindex)
        self.links[link.name] = link
        self.by_index[link.ifindex] = link
        if isinstance(link, Loopback):
            link.admin_up = False
        return link

    def remove_link(self, link: Link) -> None:
        self.links.pop(link.name, None)
        self.by_index.pop(link.ifindex, None)
        self.routes.remove(lambda r: r.dev == link.name)
        self.neigh.flush_dev(link.name)
        if isinstance(link, Vxlan):
            lst = link.underlay.vxlan_ports.get(link.dstport, [])
            if link in lst:
                lst.remove(link)

    def move_link(self, link: Link, target: Namespace) -> None:
        """`ip link set DEV netns NS`: the device goes down, keeps its index if free, loses its addresses."""
        self.set_down(link)
        self.remove_link(link)
        if link.master is not None:
            link.master.remove_port(link)
        link.addrs.clear()
        target.add_link(link, link.ifindex)

    def rename_link(self, link: Link, new: str) -> None:
        self.links.pop(link.name, None)
        self.routes.remove(lambda r: r.dev == link.name)
        link.name = new
        self.links[new] = link

    def loopback_up(self) -> Link:
        """lo with 127.0.0.1/8 and up, as every booted host and container namespace has it; returns lo."""
        lo = self.links["lo"]
        self.add_addr(lo, IfAddr(0x7F000001, 8, scope="host"))
        self.set_up(lo)
        return lo

    def set_up(self, link: Link) -> None:
        if link.admin_up:
            return
        link.admin_up = True
        if isinstance(link, Loopback) and not link.addrs:
            # bringing lo up configures 127.0.0.1/8 (the kernel's inetdev NETDEV_UP for loopback)
            self.add_addr(link, IfAddr(0x7F000001, 8, scope="host"))
        for a in link.addrs:
            self._add_addr_routes(link, a)
        if isinstance(link, Vxlan):
            link.underlay.vxlan_ports.setdefault(link.dstport, []).append(link)
        if link.kind == "bridge" and getattr(link, "mcast_snooping", False):
            # a bridge with multicast snooping joins the all-snoopers group 224.0.0.106 when it opens
            self.igmp_join(link, 0xE000006A)
        self.routes.invalidate()

    # --- IGMP (only what the kernel sends by itself) ------------------------------------------------
    def igmp_join(self, link: Link, group: int) -> None:
        """Send the IGMPv3 unsolicited reports of a join: one now, one more within 1 s (robustness 2)."""
        self.clock.call_later(0, self._igmp_report, link, group)
        self.clock.call_later(self.host.lab.rng.randrange(SEC), self._igmp_report, link, group)

    def _igmp_report(self, link: Link, group: int) -> None:
        if not link.admin_up or link.ns is not self:
            return
        record = bytes((4, 0, 0, 0)) + group.to_bytes(4, "big")  # CHANGE_TO_EXCLUDE, no sources
        body = b"\x22\x00\x00\x00\x00\x00\x00\x01" + record
        c = checksum(body)
        body = body[:2] + c.to_bytes(2, "big") + body[4:]
        src = self.primary_addr(link.name) or 0
        total = 24 + len(body)
        hdr = struct.pack("!BBHHHBBH4s4s", 0x46, 0xC0, total, 0, 0x4000, 1, 2, 0, src.to_bytes(4, "big"),
                          (0xE0000016).to_bytes(4, "big")) + b"\x94\x04\x00\x00"
        hdr = hdr[:10] + checksum(hdr).to_bytes(2, "big") + hdr[12:]
        frame = b"\x01\x00\x5e\x00\x00\x16" + link.mac + ETH_IP + hdr + body
        pkt = Pkt(frame, self.clock.now, 14)
        pkt.hop(self.where, link.name, "igmp-report", "join 224.0.0.106")
        link.xmit(pkt)

    def set_down(self, link: Link) -> None:
        if not link.admin_up:
            return
        link.admin_up = False
        self.routes.remove(lambda r: r.dev == link.name and r.table != LOCAL)
        self.neigh.flush_dev(link.name)
        if isinstance(link, Vxlan):
            lst = link.underlay.vxlan_ports.get(link.dstport, [])
            if link in lst:
                lst.remove(link)
        self.routes.invalidate()

    def set_mtu(self, link: Link, mtu: int) -> None:
        link.mtu = mtu
        if link.master is not None:
            link.master.recompute()

    # --- addresses -----------------------------------------------------------------------------
    def add_addr(self, link: Link, addr: IfAddr) -> bool:
        if addr.addr >> 24 == 127:
            addr.scope = "host"  # the kernel forces host scope on loopback addresses
        for a in link.addrs:
            if a.addr == addr.addr and a.plen == addr.plen:
                return False
        if any(a.network == addr.network and a.plen == addr.plen and not a.secondary for a in link.addrs):
            addr.secondary = True
        if not addr.label:
            addr.label = link.name
        link.addrs.append(addr)
        self.routes.add(Route(addr.addr, 32, link.name, src=addr.addr, proto="kernel", scope="host",
                              type="local", table=LOCAL))
        if addr.brd:
            self.routes.add(Route(addr.brd, 32, link.name, src=addr.addr, proto="kernel", scope="link",
                                  type="broadcast", table=LOCAL))
        if link.admin_up:
            self._add_addr_routes(link, addr)
        return True

    def _add_addr_routes(self, link: Link, a: IfAddr) -> None:
        if a.plen < 32 and not a.secondary and a.scope != "host":
            self.routes.add(Route(a.network, a.plen, link.name, src=a.addr, proto="kernel", scope="link"))
        elif a.scope == "host" and link.name == "lo":
            self.routes.add(Route(a.network, a.plen, "lo", src=a.addr, proto="kernel", scope="host",
                                  type="local", table=LOCAL))

    def del_addr(self, link: Link, addr: int, plen: int) -> bool:
        for a in link.addrs:
            if a.addr == addr and a.plen == plen:
                link.addrs.remove(a)
                self._remove_addr_routes(link.name, addr, a.network, a.plen)
                return True
        return False

    def _remove_addr_routes(self, dev: str, addr: int, net: int, plen: int) -> None:
        self.routes.remove(lambda r: r.dev == dev and (r.src == addr or (
            r.proto == "kernel" and r.dst == net and r.plen == plen)))

    def local_addrs(self) -> list[int]:
        return [a.addr for link in self.links.values() for a in link.addrs]

    def addr_type(self, ip: int) -> str:
        if ip >> 28 == 0xE:
            return "MULTICAST"
        if ip == 0xFFFFFFFF:
            return "BROADCAST"
        r = self.routes.lookup(ip)
        if r is not None and r.table == LOCAL:
            return "LOCAL" if r.type == "local" else "BROADCAST"
        return "UNICAST"

    def is_local(self, ip: int) -> bool:
        r = self.routes.lookup(ip)
        return r is not None and r.table == LOCAL and r.type == "local"

    def primary_addr(self, dev: str, dst: int | None = None) -> int | None:
        link = self.links.get(dev)
        if link is None or not link.addrs:
            return None
        if dst is not None:
            for a in link.addrs:
                if not a.secondary and (dst & prefix_mask(a.plen)) == a.network:
                    return a.addr
        for a in link.addrs:
            if not a.secondary:
                return a.addr
        return link.addrs[0].addr

    def masquerade_source(self, out_dev: str, dst: int) -> int | None:
        r = self.routes.lookup(dst)
        if r is not None and r.src is not None and r.dev == out_dev:
            return r.src
        return self.primary_addr(out_dev, dst)

    def source_for(self, dst: int) -> int | None:
        """The source address a new connection to ``dst`` uses (route src, else the device's address)."""
        r = self.routes.lookup(dst)
        if r is None:
            return None
        if r.type == "local":
            # a local route's preferred source wins (127.0.0.11 is reached from 127.0.0.1), as in the kernel
            return r.src if r.src is not None else dst
        if r.src is not None:
            return r.src
        return self.primary_addr(r.dev, r.via if r.via is not None else dst)

    # --- receive path ---------------------------------------------------------------------------
    def stack_receive(self, link: Link, pkt: Pkt) -> None:
        data = pkt.data
        etype = data[12:14]
        dst = data[0:6]
        if dst != link.mac and not dst[0] & 1 and link.name != "lo":
            pkt.hop(self.where, link.name, "drop", "not for this host (otherhost)")
            return
        if etype == ETH_IP:
            pkt.l3 = 14
            self.ip_receive(link, pkt)
        elif etype == ETH_ARP:
            self.arp_receive(link, pkt)

    def arp_receive(self, link: Link, pkt: Pkt) -> None:
        data = pkt.data
        if len(data) < 42:
            return
        op = data[20] << 8 | data[21]
        sha = data[22:28]
        spa = int.from_bytes(data[28:32], "big")
        tpa = int.from_bytes(data[38:42], "big")
        if op == 1:
            if not self._owns_on(link, tpa):
                if spa and self.neigh.get(link.name, spa) is not None:
                    self.neigh.heard_from(link.name, spa, sha, is_reply=False)
                return
            if spa:
                self.neigh.heard_from(link.name, spa, sha, is_reply=False)
            reply = (sha + link.mac + ETH_ARP + b"\x00\x01\x08\x00\x06\x04\x00\x02" + link.mac
                     + data[38:42] + sha + data[28:32])
            out = Pkt(reply, pkt.t + HOP_DELAY, 14, pkt.trace)
            out.hop(self.where, link.name, "arp-reply", f"{_ip(tpa)} is-at {_mac(link.mac)}")
            link.xmit(out)
        elif op == 2:
            self.neigh.heard_from(link.name, spa, sha, is_reply=True)

    def _owns_on(self, link: Link, ip: int) -> bool:
        # arp_ignore=0: answer for any local address, whatever device it is on
        return self.is_local(ip)

    def ip_receive(self, link: Link, pkt: Pkt) -> None:
        data = pkt.data
        l3 = pkt.l3
        ihl = (data[l3] & 0x0F) * 4
        dst = int.from_bytes(data[l3 + 16:l3 + 20], "big")
        pkt.in_dev = link.name
        meta = pkt.meta
        if meta is not None and link.name != "lo" and ("ipvs" in meta or "untracked" in meta):
            for key in ("ipvs", "ipvs_vaddr", "ipvs_vport", "ipvs_vproto", "untracked"):
                meta.pop(key, None)  # skb_scrub_packet: IPVS's marks do not cross namespaces
        nf = self.netfilter
        if nf is not None and nf.active:
            if not nf.hook("PREROUTING", pkt, link.name, ""):
                return
            data = pkt.data
            dst = int.from_bytes(data[l3 + 16:l3 + 20], "big")
        r = self.routes.lookup(dst)
        if r is not None and r.table == LOCAL or dst == 0xFFFFFFFF or dst >> 28 == 0xE:
            # IPVS (ip_vs_in) runs at LOCAL_IN after the filter chain: inside the INPUT hook when
            # netfilter is active, on its own otherwise. True: IPVS sent the packet on itself.
            if nf is not None and nf.active:
                if not nf.hook("INPUT", pkt, link.name, ""):
                    return
            elif self.ipvs is not None and self.ipvs.local_in(pkt, link):
                return
            self.local_deliver(link, pkt, ihl)
            return
        if not self.sysctl.get("net.ipv4.ip_forward"):
            pkt.hop(self.where, link.name, "drop", "not local and ip_forward=0")
            return
        self.ip_forward(link, pkt, r, dst)

    def ip_forward(self, link: Link, pkt: Pkt, r: Route | None, dst: int) -> None:
        data = pkt.data
        l3 = pkt.l3
        if r is None:
            pkt.hop(self.where, link.name, "drop", "no route")
            self.send_icmp_error(pkt, 3, 0)
            return
        ttl = data[l3 + 8]
        if ttl <= 1:
            pkt.hop(self.where, link.name, "drop", "TTL exceeded")
            self.send_icmp_error(pkt, 11, 0)
            return
        nf = self.netfilter
        if nf is not None and nf.active and not nf.hook("FORWARD", pkt, link.name, r.dev):
            return
        if self.ipvs is not None and self.ipvs.forward(pkt, link):  # ip_vs_out: replies get the VIP back
            return
        data = pkt.data
        # decrement TTL with an incremental checksum update (RFC 1624)
        csum = (data[l3 + 10] << 8 | data[l3 + 11]) + 0x0100
        csum = (csum & 0xFFFF) + (csum >> 16)
        pkt.data = data[:l3 + 8] + bytes((ttl - 1,)) + data[l3 + 9:l3 + 10] + csum.to_bytes(2, "big") + data[l3 + 12:]
        pkt.hop(self.where, r.dev, "route", f"forward via {_ip(r.via) if r.via is not None else 'direct'}")
        self._post_route_output(pkt, r, dst, forwarded=True)

    def local_deliver(self, link: Link, pkt: Pkt, ihl: int) -> None:
        data = pkt.data
        l3 = pkt.l3
        flags_frag = data[l3 + 6] << 8 | data[l3 + 7]
        if flags_frag & 0x3FFF:
            whole = self._reassemble(pkt, ihl)
            if whole is None:
                return
            pkt.data = data = whole
            ihl = 20
        proto = data[l3 + 9]
        src = int.from_bytes(data[l3 + 12:l3 + 16], "big")
        dst = int.from_bytes(data[l3 + 16:l3 + 20], "big")
        off = l3 + ihl
        pkt.hop(self.where, link.name, "deliver", PROTO_NAMES.get(proto) or str(proto))
        if proto == PROTO_ICMP:
            self._icmp_receive(link, pkt, src, dst, off)
        elif proto == PROTO_UDP:
            sport, dport = struct.unpack_from("!HH", data, off)
            vxs = self.vxlan_ports.get(dport)
            if vxs and self.is_local(dst):
                self._vxlan_decap(pkt, src, off + 8, vxs)
                return
            sock = self.udp_sockets.get((dst, dport)) or self.udp_sockets.get((0, dport))
            if sock is None:
                if self.is_local(dst):
                    self.send_icmp_error(pkt, 3, 3)
                return
            length = struct.unpack_from("!H", data, off + 4)[0]
            payload = data[off + 8:off + length]
            self.clock.call_at(pkt.t, sock.handler, pkt, src, sport, dst, dport, payload)
        elif proto == PROTO_TCP:
            if self.tcp is None:
                from tui.engine.tcp import TcpStack

                self.tcp = TcpStack(self)
            self.tcp.receive(pkt, src, dst, off)
        elif proto == PROTO_ESP:
            xfrm = self.xfrm
            if xfrm is None:
                return
            total = data[l3 + 2] << 8 | data[l3 + 3]
            got = xfrm.decrypt(pkt, src, dst, off, l3 + total)
            if got is None:
                return
            nxt, seg = got
            # transport mode (xfrm4_transport_finish): the datagram, now with a secpath, goes through
            # PREROUTING, routing and INPUT again as if it had arrived like this
            hdr = ip_header(src, dst, nxt, len(seg), data[l3 + 8], data[l3 + 4] << 8 | data[l3 + 5], False,
                            data[l3 + 1])
            pkt.data = data[:l3] + hdr + seg
            if pkt.meta is None:
                pkt.meta = {}
            pkt.meta["secpath"] = True
            self.ip_receive(link, pkt)

    def _reassemble(self, pkt: Pkt, ihl: int) -> bytes | None:
        data = pkt.data
        l3 = pkt.l3
        ident = data[l3 + 4] << 8 | data[l3 + 5]
        key = (int.from_bytes(data[l3 + 12:l3 + 16], "big"), int.from_bytes(data[l3 + 16:l3 + 20], "big"),
               ident, data[l3 + 9])
        flags_frag = data[l3 + 6] << 8 | data[l3 + 7]
        total = data[l3 + 2] << 8 | data[l3 + 3]
        part = (flags_frag & 0x1FFF) * 8, data[l3 + ihl:l3 + total], bool(flags_frag & 0x2000)
        parts = self._frags.setdefault(key, [])
        parts.append(part)
        parts.sort()
        if parts[-1][2]:
            return None
        pos = 0
        for offset, chunk, _ in parts:
            if offset != pos:
                return None
            pos += len(chunk)
        del self._frags[key]
        payload = b"".join(c for _, c, _ in parts)
        hdr = ip_header(key[0], key[1], key[3], len(payload), data[l3 + 8], ident, False, data[l3 + 1])
        return data[:l3] + hdr + payload

    def _icmp_receive(self, link: Link, pkt: Pkt, src: int, dst: int, off: int) -> None:
        data = pkt.data
        itype = data[off]
        l3 = pkt.l3
        if itype == 8:
            if self.sysctl.get("net.ipv4.icmp_echo_ignore_all"):
                return
            total = data[l3 + 2] << 8 | data[l3 + 3]
            body = bytearray(data[off:l3 + total])
            body[0] = 0
            # type 8 -> 0: add 0x0800 to the checksum (RFC 1624 incremental update)
            c = (body[2] << 8 | body[3]) + 0x0800
            c = (c & 0xFFFF) + (c >> 16)
            body[2:4] = c.to_bytes(2, "big")
            reply_src = dst if self.is_local(dst) else (self.source_for(src) or dst)
            # the kernel's replies do PMTU discovery "want": DF unless the reply must be fragmented
            route = self.routes.lookup(src)
            out = self.links.get(route.dev) if route is not None else None
            df = out is None or 20 + len(body) <= out.mtu
            self.ip_send(reply_src, src, PROTO_ICMP, bytes(body), t=pkt.t + HOP_DELAY, trace=pkt.trace,
                         tos=data[l3 + 1], mark=pkt.mark, df=df)
        elif itype == 0:
            ident = data[off + 4] << 8 | data[off + 5]
            cb = self.ping_sockets.get(ident)
            if cb is not None:
                info = {"src": src, "dst": dst, "seq": data[off + 6] << 8 | data[off + 7],
                        "ttl": data[l3 + 8], "len": (data[l3 + 2] << 8 | data[l3 + 3]) - (off - l3), "t": pkt.t}
                self.clock.call_at(pkt.t, cb, "reply", pkt, info)
        elif itype in (3, 11, 12):
            inner = off + 8
            if len(data) < inner + 28:
                return
            iproto = data[inner + 9]
            iihl = (data[inner] & 0x0F) * 4
            info = {"src": src, "type": itype, "code": data[off + 1], "t": pkt.t,
                    "mtu": data[off + 6] << 8 | data[off + 7],
                    "orig_dst": int.from_bytes(data[inner + 16:inner + 20], "big")}
            if iproto == PROTO_ICMP and data[inner + iihl] == 8:
                ident = data[inner + iihl + 4] << 8 | data[inner + iihl + 5]
                info["seq"] = data[inner + iihl + 6] << 8 | data[inner + iihl + 7]
                cb = self.ping_sockets.get(ident)
                if cb is not None:
                    self.clock.call_at(pkt.t, cb, "error", pkt, info)
            elif iproto == PROTO_UDP:
                sport = data[inner + iihl] << 8 | data[inner + iihl + 1]
                for (_addr, port), sock in list(self.udp_sockets.items()):
                    if port == sport and hasattr(sock, "on_error"):
                        self.clock.call_at(pkt.t, sock.on_error, info)  # type: ignore[attr-defined]
            elif iproto == PROTO_TCP and self.tcp is not None:
                self.tcp.icmp_error(info, data[inner:])

    # --- VXLAN -------------------------------------------------------------------------------------
    def vxlan_flow_port(self, vx: Vxlan, inner: bytes) -> int:
        """Outer UDP source port: a hash of the inner flow, symmetric like the kernel's flow hash."""
        key = (vx.port_min, inner[12:14] + inner[23:38] if inner[12:14] == ETH_IP else inner[:42])
        port = self._flow_ports.get(key)
        if port is None:
            port = self._compute_flow_port(vx, inner)
            if len(self._flow_ports) > 4096:
                self._flow_ports.clear()
            self._flow_ports[key] = port
        return port

    def _compute_flow_port(self, vx: Vxlan, inner: bytes) -> int:
        etype = inner[12:14]
        if etype == ETH_IP and len(inner) >= 34:
            a = int.from_bytes(inner[26:30], "big")
            b = int.from_bytes(inner[30:34], "big")
            proto = inner[23]
            ports = 0
            if proto in (PROTO_TCP, PROTO_UDP):
                ihl = (inner[14] & 0x0F) * 4
                p1, p2 = struct.unpack_from("!HH", inner, 14 + ihl)
                ports = min(p1, p2) << 16 | max(p1, p2)
            key = _flow_mix(min(a, b), max(a, b)) ^ _flow_mix(proto, ports)
        elif etype == ETH_ARP and len(inner) >= 42:
            a = int.from_bytes(inner[28:32], "big")
            b = int.from_bytes(inner[38:42], "big")
            key = _flow_mix(min(a, b), max(a, b)) ^ 0x0806
        else:
            key = _flow_mix(int.from_bytes(inner[0:6], "big") & 0xFFFFFFFF, int.from_bytes(inner[6:12], "big") & 0xFFFFFFFF)
        h = _flow_mix(key, self.host.hashrnd)
        h ^= (h << 16) & 0xFFFFFFFF
        return ((h * (vx.port_max - vx.port_min)) >> 32) + vx.port_min

    def vxlan_encap(self, vx: Vxlan, pkt: Pkt, remote: int) -> None:
        inner = pkt.data
        r = self.routes.lookup(remote)
        if r is None:
            pkt.hop(self.where, vx.name, "drop", "vxlan: no route to remote")
            return
        src = vx.local or self.source_for(remote) or 0
        sport = self.vxlan_flow_port(vx, inner)
        payload = vx.header + inner
        seg = udp_segment(src, remote, sport, vx.dstport, payload, vx.udpcsum)
        pkt.hop(vx.ns.where, vx.name, "encap", (vx.vni, src, sport, remote, vx.dstport))
        self.ip_send(src, remote, PROTO_UDP, seg, t=pkt.t + HOP_DELAY, trace=pkt.trace, ttl=vx.ttl or 64,
                     df=False, mark=pkt.mark)

    def _vxlan_decap(self, pkt: Pkt, outer_src: int, off: int, vxs: list[Vxlan]) -> None:
        data = pkt.data
        if len(data) < off + 8 + 14:
            return
        if not data[off] & 0x08:
            return
        vni = int.from_bytes(data[off + 4:off + 7], "big")
        for vx in vxs:
            if vx.vni == vni and vx.admin_up:
                inner = Pkt(data[off + 8:], pkt.t + HOP_DELAY, 14, pkt.trace)
                inner.hop(vx.ns.where, vx.name, "decap", (vni, outer_src))
                vx.decap_receive(inner, outer_src)
                return
        pkt.hop(self.where, "", "drop", f"vxlan: no device for vni {vni}")

    # --- send path --------------------------------------------------------------------------------
    def next_ip_id(self) -> int:
        self._ip_id = (self._ip_id + 1) & 0xFFFF
        return self._ip_id

    def ip_send(self, src: int | None, dst: int, proto: int, payload: bytes, *, t: int | None = None,
                trace: list | None = None, ttl: int | None = None, df: bool = True, tos: int = 0,
                ident: int | None = None, mark: int = 0, dev: str | None = None,
                xfrm_done: bool = False) -> str | None:
        """Send a locally generated IPv4 packet. Returns an errno name on a local error (e.g. EMSGSIZE)."""
        r = self.routes.lookup(dst)
        if dev is not None and (r is None or r.dev != dev):
            link = self.links.get(dev)
            r = Route(dst, 32, dev, scope="link") if link is not None else None
        if r is None:
            return "ENETUNREACH"
        if r.type in ("unreachable", "blackhole", "prohibit"):
            return {"unreachable": "EHOSTUNREACH", "blackhole": "EINVAL", "prohibit": "EACCES"}[r.type]
        if src is None:
            src = self.source_for(dst) or 0
        if ttl is None:
            ttl = self.sysctl.get("net.ipv4.ip_default_ttl", 64)
        if ident is None:
            ident = 0 if df and proto == PROTO_TCP else self.next_ip_id()
        hdr = ip_header(src, dst, proto, len(payload), ttl, ident, df, tos)
        out_link = self.links.get(r.dev)
        frame_dst = b"\x00" * 6
        if t is None:  # a process sending: the system call and the stack's own work take a little time
            t = self.clock.now + STACK_DELAY
        pkt = Pkt(frame_dst + (out_link.mac if out_link else b"\x00" * 6) + ETH_IP + hdr + payload, t, 14, trace)
        pkt.mark = mark
        pkt.out_dev = r.dev
        nf = self.netfilter
        if nf is not None and nf.active:
            if not nf.hook("OUTPUT", pkt, "", r.dev):
                return "EPERM"  # a local sender sees EPERM whether OUTPUT dropped or rejected
            new_dst = int.from_bytes(pkt.data[30:34], "big")
            if new_dst != dst:
                dst = new_dst
                r = self.routes.lookup(dst) or r
        xfrm = self.xfrm
        if xfrm is not None and xfrm.policies and not xfrm_done:
            # ip_route_me_harder after mangle OUTPUT: xfrm_lookup with the (possibly new) mark
            data = pkt.data
            ihl = (data[14] & 0x0F) * 4
            total = data[16] << 8 | data[17]
            segment = data[14 + ihl:14 + total]
            found = xfrm.lookup_out(pkt, int.from_bytes(data[26:30], "big"), dst, data[23], segment)
            if found is not None:
                if found == "drop":
                    return None
                # xfrm4_output: POSTROUTING sees the datagram before the transform
                if nf is not None and nf.active and not nf.hook("POSTROUTING", pkt, "", r.dev):
                    return None
                xfrm.transform(pkt, found, int.from_bytes(data[26:30], "big"), dst, data[23], segment)
                return None
        return self._post_route_output(pkt, r, dst, forwarded=False)

    def _post_route_output(self, pkt: Pkt, r: Route, dst: int, forwarded: bool) -> str | None:
        nf = self.netfilter
        if nf is not None and nf.active and not nf.hook("POSTROUTING", pkt, pkt.in_dev if forwarded else "", r.dev):
            return None
        link = self.links.get(r.dev)
        if link is None:
            return "ENETUNREACH"
        data = pkt.data
        l3 = pkt.l3
        total = data[l3 + 2] << 8 | data[l3 + 3]
        if total > link.mtu:
            if data[l3 + 6] & 0x40:
                if forwarded:
                    pkt.hop(self.where, link.name, "drop", f"needs fragmentation, mtu {link.mtu}")
                    self.send_icmp_error(pkt, 3, 4, mtu=link.mtu)
                    return None
                return "EMSGSIZE"
            for frag in self._fragment(pkt, link.mtu):
                self._neigh_output(frag, link, r, dst)
            return None
        if r.type == "local" or link.name == "lo":
            # traffic to one of our own addresses never leaves: it loops back through lo
            lo = self.links.get("lo", link)
            pkt.hop(self.where, "lo", "route", "local")
            pkt.data = b"\x00" * 12 + ETH_IP + data[14:]
            lo.xmit(pkt)
            return None
        self._neigh_output(pkt, link, r, dst)
        return None

    def _fragment(self, pkt: Pkt, mtu: int) -> list[Pkt]:
        data = pkt.data
        l3 = pkt.l3
        ihl = (data[l3] & 0x0F) * 4
        total = data[l3 + 2] << 8 | data[l3 + 3]
        payload = data[l3 + ihl:l3 + total]
        step = (mtu - ihl) // 8 * 8
        src = int.from_bytes(data[l3 + 12:l3 + 16], "big")
        dst = int.from_bytes(data[l3 + 16:l3 + 20], "big")
        ident = data[l3 + 4] << 8 | data[l3 + 5]
        out = []
        for pos in range(0, len(payload), step):
            chunk = payload[pos:pos + step]
            more = pos + step < len(payload)
            hdr = ip_header(src, dst, data[l3 + 9], len(chunk), data[l3 + 8], ident, False, data[l3 + 1],
                            (pos // 8) | (0x2000 if more else 0))
            f = Pkt(data[:l3] + hdr + chunk, pkt.t, l3, pkt.trace)
            f.mark = pkt.mark
            out.append(f)
        return out

    def _neigh_output(self, pkt: Pkt, link: Link, r: Route, dst: int) -> None:
        if r.type == "broadcast" or dst == 0xFFFFFFFF:
            self._finish_output(pkt, link, BROADCAST)
            return
        if dst >> 28 == 0xE:
            mac = bytes((0x01, 0x00, 0x5E, (dst >> 16) & 0x7F, (dst >> 8) & 0xFF, dst & 0xFF))
            self._finish_output(pkt, link, mac)
            return
        if link.arphrd == "loopback":
            self._finish_output(pkt, link, b"\x00" * 6)
            return
        nexthop = r.via if r.via is not None else dst
        mac = self.neigh.lookup_ready(link.name, nexthop)
        if mac is not None:
            self._finish_output(pkt, link, mac)
            return
        if pkt.meta is None:
            pkt.meta = {}
        pkt.meta["neigh_send"] = lambda p, m: self._finish_output(p, link, m)
        mac = self.neigh.resolve(link.name, nexthop, pkt)
        if mac is not None:
            pkt.meta.pop("neigh_send", None)
            self._finish_output(pkt, link, mac)
        else:
            pkt.hop(self.where, link.name, "arp-wait", f"resolving {_ip(nexthop)}")

    def _finish_output(self, pkt: Pkt, link: Link, mac: bytes) -> None:
        pkt.data = mac + link.mac + pkt.data[12:]
        pkt.t = max(pkt.t, self.clock.now)
        pkt.hop(self.where, link.name, "tx")
        link.xmit(pkt)

    def _arp_solicit(self, n: Neigh, unicast: bool) -> None:
        link = self.links.get(n.dev)
        if link is None:
            return
        src = self.primary_addr(n.dev, n.ip) or 0
        dst_mac = n.lladdr if unicast and n.lladdr else BROADCAST
        frame = (dst_mac + link.mac + ETH_ARP + b"\x00\x01\x08\x00\x06\x04\x00\x01" + link.mac
                 + src.to_bytes(4, "big") + b"\x00" * 6 + n.ip.to_bytes(4, "big"))
        pkt = Pkt(frame, self.clock.now, 14)
        pkt.hop(self.where, link.name, "arp-request", f"who-has {_ip(n.ip)} tell {_ip(src)}")
        link.xmit(pkt)

    def _neigh_failed(self, n: Neigh, queued: list[Pkt]) -> None:
        for pkt in queued:
            pkt.hop(self.where, n.dev, "drop", f"neighbour {_ip(n.ip)} {FAILED}")
            data = pkt.data
            src = int.from_bytes(data[pkt.l3 + 12:pkt.l3 + 16], "big")
            if self.is_local(src):
                self.send_icmp_error(pkt, 3, 1, local=True)
            else:
                self.send_icmp_error(pkt, 3, 1)

    # --- ICMP errors ----------------------------------------------------------------------------------
    def send_icmp_error(self, pkt: Pkt, itype: int, code: int, mtu: int = 0, local: bool = False) -> None:
        data = pkt.data
        l3 = pkt.l3
        orig_src = int.from_bytes(data[l3 + 12:l3 + 16], "big")
        if data[l3 + 9] == PROTO_ICMP and data[l3 + ((data[l3] & 0x0F) * 4)] not in (0, 8):
            return  # never answer an ICMP error with an error
        total = data[l3 + 2] << 8 | data[l3 + 3]
        quote = data[l3:l3 + min(total, 576 - 28)]  # Linux quotes as much as fits in 576 bytes
        rest = mtu.to_bytes(4, "big") if mtu else b"\x00" * 4
        body = bytes((itype, code)) + b"\x00\x00" + rest + quote
        c = checksum(body)
        body = body[:2] + c.to_bytes(2, "big") + body[4:]
        if local:
            # the error is reported to the local sender by the stack itself (`Destination Host Unreachable`)
            src = self.primary_addr(pkt.out_dev or "", orig_src) or orig_src
            hdr = ip_header(src, orig_src, PROTO_ICMP, len(body), 64, self.next_ip_id(), False, 0xC0)
            err = Pkt(b"\x00" * 12 + ETH_IP + hdr + body, self.clock.now, 14, pkt.trace)
            self.local_deliver(self.links.get("lo") or next(iter(self.links.values())), err, 20)
            return
        src = self.source_for(orig_src)
        self.ip_send(src, orig_src, PROTO_ICMP, body, t=pkt.t + HOP_DELAY, trace=pkt.trace, df=False, tos=0xC0)

    def send_tcp_reset(self, pkt: Pkt) -> None:
        if self.tcp is None:
            from tui.engine.tcp import TcpStack

            self.tcp = TcpStack(self)
        self.tcp.send_reset_for(pkt)

    # --- sockets ------------------------------------------------------------------------------------
    def udp_bind(self, addr: int, port: int, handler: Callable[..., None]) -> UdpSocket | None:
        if (addr, port) in self.udp_sockets:
            return None
        sock = UdpSocket(self, addr, port, handler)
        self.udp_sockets[(addr, port)] = sock
        return sock

    def udp_send(self, src: int | None, dst: int, sport: int, dport: int, payload: bytes,
                 t: int | None = None, trace: list | None = None) -> str | None:
        if src is None:
            src = self.source_for(dst) or 0
        seg = udp_segment(src, dst, sport, dport, payload)
        return self.ip_send(src, dst, PROTO_UDP, seg, t=t, trace=trace, df=True)

    def ephemeral_port(self) -> int:
        used = {p for (_, p) in self.udp_sockets}
        while True:
            port = 32768 + self.host.lab.rng.randrange(60999 - 32768)
            if port not in used:
                return port


def _ip(v: int | None) -> str:
    return "-" if v is None else int_to_ip(v)


def _mac(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


__all__ = ["Namespace", "checksum", "ip_header", "udp_segment", "MAIN", "LOCAL", "SEC", "US"]
