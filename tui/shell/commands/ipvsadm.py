"""`ipvsadm` 1.31 (Debian 12's) over the namespace's IPVS model.

Learners type ``ipvsadm -Ln`` inside Docker's load-balancer sandboxes to see where a VIP's
traffic goes, so the listing keeps the real tool's columns, sorting and number formats, and
the errors keep its wording and exit statuses: option errors exit 2 (``fail``), a refused
change prints libipvs's message and exits 255 (``return -1``), a missing service in a listing
exits 1. The option handling mimics popt, which the real tool uses: the first option must be
a command, short options cluster (``-Ln``), ``-p`` takes an optional value.

Facts from the ipvsadm 1.31 sources and the strings of Debian's binary; names are resolved
from /etc/hosts only (no reverse DNS), ports from netbase's /etc/services.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tui.engine.addr import TCP_SERVICES, UDP_SERVICES, int_to_ip, service_port
from tui.engine.ipvs import (
    CONN_TAB_SIZE,
    LOCAL,
    MASQ,
    PERSISTENT_TIMEOUT,
    ROUTE,
    TUNNEL,
    VERSION,
    Dest,
    Ipvs,
    IpvsError,
    Service,
)
from tui.shell.registry import Ctx, command
from tui.shell.resolve import hosts_lookup

PROG_VERSION = "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v{}.{}.{})".format(*VERSION)
TCP, UDP, SCTP = 6, 17, 132
DEF_SCHED = "wlc"
MAX_TIMEOUT = 86400 * 31

CMDNAMES = ("add-service", "edit-service", "delete-service", "flush", "list", "add-server",
            "delete-server", "edit-server", "set", "start-daemon", "stop-daemon", "restore", "save", "zero")
(CMD_ADD, CMD_EDIT, CMD_DEL, CMD_FLUSH, CMD_LIST, CMD_ADDDEST, CMD_DELDEST, CMD_EDITDEST, CMD_TIMEOUT,
 CMD_STARTDAEMON, CMD_STOPDAEMON, CMD_RESTORE, CMD_SAVE, CMD_ZERO) = range(1, 15)

OPTNAMES = ("numeric", "connection", "service-address", "scheduler", "persistent", "netmask",
            "real-server", "forwarding-method", "weight", "u-threshold", "l-threshold", "mcast-interface",
            "timeout", "daemon", "stats", "rate", "thresholds", "persistent-conn", "nosort", "syncid",
            "exact", "ops", "pe", "sched-flags", "mcast-group", "mcast-port", "mcast-ttl", "sync-maxlen",
            "tun-info", "tun-type", "tun-port", "tun-nocsum", "tun-csum", "tun-remcsum")
OPT = {name: i for i, name in enumerate(OPTNAMES)}

# commands_v_options[]: '+' compulsory, 'x' illegal, '1' exclusive, ' ' optional (one row per command)
CMD_V_OPTIONS = (
    "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx",
    "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx",
    "xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    " 11xxxxxxxxx11       xxxxxxx xxxxx",
    "xx+xxx+    xxxxxxxxxxxxxxxxxx     ",
    "xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xx+xxx+    xxxxxxxxxxxxxxxxxx     ",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxx xxxxxxx xxxx    xxxxxx",
    "xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    " xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
)

FMT_NUMERIC, FMT_RULE, FMT_STATS, FMT_RATE, FMT_THRESHOLDS = 0x1, 0x2, 0x4, 0x8, 0x10
FMT_PERSISTENTCONN, FMT_NOSORT, FMT_EXACT, FMT_TUN_INFO = 0x20, 0x40, 0x80, 0x100

# (long name, short letter, argument: "" none / "req" / "opt", tag)
_OPTIONS: tuple[tuple[str, str, str, str], ...] = (
    ("add-service", "A", "", "A"), ("edit-service", "E", "", "E"), ("delete-service", "D", "", "D"),
    ("clear", "C", "", "C"), ("list", "L", "", "L"), ("list", "l", "", "l"), ("zero", "Z", "", "Z"),
    ("add-server", "a", "", "a"), ("edit-server", "e", "", "e"), ("delete-server", "d", "", "d"),
    ("set", "", "", "set"), ("help", "h", "", "h"), ("version", "v", "", "v"), ("restore", "R", "", "R"),
    ("save", "S", "", "S"), ("start-daemon", "", "req", "start-daemon"),
    ("stop-daemon", "", "req", "stop-daemon"), ("tcp-service", "t", "req", "t"),
    ("udp-service", "u", "req", "u"), ("sctp-service", "", "req", "sctp"),
    ("fwmark-service", "f", "req", "f"), ("scheduler", "s", "req", "s"), ("persistent", "p", "opt", "p"),
    ("netmask", "M", "req", "M"), ("real-server", "r", "req", "r"), ("masquerading", "m", "", "m"),
    ("ipip", "i", "", "i"), ("gatewaying", "g", "", "g"), ("weight", "w", "req", "w"),
    ("u-threshold", "x", "req", "x"), ("l-threshold", "y", "req", "y"), ("numeric", "n", "", "n"),
    ("connection", "c", "", "c"), ("mcast-interface", "", "req", "mcast-interface"),
    ("syncid", "", "req", "syncid"), ("timeout", "", "", "timeout"), ("daemon", "", "", "daemon"),
    ("stats", "", "", "stats"), ("rate", "", "", "rate"), ("thresholds", "", "", "thresholds"),
    ("persistent-conn", "", "", "persistent-conn"), ("nosort", "", "", "nosort"), ("sort", "", "", "sort"),
    ("exact", "X", "", "X"), ("ipv6", "6", "", "6"), ("ops", "o", "", "o"), ("pe", "", "req", "pe"),
    ("sched-flags", "b", "req", "b"), ("mcast-group", "", "req", "mcast-group"),
    ("mcast-port", "", "req", "mcast-port"), ("mcast-ttl", "", "req", "mcast-ttl"),
    ("sync-maxlen", "", "req", "sync-maxlen"), ("tun-info", "", "", "tun-info"),
    ("tun-type", "", "req", "tun-type"), ("tun-port", "", "req", "tun-port"),
    ("tun-nocsum", "", "", "tun-nocsum"), ("tun-csum", "", "", "tun-csum"),
    ("tun-remcsum", "", "", "tun-remcsum"),
)
_BY_LONG = {}
for _o in _OPTIONS:
    _BY_LONG.setdefault(_o[0], _o)
_BY_SHORT = {o[1]: o for o in _OPTIONS if o[1]}

_FIRST = {"A": CMD_ADD, "E": CMD_EDIT, "D": CMD_DEL, "a": CMD_ADDDEST, "e": CMD_EDITDEST, "d": CMD_DELDEST,
          "C": CMD_FLUSH, "L": CMD_LIST, "l": CMD_LIST, "Z": CMD_ZERO, "set": CMD_TIMEOUT, "R": CMD_RESTORE,
          "S": CMD_SAVE, "start-daemon": CMD_STARTDAEMON, "stop-daemon": CMD_STOPDAEMON}

# libipvs's ipvs_strerror(): (operation, errno) first, then errno alone
_STRERROR_BY_OP = {
    ("add_service", "EEXIST"): "Service already exists",
    ("add_service", "ENOENT"): "Scheduler or persistence engine not found",
    ("update_service", "ESRCH"): "No such service",
    ("update_service", "ENOENT"): "Scheduler or persistence engine not found",
    ("del_service", "ESRCH"): "No such service",
    ("zero_service", "ESRCH"): "No such service",
    ("add_dest", "ESRCH"): "Service not defined",
    ("add_dest", "EEXIST"): "Destination already exists",
    ("update_dest", "ESRCH"): "Service not defined",
    ("update_dest", "ENOENT"): "No such destination",
    ("del_dest", "ESRCH"): "Service not defined",
    ("del_dest", "ENOENT"): "No such destination",
    ("start_daemon", "EEXIST"): "Daemon has already run",
    ("stop_daemon", "ESRCH"): "No daemon is running",
    ("get_service", "ESRCH"): "No such service",
}
_STRERROR = {
    "EPERM": "Permission denied (you must be root)",
    "EINVAL": "Invalid operation.  Possibly wrong module version, address not unicast, ...",
    "ENOPROTOOPT": "Protocol not available",
    "ENOMEM": "Memory allocation problem",
    "EOPNOTSUPP": "Operation not supported with IPv6",
    "EAFNOSUPPORT": "Operation not supported with specified address family",
    "EMSGSIZE": "Module is wrong version",
    "ESRCH": "No such process",
    "ENOENT": "No such file or directory",
    "EEXIST": "File exists",
    "ENODEV": "No such device",
    "ERANGE": "Numerical result out of range",
}

_USAGE = """Usage:
  {p} -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags]
  {p} -D virtual-service
  {p} -C
  {p} -R
  {p} -S [-n]
  {p} -a|e virtual-service -r server-address [options]
  {p} -d virtual-service -r server-address
  {p} -L|l [virtual-service] [options]
  {p} -Z [virtual-service]
  {p} --set tcp tcpfin udp
  {p} --start-daemon {{master|backup}} [daemon-options]
  {p} --stop-daemon {{master|backup}}
  {p} -h

