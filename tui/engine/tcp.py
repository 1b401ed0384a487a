"""A small TCP: enough for an HTTP request (handshake, data, FIN) and for refusals (RST).

Segments carry Linux's options (MSS from the route MTU, SACK permitted,
timestamps, window scale 7) and its initial window (64 KiB rounded down to
a multiple of the MSS), so captures read like a real kernel's.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tui.engine.clock import MS, SEC
from tui.engine.netns import PROTO_TCP, checksum

if TYPE_CHECKING:
    from tui.engine.netns import Namespace
    from tui.engine.pkt import Pkt

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
_HDR = struct.Struct("!HHIIBBHHH")
RTO_INITIAL = 1 * SEC
SYN_RETRIES = 6
DATA_RETRIES = 15


def tcp_segment(src: int, dst: int, sport: int, dport: int, seq: int, ack: int, flags: int, window: int,
                payload: bytes = b"", options: bytes = b"") -> bytes:
    off = (20 + len(options)) // 4
    hdr = _HDR.pack(sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, off << 4, flags, window, 0, 0) + options
    seg = hdr + payload
    pseudo = src.to_bytes(4, "big") + dst.to_bytes(4, "big") + bytes((0, PROTO_TCP)) + len(seg).to_bytes(2, "big")
    c = checksum(pseudo + seg)
    return seg[:16] + c.to_bytes(2, "big") + seg[18:]


def syn_options(mss: int, tsval: int, tsecr: int) -> bytes:
    return (struct.pack("!BBH", 2, 4, mss) + b"\x04\x02" + struct.pack("!BBII", 8, 10, tsval, tsecr)
            + b"\x01" + b"\x03\x03\x07")


def ts_options(tsval: int, tsecr: int) -> bytes:
    return b"\x01\x01" + struct.pack("!BBII", 8, 10, tsval & 0xFFFFFFFF, tsecr & 0xFFFFFFFF)


class Conn:
    """One TCP connection end. Applications set ``on_data``, ``on_close``, ``on_established``."""

    def __init__(self, stack: TcpStack, laddr: int, lport: int, raddr: int, rport: int) -> None:
        self.stack = stack
        self.laddr, self.lport, self.raddr, self.rport = laddr, lport, raddr, rport
        rng = stack.ns.host.lab.rng
        self.iss = rng.getrandbits(32)
        self.snd_nxt = self.iss
        self.snd_una = self.iss
        self.rcv_nxt = 0
        self.state = "CLOSED"
        self.ts_offset = rng.getrandbits(32)
        self.ts_recent = 0
        self.mss = 536
        self.peer_wscale = 0
        self.unacked: list[tuple[int, int, bytes, int]] = []  # (seq, flags, payload, tries)
        self.timer: Any = None
        self.rto = RTO_INITIAL
        self.on_data: Callable[[Conn, bytes], None] | None = None
        self.on_close: Callable[[Conn, str], None] | None = None
        self.on_established: Callable[[Conn], None] | None = None
        self.fin_sent = False
        self.peer_fin = False
        self.error = ""

    @property
    def key(self) -> tuple[int, int, int, int]:
        return (self.laddr, self.lport, self.raddr, self.rport)

    def tsval(self) -> int:
        return (self.stack.ns.clock.now // MS + self.ts_offset) & 0xFFFFFFFF

    def window(self) -> int:
        return 502 if self.state != "SYN" else 64240

    def _send(self, flags: int, payload: bytes = b"", seq: int | None = None, syn_mss: int = 0) -> None:
        seq = self.snd_nxt if seq is None else seq
        if flags & SYN:
            opts = syn_options(syn_mss, self.tsval(), self.ts_recent if flags & ACK else 0)
            win = (65535 // syn_mss) * syn_mss if syn_mss else 64240
            win = min(win, 65535)
        else:
            opts = ts_options(self.tsval(), self.ts_recent)
            win = 502
        seg = tcp_segment(self.laddr, self.raddr, self.lport, self.rport, seq, self.rcv_nxt if flags & ACK else 0,
                          flags, win, payload, opts)
        self.stack.ns.ip_send(self.laddr, self.raddr, PROTO_TCP, seg, df=True)

    def _queue(self, flags: int, payload: bytes = b"", syn_mss: int = 0) -> None:
        seq = self.snd_nxt
        self._send(flags, payload, seq, syn_mss)
        length = len(payload) + (1 if flags & (SYN | FIN) else 0)
        self.snd_nxt = (self.snd_nxt + length) & 0xFFFFFFFF
        if length:
            self.unacked.append((seq, flags, payload, 0))
            self._arm()

    def _arm(self) -> None:
        if self.timer is None and self.unacked:
            self.timer = self.stack.ns.clock.call_later(self.rto, self._retransmit)

    def _retransmit(self) -> None:
        self.timer = None
        if not self.unacked:
            return
        seq, flags, payload, tries = self.unacked[0]
        limit = SYN_RETRIES if flags & SYN else DATA_RETRIES
        if tries >= limit:
            self._abort("ETIMEDOUT")
            return
        self.unacked[0] = (seq, flags, payload, tries + 1)
        self._send(flags, payload, seq, self.stack.mss_for(self.raddr) if flags & SYN else 0)
        self.rto = min(self.rto * 2, 120 * SEC)
        self._arm()

    def _abort(self, why: str) -> None:
        self.state = "CLOSED"
        self.error = why
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.unacked.clear()
        self.stack.conns.pop(self.key, None)
        if self.on_close:
            self.on_close(self, why)

    # --- application side ---------------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        for i in range(0, len(data), self.mss):
            chunk = data[i:i + self.mss]
            self._queue(PSH | ACK, chunk)

    def close(self) -> None:
        if self.fin_sent or self.state in ("CLOSED",):
            return
        self.fin_sent = True
        self._queue(FIN | ACK)
        self.state = "LAST_ACK" if self.peer_fin else "FIN_WAIT_1"

    # --- network side -----------------------------------------------------------------------------------
    def segment(self, seq: int, ack: int, flags: int, payload: bytes, opts: dict[str, int]) -> None:
        if "ts" in opts:
            self.ts_recent = opts["ts"]
        if flags & RST:
            self._abort("ECONNREFUSED" if self.state == "SYN_SENT" else "ECONNRESET")
            return
        if self.state == "SYN_SENT":
            if flags & SYN and flags & ACK and ack == self.snd_nxt:
                self.rcv_nxt = (seq + 1) & 0xFFFFFFFF
                self.mss = min(opts.get("mss", 536), self.stack.mss_for(self.raddr))
                self._acked(ack)
                self.state = "ESTABLISHED"
                self._send(ACK)
                if self.on_established:
                    self.on_established(self)
            return
        if self.state == "SYN_RECV" and flags & ACK and ack == self.snd_nxt:
            self._acked(ack)
            self.state = "ESTABLISHED"
            if self.on_established:
                self.on_established(self)
        elif flags & ACK:
            self._acked(ack)
        advance = False
        if payload and seq == self.rcv_nxt:
            self.rcv_nxt = (self.rcv_nxt + len(payload)) & 0xFFFFFFFF
            advance = True
            if self.on_data:
                self.on_data(self, payload)
        if flags & FIN and (seq + len(payload)) & 0xFFFFFFFF == self.rcv_nxt:
            self.rcv_nxt = (self.rcv_nxt + 1) & 0xFFFFFFFF
            self.peer_fin = True
            advance = True
            if self.state == "ESTABLISHED":
                self.state = "CLOSE_WAIT"
            elif self.state in ("FIN_WAIT_1", "FIN_WAIT_2"):
                self.state = "TIME_WAIT"
        if advance:
            self._send(ACK)
            if self.peer_fin and self.on_close and self.state in ("CLOSE_WAIT", "TIME_WAIT"):
                self.on_close(self, "")
        if self.state == "TIME_WAIT" or (self.state == "LAST_ACK" and not self.unacked):
            self.state = "CLOSED"
            self.stack.conns.pop(self.key, None)

    def _acked(self, ack: int) -> None:
        self.snd_una = ack
        keep = []
        for seq, flags, payload, tries in self.unacked:
            end = (seq + len(payload) + (1 if flags & (SYN | FIN) else 0)) & 0xFFFFFFFF
            if ((ack - end) & 0xFFFFFFFF) >= 0x80000000:
                keep.append((seq, flags, payload, tries))
        self.unacked = keep
        if not keep and self.timer is not None:
            self.timer.cancel()
            self.timer = None
            self.rto = RTO_INITIAL
        if self.state == "FIN_WAIT_1" and not keep:
            self.state = "FIN_WAIT_2"


class TcpStack:
    def __init__(self, ns: Namespace) -> None:
        self.ns = ns
        self.listeners: dict[tuple[int, int], Callable[[Conn], None]] = {}
        self.conns: dict[tuple[int, int, int, int], Conn] = {}

    def mss_for(self, dst: int) -> int:
        r = self.ns.routes.lookup(dst)
        link = self.ns.links.get(r.dev) if r else None
        mtu = link.mtu if link else 1500
        if link is not None and link.name == "lo":
            mtu = 65536
        return min(mtu, 65535) - 40

    def listen(self, addr: int, port: int, on_accept: Callable[[Conn], None]) -> bool:
        if (addr, port) in self.listeners:
            return False
        self.listeners[(addr, port)] = on_accept
        return True

    def unlisten(self, addr: int, port: int) -> None:
        self.listeners.pop((addr, port), None)

    def connect(self, dst: int, dport: int, src: int | None = None) -> Conn | None:
        src = src or self.ns.source_for(dst)
        if src is None:
            return None
        sport = self.ns.ephemeral_port()
        conn = Conn(self, src, sport, dst, dport)
        conn.state = "SYN_SENT"
        self.conns[conn.key] = conn
        conn._queue(SYN, syn_mss=self.mss_for(dst))
        return conn

    def receive(self, pkt: Pkt, src: int, dst: int, off: int) -> None:
        data = pkt.data
        l3 = pkt.l3
        total = data[l3 + 2] << 8 | data[l3 + 3]
        sport, dport, seq, ack, doff, flags, _win, _c, _u = _HDR.unpack_from(data, off)
        hlen = (doff >> 4) * 4
        payload = data[off + hlen:l3 + total]
        opts = _parse_options(data[off + 20:off + hlen])
        conn = self.conns.get((dst, dport, src, sport))
        if conn is not None:
            conn.segment(seq, ack, flags, payload, opts)
            return
        listener = self.listeners.get((dst, dport)) or self.listeners.get((0, dport))
        if listener is not None and flags & SYN and not flags & ACK:
            conn = Conn(self, dst, dport, src, sport)
            conn.state = "SYN_RECV"
            conn.rcv_nxt = (seq + 1) & 0xFFFFFFFF
            conn.ts_recent = opts.get("ts", 0)
            conn.mss = min(opts.get("mss", 536), self.mss_for(src))
            self.conns[conn.key] = conn
            listener(conn)
            conn._queue(SYN | ACK, syn_mss=self.mss_for(src))
            return
        if not flags & RST:
            self._reset(src, dst, sport, dport, seq, ack, flags, len(payload))

    def _reset(self, src: int, dst: int, sport: int, dport: int, seq: int, ack: int, flags: int, plen: int) -> None:
        if flags & ACK:
            seg = tcp_segment(dst, src, dport, sport, ack, 0, RST, 0)
        else:
            seg = tcp_segment(dst, src, dport, sport, 0, (seq + plen + (1 if flags & SYN else 0)) & 0xFFFFFFFF,
                              RST | ACK, 0)
        self.ns.ip_send(dst, src, PROTO_TCP, seg, df=True)

    def send_reset_for(self, pkt: Pkt) -> None:
        data = pkt.data
        l3 = pkt.l3
        ihl = (data[l3] & 0x0F) * 4
        src = int.from_bytes(data[l3 + 12:l3 + 16], "big")
        dst = int.from_bytes(data[l3 + 16:l3 + 20], "big")
        sport, dport, seq, ack, _d, flags, _w, _c, _u = _HDR.unpack_from(data, l3 + ihl)
        if not flags & RST:
            total = data[l3 + 2] << 8 | data[l3 + 3]
            plen = total - ihl - ((_d >> 4) * 4)
            self._reset(src, dst, sport, dport, seq, ack, flags, plen)

    def icmp_error(self, info: dict[str, Any], inner: bytes) -> None:
        ihl = (inner[0] & 0x0F) * 4
        if len(inner) < ihl + 4:
            return
        sport, dport = struct.unpack_from("!HH", inner, ihl)
        src = int.from_bytes(inner[12:16], "big")
        dst = int.from_bytes(inner[16:20], "big")
        conn = self.conns.get((src, sport, dst, dport))
        if conn is not None and info.get("type") == 3 and info.get("code") != 4 and conn.state == "SYN_SENT":
            conn._abort("EHOSTUNREACH")


def _parse_options(b: bytes) -> dict[str, int]:
    out: dict[str, int] = {}
    i = 0
    while i < len(b):
        kind = b[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(b):
            break
        length = b[i + 1]
        if length < 2:
            break
        if kind == 2 and length == 4:
            out["mss"] = b[i + 2] << 8 | b[i + 3]
        elif kind == 8 and length == 10:
            out["ts"] = int.from_bytes(b[i + 2:i + 6], "big")
        elif kind == 3 and length == 3:
            out["wscale"] = b[i + 2]
        i += length
    return out
