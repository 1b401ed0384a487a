"""`ping`: iputils wording on hosts, busybox wording in busybox containers.

Every line comes from real ICMP packets moving through the engine: the RTT is
the virtual time between the echo request leaving and the reply arriving. The
iputils flavour follows ping_common.c: pinger()'s token bucket decides when a
probe goes out (flood: as soon as the reply is back, or after MIN_INTERVAL_MS),
main_loop() how long it waits, gather_statistics() and finish() what it prints.
"""

from __future__ import annotations

import math
import re
import struct
import sys
from collections import deque
from collections.abc import Generator
from typing import Any

from tui.engine.clock import MS, SEC, US
from tui.engine.netns import PROTO_ICMP, STACK_DELAY, checksum
from tui.engine.process import Interrupted, Waiter, sleep_or
from tui.shell.commands.core import OptError, getopt
from tui.shell.commands.http_tools import is_tty
from tui.shell.formats.iproute import ip_str
from tui.shell.registry import Ctx, command
from tui.shell.resolve import parse_ipv4, resolve_host, reverse_lookup

IPUTILS_USAGE = """
Usage
  ping [options] <destination>

Options:
  <destination>      dns name or ip address
  -a                 use audible ping
  -A                 use adaptive ping
  -B                 sticky source address
  -c <count>         stop after <count> replies
  -D                 print timestamps
  -d                 use SO_DEBUG socket option
  -f                 flood ping
  -h                 print help and exit
  -I <interface>     either interface name or address
  -i <interval>      seconds between sending each packet
  -L                 suppress loopback of multicast packets
  -l <preload>       send <preload> number of packages while waiting replies
  -m <mark>          tag the packets going out
  -M <pmtud opt>     define mtu discovery, can be one of <do|dont|want>
  -n                 no dns name resolution
  -O                 report outstanding replies
  -p <pattern>       contents of padding byte
  -q                 quiet output
  -Q <tclass>        use quality of service <tclass> bits
  -s <size>          use <size> as number of data bytes to be sent
  -S <size>          use <size> as SO_SNDBUF socket option value
  -t <ttl>           define time to live
  -U                 print user-to-user latency
  -v                 verbose output
  -V                 print version and exit
  -w <deadline>      reply wait <deadline> in seconds
  -W <timeout>       time to wait for response

IPv4 options:
  -4                 use IPv4
  -b                 allow pinging broadcast
  -R                 record route
  -T <timestamp>     define timestamp, can be one of <tsonly|tsandaddr|tsprespec>

IPv6 options:
  -6                 use IPv6
  -F <flowlabel>     define flow label, default is random
  -N <nodeinfo opt>  use icmp6 node info query, try <help> as argument

For more details see ping(8).
"""

BUSYBOX_USAGE = """BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.

Usage: ping [OPTIONS] HOST

Send ICMP ECHO_REQUESTs to HOST

\t-4,-6\t\tForce IP or IPv6 name resolution
\t-c CNT\t\tSend only CNT pings
\t-s SIZE\t\tSend SIZE data bytes in packets (default 56)
\t-i SECS\t\tInterval
\t-A\t\tPing as soon as reply is received
\t-t TTL\t\tSet TTL
\t-I IFACE/IP\tSource interface or IP address
\t-W SEC\t\tSeconds to wait for the first response (default 10)
\t\t\t(after all -c CNT packets are sent)
\t-w SEC\t\tSeconds until ping exits (default:infinite)
\t\t\t(can exit earlier with -c CNT)
\t-q\t\tQuiet, only display output at start/finish
\t-p HEXBYTE\tPayload pattern
"""

# getopt strings: iputils ping.c main() ("h?" "4bRT:" "6F:N:" "aABc:dDfi:I:l:Lm:M:nOp:qQ:rs:S:t:UvVw:W:"),
# busybox networking/ping.c OPT_STRING ("qvAc:+s:t:+w:+W:+I:np:i:" with "46" when IPv6 is built in)
IPUTILS_FLAGS, IPUTILS_WITH_ARG = set("h?4bR6aABdDfLnOqrUvV"), set("TFNcilmMpQsStwWI")
BUSYBOX_FLAGS, BUSYBOX_WITH_ARG = set("qvAn46"), set("cstwWIpi")

# iputils ping.h and the kernel it runs on
MIN_INTERVAL_MS = 10  # MININTERVAL: the flood's minimal gap while nothing came back
MAXWAIT_S = 10  # default linger time when nothing was received
HZ = 100  # sysconf(_SC_CLK_TCK), what main_loop() compares short waits against
INT_MAX = 2**31 - 1
MAX_DUP_CHK = 0x10000


