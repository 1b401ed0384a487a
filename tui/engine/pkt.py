"""The packet as it moves through the model: real bytes plus a little metadata.

``data`` always holds the complete frame as it would be on the wire at the
current hop (an Ethernet frame on L2 devices). ``l3`` is the offset of the
IPv4 header inside it. ``trace`` is shared along the packet's journey, also
across VXLAN encapsulation, so a UI can walk every hop afterwards.

A trace is one flat list, :data:`HOP_FIELDS` items per hop, rather than a
list of tuples: a tuple per hop is an object the garbage collector tracks
for as long as the packet is held (by a capture view of 100,000 packets,
say), and young-generation collections were scanning hundreds of thousands
of them while a flood ran. :func:`hops` is the one reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from tui.engine.addr import int_to_ip


class Hop(NamedTuple):
    """One step of a packet's journey (traces store these fields flat, :data:`HOP_FIELDS` per hop; see :func:`hops`)."""

    t: int  # virtual ns
    where: str  # "<host>/<namespace>"
    dev: str  # interface name, or "" for stack-level steps
    action: str  # e.g. "tx", "rx", "bridge-forward", "route", "encap", "decap", "DNAT", "drop"
    detail: str = ""


# Hot-path hops store their detail as a tuple of raw values; these turn them into text on demand.
DETAIL_TEXT = {
    "encap": lambda vni, src, sport, dst, dport: f"vni {vni} {int_to_ip(src)}:{sport} -> {int_to_ip(dst)}:{dport}",
    "decap": lambda vni, src: f"vni {vni} from {int_to_ip(src)}",
    "wire": lambda a, b: f"{a} -> {b}",
    "veth": lambda name: f"from {name}",
    "bridge-forward": lambda a, b: f"{a} -> {b}" if a else f"-> {b}",
}


def detail_text(action: str, detail: object) -> str:
    if isinstance(detail, tuple):
        fmt = DETAIL_TEXT.get(action)
        return fmt(*detail) if fmt else " ".join(map(str, detail))
    return str(detail)


HOP_FIELDS = 5  # t, where, dev, action, detail

Trace = list[object]
"""A packet's journey: ``[t, where, dev, action, detail, t, where, ...]`` (see the module docstring)."""


def hop_count(trace: Sequence[object]) -> int:
    return len(trace) // HOP_FIELDS


def hops(trace: Sequence[object]) -> list[Hop]:
    """The trace as named hops (kept flat with raw details while packets move: cheaper)."""
    f = HOP_FIELDS
    return [Hop(trace[i], trace[i + 1], trace[i + 2], trace[i + 3],  # type: ignore[arg-type]
                detail_text(trace[i + 3], trace[i + 4]))  # type: ignore[arg-type]
            for i in range(0, len(trace) - f + 1, f)]


class Pkt:
    __slots__ = ("data", "t", "l3", "trace", "mark", "ct", "ct_reply", "in_dev", "out_dev", "meta")

    def __init__(self, data: bytes, t: int, l3: int = 14, trace: Trace | None = None) -> None:
        self.data = data
        self.t = t
        self.l3 = l3
        self.trace: Trace = trace if trace is not None else []
        self.mark = 0  # skb->mark (fwmark), set by iptables MARK
        self.ct: object | None = None  # conntrack entry, set by netfilter
        self.ct_reply = False  # True when the packet travels in the reply direction
        self.in_dev = ""
        self.out_dev = ""
        self.meta: dict[str, object] | None = None

    def hop(self, where: str, dev: str, action: str, detail: object = "") -> None:
        self.trace += (self.t, where, dev, action, detail)

    @property
    def ip(self) -> bytes:
        return self.data[self.l3:]
