"""`tcpdump`: live captures on the engine's devices, reading and writing real pcap files.

The banner and closing statistics follow the tcpdump version of the host
(4.9 as on the seed's Ubuntu hosts, or 4.99); packet lines come from the
printer in :mod:`tui.shell.formats.tcpdump`, which matches the real binary.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from tui.engine.capture import Capture, CaptureRecord
from tui.engine.process import Interrupted, Waiter
from tui.shell.registry import Ctx, command

LINKTYPE_ETHERNET = 1
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276
LINK_NAMES = {
    LINKTYPE_ETHERNET: "EN10MB (Ethernet)",
    LINKTYPE_LINUX_SLL: "LINUX_SLL (Linux cooked v1)",
    LINKTYPE_LINUX_SLL2: "LINUX_SLL2 (Linux cooked v2)",
}
# Records a tcpdump run keeps when it writes no file (``-w`` keeps every one: the pcap is
# written at the end). Printed lines are made as packets arrive, so the records only
# serve readers that come later: the player's capture pane (a ring of the same size,
# backfilled when it attaches), the lesson checks and the session journal (which takes
# a command's packets when it ends). A flood left running must not grow without end.
RECORD_LIMIT = 100_000
OPT_ARG = set("cirwsCFGWEMTVyBjJmQz")
OPT_FLAG = set("nNeqvlStxXAKpDdhLuU#IUO")

USAGE_499 = """tcpdump version 4.99.3
libpcap version 1.10.3 (with TPACKET_V3)
OpenSSL 3.0.2 15 Mar 2022
Usage: tcpdump [-AbdDefhHIJKlLnNOpqStuUvxX#] [ -B size ] [ -c count ] [--count]
\t\t[ -C file_size ] [ -E algo:secret ] [ -F file ] [ -G seconds ]
\t\t[ -i interface ] [ --immediate-mode ] [ -j tstamptype ]
\t\t[ -M secret ] [ --number ] [ --print ] [ -Q in|out|inout ]
\t\t[ -r file ] [ -s snaplen ] [ -T type ] [ --version ]
\t\t[ -V file ] [ -w file ] [ -W filecount ] [ -y datalinktype ]
\t\t[ --time-stamp-precision precision ] [ --micro ] [ --nano ]
\t\t[ -z postrotate-command ] [ -Z user ] [ expression ]
"""
USAGE_49 = """tcpdump version 4.9.3
libpcap version 1.9.1 (with TPACKET_V3)
OpenSSL 1.1.1f  31 Mar 2020
Usage: tcpdump [-aAbdDefhHIJKlLnNOpqStuUvxX#] [ -B size ] [ -c count ]
\t\t[ -C file_size ] [ -E algo:secret ] [ -F file ] [ -G seconds ]
\t\t[ -i interface ] [ -j tstamptype ] [ -M secret ] [ --number ]
\t\t[ -Q in|out|inout ]
\t\t[ -r file ] [ -s snaplen ] [ --time-stamp-precision precision ]
\t\t[ --immediate-mode ] [ -T type ] [ --version ] [ -V file ]
\t\t[ -w file ] [ -W filecount ] [ -y datalinktype ] [ -z postrotate-command ]
\t\t[ -Z user ] [ expression ]
"""


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word.replace('packet', 'packets')}"


class Options:
    def __init__(self) -> None:
        self.iface: str | None = None
        self.numeric = 0
        self.ether = False
        self.verbose = 0
        self.count: int | None = None
        self.write: str | None = None
        self.read: str | None = None
        self.snaplen = 262144
        self.quiet = False
        self.expr: list[str] = []
        self.version = False


def parse(argv: list[str]) -> tuple[Options, str | None]:
    o = Options()
    i = 0
    while i < len(argv):
        a = argv[i]
        i += 1
        if a == "--version":
            o.version = True
            continue
        if a in ("--immediate-mode", "--print", "--number", "--micro", "--nano"):
            continue
        if a.startswith("--"):
            return o, f"unrecognized option '{a}'"
        if a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                c = a[j]
                if c in OPT_ARG:
                    val = a[j + 1:]
                    if not val:
                        if i >= len(argv):
                            return o, f"option requires an argument -- '{c}'"
                        val = argv[i]
                        i += 1
                    if c == "i":
                        o.iface = val
                    elif c == "c":
                        if not val.isdigit() or int(val) <= 0:
                            return o, f"invalid packet count {val}"
                        o.count = int(val)
                    elif c == "w":
                        o.write = val
                    elif c == "r":
                        o.read = val
                    elif c == "s":
                        if not val.isdigit():
                            return o, f"invalid snaplen {val}"
                        o.snaplen = int(val) or 262144
                    break
                if c not in OPT_FLAG:
                    return o, f"invalid option -- '{c}'"
                if c == "n":
                    o.numeric += 1
                elif c == "e":
                    o.ether = True
                elif c == "v":
                    o.verbose += 1
                elif c == "q":
                    o.quiet = True
                elif c == "h":
                    o.version = True
                j += 1
        else:
            o.expr.append(a)
    return o, None


def _printer(ctx: Ctx, opts: Options) -> Any:
    from tui.shell.formats.tcpdump import TcpdumpPrinter

    resolve = None if opts.numeric else host_resolver(ctx)
    links = ctx.sandbox.netns.by_index

    def ifname(index: int) -> str | None:
        link = links.get(index)
        return link.name if link is not None else None

    return TcpdumpPrinter(numeric=bool(opts.numeric), show_ether=opts.ether, verbose=opts.verbose,
                          resolve=resolve, services=not opts.numeric, ifname=ifname)


def host_resolver(ctx: Ctx) -> Any:
    """What gethostbyaddr finds on a Ubuntu host: its own addresses (nss-myhostname) and /etc/hosts."""
    sandbox = ctx.sandbox
    names: dict[int, str] = {}
    data = sandbox.fs.read("/etc/hosts") or b""
    for line in data.decode(errors="replace").splitlines():
        parts = line.split("#", 1)[0].split()
        if len(parts) >= 2:
            from tui.shell.resolve import parse_ipv4

            ip = parse_ipv4(parts[0])
            if ip is not None and ip not in names:
                names[ip] = parts[1]
    for link in sandbox.netns.links.values():
        for a in link.addrs:
            if a.addr >> 24 != 127:
                names.setdefault(a.addr, sandbox.hostname)
    return names.get


def _version(ctx: Ctx) -> str:
    return getattr(ctx.sandbox.host, "tcpdump_version", "4.9.3")


@command("tcpdump", summary="dump traffic on a network")
def tcpdump_cmd(ctx: Ctx) -> Generator[Any, Any, int]:
    from tui.engine.bpf import FilterError, compile_filter

    opts, error = parse(ctx.argv[1:])
    v49 = _version(ctx).split(".")[:2] == ["4", "9"]
    if error is not None:
        ctx.err(f"tcpdump: {error}\n" + (USAGE_49 if v49 else USAGE_499))
        return 1
    if opts.version:
        ctx.err(USAGE_49 if v49 else USAGE_499)
        return 0
    expr = " ".join(opts.expr)
    try:
        filt = compile_filter(expr) if expr.strip() else None
    except FilterError as e:
        ctx.err(f"tcpdump: {e}\n")
        return 1
    if opts.read is not None:
        return read_file(ctx, opts, filt, v49)
    ns = ctx.sandbox.netns
    iface = opts.iface
    if iface is None:
        if v49:
            iface = next((lk.name for lk in sorted(ns.links.values(), key=lambda x: x.ifindex)
                          if lk.admin_up and lk.name != "lo"), "any")
        else:
            iface = "any"
    any_dev = iface == "any"
    if any_dev:
        linktype = LINKTYPE_LINUX_SLL if (v49 or opts.iface is None) else LINKTYPE_LINUX_SLL2
    else:
        link = ns.links.get(iface)
        if link is None:
            ctx.err(f"tcpdump: {iface}: No such device exists\n"
                    + ("(SIOCGIFHWADDR: No such device)\n" if v49 else "(No such device exists)\n"))
            return 1
        if not link.admin_up:
            ctx.err(f"tcpdump: {iface}: That device is not up\n")
            return 1
        linktype = LINKTYPE_ETHERNET
    size_word = "capture size" if v49 else "snapshot length"
    listening = f"listening on {iface}, link-type {LINK_NAMES[linktype]}, {size_word} {opts.snaplen} bytes\n"
    if opts.write is not None:
        if linktype == LINKTYPE_LINUX_SLL2:
            ctx.err("tcpdump: data link type LINUX_SLL2\n")
        ctx.err("tcpdump: " + listening)
    elif opts.verbose:
        ctx.err("tcpdump: " + listening)
    else:
        ctx.err("tcpdump: verbose output suppressed, use -v or -vv for full protocol decode\n" if v49
                else "tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\n")
        ctx.err(listening)
    printer = _printer(ctx, opts) if opts.write is None else None
    keep_all = opts.write is not None or getattr(ctx.shell, "keep_all_captures", False)
    cap = Capture(ns, None if any_dev else iface, filt, snaplen=opts.snaplen, limit=None if keep_all else RECORD_LIMIT)
    cap.linktype_hint = linktype  # type: ignore[attr-defined]
    session = getattr(ctx.shell, "captures", None)
    if session is not None:
        session.append(cap)
    pending: list[CaptureRecord] = []
    wake = [Waiter()]
    written = 0

    def on_packet(rec: CaptureRecord) -> None:
        pending.append(rec)
        wake[0].fire()

    cap.listeners.append(on_packet)
    cap.start()
    interrupted = False
    try:
        while True:
            while pending:
                rec = pending.pop(0)
                if opts.count is not None and written >= opts.count:
                    break
                written += 1
                if printer is not None:
                    ctx.out(format_record(printer, rec, linktype) + "\n")
            if opts.count is not None and written >= opts.count:
                break
            wake[0] = Waiter()
            yield wake[0]
    except Interrupted:
        interrupted = True
    finally:
        cap.stop()
        cap.listeners.clear()
    # keep only what was actually "captured" (-c stops after N)
    while cap.records and cap.evicted + len(cap.records) > written:
        cap.records.pop()
    if opts.write is not None:
        write_records(ctx, opts.write, cap.records, linktype, opts.snaplen)
    tail = "\n" if interrupted and opts.write is None else ""
    ctx.err(f"{tail}{_plural(written, 'packet captured')}\n"
            f"{_plural(cap.matched if not opts.count else written, 'packet received by filter')}\n"
            "0 packets dropped by kernel\n")
    return 0


def to_link_frame(rec: CaptureRecord, linktype: int) -> bytes:
    if linktype == LINKTYPE_ETHERNET:
        return rec.data
    proto = rec.data[12:14]
    payload = rec.data[14:]
    hatype = b"\x03\x04" if rec.dev == "lo" else b"\x00\x01"
    if linktype == LINKTYPE_LINUX_SLL:
        addr = rec.data[6:12] + b"\x00\x00"
        return rec.pkttype.to_bytes(2, "big") + hatype + b"\x00\x06" + addr + proto + payload
    # SLL2: protocol, reserved, ifindex, hatype, pkttype, halen, addr[8]
    return (proto + b"\x00\x00" + rec.ifindex.to_bytes(4, "big") + hatype + bytes((rec.pkttype, 6))
            + rec.data[6:12] + b"\x00\x00" + payload)


def format_record(printer: Any, rec: CaptureRecord, linktype: int) -> str:
    if linktype == LINKTYPE_LINUX_SLL and not printer_show_ether(printer):
        return printer.format(rec.t_wall, rec.data, LINKTYPE_ETHERNET)  # type: ignore[attr-defined]
    return printer.format(rec.t_wall, to_link_frame(rec, linktype), linktype)  # type: ignore[attr-defined]


def printer_show_ether(printer: Any) -> bool:
    return bool(getattr(printer, "show_ether", False))


def write_records(ctx: Ctx, path: str, records: Any, linktype: int, snaplen: int) -> None:
    from tui.engine.pcap import encode_pcap

    data = encode_pcap(((r.t_wall, to_link_frame(r, linktype)) for r in records), linktype, snaplen)
    ctx.sandbox.fs.write(ctx.sandbox.fs.norm(path), data)


def read_file(ctx: Ctx, opts: Options, filt: Any, v49: bool) -> int:
    from tui.engine.bpf import FilterError, compile_filter
    from tui.engine.pcap import PcapError, decode_pcap, linktype_description

    name = opts.read or ""
    data = ctx.sandbox.fs.read(ctx.sandbox.fs.norm(name)) if name != "-" else (ctx.stdin or "").encode("latin-1")
    if data is None:
        ctx.err(f"tcpdump: {name}: No such file or directory\n")
        return 1
    error: PcapError | None = None
    try:
        contents = decode_pcap(data)
        linktype, snaplen, records = contents.linktype, contents.snaplen, contents.records
    except PcapError as e:
        if not e.in_loop or e.linktype is None:
            ctx.err(f"tcpdump: {name}: {e.message}\n")
            return 1
        error = e
        linktype, snaplen, records = e.linktype, e.snaplen, e.records
    expr = " ".join(opts.expr)
    if expr.strip() and linktype != LINKTYPE_ETHERNET:
        try:
            filt = compile_filter(expr, linktype)
        except FilterError as e:
            ctx.err(f"tcpdump: {e}\n")
            return 1
    ctx.err(f"reading from file {name}, link-type {linktype_description(linktype)}"
            + ("\n" if v49 else f", snapshot length {snaplen}\n"))
    if linktype == LINKTYPE_LINUX_SLL2 and not v49:
        ctx.err("Warning: interface names might be incorrect\n")
    printer = _printer(ctx, opts)
    n = 0
    lines = []
    for ts, frame in records:
        if filt is not None and not filt(frame):
            continue
        lines.append(printer.format(ts, frame, linktype))
        n += 1
        if opts.count is not None and n >= opts.count:
            break
    if lines:
        ctx.out("\n".join(lines) + "\n")
    if error is not None:
        ctx.err(f"tcpdump: pcap_loop: {error.message}\n")
        return 1
    return 0
