"""`ping`: iputils wording on hosts, busybox wording in busybox containers.

Every line comes from real ICMP packets moving through the engine: the RTT is
the virtual time between the echo request leaving and the reply arriving.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Generator
from typing import Any

from tui.engine.clock import MS, SEC, US
from tui.engine.netns import PROTO_ICMP, checksum
from tui.engine.process import Interrupted, Waiter, sleep_or
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

WITH_ARG = set("cistwWMIpQSlmF")


def parse_args(argv: list[str]) -> tuple[dict[str, str], list[str], str | None]:
    """getopt-style: flags may be bundled (`-nc3`) and options may follow the host (GNU permutation)."""
    opts: dict[str, str] = {}
    pos: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        i += 1
        if a == "--":
            pos.extend(argv[i:])
            break
        if a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                c = a[j]
                if c in WITH_ARG:
                    val = a[j + 1:]
                    if not val:
                        if i >= len(argv):
                            return opts, pos, f"option requires an argument -- '{c}'"
                        val = argv[i]
                        i += 1
                    opts[c] = val
                    break
                if c not in "46aAbBdDfhLnOqrRUvV":
                    return opts, pos, f"invalid option -- '{c}'"
                opts[c] = ""
                j += 1
        else:
            pos.append(a)
    return opts, pos, None


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
    opts, pos, error = parse_args(ctx.argv[1:])
    if error is not None:
        if busybox:
            ctx.err(f"ping: {error}\n{BUSYBOX_USAGE}")
        else:
            ctx.err(f"ping: {error}\n{IPUTILS_USAGE}")
        return 2 if not busybox else 1
    if "h" in opts or not pos:
        if busybox:
            ctx.err(BUSYBOX_USAGE)
            return 1
        ctx.err(IPUTILS_USAGE if "h" in opts else "ping: usage error: Destination address required\n")
        return 2
    target = pos[-1]
    try:
        count = int(opts["c"]) if "c" in opts else 0
        interval = float(opts.get("i", "1"))
        size = int(opts.get("s", "56"))
        ttl = int(opts["t"]) if "t" in opts else None
        timeout_s = float(opts["W"]) if "W" in opts else None
        deadline_s = float(opts["w"]) if "w" in opts else None
    except ValueError as e:
        bad = str(e).split(": ")[-1].strip("'")
        if busybox:
            ctx.err(f"ping: invalid number '{bad}'\n")
            return 1
        ctx.err(f"ping: invalid argument: '{bad}'\n")
        return 1
    if count < 0 or (not busybox and "c" in opts and count == 0):
        ctx.err(f"ping: invalid argument: '{opts['c']}': out of range: 1 <= value <= 9223372036854775807\n")
        return 1
    if size < 0 or size > 65507:
        ctx.err(f"ping: invalid argument: '{size}': out of range: 0 <= value <= 2147483647\n"
                if not busybox else f"ping: invalid number '{size}'\n")
        return 1
    pmtu = opts.get("M", "want" if not busybox else "dont")
    if pmtu not in ("do", "dont", "want", "probe"):
        ctx.err(f"ping: invalid -M argument: {pmtu}\n")
        return 2
    quiet = "q" in opts
    # iputils names the replier (a PTR lookup) when the target was given as a name and -n is off
    want_names = not busybox and "n" not in opts and parse_ipv4(target) is None
    names: dict[int, str | None] = {}
    dst = yield from resolve_host(ctx, target)
    if dst is None:
        if busybox:
            ctx.err(f"ping: bad address '{target}'\n")
        else:
            ctx.err(f"ping: {target}: Name or service not known\n" if not target.replace(".", "").isdigit()
                    else f"ping: {target}: Name or service not known\n")
        return 1 if busybox else 2
    ns = ctx.sandbox.netns
    clock = ctx.clock
    # the ICMP id is the pid (busybox, and iputils on a raw socket); containers count their own pids
    next_pid = getattr(ctx.sandbox, "next_pid", None) or ctx.sandbox.host.next_pid
    pid = getattr(ctx, "pid", 0) or next_pid()
    ident = pid & 0xFFFF
    while ident in ns.ping_sockets:
        ident = (ident + 1) & 0xFFFF
    src = ns.source_for(dst)
    if src is None:
        if busybox:
            ctx.err("ping: sendto: Network unreachable\n" if False else "ping: sendto: Network is unreachable\n")
            return 1
        ctx.err("ping: connect: Network is unreachable\n")
        return 2
    events: list[tuple[str, Any, dict[str, Any]]] = []
    wake = [Waiter()]

    def on_icmp(kind: str, pkt: Any, info: dict[str, Any]) -> None:
        events.append((kind, pkt, info))
        wake[0].fire()

    ns.ping_sockets[ident] = on_icmp
    name = target
    header_ip = ip_str(dst)
    if busybox:
        ctx.out(f"PING {name} ({header_ip}): {size} data bytes\n")
    else:
        ctx.out(f"PING {name} ({header_ip}) {size}({size + 28}) bytes of data.\n")
    if count and hasattr(ctx.shell, "expect_until"):
        ctx.shell.expect_until(clock.now + int((count - 1) * interval * SEC) + 10 * SEC)
    sent_at: dict[int, int] = {}
    received: set[int] = set()
    rtts: list[float] = []
    errors = 0
    dups = 0
    transmitted = 0
    start = clock.now
    last_send = start
    first_seq = 0 if busybox else 1
    next_send = clock.now
    step = max(int(interval * SEC), 200 * MS if interval < 0.2 and not busybox else int(interval * SEC))
    deadline = start + int(deadline_s * SEC) if deadline_s is not None else None
    linger_until: int | None = None
    status_interrupted = False
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
                seq = (first_seq + transmitted) & 0xFFFF
                payload = _payload(size, clock.wall_ns, busybox)
                body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
                c = checksum(body)
                body = body[:2] + c.to_bytes(2, "big") + body[4:]
                df = pmtu in ("do", "probe")
                if pmtu == "want":  # PMTU discovery: DF set, but what is bigger than the route's MTU is fragmented
                    route = ns.routes.lookup(dst)
                    link = ns.links.get(route.dev) if route is not None else None
                    df = link is None or 20 + len(body) <= link.mtu
                err = ns.ip_send(src, dst, PROTO_ICMP, body, ttl=ttl, df=df, ident=None)
                transmitted += 1
                sent_at[seq] = now
                last_send = now
                if err == "EMSGSIZE":
                    errors += 1
                    link = ns.links.get(ns.routes.lookup(dst).dev)  # type: ignore[union-attr]
                    mtu = link.mtu if link else 1500
                    if busybox:
                        ctx.err("ping: sendto: Message too long\n")
                        return 1
                    ctx.out(f"ping: local error: message too long, mtu={mtu}\n")
                elif err is not None:
                    if busybox:
                        ctx.err(f"ping: sendto: {_strerror(err)}\n")
                        return 1
                    ctx.out(f"ping: sendmsg: {_strerror(err)}\n")
                    errors += 1
                next_send = now + step
                if count and transmitted >= count:
                    if timeout_s is not None:
                        wait = int(timeout_s * SEC)
                    elif rtts:
                        wait = max(2 * int(max(rtts) * US), SEC) if busybox else max(2 * int(max(rtts) * US), 10 * SEC)
                    else:
                        wait = 10 * SEC
                    linger_until = now + wait
                continue
            # wait for a reply, the next send, or the end
            targets = [t for t in (next_send if (not count or transmitted < count) else None, linger_until, deadline)
                       if t is not None]
            until = min(targets) if targets else now + SEC
            while events:
                ev = events.pop(0)
                yield from _name_for(ctx, ev, names, want_names)
                errors, dups = _report(ctx, busybox, quiet, ev, sent_at, received, rtts, errors, dups, names)
            if count and transmitted >= count and len(received) + errors >= count:
                break
            if events:
                continue
            wake[0] = Waiter()
            yield sleep_or(clock, wake[0], max(0, until - clock.now))
            while events:
                ev = events.pop(0)
                yield from _name_for(ctx, ev, names, want_names)
                errors, dups = _report(ctx, busybox, quiet, ev, sent_at, received, rtts, errors, dups, names)
    except Interrupted:
        status_interrupted = True
    finally:
        ns.ping_sockets.pop(ident, None)
    elapsed = last_send - start  # iputils reports the time of the last transmission
    nrecv = len(received)
    lines = ["", f"--- {target} ping statistics ---"]
    if busybox:
        loss = (transmitted - nrecv) * 100 // transmitted if transmitted else 0
        s = f"{transmitted} packets transmitted, {nrecv} packets received, "
        if dups:
            s += f"{dups} duplicates, "
        s += f"{loss}% packet loss"
        lines.append(s)
        if nrecv:
            lines.append(f"round-trip min/avg/max = {fmt3(min(rtts))}/{fmt3(sum(rtts) / len(rtts))}/{fmt3(max(rtts))} ms")
    else:
        loss = (transmitted - nrecv) * 100 / transmitted if transmitted else 0.0
        s = f"{transmitted} packets transmitted, {nrecv} received, "
        if dups:
            s += f"+{dups} duplicates, "
        if errors:
            s += f"+{errors} errors, "
        s += f"{_pct(loss)}% packet loss, time {elapsed // MS}ms"
        lines.append(s)
        if nrecv:
            avg = sum(rtts) / len(rtts)
            mdev = math.sqrt(max(0.0, sum(r * r for r in rtts) / len(rtts) - avg * avg))
            lines.append(f"rtt min/avg/max/mdev = {fmt3(min(rtts))}/{fmt3(avg)}/{fmt3(max(rtts))}/{fmt3(mdev)} ms")
        elif errors and transmitted:
            pass
    ctx.out("\n".join(lines) + "\n")
    if nrecv == 0:
        return 1 if (busybox or not errors) else 1
    if status_interrupted:
        return 0
    return 0


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


def _name_for(ctx: Ctx, ev: tuple[str, Any, dict[str, Any]], names: dict[int, str | None],
              want: bool) -> Generator[Any, Any, None]:
    if want and ev[0] == "reply" and ev[2]["src"] not in names:
        names[ev[2]["src"]] = yield from reverse_lookup(ctx.sandbox, ev[2]["src"])


def _who(addr: int, names: dict[int, str | None]) -> str:
    name = names.get(addr)
    return f"{name} ({ip_str(addr)})" if name else ip_str(addr)


def _report(ctx: Ctx, busybox: bool, quiet: bool, ev: tuple[str, Any, dict[str, Any]], sent_at: dict[int, int],
            received: set[int], rtts: list[float], errors: int, dups: int,
            names: dict[int, str | None]) -> tuple[int, int]:
    kind, _pkt, info = ev
    if kind == "reply":
        seq = info["seq"]
        if seq not in sent_at:
            return errors, dups
        rtt_us = (info["t"] - sent_at[seq]) / 1000
        dup = seq in received
        if dup:
            dups += 1
        else:
            received.add(seq)
            rtts.append(rtt_us)
        if quiet:
            return errors, dups
        length = info["len"]
        if busybox:
            ctx.out(f"{length} bytes from {ip_str(info['src'])}: seq={seq} ttl={info['ttl']} time={fmt3(rtt_us)} ms"
                    + (" (DUP!)" if dup else "") + "\n")
        else:
            ctx.out(f"{length} bytes from {_who(info['src'], names)}: icmp_seq={seq} ttl={info['ttl']} "
                    f"time={fmt_iputils_ms(rtt_us)} ms" + (" (DUP!)" if dup else "") + "\n")
        return errors, dups
    # ICMP error about one of our requests
    seq = info.get("seq", 0)
    if busybox:
        if info["type"] == 3:
            ctx.err(f"ping: warning: got ICMP {info['type']} (Destination Unreachable)\n" if False else "")
        return errors, dups
    errors += 1
    if quiet:
        return errors, dups
    text = {
        (3, 0): "Destination Net Unreachable", (3, 1): "Destination Host Unreachable",
        (3, 2): "Destination Protocol Unreachable", (3, 3): "Destination Port Unreachable",
        (3, 9): "Destination Net Prohibited", (3, 10): "Destination Host Prohibited",
        (3, 13): "Packet filtered", (11, 0): "Time to live exceeded",
    }.get((info["type"], info["code"]), f"Dest Unreachable, Bad Code: {info['code']}")
    if (info["type"], info["code"]) == (3, 4):
        text = f"Frag needed and DF set (mtu = {info['mtu']})"
    ctx.out(f"From {ip_str(info['src'])} icmp_seq={seq} {text}\n")
    return errors, dups
