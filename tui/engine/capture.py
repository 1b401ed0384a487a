"""Packet capture taps (what AF_PACKET sockets see), feeding tcpdump and the capture pane.

Records keep the frame bytes and where they were seen; formatting happens
later and lazily, so a capture of 100,000 packets costs memory, not time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from tui.engine.pkt import HOP_FIELDS

if TYPE_CHECKING:
    from tui.engine.links import Link
    from tui.engine.netns import Namespace
    from tui.engine.pkt import Pkt, Trace

# SLL packet types
PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST, PACKET_OTHERHOST, PACKET_OUTGOING = 0, 1, 2, 3, 4


class CaptureRecord:
    __slots__ = ("t", "t_wall", "data", "ifindex", "dev", "pkttype", "trace", "trace_pos", "where")

    def __init__(self, t: int, t_wall: int, data: bytes, ifindex: int, dev: str, pkttype: int,
                 trace: Trace, where: str) -> None:
        self.t = t  # virtual ns
        self.t_wall = t_wall  # what the pcap timestamp holds
        self.data = data
        self.ifindex = ifindex
        self.dev = dev
        self.pkttype = pkttype
        self.trace = trace  # the packet's whole journey (shared; grows as it goes on)
        self.trace_pos = len(trace) // HOP_FIELDS  # how many hops of that journey came before this capture point
        self.where = where

    @property
    def outgoing(self) -> bool:
        return self.pkttype == PACKET_OUTGOING


class Capture:
    """A live capture on one device (``dev``) or on every device of a namespace (``dev=None``: `-i any`)."""

    def __init__(self, ns: Namespace, dev: str | None, filt: Callable[[bytes], bool] | None = None,
                 *, limit: int | None = None, snaplen: int = 262144) -> None:
        self.ns = ns
        self.dev = dev
        self.filt = filt
        self.snaplen = snaplen
        self.records: deque[CaptureRecord] = deque(maxlen=limit)
        # records pushed out of a bounded ``records`` by newer ones: ``records[k]`` is the
        # ``evicted + k``-th record kept, so a reader can resume where it left off
        self.evicted = 0
        self.matched = 0
        self.seen = 0
        self.listeners: list[Callable[[CaptureRecord], None]] = []
        self.active = False
        self._link: Link | None = None

    @property
    def linktype(self) -> int:
        return 276 if self.dev is None else (0 if False else 1)

    def start(self) -> Capture:
        if self.dev is None:
            self.ns.any_taps.append(self)
        else:
            link = self.ns.links.get(self.dev)
            if link is None:
                raise KeyError(self.dev)
            self._link = link
            link.taps.append(self)
        self.active = True
        return self

    def stop(self) -> None:
        if not self.active:
            return
        self.active = False
        if self.dev is None:
            if self in self.ns.any_taps:
                self.ns.any_taps.remove(self)
        elif self._link is not None and self in self._link.taps:
            self._link.taps.remove(self)

    def offer(self, pkt: Pkt, link: Link, outgoing: bool) -> None:
        data = pkt.data
        self.seen += 1
        if self.filt is not None and not self.filt(data):
            return
        if outgoing:
            pkttype = PACKET_OUTGOING
        elif data[0] & 1:
            pkttype = PACKET_BROADCAST if data[0:6] == b"\xff\xff\xff\xff\xff\xff" else PACKET_MULTICAST
        elif data[0:6] == link.mac or link.name == "lo":
            pkttype = PACKET_HOST
        else:
            pkttype = PACKET_OTHERHOST
        if len(data) > self.snaplen:
            data = data[: self.snaplen]
        rec = CaptureRecord(pkt.t, pkt.t + self.ns.clock.epoch_ns, data, link.ifindex, link.name, pkttype, pkt.trace, link.where)
        self.matched += 1
        records = self.records
        if records.maxlen is not None and len(records) == records.maxlen:
            self.evicted += 1
        records.append(rec)
        for cb in self.listeners:
            cb(rec)
