"""Network devices: loopback, physical NICs, veth pairs, bridges and VXLAN.

Each device moves frames the way its kernel driver does. ``xmit`` is the
device's transmit side (the stack or a bridge hands it a frame),
``receive`` its receive side (a frame arrives from the wire or the peer).
Capture taps see frames on both sides, before netfilter on receive and
after it on transmit, as AF_PACKET sockets do.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from tui.engine.clock import SEC, US

if TYPE_CHECKING:
    from tui.engine.capture import Capture
    from tui.engine.netns import Namespace
    from tui.engine.pkt import Pkt

BROADCAST = b"\xff" * 6
ZERO_MAC = b"\x00" * 6
HOP_DELAY = 2 * US  # cost of one software hop (veth, bridge)


class IfAddr:
    """An IPv4 address on a device (`ip addr`)."""

    __slots__ = ("addr", "plen", "brd", "scope", "label", "secondary", "peer")

    def __init__(self, addr: int, plen: int, brd: int | None = None, scope: str = "global",
                 label: str = "", secondary: bool = False) -> None:
        self.addr = addr
        self.plen = plen
        self.brd = brd
        self.scope = scope
        self.label = label
        self.secondary = secondary
        self.peer: int | None = None

    @property
    def network(self) -> int:
        mask = (0xFFFFFFFF << (32 - self.plen)) & 0xFFFFFFFF if self.plen else 0
        return self.addr & mask


class Link:
    """Common device state: what `ip link` shows."""

    kind = ""
    arphrd = "ether"

    def __init__(self, ns: Namespace, name: str, mac: bytes, mtu: int = 1500) -> None:
        self.ns = ns
        self.name = name
        self.mac = mac
        self.mtu = mtu
        self.min_mtu = 68
        self.max_mtu = 65535
        self.admin_up = False
        self.addrs: list[IfAddr] = []
        self.master: Bridge | None = None
        self.txqlen = 1000
        self.qdisc = "noop"
        self.taps: list[Capture] = []
        self.ifindex = 0
        self.promiscuity = 0
        self.allmulti = 0
        self.alias = ""
        self.rx_packets = self.rx_bytes = self.tx_packets = self.tx_bytes = 0
        self.rx_dropped = self.tx_dropped = 0
        self.num_queues = 1
        self.port_added_at = 0

    # --- what `ip link` shows ----------------------------------------------------------------
    @property
    def carrier(self) -> bool:
        return self.admin_up

    def flags(self) -> list[str]:
        """Kernel flag names in iproute2's order (NO-CARRIER first when up without carrier)."""
        out: list[str] = []
        if self.admin_up and not self.carrier:
            out.append("NO-CARRIER")
        out += self.base_flags()
        if self.admin_up:
            out.append("UP")
            if self.carrier:
                out.append("LOWER_UP")
        return out

    def base_flags(self) -> list[str]:
        return ["BROADCAST", "MULTICAST"]

    @property
    def operstate(self) -> str:
        if not self.admin_up:
            return "DOWN"
        return "UP" if self.carrier else "DOWN"

    def peer_label(self) -> tuple[str, Namespace | None] | None:
        """(name or ifN, namespace of the peer) for the `@peer` part of `ip link`."""
        return None

    @property
    def where(self) -> str:
        return self.ns.where

    # --- datapath ----------------------------------------------------------------------------
    def tap(self, pkt: Pkt, outgoing: bool) -> None:
        for cap in self.taps:
            cap.offer(pkt, self, outgoing)
        ns_taps = self.ns.any_taps
        if ns_taps:
            for cap in ns_taps:
                cap.offer(pkt, self, outgoing)

    def xmit(self, pkt: Pkt) -> None:
        """Send a frame out of this device."""
        if not self.admin_up:
            self.tx_dropped += 1
            return
        self.tx_packets += 1
        self.tx_bytes += len(pkt.data)
        if self.taps or self.ns.any_taps:
            self.tap(pkt, True)
        self._transmit(pkt)

    def _transmit(self, pkt: Pkt) -> None:
        pkt.hop(self.where, self.name, "drop", "no carrier")

    def receive(self, pkt: Pkt) -> None:
        """A frame arrives at this device."""
        if not self.admin_up:
            self.rx_dropped += 1
            return
        self.rx_packets += 1
        self.rx_bytes += len(pkt.data)
        if self.taps or self.ns.any_taps:
            self.tap(pkt, False)
        if self.master is not None:
            self.master.bridge_input(self, pkt)
        else:
            self.ns.stack_receive(self, pkt)


