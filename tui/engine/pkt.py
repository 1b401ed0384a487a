"""The packet as it moves through the model: real bytes plus a little metadata.

``data`` always holds the complete frame as it would be on the wire at the
current hop (an Ethernet frame on L2 devices). ``l3`` is the offset of the
IPv4 header inside it. ``trace`` is shared along the packet's journey, also
across VXLAN encapsulation, so a UI can walk every hop afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True, frozen=True)
class Hop:
    """One step of a packet's journey."""

    t: int  # virtual ns
    where: str  # "<host>/<namespace>"
    dev: str  # interface name, or "" for stack-level steps
    action: str  # e.g. "tx", "rx", "bridge-forward", "route", "encap", "decap", "DNAT", "drop"
    detail: str = ""


class Pkt:
    __slots__ = ("data", "t", "l3", "trace", "mark", "ct", "ct_reply", "in_dev", "out_dev", "meta")

    def __init__(self, data: bytes, t: int, l3: int = 14, trace: list[Hop] | None = None) -> None:
        self.data = data
        self.t = t
        self.l3 = l3
        self.trace: list[Hop] = trace if trace is not None else []
        self.mark = 0  # skb->mark (fwmark), set by iptables MARK
        self.ct: object | None = None  # conntrack entry, set by netfilter
        self.ct_reply = False  # True when the packet travels in the reply direction
        self.in_dev = ""
        self.out_dev = ""
        self.meta: dict[str, object] | None = None

    def hop(self, where: str, dev: str, action: str, detail: str = "") -> None:
        self.trace.append(Hop(self.t, where, dev, action, detail))

    @property
    def ip(self) -> bytes:
        return self.data[self.l3:]
