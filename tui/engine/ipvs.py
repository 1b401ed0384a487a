"""IPVS, the kernel's layer-4 load balancer, as Docker uses it for service VIPs and the routing mesh.

One :class:`Ipvs` lives in a network namespace (``ns.ipvs``, made by :meth:`Ipvs.of`). It holds
virtual services (keyed by firewall mark, or by protocol, address and port), their real servers,
and a connection table that maps each client flow to the real server chosen for it.

The datapath follows the kernel's hooks:

* LOCAL_IN, after the mangle and filter INPUT chains (``ip_vs_in`` at priority NAT_SRC-1): a
  packet for a local address that belongs to a virtual service is scheduled, its destination is
  rewritten to the real server and IPVS sends it on itself through LOCAL_OUT and POSTROUTING, as
  ``ip_vs_nat_xmit`` does. The local stack never sees it. Everything else (ping to a VIP, ports
  without a service) goes on to local delivery.
* FORWARD, after the filter chain (``ip_vs_out``): a reply from a real server gets the VIP back
  as its source before it is routed to the client.

With ``net.ipv4.vs.conntrack=1`` (Docker sets it) the connection also goes through netfilter's
conntrack: the still-unconfirmed entry gets the real server as its reply source
(``nf_conntrack_alter_reply``), so ``-m ipvs ... -j SNAT`` in nat POSTROUTING applies to the
forwarded packet and conntrack undoes that SNAT on the replies. Without it the packets are
untracked and no NAT rule can touch them.

Time is the lab's virtual clock: connection timeouts, the 2-second rate estimator and
``ipvsadm -Lc``'s countdowns all use it. Expired entries are removed lazily.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tui.engine.addr import int_to_ip, ip_to_int
from tui.engine.clock import SEC
from tui.engine.links import HOP_DELAY
from tui.engine.netfilter import Conn as NfConn
from tui.engine.netfilter import nat_rewrite
from tui.engine.netns import PROTO_ICMP, PROTO_TCP, PROTO_UDP, checksum
from tui.engine.route import Route

if TYPE_CHECKING:
    from tui.engine.links import Link
    from tui.engine.netns import Namespace
    from tui.engine.pkt import Pkt

PROTO_SCTP = 132
VERSION = (1, 2, 1)  # IP_VS_VERSION_CODE 0x010201, what `ipvsadm` prints
CONN_TAB_SIZE = 4096  # CONFIG_IP_VS_TAB_BITS=12
PERSISTENT_TIMEOUT = 360  # IPVS_SVC_PERSISTENT_TIMEOUT, `-p` without a value

# forwarding methods, as `ipvsadm -L` names them
MASQ, LOCAL, TUNNEL, ROUTE = "Masq", "Local", "Tunnel", "Route"
_METHODS = {"masq": MASQ, "m": MASQ, "nat": MASQ, "route": ROUTE, "g": ROUTE, "dr": ROUTE,
            "gate": ROUTE, "tunnel": TUNNEL, "i": TUNNEL, "ipip": TUNNEL, "local": LOCAL}

SCHEDULERS = ("rr", "wrr", "lc", "wlc", "sed", "nq", "fo")  # the ones modelled; others are "not found"

# TCP states (IP_VS_TCP_S_*) and their default timeouts in seconds
(S_NONE, S_ES, S_SS, S_SR, S_FW, S_TW, S_CL, S_CW, S_LA, S_LI, S_SA) = range(11)
TCP_STATE_NAMES = ("NONE", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT", "TIME_WAIT", "CLOSE",
                   "CLOSE_WAIT", "LAST_ACK", "LISTEN", "SYNACK")
TCP_TIMEOUTS = (2, 900, 120, 60, 120, 120, 10, 60, 30, 120, 120)
UDP_TIMEOUT = 300

DIR_INPUT, DIR_OUTPUT, DIR_INPUT_ONLY = 0, 1, 2
_IDX_SYN, _IDX_FIN, _IDX_ACK, _IDX_RST = range(4)


def _row(text: str) -> tuple[int, ...]:
    names = {"NO": S_NONE, "ES": S_ES, "SS": S_SS, "SR": S_SR, "FW": S_FW, "TW": S_TW, "CL": S_CL,
             "CW": S_CW, "LA": S_LA, "LI": S_LI, "SA": S_SA}
    return tuple(names[w] for w in text.split())


# The state machine of ip_vs_proto_tcp.c (the non-secure table): for each direction, the next state
# by segment kind (syn, fin, ack, rst) and current state (columns NO ES SS SR FW TW CL CW LA LI SA).
_TCP_NEXT: dict[int, tuple[tuple[int, ...], ...]] = {
    DIR_INPUT: (
        _row("SR ES ES SR SR SR SR SR SR SR SR"),
        _row("CL CW SS TW TW TW CL CW LA LI TW"),
        _row("CL ES SS ES FW TW CL CW CL LI ES"),
        _row("CL CL CL SR CL CL CL CL LA LI SR"),
    ),
    DIR_OUTPUT: (
        _row("SS ES SS SR SS SS SS SS SS LI SR"),
        _row("TW FW SS TW FW TW CL TW LA LI TW"),
        _row("ES ES SS ES FW TW CL CW LA ES ES"),
        _row("CL CL SS CL CL TW CL CL CL CL CL"),
    ),
    DIR_INPUT_ONLY: (
        _row("SR ES ES SR SR SR SR SR SR SR SR"),
        _row("CL FW SS TW FW TW CL CW LA LI TW"),
        _row("CL ES SS ES FW TW CL CW CL LI ES"),
        _row("CL CL CL SR CL CL CL CL LA LI CL"),
    ),
}

_EST_PERIOD = 2 * SEC  # the rate estimator runs every 2 seconds


class IpvsError(Exception):
    """A refused configuration change; ``errno`` is the kernel's answer (EEXIST, ESRCH, ...)."""

    def __init__(self, errno: str, message: str) -> None:
        super().__init__(message)
        self.errno = errno


def _as_ip(v: int | str) -> int:
    return v if isinstance(v, int) else ip_to_int(v)


def _as_proto(p: int | str | None) -> int:
    if p is None:
        return PROTO_TCP
    if isinstance(p, int):
        return p
    return {"tcp": PROTO_TCP, "udp": PROTO_UDP, "sctp": PROTO_SCTP}[p.lower()]