Commands:
Either long or short options are allowed.
  --add-service     -A        add virtual service with options
  --edit-service    -E        edit virtual service with options
  --delete-service  -D        delete virtual service
  --clear           -C        clear the whole table
  --restore         -R        restore rules from stdin
  --save            -S        save rules to stdout
  --add-server      -a        add real server with options
  --edit-server     -e        edit real server with options
  --delete-server   -d        delete real server
  --list            -L|-l     list the table
  --zero            -Z        zero counters in a service or all services
  --set tcp tcpfin udp        set connection timeout values
  --start-daemon              start connection sync daemon
  --stop-daemon               stop connection sync daemon
  --help            -h        display this help message

virtual-service:
  --tcp-service|-t  service-address   service-address is host[:port]
  --udp-service|-u  service-address   service-address is host[:port]
  --sctp-service    service-address   service-address is host[:port]
  --fwmark-service|-f fwmark          fwmark is an integer greater than zero

Options:
  --ipv6         -6                   fwmark entry uses IPv6
  --scheduler    -s scheduler         one of rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh,
                                      the default scheduler is wlc.
  --pe            engine              alternate persistence engine may be sip,
                                      not set by default.
  --persistent   -p [timeout]         persistent service
  --netmask      -M netmask           persistent granularity mask
  --real-server  -r server-address    server-address is host (and port)
  --gatewaying   -g                   gatewaying (direct routing) (default)
  --ipip         -i                   ipip encapsulation (tunneling)
  --masquerading -m                   masquerading (NAT)
  --tun-type      type                one of ipip|gue|gre,
                                      the default tunnel type is ipip.
  --tun-port      port                tunnel destination port
  --tun-nocsum                        tunnel encapsulation without checksum
  --tun-csum                          tunnel encapsulation with checksum
  --tun-remcsum                       tunnel encapsulation with remote checksum
  --weight       -w weight            capacity of real server
  --u-threshold  -x uthreshold        upper threshold of connections
  --l-threshold  -y lthreshold        lower threshold of connections
  --connection   -c                   output of current IPVS connections
  --timeout                           output of timeout (tcp tcpfin udp)
  --daemon                            output of daemon information
  --stats                             output of statistics information
  --rate                              output of rate information
  --exact                             expand numbers (display exact values)
  --thresholds                        output of thresholds information
  --persistent-conn                   output of persistent connection info
  --tun-info                          output of tunnel information
  --nosort                            disable sorting output of service/server entries
  --sort                              does nothing, for backwards compatibility
  --ops          -o                   one-packet scheduling
  --numeric      -n                   numeric output of addresses and ports
  --sched-flags  -b flags             scheduler flags (comma-separated)