class Loopback(Link):
    kind = ""
    arphrd = "loopback"

    def __init__(self, ns: Namespace) -> None:
        super().__init__(ns, "lo", b"\x00" * 6, 65536)
        self.qdisc = "noqueue"
        self.max_mtu = 0

    def base_flags(self) -> list[str]:
        return ["LOOPBACK"]

    @property
    def operstate(self) -> str:
        return "UNKNOWN" if self.admin_up else "DOWN"

    def _transmit(self, pkt: Pkt) -> None:
        pkt.hop(self.where, "lo", "loopback")
        # the looped-back copy is not seen again by packet sockets: tcpdump -i lo shows each packet once
        if not self.admin_up:
            return
        self.rx_packets += 1
        self.rx_bytes += len(pkt.data)
        self.ns.stack_receive(self, pkt)


class Nic(Link):
    """A physical Ethernet NIC plugged into a :class:`~tui.engine.wire.Segment`."""

    def __init__(self, ns: Namespace, name: str, mac: bytes, mtu: int = 1500) -> None:
        super().__init__(ns, name, mac, mtu)
        self.qdisc = "fq_codel"
        self.segment = None  # type: ignore[var-annotated]
        self.max_mtu = 9216

    @property
    def carrier(self) -> bool:
        return self.admin_up and self.segment is not None

    def _transmit(self, pkt: Pkt) -> None:
        if self.segment is None:
            pkt.hop(self.where, self.name, "drop", "no carrier")
            return
        self.segment.transmit(self, pkt)


class Dummy(Link):
    kind = "dummy"

    def __init__(self, ns: Namespace, name: str, mac: bytes) -> None:
        super().__init__(ns, name, mac, 1500)
        self.qdisc = "noqueue"

    @property
    def operstate(self) -> str:
        return "UNKNOWN" if self.admin_up else "DOWN"

    def _transmit(self, pkt: Pkt) -> None:
        pkt.hop(self.where, self.name, "drop", "dummy device")


class Veth(Link):
    kind = "veth"

    def __init__(self, ns: Namespace, name: str, mac: bytes, mtu: int = 1500) -> None:
        super().__init__(ns, name, mac, mtu)
        self.peer: Veth | None = None
        self.qdisc = "noqueue"
        self.num_queues = 2

    @property
    def carrier(self) -> bool:
        return self.admin_up and self.peer is not None and self.peer.admin_up

    @property
    def operstate(self) -> str:
        if not self.admin_up:
            return "DOWN"
        return "UP" if self.carrier else "LOWERLAYERDOWN"

    def peer_label(self) -> tuple[str, Namespace | None] | None:
        if self.peer is None:
            return None
        return self.peer.name, self.peer.ns

    def _transmit(self, pkt: Pkt) -> None:
        peer = self.peer
        if peer is None or not peer.admin_up:
            self.tx_dropped += 1
            pkt.hop(self.where, self.name, "drop", "peer down")
            return
        pkt.t += HOP_DELAY
        pkt.hop(peer.ns.where, peer.name, "veth", (self.name,))
        peer.receive(pkt)


class FdbEntry:
    __slots__ = ("mac", "port", "updated", "local", "static", "vlan")

    def __init__(self, mac: bytes, port: Link, updated: int, local: bool = False, static: bool = False) -> None:
        self.mac = mac
        self.port = port
        self.updated = updated
        self.local = local
        self.static = static
        self.vlan = 0