class Stats:
    """Counters of a service or real server, with the kernel's 2-second rate estimator.

    The estimator is advanced lazily: before a counter changes (and before rates are read) every
    2-second tick that passed is replayed with the counters as they were, which gives exactly what
    the periodic kernel timer would have computed.
    """

    __slots__ = ("conns", "inpkts", "outpkts", "inbytes", "outbytes", "_tick", "_last", "_est")

    def __init__(self, tick: int) -> None:
        self.conns = self.inpkts = self.outpkts = self.inbytes = self.outbytes = 0
        self._tick = tick
        self._last = [0, 0, 0, 0, 0]
        self._est = [0, 0, 0, 0, 0]

    def counters(self) -> list[int]:
        return [self.conns, self.inpkts, self.outpkts, self.inbytes, self.outbytes]

    def catch_up(self, tick: int) -> None:
        while self._tick < tick:
            cur = self.counters()
            if cur == self._last and not any(self._est):
                self._tick = tick  # idle and settled: nothing changes until the next packet
                return
            for i, shift in enumerate((9, 9, 9, 4, 4)):  # rates scaled by 2^10 (pkts) and 2^5 (bytes), per 2 s
                rate = (cur[i] - self._last[i]) << shift
                self._last[i] = cur[i]
                self._est[i] += (rate - self._est[i]) >> 2
            self._tick += 1

    def rates(self) -> tuple[int, int, int, int, int]:
        """(cps, inpps, outpps, inbps, outbps) as ``ipvsadm --rate`` shows them."""
        e = self._est
        return ((e[0] + 0x1FF) >> 10, (e[1] + 0x1FF) >> 10, (e[2] + 0x1FF) >> 10,
                (e[3] + 0xF) >> 5, (e[4] + 0xF) >> 5)

    def zero(self) -> None:
        """`ipvsadm -Z`: counters and estimator start again from nothing."""
        self.conns = self.inpkts = self.outpkts = self.inbytes = self.outbytes = 0
        self._last = [0, 0, 0, 0, 0]
        self._est = [0, 0, 0, 0, 0]


class Dest:
    """A real server of a service (``struct ip_vs_dest``)."""

    def __init__(self, service: Service, addr: int, port: int, weight: int, method: str,
                 u_threshold: int, l_threshold: int, tick: int) -> None:
        self.service = service
        self.addr = addr
        self.port = port
        self.weight = weight
        self.method = method
        self.u_threshold = u_threshold
        self.l_threshold = l_threshold
        self.activeconns = 0
        self.inactconns = 0
        self.persistconns = 0
        self.available = True
        self.overloaded = False
        self.stats = Stats(tick)

    @property
    def totalconns(self) -> int:
        return self.activeconns + self.inactconns

    def __repr__(self) -> str:
        return f"<Dest {int_to_ip(self.addr)}:{self.port} {self.method} w={self.weight}>"


