"""TCP as Linux does it, closely enough that captures and timings read like a real kernel's.

Why this much detail: learners compare what ``tcpdump`` shows in the simulator with
what they saw on real machines, so the segments must carry Linux's options in
Linux's order (``mss,sackOK,TS,nop,wscale 7``), its initial windows (64 KiB rounded
down to a multiple of the MSS: 64240 for MSS 1460, 64860 for 1410; the SYN-ACK
uses the MSS less the timestamp option: 65160), its per-connection IP ids and
timestamp offsets, and its acknowledgement habits: an immediate ACK for the
first data of a connection ("quickack"), delayed ACKs (40 ms) once a connection
has turned interactive, the FIN of a closing peer acknowledged together with our
own FIN, dup ACKs with SACK blocks for out-of-order data.

What is modelled: the three-way handshake with option negotiation, data in
MSS-sized segments within the peer's window and a congestion window (initial 10
segments, slow start, collapse on timeout), Nagle's algorithm unless the socket
sets ``nodelay``, receive-window bookkeeping (``tcp_select_window``'s
never-shrink rule with window scaling), out-of-order queueing, FIN/close in both
orders and simultaneous close, TIME_WAIT, RST for closed ports and for aborts,
retransmission with RFC 6298 RTO estimation (Linux minimum 200 ms) and
exponential backoff, SYN retries (``tcp_syn_retries`` = 6: the connect fails
after 127 s), ICMP errors that fail a connect at once (host/net unreachable,
port unreachable -> ECONNREFUSED as after ``iptables -j REJECT``).

Applications use :class:`Conn` callbacks: ``on_established(conn)``,
``on_data(conn, bytes)`` and ``on_close(conn, error)`` (error ``""`` is the
peer's orderly end of stream, else an errno name such as ``ECONNREFUSED``).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tui.engine.addr import int_to_ip
from tui.engine.clock import MS, SEC
from tui.engine.netns import PROTO_TCP, checksum

if TYPE_CHECKING:
    from tui.engine.clock import Timer
    from tui.engine.netns import Namespace
    from tui.engine.pkt import Pkt

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
_HDR = struct.Struct("!HHIIBBHHH")
RTO_INITIAL = 1 * SEC  # RFC 6298 / Linux TCP_TIMEOUT_INIT
RTO_MIN = 200 * MS  # Linux TCP_RTO_MIN
RTO_MAX = 120 * SEC
SYN_RETRIES = 6  # net.ipv4.tcp_syn_retries
SYNACK_RETRIES = 5  # net.ipv4.tcp_synack_retries
DATA_RETRIES = 15  # net.ipv4.tcp_retries2
DELACK = 40 * MS  # TCP_DELACK_MIN: the delayed-ACK timer
TIME_WAIT_LEN = 60 * SEC  # TCP_TIMEWAIT_LEN
WSCALE = 7  # what tcp_rmem's default 6 MiB maximum gives
MAX_QUICKACKS = 16  # TCP_MAX_QUICKACKS
INIT_CWND = 10  # TCP_INIT_CWND segments
TS_OPT_LEN = 12  # nop,nop,TS: what every non-SYN segment carries

ICMP_UNREACH_ERRNO = {
    0: "ENETUNREACH", 1: "EHOSTUNREACH", 2: "ENOPROTOOPT", 3: "ECONNREFUSED",
    5: "EOPNOTSUPP", 6: "ENETUNREACH", 7: "EHOSTDOWN", 9: "ENETUNREACH", 10: "EHOSTUNREACH",
    11: "ENETUNREACH", 12: "EHOSTUNREACH", 13: "EHOSTUNREACH",
}


def _seq_lt(a: int, b: int) -> bool:
    """``a`` before ``b`` in 32-bit sequence space."""
    return ((a - b) & 0xFFFFFFFF) >= 0x80000000


def _seq_le(a: int, b: int) -> bool:
    return a == b or _seq_lt(a, b)


def _seq_diff(a: int, b: int) -> int:
    """``a - b`` as a signed distance in sequence space."""
    d = (a - b) & 0xFFFFFFFF
    return d - 0x100000000 if d >= 0x80000000 else d


def tcp_segment(src: int, dst: int, sport: int, dport: int, seq: int, ack: int, flags: int, window: int,
                payload: bytes = b"", options: bytes = b"") -> bytes:
    """A TCP segment with a valid checksum (pseudo-header included)."""
    off = (20 + len(options)) // 4
    hdr = _HDR.pack(sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, off << 4, flags, window, 0, 0) + options
    seg = hdr + payload
    pseudo = src.to_bytes(4, "big") + dst.to_bytes(4, "big") + bytes((0, PROTO_TCP)) + len(seg).to_bytes(2, "big")
    c = checksum(pseudo + seg)
    return seg[:16] + c.to_bytes(2, "big") + seg[18:]


def syn_options(mss: int, tsval: int, tsecr: int, sack: bool = True, ts: bool = True,
                wscale: int | None = WSCALE) -> bytes:
    """Linux's SYN/SYN-ACK option block: mss, sackOK, TS, nop, wscale (20 bytes with everything)."""
    out = struct.pack("!BBH", 2, 4, mss)
    if sack and ts:
        out += b"\x04\x02" + struct.pack("!BBII", 8, 10, tsval & 0xFFFFFFFF, tsecr & 0xFFFFFFFF)
    elif ts:
        out += b"\x01\x01" + struct.pack("!BBII", 8, 10, tsval & 0xFFFFFFFF, tsecr & 0xFFFFFFFF)
    elif sack:
        out += b"\x01\x01\x04\x02"
    if wscale is not None:
        out += b"\x01\x03\x03" + bytes((wscale,))
    return out


