"""The underlay: an Ethernet segment joining the hosts' physical NICs (like a VPC subnet)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.engine.clock import US
from tui.engine.links import Nic
from tui.engine.pkt import Pkt

if TYPE_CHECKING:
    from tui.engine.lab import Lab


class Segment:
    """Delivers frames to the NIC that owns the destination MAC (or to all, for broadcast)."""

    def __init__(self, lab: Lab, name: str, latency: int = 240 * US, jitter: int = 90 * US) -> None:
        self.lab = lab
        self.name = name
        self.latency = latency
        self.jitter = jitter
        self.nics: list[Nic] = []
        self.where = f"wire/{name}"
        self.mtu = 9001  # the path MTU of the network itself (a VPC's); frames above it vanish silently
        self.up = True
        # a wire never reorders: frames between the same two NICs keep their order whatever the jitter
        self._last_arrival: dict[tuple[int, int], int] = {}

    def attach(self, nic: Nic) -> None:
        nic.segment = self
        self.nics.append(nic)

    def detach(self, nic: Nic) -> None:
        if nic in self.nics:
            self.nics.remove(nic)
        nic.segment = None

    def transmit(self, src: Nic, pkt: Pkt) -> None:
        if not self.up:
            pkt.hop(src.where, src.name, "drop", f"segment {self.name} is down")
            return
        if len(pkt.data) - 14 > self.mtu:
            pkt.hop(self.where, "", "drop", f"frame of {len(pkt.data) - 14} bytes exceeds the path MTU {self.mtu}")
            return
        dst = pkt.data[0:6]
        delay = self.latency + (self.lab.rng.randrange(self.jitter) if self.jitter else 0)
        arrive = max(pkt.t, self.lab.clock.now) + delay
        data = pkt.data
        if len(data) < 60:
            data = data + b"\x00" * (60 - len(data))  # Ethernet minimum frame: real NICs pad
        if not dst[0] & 1:
            for nic in self.nics:
                if nic.mac == dst and nic is not src and nic.admin_up:
                    key = (id(src), id(nic))
                    last = self._last_arrival.get(key)
                    if last is not None:  # behind the previous frame by its time on a 10 Gb/s wire
                        arrive = max(arrive, last + len(data) * 4 // 5)
                    self._last_arrival[key] = arrive
                    # unicast: the same packet object travels on (nothing else holds it)
                    pkt.data = data
                    pkt.t = arrive
                    pkt.l3 = 14
                    pkt.mark = 0
                    pkt.hop(self.where, "", "wire", (src.ns.where + ":" + src.name, nic.ns.where + ":" + nic.name))
                    self.lab.clock.call_at(arrive, nic.receive, pkt)
                    return
            return
        for nic in self.nics:
            if nic is src or not nic.admin_up:
                continue
            out = Pkt(data, arrive, 14, pkt.trace)
            out.hop(self.where, "", "wire", (src.ns.where + ":" + src.name, nic.ns.where + ":" + nic.name))
            self.lab.clock.call_at(arrive, nic.receive, out)