Daemon Options:
  --syncid sid                        syncid for connection sync (default=255)
  --sync-maxlen length                Max sync message length (default=1472)
  --mcast-interface interface         multicast interface for connection sync
  --mcast-group address               IPv4/IPv6 group (default=224.0.0.81)
  --mcast-port port                   UDP port (default=8848)
  --mcast-ttl ttl                     Multicast TTL (default=1)
"""

_SCHED_FLAGS = {"flag-1": 0x8, "flag-2": 0x10, "flag-3": 0x20, "sh-fallback": 0x8, "sh-port": 0x10,
                "mh-fallback": 0x8, "mh-port": 0x10}


class _Exit(Exception):  # noqa: N818 - control flow: the C program's exit()
    """exit(status) of the C program, after its message went to stderr."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Run:
    """One invocation: the output streams, the sandbox and the namespace's IPVS."""

    def __init__(self, ctx: Ctx, ipvs: Ipvs) -> None:
        self.ctx = ctx
        self.ipvs = ipvs
        self.prog = ctx.argv[0] if ctx.argv else "ipvsadm"
        self.out: list[str] = []

    def fail(self, status: int, msg: str) -> None:
        self.flush()
        self.ctx.err(msg + "\n")
        raise _Exit(status)

    def tryhelp(self) -> None:
        self.fail(255, f"Try `{self.prog} -h' or '{self.prog} --help' for more information.")

    def flush(self) -> None:
        if self.out:
            self.ctx.out("".join(self.out))
            self.out = []


class _Entry:
    """struct ipvs_command_entry: what the options asked for."""

    def __init__(self) -> None:
        self.cmd = 0
        self.fwmark = 0
        self.proto = TCP
        self.addr = 0
        self.port = 0
        self.ipv6 = False
        self.sched = ""
        self.persistent: int | None = None
        self.netmask = 0xFFFFFFFF
        self.ops = False
        self.pe = ""
        self.sched_flags_arg = ""
        self.daddr = 0
        self.dport = 0
        self.method = ROUTE  # gatewaying is ipvsadm's default forwarding method
        self.weight = 1
        self.u_threshold = 0
        self.l_threshold = 0
        self.tun_type = "ipip"
        self.daemon_state = ""
        self.mcast_ifn = ""
        self.syncid = 0
        self.timeouts = (0, 0, 0)


# --- small parsers (the C helpers) --------------------------------------------------------------------
def _string_to_number(s: str, lo: int, hi: int) -> int:
    if not re.fullmatch(r"\s*[+-]?\d+", s):
        return -1
    n = int(s)
    return n if lo <= n <= hi else -1