def ts_options(tsval: int, tsecr: int) -> bytes:
    """nop, nop, TS: the 12 bytes every established-state segment carries."""
    return b"\x01\x01" + struct.pack("!BBII", 8, 10, tsval & 0xFFFFFFFF, tsecr & 0xFFFFFFFF)


def sack_option(blocks: list[tuple[int, int]]) -> bytes:
    """nop, nop, SACK with up to 3 blocks (what fits beside timestamps)."""
    blocks = blocks[:3]
    body = b"".join(struct.pack("!II", a & 0xFFFFFFFF, b & 0xFFFFFFFF) for a, b in blocks)
    return b"\x01\x01" + bytes((5, 2 + len(body))) + body


class Conn:
    """One TCP connection end. Applications set ``on_data``, ``on_close``, ``on_established``."""

    def __init__(self, stack: TcpStack, laddr: int, lport: int, raddr: int, rport: int) -> None:
        self.stack = stack
        self.laddr, self.lport, self.raddr, self.rport = laddr, lport, raddr, rport
        rng = stack.ns.host.lab.rng
        self.iss = rng.getrandbits(32)
        self.snd_una = self.iss
        self.snd_nxt = self.iss
        self.snd_wnd = 0
        self.irs = 0
        self.rcv_nxt = 0
        self.state = "CLOSED"
        self.ts_offset = rng.getrandbits(32)  # Linux randomises the TS clock per connection
        self.ip_id = rng.getrandbits(16)  # inet_id: a per-socket IP id counter
        self.ts_recent = 0
        self.ts_ok = True
        self.sack_ok = True
        self.ws_ok = True
        self.peer_wscale = 0
        self.rcv_wscale = WSCALE
        self.mss = 536 - TS_OPT_LEN  # the payload per segment, fixed by the handshake
        self.adv_mss = 1460
        self.nodelay = False  # TCP_NODELAY (curl, Go and nginx set it; Python and busybox do not)
        # sending
        self.sndbuf = bytearray()
        self.unacked: list[list[Any]] = []  # [seq, flags, payload, tries, sent_at]
        self.cwnd = INIT_CWND
        self.ssthresh = 0x7FFFFFFF
        self.srtt = 0
        self.rttvar = 0
        self.rto = RTO_INITIAL
        self.backoff = 0
        self.timer: Timer | None = None
        self.fin_pending = False
        self.fin_sent = False
        self.fin_seq = 0
        # receiving
        self.rcv_wnd_init = 65535
        self.rcv_right = 0  # right edge of the window we last advertised
        self.got_data = False
        self.ooo: dict[int, bytes] = {}
        self.ooo_fin: int | None = None
        self.quick = 0
        self.pingpong = False
        self.last_rcv = -SEC
        self.ack_pending = 0  # bytes received but not yet acknowledged
        self.delack: Timer | None = None
        self.tw_timer: Timer | None = None
        self.peer_fin = False
        self.error = ""
        self.snd_sml = self.iss  # end of the last small segment sent (Minshall's Nagle variant)
        self.on_data: Callable[[Conn, bytes], None] | None = None
        self.on_close: Callable[[Conn, str], None] | None = None
        self.on_established: Callable[[Conn], None] | None = None
        self.on_closed: Callable[[Conn], None] | None = None  # the connection left the table
        self.eof_reported = False

    def __repr__(self) -> str:
        return f"<Conn {int_to_ip(self.laddr)}:{self.lport} -> {int_to_ip(self.raddr)}:{self.rport} {self.state}>"

    @property
    def key(self) -> tuple[int, int, int, int]:
        return (self.laddr, self.lport, self.raddr, self.rport)

    @property
    def clock(self) -> Any:
        return self.stack.ns.clock

    def tsval(self) -> int:
        return (self.clock.now // MS + self.ts_offset) & 0xFFFFFFFF

    # --- the receive window ----------------------------------------------------------------------
    def _select_window(self) -> int:
        """The window field of a non-SYN segment, as ``tcp_select_window`` computes it.

        The right edge never moves left; while data flows in, the advertised window
        shrinks by what arrived (the kernel counts the socket buffer's overhead), and
        it reopens to the initial size once half of it is used (the reader keeps up).
        """
        cur = _seq_diff(self.rcv_right, self.rcv_nxt) if self.got_data else self.rcv_wnd_init
        cur = max(cur, 0)
        if not self.got_data or cur < self.rcv_wnd_init // 2:
            cur = max(cur, self.rcv_wnd_init)
        scale = self.rcv_wscale if self.ws_ok else 0
        unit = 1 << scale
        win = (cur + unit - 1) // unit * unit
        win = min(win, 65535 << scale)
        self.rcv_right = (self.rcv_nxt + win) & 0xFFFFFFFF
        return win >> scale

    # --- transmission --------------------------------------------------------------------------------
    def _emit(self, flags: int, payload: bytes = b"", seq: int | None = None, sack: list[tuple[int, int]] | None = None,
              syn_mss: int = 0) -> None:
        seq = self.snd_nxt if seq is None else seq
        if flags & SYN:
            opts = syn_options(syn_mss, self.tsval(), self.ts_recent if flags & ACK else 0, self.sack_ok,
                               self.ts_ok, self.rcv_wscale if self.ws_ok else None)
            win = min(self.rcv_wnd_init, 65535)
            self.rcv_right = (self.rcv_nxt + win) & 0xFFFFFFFF
            ident = 0 if flags & ACK else self._next_id()  # a SYN-ACK leaves from the listener: id 0
        else:
            opts = ts_options(self.tsval(), self.ts_recent) if self.ts_ok else b""
            if sack and self.sack_ok:
                opts += sack_option(sack)
            win = self._select_window()
            ident = self._next_id()
        if flags & ACK:
            self.ack_pending = 0
            if self.delack is not None:
                self.delack.cancel()
                self.delack = None
        seg = tcp_segment(self.laddr, self.raddr, self.lport, self.rport, seq, self.rcv_nxt if flags & ACK else 0,
                          flags, win, payload, opts)
        self.stack.ns.ip_send(self.laddr, self.raddr, PROTO_TCP, seg, df=True, ident=ident, t=self.stack.out_time())

    def _next_id(self) -> int:
        ident = self.ip_id
        self.ip_id = (self.ip_id + 1) & 0xFFFF
        return ident

    def _queue(self, flags: int, payload: bytes = b"", syn_mss: int = 0) -> None:
        """Send a new segment and keep it for retransmission if it occupies sequence space."""
        seq = self.snd_nxt
        length = len(payload) + (1 if flags & (SYN | FIN) else 0)
        # advance first: over veth and bridges delivery is synchronous, so the peer's answer can
        # arrive while _emit is still on the stack and must find the segment already sent
        self.snd_nxt = (self.snd_nxt + length) & 0xFFFFFFFF
        if length:
            self.unacked.append([seq, flags, payload, 0, self.clock.now])
        self._emit(flags, payload, seq, syn_mss=syn_mss)
        if length:
            self._arm()

    def _arm(self) -> None:
        if self.timer is None and self.unacked:
            self.timer = self.clock.call_later(self.rto, self.stack.in_kernel, self._retransmit)

    def _retransmit(self) -> None:
        self.timer = None
        if not self.unacked or self.state == "CLOSED":
            return
        seg = self.unacked[0]
        seq, flags, payload, tries, _sent = seg
        if flags & SYN:
            limit = SYN_RETRIES if not flags & ACK else SYNACK_RETRIES
        else:
            limit = DATA_RETRIES
        if tries >= limit:
            self._abort("ETIMEDOUT", send_rst=False)
            return
        seg[3] = tries + 1
        seg[4] = -1  # Karn: no RTT sample from a retransmitted segment
        self.ssthresh = max(self._in_flight() // 2, 2)
        self.cwnd = 1
        self._emit(flags, payload, seq, syn_mss=self.stack.mss_for(self.raddr) if flags & SYN else 0)
        self.backoff += 1
        self.rto = min(self.rto * 2, RTO_MAX)
        self._arm()

    def _in_flight(self) -> int:
        return len(self.unacked)

    def _push(self) -> None:
        """Send what the windows and Nagle allow from the send buffer, then a pending FIN."""
        if self.state not in ("ESTABLISHED", "CLOSE_WAIT", "FIN_WAIT_1", "CLOSING", "LAST_ACK"):
            return
        while self.sndbuf:
            in_flight = _seq_diff(self.snd_nxt, self.snd_una)
            room = min(self.snd_wnd - in_flight, self.cwnd * self.mss - in_flight)
            if room <= 0:
                break
            size = min(len(self.sndbuf), self.mss, room)
            if size < self.mss and size < len(self.sndbuf):
                break  # the window cuts the segment short: wait for it to open (no silly windows)
            if (size < self.mss and not self.nodelay and not self.fin_pending and in_flight > 0
                    and _seq_lt(self.snd_una, self.snd_sml)):
                break  # Nagle (Minshall's variant): one small segment unacknowledged at a time
            chunk = bytes(self.sndbuf[:size])
            del self.sndbuf[:size]
            last = not self.sndbuf
            flags = PSH | ACK if last or size < self.mss else ACK
            if last and self.fin_pending and not self.fin_sent:
                flags |= FIN  # tcp_send_fin tacks the FIN onto a segment not yet sent
                self._mark_fin_sent()
                self.fin_seq = (self.snd_nxt + size) & 0xFFFFFFFF
            self._queue(flags, chunk)
            if size < self.mss:
                self.snd_sml = self.snd_nxt
            self._note_sent()
        if not self.sndbuf and self.fin_pending and not self.fin_sent:
            self._mark_fin_sent()
            self.fin_seq = self.snd_nxt
            self._queue(FIN | ACK)

    def _mark_fin_sent(self) -> None:
        self.fin_sent = True
        if self.state == "ESTABLISHED":
            self.state = "FIN_WAIT_1"
        elif self.state == "CLOSE_WAIT":
            self.state = "LAST_ACK"

    def _note_sent(self) -> None:
        # sending data shortly after receiving some makes the connection "interactive" (pingpong):
        # from then on ACKs are delayed in the hope of riding on the next reply
        if self.clock.now - self.last_rcv < DELACK:
            self.pingpong = True

    def _abort(self, why: str, send_rst: bool = True) -> None:
        if send_rst and self.state not in ("CLOSED", "SYN_SENT", "TIME_WAIT"):
            seg = tcp_segment(self.laddr, self.raddr, self.lport, self.rport, self.snd_nxt, self.rcv_nxt,
                              RST | ACK, 0)
            self.stack.ns.ip_send(self.laddr, self.raddr, PROTO_TCP, seg, df=True, ident=0)
        self.state = "CLOSED"
        self.error = why
        self._release()
        self._wake("close", why)

    def _wake(self, kind: str, *args: Any) -> None:
        """Tell the application, after the stack's own reaction (the ACK) has gone out.

        The kernel queues data and wakes the reader; the reader runs later. Callbacks
        are looked up when they run, so an application may change them in between.
        """
        self.clock.call_later(0, self._dispatch, kind, args)

    def _dispatch(self, kind: str, args: tuple[Any, ...]) -> None:
        cb = {"data": self.on_data, "close": self.on_close, "established": self.on_established}[kind]
        if cb is not None:
            cb(self, *args)

    def _release(self) -> None:
        for attr in ("timer", "delack", "tw_timer"):
            t = getattr(self, attr)
            if t is not None:
                t.cancel()
                setattr(self, attr, None)
        self.unacked.clear()
        self.sndbuf.clear()
        if self.stack.conns.get(self.key) is self:
            del self.stack.conns[self.key]
        if self.on_closed is not None:
            cb, self.on_closed = self.on_closed, None
            cb(self)

    # --- application side -------------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        """Queue bytes for sending (like write(2) on a socket with room in its buffer)."""
        if not data or self.fin_pending or self.state in ("CLOSED", "TIME_WAIT"):
            return
        self.sndbuf += data
        self._push()

    def close(self) -> None:
        """An orderly close: the FIN follows the data still queued."""
        if self.state in ("SYN_SENT", "CLOSED"):
            self.state = "CLOSED"
            self._release()
            return
        if self.fin_pending:
            return
        self.fin_pending = True
        self._push()

    def abort(self) -> None:
        """close() with SO_LINGER 0: a RST instead of a FIN."""
        if self.state != "CLOSED":
            self.on_close = None
            self._abort("ECONNABORTED", send_rst=True)

    @property
    def established(self) -> bool:
        return self.state in ("ESTABLISHED", "CLOSE_WAIT", "FIN_WAIT_1", "FIN_WAIT_2")

    # --- network side --------------------------------------------------------------------------------
    def segment(self, seq: int, ack: int, flags: int, payload: bytes, opts: dict[str, Any], win: int = 65535) -> None:
        """Process one arriving segment (RFC 793's SEGMENT ARRIVES, with Linux's choices)."""
        if self.state == "SYN_SENT":
            self._syn_sent(seq, ack, flags, opts, win)
            return
        if self.state == "CLOSED":
            return
        if flags & RST:
            if _seq_le(self.rcv_nxt, seq) and _seq_lt(seq, (self.rcv_nxt + max(self.rcv_wnd_init, 1)) & 0xFFFFFFFF) \
                    or seq == self.rcv_nxt:
                self._abort("ECONNRESET" if self.state != "SYN_RECV" else "ECONNREFUSED", send_rst=False)
            return
        if flags & SYN:
            if self.state == "SYN_RECV" and not flags & ACK:
                self._emit(SYN | ACK, seq=self.iss, syn_mss=self.stack.mss_for(self.raddr))  # a retransmitted SYN
            elif self.state != "SYN_RECV":
                self._emit(ACK)  # a retransmitted SYN-ACK or a stray SYN: challenge ACK
            return
        if "ts" in opts and self.ts_ok and _seq_le(seq, self.rcv_nxt):
            self.ts_recent = opts["ts"]
        if self.state == "TIME_WAIT":
            if flags & FIN:
                self._emit(ACK)  # the peer did not get our last ACK
            return
        if not flags & ACK:
            return
        if self.state == "SYN_RECV":
            if ack != self.snd_nxt:
                return
            self._acked(ack, win)
            self.state = "ESTABLISHED"
            self._wake("established")
        else:
            self._acked(ack, win)
            if self.state == "CLOSED":
                return
        self._receive(seq, flags, payload)
        self._push()

    def _syn_sent(self, seq: int, ack: int, flags: int, opts: dict[str, Any], win: int) -> None:
        if flags & ACK and ack != self.snd_nxt:
            if not flags & RST:
                self.stack._reset_for(self.raddr, self.laddr, self.rport, self.lport, seq, ack, flags, 0)
            return
        if flags & RST:
            if flags & ACK:
                self._abort("ECONNREFUSED", send_rst=False)
            return
        if not (flags & SYN and flags & ACK):
            return
        self.irs = seq
        self.rcv_nxt = (seq + 1) & 0xFFFFFFFF
        self.rcv_right = (self.rcv_nxt + min(self.rcv_wnd_init, 65535)) & 0xFFFFFFFF
        self.ts_ok = self.ts_ok and "ts" in opts
        self.sack_ok = self.sack_ok and "sackok" in opts
        self.ws_ok = self.ws_ok and "wscale" in opts
        self.peer_wscale = opts.get("wscale", 0) if self.ws_ok else 0
        if not self.ws_ok:
            self.rcv_wscale = 0
        if self.ts_ok:
            self.ts_recent = opts["ts"]
        self._set_mss(opts)
        self.snd_wnd = win  # the window in a SYN-ACK is never scaled
        self._acked(ack, win, scaled=False)
        self.state = "ESTABLISHED"
        self._emit(ACK)
        self._wake("established")
        self._push()

    def _set_mss(self, opts: dict[str, Any]) -> None:
        peer = opts.get("mss", 536)
        self.mss = max(min(peer, self.adv_mss) - (TS_OPT_LEN if self.ts_ok else 0), 64)

    def _acked(self, ack: int, win: int, scaled: bool = True) -> None:
        if _seq_lt(self.snd_nxt, ack):
            self._emit(ACK)  # acknowledges something never sent
            return
        self.snd_wnd = win << self.peer_wscale if scaled else win
        if not _seq_lt(self.snd_una, ack):
            return
        self.snd_una = ack
        now = self.clock.now
        keep = []
        newly = 0
        for seg in self.unacked:
            seq, flags, payload, _tries, sent_at = seg
            end = (seq + len(payload) + (1 if flags & (SYN | FIN) else 0)) & 0xFFFFFFFF
            if _seq_le(end, ack):
                newly += 1
                if sent_at >= 0:
                    self._rtt_sample(now - sent_at)
            else:
                keep.append(seg)
        self.unacked = keep
        if newly:
            self.backoff = 0
            if self.cwnd < self.ssthresh:
                self.cwnd += newly  # slow start
            else:
                self.cwnd += max(1, newly // max(self.cwnd, 1))
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self._arm()
        if self.fin_sent and _seq_lt(self.fin_seq, ack):
            if self.state == "FIN_WAIT_1":
                self.state = "FIN_WAIT_2"
            elif self.state == "CLOSING":
                self._enter_time_wait()
            elif self.state == "LAST_ACK":
                self.state = "CLOSED"
                self._release()

    def _rtt_sample(self, rtt: int) -> None:
        """RFC 6298 smoothing, with Linux's 200 ms floor on the variance term."""
        rtt = max(rtt, 1)
        if self.srtt == 0:
            self.srtt = rtt
            self.rttvar = rtt // 2
        else:
            self.rttvar = (3 * self.rttvar + abs(self.srtt - rtt)) // 4
            self.srtt = (7 * self.srtt + rtt) // 8
        self.rto = min(self.srtt + max(4 * self.rttvar, RTO_MIN), RTO_MAX)

    def _receive(self, seq: int, flags: int, payload: bytes) -> None:
        if self.state not in ("ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2"):
            if (payload or flags & FIN) and self.state in ("CLOSE_WAIT", "CLOSING", "LAST_ACK"):
                self._emit(ACK)  # a retransmission after the peer's FIN: re-acknowledge
            return
        end = (seq + len(payload)) & 0xFFFFFFFF
        fin = bool(flags & FIN)
        if payload and _seq_le(end, self.rcv_nxt):
            self._emit(ACK, sack=[(seq, end)])  # a duplicate: D-SACK, as Linux answers
            return
        if _seq_lt(self.rcv_nxt, seq):
            if payload:
                self.ooo[seq] = payload
            if fin:
                self.ooo_fin = end
            self._emit(ACK, sack=self._sack_blocks())  # out of order: immediate dup ACK with SACK
            return
        if payload:
            if _seq_lt(seq, self.rcv_nxt):
                payload = payload[_seq_diff(self.rcv_nxt, seq):]
            self._deliver(payload)
            filled = self._drain_ooo()
            if self.ooo_fin is not None and self.ooo_fin == self.rcv_nxt:
                fin = True
                end = self.rcv_nxt
            if self.state == "CLOSED":
                return
            if not fin:
                self._ack_data(filled)
        if fin and end == self.rcv_nxt:
            self._fin_received()

    def _drain_ooo(self) -> bool:
        """Deliver queued out-of-order data that has become in-order; True if any did."""
        filled = False
        while True:
            start = next((q for q in self.ooo if _seq_le(q, self.rcv_nxt)), None)
            if start is None:
                return filled
            data = self.ooo.pop(start)
            skip = _seq_diff(self.rcv_nxt, start)
            if skip < len(data):
                self._deliver(data[skip:])
                filled = True
            if self.state == "CLOSED":
                return filled

    def _deliver(self, data: bytes) -> None:
        self.rcv_nxt = (self.rcv_nxt + len(data)) & 0xFFFFFFFF
        self.ack_pending += len(data)
        if not self.got_data:
            self.got_data = True
            # the first data of a connection starts the delayed-ACK engine in quickack mode
            self.quick = min(MAX_QUICKACKS, max(2, self.rcv_wnd_init // (2 * max(self.mss, 1))))
        self.last_rcv = self.clock.now
        self._wake("data", data)

    def _ack_data(self, filled: bool) -> None:
        if not self.ack_pending:
            return
        if self.ooo or filled or (self.quick > 0 and not self.pingpong) or self.ack_pending >= 2 * self.mss:
            if self.quick > 0 and not self.pingpong:
                self.quick -= 1
            self._emit(ACK, sack=self._sack_blocks() if self.ooo else None)
        elif self.delack is None:
            self.delack = self.clock.call_later(DELACK, self.stack.in_kernel, self._delack_fire)

    def _delack_fire(self) -> None:
        self.delack = None
        self.pingpong = False  # a delayed ACK that found nothing to ride on: leave interactive mode
        if self.ack_pending and self.state not in ("CLOSED", "TIME_WAIT"):
            self._emit(ACK)

    def _sack_blocks(self) -> list[tuple[int, int]]:
        blocks: list[tuple[int, int]] = []
        for s in sorted(self.ooo, key=lambda x: _seq_diff(x, self.rcv_nxt)):
            e = (s + len(self.ooo[s])) & 0xFFFFFFFF
            if blocks and blocks[-1][1] == s:
                blocks[-1] = (blocks[-1][0], e)
            else:
                blocks.append((s, e))
        return blocks

    def _fin_received(self) -> None:
        self.rcv_nxt = (self.rcv_nxt + 1) & 0xFFFFFFFF
        self.peer_fin = True
        self.ooo_fin = None
        if self.state == "ESTABLISHED":
            # CLOSE_WAIT: the ACK is delayed (the application usually closes at once and the ACK
            # rides on its FIN), as tcp_fin() puts the socket in pingpong mode
            self.state = "CLOSE_WAIT"
            self.pingpong = True
            self.ack_pending += 1
            if self.delack is None:
                self.delack = self.clock.call_later(DELACK, self.stack.in_kernel, self._delack_fire)
        elif self.state == "FIN_WAIT_1":
            self.state = "CLOSING"
            self._emit(ACK)
        elif self.state == "FIN_WAIT_2":
            self._emit(ACK)
            self._enter_time_wait()
        self._report_eof()

    def _report_eof(self) -> None:
        if not self.eof_reported:
            self.eof_reported = True
            self._wake("close", "")

    def _enter_time_wait(self) -> None:
        self.state = "TIME_WAIT"
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.unacked.clear()
        self.tw_timer = self.clock.call_later(TIME_WAIT_LEN, self.stack.in_kernel, self._tw_expire)

    def _tw_expire(self) -> None:
        self.tw_timer = None
        self.state = "CLOSED"
        self._release()


class TcpStack:
    """The TCP of one namespace: listeners and connections keyed by their 4-tuple."""

    def __init__(self, ns: Namespace) -> None:
        self.ns = ns
        self.listeners: dict[tuple[int, int], Callable[[Conn], None]] = {}
        self.conns: dict[tuple[int, int, int, int], Conn] = {}
        self.last_error = ""
        self.kernel_context = False  # True while handling a segment or a timer (no system call involved)

    def out_time(self) -> int | None:
        """When a segment we emit now leaves: at once from kernel context (an ACK in the receive
        path, a timer), after the socket send path (``ip_send``'s default) from a program's call."""
        return self.ns.clock.now if self.kernel_context else None

    def in_kernel(self, fn: Callable[..., None], *args: Any) -> None:
        """Run ``fn`` as the kernel does timers and softirqs: segments it emits leave at once."""
        outer = self.kernel_context
        self.kernel_context = True
        try:
            fn(*args)
        finally:
            self.kernel_context = outer

    def mss_for(self, dst: int) -> int:
        """The MSS we advertise towards ``dst``: route MTU - 40, at most 65495 (loopback)."""
        r = self.ns.routes.lookup(dst)
        link = self.ns.links.get(r.dev) if r else None
        mtu = link.mtu if link else 1500
        if (link is not None and link.name == "lo") or (r is not None and r.type == "local"):
            mtu = 65536
        return min(mtu, 65535) - 40

    def initial_window(self, mss: int) -> int:
        """tcp_select_initial_window: 64 KiB (half of tcp_rmem's 128 KiB default) rounded down to the MSS."""
        space = 65536
        return space // mss * mss if space > mss else space

    def listen(self, addr: int, port: int, on_accept: Callable[[Conn], None]) -> bool:
        """Listen on ``addr:port`` (0 = any address). ``on_accept(conn)`` runs when a SYN arrives,
        before the SYN-ACK leaves, so the application can set the callbacks of the new connection."""
        if (addr, port) in self.listeners:
            return False
        self.listeners[(addr, port)] = on_accept
        return True

    def unlisten(self, addr: int, port: int) -> None:
        self.listeners.pop((addr, port), None)

    def port_in_use(self, port: int) -> bool:
        return any(p == port for (_a, p) in self.listeners) or any(k[1] == port for k in self.conns)

    def ephemeral_port(self, src: int, dst: int, dport: int) -> int:
        """A free local port for connect(): Linux picks even ports for connect() (odd ones for bind(0))."""
        rng = self.ns.host.lab.rng
        for _ in range(1000):
            port = 32768 + 2 * rng.randrange((60999 - 32768) // 2)
            if (src, port, dst, dport) not in self.conns and (0, port) not in self.listeners \
                    and (src, port) not in self.listeners:
                return port
        raise OSError("EADDRNOTAVAIL")

    def connect(self, dst: int, dport: int, src: int | None = None, *, sport: int | None = None,
                nodelay: bool = False) -> Conn | None:
        """Start an active open. None when there is no route (``last_error`` says why)."""
        self.last_error = ""
        r = self.ns.routes.lookup(dst)
        if r is None:
            self.last_error = "ENETUNREACH"
            return None
        if r.type in ("unreachable", "blackhole", "prohibit"):
            self.last_error = {"unreachable": "EHOSTUNREACH", "blackhole": "EINVAL", "prohibit": "EACCES"}[r.type]
            return None
        src = src or self.ns.source_for(dst)
        if src is None:
            self.last_error = "ENETUNREACH"
            return None
        port = sport if sport is not None else self.ephemeral_port(src, dst, dport)
        conn = Conn(self, src, port, dst, dport)
        conn.nodelay = nodelay
        conn.state = "SYN_SENT"
        conn.adv_mss = self.mss_for(dst)
        conn.rcv_wnd_init = self.initial_window(conn.adv_mss)
        self.conns[conn.key] = conn
        conn._queue(SYN, syn_mss=conn.adv_mss)
        return conn

    def receive(self, pkt: Pkt, src: int, dst: int, off: int) -> None:
        """A segment for this namespace. It is handled at its arrival time ``pkt.t``: devices such as
        veth hand packets over synchronously, stamped a little later than the sender's clock."""
        data, l3 = pkt.data, pkt.l3
        clock = self.ns.clock
        if pkt.t > clock.now:
            clock.call_at(pkt.t, self.in_kernel, self._receive, data, l3, src, dst, off)
        else:
            self.in_kernel(self._receive, data, l3, src, dst, off)

    def _receive(self, data: bytes, l3: int, src: int, dst: int, off: int) -> None:
        total = data[l3 + 2] << 8 | data[l3 + 3]
        if len(data) < off + 20:
            return
        sport, dport, seq, ack, doff, flags, win, _c, _u = _HDR.unpack_from(data, off)
        hlen = (doff >> 4) * 4
        payload = bytes(data[off + hlen:l3 + total])
        opts = _parse_options(data[off + 20:off + hlen])
        conn = self.conns.get((dst, dport, src, sport))
        if conn is not None:
            conn.segment(seq, ack, flags, payload, opts, win)
            return
        listener = self.listeners.get((dst, dport)) or self.listeners.get((0, dport))
        if listener is not None and flags & SYN and not flags & (ACK | RST):
            conn = Conn(self, dst, dport, src, sport)
            conn.state = "SYN_RECV"
            conn.irs = seq
            conn.rcv_nxt = (seq + 1) & 0xFFFFFFFF
            conn.ts_ok = "ts" in opts
            conn.sack_ok = "sackok" in opts
            conn.ws_ok = "wscale" in opts
            conn.peer_wscale = opts.get("wscale", 0) if conn.ws_ok else 0
            if not conn.ws_ok:
                conn.rcv_wscale = 0
            conn.ts_recent = opts.get("ts", 0)
            conn.adv_mss = self.mss_for(src)
            conn._set_mss(opts)
            conn.snd_wnd = win
            # the SYN-ACK's window: the MSS less the timestamp option (tcp_openreq_init_rwin)
            conn.rcv_wnd_init = self.initial_window(conn.adv_mss - (TS_OPT_LEN if conn.ts_ok else 0))
            self.conns[conn.key] = conn
            listener(conn)
            conn._queue(SYN | ACK, syn_mss=conn.adv_mss)
            return
        if not flags & RST:
            self._reset_for(src, dst, sport, dport, seq, ack, flags, len(payload))

    def _reset_for(self, src: int, dst: int, sport: int, dport: int, seq: int, ack: int, flags: int, plen: int) -> None:
        """RFC 793's reply to a segment for no connection (Linux's tcp_v4_send_reset)."""
        if flags & ACK:
            seg = tcp_segment(dst, src, dport, sport, ack, 0, RST, 0)
        else:
            seg = tcp_segment(dst, src, dport, sport, 0,
                              (seq + plen + (1 if flags & SYN else 0) + (1 if flags & FIN else 0)) & 0xFFFFFFFF,
                              RST | ACK, 0)
        self.ns.ip_send(dst, src, PROTO_TCP, seg, df=True, ident=0, t=self.out_time())

    def _reset(self, src: int, dst: int, sport: int, dport: int, seq: int, ack: int, flags: int, plen: int) -> None:
        self._reset_for(src, dst, sport, dport, seq, ack, flags, plen)

    def send_reset_for(self, pkt: Pkt) -> None:
        """``iptables -j REJECT --reject-with tcp-reset``: answer ``pkt`` with a RST."""
        data = pkt.data
        l3 = pkt.l3
        ihl = (data[l3] & 0x0F) * 4
        src = int.from_bytes(data[l3 + 12:l3 + 16], "big")
        dst = int.from_bytes(data[l3 + 16:l3 + 20], "big")
        sport, dport, seq, ack, doff, flags, _w, _c, _u = _HDR.unpack_from(data, l3 + ihl)
        if not flags & RST:
            total = data[l3 + 2] << 8 | data[l3 + 3]
            plen = total - ihl - ((doff >> 4) * 4)
            self._reset_for(src, dst, sport, dport, seq, ack, flags, plen)

    def icmp_error(self, info: dict[str, Any], inner: bytes) -> None:
        """An ICMP error about one of our segments: fatal for a connection still being set up."""
        ihl = (inner[0] & 0x0F) * 4
        if len(inner) < ihl + 4:
            return
        sport, dport = struct.unpack_from("!HH", inner, ihl)
        src = int.from_bytes(inner[12:16], "big")
        dst = int.from_bytes(inner[16:20], "big")
        conn = self.conns.get((src, sport, dst, dport))
        if conn is None or info.get("type") != 3:
            return
        code = info.get("code", 0)
        if code == 4:
            return  # fragmentation needed: PMTU, not an error for the socket
        err = ICMP_UNREACH_ERRNO.get(code)
        if err is not None and conn.state in ("SYN_SENT", "SYN_RECV"):
            conn._abort(err, send_rst=False)
        elif err is not None:
            conn.error = err  # a soft error on an established connection


def stack(ns: Namespace) -> TcpStack:
    """The namespace's TCP, created on first use."""
    if ns.tcp is None:
        ns.tcp = TcpStack(ns)  # type: ignore[assignment]
    return ns.tcp  # type: ignore[return-value]


def _parse_options(b: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {}
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
            out["tsecr"] = int.from_bytes(b[i + 6:i + 10], "big")
        elif kind == 3 and length == 3:
            out["wscale"] = min(b[i + 2], 14)
        elif kind == 4 and length == 2:
            out["sackok"] = True
        elif kind == 5:
            out["sack"] = [(int.from_bytes(b[j:j + 4], "big"), int.from_bytes(b[j + 4:j + 8], "big"))
                           for j in range(i + 2, i + length - 7, 8)]
        i += length
    return out
