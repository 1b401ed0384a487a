"""The packet as it moves through the model: real bytes plus a little metadata.

``data`` always holds the complete frame as it would be on the wire at the
current hop (an Ethernet frame on L2 devices). ``l3`` is the offset of the
IPv4 header inside it. ``trace`` is shared along the packet's journey, also
across VXLAN encapsulation, so a UI can walk every hop afterwards.
"""

from __future__ import annotations

from typing import NamedTuple


class Hop(NamedTuple):
    """One step of a packet's journey (traces store plain tuples of these fields; see :func:`hops`)."""

    t: int  # virtual ns
    where: str  # "<host>/<namespace>"
    dev: str  # interface name, or "" for stack-level steps
    action: str  # e.g. "tx", "rx", "bridge-forward", "route", "encap", "decap", "DNAT", "drop"
    detail: str = ""


def _ip(v: int) -> str:
    return f"{v >> 24}.{(v >> 16) & 255}.{(v >> 8) & 255}.{v & 255}"


# Hot-path hops store their detail as a tuple of raw values; these turn them into text on demand.
DETAIL_TEXT = {
    "encap": lambda vni, src, sport, dst, dport: f"vni {vni} {_ip(src)}:{sport} -> {_ip(dst)}:{dport}",
    "decap": lambda vni, src: f"vni {vni} from {_ip(src)}",
    "wire": lambda a, b: f"{a} -> {b}",
    "veth": lambda name: f"from {name}",
    "bridge-forward": lambda a, b: f"{a} -> {b}" if a else f"-> {b}",
}


def detail_text(action: str, detail: object) -> str:
    if isinstance(detail, tuple):
        fmt = DETAIL_TEXT.get(action)
        return fmt(*detail) if fmt else " ".join(map(str, detail))
    return str(detail)


def hops(trace: list[tuple[int, str, str, str, object]]) -> list[Hop]:
    """The trace as named hops (kept as bare tuples with raw details while packets move: cheaper)."""
    return [Hop(t, w, d, a, detail_text(a, x)) for t, w, d, a, x in trace]


class Pkt:
    __slots__ = ("data", "t", "l3", "trace", "mark", "ct", "ct_reply", "in_dev", "out_dev", "meta")

    def __init__(self, data: bytes, t: int, l3: int = 14, trace: list[Hop] | None = None) -> None:
        self.data = data
        self.t = t
        self.l3 = l3
        self.trace: list[tuple[int, str, str, str, object]] = trace if trace is not None else []
        self.mark = 0  # skb->mark (fwmark), set by iptables MARK
        self.ct: object | None = None  # conntrack entry, set by netfilter
        self.ct_reply = False  # True when the packet travels in the reply direction
        self.in_dev = ""
        self.out_dev = ""
        self.meta: dict[str, object] | None = None

    def hop(self, where: str, dev: str, action: str, detail: object = "") -> None:
        self.trace.append((self.t, where, dev, action, detail))

    @property
    def ip(self) -> bytes:
        return self.data[self.l3:]