class Service:
    """A virtual service (``struct ip_vs_service``): ``FWM 256`` or ``TCP 10.0.1.2:80``.

    ``dests`` is in the kernel's list order: a new real server goes to the head of the list,
    which is the order round robin walks.
    """

    def __init__(self, fwmark: int, proto: int, vip: int, port: int, scheduler: str, tick: int) -> None:
        self.fwmark = fwmark
        self.proto = proto
        self.vip = vip
        self.port = port
        self.scheduler = scheduler
        self.ipv6 = False
        self.persistent = False
        self.timeout = 0  # persistence timeout, seconds
        self.netmask = 0xFFFFFFFF
        self.ops = False
        self.pe = ""
        self.sched_flags = 0
        self.dests: list[Dest] = []
        self.trash: dict[tuple[int, int], Dest] = {}  # removed dests that connections still use
        self.stats = Stats(tick)
        self.templates: dict[tuple[int, int, int], tuple[Dest, int]] = {}  # persistence
        self._rr_last: Dest | None = None
        self._wrr_cl = -1
        self._wrr_cw = 0
        self._wrr_mw = 0
        self._wrr_di = 1
        self._index: dict[tuple[int, int], Dest] = {}

    @property
    def key(self) -> tuple[int, int, int, int, int]:
        """(fwmark, address family, protocol, address, port): how the kernel's tables find it."""
        if self.fwmark:
            return (self.fwmark, 6 if self.ipv6 else 4, 0, 0, 0)
        return (0, 4, self.proto, self.vip, self.port)

    def label(self) -> str:
        """How traces name the service: ``FWM 256`` or ``TCP 10.0.1.2:80``."""
        if self.fwmark:
            return f"FWM {self.fwmark}"
        return f"{_PROTO_LABEL.get(self.proto, '?')} {int_to_ip(self.vip)}:{self.port}"

    def find_dest(self, addr: int, port: int) -> Dest | None:
        return self._index.get((addr, port))  # kept in step with ``dests`` by add_server/del_server

    def __repr__(self) -> str:
        return f"<Service {self.label()} {self.scheduler}>"

    # --- schedulers -------------------------------------------------------------------------------
    def dests_changed(self) -> None:
        """What the wrr scheduler does on every add/edit/delete of a real server (only wrr needs it)."""
        if self.scheduler != "wrr":
            self._wrr_cl = -1
            return
        weights = [d.weight for d in self.dests if d.weight > 0]
        g = 0
        for w in weights:
            g = _gcd(w, g) if g else w
        self._wrr_di = g or 1
        self._wrr_mw = max((d.weight for d in self.dests), default=0) - (self._wrr_di - 1)
        self._wrr_cl = -1
        if self._wrr_cw > self._wrr_mw or not self._wrr_cw:
            self._wrr_cw = self._wrr_mw
        elif self._wrr_di > 1:
            self._wrr_cw = (self._wrr_cw // self._wrr_di) * self._wrr_di + 1

    def schedule(self) -> Dest | None:
        """Pick a real server for a new connection, or None ("no destination available")."""
        fn = _SCHEDULE.get(self.scheduler)
        return fn(self) if fn is not None else None


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def _usable(d: Dest) -> bool:
    return not d.overloaded and d.weight > 0


def _sched_rr(svc: Service) -> Dest | None:
    dests = svc.dests
    last = svc._rr_last
    start = dests.index(last) + 1 if last in dests else 0
    for d in dests[start:] + dests[:start]:
        if _usable(d):
            svc._rr_last = d
            return d
    return None


def _sched_wrr(svc: Service) -> Dest | None:
    dests = svc.dests
    if svc._wrr_mw <= 0:
        return None
    pos = last = svc._wrr_cl
    stop = None
    last_pass = restarted = False
    while True:
        for i in range(pos + 1, len(dests)):
            d = dests[i]
            if not d.overloaded and d.weight >= svc._wrr_cw:
                svc._wrr_cl = i
                return d
            if i == stop:
                svc._wrr_cl = i
                return None
        pos = -1
        svc._wrr_cw -= svc._wrr_di
        if svc._wrr_cw <= 0:
            svc._wrr_cw = svc._wrr_mw
            if last_pass or last == -1:
                svc._wrr_cl = -1
                return None
            restarted = True
        last_pass = svc._wrr_cw <= svc._wrr_di
        if last_pass and restarted and last != -1:
            stop = last


def _overhead(d: Dest) -> int:
    return (d.activeconns << 8) + d.inactconns


def _sched_lc(svc: Service) -> Dest | None:
    least: Dest | None = None
    for d in svc.dests:
        if _usable(d) and (least is None or _overhead(d) < _overhead(least)):
            least = d
    return least


def _sched_weighted(svc: Service, overhead: Callable[[Dest], int], idle_first: bool) -> Dest | None:
    least: Dest | None = None
    for d in svc.dests:
        if not _usable(d):
            continue
        if idle_first and d.activeconns == 0:
            return d
        if least is None or overhead(least) * d.weight > overhead(d) * least.weight:
            least = d
    return least


def _sched_fo(svc: Service) -> Dest | None:
    best: Dest | None = None
    for d in svc.dests:
        if not d.overloaded and d.weight > (best.weight if best else 0):
            best = d
    return best


_SCHEDULE: dict[str, Callable[[Service], Dest | None]] = {
    "rr": _sched_rr,
    "wrr": _sched_wrr,
    "lc": _sched_lc,
    "wlc": lambda s: _sched_weighted(s, _overhead, False),
    "sed": lambda s: _sched_weighted(s, lambda d: d.activeconns + 1, False),
    "nq": lambda s: _sched_weighted(s, lambda d: d.activeconns + 1, True),
    "fo": _sched_fo,
}

_PROTO_LABEL = {PROTO_TCP: "TCP", PROTO_UDP: "UDP", PROTO_SCTP: "SCTP"}


class IpvsConn:
    """One entry of the connection table: client -> virtual address -> real server."""

    __slots__ = ("proto", "caddr", "cport", "vaddr", "vport", "daddr", "dport", "dest", "service",
                 "fwmark", "method", "state", "inactive", "nfct", "nooutput", "expires", "template")

    def __init__(self, proto: int, caddr: int, cport: int, vaddr: int, vport: int, dest: Dest,
                 dport: int, fwmark: int, nfct: bool) -> None:
        self.proto = proto
        self.caddr, self.cport, self.vaddr, self.vport = caddr, cport, vaddr, vport
        self.daddr, self.dport = dest.addr, dport
        self.dest: Dest | None = dest
        self.service = dest.service
        self.fwmark = fwmark
        self.method = dest.method
        self.state = S_NONE
        self.inactive = True  # IP_VS_CONN_F_INACTIVE: counted in InActConn until ESTABLISHED
        self.nfct = nfct
        self.nooutput = dest.method != MASQ
        self.expires = 0
        self.template: tuple[int, int, int] | None = None

    @property
    def state_name(self) -> str:
        if self.proto == PROTO_TCP:
            return TCP_STATE_NAMES[self.state]
        return "UDP" if self.proto == PROTO_UDP else "NONE"

    @property
    def in_key(self) -> tuple[int, int, int, int, int]:
        return (self.proto, self.caddr, self.cport, self.vaddr, self.vport)

    @property
    def out_key(self) -> tuple[int, int, int, int, int]:
        return (self.proto, self.daddr, self.dport, self.caddr, self.cport)

    def expires_in(self, now: int) -> int:
        """Whole seconds left, as /proc/net/ip_vs_conn prints them."""
        return max(0, (self.expires - now) // SEC)

    def __repr__(self) -> str:
        return (f"<IpvsConn {_PROTO_LABEL.get(self.proto, '?')} {int_to_ip(self.caddr)}:{self.cport} -> "
                f"{int_to_ip(self.vaddr)}:{self.vport} -> {int_to_ip(self.daddr)}:{self.dport} {self.state_name}>")


_SYSCTL_DEFAULTS = {
    "net.ipv4.vs.conntrack": 0,
    "net.ipv4.vs.expire_nodest_conn": 0,
    "net.ipv4.vs.expire_quiescent_template": 0,
    "net.ipv4.vs.conn_reuse_mode": 1,
    "net.ipv4.vs.snat_reroute": 1,
}

_META_KEYS = ("ipvs", "ipvs_vaddr", "ipvs_vport", "ipvs_vproto")


class Ipvs:
    """IPVS state of one network namespace: services, real servers, connections, timeouts."""

    def __init__(self, ns: Namespace) -> None:
        self.ns = ns
        self.clock = ns.clock
        self._t0 = ns.clock.now
        self._services: dict[tuple[int, int, int, int, int], Service] = {}
        self._in: dict[tuple[int, int, int, int, int], IpvsConn] = {}
        self._out: dict[tuple[int, int, int, int, int], IpvsConn] = {}
        self._next_purge = 0
        self.tcp_timeouts = list(TCP_TIMEOUTS)
        self.udp_timeout = UDP_TIMEOUT
        self.daemons: dict[str, dict[str, Any]] = {}  # `--start-daemon master|backup` settings
        for key, value in _SYSCTL_DEFAULTS.items():
            ns.sysctl.setdefault(key, value)

    @classmethod
    def of(cls, ns: Namespace) -> Ipvs:
        """The namespace's IPVS, created on first use (loading ip_vs gives every namespace one)."""
        ipvs = ns.ipvs
        if ipvs is None:
            ipvs = ns.ipvs = cls(ns)
        setattr(ns.host, "ip_vs_loaded", True)  # noqa: B010 - the module is host-wide
        return ipvs

    # --- helpers ------------------------------------------------------------------------------------
    def _tick(self) -> int:
        return (self.clock.now - self._t0) // _EST_PERIOD

    def _sysctl(self, name: str) -> int:
        return int(self.ns.sysctl.get("net.ipv4.vs." + name, _SYSCTL_DEFAULTS["net.ipv4.vs." + name]))

    def _svc(self, service: Service | int | tuple[Any, Any, Any]) -> Service:
        if isinstance(service, Service):
            if self._services.get(service.key) is not service:
                raise IpvsError("ESRCH", "No such service")
            return service
        if isinstance(service, int):
            found = self.find_service(fwmark=service)
        else:
            proto, vip, port = service
            found = self.find_service(proto=proto, vip=vip, port=port)
        if found is None:
            raise IpvsError("ESRCH", "No such service")
        return found

    # --- configuration (what ipvsadm and Docker's netlink calls do) ------------------------------
    def find_service(self, fwmark: int | None = None, proto: int | str | None = None,
                     vip: int | str | None = None, port: int | None = None, *,
                     ipv6: bool = False) -> Service | None:
        if fwmark:
            return self._services.get((fwmark, 6 if ipv6 else 4, 0, 0, 0))
        return self._services.get((0, 4, _as_proto(proto), _as_ip(vip or 0), port or 0))

    def add_service(self, fwmark: int | None = None, proto: int | str | None = None,
                    vip: int | str | None = None, port: int | None = None, scheduler: str = "rr",
                    *, persistent: int | None = None, netmask: int = 0xFFFFFFFF, ops: bool = False,
                    ipv6: bool = False, pe: str = "", sched_flags: int = 0) -> Service:
        """Add a virtual service; ``persistent`` is the persistence timeout in seconds."""
        if fwmark:
            svc = Service(fwmark, PROTO_TCP, 0, 0, scheduler, self._tick())
            svc.ipv6 = ipv6
        else:
            svc = Service(0, _as_proto(proto), _as_ip(vip or 0), port or 0, scheduler, self._tick())
        if svc.key in self._services:  # the netlink handler checks this before loading the scheduler
            raise IpvsError("EEXIST", "Service already exists")
        if scheduler not in _SCHEDULE or (pe and pe != "sip"):
            raise IpvsError("ENOENT", "Scheduler or persistence engine not found")
        self._apply_service_opts(svc, scheduler, persistent, netmask, ops, pe, sched_flags)
        self._services[svc.key] = svc
        svc.dests_changed()
        return svc

    def edit_service(self, service: Service | int | tuple[Any, Any, Any], scheduler: str = "wlc", *,
                     persistent: int | None = None, netmask: int = 0xFFFFFFFF, ops: bool = False,
                     pe: str = "", sched_flags: int = 0) -> Service:
        """`ipvsadm -E`: every setting is replaced (ipvsadm itself fills in the defaults)."""
        svc = self._svc(service)
        if scheduler not in _SCHEDULE:
            raise IpvsError("ENOENT", "Scheduler or persistence engine not found")
        if scheduler != svc.scheduler:
            svc._rr_last = None
            svc._wrr_cw = 0
        self._apply_service_opts(svc, scheduler, persistent, netmask, ops, pe, sched_flags)
        svc.dests_changed()
        return svc

    @staticmethod
    def _apply_service_opts(svc: Service, scheduler: str, persistent: int | None, netmask: int,
                            ops: bool, pe: str, sched_flags: int) -> None:
        svc.scheduler = scheduler
        svc.persistent = persistent is not None
        svc.timeout = persistent or 0
        svc.netmask = netmask
        svc.ops = ops
        svc.pe = pe
        svc.sched_flags = sched_flags

    def del_service(self, service: Service | int | tuple[Any, Any, Any]) -> None:
        """Remove a service; its connections stay in the table, their servers no longer available."""
        svc = self._svc(service)
        del self._services[svc.key]
        for d in svc.dests:
            d.available = False  # connections keep them until they expire (or expire_nodest_conn)
        svc.dests = []
        svc._index.clear()

    def flush(self) -> None:
        """`ipvsadm -C`: every service goes; existing connections run on until they expire."""
        for svc in list(self._services.values()):
            self.del_service(svc)

    def services(self) -> list[Service]:
        """Services in ipvsadm's sorted order: by fwmark (address services have 0, so they come
        first), then address family, protocol, address and port (libipvs ipvs_cmp_services)."""
        return sorted(self._services.values(), key=lambda s: (s.fwmark, s.ipv6, s.proto, s.vip, s.port))

    def services_unsorted(self) -> list[Service]:
        """The kernel's own order (`--nosort`): address-keyed services first, then fwmark ones."""
        vals = list(self._services.values())
        return [s for s in vals if not s.fwmark] + [s for s in vals if s.fwmark]

    def add_server(self, service: Service | int | tuple[Any, Any, Any], addr: int | str, port: int = 0,
                   weight: int = 1, method: str = "masq", *, u_threshold: int = 0,
                   l_threshold: int = 0) -> Dest:
        """Add a real server (port 0 keeps the packet's port). A local address becomes ``Local``."""
        svc = self._svc(service)
        a = _as_ip(addr)
        fwd = self._method(method, a)
        if weight < 0 or u_threshold < 0 or l_threshold < 0:
            raise IpvsError("ERANGE", "Numerical result out of range")
        if svc.find_dest(a, port) is not None:
            raise IpvsError("EEXIST", "Destination already exists")
        dest = svc.trash.pop((a, port), None)
        if dest is None:
            dest = Dest(svc, a, port, weight, fwd, u_threshold, l_threshold, self._tick())
        else:  # back from the trash: its counters and the connections that still use it come back
            dest.weight, dest.method, dest.available = weight, fwd, True
            dest.u_threshold, dest.l_threshold = u_threshold, l_threshold
        svc.dests.insert(0, dest)
        svc._index[(a, port)] = dest
        svc.dests_changed()
        return dest

    def _method(self, method: str, addr: int) -> str:
        fwd = _METHODS.get(method.lower(), method) if method else ROUTE
        if fwd not in (MASQ, ROUTE, TUNNEL, LOCAL):
            raise IpvsError("EINVAL", "Invalid operation.  Possibly wrong module version, address not unicast, ...")
        kind = self.ns.addr_type(addr)
        if kind not in ("UNICAST", "LOCAL") or addr == 0:
            raise IpvsError("EINVAL", "Invalid operation.  Possibly wrong module version, address not unicast, ...")
        return LOCAL if kind == "LOCAL" else fwd

    def edit_server(self, service: Service | int | tuple[Any, Any, Any], addr: int | str, port: int = 0,
                    weight: int | None = None, method: str | None = None, *,
                    u_threshold: int | None = None, l_threshold: int | None = None) -> Dest:
        svc = self._svc(service)
        dest = svc.find_dest(_as_ip(addr), port)
        if dest is None:
            raise IpvsError("ENOENT", "No such destination")
        if method is not None:
            dest.method = self._method(method, dest.addr)
        if weight is not None:
            if weight < 0:
                raise IpvsError("ERANGE", "Numerical result out of range")
            dest.weight = weight
        if u_threshold is not None:
            if u_threshold == 0 or u_threshold > dest.u_threshold:
                dest.overloaded = False
            dest.u_threshold = u_threshold
        if l_threshold is not None:
            dest.l_threshold = l_threshold
        svc.dests_changed()
        return dest

    def del_server(self, service: Service | int | tuple[Any, Any, Any], addr: int | str, port: int = 0) -> None:
        """Remove a real server. Its connections keep it (in the trash) until they expire."""
        svc = self._svc(service)
        a = _as_ip(addr)
        dest = svc.find_dest(a, port)
        if dest is None:
            raise IpvsError("ENOENT", "No such destination")
        idx = svc.dests.index(dest)
        svc.dests.remove(dest)
        svc._index.pop((dest.addr, dest.port), None)
        if svc._rr_last is dest:  # round robin carries on after the removed server
            svc._rr_last = svc.dests[idx - 1] if idx > 0 else None
        dest.available = False
        if any(c.dest is dest for c in self._in.values()):
            svc.trash[(a, port)] = dest
        svc.dests_changed()

    def zero(self, service: Service | int | tuple[Any, Any, Any] | None = None) -> None:
        """`ipvsadm -Z`: clear the counters of one service (and its servers) or of all."""
        svcs = [self._svc(service)] if service is not None else list(self._services.values())
        for svc in svcs:
            svc.stats.zero()
            for d in svc.dests:
                d.stats.zero()

    def set_timeouts(self, tcp: int = 0, tcpfin: int = 0, udp: int = 0) -> None:
        """`ipvsadm --set tcp tcpfin udp`: 0 leaves a value as it is."""
        if tcp:
            self.tcp_timeouts[S_ES] = tcp
        if tcpfin:
            self.tcp_timeouts[S_FW] = tcpfin
        if udp:
            self.udp_timeout = udp

    def timeouts(self) -> tuple[int, int, int]:
        return self.tcp_timeouts[S_ES], self.tcp_timeouts[S_FW], self.udp_timeout

    def connections(self) -> list[IpvsConn]:
        """Live connections, oldest first (what `ipvsadm -Lc` lists)."""
        self.purge(force=True)
        return list(self._in.values())

    def catch_up_stats(self) -> None:
        """Run the rate estimator up to now (before `--rate` reads it)."""
        tick = self._tick()
        for svc in self._services.values():
            svc.stats.catch_up(tick)
            for d in svc.dests:
                d.stats.catch_up(tick)

    # --- connection table ---------------------------------------------------------------------------
    def purge(self, force: bool = False) -> None:
        """Remove expired connections (at most once per virtual second unless forced)."""
        now = self.clock.now
        if not force and now < self._next_purge:
            return
        self._next_purge = now + SEC
        for cp in [c for c in self._in.values() if c.expires <= now]:
            self._expire(cp)
        for svc in self._services.values():
            if svc.templates:
                self._purge_templates(svc, now)

    def _purge_templates(self, svc: Service, now: int) -> None:
        for key in [k for k, (_d, exp) in svc.templates.items() if exp <= now]:
            if not any(c.template == key and c.service is svc for c in self._in.values()):
                self._drop_template(svc, key)

    @staticmethod
    def _drop_template(svc: Service, key: tuple[int, int, int]) -> None:
        dest, _exp = svc.templates.pop(key)
        dest.persistconns = max(0, dest.persistconns - 1)

    def _expire(self, cp: IpvsConn) -> None:
        """ip_vs_conn_expire: unlink, give the server its slot back, drop the conntrack entry."""
        if self._in.get(cp.in_key) is cp:
            del self._in[cp.in_key]
        if self._out.get(cp.out_key) is cp:
            del self._out[cp.out_key]
        dest = cp.dest
        if dest is not None:
            if cp.inactive:
                dest.inactconns -= 1
            else:
                dest.activeconns -= 1
            if dest.l_threshold:  # ip_vs_unbind_dest: below the lower threshold, or 3/4 of the upper
                if dest.totalconns < dest.l_threshold:
                    dest.overloaded = False
            elif dest.u_threshold:
                if dest.totalconns * 4 < dest.u_threshold * 3:
                    dest.overloaded = False
            else:
                dest.overloaded = False
            cp.dest = None
            svc = dest.service
            if not dest.available and svc.trash.get((dest.addr, dest.port)) is dest and \
                    not any(c.dest is dest for c in self._in.values()):
                del svc.trash[(dest.addr, dest.port)]
        if cp.nfct:
            nf = self.ns.netfilter
            if nf is not None:
                entry = nf.conntrack.table.get(cp.in_key)
                if entry is not None and not entry[1]:
                    nf.conntrack.remove(entry[0])

    def _lookup(self, table: dict[tuple[int, int, int, int, int], IpvsConn],
                key: tuple[int, int, int, int, int]) -> IpvsConn | None:
        cp = table.get(key)
        if cp is not None and cp.expires <= self.clock.now:
            self._expire(cp)
            return None
        return cp

    def _bind(self, cp: IpvsConn) -> None:
        dest = cp.dest
        assert dest is not None
        dest.inactconns += 1
        if dest.u_threshold and dest.totalconns >= dest.u_threshold:
            dest.overloaded = True
        self._in[cp.in_key] = cp
        self._out[cp.out_key] = cp

    def _set_state(self, cp: IpvsConn, direction: int, tflags: int) -> None:
        """Move the connection through IPVS's TCP state table and re-arm its timer."""
        if cp.proto == PROTO_TCP:
            if cp.nooutput:
                if direction == DIR_OUTPUT:
                    cp.nooutput = False
                else:
                    direction = DIR_INPUT_ONLY
            if tflags & 0x04:
                idx = _IDX_RST
            elif tflags & 0x02:
                idx = _IDX_SYN
            elif tflags & 0x01:
                idx = _IDX_FIN
            elif tflags & 0x10:
                idx = _IDX_ACK
            else:
                idx = -1
            new = _TCP_NEXT[direction][idx][cp.state] if idx >= 0 else S_CL
            if new != cp.state and cp.dest is not None:
                dest = cp.dest
                if not cp.inactive and new != S_ES:
                    dest.activeconns -= 1
                    dest.inactconns += 1
                    cp.inactive = True
                elif cp.inactive and new == S_ES:
                    dest.activeconns += 1
                    dest.inactconns -= 1
                    cp.inactive = False
            cp.state = new
            timeout = self.tcp_timeouts[new]
        else:
            timeout = self.udp_timeout
        cp.expires = self.clock.now + timeout * SEC

    def _stats_in(self, cp: IpvsConn, length: int) -> None:
        dest = cp.dest
        if dest is None or not dest.available:
            return
        tick = self._tick()
        for s in (dest.stats, dest.service.stats):
            s.catch_up(tick)
            s.inpkts += 1
            s.inbytes += length

    def _stats_out(self, cp: IpvsConn, length: int) -> None:
        dest = cp.dest
        if dest is None or not dest.available:
            return
        tick = self._tick()
        for s in (dest.stats, dest.service.stats):
            s.catch_up(tick)
            s.outpkts += 1
            s.outbytes += length

    # --- datapath: LOCAL_IN ------------------------------------------------------------------------
    def local_in(self, pkt: Pkt, link: Link | None) -> bool:
        """IPVS at LOCAL_IN. True: IPVS took the packet (sent it on, or dropped it)."""
        meta = pkt.meta
        if meta is not None and meta.get("ipvs"):
            return False
        if not self._services and not self._in:
            return False
        data = pkt.data
        l3 = pkt.l3
        if len(data) < l3 + 20:
            return False
        proto = data[l3 + 9]
        if proto not in (PROTO_TCP, PROTO_UDP, PROTO_ICMP):
            return False
        dst = int.from_bytes(data[l3 + 16:l3 + 20], "big")
        if not self.ns.is_local(dst):
            return False  # broadcast, multicast: only PACKET_HOST traffic is balanced
        if (data[l3 + 6] << 8 | data[l3 + 7]) & 0x3FFF:  # a fragment: gather the whole packet first
            whole = self.ns._reassemble(pkt, (data[l3] & 0x0F) * 4)
            if whole is None:
                return True
            pkt.data = data = whole
        self.purge()
        dev = link.name if link is not None else ""
        if proto == PROTO_ICMP:
            return self._in_icmp(pkt, dev)
        ihl = (data[l3] & 0x0F) * 4
        off = l3 + ihl
        if len(data) < off + 8:
            return False
        src = int.from_bytes(data[l3 + 12:l3 + 16], "big")
        sport, dport = struct.unpack_from("!HH", data, off)
        tflags = data[off + 13] if proto == PROTO_TCP and len(data) > off + 13 else 0
        # a reply for a client in this namespace (ip_vs_out at LOCAL_IN, just before ip_vs_in)
        cp = self._lookup(self._out, (proto, src, sport, dst, dport))
        if cp is not None and cp.method == MASQ:
            self._handle_response(pkt, cp, dev, tflags)
            return False
        cp = self._lookup(self._in, (proto, src, sport, dst, dport))
        new_syn = proto == PROTO_TCP and tflags & 0x17 == 0x02
        if cp is not None and new_syn and self._sysctl("conn_reuse_mode"):
            resched = False
            if self._sysctl("expire_nodest_conn") and cp.dest is not None and not cp.dest.weight:
                resched = True
            elif cp.template is None and cp.state in (S_TW, S_CL):
                resched = True
            if resched:
                if self._old_conntrack(pkt):
                    self._expire(cp)
                    pkt.hop(self.ns.where, dev, "drop", "IPVS: port reused while the old conntrack entry lives")
                    return True
                cp.nfct = False
                self._expire(cp)
                cp = None
        if cp is not None and cp.dest is not None and not cp.dest.available:
            if self._sysctl("expire_nodest_conn"):
                old_ct = self._old_conntrack(pkt)
                if not old_ct:
                    cp.nfct = False
                self._expire(cp)
                if old_ct:
                    pkt.hop(self.ns.where, dev, "drop", "IPVS: real server removed (expire_nodest_conn)")
                    return True
                cp = None
            else:
                pkt.hop(self.ns.where, dev, "drop", "IPVS: real server removed")
                return True
        new = cp is None
        if cp is None:
            svc = self._service_for(pkt.mark, proto, dst, dport)
            if svc is None:
                return False
            if proto == PROTO_TCP and (not tflags & 0x02 or tflags & 0x04):
                return False  # only a SYN opens a connection; the rest meets the local stack
            cp = self._schedule(svc, pkt, proto, src, sport, dst, dport)
            if cp is None:
                self._icmp_error(pkt, 3, 3, dst)  # ip_vs_leave: port unreachable, even for TCP
                pkt.hop(self.ns.where, dev, "drop", f"IPVS: {svc.label()} {svc.scheduler}: no destination available")
                return True
        total = data[l3 + 2] << 8 | data[l3 + 3]
        self._stats_in(cp, total)
        self._set_state(cp, DIR_INPUT, tflags)
        if cp.template is not None:
            self._touch_template(cp)
        svc = cp.service
        target = f"{int_to_ip(cp.daddr)}:{cp.dport}"
        detail = (f"{svc.label()} {svc.scheduler} -> {target}" if new
                  else f"{svc.label()} -> {target} ({cp.state_name})")
        return self._xmit(pkt, cp, dev, detail)

    def _old_conntrack(self, pkt: Pkt) -> bool:
        conn = pkt.ct
        return isinstance(conn, NfConn) and conn.confirmed

    def _service_for(self, mark: int, proto: int, vaddr: int, vport: int) -> Service | None:
        """ip_vs_service_find: the fwmark table first, then <protocol, address, port>, then port 0."""
        if mark:
            svc = self._services.get((mark, 4, 0, 0, 0))
            if svc is not None:
                return svc
        svc = self._services.get((0, 4, proto, vaddr, vport))
        if svc is None:
            svc = self._services.get((0, 4, proto, vaddr, 0))
        return svc

    def _schedule(self, svc: Service, pkt: Pkt, proto: int, src: int, sport: int, dst: int,
                  dport: int) -> IpvsConn | None:
        template_key = None
        dest = None
        if svc.persistent:
            template_key = (src & svc.netmask, dst if not svc.fwmark else 0,
                            dport if svc.port and not svc.fwmark else 0)
            entry = svc.templates.get(template_key)
            now = self.clock.now
            if entry is not None:
                d, exp = entry
                alive = exp > now or any(c.template == template_key and c.service is svc for c in self._in.values())
                quiescent = not d.weight and self._sysctl("expire_quiescent_template")
                if alive and d.available and not quiescent:
                    dest = d
                else:
                    self._drop_template(svc, template_key)
        elif not svc.fwmark and dport != svc.port:
            return None  # a port-0 service must be persistent
        if dest is None:
            dest = svc.schedule()
            if dest is None:
                return None
        cp = IpvsConn(proto, src, sport, dst, dport, dest, dest.port or dport, pkt.mark,
                      bool(self._sysctl("conntrack")))
        if template_key is not None:
            cp.template = template_key
            if template_key not in svc.templates:
                dest.persistconns += 1  # PersistConn counts templates, not connections
            svc.templates[template_key] = (dest, self.clock.now + svc.timeout * SEC)
        self._bind(cp)
        tick = self._tick()
        for s in (dest.stats, svc.stats):
            s.catch_up(tick)
            s.conns += 1
        return cp

    def _touch_template(self, cp: IpvsConn) -> None:
        svc = cp.service
        key = cp.template
        if key is not None and key in svc.templates and cp.dest is not None:
            svc.templates[key] = (cp.dest, self.clock.now + svc.timeout * SEC)

    # --- transmit (ip_vs_xmit.c) -----------------------------------------------------------------
    def _xmit(self, pkt: Pkt, cp: IpvsConn, dev: str, detail: str) -> bool:
        if cp.method == LOCAL:
            pkt.hop(self.ns.where, dev, "IPVS", detail + " (local)")
            return False
        if cp.method == TUNNEL:
            pkt.hop(self.ns.where, dev, "drop", f"IPVS: {detail}: ipip tunnelling is not modelled")
            return True
        r = self._route(pkt, cp.daddr, dev)
        if r is None:
            return True
        if r.type == "local":  # the real server is an address of this namespace: NAT, then deliver here
            if cp.method == MASQ:
                self._dnat(pkt, cp)
            pkt.hop(self.ns.where, dev, "IPVS", detail)
            return False
        if not self._mtu_ttl_ok(pkt, r, cp.vaddr, dev):
            return True
        if cp.method == MASQ:
            self._dnat(pkt, cp)
        self._mark(pkt, cp)
        if cp.nfct:
            self._alter_conntrack(pkt, cp, outin=True)
        else:
            self._untrack(pkt)
        pkt.hop(self.ns.where, dev, "IPVS", detail)
        dst = cp.daddr if cp.method == MASQ else cp.vaddr
        self._send_out(pkt, r, dst, cp.daddr if cp.method == ROUTE else None)
        return True

    def _route(self, pkt: Pkt, daddr: int, dev: str) -> Route | None:
        r = self.ns.routes.lookup(daddr)
        if r is None or r.type in ("unreachable", "blackhole", "prohibit") or (
                r.type != "local" and r.dev not in self.ns.links):
            pkt.hop(self.ns.where, dev, "drop", f"IPVS: no route to real server {int_to_ip(daddr)}")
            return None
        return r

    def _mtu_ttl_ok(self, pkt: Pkt, r: Route, vaddr: int, dev: str) -> bool:
        """ensure_mtu_is_adequate and decrement_ttl, as __ip_vs_get_out_rt does them."""
        data = pkt.data
        l3 = pkt.l3
        link = self.ns.links[r.dev]
        total = data[l3 + 2] << 8 | data[l3 + 3]
        if data[l3 + 6] & 0x40 and total > link.mtu and data[l3 + 9] != PROTO_ICMP:
            self._icmp_error(pkt, 3, 4, vaddr, mtu=link.mtu)
            pkt.hop(self.ns.where, dev, "drop", f"IPVS: needs fragmentation, mtu {link.mtu}")
            return False
        ttl = data[l3 + 8]
        if ttl <= 1:
            self._icmp_error(pkt, 11, 0, vaddr)
            pkt.hop(self.ns.where, dev, "drop", "IPVS: TTL exceeded")
            return False
        csum = (data[l3 + 10] << 8 | data[l3 + 11]) + 0x0100
        csum = (csum & 0xFFFF) + (csum >> 16)
        pkt.data = (data[:l3 + 8] + bytes((ttl - 1,)) + data[l3 + 9:l3 + 10] + csum.to_bytes(2, "big")
                    + data[l3 + 12:])
        return True

    def _dnat(self, pkt: Pkt, cp: IpvsConn) -> None:
        """The request's destination becomes the real server (tcp/udp_dnat_handler)."""
        data = pkt.data
        l3 = pkt.l3
        src = int.from_bytes(data[l3 + 12:l3 + 16], "big")
        pkt.data = nat_rewrite(data, l3, src, cp.daddr, -1, cp.dport)

    def _mark(self, pkt: Pkt, cp: IpvsConn) -> None:
        """skb->ipvs_property, plus what `-m ipvs --vaddr/--vport/--vproto` compare."""
        if pkt.meta is None:
            pkt.meta = {}
        pkt.meta["ipvs"] = True
        pkt.meta["ipvs_vaddr"] = cp.vaddr
        pkt.meta["ipvs_vport"] = cp.vport
        pkt.meta["ipvs_vproto"] = cp.proto

    def _alter_conntrack(self, pkt: Pkt, cp: IpvsConn, outin: bool) -> None:
        """ip_vs_update_conntrack: point a new (unconfirmed) entry's reply tuple at the real server."""
        conn = pkt.ct
        nf = self.ns.netfilter
        if not isinstance(conn, NfConn) or nf is None or conn.table is not nf.conntrack:
            return
        if conn.confirmed or cp.method != MASQ or pkt.ct_reply:
            return
        if pkt.meta is not None and pkt.meta.get("ct_related"):
            return
        r = conn.reply
        if outin:  # the reply will come from the real server
            conn.reply = (cp.daddr, cp.dport, r[2], r[3])
        else:  # a reply seen first: the client will talk to the VIP
            conn.reply = (r[0], r[1], cp.vaddr, cp.vport)

    def _untrack(self, pkt: Pkt) -> None:
        """ip_vs_notrack: without vs/conntrack the packet leaves conntrack (and so NAT) alone."""
        pkt.ct = None
        pkt.ct_reply = False
        if pkt.meta is None:
            pkt.meta = {}
        pkt.meta["untracked"] = True

    def _send_out(self, pkt: Pkt, r: Route, dst: int, nexthop: int | None) -> None:
        """NF_HOOK(LOCAL_OUT) then dst_output: OUTPUT, POSTROUTING, ARP, the wire."""
        ns = self.ns
        pkt.out_dev = r.dev
        nf = ns.netfilter
        if nf is not None and nf.active:
            if not nf.hook("OUTPUT", pkt, "", r.dev):
                return
            new_dst = int.from_bytes(pkt.data[pkt.l3 + 16:pkt.l3 + 20], "big")
            if new_dst != dst:
                dst = new_dst
                r = ns.routes.lookup(dst) or r
                nexthop = None
        if nexthop is not None:  # direct routing: the VIP stays, the frame goes to the real server
            r = Route(dst, 32, r.dev, via=nexthop if r.via is None else r.via, scope="link")
        ns._post_route_output(pkt, r, dst, forwarded=True)

    # --- datapath: replies (ip_vs_out at FORWARD) ----------------------------------------------------
    def forward(self, pkt: Pkt, link: Link | None = None) -> bool:
        """IPVS at FORWARD, after the filter chain. True: IPVS dropped the packet."""
        meta = pkt.meta
        if meta is not None and meta.get("ipvs"):
            return False
        if not self._in:
            return False
        data = pkt.data
        l3 = pkt.l3
        if len(data) < l3 + 28:
            return False
        proto = data[l3 + 9]
        dev = link.name if link is not None else ""
        self.purge()
        if proto == PROTO_ICMP:
            self._out_icmp(pkt, dev)
            return False
        if proto not in (PROTO_TCP, PROTO_UDP) or (data[l3 + 6] << 8 | data[l3 + 7]) & 0x1FFF:
            return False
        off = l3 + (data[l3] & 0x0F) * 4
        src = int.from_bytes(data[l3 + 12:l3 + 16], "big")
        dst = int.from_bytes(data[l3 + 16:l3 + 20], "big")
        sport, dport = struct.unpack_from("!HH", data, off)
        cp = self._lookup(self._out, (proto, src, sport, dst, dport))
        if cp is None or cp.method != MASQ:
            return False
        tflags = data[off + 13] if proto == PROTO_TCP and len(data) > off + 13 else 0
        self._handle_response(pkt, cp, dev, tflags)
        return False

    def _handle_response(self, pkt: Pkt, cp: IpvsConn, dev: str, tflags: int) -> None:
        """The real server's reply gets the virtual address and port back as its source."""
        data = pkt.data
        l3 = pkt.l3
        dst = int.from_bytes(data[l3 + 16:l3 + 20], "big")
        before = f"{int_to_ip(cp.daddr)}:{cp.dport}"
        pkt.data = nat_rewrite(data, l3, cp.vaddr, dst, cp.vport, -1)
        total = data[l3 + 2] << 8 | data[l3 + 3]
        self._stats_out(cp, total)
        self._set_state(cp, DIR_OUTPUT, tflags)
        self._mark(pkt, cp)
        if cp.nfct:
            self._alter_conntrack(pkt, cp, outin=False)
        else:
            self._untrack(pkt)
        pkt.hop(self.ns.where, dev, "IPVS", f"reply {before} -> {int_to_ip(cp.vaddr)}:{cp.vport}")

    # --- ICMP errors about IPVS connections ------------------------------------------------------
    @staticmethod
    def _inner(data: bytes, l3: int) -> tuple[int, int, int, int, int, int] | None:
        """(inner offset, proto, src, sport, dst, dport) of the packet quoted by an ICMP error."""
        off = l3 + (data[l3] & 0x0F) * 4
        if data[off] not in (3, 4, 11):
            return None
        inner = off + 8
        if len(data) < inner + 20:
            return None
        iproto = data[inner + 9]
        il4 = inner + (data[inner] & 0x0F) * 4
        if iproto not in (PROTO_TCP, PROTO_UDP) or len(data) < il4 + 4:
            return None
        isrc = int.from_bytes(data[inner + 12:inner + 16], "big")
        idst = int.from_bytes(data[inner + 16:inner + 20], "big")
        isport, idport = struct.unpack_from("!HH", data, il4)
        return inner, iproto, isrc, isport, idst, idport

    def _rewrite_icmp(self, pkt: Pkt, outer_src: int, outer_dst: int, inner: int, isrc: int,
                      isport: int, idst: int, idport: int) -> None:
        data = pkt.data
        l3 = pkt.l3
        buf = bytearray(nat_rewrite(data, inner, isrc, idst, isport, idport))
        off = l3 + (buf[l3] & 0x0F) * 4
        end = min(len(buf), l3 + (buf[l3 + 2] << 8 | buf[l3 + 3]))
        buf[off + 2:off + 4] = b"\x00\x00"
        buf[off + 2:off + 4] = checksum(bytes(buf[off:end])).to_bytes(2, "big")
        pkt.data = nat_rewrite(bytes(buf), l3, outer_src, outer_dst)

    def _in_icmp(self, pkt: Pkt, dev: str) -> bool:
        """An ICMP error from the client's side about a reply: send it on to the real server."""
        found = self._inner(pkt.data, pkt.l3)
        if found is None:
            return False  # echo requests and the like: the namespace answers them itself
        inner, iproto, isrc, isport, idst, idport = found
        cp = self._lookup(self._in, (iproto, idst, idport, isrc, isport))
        if cp is None or cp.dest is None:
            return False
        data = pkt.data
        l3 = pkt.l3
        self._stats_in(cp, data[l3 + 2] << 8 | data[l3 + 3])
        if cp.method != MASQ:
            return self._xmit(pkt, cp, dev, f"{cp.service.label()} icmp error -> {int_to_ip(cp.daddr)}")
        r = self._route(pkt, cp.daddr, dev)
        if r is None:
            return True
        if r.type != "local" and not self._mtu_ttl_ok(pkt, r, cp.vaddr, dev):
            return True
        src = int.from_bytes(pkt.data[l3 + 12:l3 + 16], "big")
        self._rewrite_icmp(pkt, src, cp.daddr, inner, cp.daddr, cp.dport, idst, idport)
        self._mark(pkt, cp)
        if not cp.nfct:
            self._untrack(pkt)
        pkt.hop(self.ns.where, dev, "IPVS", f"icmp error {int_to_ip(cp.vaddr)}:{cp.vport} -> {int_to_ip(cp.daddr)}:{cp.dport}")
        if r.type == "local":
            return False
        self._send_out(pkt, r, cp.daddr, None)
        return True

    def _out_icmp(self, pkt: Pkt, dev: str) -> None:
        """An ICMP error from the real server's side: it must seem to come from the VIP."""
        found = self._inner(pkt.data, pkt.l3)
        if found is None:
            return
        inner, iproto, isrc, isport, idst, idport = found
        cp = self._lookup(self._out, (iproto, idst, idport, isrc, isport))
        if cp is None or cp.method != MASQ:
            return
        data = pkt.data
        l3 = pkt.l3
        dst = int.from_bytes(data[l3 + 16:l3 + 20], "big")
        self._rewrite_icmp(pkt, cp.vaddr, dst, inner, isrc, isport, cp.vaddr, cp.vport)
        self._stats_out(cp, data[l3 + 2] << 8 | data[l3 + 3])
        self._mark(pkt, cp)
        if not cp.nfct:
            self._untrack(pkt)
        pkt.hop(self.ns.where, dev, "IPVS", f"icmp error from {int_to_ip(cp.daddr)} -> from {int_to_ip(cp.vaddr)}")

    def _icmp_error(self, pkt: Pkt, itype: int, code: int, src: int, mtu: int = 0) -> None:
        """icmp_send from IPVS: the error comes from the virtual address the client used."""
        data = pkt.data
        l3 = pkt.l3
        total = data[l3 + 2] << 8 | data[l3 + 3]
        quote = data[l3:l3 + min(total, 576 - 28)]
        body = bytes((itype, code)) + b"\x00\x00" + (mtu.to_bytes(4, "big") if mtu else b"\x00" * 4) + quote
        body = body[:2] + checksum(body).to_bytes(2, "big") + body[4:]
        orig_src = int.from_bytes(data[l3 + 12:l3 + 16], "big")
        self.ns.ip_send(src, orig_src, PROTO_ICMP, body, t=pkt.t + HOP_DELAY, trace=pkt.trace, df=False,
                        tos=0xC0)


def scrub(pkt: Pkt) -> None:
    """What skb_scrub_packet does to IPVS's marks when a packet changes namespace."""
    meta = pkt.meta
    if meta:
        for key in (*_META_KEYS, "untracked"):
            meta.pop(key, None)


__all__ = ["Ipvs", "IpvsError", "Service", "Dest", "IpvsConn", "Stats", "scrub", "MASQ", "ROUTE", "TUNNEL",
           "LOCAL", "SCHEDULERS", "TCP_STATE_NAMES", "VERSION", "CONN_TAB_SIZE", "PERSISTENT_TIMEOUT"]