class Bridge(Link):
    """A Linux bridge: learns source MACs, forwards known unicast, floods the rest."""

    kind = "bridge"

    def __init__(self, ns: Namespace, name: str, mac: bytes) -> None:
        super().__init__(ns, name, mac, 1500)
        self.ports: list[Link] = []
        self.fdb: dict[bytes, FdbEntry] = {}
        self.ageing_time = 300 * SEC
        self.qdisc = "noqueue"
        self.mac_set = False
        self.mtu_set = False
        self.forward_delay = 15 * SEC
        self.created_at = ns.clock.now
        self.mcast_snooping = True

    @property
    def carrier(self) -> bool:
        return self.admin_up and any(p.admin_up and p.carrier for p in self.ports)

    @property
    def operstate(self) -> str:
        if not self.admin_up:
            return "DOWN"
        if not self.ports:
            return "DOWN"
        return "UP" if self.carrier else "DOWN"

    def flags(self) -> list[str]:
        return super().flags()

    # --- ports ---------------------------------------------------------------------------------
    def add_port(self, link: Link) -> None:
        link.master = self
        link.promiscuity += 1
        link.allmulti += 1
        link.port_added_at = self.ns.clock.now
        self.ports.append(link)
        self.fdb[link.mac] = FdbEntry(link.mac, link, self.ns.clock.now, local=True, static=True)
        self.recompute()

    def remove_port(self, link: Link) -> None:
        if link in self.ports:
            self.ports.remove(link)
        link.master = None
        link.promiscuity = max(0, link.promiscuity - 1)
        link.allmulti = max(0, link.allmulti - 1)
        for mac in [m for m, e in self.fdb.items() if e.port is link]:
            del self.fdb[mac]
        self.recompute()

    def recompute(self) -> None:
        """The kernel gives a bridge the lowest port MAC and the smallest port MTU unless set by hand."""
        if not self.mac_set and self.ports:
            self.mac = min(p.mac for p in self.ports)
        if not self.mtu_set and self.ports:
            self.mtu = min(p.mtu for p in self.ports)

    def port_no(self, link: Link) -> int:
        return self.ports.index(link) + 1

    def fdb_lookup(self, mac: bytes) -> FdbEntry | None:
        e = self.fdb.get(mac)
        if e is None:
            return None
        if not e.static and self.ns.clock.now - e.updated > self.ageing_time:
            del self.fdb[mac]
            return None
        return e

    # --- datapath -------------------------------------------------------------------------------
    def bridge_input(self, port: Link, pkt: Pkt) -> None:
        if not self.admin_up:
            # a bridge that is down puts its ports in the disabled state: nothing is learned or forwarded
            pkt.hop(self.ns.where, self.name, "drop", "bridge is down (port disabled)")
            return
        data = pkt.data
        src = data[6:12]
        dst = data[0:6]
        now = self.ns.clock.now
        if not src[0] & 1:
            e = self.fdb.get(src)
            if e is None:
                self.fdb[src] = FdbEntry(src, port, now)
            elif not e.local and not e.static:
                e.port = port
                e.updated = now
        pkt.t += HOP_DELAY
        if dst[0] & 1:
            self._flood(port, pkt, local=True)
            return
        if dst == self.mac:  # the bridge device's own address is always a local entry
            self._deliver_local(pkt)
            return
        e = self.fdb_lookup(dst)
        if e is None:
            self._flood(port, pkt, local=False)
        elif e.local or dst == self.mac:
            self._deliver_local(pkt)
        elif e.port is not port:
            pkt.hop(self.ns.where, self.name, "bridge-forward", (port.name, e.port.name))
            self._forward(e.port, pkt)

    def _forward(self, out: Link, pkt: Pkt) -> None:
        if len(pkt.data) - 14 > out.mtu:
            pkt.hop(self.where, out.name, "drop", f"frame larger than mtu {out.mtu}")
            out.tx_dropped += 1
            return
        out.xmit(pkt)

    def _flood(self, port: Link | None, pkt: Pkt, local: bool) -> None:
        targets = [p for p in self.ports if p is not port and p.admin_up]
        pkt.hop(self.where, self.name, "bridge-flood", ",".join(p.name for p in targets) or "-")
        for i, out in enumerate(targets):
            self._forward(out, pkt if (i == len(targets) - 1 and not local) else pkt_copy(pkt))
        if local:
            self._deliver_local(pkt)

    def _deliver_local(self, pkt: Pkt) -> None:
        """The frame is for the bridge device itself: hand it to the stack through br0's receive side."""
        if not self.admin_up:
            return
        self.rx_packets += 1
        self.rx_bytes += len(pkt.data)
        if self.taps or self.ns.any_taps:
            self.tap(pkt, False)
        self.ns.stack_receive(self, pkt)

    def _transmit(self, pkt: Pkt) -> None:
        """The stack sends out of the bridge: forward by FDB like any other frame."""
        dst = pkt.data[0:6]
        if dst[0] & 1:
            self._flood(None, pkt, local=False)
            return
        e = self.fdb_lookup(dst)
        if e is None:
            self._flood(None, pkt, local=False)
        elif not e.local:
            pkt.hop(self.ns.where, self.name, "bridge-forward", ("", e.port.name))
            self._forward(e.port, pkt)


def pkt_copy(pkt: Pkt) -> Pkt:
    from tui.engine.pkt import Pkt as _Pkt

    c = _Pkt(pkt.data, pkt.t, pkt.l3, list(pkt.trace))
    c.mark = pkt.mark
    return c


class VxlanFdb:
    __slots__ = ("mac", "dst", "via", "permanent", "updated")

    def __init__(self, mac: bytes, dst: int, via: str = "", permanent: bool = False, updated: int = 0) -> None:
        self.mac = mac
        self.dst = dst
        self.via = via
        self.permanent = permanent
        self.updated = updated


_VXLAN_HDR = struct.Struct("!BxxxI")