def parse_args(argv: list[str], flags: set[str] | None = None,
               with_arg: set[str] | None = None) -> tuple[dict[str, str], list[str], str | None]:
    """getopt-style: flags may be bundled (`-nc3`) and options may follow the host (GNU permutation)."""
    flags = IPUTILS_FLAGS if flags is None else flags
    with_arg = IPUTILS_WITH_ARG if with_arg is None else with_arg
    short = "".join(sorted(flags)) + "".join(c + ":" for c in sorted(with_arg))
    try:
        found, pos = getopt(argv, short)
    except OptError as e:
        return {}, [], e.message
    return dict(found), pos, None


_STRTOD = re.compile(r"\s*[+-]?(0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?"
                     r"|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan(?:\([0-9A-Za-z_]*\))?)",
                     re.IGNORECASE)


def c_strtod(text: str) -> tuple[float, str, bool]:
    """C strtod(3): the value of the longest numeric prefix, the rest, and whether errno was set (ERANGE)."""
    m = _STRTOD.match(text)
    if m is None:
        return 0.0, text, False
    num = m.group(0).strip()
    sign = -1.0 if num.startswith("-") else 1.0
    body = num.lstrip("+-").lower()
    if body.startswith("0x"):
        h = body if "p" in body else body + "p0"
        try:
            value = float.fromhex(h)
        except OverflowError:
            value = math.inf
    elif body.startswith("nan"):
        value = math.nan
    else:
        value = float(body)
    overflow = math.isinf(value) and not body.startswith("inf")
    underflow = value == 0.0 and any(c in "123456789abcdef" for c in body.split("e")[0].split("p")[0][2 * body.startswith("0x"):])
    return sign * value, text[m.end():], overflow or underflow


def ping_strtod(ctx: Ctx, text: str, what: str) -> float | None:
    """iputils ping.c ping_strtod(): garbage after the number is only warned about (20221126); a value that is
    not a normal number is fatal (`bad timing interval: nan: Numerical result out of range`)."""
    if not text:
        ctx.err(f"ping: {what}: {text}\n")
        return None
    value, rest, erange = c_strtod(text)
    if erange or rest == text or rest:
        ctx.err(f"ping: option argument contains garbage: {rest}\nping: this will become fatal error in the future\n")
    if math.isnan(value) or math.isinf(value) or (value != 0.0 and abs(value) < sys.float_info.min):
        ctx.err(f"ping: {what}: {text}: Numerical result out of range\n")
        return None
    return value


def strtol_or_err(ctx: Ctx, text: str, low: int, high: int) -> int | None:
    """iputils_common.c strtol_or_err(): a base-10 number in [low, high], else `invalid argument: '...'`."""
    m = re.fullmatch(r"\s*[+-]?\d+", text)
    if m is None:
        ctx.err(f"ping: invalid argument: '{text}'\n")
        return None
    value = int(text)
    if not low <= value <= high:
        ctx.err(f"ping: invalid argument: '{text}': out of range: {low} <= value <= {high}\n")
        return None
    return value


def fmt_iputils_ms(us: float) -> str:
    t = int(us)
    if t >= 100000 - 50:
        return f"{(t + 500) // 1000}"
    if t >= 10000 - 5:
        return f"{(t + 50) // 1000}.{((t + 50) % 1000) // 100}"
    if t >= 1000:
        return f"{(t + 5) // 1000}.{((t + 5) % 1000) // 10:02d}"
    return f"{t // 1000}.{t % 1000:03d}"


def fmt3(us: float) -> str:
    t = int(us)
    return f"{t // 1000}.{t % 1000:03d}"


@command("ping", summary="send ICMP ECHO_REQUEST to network hosts")
def ping_cmd(ctx: Ctx) -> Generator[Any, Any, int]:
    busybox = ctx.sandbox.tools == "busybox"
    if busybox:
        opts, pos, error = parse_args(ctx.argv[1:], BUSYBOX_FLAGS, BUSYBOX_WITH_ARG)
    else:
        opts, pos, error = parse_args(ctx.argv[1:])
    if error is not None:
        if busybox:  # getopt32() -> bb_show_usage()
            ctx.err(f"ping: {error}\n{BUSYBOX_USAGE}")
            return 1
        ctx.err(f"ping: {error}\n{IPUTILS_USAGE}")
        return 2
    if busybox:
        if not pos or len(pos) > 1:  # getopt32's "=1": exactly one HOST
            ctx.err(BUSYBOX_USAGE)
            return 1
        return (yield from _busybox_ping(ctx, opts, pos[-1]))
    if "h" in opts or "?" in opts:
        ctx.err(IPUTILS_USAGE)
        return 2
    if not pos:
        ctx.err("ping: usage error: Destination address required\n")
        return 1
    return (yield from _iputils_ping(ctx, opts, pos[-1]))


# =========================================================================================== iputils