def _inet_aton(text: str) -> int | None:
    """inet_aton(3): a.b.c.d, a.b.c, a.b or a, each part decimal, octal (0..) or hex (0x..)."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    vals = []
    for p in parts:
        try:
            if re.fullmatch(r"0[xX][0-9a-fA-F]*", p):
                vals.append(int(p[2:] or "0", 16))
            elif re.fullmatch(r"0[0-7]*", p):
                vals.append(int(p, 8))
            elif re.fullmatch(r"[1-9]\d*", p):
                vals.append(int(p))
            else:
                return None
        except ValueError:
            return None
    last_bits = 32 - 8 * (len(vals) - 1)
    if any(v > 255 for v in vals[:-1]) or vals[-1] >= 1 << last_bits:
        return None
    out = 0
    for v in vals[:-1]:
        out = out << 8 | v
    return (out << last_bits) | vals[-1]


def _proto_name(proto: int) -> str:
    return {TCP: "tcp", UDP: "udp", SCTP: "sctp"}.get(proto, "")


class _Parser:
    """The option parsing of ipvsadm's parse_options() on top of popt's behaviour."""

    def __init__(self, run: _Run, argv: list[str]) -> None:
        self.run = run
        self.argv = argv
        self.i = 1
        self.pending: list[tuple[str, str | None, str]] = []  # short options left in a cluster
        self.args: list[str] = []

    def next_opt(self) -> tuple[str, str | None, str] | None:
        """(tag, argument, word) of the next option; None at the end; raises on popt errors."""
        if self.pending:
            return self.pending.pop(0)
        argv = self.argv
        while self.i < len(argv):
            word = argv[self.i]
            self.i += 1
            if word == "--":
                self.args.extend(argv[self.i:])
                self.i = len(argv)
                return None
            if word.startswith("--"):
                name, eq, val = word[2:].partition("=")
                spec = _BY_LONG.get(name)
                if spec is None:
                    raise _PoptError(word, "unknown option")
                _long, _short, kind, tag = spec
                if not kind:
                    if eq:
                        raise _PoptError(word, "option does not take an argument")
                    return (tag, None, word)
                if eq:
                    return (tag, val, word)
                if kind == "opt":
                    if self.i < len(argv) and not argv[self.i].startswith("-"):
                        self.i += 1
                        return (tag, argv[self.i - 1], word)
                    return (tag, None, word)
                if self.i >= len(argv):
                    raise _PoptError(word, "missing argument")
                self.i += 1
                return (tag, argv[self.i - 1], word)
            if word.startswith("-") and len(word) > 1:
                return self._cluster(word)
            self.args.append(word)
        return None

    def _cluster(self, word: str) -> tuple[str, str | None, str]:
        out: list[tuple[str, str | None, str]] = []
        j = 1
        while j < len(word):
            spec = _BY_SHORT.get(word[j])
            if spec is None:
                if out:
                    self.pending = out[1:] + [("!error", "unknown option", word)]
                    return out[0]
                raise _PoptError(word, "unknown option")
            _long, _short, kind, tag = spec
            rest = word[j + 1:]
            if kind and rest:
                out.append((tag, rest, word))
                break
            if kind == "req":
                if self.i >= len(self.argv):
                    if out:
                        self.pending = out[1:] + [("!error", "missing argument", word)]
                        return out[0]
                    raise _PoptError(word, "missing argument")
                self.i += 1
                out.append((tag, self.argv[self.i - 1], word))
                break
            if kind == "opt":
                if self.i < len(self.argv) and not self.argv[self.i].startswith("-"):
                    self.i += 1
                    out.append((tag, self.argv[self.i - 1], word))
                else:
                    out.append((tag, None, word))
                break
            out.append((tag, None, word))
            j += 1
        self.pending = out[1:]
        return out[0]


class _PoptError(Exception):
    def __init__(self, word: str, text: str) -> None:
        super().__init__(f"{word}: {text}")
        self.word = word
        self.text = text


# --- the program ---------------------------------------------------------------------------------
def _ipvs_available(ctx: Ctx) -> bool:
    """A host loads ip_vs on demand (modprobe); a container only finds it if the host has it."""
    if getattr(ctx.sandbox, "container", None) is None:
        return True
    return bool(getattr(ctx.sandbox.host, "ip_vs_loaded", False))


@command("ipvsadm", tools={"gnu"}, summary="Linux Virtual Server administration")
def ipvsadm(ctx: Ctx) -> int:
    if not _ipvs_available(ctx):
        ctx.err("Can't initialize ipvs: Protocol not available\n"
                "Are you sure that IP Virtual Server is built in the kernel or as module?\n")
        return 2
    run = _Run(ctx, Ipvs.of(ctx.sandbox.netns))
    try:
        if len(ctx.argv) <= 1:
            _list_all(run, 0)
            status = 0
        else:
            status = _process(run, ctx.argv, reading_stdin=False)
    except _Exit as e:
        status = e.status
    run.flush()
    return status & 0xFF


def _process(run: _Run, argv: list[str], reading_stdin: bool) -> int:
    ce = _Entry()
    options = 0
    fmt = 0
    p = _Parser(run, argv)

    def set_option(name: str) -> None:
        nonlocal options
        bit = 1 << OPT[name]
        if options & bit:
            run.fail(2, f"multiple '{name}' options specified")
        options |= bit

    try:
        first = p.next_opt()
    except _PoptError:
        first = None
    if first is None or first[0] not in _FIRST and first[0] not in ("h", "v"):
        run.tryhelp()
    assert first is not None
    tag, arg, _word = first
    if tag == "h":
        run.out.append(PROG_VERSION + "\n" + _USAGE.format(p=run.prog))
        raise _Exit(0)
    if tag == "v":
        run.out.append(PROG_VERSION + "\n")
        raise _Exit(0)
    ce.cmd = _FIRST[tag]
    if tag in ("start-daemon", "stop-daemon"):
        if arg not in ("master", "backup"):
            run.fail(2, "illegal start-daemon parameter specified" if tag == "start-daemon"
                     else "illegal start_daemon specified")
        ce.daemon_state = arg or ""
    while True:
        try:
            opt = p.next_opt()
        except _PoptError as e:
            run.flush()
            run.ctx.err(f"{e.word}: {e.text}\n")
            return -1
        if opt is None:
            break
        tag, arg, word = opt
        if tag == "!error":
            run.ctx.err(f"{word}: {arg}\n")
            return -1
        fmt = _one_option(run, ce, tag, arg or "", arg is None, word, set_option, fmt)
    if ce.cmd == CMD_TIMEOUT:
        if len(p.args) >= 3:
            ce.timeouts = tuple(_parse_timeout(run, a, 0, MAX_TIMEOUT) for a in p.args[:3])  # type: ignore[assignment]
            p.args = p.args[3:]
        else:
            run.fail(2, "--set option requires 3 timeout values")
    if p.args:
        run.fail(2, f"unexpected argument {p.args[0]}")
    sched_flags = _parse_sched_flags(run, ce) if ce.sched_flags_arg else 0
    _generic_opt_check(run, ce.cmd, options)
    if ce.cmd in (CMD_ADD, CMD_EDIT):
        if not ce.fwmark and not ce.port and ce.persistent is None:
            run.fail(2, "Zero port specified for non-persistent service")
        if ce.ops and not ce.fwmark and ce.proto != UDP:
            run.fail(2, "One-Packet Scheduling is only for UDP virtual services")
        if not ce.sched:
            ce.sched = DEF_SCHED
    if ce.cmd == CMD_STARTDAEMON and not ce.mcast_ifn:
        ce.mcast_ifn = "eth0"
    if ce.cmd in (CMD_ADDDEST, CMD_EDITDEST):
        if not ce.fwmark and ce.method in (TUNNEL, ROUTE):
            ce.dport = ce.port
        tun_opts = options & ((1 << OPT["tun-type"]) | (1 << OPT["tun-port"]) | (1 << OPT["tun-nocsum"])
                              | (1 << OPT["tun-csum"]) | (1 << OPT["tun-remcsum"]))
        if tun_opts and ce.method != TUNNEL:
            run.fail(2, "Tunnel options conflict with forward method")
        if ce.tun_type == "ipip" and tun_opts & ~(1 << OPT["tun-type"]):
            k = next(n for n in ("tun-port", "tun-nocsum", "tun-csum", "tun-remcsum") if options & (1 << OPT[n]))
            run.fail(2, f"Illegal '{k}' option with the 'ipip' tunnel type")
        if ce.tun_type != "ipip":
            run.fail(2, "illegal tunnel type specified")
    return _execute(run, ce, options, fmt, sched_flags, reading_stdin, argv)


def _one_option(run: _Run, ce: _Entry, tag: str, arg: str, no_arg: bool, word: str,
                set_option: Callable[[str], None], fmt: int) -> int:
    if tag in ("t", "u", "sctp"):
        set_option("service-address")
        ce.proto = {"t": TCP, "u": UDP, "sctp": SCTP}[tag]
        parsed = _parse_service(run, arg, ce.proto)
        if parsed is None or not parsed[0] & 1:
            run.fail(2, "illegal virtual server address[:port] specified")
        assert parsed is not None
        _flags, ce.addr, port = parsed
        ce.port = port if port is not None else ce.port
    elif tag == "f":
        set_option("service-address")
        ce.proto = TCP
        if not re.fullmatch(r"\s*[+-]?\d+", arg) or not 0 < int(arg) <= 0xFFFFFFFF:
            run.fail(2, f"invalid fwmark value `{arg}' specified")
        ce.fwmark = int(arg)
    elif tag == "s":
        set_option("scheduler")
        ce.sched = arg[:15]
    elif tag == "p":
        set_option("persistent")
        ce.persistent = PERSISTENT_TIMEOUT if no_arg else _parse_timeout(run, arg, 1, MAX_TIMEOUT)
    elif tag == "M":
        set_option("netmask")
        mask = _inet_aton(arg) if not ce.ipv6 else None
        if mask is None:
            mask = hosts_lookup(run.ctx.sandbox.fs, arg)
        if mask is None:
            run.fail(2, "illegal virtual server persistent mask specified")
        assert mask is not None
        ce.netmask = mask
    elif tag == "r":
        set_option("real-server")
        parsed = _parse_service(run, arg, ce.proto)
        if parsed is None or not parsed[0] & 1:
            run.fail(2, "illegal real server address[:port] specified")
        assert parsed is not None
        flags, ce.daddr, port = parsed
        ce.dport = ce.port if flags == 1 or port is None else port
    elif tag in ("i", "g", "m"):
        set_option("forwarding-method")
        ce.method = {"i": TUNNEL, "g": ROUTE, "m": MASQ}[tag]
    elif tag == "w":
        set_option("weight")
        ce.weight = _string_to_number(arg, 0, 65535)
        if ce.weight == -1:
            run.fail(2, "illegal weight specified")
    elif tag in ("x", "y"):
        set_option("u-threshold" if tag == "x" else "l-threshold")
        v = _string_to_number(arg, 0, 0x7FFFFFFF)
        if v == -1:
            run.fail(2, f"illegal {'u' if tag == 'x' else 'l'}_threshold specified")
        if tag == "x":
            ce.u_threshold = v
        else:
            ce.l_threshold = v
    elif tag == "c":
        set_option("connection")
    elif tag == "n":
        set_option("numeric")
        fmt |= FMT_NUMERIC
    elif tag == "mcast-interface":
        set_option("mcast-interface")
        ce.mcast_ifn = arg[:15]
    elif tag == "syncid":
        set_option("syncid")
        ce.syncid = _string_to_number(arg, 0, 255)
        if ce.syncid == -1:
            run.fail(2, "illegal syncid specified")
    elif tag in ("timeout", "daemon"):
        set_option(tag)
    elif tag in ("stats", "rate", "thresholds", "persistent-conn", "nosort", "tun-info"):
        set_option(tag)
        fmt |= {"stats": FMT_STATS, "rate": FMT_RATE, "thresholds": FMT_THRESHOLDS,
                "persistent-conn": FMT_PERSISTENTCONN, "nosort": FMT_NOSORT, "tun-info": FMT_TUN_INFO}[tag]
    elif tag == "sort":
        pass  # a no-op kept for compatibility
    elif tag == "X":
        set_option("exact")
        fmt |= FMT_EXACT
    elif tag == "6":
        if ce.fwmark:
            ce.ipv6 = True
        else:
            run.fail(2, "-6 used before -f\n")
    elif tag == "o":
        set_option("ops")
        ce.ops = True
    elif tag == "pe":
        set_option("pe")
        ce.pe = arg[:31]
    elif tag == "b":
        set_option("sched-flags")
        ce.sched_flags_arg = arg
    elif tag in ("mcast-group", "mcast-port", "mcast-ttl", "sync-maxlen"):
        set_option(tag)
        limits = {"mcast-port": 65535, "mcast-ttl": 255, "sync-maxlen": 65535 - 20 - 8}
        if tag == "mcast-group":
            group = _inet_aton(arg)
            if ":" in arg or group is None or group >> 28 != 0xE:
                run.fail(2, f"invalid IPv{'6' if ':' in arg else '4'} mcast-group `{arg}'")
        elif _string_to_number(arg, 1, limits[tag]) == -1:
            run.fail(2, f"illegal {tag} specified")
    elif tag == "tun-type":
        set_option("tun-type")
        if arg not in ("ipip", "gue", "gre"):
            run.fail(2, "illegal tunnel type specified")
        ce.tun_type = arg
    elif tag == "tun-port":
        set_option("tun-port")
        if _string_to_number(arg, 1, 65535) == -1:
            run.fail(2, "illegal tunnel port specified")
    elif tag in ("tun-nocsum", "tun-csum", "tun-remcsum"):
        set_option(tag)
    else:  # another command letter, -h or -v after the command
        run.fail(2, f"invalid option `{word}'")
    return fmt


def _parse_timeout(run: _Run, text: str, lo: int, hi: int) -> int:
    v = _string_to_number(text, lo, hi)
    if v == -1:
        run.fail(2, f"invalid timeout value `{text}' specified")
    return v


def _parse_service(run: _Run, buf: str, proto: int) -> tuple[int, int, int | None] | None:
    """parse_service(): (SERVICE_ADDR|SERVICE_PORT bits, address, port or None)."""
    if buf == "" or buf.isdigit():
        return None
    if buf.startswith("[") or buf.count(":") > 1:
        return None  # IPv6 is not modelled
    host, colon, port_text = buf.rpartition(":") if ":" in buf else (buf, "", "")
    addr = _inet_aton(host)
    if addr is None:
        addr = hosts_lookup(run.ctx.sandbox.fs, host)
    if addr is None:
        return None
    if not colon:
        return (1, addr, None)
    port = _string_to_number(port_text, 0, 65535)
    if port == -1:
        named = service_port(port_text, _proto_name(proto)) if proto in (TCP, UDP) else None
        if named is None:
            return None
        port = named
    return (3, addr, port)


def _parse_sched_flags(run: _Run, ce: _Entry) -> int:
    sched = ce.sched or DEF_SCHED
    flags = 0
    for flag in ce.sched_flags_arg.split(",") or [""]:
        if not flag:
            continue
        if flag not in _SCHED_FLAGS:
            run.fail(2, f"invalid scheduler flag `{flag}'")
        if flag.startswith(("sh-", "mh-")) and sched != flag[:2]:
            run.fail(2, f"incompatible scheduler flag `{flag}'")
        flags |= _SCHED_FLAGS[flag]
    return flags


def _generic_opt_check(run: _Run, cmd: int, options: int) -> None:
    row = CMD_V_OPTIONS[cmd - 1]
    last = -1
    for j, rule in enumerate(row):
        if not options & (1 << j):
            if rule == "+":
                run.fail(2, f"You need to supply the '{OPTNAMES[j]}' option for the '{CMDNAMES[cmd - 1]}' command")
        elif rule == "x":
            run.fail(2, f"Illegal '{OPTNAMES[j]}' option with the '{CMDNAMES[cmd - 1]}' command")
        elif rule == "1":
            if last < 0:
                last = j
            else:
                run.fail(2, f"The option '{OPTNAMES[j]}' conflicts with the '{OPTNAMES[last]}' option "
                         f"in the '{CMDNAMES[cmd - 1]}' command")


def _find(run: _Run, ce: _Entry) -> Service | None:
    if ce.fwmark:
        return run.ipvs.find_service(fwmark=ce.fwmark, ipv6=ce.ipv6)
    return run.ipvs.find_service(proto=ce.proto, vip=ce.addr, port=ce.port)


def _execute(run: _Run, ce: _Entry, options: int, fmt: int, sched_flags: int, reading_stdin: bool,
             argv: list[str]) -> int:
    ipvs = run.ipvs
    has = options.__and__
    if ce.cmd == CMD_LIST:
        if (has((1 << OPT["connection"]) | (1 << OPT["timeout"]) | (1 << OPT["daemon"]))
                and has((1 << OPT["stats"]) | (1 << OPT["rate"]) | (1 << OPT["thresholds"]))) or (
                has((1 << OPT["timeout"]) | (1 << OPT["daemon"])) and has(1 << OPT["persistent-conn"])):
            run.fail(2, "options conflicts in the list command")
        if has(1 << OPT["connection"]):
            _list_conn(run, fmt)
        elif has(1 << OPT["service-address"]):
            svc = _find(run, ce)
            if svc is None:
                run.fail(1, _strerror("get_service", "ESRCH"))
            assert svc is not None
            ipvs.purge(force=True)
            _print_title(run, fmt)
            _print_service(run, svc, fmt)
        elif has(1 << OPT["timeout"]):
            run.out.append("Timeout (tcp tcpfin udp): {} {} {}\n".format(*ipvs.timeouts()))
        elif has(1 << OPT["daemon"]):
            _list_daemon(run)
        else:
            _list_all(run, fmt)
        return 0
    if ce.cmd == CMD_RESTORE:
        if reading_stdin:
            run.tryhelp()
        return _restore(run)
    if ce.cmd == CMD_SAVE:
        _list_all(run, fmt | FMT_RULE)
        return 0
    try:
        _change(run, ce, sched_flags)
    except IpvsError as e:
        run.flush()
        run.ctx.err(_strerror(_OP_NAME[ce.cmd], e.errno) + "\n")
        return -1
    return 0


_OP_NAME = {CMD_FLUSH: "flush", CMD_ADD: "add_service", CMD_EDIT: "update_service", CMD_DEL: "del_service",
            CMD_ZERO: "zero_service", CMD_ADDDEST: "add_dest", CMD_EDITDEST: "update_dest",
            CMD_DELDEST: "del_dest", CMD_TIMEOUT: "set_timeout", CMD_STARTDAEMON: "start_daemon",
            CMD_STOPDAEMON: "stop_daemon"}


def _strerror(op: str, errno: str) -> str:
    return _STRERROR_BY_OP.get((op, errno)) or _STRERROR.get(errno, errno)


def _change(run: _Run, ce: _Entry, sched_flags: int) -> None:
    ipvs = run.ipvs
    cmd = ce.cmd
    svc_ref: Any = ce.fwmark if ce.fwmark else (ce.proto, ce.addr, ce.port)
    if cmd == CMD_FLUSH:
        ipvs.flush()
    elif cmd == CMD_ADD:
        if ce.fwmark:
            ipvs.add_service(fwmark=ce.fwmark, scheduler=ce.sched, persistent=ce.persistent,
                             netmask=ce.netmask, ops=ce.ops, ipv6=ce.ipv6, pe=ce.pe, sched_flags=sched_flags)
        else:
            ipvs.add_service(proto=ce.proto, vip=ce.addr, port=ce.port, scheduler=ce.sched,
                             persistent=ce.persistent, netmask=ce.netmask, ops=ce.ops, pe=ce.pe,
                             sched_flags=sched_flags)
    elif cmd in (CMD_EDIT, CMD_DEL, CMD_ZERO, CMD_ADDDEST, CMD_EDITDEST, CMD_DELDEST):
        svc = _find(run, ce)
        if cmd == CMD_ZERO and not ce.fwmark and not ce.addr and not ce.port:
            ipvs.zero()
            return
        if svc is None:
            raise IpvsError("ESRCH", "No such service")
        svc_ref = svc
        if cmd == CMD_EDIT:
            ipvs.edit_service(svc_ref, ce.sched, persistent=ce.persistent, netmask=ce.netmask, ops=ce.ops,
                              pe=ce.pe, sched_flags=sched_flags)
        elif cmd == CMD_DEL:
            ipvs.del_service(svc_ref)
        elif cmd == CMD_ZERO:
            ipvs.zero(svc_ref)
        elif cmd == CMD_ADDDEST:
            ipvs.add_server(svc_ref, ce.daddr, ce.dport, ce.weight, ce.method,
                            u_threshold=ce.u_threshold, l_threshold=ce.l_threshold)
        elif cmd == CMD_EDITDEST:
            # ipvsadm sends every field: an unspecified weight is 1 and the method gatewaying
            ipvs.edit_server(svc_ref, ce.daddr, ce.dport, ce.weight, ce.method,
                             u_threshold=ce.u_threshold, l_threshold=ce.l_threshold)
        else:
            ipvs.del_server(svc_ref, ce.daddr, ce.dport)
    elif cmd == CMD_TIMEOUT:
        ipvs.set_timeouts(*ce.timeouts)
    elif cmd == CMD_STARTDAEMON:
        if ce.daemon_state in ipvs.daemons:
            raise IpvsError("EEXIST", "Daemon has already run")
        if ce.mcast_ifn not in run.ctx.sandbox.netns.links:
            raise IpvsError("ENODEV", "No such device")
        ipvs.daemons[ce.daemon_state] = {"ifn": ce.mcast_ifn, "syncid": ce.syncid}
    elif cmd == CMD_STOPDAEMON:
        if ipvs.daemons.pop(ce.daemon_state, None) is None:
            raise IpvsError("ESRCH", "No daemon is running")


def _restore(run: _Run) -> int:
    """`ipvsadm -R`: every stdin line is one more set of options (as `ipvsadm-save` wrote them)."""
    result = 0
    for line in (run.ctx.stdin or "").splitlines():
        words = line.split()
        if words:
            result = _process(run, [run.prog, *words], reading_stdin=True)
    return result


# --- listings --------------------------------------------------------------------------------------------
def _addr_name(run: _Run, addr: int, numeric: bool) -> str:
    text = int_to_ip(addr)
    if numeric:
        return text
    data = run.ctx.sandbox.fs.read("/etc/hosts") or b""
    for line in data.decode(errors="replace").splitlines():
        parts = line.split("#", 1)[0].split()
        if len(parts) >= 2 and parts[0] == text:
            return parts[1]
    return text


def _addrport(run: _Run, addr: int, port: int, proto: int, fmt: int) -> str:
    numeric = bool(fmt & FMT_NUMERIC)
    name = None if numeric else {TCP: TCP_SERVICES, UDP: UDP_SERVICES}.get(proto, {}).get(port)
    return f"{_addr_name(run, addr, numeric)}:{name or port}"


def _largenum(i: int, fmt: int) -> str:
    if fmt & FMT_EXACT:
        n = len(str(i))
        return f"{i:>{9 if n <= 8 else n + 1}}"
    if i < 100_000_000:
        return f"{i:9d}"
    if i < 1_000_000_000:
        return f"{i // 1000:8d}K"
    if i < 100_000_000_000:
        return f"{i // 1_000_000:8d}M"
    if i < 100_000_000_000_000:
        return f"{i // 1_000_000_000:8d}G"
    return f"{i // 1_000_000_000_000:8d}T"


def _print_title(run: _Run, fmt: int) -> None:
    out = run.out
    if fmt & FMT_STATS:
        out.append(f"{'Prot LocalAddress:Port':<33} {'Conns':>8} {'InPkts':>8} {'OutPkts':>8} {'InBytes':>8} "
                   f"{'OutBytes':>8}\n  -> RemoteAddress:Port\n")
    elif fmt & FMT_RATE:
        out.append(f"{'Prot LocalAddress:Port':<33} {'CPS':>8} {'InPPS':>8} {'OutPPS':>8} {'InBPS':>8} "
                   f"{'OutBPS':>8}\n  -> RemoteAddress:Port\n")
    elif fmt & FMT_THRESHOLDS:
        out.append(f"{'Prot LocalAddress:Port':<33} {'Uthreshold':<10} {'Lthreshold':<10} {'ActiveConn':<10} "
                   f"{'InActConn':<10}\n  -> RemoteAddress:Port\n")
    elif fmt & FMT_PERSISTENTCONN:
        out.append(f"{'Prot LocalAddress:Port':<33} {'Weight':<9} {'PersistConn':<11} {'ActiveConn':<10} "
                   f"{'InActConn':<10}\n  -> RemoteAddress:Port\n")
    elif fmt & FMT_TUN_INFO:
        out.append("Prot LocalAddress:Port Scheduler Flags\n"
                   "  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n")
    elif not fmt & FMT_RULE:
        out.append("Prot LocalAddress:Port Scheduler Flags\n"
                   "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n")


def _sched_flag_names(svc: Service) -> str:
    names = []
    prefix = svc.scheduler if svc.scheduler in ("sh", "mh") else ""
    for bit, label in ((0x8, "flag-1"), (0x10, "flag-2"), (0x20, "flag-3")):
        if svc.sched_flags & bit:
            if prefix and bit != 0x20:
                label = f"{prefix}-{'fallback' if bit == 0x8 else 'port'}"
            elif prefix:
                continue
            names.append(label)
    return ",".join(names)


_FWD_SWITCH = {MASQ: "-m", TUNNEL: "-i", ROUTE: "-g", LOCAL: "-g"}


def _print_service(run: _Run, svc: Service, fmt: int) -> None:
    out = run.out
    if svc.fwmark:
        if fmt & FMT_RULE:
            name = f"-f {svc.fwmark}" + (" -6" if svc.ipv6 else "")
        else:
            name = f"FWM  {svc.fwmark}" + (" IPv6" if svc.ipv6 else "")
    else:
        vname = _addrport(run, svc.vip, svc.port, svc.proto, fmt)
        if fmt & FMT_RULE:
            name = f"{ {TCP: '-t', UDP: '-u', SCTP: '--sctp-service'}.get(svc.proto, '--xxx-service')} {vname}"
        else:
            name = f"{ {TCP: 'TCP', UDP: 'UDP', SCTP: 'SCTP'}.get(svc.proto, '?'):<4} {vname}"[:33]
    flags = _sched_flag_names(svc)
    if fmt & FMT_RULE:
        line = f"-A {name} -s {svc.scheduler}"
        if svc.persistent:
            line += f" -p {svc.timeout}"
            if svc.netmask != 0xFFFFFFFF:
                line += f" -M {int_to_ip(svc.netmask)}"
        if svc.pe:
            line += f" --pe {svc.pe}"
        if svc.ops:
            line += " -o"
        if svc.sched_flags:
            line += " -b " + flags
    elif fmt & (FMT_STATS | FMT_RATE):
        run.ipvs.catch_up_stats()
        nums = svc.stats.counters() if fmt & FMT_STATS else list(svc.stats.rates())
        line = f"{name:<33}" + "".join(_largenum(n, fmt) for n in nums)
    else:
        line = f"{name} {svc.scheduler}"
        if svc.sched_flags:
            line += f" ({flags})"
        if svc.persistent:
            line += f" persistent {svc.timeout}"
            if svc.netmask != 0xFFFFFFFF:
                line += f" mask {int_to_ip(svc.netmask)}"
            if svc.pe:
                line += f" pe {svc.pe}"
        if svc.ops:
            line += " ops"
    out.append(line + "\n")
    dests = list(svc.dests)
    if not fmt & FMT_NOSORT:
        dests.sort(key=lambda d: (d.addr, d.port))
    for d in dests:
        _print_dest(run, svc, d, name, fmt)


def _print_dest(run: _Run, svc: Service, d: Dest, svc_name: str, fmt: int) -> None:
    dname = _addrport(run, d.addr, d.port, svc.proto, fmt)
    if not fmt & FMT_RULE:
        dname = dname[:28]
    if fmt & FMT_RULE:
        line = f"-a {svc_name} -r {dname} {_FWD_SWITCH[d.method]} -w {d.weight}"
        if d.method == TUNNEL:
            line += " --tun-type ipip"
    elif fmt & FMT_STATS:
        line = f"  -> {dname:<28}" + "".join(_largenum(n, fmt) for n in d.stats.counters())
    elif fmt & FMT_RATE:
        cps, inpps, outpps, inbps, outbps = d.stats.rates()
        line = f"  -> {dname:<28} {cps:8d} {inpps:8d} {outpps:8d}" + _largenum(inbps, fmt) + _largenum(outbps, fmt)
    elif fmt & FMT_THRESHOLDS:
        line = f"  -> {dname:<28} {d.u_threshold:<10} {d.l_threshold:<10} {d.activeconns:<10} {d.inactconns:<10}"
    elif fmt & FMT_PERSISTENTCONN:
        line = f"  -> {dname:<28} {d.weight:<9} {d.persistconns:<11} {d.activeconns:<10} {d.inactconns:<10}"
    elif fmt & FMT_TUN_INFO:
        info = "ipip" if d.method == TUNNEL else "n/a"
        line = f"  -> {dname:<28} {d.method:<7} {info:<13} {d.weight:<6} {d.activeconns:<10} {d.inactconns:<10}"
    else:
        line = f"  -> {dname:<28} {d.method:<7} {d.weight:<6} {d.activeconns:<10} {d.inactconns:<10}"
    run.out.append(line + "\n")


def _list_all(run: _Run, fmt: int) -> None:
    ipvs = run.ipvs
    if not fmt & FMT_RULE:
        run.out.append("IP Virtual Server version {}.{}.{} ".format(*VERSION) + f"(size={CONN_TAB_SIZE})\n")
    ipvs.purge(force=True)
    svcs = ipvs.services_unsorted() if fmt & FMT_NOSORT else ipvs.services()
    _print_title(run, fmt)
    for svc in svcs:
        _print_service(run, svc, fmt)


def _list_conn(run: _Run, fmt: int) -> None:
    out = run.out
    out.append("IPVS connection entries\n")
    if fmt & FMT_PERSISTENTCONN:
        out.append(f"pro expire {'state':<11} {'source':<18} {'virtual':<18} {'destination':<18} "
                   f"{'pe name':<16} pe_data\n")
    else:
        out.append(f"pro expire {'state':<11} {'source':<18} {'virtual':<18} destination\n")
    now = run.ipvs.clock.now
    for cp in run.ipvs.connections():
        proto = {TCP: "TCP", UDP: "UDP"}.get(cp.proto, "IP")
        left = cp.expires_in(now)
        expire = f"{left // 60:02d}:{left % 60:02d}"
        cname = _addrport(run, cp.caddr, cp.cport, cp.proto, fmt)
        vname = _addrport(run, cp.vaddr, cp.vport, cp.proto, fmt)
        dname = _addrport(run, cp.daddr, cp.dport, cp.proto, fmt)
        out.append(f"{proto:<3} {expire:<6} {cp.state_name:<11} {cname:<18} {vname:<18} {dname}\n")


def _list_daemon(run: _Run) -> None:
    for state in ("master", "backup"):
        d = run.ipvs.daemons.get(state)
        if d is not None:
            run.out.append(f"{state} sync daemon (mcast={d['ifn']}, syncid={d['syncid']}, maxlen=1472, "
                           "group=224.0.0.81, port=8848, ttl=1)\n")


__all__ = ["ipvsadm", "PROG_VERSION"]