class Vxlan(Link):
    """A VXLAN tunnel endpoint. Encapsulates into UDP from the namespace it was created in."""

    kind = "vxlan"

    def __init__(self, ns: Namespace, name: str, mac: bytes, vni: int, dstport: int = 4789,
                 remote: int | None = None, local: int | None = None, dev: str = "",
                 learning: bool = True, proxy: bool = False, l2miss: bool = False, l3miss: bool = False,
                 ttl: int = 0) -> None:
        super().__init__(ns, name, mac, 1500)
        self.vni = vni
        self.dstport = dstport
        self.remote = remote
        self.local = local
        self.dev = dev
        self.learning = learning
        self.proxy = proxy
        self.l2miss = l2miss
        self.l3miss = l3miss
        self.ttl = ttl
        self.ageing = 300
        self.port_min = 32768
        self.port_max = 61000
        self.udpcsum = True
        self.qdisc = "noqueue"
        self.underlay: Namespace = ns  # the socket stays where the device was created (link-netns)
        # the device's own FDB: MAC -> entries (several for the all-zeros default, one per remote)
        self.vfdb: dict[bytes, list[VxlanFdb]] = {}
        self.header = b"\x08\x00\x00\x00" + (vni << 8).to_bytes(4, "big")  # RFC 7348: flags I, VNI
        if remote is not None:
            self.fdb_add(VxlanFdb(ZERO_MAC, remote, dev, permanent=True))

    @property
    def operstate(self) -> str:
        return "UNKNOWN" if self.admin_up else "DOWN"

    def fdb_add(self, entry: VxlanFdb, replace: bool = False) -> None:
        if replace or entry.mac not in self.vfdb:
            self.vfdb[entry.mac] = [entry]
        else:
            self.vfdb[entry.mac].append(entry)

    def fdb_del(self, mac: bytes, dst: int | None = None) -> bool:
        entries = self.vfdb.get(mac)
        if not entries:
            return False
        keep = [e for e in entries if dst is not None and e.dst != dst]
        if len(keep) == len(entries):
            return False
        if keep:
            self.vfdb[mac] = keep
        else:
            del self.vfdb[mac]
        return True

    def fdb_for(self, mac: bytes) -> list[VxlanFdb]:
        hits = self.vfdb.get(mac)
        if not hits:
            return []
        now = self.ns.clock.now
        live = [e for e in hits if e.permanent or now - e.updated <= self.ageing * SEC]
        if len(live) != len(hits):
            if live:
                self.vfdb[mac] = live
            else:
                del self.vfdb[mac]
        return live

    def fdb_for_display(self) -> list[VxlanFdb]:
        now = self.ns.clock.now
        return [e for entries in self.vfdb.values() for e in entries
                if e.permanent or now - e.updated <= self.ageing * SEC]

    def learn(self, mac: bytes, remote: int) -> None:
        now = self.ns.clock.now
        entries = self.vfdb.get(mac)
        if entries:
            e = entries[0]
            if not e.permanent:
                e.dst = remote
                e.updated = now
            return
        self.vfdb[mac] = [VxlanFdb(mac, remote, updated=now)]

    def _transmit(self, pkt: Pkt) -> None:
        data = pkt.data
        ethertype = data[12:14]
        if self.proxy and ethertype == b"\x08\x06" and self._proxy_arp(pkt):
            return
        dst = data[0:6]
        entries = self.fdb_for(dst) if not dst[0] & 1 else []
        if not entries:
            entries = self.fdb_for(ZERO_MAC)
        if not entries:
            pkt.hop(self.where, self.name, "drop", "vxlan: no fdb entry (l2miss)" if self.l2miss else "vxlan: no fdb entry")
            self.tx_dropped += 1
            return
        for e in entries:
            self.underlay.vxlan_encap(self, pkt, e.dst)

    def _proxy_arp(self, pkt: Pkt) -> bool:
        """ARP suppression: answer who-has from the neighbour table instead of tunnelling it."""
        data = pkt.data
        if len(data) < 42 or data[20:22] != b"\x00\x01":
            return False
        tpa = int.from_bytes(data[38:42], "big")
        n = self.ns.neigh.get(self.name, tpa)
        if n is None or n.lladdr is None or n.state not in ("PERMANENT", "REACHABLE", "STALE", "NOARP"):
            pkt.hop(self.where, self.name, "drop", "vxlan proxy: no neighbour (l3miss)")
            return True
        sha = data[22:28]
        spa = data[28:32]
        reply_arp = b"\x00\x01\x08\x00\x06\x04\x00\x02" + n.lladdr + data[38:42] + sha + spa
        frame = sha + n.lladdr + b"\x08\x06" + reply_arp
        from tui.engine.pkt import Pkt as _Pkt

        reply = _Pkt(frame, pkt.t + HOP_DELAY, 14, pkt.trace)
        reply.hop(self.where, self.name, "arp-proxy", "answered from the neighbour table")
        self.ns.clock.call_at(reply.t, self.receive, reply)
        return True

    def decap_receive(self, pkt: Pkt, outer_src: int) -> None:
        if self.learning:
            src = pkt.data[6:12]
            if not src[0] & 1:
                self.learn(src, outer_src)
        self.receive(pkt)