class _Rts:
    """The parts of iputils' `struct ping_rts` that ping_common.c's pinger/main_loop/finish use (times in ns)."""

    def __init__(self) -> None:
        self.npackets = 0
        self.ntransmitted = 0
        self.nreceived = 0
        self.nrepeats = 0
        self.nerrors = 0
        self.interval = 1000  # ms
        self.preload = 1
        self.deadline = 0  # s
        self.lingertime = MAXWAIT_S * 1000  # ms
        self.start_time = 0
        self.cur_time: int | None = None
        self.tokens = 0
        self.timing = True
        self.tmin = 2**63 - 1
        self.tmax = 0
        self.tsum = 0.0
        self.tsum2 = 0.0
        self.rtt = 0  # EWMA of the RTT in us, times 8
        self.rtt_addend = 0
        self.acked = 0
        self.pipesize = 0
        self.rcvd: set[int] = set()
        self.exiting = False
        self.waittime: int | None = None  # __schedule_exit()'s static: us
        self.alarms: list[int] = []  # setitimer() expiries (the -w deadline, the linger)
        self.flood = False
        self.quiet = False
        self.adaptive = False
        self.outstanding = False
        self.screen_width = INT_MAX

    # ping.h helpers, with their 16-bit sequence arithmetic
    def in_flight(self) -> int:
        diff = ((self.ntransmitted & 0xFFFF) - self.acked) & 0xFFFF
        return diff if diff <= 0x7FFF else self.ntransmitted - self.nreceived - self.nerrors

    def acknowledge(self, seq: int) -> None:
        diff = ((self.ntransmitted & 0xFFFF) - seq) & 0xFFFF
        if diff <= 0x7FFF:
            if diff + 1 > self.pipesize:
                self.pipesize = diff + 1
            delta = (seq - self.acked) & 0xFFFF
            if (0 < delta < 0x8000) or ((self.ntransmitted & 0xFFFF) - self.acked) & 0xFFFF > 0x7FFF:
                self.acked = seq

    def advance_ntransmitted(self) -> None:
        self.ntransmitted += 1
        if ((self.ntransmitted & 0xFFFF) - self.acked) & 0xFFFF > 0x7FFF:
            self.acked = (self.ntransmitted + 1) & 0xFFFF

    def schedule_exit(self, now: int, nxt: int) -> int:
        """ping.h schedule_exit() / ping_common.c __schedule_exit(): once all -c packets are out, arm the alarm
        that ends the wait: twice the largest RTT (at least one interval) if anything came back, else -W."""
        if not (self.npackets and self.ntransmitted >= self.npackets and not self.deadline):
            return nxt
        if self.waittime is not None:
            return nxt
        if self.nreceived:
            waittime = 2 * self.tmax
            if self.interval < 0:  # 1000 * (unsigned long)interval: a huge wait, so effectively none
                waittime = 2**64 + 1000 * self.interval
            elif waittime < 1000 * self.interval:
                waittime = 1000 * self.interval
        else:
            waittime = self.lingertime * 1000
        self.waittime = waittime
        if nxt < 0 or nxt < waittime // 1000:
            nxt = min(waittime // 1000, INT_MAX)
        if waittime:
            self.alarms.append(now + waittime * US)
        return nxt


def _ms_since(then: int, now: int) -> int:
    """pinger()'s elapsed milliseconds: timespec fields subtracted, each part truncated toward zero as C does."""
    dsec = now // SEC - then // SEC
    dnsec = now % SEC - then % SEC
    return dsec * 1000 + int(dnsec / 1_000_000)


def _schint(ms: int) -> int:
    return MIN_INTERVAL_MS if ms <= MIN_INTERVAL_MS else ms


def _iputils_ping(ctx: Ctx, opts: dict[str, str], target: str) -> Generator[Any, Any, int]:
    rts = _Rts()
    try:
        rts.npackets = int(opts["c"]) if "c" in opts else 0
        size = int(opts.get("s", "56"))
        ttl = int(opts["t"]) if "t" in opts else None
    except ValueError as e:
        bad = str(e).split(": ")[-1].strip("'")
        ctx.err(f"ping: invalid argument: '{bad}'\n")
        return 1
    if rts.npackets < 0 or ("c" in opts and rts.npackets == 0):
        ctx.err(f"ping: invalid argument: '{opts['c']}': out of range: 1 <= value <= 9223372036854775807\n")
        return 1
    if size < 0 or size > 65507:
        ctx.err(f"ping: invalid argument: '{size}': out of range: 0 <= value <= 2147483647\n")
        return 1
    if "i" in opts:  # ping.c: interval = (int)(optval * 1000), bounded by INT_MAX / 1000 seconds
        value = ping_strtod(ctx, opts["i"], "bad timing interval")
        if value is None:
            return 2
        if value > INT_MAX // 1000:
            ctx.err(f"ping: bad timing interval: {opts['i']}\n")
            return 2
        rts.interval = int(value * 1000)
    if "W" in opts:
        value = ping_strtod(ctx, opts["W"], "bad linger time")
        if value is None:
            return 2
        if value < 0 or value > INT_MAX // 1000:
            ctx.err(f"ping: bad linger time: {opts['W']}\n")
            return 2
        rts.lingertime = int(value * 1000)
    if "w" in opts:
        deadline = strtol_or_err(ctx, opts["w"], 0, INT_MAX)
        if deadline is None:
            return 1
        rts.deadline = deadline
    if "l" in opts:
        preload = strtol_or_err(ctx, opts["l"], 1, MAX_DUP_CHK)
        if preload is None:
            return 1
        rts.preload = preload  # root: no "cannot set preload to value greater than 3"
    pmtu = opts.get("M", "want")
    if pmtu not in ("do", "dont", "want", "probe"):
        ctx.err(f"ping: invalid -M argument: {pmtu}\n")
        return 2
    rts.flood = "f" in opts
    rts.quiet = "q" in opts
    rts.adaptive = "A" in opts
    rts.outstanding = "O" in opts
    rts.timing = size >= 16  # datalen >= sizeof(struct timeval)
    # setup(): flood without -i means interval 0. The learner's shell is root, so neither the user minimum
    # (MIN_USER_INTERVAL_MS, "cannot flood; minimal interval allowed for user is 2ms") nor the preload cap applies.
    if rts.flood and "i" not in opts:
        rts.interval = 0
    if rts.interval >= INT_MAX // rts.preload:
        ctx.err(f"ping: illegal preload and/or interval: {rts.interval}\n")
        return 2
    # -f implies -n (ping.c: "avoid `getaddrinfo()` during flood"); a literal address is never looked up
    want_names = "n" not in opts and not rts.flood and parse_ipv4(target) is None
    names: dict[int, str | None] = {}
    dst = yield from resolve_host(ctx, target)
    if dst is None:
        ctx.err(f"ping: {target}: Name or service not known\n")
        return 2
    ns = ctx.sandbox.netns
    clock = ctx.clock
    ident = _icmp_ident(ctx, ns)
    src = ns.source_for(dst)
    if src is None:
        ctx.err("ping: connect: Network is unreachable\n")
        return 2
    events: deque[tuple[str, dict[str, Any]]] = deque()
    wake = [Waiter()]

    def on_icmp(kind: str, pkt: Any, info: dict[str, Any]) -> None:
        if kind == "reply":
            info = dict(info, sent_us=_stamp_us(pkt))
        events.append((kind, info))
        wake[0].fire()

    ns.ping_sockets[ident] = on_icmp
    ctx.out(f"PING {target} ({ip_str(dst)}) {size}({size + 28}) bytes of data.\n")
    if is_tty(ctx, 1):  # TIOCGWINSZ: only a terminal has a width
        rts.screen_width = getattr(ctx.shell, "columns", 80)
    rts.start_time = clock.now
    if rts.deadline:
        rts.alarms.append(rts.start_time + rts.deadline * SEC)
    if hasattr(ctx.shell, "expect_until"):
        if rts.deadline:
            ctx.shell.expect_until(rts.start_time + rts.deadline * SEC)
        elif rts.npackets:  # at worst one MIN_INTERVAL_MS (or -i) per packet, then the linger
            step = _schint(max(rts.interval, 0))
            ctx.shell.expect_until(clock.now + (rts.npackets - 1) * step * MS + max(rts.lingertime, 1000) * MS)
    send = _Sender(ns, src, dst, ident, size, ttl, pmtu, clock)

    last_send = [-1]

    def pinger() -> Generator[Any, Any, int]:
        """ping_common.c pinger(): send if the token bucket allows; the ms until the next try."""
        if rts.exiting or (rts.npackets and rts.ntransmitted >= rts.npackets and not rts.deadline):
            return 1000
        now = clock.now
        if rts.cur_time is None:
            rts.cur_time = now
            rts.tokens = rts.interval * (rts.preload - 1)
        else:
            ntokens = _ms_since(rts.cur_time, now)
            if not rts.interval:
                # unlimited flood: without replies, at most one packet per MIN_INTERVAL_MS
                if ntokens < MIN_INTERVAL_MS and rts.in_flight() >= rts.preload:
                    return MIN_INTERVAL_MS - ntokens
            ntokens += rts.tokens
            tmp = rts.interval * rts.preload
            if tmp < ntokens:
                ntokens = tmp
            if ntokens < rts.interval:
                return rts.interval - ntokens
            rts.cur_time = now
            rts.tokens = ntokens - rts.interval
        if rts.outstanding and rts.ntransmitted > 0 and (rts.ntransmitted % MAX_DUP_CHK) not in rts.rcvd:
            ctx.out(f"no answer yet for icmp_seq={rts.ntransmitted % MAX_DUP_CHK}\n")
        if last_send[0] == clock.now:  # back to back (preload, -i 0 or less): the previous sendmsg() took time
            yield sleep_or(clock, Waiter(), STACK_DELAY)
        seq = (rts.ntransmitted + 1) & 0xFFFF
        rts.rcvd.discard(seq)
        last_send[0] = clock.now
        err = send(seq)
        if err is None:
            rts.advance_ntransmitted()
            if not rts.quiet and rts.flood:
                # "Very silly, but without this output with high preload or pipe size is very confusing."
                if ((rts.preload < rts.screen_width and rts.pipesize < rts.screen_width)
                        or rts.in_flight() < rts.screen_width):
                    ctx.out(".")
            return rts.interval - rts.tokens
        if err == "EMSGSIZE":  # the error queue holds a local error: receive_error_msg() reports it
            rts.nerrors += 1
            if not rts.quiet:
                if rts.flood:
                    ctx.out("E")
                else:
                    ctx.err(f"ping: local error: message too long, mtu={send.mtu()}\n")
            rts.advance_ntransmitted()  # hard local error: pretend we sent it
        else:
            rts.advance_ntransmitted()
            if not rts.quiet:
                if rts.flood:
                    ctx.out("E")
                else:
                    ctx.err(f"ping: sendmsg: {_strerror(err)}\n")
        rts.tokens = 0
        return _schint(rts.interval)

    def wait(ms: int) -> Generator[Any, Any, bool]:
        """Block until a packet is queued, `ms` pass, or an alarm (SIGALRM: sigexit) fires; True if data came."""
        if events:
            return True
        until = clock.now + max(0, ms) * MS
        alarms = [a for a in rts.alarms if a > clock.now]
        if any(a <= clock.now for a in rts.alarms):
            rts.exiting = True
            return False
        if alarms and min(alarms) <= until:
            until = min(alarms)
        wake[0] = Waiter()
        yield sleep_or(clock, wake[0], until - clock.now)
        if any(a <= clock.now for a in rts.alarms):
            rts.exiting = True  # the signal interrupts poll()/recvmsg() (EINTR) before data is read
            return False
        return bool(events)

    try:
        while True:
            # main_loop(): exit conditions
            if any(a <= clock.now for a in rts.alarms):
                rts.exiting = True
            if rts.exiting:
                break
            if rts.npackets and rts.nreceived + rts.nerrors >= rts.npackets:
                break
            if rts.deadline and rts.nerrors:
                break
            # send the probes due now
            while True:
                nxt = rts.schedule_exit(clock.now, (yield from pinger()))
                if nxt > 0:
                    break
            # wait for a reply or for the next probe
            polling = False
            if rts.adaptive or nxt < _schint(rts.interval):
                recv_expected = rts.in_flight()
                if (nxt <= 1000 // HZ) if 1000 % HZ == 0 else (nxt * HZ <= 1000):
                    if recv_expected:
                        nxt = MIN_INTERVAL_MS
                    else:
                        polling = True  # spin with non-blocking reads until it is time to send
                        came = yield from wait(nxt)
                        if not came:
                            continue
                if not polling and (rts.adaptive or rts.interval):
                    came = yield from wait(nxt)  # poll(next)
                    if not came:
                        continue
                    polling = True
            if not polling:  # a blocking recvmsg(): SO_RCVTIMEO is SCHINT(interval)
                came = yield from wait(_schint(rts.interval))
                if not came:
                    continue
            while events:
                kind, info = events.popleft()
                if kind == "reply":
                    yield from _name_for(ctx, info, names, want_names)
                    _gather_statistics(ctx, rts, info, names)
                else:
                    _receive_error(ctx, rts, info)
                if rts.in_flight() == 0:
                    break
    except Interrupted:  # SIGINT: sigexit(), then the statistics
        pass
    finally:
        ns.ping_sockets.pop(ident, None)
    ctx.out(_finish(rts, target))
    return 1 if (not rts.nreceived or (rts.deadline and rts.nreceived < rts.npackets)) else 0


class _Sender:
    """ping4_send_probe(): an echo request with the timestamp and iputils' fill pattern, sent through the stack."""

    def __init__(self, ns: Any, src: int, dst: int, ident: int, size: int, ttl: int | None, pmtu: str,
                 clock: Any) -> None:
        self.ns, self.src, self.dst, self.ident = ns, src, dst, ident
        self.size, self.ttl, self.pmtu, self.clock = size, ttl, pmtu, clock

    def __call__(self, seq: int) -> str | None:
        body = struct.pack("!BBHHH", 8, 0, 0, self.ident, seq) + _payload(self.size, self.clock.wall_ns, False)
        c = checksum(body)
        body = body[:2] + c.to_bytes(2, "big") + body[4:]
        df = self.pmtu in ("do", "probe")
        if self.pmtu == "want":  # PMTU discovery: DF set, but what is bigger than the route's MTU is fragmented
            route = self.ns.routes.lookup(self.dst)
            link = self.ns.links.get(route.dev) if route is not None else None
            df = link is None or 20 + len(body) <= link.mtu
        return self.ns.ip_send(self.src, self.dst, PROTO_ICMP, body, ttl=self.ttl, df=df, ident=None)

    def mtu(self) -> int:
        route = self.ns.routes.lookup(self.dst)
        link = self.ns.links.get(route.dev) if route is not None else None
        return link.mtu if link else 1500


def _stamp_us(pkt: Any) -> int | None:
    """The send time iputils wrote into the request, read back from the reply's data (struct timeval)."""
    data = pkt.data
    l3 = pkt.l3
    icmp = l3 + (data[l3] & 0x0F) * 4
    if len(data) < icmp + 8 + 16:
        return None
    sec, usec = struct.unpack_from("<qq", data, icmp + 8)
    return sec * 1_000_000 + usec


def _gather_statistics(ctx: Ctx, rts: _Rts, info: dict[str, Any], names: dict[int, str | None]) -> None:
    """ping_common.c gather_statistics() for one echo reply."""
    seq = info["seq"]
    rts.nreceived += 1
    rts.acknowledge(seq)
    triptime = 0
    timed = rts.timing and info.get("sent_us") is not None
    if timed:
        recv_us = (ctx.clock.epoch_ns + info["t"]) // 1000  # SO_TIMESTAMP
        triptime = max(0, recv_us - info["sent_us"])
        rts.tsum += triptime
        rts.tsum2 += float(triptime * triptime)
        rts.tmin = min(rts.tmin, triptime)
        rts.tmax = max(rts.tmax, triptime)
        if not rts.rtt:
            rts.rtt = triptime * 8
        else:
            rts.rtt += triptime - rts.rtt // 8
        if rts.adaptive:
            est = rts.rtt // 8 if rts.rtt else rts.interval * 1000
            rts.interval = (est + rts.rtt_addend + 500) // 1000  # update_interval(); root has no minimum
    dup = seq in rts.rcvd
    if dup:
        rts.nrepeats += 1
        rts.nreceived -= 1
    else:
        rts.rcvd.add(seq)
    if rts.quiet:
        return
    if rts.flood:
        ctx.out("\b \b")
        return
    line = f"{info['len']} bytes from {_who(info['src'], names)}: icmp_seq={seq} ttl={info['ttl']}"
    if timed:
        line += f" time={fmt_iputils_ms(triptime)} ms"
    ctx.out(line + (" (DUP!)" if dup else "") + "\n")


def _receive_error(ctx: Ctx, rts: _Rts, info: dict[str, Any]) -> None:
    """ping4_receive_error_msg(): an ICMP error about one of our requests (IP_RECVERR)."""
    rts.acknowledge(info.get("seq", 0))
    rts.nerrors += 1
    if rts.quiet:
        return
    if rts.flood:
        ctx.out("\bE")
        return
    ctx.out(f"From {ip_str(info['src'])} icmp_seq={info.get('seq', 0)} {_icmp_text(info)}\n")


def _cdiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _llsqrt(a: int) -> int:
    prev = 2**63 - 1
    x = a
    if x > 0:
        while x < prev:
            prev = x
            x = (x + a // x) // 2
    return x


def _ms3(v: int) -> str:
    return f"{_cdiv(v, 1000)}.{abs(v - _cdiv(v, 1000) * 1000):03d}"


def _finish(rts: _Rts, target: str) -> str:
    """ping_common.c finish(): the statistics."""
    tv = (rts.cur_time if rts.cur_time is not None else rts.start_time) - rts.start_time
    out = [f"\n--- {target} ping statistics ---\n",
           f"{rts.ntransmitted} packets transmitted, {rts.nreceived} received"]
    if rts.nrepeats:
        out.append(f", +{rts.nrepeats} duplicates")
    if rts.nerrors:
        out.append(f", +{rts.nerrors} errors")
    if rts.ntransmitted:
        loss = struct.unpack("f", struct.pack("f", (rts.ntransmitted - rts.nreceived) * 100.0 / rts.ntransmitted))[0]
        out.append(f", {_pct(loss)}% packet loss")
        out.append(f", time {tv // SEC * 1000 + (tv % SEC + 500_000) // 1_000_000}ms")
    out.append("\n")
    comma = ""
    if rts.nreceived and rts.timing:
        total = rts.nreceived + rts.nrepeats
        tmavg = int(rts.tsum / total)
        if rts.tsum < INT_MAX:
            tmvar = int((rts.tsum2 - (rts.tsum * rts.tsum) / total) / total)
        else:
            tmvar = int(rts.tsum2 / total) - tmavg * tmavg
        tmdev = _llsqrt(tmvar)
        out.append(f"rtt min/avg/max/mdev = {_ms3(rts.tmin)}/{_ms3(tmavg)}/{_ms3(rts.tmax)}/{_ms3(tmdev)} ms")
        comma = ", "
    if rts.pipesize > 1:
        out.append(f"{comma}pipe {rts.pipesize}")
        comma = ", "
    if rts.nreceived and (not rts.interval or rts.flood or rts.adaptive) and rts.ntransmitted > 1:
        ipg = (1_000_000 * (tv // SEC) + (tv % SEC) // 1000) // (rts.ntransmitted - 1)
        out.append(f"{comma}ipg/ewma {_ms3(ipg)}/{rts.rtt // 8000}.{(rts.rtt // 8) % 1000:03d} ms")
    out.append("\n")
    return "".join(out)


def _icmp_ident(ctx: Ctx, ns: Any) -> int:
    """The echo identifier: the pid (busybox, and iputils on a raw socket; containers count their own
    pids), moved on past one a ping already running in the namespace uses."""
    next_pid = getattr(ctx.sandbox, "next_pid", None) or ctx.sandbox.host.next_pid
    pid = getattr(ctx, "pid", 0) or next_pid()
    ident = pid & 0xFFFF
    while ident in ns.ping_sockets:
        ident = (ident + 1) & 0xFFFF
    return ident


def _icmp_text(info: dict[str, Any]) -> str:
    text = {
        (3, 0): "Destination Net Unreachable", (3, 1): "Destination Host Unreachable",
        (3, 2): "Destination Protocol Unreachable", (3, 3): "Destination Port Unreachable",
        (3, 9): "Destination Net Prohibited", (3, 10): "Destination Host Prohibited",
        (3, 13): "Packet filtered", (11, 0): "Time to live exceeded",
    }.get((info["type"], info["code"]), f"Dest Unreachable, Bad Code: {info['code']}")
    if (info["type"], info["code"]) == (3, 4):
        text = f"Frag needed and DF set (mtu = {info['mtu']})"
    return text


# =========================================================================================== busybox


def _busybox_ping(ctx: Ctx, opts: dict[str, str], target: str) -> Generator[Any, Any, int]:
    try:
        count = int(opts["c"]) if "c" in opts else 0
        interval = float(opts.get("i", "1"))
        size = int(opts.get("s", "56"))
        ttl = int(opts["t"]) if "t" in opts else None
        timeout_s = float(opts["W"]) if "W" in opts else None
        deadline_s = float(opts["w"]) if "w" in opts else None
    except ValueError as e:
        bad = str(e).split(": ")[-1].strip("'")
        ctx.err(f"ping: invalid number '{bad}'\n")
        return 1
    if count < 0:
        ctx.err(f"ping: invalid argument: '{opts['c']}': out of range: 1 <= value <= 9223372036854775807\n")
        return 1
    if size < 0 or size > 65507:
        ctx.err(f"ping: invalid number '{size}'\n")
        return 1
    quiet = "q" in opts
    dst = yield from resolve_host(ctx, target)
    if dst is None:
        ctx.err(f"ping: bad address '{target}'\n")
        return 1
    ns = ctx.sandbox.netns
    clock = ctx.clock
    ident = _icmp_ident(ctx, ns)
    src = ns.source_for(dst)
    if src is None:
        ctx.err("ping: sendto: Network is unreachable\n")
        return 1
    events: list[tuple[str, Any, dict[str, Any]]] = []
    wake = [Waiter()]

    def on_icmp(kind: str, pkt: Any, info: dict[str, Any]) -> None:
        events.append((kind, pkt, info))
        wake[0].fire()

    ns.ping_sockets[ident] = on_icmp
    ctx.out(f"PING {target} ({ip_str(dst)}): {size} data bytes\n")
    if count and hasattr(ctx.shell, "expect_until"):
        ctx.shell.expect_until(clock.now + int((count - 1) * interval * SEC) + 10 * SEC)
    sent_at: dict[int, int] = {}
    received: set[int] = set()
    rtts: list[float] = []
    errors = 0
    dups = 0
    transmitted = 0
    start = clock.now
    next_send = clock.now
    step = int(interval * SEC)
    deadline = start + int(deadline_s * SEC) if deadline_s is not None else None
    linger_until: int | None = None
    try:
        while True:
            now = clock.now
            if count and transmitted >= count and len(received) + errors >= count:
                break
            if deadline is not None and now >= deadline:
                break
            if linger_until is not None and now >= linger_until:
                break
            if (not count or transmitted < count) and now >= next_send:
                seq = transmitted & 0xFFFF
                payload = _payload(size, clock.wall_ns, True)
                body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
                c = checksum(body)
                body = body[:2] + c.to_bytes(2, "big") + body[4:]
                err = ns.ip_send(src, dst, PROTO_ICMP, body, ttl=ttl, df=False, ident=None)
                transmitted += 1
                sent_at[seq] = now
                if err == "EMSGSIZE":
                    ctx.err("ping: sendto: Message too long\n")
                    return 1
                if err is not None:
                    ctx.err(f"ping: sendto: {_strerror(err)}\n")
                    return 1
                next_send = now + step
                if count and transmitted >= count:
                    if timeout_s is not None:
                        wait = int(timeout_s * SEC)
                    elif rtts:
                        wait = max(2 * int(max(rtts) * US), SEC)
                    else:
                        wait = 10 * SEC
                    linger_until = now + wait
                continue
            # wait for a reply, the next send, or the end
            targets = [t for t in (next_send if (not count or transmitted < count) else None, linger_until, deadline)
                       if t is not None]
            until = min(targets) if targets else now + SEC
            while events:
                dups = _report_busybox(ctx, quiet, events.pop(0), sent_at, received, rtts, dups)
            if count and transmitted >= count and len(received) + errors >= count:
                break
            if events:
                continue
            wake[0] = Waiter()
            yield sleep_or(clock, wake[0], max(0, until - clock.now))
            while events:
                dups = _report_busybox(ctx, quiet, events.pop(0), sent_at, received, rtts, dups)
    except Interrupted:
        pass
    finally:
        ns.ping_sockets.pop(ident, None)
    nrecv = len(received)
    loss = (transmitted - nrecv) * 100 // transmitted if transmitted else 0
    s = f"{transmitted} packets transmitted, {nrecv} packets received, "
    if dups:
        s += f"{dups} duplicates, "
    s += f"{loss}% packet loss"
    lines = ["", f"--- {target} ping statistics ---", s]
    if nrecv:
        lines.append(f"round-trip min/avg/max = {fmt3(min(rtts))}/{fmt3(sum(rtts) / len(rtts))}/{fmt3(max(rtts))} ms")
    ctx.out("\n".join(lines) + "\n")
    return 1 if nrecv == 0 else 0


def _report_busybox(ctx: Ctx, quiet: bool, ev: tuple[str, Any, dict[str, Any]], sent_at: dict[int, int],
                    received: set[int], rtts: list[float], dups: int) -> int:
    kind, _pkt, info = ev
    if kind != "reply":  # busybox reads ICMP errors about its requests and says nothing
        return dups
    seq = info["seq"]
    if seq not in sent_at:
        return dups
    rtt_us = (info["t"] - sent_at[seq]) / 1000
    dup = seq in received
    if dup:
        dups += 1
    else:
        received.add(seq)
        rtts.append(rtt_us)
    if not quiet:
        ctx.out(f"{info['len']} bytes from {ip_str(info['src'])}: seq={seq} ttl={info['ttl']} time={fmt3(rtt_us)} ms"
                + (" (DUP!)" if dup else "") + "\n")
    return dups


def _pct(v: float) -> str:
    s = f"{v:g}"
    if "e" in s or len(s) > 8:
        s = f"{v:.6g}"
    return s


def _strerror(err: str) -> str:
    return {
        "ENETUNREACH": "Network is unreachable",
        "EHOSTUNREACH": "No route to host",
        "EPERM": "Operation not permitted",
        "EACCES": "Permission denied",
        "EINVAL": "Invalid argument",
    }.get(err, err)


def _payload(size: int, wall_ns: int, busybox: bool) -> bytes:
    if busybox:
        stamp = struct.pack("<I", (wall_ns // 1000) & 0xFFFFFFFF)
        return (stamp + b"\x00" * size)[:size]
    sec, usec = divmod(wall_ns // 1000, 1_000_000)
    stamp = struct.pack("<qq", sec, usec)
    pattern = bytes((0x10 + i) & 0xFF for i in range(max(0, size - 16)))
    return (stamp + pattern)[:size] if size >= 16 else bytes((0x10 + i) & 0xFF for i in range(size))


def _name_for(ctx: Ctx, info: dict[str, Any], names: dict[int, str | None],
              want: bool) -> Generator[Any, Any, None]:
    """pr_addr(): the PTR name of a replier, looked up once."""
    if want and info["src"] not in names:
        names[info["src"]] = yield from reverse_lookup(ctx.sandbox, info["src"])


def _who(addr: int, names: dict[int, str | None]) -> str:
    name = names.get(addr)
    return f"{name} ({ip_str(addr)})" if name else ip_str(addr)
