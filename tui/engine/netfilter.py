"""Netfilter for one network namespace: iptables tables and rules, connection tracking and NAT.

Packets are real bytes, so matches read the IPv4/L4 headers and NAT rewrites them with
correct checksums. Traversal follows the kernel's hook/priority order, NAT is decided once
per connection and then applied by conntrack, replies are un-NATed from the reply tuple.

The hook runs on every packet, so it is kept cheap: each rule's matches are compiled into a
tuple of small closures when the rule is added, empty chains with ACCEPT policy are skipped,
and ``Netfilter.active`` lets the datapath skip the hooks while nothing is configured.

The ``iptables`` command line (parsing, listings, error texts) lives here too, because
Docker and the shell both drive the same tables through it (``Netfilter.run``). Listings and
messages are byte-for-byte those of iptables-legacy; ``Netfilter.iptables_version`` picks the
release to imitate (1.8.4, Ubuntu 20.04's, by default).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from tui.engine.addr import int_to_ip
from tui.engine.pkt import Pkt

__all__ = [
    "Conn",
    "Conntrack",
    "IptablesError",
    "Netfilter",
    "Rule",
    "nat_rewrite",
    "parse_rule_args",
]

SEC = 1_000_000_000

# --------------------------------------------------------------------------------------------
# Facts: tables, protocol/service names, ICMP types (as iptables and /etc/services know them)
# --------------------------------------------------------------------------------------------

HOOKS = ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING")
_HOOK_BIT = {h: 1 << i for i, h in enumerate(HOOKS)}
TABLES: dict[str, tuple[str, ...]] = {
    "filter": ("INPUT", "FORWARD", "OUTPUT"),
    "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
    "mangle": ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"),
    "raw": ("PREROUTING", "OUTPUT"),
}
_VERDICTS = ("ACCEPT", "DROP", "RETURN", "QUEUE")

# iptables' own short list (xtables_chain_protos): used before /etc/protocols with -n.
_CHAIN_PROTOS = {6: "tcp", 132: "sctp", 17: "udp", 136: "udplite", 1: "icmp", 58: "icmpv6",
                 50: "esp", 51: "ah", 135: "mh", 0: "all"}
_ETC_PROTOCOLS = {
    0: "ip", 1: "icmp", 2: "igmp", 3: "ggp", 4: "ipencap", 5: "st", 6: "tcp", 8: "egp", 9: "igp",
    12: "pup", 17: "udp", 20: "hmp", 22: "xns-idp", 27: "rdp", 29: "iso-tp4", 33: "dccp",
    36: "xtp", 37: "ddp", 38: "idpr-cmtp", 41: "ipv6", 43: "ipv6-route", 44: "ipv6-frag",
    45: "idrp", 46: "rsvp", 47: "gre", 50: "esp", 51: "ah", 57: "skip", 58: "ipv6-icmp",
    59: "ipv6-nonxt", 60: "ipv6-opts", 73: "rspf", 81: "vmtp", 88: "eigrp", 89: "ospf",
    93: "ax.25", 94: "ipip", 97: "etherip", 98: "encap", 103: "pim", 108: "ipcomp", 112: "vrrp",
    115: "l2tp", 124: "isis", 132: "sctp", 133: "fc", 135: "mobility-header", 136: "udplite",
    137: "mpls-in-ip", 138: "manet", 139: "hip", 140: "shim6", 141: "wesp", 142: "rohc",
    143: "ethernet",
}
_PROTO_BY_NAME = {v: k for k, v in _ETC_PROTOCOLS.items()} | {"all": 0, "icmpv6": 58, "mh": 135}

# Debian 12's /etc/services (tcp and udp entries below 10000): "port/protos name|aliases".
_SERVICES_TEXT = (
    "1/t tcpmux;7/tu echo;9/tu discard|sink|null;11/t systat|users;13/tu daytime;15/t netstat;"
    "17/t qotd|quote;19/tu chargen|ttytst|source;20/t ftp-data;21/t ftp;21/u fsp|fspd;22/t ssh;"
    "23/t telnet;25/t smtp|mail;37/tu time|timserver;43/t whois|nicname;49/tu tacacs;"
    "53/tu domain;67/u bootps;68/u bootpc;69/u tftp;70/t gopher;79/t finger;80/t http|www;"
    "88/tu kerberos|kerberos5|krb5|kerberos-sec;102/t iso-tsap|tsap;104/t acr-nema|dicom;"
    "106/t poppassd;110/t pop3|pop-3;111/tu sunrpc|portmapper;"
    "113/t auth|authentication|tap|ident;119/t nntp|readnews|untp;123/u ntp;"
    "135/t epmap|loc-srv;137/u netbios-ns;138/u netbios-dgm;139/t netbios-ssn;143/t imap2|imap;"
    "161/tu snmp;162/tu snmp-trap|snmptrap;163/tu cmip-man;164/tu cmip-agent;174/t mailq;"
    "177/u xdmcp;179/t bgp;199/t smux;209/t qmtp;210/t z3950|wais;213/u ipx;319/u ptp-event;"
    "320/u ptp-general;345/t pawserv;346/t zserv;369/tu rpc2portmap;370/tu codaauth2;"
    "371/u clearcase|Clearcase;389/tu ldap;427/tu svrloc;443/tu https;444/t snpp;"
    "445/t microsoft-ds;464/tu kpasswd;465/t submissions|ssmtp|smtps|urd;487/t saft;"
    "500/u isakmp;512/t exec;512/u biff|comsat;513/t login;513/u who|whod;"
    "514/t shell|cmd|syslog;514/u syslog;515/t printer|spooler;517/u talk;518/u ntalk;"
    "520/u route|router|routed;538/tu gdomap;540/t uucp|uucpd;543/t klogin;544/t kshell|krcmd;"
    "546/u dhcpv6-client;547/u dhcpv6-server;548/t afpovertcp;554/tu rtsp;563/t nntps|snntp;"
    "587/t submission;607/t nqs;623/u asf-rmcp;628/t qmqp;631/t ipp;636/tu ldaps;646/tu ldp;"
    "655/tu tinc;706/t silc;749/t kerberos-adm;750/ut kerberos4|kerberos-iv|kdc;"
    "751/u kerberos-master|kerberos_master;751/t kerberos-master;"
    "752/u passwd-server|passwd_server;754/t krb-prop|krb_prop|krb5_prop|hprop;"
    "775/t moira-db|moira_db;777/t moira-update|moira_update;779/u moira-ureg|moira_ureg;"
    "783/t spamd;853/tu domain-s;871/t supfilesrv;873/t rsync;989/t ftps-data;990/t ftps;"
    "992/t telnets;993/t imaps;995/t pop3s;1080/t socks;1093/t proofd;1094/t rootd;"
    "1099/t rmiregistry;1127/t supfiledbg;1178/t skkserv;1194/tu openvpn;1210/u predict;"
    "1236/t rmtcfg;1313/t xtel;1314/t xtelw;1352/t lotusnote|lotusnotes;1433/t ms-sql-s;"
    "1434/u ms-sql-m;1524/t ingreslock;1645/tu datametrics|old-radius;"
    "1646/tu sa-msg-port|old-radacct;1649/t kermit;1677/t groupwise;1701/u l2f|l2tp;"
    "1812/tu radius;1813/tu radius-acct|radacct;2000/t cisco-sccp;2049/tu nfs;2086/tu gnunet;"
    "2101/tu rtcm-sc104;2102/u zephyr-srv;2103/u zephyr-clt;2104/u zephyr-hm;"
    "2119/t gsigatekeeper;2121/t iprop;2135/t gris;2401/t cvspserver;2430/tu venus;"
    "2431/tu venus-se;2432/tu codasrv;2433/tu codasrv-se;2583/tu mon;2600/t zebrasrv;"
    "2601/t zebra;2602/t ripd;2603/t ripngd;2604/t ospfd;2605/t bgpd;2606/t ospf6d;"
    "2607/t ospfapi;2608/t isisd;2628/t dict;2792/t f5-globalsite;2811/t gsiftp;2947/t gpsd;"
    "3050/t gds-db|gds_db;3130/u icpv2|icp;3205/tu isns;3260/t iscsi-target;3306/t mysql;"
    "3389/t ms-wbt-server;3493/tu nut;3632/t distcc;3689/t daap;3690/t svn|subversion;"
    "4031/t suucp;4094/t sysrqd;4190/t sieve;4353/t f5-iquery;4369/t epmd;4373/t remctl;"
    "4460/t ntske;4500/u ipsec-nat-t;4557/t fax;4559/t hylafax;4569/u iax;4691/t mtn;"
    "4899/t radmin-port;4949/t munin|lrrd;5060/tu sip;5061/tu sip-tls;"
    "5222/t xmpp-client|jabber-client;5269/t xmpp-server|jabber-server;5308/t cfengine;"
    "5353/u mdns;5432/t postgresql|postgres;5555/u rplay;5556/t freeciv|rptp;5666/t nrpe;"
    "5667/t nsca;5671/t amqps;5672/t amqp;5680/t canna;6000/t x11|x11-0;6001/t x11-1;"
    "6002/t x11-2;6003/t x11-3;6004/t x11-4;6005/t x11-5;6006/t x11-6;6007/t x11-7;"
    "6346/tu gnutella-svc;6347/tu gnutella-rtr;6379/t redis;6444/t sge-qmaster|sge_qmaster;"
    "6445/t sge-execd|sge_execd;6446/t mysql-proxy;6514/t syslog-tls;"
    "6566/t sane-port|sane|saned;6667/t ircd;6696/u babel;6697/t ircs-u;7000/t bbs;"
    "7000/u afs3-fileserver;7001/u afs3-callback;7002/u afs3-prserver;7003/u afs3-vlserver;"
    "7004/u afs3-kaserver;7005/u afs3-volser;7007/u afs3-bos;7008/u afs3-update;"
    "7009/u afs3-rmtsys;7100/t font-service|xfs;8021/t zope-ftp;8080/t http-alt|webcache;"
    "8081/t tproxy;8088/t omniorb;8140/t puppet;8990/t clc-build-daemon;9098/t xinetd;"
    "9101/t bacula-dir;9102/t bacula-fd;9103/t bacula-sd;9418/t git;9667/t xmms2;9673/t zope"
)
_SERV_BY_PORT: dict[tuple[int, str], str] = {}
_SERV_BY_NAME: dict[tuple[str, str], int] = {}
for _item in _SERVICES_TEXT.split(";"):
    _pp, _names = _item.split(" ")
    _port_s, _protos = _pp.split("/")
    for _p in _protos:
        _proto_name = "tcp" if _p == "t" else "udp"
        _SERV_BY_PORT.setdefault((int(_port_s), _proto_name), _names.split("|")[0])
        for _name in _names.split("|"):
            _SERV_BY_NAME.setdefault((_name, _proto_name), int(_port_s))

# (name, type, code_min, code_max) in iptables' order; 255 stands for "any".
_ICMP_TYPES: tuple[tuple[str, int, int, int], ...] = (
    ("any", 255, 0, 255), ("echo-reply", 0, 0, 255), ("destination-unreachable", 3, 0, 255),
    ("network-unreachable", 3, 0, 0), ("host-unreachable", 3, 1, 1),
    ("protocol-unreachable", 3, 2, 2), ("port-unreachable", 3, 3, 3),
    ("fragmentation-needed", 3, 4, 4), ("source-route-failed", 3, 5, 5),
    ("network-unknown", 3, 6, 6), ("host-unknown", 3, 7, 7), ("network-prohibited", 3, 9, 9),
    ("host-prohibited", 3, 10, 10), ("TOS-network-unreachable", 3, 11, 11),
    ("TOS-host-unreachable", 3, 12, 12), ("communication-prohibited", 3, 13, 13),
    ("host-precedence-violation", 3, 14, 14), ("precedence-cutoff", 3, 15, 15),
    ("source-quench", 4, 0, 255), ("redirect", 5, 0, 255), ("network-redirect", 5, 0, 0),
    ("host-redirect", 5, 1, 1), ("TOS-network-redirect", 5, 2, 2),
    ("TOS-host-redirect", 5, 3, 3), ("echo-request", 8, 0, 255),
    ("router-advertisement", 9, 0, 255), ("router-solicitation", 10, 0, 255),
    ("time-exceeded", 11, 0, 255), ("ttl-zero-during-transit", 11, 0, 0),
    ("ttl-zero-during-reassembly", 11, 1, 1), ("parameter-problem", 12, 0, 255),
    ("ip-header-bad", 12, 0, 0), ("required-option-missing", 12, 1, 1),
    ("timestamp-request", 13, 0, 255), ("timestamp-reply", 14, 0, 255),
    ("address-mask-request", 17, 0, 255), ("address-mask-reply", 18, 0, 255),
)
_ICMP_ALIASES = (("pong", 0, 0, 255), ("ping", 8, 0, 255), ("ttl-exceeded", 11, 0, 255))
_ICMP_ERRORS = frozenset((3, 4, 5, 11, 12))

# REJECT --reject-with: canonical name, alias, (icmp type, code) or None for tcp-reset.
_REJECT_TYPES: tuple[tuple[str, str, tuple[int, int] | None], ...] = (
    ("icmp-net-unreachable", "net-unreach", (3, 0)),
    ("icmp-host-unreachable", "host-unreach", (3, 1)),
    ("icmp-port-unreachable", "port-unreach", (3, 3)),
    ("icmp-proto-unreachable", "proto-unreach", (3, 2)),
    ("icmp-net-prohibited", "net-prohib", (3, 9)),
    ("icmp-host-prohibited", "host-prohib", (3, 10)),
    ("tcp-reset", "tcp-rst", None),
    ("icmp-admin-prohibited", "admin-prohib", (3, 13)),
)

_ADDRTYPES = ("UNSPEC", "UNICAST", "LOCAL", "BROADCAST", "ANYCAST", "MULTICAST", "BLACKHOLE",
              "UNREACHABLE", "PROHIBIT", "THROW", "NAT", "XRESOLVE")

# Conntrack state bits as the conntrack/state matches see them, in iptables' print order.
ST_INVALID, ST_NEW, ST_RELATED, ST_ESTABLISHED, ST_UNTRACKED, ST_SNAT, ST_DNAT = (
    1, 2, 4, 8, 16, 32, 64)
_STATE_NAMES = (("INVALID", ST_INVALID), ("NEW", ST_NEW), ("RELATED", ST_RELATED),
                ("ESTABLISHED", ST_ESTABLISHED), ("UNTRACKED", ST_UNTRACKED),
                ("SNAT", ST_SNAT), ("DNAT", ST_DNAT))

_LOG_LEVEL_PARSE = {"alert": 1, "crit": 2, "debug": 7, "emerg": 0, "error": 3, "info": 6,
                    "notice": 5, "panic": 0, "warning": 4}
_LOG_LEVEL_PRINT = ("emerg", "alert", "crit", "err", "warn", "notice", "info", "debug")
_LOG_FLAGS = (("tcp-sequence", 1), ("tcp-options", 2), ("ip-options", 4), ("uid", 8),
              ("macdecode", 0x20))

_TCP_FLAGS = (("FIN", 0x01), ("SYN", 0x02), ("RST", 0x04), ("PSH", 0x08), ("ACK", 0x10),
              ("URG", 0x20))
_TCP_FLAG_PARSE = dict(_TCP_FLAGS) | {"ALL": 0x3F, "NONE": 0}

# Target names iptables would find as extensions, so a chain may not take them.
_KNOWN_TARGET_NAMES = frozenset((
    "ACCEPT", "DROP", "QUEUE", "RETURN", "AUDIT", "CHECKSUM", "CLASSIFY", "CLUSTERIP",
    "CONNMARK", "CONNSECMARK", "CT", "DNAT", "DNPT", "DSCP", "ECN", "HL", "HMARK", "IDLETIMER",
    "LED", "LOG", "MARK", "MASQUERADE", "NETMAP", "NFLOG", "NFQUEUE", "NOTRACK", "RATEEST",
    "REDIRECT", "REJECT", "SECMARK", "SET", "SNAT", "SNPT", "SYNPROXY", "TCPMSS",
    "TCPOPTSTRIP", "TEE", "TOS", "TPROXY", "TRACE", "TTL", "ULOG",
))

# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class IptablesError(Exception):
    """A failed iptables command: ``message`` is what iptables prints on stderr, ``status`` its exit code."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class _ParamError(Exception):
    """Bad command line (exit 2), printed with the program/version prefix and the help hint.

    ``old_newline``: the message ended in an extra newline before iptables 1.8.9.
    """

    def __init__(self, message: str, old_newline: bool = False) -> None:
        super().__init__(message)
        self.old_newline = old_newline


class _BadArgument(Exception):
    """Stray word on the command line: printed without the prefix."""


class _KernelError(Exception):
    """libiptc/kernel refusal (exit 1): printed as ``iptables: <text>.``"""


class _TableError(Exception):
    """Unknown table (exit 3)."""


_E_NOENT = "No chain/target/match by that name."
_E_BADRULE = "Bad rule (does a matching rule exist in that chain?)."
_E_INVAL = "Invalid argument. Run `dmesg' for more information."
_E_LOOP = "Too many levels of symbolic links."

# --------------------------------------------------------------------------------------------
# Packet view and header rewriting
# --------------------------------------------------------------------------------------------

_IPH = struct.Struct("!BBHHHBBHII")
_PORTS = struct.Struct("!HH")
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")


class _Ctx:
    """What the matches look at for one packet at one hook (parsed once, updated on NAT)."""

    __slots__ = ("pkt", "hook", "in_dev", "out_dev", "src", "dst", "proto", "frag", "sport",
                 "dport", "itype", "icode", "tflags", "length", "l4", "ns")

    def __init__(self) -> None:
        self.sport = -1
        self.dport = -1
        self.itype = -1
        self.icode = -1
        self.tflags = 0


def _parse_ctx(pkt: Pkt, hook: str, in_dev: str, out_dev: str, ns: Any) -> _Ctx | None:
    data = pkt.data
    off = pkt.l3
    if len(data) < off + 20:
        return None
    vihl, _tos, tot, _id, frag, _ttl, proto, _sum, src, dst = _IPH.unpack_from(data, off)
    if vihl >> 4 != 4:
        return None
    c = _Ctx()
    c.pkt = pkt
    c.hook = hook
    c.in_dev = in_dev
    c.out_dev = out_dev
    c.ns = ns
    c.src = src
    c.dst = dst
    c.proto = proto
    c.length = tot
    l4 = off + ((vihl & 15) << 2)
    c.l4 = l4
    c.frag = (frag & 0x1FFF) != 0
    if not c.frag:
        if proto == 6 or proto == 17:
            if len(data) >= l4 + 4:
                c.sport, c.dport = _PORTS.unpack_from(data, l4)
            if proto == 6 and len(data) >= l4 + 14:
                c.tflags = data[l4 + 13]
        elif proto == 1 and len(data) >= l4 + 2:
            c.itype = data[l4]
            c.icode = data[l4 + 1]
    return c


def _csum(data: bytes | bytearray) -> int:
    """Internet checksum of ``data`` (RFC 1071)."""
    if len(data) % 2:
        data = bytes(data) + b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def _csum_adjust(csum: int, old: int, new: int) -> int:
    """RFC 1624 incremental update of a checksum when a 32-bit field changes old -> new."""
    s = (~csum & 0xFFFF) + (~(old >> 16) & 0xFFFF) + (~old & 0xFFFF) + (new >> 16) + (new & 0xFFFF)
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def _rewrite_l3l4(buf: bytearray, off: int, src: int, dst: int, sport: int, dport: int) -> None:
    """Set addresses/ports of the IPv4 packet at ``off`` in place, keeping every checksum right.

    Ports of ICMP echo mean the identifier (``sport``). A negative port leaves it alone.
    """
    ihl = (buf[off] & 15) << 2
    proto = buf[off + 9]
    old_src, old_dst = _U32.unpack_from(buf, off + 12)[0], _U32.unpack_from(buf, off + 16)[0]
    ipsum = _U16.unpack_from(buf, off + 10)[0]
    ipsum = _csum_adjust(ipsum, old_src, src)
    ipsum = _csum_adjust(ipsum, old_dst, dst)
    _U32.pack_into(buf, off + 12, src)
    _U32.pack_into(buf, off + 16, dst)
    _U16.pack_into(buf, off + 10, ipsum)
    if _U16.unpack_from(buf, off + 6)[0] & 0x1FFF:
        return  # not the first fragment: no transport header here
    l4 = off + ihl
    if proto in (6, 17):
        if len(buf) < l4 + 4:
            return
        osp, odp = _PORTS.unpack_from(buf, l4)
        nsp = osp if sport < 0 else sport
        ndp = odp if dport < 0 else dport
        _PORTS.pack_into(buf, l4, nsp, ndp)
        coff = l4 + (16 if proto == 6 else 6)
        if len(buf) < coff + 2:
            return
        cs = _U16.unpack_from(buf, coff)[0]
        if proto == 17 and cs == 0:
            return  # UDP without checksum stays without
        cs = _csum_adjust(cs, old_src, src)
        cs = _csum_adjust(cs, old_dst, dst)
        cs = _csum_adjust(cs, (osp << 16) | odp, (nsp << 16) | ndp)
        if proto == 17 and cs == 0:
            cs = 0xFFFF
        _U16.pack_into(buf, coff, cs)
    elif proto == 1 and sport >= 0 and len(buf) >= l4 + 8 and buf[l4] in (0, 8, 13, 14):
        old_id = _U16.unpack_from(buf, l4 + 4)[0]
        if old_id != sport:
            cs = _csum_adjust(_U16.unpack_from(buf, l4 + 2)[0], old_id, sport)
            _U16.pack_into(buf, l4 + 4, sport)
            _U16.pack_into(buf, l4 + 2, cs)


def nat_rewrite(frame: bytes, off: int, src: int, dst: int, sport: int = -1,
                dport: int = -1) -> bytes:
    """Return ``frame`` with the IPv4 packet at ``off`` readdressed, checksums updated."""
    buf = bytearray(frame)
    _rewrite_l3l4(buf, off, src, dst, sport, dport)
    return bytes(buf)


def _endpoint(addr: int, port: int, proto: int) -> str:
    return f"{int_to_ip(addr)}:{port}" if proto in (6, 17) else int_to_ip(addr)


# --------------------------------------------------------------------------------------------
# Connection tracking
# --------------------------------------------------------------------------------------------

S_SEEN_REPLY, S_ASSURED, S_CONFIRMED = 1, 2, 4
S_SRC_NAT, S_DST_NAT, S_SRC_NAT_DONE, S_DST_NAT_DONE = 8, 16, 32, 64

_TCP_TIMEOUTS = {"SYN_SENT": 120, "SYN_RECV": 60, "ESTABLISHED": 432000, "FIN_WAIT": 120,
                 "CLOSE_WAIT": 60, "LAST_ACK": 30, "TIME_WAIT": 120, "CLOSE": 10}
_PROTO_LABEL = {6: "tcp", 17: "udp", 1: "icmp"}

Tuple = tuple[int, int, int, int]  # (src, sport, dst, dport); ICMP: (src, id, dst, 0)


def _invert(proto: int, t: Tuple) -> Tuple:
    if proto == 1:
        return (t[2], t[1], t[0], 0)
    return (t[2], t[3], t[0], t[1])


class Conn:
    """One tracked connection: the original tuple, the expected reply tuple, state and NAT."""

    __slots__ = ("table", "proto", "orig", "reply", "status", "state", "expires", "mark", "id",
                 "fin_dir", "dnat_kind", "snat_kind", "packets", "bytes")

    def __init__(self, table: Conntrack, proto: int, orig: Tuple) -> None:
        self.table = table
        self.proto = proto
        self.orig = orig
        self.reply = _invert(proto, orig)
        self.status = 0
        self.state = ""
        self.expires = 0
        self.mark = 0
        self.id = 0
        self.fin_dir = False
        self.dnat_kind = "DNAT"
        self.snat_kind = "SNAT"
        self.packets = [0, 0]
        self.bytes = [0, 0]

    @property
    def confirmed(self) -> bool:
        return bool(self.status & S_CONFIRMED)

    @property
    def seen_reply(self) -> bool:
        return bool(self.status & S_SEEN_REPLY)

    @property
    def assured(self) -> bool:
        return bool(self.status & S_ASSURED)

    def timeout_left(self, now: int) -> int:
        """Seconds until expiry, as ``conntrack -L`` shows them."""
        return max(0, (self.expires - now) // SEC)

    def line(self, now: int) -> str:
        """The entry the way ``conntrack -L`` prints it."""
        label = _PROTO_LABEL.get(self.proto, "unknown")
        parts = [f"{label:<8} {self.proto} {self.timeout_left(now)}"]
        if self.proto == 6:
            parts.append(self.state)

        def tup(t: Tuple, icmp_type: int) -> str:
            s = f"src={int_to_ip(t[0])} dst={int_to_ip(t[2])}"
            if self.proto in (6, 17):
                s += f" sport={t[1]} dport={t[3]}"
            elif self.proto == 1:
                s += f" type={icmp_type} code=0 id={t[1]}"
            return s

        parts.append(tup(self.orig, 8))
        if not self.seen_reply:
            parts.append("[UNREPLIED]")
        parts.append(tup(self.reply, 0))
        if self.assured:
            parts.append("[ASSURED]")
        parts.append(f"mark={self.mark} use=1")
        return " ".join(parts)


class Conntrack:
    """The namespace's conntrack table: both tuples of every confirmed connection, expiring lazily."""

    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.table: dict[tuple[int, int, int, int, int], tuple[Conn, bool]] = {}
        self.nat_count = 0
        self._next_id = 1
        self._next_purge = 0
        # Unconfirmed connections a REJECT answered, so the reset/ICMP error finds them.
        self.rejected: dict[tuple[int, int, int, int, int], tuple[Conn, int]] = {}

    def __len__(self) -> int:
        return sum(1 for c, reply in self.table.values() if not reply)

    def lookup(self, key: tuple[int, int, int, int, int]) -> tuple[Conn, bool] | None:
        entry = self.table.get(key)
        if entry is not None and entry[0].expires <= self.clock.now:
            self.remove(entry[0])
            return None
        return entry

    def confirm(self, conn: Conn) -> None:
        if conn.status & S_CONFIRMED:
            return
        conn.status |= S_CONFIRMED
        conn.id = self._next_id
        self._next_id += 1
        p = conn.proto
        for key in ((p, *conn.orig), (p, *conn.reply)):
            old = self.table.get(key)
            if old is not None:
                self.remove(old[0])
        self.table[(p, *conn.orig)] = (conn, False)
        self.table[(p, *conn.reply)] = (conn, True)
        if conn.status & (S_SRC_NAT | S_DST_NAT):
            self.nat_count += 1

    def remove(self, conn: Conn) -> None:
        p = conn.proto
        removed = False
        for key, reply in (((p, *conn.orig), False), ((p, *conn.reply), True)):
            entry = self.table.get(key)
            if entry is not None and entry[0] is conn:
                del self.table[key]
                removed = removed or not reply
        if removed and conn.status & (S_SRC_NAT | S_DST_NAT):
            self.nat_count -= 1

    def purge(self, force: bool = False) -> None:
        """Drop expired entries (at most once per virtual second unless forced)."""
        now = self.clock.now
        if not force and now < self._next_purge:
            return
        self._next_purge = now + SEC
        for conn in {c for c, _ in self.table.values() if c.expires <= now}:
            self.remove(conn)
        for key in [k for k, (_, exp) in self.rejected.items() if exp <= now]:
            del self.rejected[key]

    def entries(self) -> list[Conn]:
        """Live connections, oldest first (what ``conntrack -L`` lists)."""
        self.purge(force=True)
        seen: dict[int, Conn] = {}
        for conn, _reply in self.table.values():
            seen.setdefault(id(conn), conn)
        return sorted(seen.values(), key=lambda c: c.id)

    def flush(self) -> None:
        self.table.clear()
        self.rejected.clear()
        self.nat_count = 0


# --------------------------------------------------------------------------------------------
# Small formatting/parsing helpers shared by matches, targets and listings
# --------------------------------------------------------------------------------------------


def _mask_to_cidr(mask: int) -> int:
    inv = ~mask & 0xFFFFFFFF
    if inv & (inv + 1):
        return -1
    return 32 - inv.bit_length()


def _mask_suffix(mask: int) -> str:
    """iptables' mask text: nothing for /32, /N for CIDR masks, dotted otherwise."""
    if mask == 0xFFFFFFFF:
        return ""
    n = _mask_to_cidr(mask)
    return f"/{n}" if n >= 0 else f"/{int_to_ip(mask)}"


def _save_mask(mask: int) -> str:
    n = _mask_to_cidr(mask)
    return f"/{n}" if n >= 0 else f"/{int_to_ip(mask)}"


def _parse_dotted(text: str) -> int | None:
    parts = text.split(".")
    if not 1 <= len(parts) <= 4 or not all(p.isdigit() and len(p) <= 3 for p in parts):
        return None
    vals = [int(p) for p in parts]
    if any(v > 255 for v in vals):
        return None
    vals += [0] * (4 - len(vals))
    return (vals[0] << 24) | (vals[1] << 16) | (vals[2] << 8) | vals[3]


def _parse_hostmask(text: str) -> list[tuple[int, int]]:
    """``addr[/mask][,addr...]`` as (address & mask, mask) pairs, iptables' way."""
    out = []
    for item in text.split(","):
        addr_s, slash, mask_s = item.partition("/")
        mask = 0xFFFFFFFF
        if slash:
            if "." in mask_s:
                m = _parse_dotted(mask_s)
                if m is None:
                    raise _ParamError(f"invalid mask `{mask_s}' specified")
                mask = m
            else:
                if not mask_s.isdigit() or int(mask_s) > 32:
                    raise _ParamError(f"invalid mask `{mask_s}' specified")
                bits = int(mask_s)
                mask = (0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF if bits else 0
        if addr_s == "localhost":
            addr: int | None = 0x7F000001
        else:
            addr = _parse_dotted(addr_s) if addr_s.count(".") == 3 or slash else None
        if addr is None:
            raise _ParamError(f"host/network `{addr_s}' not found")
        out.append((addr & mask, mask))
    return out


# What /etc/hosts and /etc/networks name on a stock Debian/Ubuntu host (for -L without -n).
_HOST_NAMES = {0x7F000001: "localhost"}
_NET_NAMES = {0: "default", 0x7F000000: "loopback", 0xA9FE0000: "link-local"}


def _addr_text(addr: int, mask: int, numeric: bool) -> str:
    if numeric:
        return int_to_ip(addr) + _mask_suffix(mask)
    if mask == 0:
        return "anywhere"
    name = _HOST_NAMES.get(addr) or _NET_NAMES.get(addr) or int_to_ip(addr)
    return name + _mask_suffix(mask)


def _proto_name(proto: int) -> str | None:
    """getprotobynumber() first, then iptables' list (how -S and -L without -n name protocols)."""
    if proto:
        name = _ETC_PROTOCOLS.get(proto)
        if name:
            return name
    return _CHAIN_PROTOS.get(proto)


def _port_name(port: int, proto: str, numeric: bool) -> str:
    if not numeric:
        name = _SERV_BY_PORT.get((port, proto))
        if name:
            return name
    return str(port)


def _service_port(name: str, proto: str) -> int | None:
    """getservbyname(); proto "" looks in any protocol (tcp first), as getaddrinfo() does."""
    if proto:
        return _SERV_BY_NAME.get((name, proto))
    port = _SERV_BY_NAME.get((name, "tcp"))
    return port if port is not None else _SERV_BY_NAME.get((name, "udp"))


def _parse_port(text: str, proto: str) -> int:
    """A port number or service name; the tcp match and multiport look names up per protocol,
    the udp match (and NAT ranges) in any protocol."""
    if text.isdigit():
        v = int(text)
        if v <= 65535:
            return v
    else:
        v2 = _service_port(text, proto)
        if v2 is not None:
            return v2
    raise _ParamError(f"invalid port/service `{text}' specified")


def _parse_port_range(text: str, proto: str) -> tuple[int, int]:
    lo_s, colon, hi_s = text.partition(":")
    lo = _parse_port(lo_s, proto) if lo_s else 0
    hi = (_parse_port(hi_s, proto) if hi_s else 65535) if colon else lo
    if lo > hi:
        raise _ParamError("invalid portrange (min > max)")
    return lo, hi


def _parse_u32(text: str) -> int | None:
    try:
        v = int(text, 0)
    except ValueError:
        try:
            v = int(text, 16) if text.lower().startswith("0x") else int(text, 10)
        except ValueError:
            return None
    return v if 0 <= v <= 0xFFFFFFFF else None


def _save_string(value: str) -> str:
    """xtables' quoting for -S: bare when only [A-Za-z0-9_-], else double-quoted with escapes."""
    ok = value and all(ch.isascii() and (ch.isalnum() or ch in "_-") for ch in value)
    if ok:
        return " " + value
    escaped = "".join("\\" + ch if ch in "\"\\'" else ch for ch in value)
    return f' "{escaped}"'


Pred = Callable[[_Ctx], bool]

# --------------------------------------------------------------------------------------------
# Match extensions
# --------------------------------------------------------------------------------------------


class Match:
    """A ``-m`` extension: parses its options, prints itself for -L/-S, compiles a predicate."""

    name = ""
    # option (as typed after --) -> (canonical name, takes an argument, may be inverted)
    options: dict[str, tuple[str, bool, bool]] = {}

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def parse(self, opt: str, arg: str | None, inv: bool, rule: Rule) -> None:
        raise NotImplementedError

    def final_check(self, rule: Rule) -> None:
        """Raise _ParamError when required options are missing (iptables' x6_fcheck)."""

    def kernel_ok(self, rule: Rule) -> bool:
        """False where the kernel would refuse the rule with EINVAL."""
        return True

    def forbidden_hooks(self) -> int:
        """Hook bits the kernel's checkentry refuses this match in (EINVAL)."""
        return 0

    def listing(self, numeric: bool) -> str:
        return ""

    def save(self) -> str:
        return ""

    def compile(self) -> Pred:
        return lambda c: True

    def _once(self, canon: str) -> None:
        if canon in self.seen:
            raise _ParamError(f'{self.name}: option "--{canon}" can only be used once.\n')
        self.seen.add(canon)


class _PortsMatch(Match):
    """tcp/udp port matching shared part."""

    def __init__(self) -> None:
        super().__init__()
        self.spts = (0, 65535)
        self.dpts = (0, 65535)
        self.inv_s = False
        self.inv_d = False

    def kernel_ok(self, rule: Rule) -> bool:
        return rule.proto == self.proto_num and not rule.inv_proto

    proto_num = 0

    def _ports_listing(self, numeric: bool) -> str:
        out = ""
        for label, (lo, hi), inv in (("spt", self.spts, self.inv_s), ("dpt", self.dpts, self.inv_d)):
            if lo == 0 and hi == 65535 and not inv:
                continue
            bang = "!" if inv else ""
            if lo == hi:
                out += f" {label}:{bang}{_port_name(lo, self.name, numeric)}"
            else:
                out += (f" {label}s:{bang}{_port_name(lo, self.name, numeric)}"
                        f":{_port_name(hi, self.name, numeric)}")
        return out

    def _ports_save(self) -> str:
        out = ""
        for opt, (lo, hi), inv in (("sport", self.spts, self.inv_s), ("dport", self.dpts, self.inv_d)):
            if lo == 0 and hi == 65535 and not inv:
                continue
            out += (" !" if inv else "") + f" --{opt} " + (str(lo) if lo == hi else f"{lo}:{hi}")
        return out

    def _ports_preds(self) -> list[Pred]:
        preds: list[Pred] = []
        for attr, (lo, hi), inv in (("sport", self.spts, self.inv_s), ("dport", self.dpts, self.inv_d)):
            if lo == 0 and hi == 65535 and not inv:
                continue
            if attr == "sport":
                if inv:
                    preds.append(lambda c, lo=lo, hi=hi: c.sport >= 0 and not lo <= c.sport <= hi)
                else:
                    preds.append(lambda c, lo=lo, hi=hi: lo <= c.sport <= hi)
            else:
                if inv:
                    preds.append(lambda c, lo=lo, hi=hi: c.dport >= 0 and not lo <= c.dport <= hi)
                else:
                    preds.append(lambda c, lo=lo, hi=hi: lo <= c.dport <= hi)
        return preds

    def _parse_ports(self, canon: str, arg: str, inv: bool) -> None:
        if canon in self.seen:
            raise _ParamError(f'{self.name}: option "--{canon}" can only be used once.\n')
        self.seen.add(canon)
        rng = _parse_port_range(arg, "tcp" if self.name == "tcp" else "")
        if canon == "source-port":
            self.spts, self.inv_s = rng, inv
        else:
            self.dpts, self.inv_d = rng, inv


def _all(preds: list[Pred]) -> Pred:
    if not preds:
        return lambda c: True
    if len(preds) == 1:
        return preds[0]
    tup = tuple(preds)

    def pred(c: _Ctx) -> bool:
        for p in tup:
            if not p(c):
                return False
        return True

    return pred


class TcpMatch(_PortsMatch):
    name = "tcp"
    proto_num = 6
    options = {
        "source-port": ("source-port", True, True), "sport": ("source-port", True, True),
        "destination-port": ("destination-port", True, True),
        "dport": ("destination-port", True, True),
        "tcp-flags": ("tcp-flags", True, True), "syn": ("syn", False, True),
    }

    def __init__(self) -> None:
        super().__init__()
        self.fmask = 0
        self.fcmp = 0
        self.inv_f = False

    def parse(self, opt: str, arg: str | None, inv: bool, rule: Rule) -> None:
        if opt in ("source-port", "destination-port"):
            if opt in self.seen:
                which = "--source-port" if opt == "source-port" else "--destination-port"
                raise _ParamError(f"Only one `{which}' allowed")
            self._parse_ports(opt, arg or "", inv)
            return
        if "flags" in self.seen:
            raise _ParamError("Only one of `--syn' or `--tcp-flags'  allowed")
        self.seen.add("flags")
        if opt == "syn":
            self.fmask, self.fcmp = 0x17, 0x02
        else:
            assert arg is not None
            nxt = rule.take_extra()
            if nxt is None:
                raise _ParamError("--tcp-flags requires two args.")
            self.fmask = self._flags(arg)
            self.fcmp = self._flags(nxt)
        self.inv_f = inv

    @staticmethod
    def _flags(text: str) -> int:
        v = 0
        for part in text.split(","):
            f = _TCP_FLAG_PARSE.get(part.upper())
            if f is None:
                raise _ParamError(f"Unknown TCP flag `{part}'")
            v |= f
        return v

    @staticmethod
    def _flag_names(v: int) -> str:
        if v == 0:
            return "NONE"
        return ",".join(n for n, b in _TCP_FLAGS if v & b)

    def listing(self, numeric: bool) -> str:
        out = " tcp" + self._ports_listing(numeric)
        if self.fmask or self.inv_f:
            bang = "!" if self.inv_f else ""
            if numeric:
                out += f" flags:{bang}0x{self.fmask:02X}/0x{self.fcmp:02X}"
            else:
                out += f" flags:{bang}{self._flag_names(self.fmask)}/{self._flag_names(self.fcmp)}"
        return out

    def save(self) -> str:
        out = self._ports_save()
        if self.fmask or self.inv_f:
            out += (" !" if self.inv_f else "") + (
                f" --tcp-flags {self._flag_names(self.fmask)} {self._flag_names(self.fcmp)}")
        return out

    def compile(self) -> Pred:
        preds = [lambda c: c.sport >= 0] + self._ports_preds()
        if self.fmask or self.inv_f:
            m, v, inv = self.fmask, self.fcmp, self.inv_f
            preds.append(lambda c: ((c.tflags & m) == v) != inv)
        return _all(preds)


class UdpMatch(_PortsMatch):
    name = "udp"
    proto_num = 17
    options = {
        "source-port": ("source-port", True, True), "sport": ("source-port", True, True),
        "destination-port": ("destination-port", True, True),
        "dport": ("destination-port", True, True),
    }

    def parse(self, opt: str, arg: str | None, inv: bool, rule: Rule) -> None:
        self._parse_ports(opt, arg or "", inv)

    def listing(self, numeric: bool) -> str:
        return " udp" + self._ports_listing(numeric)

    def save(self) -> str:
        return self._ports_save()

    def compile(self) -> Pred:
        return _all([lambda c: c.sport >= 0] + self._ports_preds())


class IcmpMatch(Match):
    name = "icmp"
    options = {"icmp-type": ("icmp-type", True, True)}

    def __init__(self) -> None:
        super().__init__()
        self.type = 255
        self.cmin = 0
        self.cmax = 255
        self.inv = False

    def kernel_ok(self, rule: Rule) -> bool:
        return rule.proto == 1 and not rule.inv_proto

    def parse(self, opt: str, arg: str | None, inv: bool, rule: Rule) -> None:
        self._once(opt)
        text = arg or ""
        self.inv = inv
        if text[:1].isdigit():
            t_s, slash, c_s = text.partition("/")
            if not t_s.isdigit() or int(t_s) > 255 or (slash and (not c_s.isdigit() or int(c_s) > 255)):
                raise _ParamError(f"Unknown ICMP type `{text}'")
            self.type = int(t_s)
            if slash:
                self.cmin = self.cmax = int(c_s)
            return
        hits = [e for e in _ICMP_TYPES + _ICMP_ALIASES if e[0].lower().startswith(text.lower())]
        exact = [e for e in hits if e[0].lower() == text.lower()]
        if exact:
            hits = exact[:1]
        if not hits:
            raise _ParamError(f"Unknown ICMP type `{text}'")
        if len(hits) > 1:
            raise _ParamError(f"Ambiguous ICMP type `{text}': `{hits[0][0]}' or `{hits[1][0]}'?")
        _n, self.type, self.cmin, self.cmax = hits[0]

    def listing(self, numeric: bool) -> str:
        out = " icmp"
        if not numeric:
            for name, t, lo, hi in _ICMP_TYPES:
                if (t, lo, hi) == (self.type, self.cmin, self.cmax):
                    return f"{out} {'!' if self.inv else ''}{name}"
        if self.inv:
            out += " !"
        out += f"type {self.type}"
        if self.cmin == self.cmax:
            out += f" code {self.cmin}"
        elif self.cmin != 0 or self.cmax != 255:
            out += f" codes {self.cmin}-{self.cmax}"
        return out

    def save(self) -> str:
        out = " !" if self.inv else ""
        if self.type == 255:
            return out + " --icmp-type any"
        out += f" --icmp-type {self.type}"
        if self.cmin != 0 or self.cmax != 255:
            out += f"/{self.cmin}"
        return out

    def compile(self) -> Pred:
        t, lo, hi, inv = self.type, self.cmin, self.cmax, self.inv
        if t == 255:
            return (lambda c: c.itype < 0) if inv else (lambda c: c.itype >= 0)
        return lambda c: c.itype >= 0 and (c.itype == t and lo <= c.icode <= hi) != inv


class MultiportMatch(Match):
    name = "multiport"
    options = {
        "source-ports": ("source-ports", True, True), "sports": ("source-ports", True, True),
        "destination-ports": ("destination-ports", True, True),
        "dports": ("destination-ports", True, True), "ports": ("ports", True, True),
    }

    def __init__(self) -> None:
        super().__init__()
        self.flavour = ""
        self.ports: list[tuple[int, int]] = []
        self.inv = False
        self.pname = "tcp"

    def parse(self, opt: str, arg: str | None, inv: bool, rule: Rule) -> None:
        pname = _CHAIN_PROTOS.get(rule.proto) if not rule.inv_proto else None
        if pname not in ("tcp", "udp", "udplite", "sctp", "dccp"):
            raise _ParamError("multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'")
        if self.flavour:
            raise _ParamError(f'multiport: option "--{opt}" cannot be used together with '
                              f'"--{self.flavour}".\n')
        self.flavour = opt
        self.inv = inv
        self.pname = pname
        slots = 0
        for item in (arg or "").split(","):
            lo, hi = _parse_port_range(item, pname) if ":" in item else (
                (_parse_port(item, pname),) * 2)
            slots += 1 if lo == hi and ":" not in item else 2
            self.ports.append((lo, hi))
        if slots > 15:
            raise _ParamError("too many ports specified")

    def final_check(self, rule: Rule) -> None:
        if not self.flavour:
            raise _ParamError("multiport expects an option")

    def kernel_ok(self, rule: Rule) -> bool:
        return rule.proto in (6, 17, 132, 136, 33) and not rule.inv_proto

    def _items(self, numeric: bool, proto: str) -> str:
        out = []
        for lo, hi in self.ports:
            s = _port_name(lo, proto, numeric)
            if lo != hi:
                s += ":" + _port_name(hi, proto, numeric)
            out.append(s)
        return ",".join(out)

    _short = {"source-ports": "sports", "destination-ports": "dports", "ports": "ports"}

    def listing(self, numeric: bool) -> str:
        return (f" multiport {self._short[self.flavour]} " + (" !" if self.inv else "")
                + self._items(numeric, self.pname))

    def save(self) -> str:
        return (" !" if self.inv else "") + f" --{self._short[self.flavour]} " + self._items(True, "tcp")

    def compile(self) -> Pred:
        ports = tuple(self.ports)
        inv = self.inv
        fl = self.flavour

        def hit(p: int) -> bool:
            for lo, hi in ports:
                if lo <= p <= hi:
                    return True
            return False

        if fl == "source-ports":
            return lambda c: c.sport >= 0 and hit(c.sport) != inv
        if fl == "destination-ports":
            return lambda c: c.dport >= 0 and hit(c.dport) != inv
        return lambda c: c.sport >= 0 and (hit(c.sport) or hit(c.dport)) != inv


class CommentMatch(Match):
    name = "comment"
    options = {"comment": ("comment", True, False)}

    def __init__(self) -> None:
        super().__init__()
        self.text: str | None = None

    def parse(self, opt: str, arg: str | None, inv: bool, rule: Rule) -> None:
        self._once(opt)
        self.text = (arg or "")[:255]  # XT_MAX_COMMENT_LEN - 1

    def final_check(self, rule: Rule) -> None:
        if self.text is None:
            raise _ParamError('comment: option "--comment" must be specified\n')

    def listing(self, numeric: bool) -> str:
        return f" /* {self.text} */"

    def save(self) -> str:
        return " --comment" + _save_string(self.text or "")


class MarkMatch(Match):
    name = "mark"
    options = {"mark": ("mark", True, True)}

    def __init__(self) -> None:
        super().__init__()
        self.value = 0
        self.mask = 0xFFFFFFFF
        self.inv = False
        self.given = False

    def parse(self, opt: str, arg: str | None, inv: bool, rule: Rule) -> None:
        self._once(opt)
        v_s, slash, m_s = (arg or "").partition("/")
        v = _parse_u32(v_s)
        m = _parse_u32(m_s) if slash else 0xFFFFFFFF
        if v is None or m is None:
            raise _ParamError(f'mark: Bad value for "--mark" option: "{arg}"')
        self.value, self.mask, self.inv, self.given = v, m, inv, True

    def final_check(self, rule: Rule) -> None:
        if not self.given:
            raise _ParamError('mark: option "--mark" must be specified\n')

    def _text(self) -> str:
        s = f"0x{self.value:x}"
        if self.mask != 0xFFFFFFFF:
            s += f"/0x{self.mask:x}"
        return s

    def listing(self, numeric: bool) -> str:
        return " mark match" + (" !" if self.inv else "") + " " + self._text()

    def save(self) -> str:
        return (" !" if self.inv else "") + " --mark " + self._text()

    def compile(self) -> Pred:
        v, m, inv = self.value, self.mask, self.inv
        return lambda c: ((c.pkt.mark & m) == v) != inv


class AddrtypeMatch(Match):
    name = "addrtype"
    options = {"src-type": ("src-type", True, True), "dst-type": ("dst-type", True, True),
               "limit-iface-in": ("limit-iface-in", False, False),
               "limit-iface-out": ("limit-iface-out", False, False)}

    def __init__(self) -> None:
        super().__init__()
        self.src: tuple[str, ...] = ()
        self.dst: tuple[str, ...] = ()
        self.inv_src = False
        self.inv_dst = False
        self.limit_in = False
        self.limit_out = False

    def parse(self, opt: str, arg: str | None, inv: bool, rule: Rule) -> None:
        self._once(opt)
        if opt == "limit-iface-in":
            self.limit_in = True
            return
        if opt == "limit-iface-out":
            self.limit_out = True
            return
        names = set()
        for part in (arg or "").split(","):
            up = part.upper()
            if up not in _ADDRTYPES:
                raise _ParamError(f'addrtype: bad type "{part}"')
            names.add(up)
        ordered = tuple(n for n in _ADDRTYPES if n in names)
        if opt == "src-type":
            self.src, self.inv_src = ordered, inv
        else:
            self.dst, self.inv_dst = ordered, inv

    def final_check(self, rule: Rule) -> None:
        if not self.src and not self.dst:
            raise _ParamError("addrtype: you must specify --src-type or --dst-type")
        if self.limit_in and self.limit_out:
            raise _ParamError("addrtype: you can't specify both --limit-iface-in and --limit-iface-out")

    def listing(self, numeric: bool) -> str:
        out = " ADDRTYPE match"
        if self.src:
            out += " src-type " + ("!" if self.inv_src else "") + ",".join(self.src)
        if self.dst:
            out += " dst-type " + ("!" if self.inv_dst else "") + ",".join(self.dst)
        if self.limit_in:
            out += " limit-in"
        if self.limit_out:
            out += " limit-out"
        return out

    def save(self) -> str:
        out = ""
        if self.src:
            out += (" !" if self.inv_src else "") + " --src-type " + ",".join(self.src)
        if self.dst:
            out += (" !" if self.inv_dst else "") + " --dst-type " + ",".join(self.dst)
        if self.limit_in:
            out += " --limit-iface-in"
        if self.limit_out:
            out += " --limit-iface-out"
        return out

    def compile(self) -> Pred:
        preds: list[Pred] = []
        if self.src:
            s, inv = frozenset(self.src), self.inv_src
            preds.append(lambda c: (c.ns.addr_type(c.src) in s) != inv)
        if self.dst:
            d, invd = frozenset(self.dst), self.inv_dst
            preds.append(lambda c: (c.ns.addr_type(c.dst) in d) != invd)
        return _all(preds)


def _ctstate_bits(pkt: Pkt) -> int:
    """The packet's conntrack state bits (ctinfo plus the connection's NAT flags)."""
    conn = pkt.ct
    if conn is None:
        meta = pkt.meta
        if meta is not None and meta.get("untracked"):
            return ST_UNTRACKED
        return ST_INVALID
    assert isinstance(conn, Conn)
    meta = pkt.meta
    if meta is not None and meta.get("ct_related"):
        bits = ST_RELATED
    elif pkt.ct_reply or conn.status & S_SEEN_REPLY:
        bits = ST_ESTABLISHED
    else:
        bits = ST_NEW
    if conn.status & S_SRC_NAT:
        bits |= ST_SNAT
    if conn.status & S_DST_NAT:
        bits |= ST_DNAT
    return bits


class ConntrackMatch(Match):
    name = "conntrack"
    options = {"ctstate": ("ctstate", True, True), "ctproto": ("ctproto", True, True),
               "ctorigsrc": ("ctorigsrc", True, True), "ctorigdst": ("ctorigdst", True, True),
               "ctreplsrc": ("ctreplsrc", True, True), "ctrepldst": ("ctrepldst", True, True)}
    _label = "ctstate"

    def __init__(self) -> None:
        super().__init__()
        self.state = 0
        self.inv_state = False
        self.has_state = False
        self.proto = -1
        self.inv_proto = False
        self.addrs: dict[str, tuple[int, int, bool]] = {}

    def parse(self, opt: str, arg: str | None, inv: bool, rule: Rule) -> None:
        self._once(opt)
        text = arg or ""
        if opt in ("ctstate", "state"):
            bits = 0
            for part in text.split(","):
                for name, bit in _STATE_NAMES:
                    if part.upper() == name and (opt == "ctstate" or bit < ST_SNAT):
                        bits |= bit
                        break
                else:
                    word = "ctstate" if opt == "ctstate" else "state"
                    raise _ParamError(f'Bad {word} "{part}"')
            self.state, self.inv_state, self.has_state = bits, inv, True
        elif opt == "ctproto":
            p = _parse_proto(text)
            self.proto, self.inv_proto = p, inv
        else:
            (addr, mask), = _parse_hostmask(text)[:1]
            self.addrs[opt] = (addr, mask, inv)

    def final_check(self, rule: Rule) -> None:
        if not self.seen:
            raise _ParamError(f"{self.name}: At least one option is required")

    def _states(self) -> str:
        return ",".join(n for n, b in _STATE_NAMES if self.state & b)

    def listing(self, numeric: bool) -> str:
        out = ""
        if self.has_state:
            out += (" !" if self.inv_state else "") + f" {self._label} " + self._states()
        if self.proto >= 0:
            out += (" !" if self.inv_proto else "") + f" ctproto {self.proto}"
        for key in ("ctorigsrc", "ctorigdst", "ctreplsrc", "ctrepldst"):
            if key in self.addrs:
                a, m, inv = self.addrs[key]
                out += (" !" if inv else "") + f" {key} " + _addr_text(a, m, numeric)
        return out

    def save(self) -> str:
        out = ""
        if self.has_state:
            out += (" !" if self.inv_state else "") + f" --{self._label} " + self._states()
        if self.proto >= 0:
            out += (" !" if self.inv_proto else "") + f" --ctproto {self.proto}"
        for key in ("ctorigsrc", "ctorigdst", "ctreplsrc", "ctrepldst"):
            if key in self.addrs:
                a, m, inv = self.addrs[key]
                out += (" !" if inv else "") + f" --{key} " + int_to_ip(a) + _mask_suffix(m)
        return out

    def compile(self) -> Pred:
        preds: list[Pred] = []
        if self.has_state:
            st, inv = self.state, self.inv_state
            preds.append(lambda c: bool(_ctstate_bits(c.pkt) & st) != inv)
        if self.proto >= 0:
            p, invp = self.proto, self.inv_proto
            preds.append(lambda c: (isinstance(c.pkt.ct, Conn) and c.pkt.ct.proto == p) != invp)
        for key, (a, m, inv) in self.addrs.items():
            field_of = {"ctorigsrc": ("orig", 0), "ctorigdst": ("orig", 2),
                        "ctreplsrc": ("reply", 0), "ctrepldst": ("reply", 2)}[key]

            def pa(c: _Ctx, a: int = a, m: int = m, inv: bool = inv,
                   f: tuple[str, int] = field_of) -> bool:
                conn = c.pkt.ct
                if conn is None:
                    return False
                return ((getattr(conn, f[0])[f[1]] & m) == a) != inv

            preds.append(pa)
        return _all(preds)


class StateMatch(ConntrackMatch):
    name = "state"
    options = {"state": ("state", True, True)}
    _label = "state"

    def final_check(self, rule: Rule) -> None:
        if not self.has_state:
            raise _ParamError('state: option "--state" must be specified\n')


def _meta(pkt: Pkt, key: str, default: object = None) -> object:
    return pkt.meta.get(key, default) if pkt.meta else default


def _meta_int(pkt: Pkt, key: str) -> int:
    value = _meta(pkt, key)
    return value if isinstance(value, int) else -1


class IpvsMatch(Match):
    """Packets IPVS handled; the IPVS model marks them with ``pkt.meta["ipvs"]`` (and vaddr/vport)."""

    name = "ipvs"
    options = {"ipvs": ("ipvs", False, True), "vproto": ("vproto", True, True),
               "vaddr": ("vaddr", True, True), "vport": ("vport", True, True),
               "vdir": ("vdir", True, False)}

    def __init__(self) -> None:
        super().__init__()
        self.inv: dict[str, bool] = {}
        self.vproto = 0
        self.vaddr = (0, 0)
        self.vport = 0
        self.vdir_reply = False

    def parse(self, opt: str, arg: str | None, inv: bool, rule: Rule) -> None:
        self._once(opt)
        self.inv[opt] = inv
        text = arg or ""
        if opt == "vproto":
            self.vproto = _parse_proto(text)
        elif opt == "vaddr":
            self.vaddr = _parse_hostmask(text)[0]
        elif opt == "vport":
            self.vport = _parse_port(text, "tcp")
        elif opt == "vdir":
            if text.upper() not in ("ORIGINAL", "REPLY"):
                raise _ParamError(f"Bad value for option \"--vdir\": {text}")
            self.vdir_reply = text.upper() == "REPLY"

    def final_check(self, rule: Rule) -> None:
        if not self.seen:
            raise _ParamError("IPVS: At least one option is required")
        if len(self.seen) > 1 and self.inv.get("ipvs"):
            raise _ParamError("! --ipvs cannot be together with other options")

    def _dump(self, prefix: str, numeric: bool) -> str:
        bang = {k: " !" if v else "" for k, v in self.inv.items()}
        out = ""
        if self.seen == {"ipvs"}:
            out += bang["ipvs"] + f" {prefix}ipvs"
        if "vproto" in self.seen:
            out += bang["vproto"] + f" {prefix}proto {self.vproto}"
        if "vaddr" in self.seen:
            a, m = self.vaddr
            out += bang["vaddr"] + f" {prefix}vaddr " + _addr_text(a, m, numeric)
        if "vport" in self.seen:
            out += bang["vport"] + f" {prefix}vport {self.vport}"
        if "vdir" in self.seen:
            out += f" {prefix}vdir " + ("REPLY" if self.vdir_reply else "ORIGINAL")
        return out

    def listing(self, numeric: bool) -> str:
        return self._dump("", numeric)

    def save(self) -> str:
        return self._dump("--", True)

    def compile(self) -> Pred:
        preds: list[Pred] = []
        if self.seen == {"ipvs"}:
            inv = self.inv["ipvs"]
            preds.append(lambda c: bool(c.pkt.meta and c.pkt.meta.get("ipvs")) != inv)
        else:
            preds.append(lambda c: bool(c.pkt.meta and c.pkt.meta.get("ipvs")))
        if "vproto" in self.seen:
            p, inv = self.vproto, self.inv["vproto"]
            preds.append(lambda c: (_meta(c.pkt, "ipvs_vproto", c.proto) == p) != inv)
        if "vaddr" in self.seen:
            (a, m), inv = self.vaddr, self.inv["vaddr"]
            preds.append(lambda c: ((_meta_int(c.pkt, "ipvs_vaddr") & m) == a) != inv)
        if "vport" in self.seen:
            vp, inv = self.vport, self.inv["vport"]
            preds.append(lambda c: (_meta(c.pkt, "ipvs_vport") == vp) != inv)
        if "vdir" in self.seen:
            rep = self.vdir_reply
            preds.append(lambda c: c.pkt.ct_reply == rep)
        return _all(preds)


_U32_MAXSIZE = 10  # XT_U32_MAXSIZE: tests, location steps and value ranges per test


class U32Match(Match):
    """xt_u32: tests on 32-bit words read at offsets of the packet (from the IP header on)."""

    name = "u32"
    options = {"u32": ("u32", True, True)}

    def __init__(self) -> None:
        super().__init__()
        # each test: ([(op, number), ...] with op "" for the first, [(min, max), ...])
        self.tests: list[tuple[list[tuple[str, int]], list[tuple[int, int]]]] = []
        self.inv = False

    @staticmethod
    def _number(text: str, pos: int) -> tuple[int, int]:
        """strtoul(..., 0) as xtables_strtoui does it: (value, chars used)."""
        i = pos
        while i < len(text) and text[i].isspace():
            i += 1
        j = i
        if text[j:j + 2].lower() == "0x" and j + 2 < len(text) and text[j + 2] in "0123456789abcdefABCDEF":
            j += 2
            while j < len(text) and text[j] in "0123456789abcdefABCDEF":
                j += 1
            value = int(text[i + 2:j], 16)
        elif text[j:j + 1] == "0":
            j += 1
            while j < len(text) and text[j] in "01234567":
                j += 1
            value = int(text[i:j], 8)
        else:
            while j < len(text) and text[j].isdigit():
                j += 1
            value = int(text[i:j]) if j > i else -1
        if j == i or value < 0 or value > 0xFFFFFFFF:
            raise _ParamError(f"u32: at char {pos}: not a number or out of range")
        return value, j

    def parse(self, opt: str, arg: str | None, inv: bool, rule: Rule) -> None:
        self._once("u32")
        text = arg or ""
        self.inv = inv
        tests: list[tuple[list[tuple[str, int]], list[tuple[int, int]]]] = []
        locs: list[tuple[str, int]] = []
        vals: list[tuple[int, int]] = []
        state = 0
        i = 0
        while True:
            while i < len(text) and text[i].isspace():
                i += 1
            if i >= len(text):
                if state == 0:
                    raise _ParamError("u32: abrupt end of input after location specifier")
                if not vals:
                    raise _ParamError("u32: test ended with no value specified")
                tests.append((locs, vals))
                if len(tests) > _U32_MAXSIZE:
                    raise _ParamError(f'u32: at char {i}: too many "&&"s')
                break
            ch = text[i]
            if state == 0:
                if ch == "=":
                    if not locs:
                        raise _ParamError(f"u32: at char {i}: location spec missing")
                    i += 1
                    state = 1
                    continue
                op = ""
                if locs:
                    if ch == "&":
                        op = "&"
                    elif ch in "<>":
                        i += 1
                        if i >= len(text) or text[i] != ch:
                            which = "<" if ch == "<" else ">"
                            raise _ParamError(f"u32: at char {i}: a second '{which}' was expected")
                        op = ch * 2
                    elif ch == "@":
                        op = "@"
                    else:
                        raise _ParamError(f"u32: at char {i}: operator expected")
                    i += 1
                number, i = self._number(text, i)
                locs.append((op, number))
                if len(locs) > _U32_MAXSIZE:
                    raise _ParamError(f"u32: at char {i}: too many operators")
            else:
                if ch == "&":
                    i += 1
                    if i >= len(text) or text[i] != "&":
                        raise _ParamError(f"u32: at char {i}: a second '&' was expected")
                    tests.append((locs, vals))
                    if len(tests) > _U32_MAXSIZE:
                        raise _ParamError(f'u32: at char {i}: too many "&&"s')
                    i += 1
                    locs, vals, state = [], [], 0
                    continue
                if vals:
                    if ch != ",":
                        raise _ParamError(f'u32: at char {i}: expected "," or "&&"')
                    i += 1
                lo, i = self._number(text, i)
                while i < len(text) and text[i].isspace():
                    i += 1
                hi = lo
                if i < len(text) and text[i] == ":":
                    hi, i = self._number(text, i + 1)
                vals.append((lo, hi))
                if len(vals) > _U32_MAXSIZE:
                    raise _ParamError(f'u32: at char {i}: too many ","s')
        self.tests = tests

    def final_check(self, rule: Rule) -> None:
        if "u32" not in self.seen:
            raise _ParamError('u32: option "--u32" must be specified\n')

    def _dump(self) -> str:
        parts = []
        for locs, vals in self.tests:
            loc = "".join(f"{op}0x{n:x}" for op, n in locs)
            val = ",".join(f"0x{lo:x}" if lo == hi else f"0x{lo:x}:0x{hi:x}" for lo, hi in vals)
            parts.append(f"{loc}={val}")
        return ' "' + "&&".join(parts) + '"'

    def listing(self, numeric: bool) -> str:
        return " u32" + (" !" if self.inv else "") + self._dump()

    def save(self) -> str:
        return (" !" if self.inv else "") + " --u32" + self._dump()

    def compile(self) -> Pred:
        tests = tuple((tuple(locs), tuple(vals)) for locs, vals in self.tests)
        inv = self.inv

        def pred(c: _Ctx) -> bool:
            data = c.pkt.data
            base = c.pkt.l3
            length = min(c.length, len(data) - base)
            ok = True
            for locs, vals in tests:  # u32_match_it, word for word
                at = 0
                pos = locs[0][1]
                if length < 4 or pos > length - 4:
                    ok = False
                    break
                val = _U32.unpack_from(data, base + pos)[0]
                for op, number in locs[1:]:
                    if op == "&":
                        val &= number
                    elif op == "<<":
                        val = (val << number) & 0xFFFFFFFF if number < 32 else 0
                    elif op == ">>":
                        val = val >> number if number < 32 else 0
                    else:
                        if at + val > 0xFFFFFFFF:
                            ok = False
                            break
                        at += val
                        pos = number
                        if at + 4 > 0xFFFFFFFF or length < at + 4 or pos > length - at - 4:
                            ok = False
                            break
                        val = _U32.unpack_from(data, base + at + pos)[0]
                if not ok:
                    break
                if not any(lo <= val <= hi for lo, hi in vals):
                    ok = False
                    break
            return ok != inv

        return pred


class PolicyMatch(Match):
    """xt_policy: whether IPsec processing happened (--dir in) or will happen (--dir out)."""

    name = "policy"
    options = {"dir": ("dir", True, True), "pol": ("pol", True, False), "strict": ("strict", False, False),
               "reqid": ("reqid", True, True), "spi": ("spi", True, True), "proto": ("proto", True, True),
               "mode": ("mode", True, True), "tunnel-src": ("tunnel-src", True, True),
               "tunnel-dst": ("tunnel-dst", True, True), "next": ("next", False, False)}

    def __init__(self) -> None:
        super().__init__()
        self.dir = ""
        self.none = False
        self.strict = False
        # elements: option -> (value, inverted)
        self.elems: list[dict[str, tuple[object, bool]]] = [{}]

    def parse(self, opt: str, arg: str | None, inv: bool, rule: Rule) -> None:
        text = arg or ""
        e = self.elems[-1]
        if opt == "dir":
            if text not in ("in", "out"):
                raise _ParamError(f'policy_match: invalid dir "{text}"')
            self.dir = self.dir or text
        elif opt == "pol":
            if text not in ("none", "ipsec"):
                raise _ParamError(f'policy match: invalid policy "{text}"')
            self.none = self.none or text == "none"
        elif opt == "strict":
            self.strict = True
        elif opt == "next":
            if not self.strict:
                raise _ParamError('policy: option "--next" also requires "--strict".\n')
            if len(self.elems) + 1 > 4:
                raise _ParamError("policy match: maximum policy depth reached")
            self.elems.append({})
        else:
            if opt in e:
                raise _ParamError(f"policy match: double --{opt} option")
            if opt in ("reqid", "spi"):
                v = _parse_u32(text)
                if v is None:
                    raise _ParamError(f'policy: Bad value for "--{opt}" option: "{text}"')
                e[opt] = (v, inv)
            elif opt == "proto":
                num = _PROTO_BY_NAME.get(text.lower())
                if num is None:
                    num = _parse_u32(text)
                if num not in (50, 51, 108):
                    raise _ParamError("policy match: protocol must be ah/esp/ipcomp")
                e[opt] = (num, inv)
            elif opt == "mode":
                if text not in ("transport", "tunnel"):
                    raise _ParamError(f'policy match: invalid mode "{text}"')
                e[opt] = (text, inv)
            else:
                e[opt] = (_parse_hostmask(text)[0], inv)

    def final_check(self, rule: Rule) -> None:
        if not self.dir:
            raise _ParamError("policy match: neither --dir in nor --dir out specified")
        has = any(self.elems[0].values()) or len(self.elems) > 1
        if self.none:
            if self.strict:
                raise _ParamError("policy match: policy none but --strict given")
            if has:
                raise _ParamError("policy match: policy none but policy given")
        for i, e in enumerate(self.elems):
            if self.strict and not e:
                raise _ParamError(f"policy match: empty policy element {i}. --strict is in effect, but at "
                                  "least one of reqid, spi, tunnel-src, tunnel-dst, proto or mode is required.")
            mode = e.get("mode")
            if ("tunnel-src" in e or "tunnel-dst" in e) and mode is not None and (
                    (mode[0] == "tunnel" and mode[1]) or (mode[0] == "transport" and not mode[1])):
                raise _ParamError("policy match: --tunnel-src/--tunnel-dst is only valid in tunnel mode")

    def forbidden_hooks(self) -> int:
        """policy_mt_check: input policies only before routing/local in, output ones after."""
        if self.dir == "in":
            return _HOOK_BIT["POSTROUTING"] | _HOOK_BIT["OUTPUT"]
        return _HOOK_BIT["PREROUTING"] | _HOOK_BIT["INPUT"]

    def _dump(self, prefix: str, numeric: bool, listing: bool) -> str:
        out = f" {prefix}dir {self.dir}" + (f" {prefix}pol none" if self.none else f" {prefix}pol ipsec")
        if self.strict:
            out += f" {prefix}strict"
        if self.none:
            return out
        for i, e in enumerate(self.elems):
            if listing and len(self.elems) > 1:
                out += f" [{i}]"
            for key in ("reqid", "spi", "proto", "mode", "tunnel-dst", "tunnel-src"):
                if key not in e:
                    continue
                value, inv = e[key]
                out += " !" if inv else ""
                if key == "reqid":
                    out += f" {prefix}reqid {value}"
                elif key == "spi":
                    out += f" {prefix}spi 0x{value:x}"
                elif key == "proto":
                    name = _ETC_PROTOCOLS.get(int(value)) if not numeric else None  # type: ignore[call-overload]
                    out += f" {prefix}proto {name or value}"
                elif key == "mode":
                    out += f" {prefix}mode {value}"
                else:
                    a, m = value  # type: ignore[misc]
                    out += f" {prefix}{key} {int_to_ip(a)}{_mask_suffix(m)}"
            if not listing and i + 1 < len(self.elems):
                out += " --next"
        return out

    def listing(self, numeric: bool) -> str:
        return " policy match" + self._dump("", numeric, True)

    def save(self) -> str:
        return self._dump("--", False, False)

    def compile(self) -> Pred:
        want_none, direction, strict = self.none, self.dir, self.strict
        elems = tuple(dict(e) for e in self.elems)

        def elem_ok(e: dict[str, tuple[object, bool]], sa: tuple[int, int, int, str, int, int]) -> bool:
            spi, reqid, proto, mode, src, dst = sa
            for key, (value, inv) in e.items():
                if key == "reqid":
                    hit = reqid == value
                elif key == "spi":
                    hit = spi == value
                elif key == "proto":
                    hit = proto == value
                elif key == "mode":
                    hit = mode == value
                else:
                    a, m = value  # type: ignore[misc]
                    hit = ((src if key == "tunnel-src" else dst) & m) == a
                if hit == inv:
                    return False
            return True

        def pred(c: _Ctx) -> bool:
            meta = c.pkt.meta
            path = meta.get("secpath" if direction == "in" else "xfrm_out") if meta else None
            if not path:  # match_policy_in/out return -1: no IPsec at all
                return want_none
            if want_none:
                return False
            sas = path if isinstance(path, list) else []
            if strict:
                return len(sas) == len(elems) and all(elem_ok(e, sa) for e, sa in zip(elems, sas, strict=True))
            return any(elem_ok(elems[0], sa) for sa in sas) if elems[0] else True

        return pred


_MATCHES: dict[str, type[Match]] = {
    "tcp": TcpMatch, "udp": UdpMatch, "icmp": IcmpMatch, "multiport": MultiportMatch,
    "comment": CommentMatch, "mark": MarkMatch, "addrtype": AddrtypeMatch,
    "conntrack": ConntrackMatch, "state": StateMatch, "ipvs": IpvsMatch, "u32": U32Match,
    "policy": PolicyMatch,
}

# --------------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------------

V_DROP, V_ACCEPT, V_CONTINUE = 0, 1, 2


class Target:
    """A ``-j`` extension target (the verdicts and chain jumps are handled by the rule itself)."""

    name = ""
    options: dict[str, tuple[str, bool, bool]] = {}
    table: str | None = None  # the only table it may be used in
    hooks = 0  # bit mask of allowed hooks, 0 = any

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def parse(self, opt: str, arg: str | None, inv: bool, rule: Rule) -> None:
        raise NotImplementedError

    def final_check(self, rule: Rule) -> None:
        """Required options, iptables' x6_fcheck."""

    def kernel_ok(self, rule: Rule, table: str) -> bool:
        return self.table is None or self.table == table

    def listing(self, numeric: bool) -> str:
        return ""

    def save(self) -> str:
        return ""

    def fire(self, nf: Netfilter, c: _Ctx, rule: Rule) -> int:
        return V_CONTINUE

    def _once(self, canon: str) -> None:
        if canon in self.seen:
            raise _ParamError(f'{self.name}: option "--{canon}" can only be used once.\n')
        self.seen.add(canon)


class RejectTarget(Target):
    name = "REJECT"
    options = {"reject-with": ("reject-with", True, False)}
    table = "filter"
    hooks = _HOOK_BIT["INPUT"] | _HOOK_BIT["FORWARD"] | _HOOK_BIT["OUTPUT"]

    def __init__(self) -> None:
        super().__init__()
        self.kind = 2  # icmp-port-unreachable

    def parse(self, opt: str, arg: str | None, inv: bool, rule: Rule) -> None:
        self._once(opt)
        for i, (name, alias, _code) in enumerate(_REJECT_TYPES):
            if arg in (name, alias):
                self.kind = i
                return
        raise _ParamError(f'unknown reject type "{arg}"')

    def kernel_ok(self, rule: Rule, table: str) -> bool:
        if _REJECT_TYPES[self.kind][2] is None and (rule.proto != 6 or rule.inv_proto):
            return False
        return table == "filter"

    def listing(self, numeric: bool) -> str:
        return " reject-with " + _REJECT_TYPES[self.kind][0]

    def save(self) -> str:
        return " --reject-with " + _REJECT_TYPES[self.kind][0]

    def fire(self, nf: Netfilter, c: _Ctx, rule: Rule) -> int:
        pkt = c.pkt
        name, _alias, code = _REJECT_TYPES[self.kind]
        pkt.hop(nf.ns.where, c.in_dev or c.out_dev, "REJECT", name)
        if pkt.meta is None:
            pkt.meta = {}
        pkt.meta["rejected"] = True
        conn = pkt.ct
        if isinstance(conn, Conn) and not conn.confirmed and not pkt.ct_reply:
            # The answer travels back before this connection is confirmed: let it find it.
            nf.conntrack.rejected[(conn.proto, *conn.reply)] = (conn, nf.ns.clock.now + SEC)
        if code is None:
            if c.proto == 6 and not c.tflags & 0x04:
                nf.ns.send_tcp_reset(pkt)
        elif not (c.proto == 1 and c.itype in _ICMP_ERRORS):
            nf.ns.send_icmp_error(pkt, code[0], code[1])
        return V_DROP


class LogTarget(Target):
    name = "LOG"
    options = {"log-level": ("log-level", True, False), "log-prefix": ("log-prefix", True, False),
               "log-tcp-sequence": ("log-tcp-sequence", False, False),
               "log-tcp-options": ("log-tcp-options", False, False),
               "log-ip-options": ("log-ip-options", False, False),
               "log-uid": ("log-uid", False, False), "log-macdecode": ("log-macdecode", False, False)}

    def __init__(self) -> None:
        super().__init__()
        self.level = 4
        self.prefix = ""
        self.flags = 0

    def parse(self, opt: str, arg: str | None, inv: bool, rule: Rule) -> None:
        self._once(opt)
        if opt == "log-level":
            text = arg or ""
            if text.isdigit() and int(text) <= 7:
                self.level = int(text)
            elif text.lower() in _LOG_LEVEL_PARSE:
                self.level = _LOG_LEVEL_PARSE[text.lower()]
            else:
                raise _ParamError(f'log level "{text}" unknown\n')
        elif opt == "log-prefix":
            text = arg or ""
            if not text:
                raise _ParamError("Argument must have a minimum length of 1 characters\n")
            self.prefix = text[:29]  # the kernel's field holds 29 characters
        else:
            self.flags |= dict(_LOG_FLAGS)[opt[4:]]

    def listing(self, numeric: bool) -> str:
        if numeric:
            out = f" LOG flags {self.flags} level {self.level}"
        else:
            out = " LOG level " + _LOG_LEVEL_PRINT[self.level]
            for name, bit in _LOG_FLAGS:
                if self.flags & bit:
                    out += " " + name
        if self.prefix:
            out += f' prefix "{self.prefix}"'
        return out

    def save(self) -> str:
        out = ""
        if self.prefix:
            out += " --log-prefix" + _save_string(self.prefix)
        if self.level != 4:
            out += f" --log-level {self.level}"
        for name, bit in _LOG_FLAGS:
            if self.flags & bit:
                out += f" --log-{name}"
        return out

    def fire(self, nf: Netfilter, c: _Ctx, rule: Rule) -> int:
        proto = _PROTO_LABEL.get(c.proto, str(c.proto)).upper()
        line = (f"{self.prefix}IN={c.in_dev} OUT={c.out_dev} SRC={int_to_ip(c.src)} DST={int_to_ip(c.dst)} "
                f"LEN={c.length} PROTO={proto}")
        if c.sport >= 0:
            line += f" SPT={c.sport} DPT={c.dport}"
        c.pkt.hop(nf.ns.where, c.in_dev or c.out_dev, "LOG", line)
        return V_CONTINUE


class MarkTarget(Target):
    name = "MARK"
    options = {"set-xmark": ("set-xmark", True, False), "set-mark": ("set-mark", True, False),
               "and-mark": ("and-mark", True, False), "or-mark": ("or-mark", True, False),
               "xor-mark": ("xor-mark", True, False)}

    def __init__(self) -> None:
        super().__init__()
        self.value = 0
        self.mask = 0

    def parse(self, opt: str, arg: str | None, inv: bool, rule: Rule) -> None:
        if self.seen:
            raise _ParamError("MARK: Cannot specify --set-xmark, --{and,or,xor,set}-mark more than once")
        self.seen.add(opt)
        v_s, slash, m_s = (arg or "").partition("/")
        v = _parse_u32(v_s)
        m = _parse_u32(m_s) if slash else 0xFFFFFFFF
        if v is None or m is None or (slash and opt not in ("set-xmark", "set-mark")):
            raise _ParamError(f'MARK: Bad value for "--{opt}" option: "{arg}"')
        if opt == "set-xmark":
            self.value, self.mask = v, m
        elif opt == "set-mark":
            self.value, self.mask = v, (v | m) & 0xFFFFFFFF
        elif opt == "and-mark":
            self.value, self.mask = 0, ~v & 0xFFFFFFFF
        elif opt == "or-mark":
            self.value, self.mask = v, v
        else:
            self.value, self.mask = v, 0

    def final_check(self, rule: Rule) -> None:
        if not self.seen:
            raise _ParamError("MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required")

    def listing(self, numeric: bool) -> str:
        v, m = self.value, self.mask
        if v == 0:
            return f" MARK and 0x{~m & 0xFFFFFFFF:x}"
        if v == m:
            return f" MARK or 0x{v:x}"
        if m == 0:
            return f" MARK xor 0x{v:x}"
        if m == 0xFFFFFFFF:
            return f" MARK set 0x{v:x}"
        return f" MARK xset 0x{v:x}/0x{m:x}"

    def save(self) -> str:
        return f" --set-xmark 0x{self.value:x}/0x{self.mask:x}"

    def fire(self, nf: Netfilter, c: _Ctx, rule: Rule) -> int:
        pkt = c.pkt
        pkt.mark = ((pkt.mark & ~self.mask) ^ self.value) & 0xFFFFFFFF
        pkt.hop(nf.ns.where, c.in_dev or c.out_dev, "MARK", f"0x{pkt.mark:x}")
        return V_CONTINUE


def _nat_ports(text: str) -> tuple[int, int]:
    """``port[-port]`` of SNAT/DNAT/MASQUERADE/REDIRECT; a service name only as a single port."""
    lo_s, dash, hi_s = text.partition("-")
    if not lo_s.isdigit():
        port = _service_port(text, "")
        if port is None:
            raise _ParamError(f"Port `{text}' not valid")
        return port, port
    lo = int(lo_s)
    if lo > 65535:
        raise _ParamError(f"Port `{text}' not valid")
    if not dash:
        return lo, lo
    if not hi_s.isdigit() or int(hi_s) > 65535 or int(hi_s) < lo:
        raise _ParamError(f"Port `{hi_s}' not valid")
    return lo, int(hi_s)


class _NatRange:
    """``addr[-addr][:port[-port]]`` as SNAT/DNAT take it."""

    def __init__(self, text: str, rule: Rule) -> None:
        self.min_ip = self.max_ip = 0
        self.min_port = self.max_port = -1
        addr_s, colon, port_s = text.partition(":")
        if not colon and not addr_s:
            raise _ParamError('Bad IP address ""')
        if colon:
            if rule.proto not in (6, 17, 132, 33, 1) or rule.inv_proto:
                raise _ParamError("Need TCP, UDP, SCTP or DCCP with port specification")
            self.min_port, self.max_port = _nat_ports(port_s)
        if addr_s:
            lo_a, dash, hi_a = addr_s.partition("-")
            lo = _parse_dotted(lo_a) if lo_a.count(".") == 3 else None
            if lo is None:
                raise _ParamError(f'Bad IP address "{lo_a}"')
            hi = lo
            if dash:
                h = _parse_dotted(hi_a) if hi_a.count(".") == 3 else None
                if h is None:
                    raise _ParamError(f'Bad IP address "{hi_a}"')
                hi = h
            self.min_ip, self.max_ip = lo, hi

    @property
    def has_ip(self) -> bool:
        return self.min_ip != 0 or self.max_ip != 0

    def text(self) -> str:
        s = ""
        if self.has_ip:
            s = int_to_ip(self.min_ip)
            if self.max_ip != self.min_ip:
                s += "-" + int_to_ip(self.max_ip)
        if self.min_port >= 0:
            s += f":{self.min_port}"
            if self.max_port != self.min_port:
                s += f"-{self.max_port}"
        return s

    def pick_ip(self, key: int, default: int) -> int:
        if not self.has_ip:
            return default
        n = self.max_ip - self.min_ip + 1
        return self.min_ip + (key % n if n > 1 else 0)


class _NatTarget(Target):
    table = "nat"
    flag_opts = ("random", "random-fully", "persistent")

    def __init__(self) -> None:
        super().__init__()
        self.range: _NatRange | None = None
        self.flags: list[str] = []

    def _flag(self, opt: str) -> None:
        self._once(opt)
        self.flags.append(opt)

    def _flags_text(self, prefix: str) -> str:
        return "".join(f" {prefix}{f}" for f in self.flag_opts if f in self.flags)

    def kernel_ok(self, rule: Rule, table: str) -> bool:
        return table == "nat"


class DnatTarget(_NatTarget):
    name = "DNAT"
    opt = "to-destination"
    options = {"to-destination": ("to-destination", True, False), "random": ("random", False, False),
               "persistent": ("persistent", False, False)}
    hooks = _HOOK_BIT["PREROUTING"] | _HOOK_BIT["OUTPUT"]
    flag_opts = ("random", "persistent")

    def parse(self, opt: str, arg: str | None, inv: bool, rule: Rule) -> None:
        if opt == self.opt:
            self._once(opt)
            self.range = _NatRange(arg or "", rule)
        else:
            self._flag(opt)

    def final_check(self, rule: Rule) -> None:
        if self.range is None:
            raise _ParamError(f'{self.name}: option "--{self.opt}" must be specified\n')

    def listing(self, numeric: bool) -> str:
        assert self.range is not None
        return " to:" + self.range.text() + self._flags_text("")

    def save(self) -> str:
        assert self.range is not None
        return f" --{self.opt} " + self.range.text() + self._flags_text("--")

    def fire(self, nf: Netfilter, c: _Ctx, rule: Rule) -> int:
        conn = c.pkt.ct
        assert isinstance(conn, Conn) and self.range is not None
        r = self.range
        new_ip = r.pick_ip(c.src, c.dst)
        new_port = c.dport
        if r.min_port >= 0 and c.proto in (6, 17):
            new_port = c.dport if r.min_port <= c.dport <= r.max_port else r.min_port
        nf._bind_dnat(conn, new_ip, new_port, self.name)
        return V_ACCEPT


class SnatTarget(DnatTarget):
    name = "SNAT"
    opt = "to-source"
    options = {"to-source": ("to-source", True, False), "random": ("random", False, False),
               "random-fully": ("random-fully", False, False),
               "persistent": ("persistent", False, False)}
    hooks = _HOOK_BIT["POSTROUTING"] | _HOOK_BIT["INPUT"]
    flag_opts = ("random", "random-fully", "persistent")

    def fire(self, nf: Netfilter, c: _Ctx, rule: Rule) -> int:
        conn = c.pkt.ct
        assert isinstance(conn, Conn) and self.range is not None
        r = self.range
        new_ip = r.pick_ip(c.dst, c.src)
        lo, hi = (r.min_port, r.max_port) if r.min_port >= 0 else (-1, -1)
        nf._bind_snat(conn, new_ip, lo, hi, self.name)
        return V_ACCEPT


class MasqueradeTarget(_NatTarget):
    name = "MASQUERADE"
    options = {"to-ports": ("to-ports", True, False), "random": ("random", False, False),
               "random-fully": ("random-fully", False, False)}
    hooks = _HOOK_BIT["POSTROUTING"]
    flag_opts = ("random", "random-fully")
    _label = " masq ports: "

    def __init__(self) -> None:
        super().__init__()
        self.ports: tuple[int, int] | None = None

    def parse(self, opt: str, arg: str | None, inv: bool, rule: Rule) -> None:
        if opt != "to-ports":
            self._flag(opt)
            return
        self._once(opt)
        if rule.proto not in (6, 17, 132, 33, 1) or rule.inv_proto:
            raise _ParamError("Need TCP, UDP, SCTP or DCCP with port specification")
        self.ports = _nat_ports(arg or "")

    def _ports_text(self) -> str:
        assert self.ports is not None
        lo, hi = self.ports
        return str(lo) if lo == hi else f"{lo}-{hi}"

    def listing(self, numeric: bool) -> str:
        out = self._label + self._ports_text() if self.ports else ""
        return out + self._flags_text("")

    def save(self) -> str:
        out = " --to-ports " + self._ports_text() if self.ports else ""
        return out + self._flags_text("--")

    def fire(self, nf: Netfilter, c: _Ctx, rule: Rule) -> int:
        conn = c.pkt.ct
        assert isinstance(conn, Conn)
        src = nf.ns.masquerade_source(c.out_dev, c.dst)
        if src is None:
            c.pkt.hop(nf.ns.where, c.out_dev, "drop", "MASQUERADE: no source address")
            return V_DROP
        lo, hi = self.ports if self.ports else (-1, -1)
        nf._bind_snat(conn, src, lo, hi, "MASQUERADE")
        return V_ACCEPT


class RedirectTarget(MasqueradeTarget):
    name = "REDIRECT"
    options = {"to-ports": ("to-ports", True, False), "random": ("random", False, False)}
    hooks = _HOOK_BIT["PREROUTING"] | _HOOK_BIT["OUTPUT"]
    flag_opts = ("random",)
    _label = " redir ports "

    def fire(self, nf: Netfilter, c: _Ctx, rule: Rule) -> int:
        conn = c.pkt.ct
        assert isinstance(conn, Conn)
        if c.hook == "OUTPUT":
            dst: int | None = 0x7F000001
        else:
            finder = getattr(nf.ns, "primary_addr", None)
            dst = finder(c.in_dev) if finder else nf.ns.masquerade_source(c.in_dev, c.src)
        if dst is None:
            c.pkt.hop(nf.ns.where, c.in_dev, "drop", "REDIRECT: no address on " + c.in_dev)
            return V_DROP
        port = c.dport
        if self.ports and c.proto in (6, 17):
            lo, hi = self.ports
            port = c.dport if lo <= c.dport <= hi else lo
        nf._bind_dnat(conn, dst, port, "REDIRECT")
        return V_ACCEPT


_TARGETS: dict[str, type[Target]] = {
    "REJECT": RejectTarget, "LOG": LogTarget, "MARK": MarkTarget, "DNAT": DnatTarget,
    "SNAT": SnatTarget, "MASQUERADE": MasqueradeTarget, "REDIRECT": RedirectTarget,
}

# --------------------------------------------------------------------------------------------
# Rules, chains, tables
# --------------------------------------------------------------------------------------------

K_NONE, K_ACCEPT, K_DROP, K_RETURN, K_JUMP, K_GOTO, K_EXT, K_QUEUE = range(8)


class Rule:
    """One rule: the IP part, the match extensions in order, the target, and its counters."""

    def __init__(self) -> None:
        self.src = 0
        self.smsk = 0
        self.inv_src = False
        self.dst = 0
        self.dmsk = 0
        self.inv_dst = False
        self.iniface = ""
        self.inv_in = False
        self.outiface = ""
        self.inv_out = False
        self.proto = 0
        self.inv_proto = False
        self.frag = False
        self.inv_frag = False
        self.matches: list[Match] = []
        self.jumpto = ""  # target name as given ("" = none)
        self.target: Target | None = None  # extension target
        self.goto = False
        self.chain: Chain | None = None  # resolved jump/goto destination
        self.kind = K_NONE
        self.pkts = 0
        self.bytes = 0
        self.preds: tuple[Pred, ...] = ()
        self._extra: list[str] | None = None  # parser hook for two-word options

    # -- parser support
    def take_extra(self) -> str | None:
        """The next command-line word, for options with two arguments (--tcp-flags)."""
        if self._extra and not self._extra[0].startswith(("-", "!")):
            return self._extra.pop(0)
        return None

    @property
    def target_name(self) -> str:
        return self.jumpto

    def copy_with(self, src: tuple[int, int], dst: tuple[int, int]) -> Rule:
        r = Rule()
        r.__dict__.update(self.__dict__)
        r.src, r.smsk = src
        r.dst, r.dmsk = dst
        return r

    # -- identity, for -D/-C: the canonical -S text minus counters
    def spec_key(self) -> str:
        return self.save_text(with_target=True)

    def save_text(self, with_target: bool = True, counters: bool = False) -> str:
        out = ""
        if self.smsk or self.inv_src:
            out += (" !" if self.inv_src else "") + f" -s {int_to_ip(self.src)}{_save_mask(self.smsk)}"
        if self.dmsk or self.inv_dst:
            out += (" !" if self.inv_dst else "") + f" -d {int_to_ip(self.dst)}{_save_mask(self.dmsk)}"
        if self.iniface not in ("", "+"):  # a bare "+" has an empty mask: not saved
            out += (" !" if self.inv_in else "") + f" -i {self.iniface}"
        if self.outiface not in ("", "+"):
            out += (" !" if self.inv_out else "") + f" -o {self.outiface}"
        if self.proto:
            out += (" !" if self.inv_proto else "") + f" -p {_proto_name(self.proto) or self.proto}"
        if self.frag:
            out += (" !" if self.inv_frag else "") + " -f"
        for m in self.matches:
            out += f" -m {m.name}" + m.save()
        if counters:
            out += f" -c {self.pkts} {self.bytes}"
        if with_target and self.jumpto:
            out += (" -g " if self.goto else " -j ") + self.jumpto
            if self.target is not None:
                out += self.target.save()
        return out

    def compile(self) -> None:
        """Turn the rule into a tuple of predicates, cheapest first."""
        preds: list[Pred] = []
        if self.proto:
            p = self.proto
            preds.append((lambda c: c.proto != p) if self.inv_proto else (lambda c: c.proto == p))
        elif self.inv_proto:
            preds.append(lambda c: False)
        if self.smsk or self.inv_src:
            a, m = self.src, self.smsk
            preds.append((lambda c: (c.src & m) != a) if self.inv_src else (lambda c: (c.src & m) == a))
        if self.dmsk or self.inv_dst:
            a2, m2 = self.dst, self.dmsk
            preds.append((lambda c: (c.dst & m2) != a2) if self.inv_dst else (lambda c: (c.dst & m2) == a2))
        for attr, name, inv in (("in_dev", self.iniface, self.inv_in), ("out_dev", self.outiface, self.inv_out)):
            if not name and not inv:
                continue
            preds.append(_iface_pred(attr, name, inv))
        if self.frag:
            f_inv = self.inv_frag
            preds.append(lambda c: c.frag != f_inv)
        for mt in self.matches:
            preds.append(mt.compile())
        self.preds = tuple(preds)


def _unconditional(r: Rule) -> bool:
    """No IP-part condition and no match: what the kernel calls an unconditional rule."""
    return not (r.smsk or r.dmsk or r.inv_src or r.inv_dst or r.iniface or r.outiface
                or r.inv_in or r.inv_out or r.proto or r.inv_proto or r.frag or r.matches)


def _iface_pred(attr: str, name: str, inv: bool) -> Pred:
    if name.endswith("+"):
        prefix = name[:-1]
        if attr == "in_dev":
            return lambda c: c.in_dev.startswith(prefix) != inv
        return lambda c: c.out_dev.startswith(prefix) != inv
    if attr == "in_dev":
        return lambda c: (c.in_dev == name) != inv
    return lambda c: (c.out_dev == name) != inv


class Chain:
    """A chain: its rules, and for built-in chains the policy with its counters."""

    def __init__(self, name: str, builtin: bool) -> None:
        self.name = name
        self.builtin = builtin
        self.policy = "ACCEPT" if builtin else ""
        self.pol_pkts = 0
        self.pol_bytes = 0
        self.rules: list[Rule] = []
        self.refs = 0


class Table:
    """One of raw/mangle/nat/filter: built-in chains in hook order, then user chains."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.chains: dict[str, Chain] = {h: Chain(h, True) for h in TABLES[name]}

    def ordered(self) -> list[Chain]:
        builtins = [c for c in self.chains.values() if c.builtin]
        users = sorted((c for c in self.chains.values() if not c.builtin), key=lambda c: c.name)
        return builtins + users

    def chain(self, name: str) -> Chain:
        ch = self.chains.get(name)
        if ch is None:
            raise _KernelError(_E_NOENT)
        return ch


# --------------------------------------------------------------------------------------------
# Command-line parsing (getopt-like, the way iptables reads its arguments)
# --------------------------------------------------------------------------------------------

# long name -> (short letter, argument: 0 none / 1 required / 2 optional)
_LONG_OPTS: dict[str, tuple[str, int]] = {
    "append": ("A", 1), "delete": ("D", 1), "check": ("C", 1), "insert": ("I", 1),
    "replace": ("R", 1), "list": ("L", 2), "list-rules": ("S", 2), "flush": ("F", 2),
    "zero": ("Z", 2), "new-chain": ("N", 1), "delete-chain": ("X", 2), "rename-chain": ("E", 1),
    "policy": ("P", 1), "source": ("s", 1), "src": ("s", 1), "destination": ("d", 1),
    "dst": ("d", 1), "protocol": ("p", 1), "in-interface": ("i", 1), "jump": ("j", 1),
    "table": ("t", 1), "match": ("m", 1), "numeric": ("n", 0), "out-interface": ("o", 1),
    "verbose": ("v", 0), "wait": ("w", 2), "wait-interval": ("W", 2), "exact": ("x", 0),
    "fragments": ("f", 0), "fragment": ("f", 0), "version": ("V", 0), "help": ("h", 2),
    "line-numbers": ("0", 0), "modprobe": ("M", 1), "set-counters": ("c", 1), "goto": ("g", 1),
    "ipv4": ("4", 0), "ipv6": ("6", 0),
}
_SHORT_OPTS: dict[str, int] = {
    "A": 1, "C": 1, "D": 1, "R": 1, "I": 1, "L": 2, "S": 2, "M": 1, "F": 2, "Z": 2, "N": 1,
    "X": 2, "E": 1, "P": 1, "V": 0, "h": 2, "o": 1, "p": 1, "s": 1, "d": 1, "j": 1, "i": 1,
    "f": 0, "b": 0, "v": 0, "w": 2, "W": 2, "n": 0, "t": 1, "m": 1, "x": 0, "c": 1, "g": 1,
    "4": 0, "6": 0,
}

# Which options each command accepts (iptables' commands_v_options): columns are
# -n -s -d -p -j -v -x -i -o --line-numbers -c -f, and "x" marks an illegal combination.
_OPT_ORDER = "nsdpjvxio0cf"
_OPT_TABLE = {
    "INSERT":       "x     x  x  ",
    "DELETE":       "x     x  xx ",
    "DELETE_NUM":   "xxxxx xxxxxx",
    "REPLACE":      "x     x  x  ",
    "APPEND":       "x     x  x  ",
    "LIST":         " xxxx  xx xx",
    "FLUSH":        "xxxxx xxxxxx",
    "ZERO":         "xxxxx xxxxxx",
    "ZERO_NUM":     "xxxxx xxxxxx",
    "NEW_CHAIN":    "xxxxx xxxxxx",
    "DELETE_CHAIN": "xxxxx xxxxxx",
    "SET_POLICY":   "xxxxx xxxx x",
    "RENAME_CHAIN": "xxxxx xxxxxx",
    "LIST_RULES":   "xxxxx xxxxxx",
    "CHECK":        "x     x  xx ",
}


def _illegal_option(commands: list[str], options: set[str]) -> str | None:
    """The first option none of the given commands accepts (as iptables checks them)."""
    for idx, opt in enumerate(_OPT_ORDER):
        if opt not in options:
            continue
        rows = [_OPT_TABLE[c] for c in commands if c in _OPT_TABLE]
        if rows and all(row[idx] == "x" for row in rows):
            return opt
    return None


def _ver(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(".") if x.isdigit())


class _Parsed:
    """Everything the command line said."""

    def __init__(self) -> None:
        self.command = ""
        self.cmd_letters: list[str] = []
        self.chain = ""
        self.newname = ""
        self.policy = ""
        self.rulenum = 0
        self.table = "filter"
        self.numeric = False
        self.verbose = 0
        self.exact = False
        self.linenumbers = False
        self.options: set[str] = set()
        self.rule = Rule()
        self.saddrs = "0.0.0.0/0"
        self.daddrs = "0.0.0.0/0"
        self.pcnt: int | None = None
        self.bcnt: int | None = None


def _parse_proto(text: str) -> int:
    low = text.lower()
    if low.isdigit() and int(low) <= 255:
        return int(low)
    if low in _PROTO_BY_NAME:
        return _PROTO_BY_NAME[low]
    raise _ParamError(f'unknown protocol "{text}" specified')


def _check_iface(name: str) -> str:
    if len(name) > 15:
        raise _ParamError(f"interface name `{name}' must be shorter than IFNAMSIZ (15)")
    return name


def _parse_rulenum(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise _ParamError(f"Invalid rule number `{text}'")
    return int(text)


def _check_chain_name(name: str) -> None:
    if len(name) >= 29:
        raise _ParamError(f"chain name `{name}' too long (must be under 29 chars)")
    if name[:1] in ("-", "!"):
        raise _ParamError(f"chain name not allowed to start with `{name[0]}'", True)
    if any(ch.isspace() for ch in name):
        raise _ParamError(f"Invalid chain name `{name}'")


class _ArgParser:
    """Walks argv like getopt_long with iptables' extension options merged in as they load."""

    def __init__(self, argv: list[str], rule_only: bool = False) -> None:
        self.argv = list(argv)
        self.i = 0
        self.p = _Parsed()
        self.rule_only = rule_only
        self.invert = False
        self.proto_given = False

    # -- helpers
    def _next_word(self) -> str | None:
        if self.i < len(self.argv):
            w = self.argv[self.i]
            if not w.startswith("-") and not w.startswith("!"):
                self.i += 1
                return w
        return None

    def _set_command(self, letter: str, cmd: str, others: tuple[str, ...] = ()) -> None:
        p = self.p
        if self.invert:
            raise _ParamError("unexpected ! flag")
        if p.command and p.command not in others:
            raise _ParamError(f"Cannot use -{letter} with -{p.cmd_letters[-1]}", True)
        p.command = cmd if not p.command else p.command + "+" + cmd
        p.cmd_letters.append(letter)

    def _set_option(self, opt: str, invertible: bool = False) -> bool:
        p = self.p
        if opt in p.options:
            raise _ParamError(f"multiple -{opt} flags not allowed")
        p.options.add(opt)
        inv = self.invert
        if inv and not invertible:
            raise _ParamError(f"cannot have ! before -{opt}")
        self.invert = False
        return inv

    def _known_ext_opts(self) -> dict[str, list[Match | Target]]:
        """Long options of loaded extensions: name -> owners, most recent first."""
        out: dict[str, list[Match | Target]] = {}
        owners: list[Match | Target] = []
        if self.p.rule.target is not None:
            owners.append(self.p.rule.target)
        owners.extend(reversed(self.p.rule.matches))
        for o in owners:
            for name in o.options:
                out.setdefault(name, []).append(o)
        return out

    def _resolve_long(self, name: str) -> tuple[str, str] | None:
        """(kind, canonical name): kind 'g' for iptables' own options, 'e' for extensions."""
        ext = self._known_ext_opts()
        if name in _LONG_OPTS:
            return ("g", name)
        if name in ext:
            return ("e", name)
        cands = {("g", n) for n in _LONG_OPTS if n.startswith(name)}
        cands |= {("e", n) for n in ext if n.startswith(name)}
        if len(cands) == 1:
            return cands.pop()
        if cands and all(k == "g" for k, _ in cands):
            letters = {_LONG_OPTS[n][0] for _, n in cands}
            if len(letters) == 1:
                return sorted(cands)[0]
        return None

    # -- main loop
    def parse(self) -> _Parsed:
        argv = self.argv
        while self.i < len(argv):
            word = argv[self.i]
            self.i += 1
            if word == "--":  # the rest are plain words, which iptables refuses
                if self.i < len(argv):
                    raise _BadArgument(argv[self.i])
                continue
            if word.startswith("--"):
                name, eq, val = word[2:].partition("=")
                res = self._resolve_long(name)
                if res is None:
                    self._unknown(word)
                    continue
                kind, canon = res
                if kind == "g":
                    letter, argmode = _LONG_OPTS[canon]
                    arg = val if eq else None
                    if argmode == 1 and arg is None:
                        if self.i >= len(argv):
                            raise _ParamError(f'option "--{canon}" requires an argument')
                        arg = argv[self.i]
                        self.i += 1
                    self._global(letter, arg, word)
                else:
                    self._extension(canon, val if eq else None, word)
            elif word.startswith("-") and len(word) > 1:
                j = 1
                while j < len(word):
                    ch = word[j]
                    j += 1
                    mode = _SHORT_OPTS.get(ch)
                    if mode is None:
                        self._unknown(word)
                        break
                    arg = None
                    if mode == 1:
                        if j < len(word):
                            arg = word[j:]
                        elif self.i < len(argv):
                            arg = argv[self.i]
                            self.i += 1
                        else:
                            raise _ParamError(f'option "-{ch}" requires an argument')
                        j = len(word)
                    elif mode == 2 and j < len(word):
                        arg = word[j:]
                        j = len(word)
                    self._global(ch, arg, word)
            else:
                if word == "!":
                    if self.invert:
                        raise _ParamError("multiple consecutive ! not allowed")
                    self.invert = True
                    continue
                raise _BadArgument(word)
        return self.p

    def _unknown(self, word: str) -> None:
        """An option nobody claimed yet: try the protocol's match, as iptables does."""
        rule = self.p.rule
        name = word[2:].partition("=")[0] if word.startswith("--") else ""
        if name and self.proto_given and not rule.inv_proto:
            pname = _CHAIN_PROTOS.get(rule.proto)
            if pname in _MATCHES and not any(m.name == pname for m in rule.matches):
                rule.matches.append(_MATCHES[pname]())
                res = self._resolve_long(name)
                if res is not None and res[0] == "e":
                    self._extension(res[1], word.partition("=")[2] if "=" in word else None, word)
                    return
        raise _ParamError(f'unknown option "{word}"')

    def _extension(self, name: str, val: str | None, word: str) -> None:
        owners = self._known_ext_opts()[name]
        owner = owners[0]
        canon, takes, invertible = owner.options[name]
        arg = val
        if takes and arg is None:
            if self.i >= len(self.argv):
                raise _ParamError(f'option "--{name}" requires an argument')
            arg = self.argv[self.i]
            self.i += 1
        inv = self.invert
        self.invert = False
        if inv and not invertible:
            raise _ParamError(f'{owner.name}: option "--{canon}" cannot be inverted.\n')
        rule = self.p.rule
        rule._extra = self.argv[self.i:self.i + 1]
        before = len(rule._extra)
        owner.parse(canon, arg, inv, rule)
        self.i += before - len(rule._extra)
        rule._extra = None

    def _global(self, letter: str, arg: str | None, word: str) -> None:
        p = self.p
        rule = p.rule
        if self.rule_only and letter in "ACDRILSFZNXEPVh":
            raise _ParamError(f"unexpected command -{letter} in a rule specification")
        if letter == "A":
            self._set_command("A", "APPEND")
            p.chain = arg or ""
        elif letter == "C":
            self._set_command("C", "CHECK")
            p.chain = arg or ""
        elif letter == "D":
            self._set_command("D", "DELETE")
            p.chain = arg or ""
            w = self._next_word()
            if w is not None:
                p.rulenum = _parse_rulenum(w)
                p.command = "DELETE_NUM"
        elif letter == "R":
            self._set_command("R", "REPLACE")
            p.chain = arg or ""
            w = self._next_word()
            if w is None:
                raise _ParamError("-R requires a rule number")
            p.rulenum = _parse_rulenum(w)
        elif letter == "I":
            self._set_command("I", "INSERT")
            p.chain = arg or ""
            w = self._next_word()
            p.rulenum = _parse_rulenum(w) if w is not None else 1
        elif letter in "LSZ":
            cmd = {"L": "LIST", "S": "LIST_RULES", "Z": "ZERO"}[letter]
            others = {"L": ("ZERO", "ZERO_NUM"), "Z": ("LIST",), "S": ()}[letter]
            self._set_command(letter, cmd, others)
            chain = arg if arg is not None else self._next_word()
            if chain is not None:
                p.chain = chain
                w = self._next_word()
                if w is not None:
                    p.rulenum = _parse_rulenum(w)
                    if letter == "Z":
                        p.command = p.command.replace("ZERO", "ZERO_NUM")
        elif letter in "FX":
            self._set_command(letter, "FLUSH" if letter == "F" else "DELETE_CHAIN")
            chain = arg if arg is not None else self._next_word()
            if chain is not None:
                p.chain = chain
        elif letter == "N":
            self._set_command("N", "NEW_CHAIN")
            name = arg or ""
            _check_chain_name(name)
            if name in _KNOWN_TARGET_NAMES:
                raise _ParamError("chain name may not clash with target name", True)
            p.chain = name
        elif letter == "E":
            self._set_command("E", "RENAME_CHAIN")
            p.chain = arg or ""
            w = self._next_word()
            if w is None:
                raise _ParamError("-E requires old-chain-name and new-chain-name")
            p.newname = w
        elif letter == "P":
            self._set_command("P", "SET_POLICY")
            p.chain = arg or ""
            w = self._next_word()
            if w is None:
                raise _ParamError("-P requires a chain and a policy")
            p.policy = w
        elif letter == "V":
            self._set_command("V", "VERSION")
        elif letter == "h":
            self._set_command("h", "HELP")
        elif letter == "p":
            rule.inv_proto = self._set_option("p", True)
            rule.proto = _parse_proto(arg or "")
            self.proto_given = True
        elif letter == "s":
            rule.inv_src = self._set_option("s", True)
            p.saddrs = arg or ""
        elif letter == "d":
            rule.inv_dst = self._set_option("d", True)
            p.daddrs = arg or ""
        elif letter == "i":
            rule.inv_in = self._set_option("i", True)
            rule.iniface = _check_iface(arg or "")
        elif letter == "o":
            rule.inv_out = self._set_option("o", True)
            rule.outiface = _check_iface(arg or "")
        elif letter == "f":
            rule.inv_frag = self._set_option("f", True)
            rule.frag = True
        elif letter in "jg":
            self._set_option("j")
            name = arg or ""
            if not name:
                raise _ParamError("Invalid target name (too short)")
            if len(name) >= 29:
                raise _ParamError(f"Invalid target name `{name}' (28 chars max)")
            if any(ch.isspace() for ch in name):
                raise _ParamError(f"Invalid target name `{name}'")
            rule.jumpto = arg or ""
            rule.goto = letter == "g"
            cls = _TARGETS.get(rule.jumpto) if letter == "j" else None
            if cls is not None:
                rule.target = cls()
        elif letter == "m":
            if self.invert:
                raise _ParamError("unexpected ! flag before --match")
            cls_m = _MATCHES.get(arg or "")
            if cls_m is None:
                raise _ParamError(f"Couldn't load match `{arg}':No such file or directory\n")
            rule.matches.append(cls_m())
        elif letter == "n":
            self._set_option("n")
            p.numeric = True
        elif letter == "v":
            if self.invert:
                raise _ParamError("cannot have ! before -v")
            p.options.add("v")
            p.verbose += 1
        elif letter == "x":
            self._set_option("x")
            p.exact = True
        elif letter == "0":
            self._set_option("0")
            p.linenumbers = True
        elif letter == "t":
            if self.invert:
                raise _ParamError("unexpected ! flag before --table")
            p.table = arg or ""
        elif letter == "c":
            self._set_option("c")
            w = self.argv[self.i] if self.i < len(self.argv) else None
            if w is None or w.startswith("-") or w.startswith("!"):
                raise _ParamError("-c requires packet and byte counter")
            self.i += 1
            if not (arg or "").isdigit():
                raise _ParamError("-c packet counter not numeric")
            if not w.isdigit():
                raise _ParamError("-c byte counter not numeric")
            p.pcnt, p.bcnt = int(arg or "0"), int(w)
        elif letter in "wWM46b":
            if letter in "wW" and arg is None and self.i < len(self.argv) and self.argv[self.i].isdigit():
                self.i += 1
            if letter == "6":
                raise _ParamError("This is the IPv4 version of iptables.")
        else:  # pragma: no cover - every letter in _SHORT_OPTS is handled above
            raise _ParamError(f'unknown option "{word}"')


def _finish_rule(p: _Parsed) -> list[Rule]:
    """Final extension checks and address expansion: one Rule per source/destination pair."""
    rule = p.rule
    for m in rule.matches:
        m.final_check(rule)
    if rule.target is not None:
        rule.target.final_check(rule)
    srcs = _parse_hostmask(p.saddrs)
    dsts = _parse_hostmask(p.daddrs)
    if (len(srcs) > 1 or len(dsts) > 1) and (rule.inv_src or rule.inv_dst):
        raise _ParamError("! not allowed with multiple source or destination IP addresses")
    if p.pcnt is not None:
        rule.pkts, rule.bytes = p.pcnt, p.bcnt or 0
    return [rule.copy_with(s, d) for s in srcs for d in dsts]


def parse_rule_args(argv: list[str]) -> Rule:
    """Parse a rule specification such as ``["-s", "10.0.0.0/8", "-j", "ACCEPT"]``.

    Raises IptablesError with iptables' message. The target is resolved (chain or extension)
    when the rule is added to a table.
    """
    try:
        parser = _ArgParser(argv, rule_only=True)
        p = parser.parse()
        if parser.invert:
            raise _ParamError("nothing appropriate following !")
        rules = _finish_rule(p)
    except (_ParamError, _BadArgument, _KernelError, _TableError) as e:
        status, text = _error_text(e, "1.8.4")
        raise IptablesError(text.rstrip("\n"), status) from None
    if len(rules) != 1:
        raise IptablesError("parse_rule_args: the rule names several addresses", 2)
    return rules[0]


def _error_text(e: Exception, version: str) -> tuple[int, str]:
    prefix = f"iptables v{version} (legacy): "
    hint = "Try `iptables -h' or 'iptables --help' for more information.\n"
    if isinstance(e, _ParamError):
        extra = "\n" if e.old_newline and _ver(version) < (1, 8, 9) else ""
        return 2, f"{prefix}{e.args[0]}{extra}\n{hint}"
    if isinstance(e, _BadArgument):
        return 2, f"Bad argument `{e.args[0]}'\n{hint}"
    if isinstance(e, _TableError):
        return 3, (f"{prefix}can't initialize iptables table `{e.args[0]}': Table does not exist "
                   "(do you need to insmod?)\nPerhaps iptables or your kernel needs to be upgraded.\n")
    return 1, f"iptables: {e.args[0]}\n"


# --------------------------------------------------------------------------------------------
# Listing (-L, -S, -v rule echo)
# --------------------------------------------------------------------------------------------

_F_NUMERIC, _F_NOCOUNTS, _F_KMG, _F_NOTABLE, _F_LINENUM, _F_VIA = 1, 2, 4, 8, 16, 32


def _num(n: int, fmt: int) -> str:
    table = not fmt & _F_NOTABLE
    if not fmt & _F_KMG:
        return f"{n:8d} " if table else f"{n} "
    if n <= 99999:
        return f"{n:5d} " if table else f"{n} "
    for suffix in "KMGT":
        n = ((n + 500) & 0xFFFFFFFFFFFFFFFF) // 1000  # uint64 arithmetic, wrap included
        if n <= 9999 or suffix == "T":
            return f"{n:4d}{suffix} " if table else f"{n}{suffix} "
    return ""  # pragma: no cover


def _list_proto(proto: int, numeric: bool, version: str) -> str | None:
    if numeric and _ver(version) >= (1, 8, 9):
        return None
    if proto and not numeric:
        name = _ETC_PROTOCOLS.get(proto)
        if name:
            return name
    return _CHAIN_PROTOS.get(proto)


def _format_rule(rule: Rule, num: int, fmt: int, version: str) -> str:
    table = not fmt & _F_NOTABLE
    numeric = bool(fmt & _F_NUMERIC)
    out = ""
    if fmt & _F_LINENUM:
        out += f"{num:<4d} " if table else f"{num} "
    if not fmt & _F_NOCOUNTS:
        out += _num(rule.pkts, fmt) + _num(rule.bytes, fmt)
    out += f"{rule.jumpto:<9s} " if table else f"{rule.jumpto} "
    out += "!" if rule.inv_proto else " "
    pname = _list_proto(rule.proto, numeric, version) if table else _CHAIN_PROTOS.get(rule.proto)
    ptext = pname if pname is not None else str(rule.proto)
    out += f"{ptext:<5s}" if table else f"{ptext} "
    if not table:
        out += "opt "
    out += ("!" if rule.inv_frag else "-") + ("f" if rule.frag else "-") + " "
    if fmt & _F_VIA:
        any_text = "*" if numeric else "any"
        iface_in = ("!" if rule.inv_in else "") + (rule.iniface or any_text)
        iface_out = ("!" if rule.inv_out else "") + (rule.outiface or any_text)
        out += f" {iface_in:<6s} " if table else f"in {iface_in} "
        out += f"{iface_out:<6s} " if table else f"out {iface_out} "
    src = _addr_text(rule.src, rule.smsk, numeric)
    dst = _addr_text(rule.dst, rule.dmsk, numeric)
    out += ("!" if rule.inv_src else " ") + (f"{src:<19s} " if table else f"{src} ")
    out += ("!" if rule.inv_dst else " ") + (f"{dst:<19s} " if table else f"-> {dst}")
    if not table:
        out += "  "
    if rule.goto:
        out += "[goto] "
    for m in rule.matches:
        out += m.listing(numeric)
    if rule.target is not None:
        out += rule.target.listing(numeric)
    return out + "\n"


def _format_header(ch: Chain, fmt: int) -> str:
    out = f"Chain {ch.name}"
    if ch.builtin:
        out += f" (policy {ch.policy}"
        if not fmt & _F_NOCOUNTS:
            out += (" " + _num(ch.pol_pkts, fmt | _F_NOTABLE) + "packets, "
                    + _num(ch.pol_bytes, fmt | _F_NOTABLE) + "bytes")
        out += ")\n"
    else:
        out += f" ({ch.refs} references)\n"
    if fmt & _F_LINENUM:
        out += "num  "
    if not fmt & _F_NOCOUNTS:
        out += " pkts bytes " if fmt & _F_KMG else f"{'pkts':>8s} {'bytes':>10s} "
    out += f"{'target':<9s} " + " prot " + "opt"
    if fmt & _F_VIA:
        out += f" {'in':<6s} {'out':<6s} "
    out += f" {'source':<19s} " + f" {'destination':<19s} " + "\n"
    return out


HELP_TEXT = """\
iptables v{version} (legacy)

Usage: iptables -[ACD] chain rule-specification [options]
       iptables -I chain [rulenum] rule-specification [options]
       iptables -R chain rulenum rule-specification [options]
       iptables -D chain rulenum [options]
       iptables -[LS] [chain [rulenum]] [options]
       iptables -[FZ] [chain] [options]
       iptables -[NX] chain
       iptables -E old-chain-name new-chain-name
       iptables -P chain target [options]
       iptables -h (print this help information)

Commands:
Either long or short options are allowed.
  --append  -A chain\t\tAppend to chain
  --check   -C chain\t\tCheck for the existence of a rule
  --delete  -D chain\t\tDelete matching rule from chain
  --delete  -D chain rulenum
\t\t\t\tDelete rule rulenum (1 = first) from chain
  --insert  -I chain [rulenum]
\t\t\t\tInsert in chain as rulenum (default 1=first)
  --replace -R chain rulenum
\t\t\t\tReplace rule rulenum (1 = first) in chain
  --list    -L [chain [rulenum]]
\t\t\t\tList the rules in a chain or all chains
  --list-rules -S [chain [rulenum]]
\t\t\t\tPrint the rules in a chain or all chains
  --flush   -F [chain]\t\tDelete all rules in  chain or all chains
  --zero    -Z [chain [rulenum]]
\t\t\t\tZero counters in chain or all chains
  --new     -N chain\t\tCreate a new user-defined chain
  --delete-chain
            -X [chain]\t\tDelete a user-defined chain
  --policy  -P chain target
\t\t\t\tChange policy on chain to target
  --rename-chain
            -E old-chain new-chain
\t\t\t\tChange chain name, (moving any references)

Options:
    --ipv4\t-4\t\tNothing (line is ignored by ip6tables-restore)
    --ipv6\t-6\t\tError (line is ignored by iptables-restore)
[!] --protocol\t-p proto\tprotocol: by number or name, eg. `tcp'
[!] --source\t-s address[/mask][...]
\t\t\t\tsource specification
[!] --destination -d address[/mask][...]
\t\t\t\tdestination specification
[!] --in-interface -i input name[+]
\t\t\t\tnetwork interface name ([+] for wildcard)
 --jump\t-j target
\t\t\t\ttarget for rule (may load target extension)
  --goto      -g chain
\t\t\t       jump to chain with no return
  --match\t-m match
\t\t\t\textended match (may load extension)
  --numeric\t-n\t\tnumeric output of addresses and ports
[!] --out-interface -o output name[+]
\t\t\t\tnetwork interface name ([+] for wildcard)
  --table\t-t table\ttable to manipulate (default: `filter')
  --verbose\t-v\t\tverbose mode
  --wait\t-w [seconds]\tmaximum wait to acquire xtables lock before give up
  --line-numbers\t\tprint line numbers when listing
  --exact\t-x\t\texpand numbers (display exact values)
[!] --fragment\t-f\t\tmatch second or further fragments only
  --modprobe=<command>\t\ttry to insert modules using this command
  --set-counters -c PKTS BYTES\tset the counter during insert/append
[!] --version\t-V\t\tprint package version.
"""

# --------------------------------------------------------------------------------------------
# Netfilter
# --------------------------------------------------------------------------------------------

_HOOK_PLAN: dict[str, tuple[tuple[str, str], ...]] = {
    # (table, kind); kind: "t" traverse table, "ct" conntrack in, "dnat"/"snat" nat + manip,
    # "confirm" conntrack confirm, "ipvs" IPVS's ip_vs_in (LOCAL_IN, priority NAT_SRC - 1).
    "PREROUTING": (("raw", "t"), ("", "ct"), ("mangle", "t"), ("nat", "dnat")),
    "INPUT": (("mangle", "t"), ("filter", "t"), ("", "ipvs"), ("nat", "snat"), ("", "confirm")),
    "FORWARD": (("mangle", "t"), ("filter", "t")),
    "OUTPUT": (("raw", "t"), ("", "ct"), ("mangle", "t"), ("nat", "dnat"), ("filter", "t")),
    "POSTROUTING": (("mangle", "t"), ("nat", "snat"), ("", "confirm")),
}


class Netfilter:
    """iptables + conntrack of one network namespace.

    ``ns`` must offer: ``where``, ``clock`` (``.now`` in ns), ``addr_type(ip)``,
    ``masquerade_source(out_dev, dst)``, ``send_icmp_error(pkt, type, code)``,
    ``send_tcp_reset(pkt)`` and ``link_names()``; REDIRECT uses ``primary_addr(dev)`` when
    present (else ``masquerade_source``).
    """

    iptables_version = "1.8.4"

    def __init__(self, ns: Any) -> None:
        self.ns = ns
        self.tables: dict[str, Table] = {name: Table(name) for name in TABLES}
        self.conntrack = Conntrack(ns.clock)
        self._configured = False

    # ---------------------------------------------------------------- datapath

    @property
    def active(self) -> bool:
        """False while there is nothing to do: no rules, ACCEPT policies, no NAT connections."""
        if self._configured:
            return True
        ct = self.conntrack
        if ct.nat_count:
            ct.purge()
            return ct.nat_count > 0
        return False

    def hook(self, hook: str, pkt: Pkt, in_dev: str, out_dev: str) -> bool:
        """Run one netfilter hook on ``pkt``. False: the packet was dropped (or stolen)."""
        c = _parse_ctx(pkt, hook, in_dev, out_dev, self.ns)
        if c is None:
            return True
        tables = self.tables
        for tname, kind in _HOOK_PLAN[hook]:
            if kind == "t":
                ch = tables[tname].chains[hook]
                if (ch.rules or ch.policy != "ACCEPT") and self._traverse(ch, c, tname) == V_DROP:
                    return False
            elif kind == "ct":
                self._ct_in(c)
            elif kind == "ipvs":
                ipvs = getattr(self.ns, "ipvs", None)
                if ipvs is not None and ipvs.local_in(pkt, self.ns.links.get(in_dev)):
                    return False  # stolen: IPVS sent it on through OUTPUT and POSTROUTING itself
            elif kind == "confirm":
                conn = pkt.ct
                if (isinstance(conn, Conn) and conn.table is self.conntrack and not conn.confirmed
                        and not pkt.ct_reply):
                    self.conntrack.confirm(conn)
            else:
                if not self._nat(c, tables[tname].chains[hook], kind == "snat"):
                    return False
        return True

    def _traverse(self, chain: Chain, c: _Ctx, tname: str) -> int:
        origin = chain
        stack: list[tuple[Chain, int]] = []
        cur = chain
        rules = cur.rules
        i = 0
        length = c.length
        while True:
            while i < len(rules):
                r = rules[i]
                i += 1
                for p in r.preds:
                    if not p(c):
                        break
                else:
                    r.pkts += 1
                    r.bytes += length
                    k = r.kind
                    if k == K_NONE:
                        continue
                    if k == K_ACCEPT:
                        return V_ACCEPT
                    if k == K_DROP:
                        c.pkt.hop(self.ns.where, c.in_dev or c.out_dev, "drop",
                                  f"iptables -t {tname}: {cur.name} rule {i} DROP")
                        return V_DROP
                    if k == K_RETURN:
                        break
                    if k == K_JUMP or k == K_GOTO:
                        if k == K_JUMP:
                            stack.append((cur, i))
                        assert r.chain is not None
                        cur = r.chain
                        rules = cur.rules
                        i = 0
                        continue
                    if k == K_QUEUE:
                        c.pkt.hop(self.ns.where, c.in_dev or c.out_dev, "drop", "QUEUE: no listener")
                        return V_DROP
                    assert r.target is not None
                    v = r.target.fire(self, c, r)
                    if v != V_CONTINUE:
                        return v
            if stack:
                cur, i = stack.pop()
                rules = cur.rules
                continue
            origin.pol_pkts += 1
            origin.pol_bytes += length
            if origin.policy == "DROP":
                c.pkt.hop(self.ns.where, c.in_dev or c.out_dev, "drop",
                          f"iptables -t {tname}: {origin.name} policy DROP")
                return V_DROP
            return V_ACCEPT

    # ---------------------------------------------------------------- conntrack

    def _key(self, c: _Ctx) -> tuple[int, int, int, int, int] | None:
        proto = c.proto
        if proto == 6 or proto == 17:
            if c.sport < 0:
                return None
            return (proto, c.src, c.sport, c.dst, c.dport)
        if proto == 1:
            if c.itype in (0, 8) and len(c.pkt.data) >= c.l4 + 6:
                ident = _U16.unpack_from(c.pkt.data, c.l4 + 4)[0]
                return (1, c.src, ident, c.dst, 0)
            return None
        return (proto, c.src, 0, c.dst, 0)

    def _ct_in(self, c: _Ctx) -> None:
        pkt = c.pkt
        conn = pkt.ct
        if isinstance(conn, Conn) and conn.table is self.conntrack and (
                c.hook == "OUTPUT" or c.in_dev == "lo"):
            return  # looped back over lo: the kernel keeps the skb's conntrack
        if conn is None and pkt.meta is not None and pkt.meta.get("untracked"):
            return  # IPVS without vs/conntrack made it untracked (ip_vs_notrack)
        # Anything else arrived from another namespace or the wire: scrubbed, look it up.
        pkt.ct = None
        pkt.ct_reply = False
        if pkt.meta is not None:
            pkt.meta.pop("ct_related", None)
        if c.frag:
            return
        ct = self.conntrack
        now = self.ns.clock.now
        if c.proto == 1 and c.itype in _ICMP_ERRORS:
            self._ct_icmp_error(c)
            return
        key = self._key(c)
        if key is None:
            return  # INVALID: e.g. an ICMP reply nobody asked for
        entry = ct.lookup(key)
        if entry is None:
            rej = ct.rejected.get(key)
            if rej is not None and rej[1] > now:
                entry = (rej[0], True)
        flags = c.tflags
        if entry is not None and c.proto == 6 and not entry[1] and flags & 0x12 == 0x02 \
                and entry[0].state in ("TIME_WAIT", "CLOSE"):
            ct.remove(entry[0])
            entry = None
        if entry is None:
            if c.proto == 1 and c.itype != 8:
                return
            if c.proto == 6:
                if flags & 0x04 or (flags & 0x12 == 0x12) or (flags & 0x01 and not flags & 0x02):
                    return  # RST, SYN/ACK or FIN without a connection: INVALID
            conn = Conn(ct, c.proto, (key[1], key[2], key[3], key[4]))
            reply = False
            if c.proto == 6:
                conn.state = "SYN_SENT" if flags & 0x02 else "ESTABLISHED"
        else:
            conn, reply = entry
        self._ct_update(conn, reply, c, now)
        pkt.ct = conn
        pkt.ct_reply = reply

    def _ct_update(self, conn: Conn, reply: bool, c: _Ctx, now: int) -> None:
        if reply and not conn.status & S_SEEN_REPLY:
            conn.status |= S_SEEN_REPLY
        d = 1 if reply else 0
        conn.packets[d] += 1
        conn.bytes[d] += c.length
        proto = conn.proto
        if proto == 6:
            self._tcp_state(conn, reply, c.tflags)
            timeout = _TCP_TIMEOUTS.get(conn.state, 120)
        elif proto == 17:
            if conn.status & S_SEEN_REPLY:
                conn.status |= S_ASSURED
                timeout = 120
            else:
                timeout = 30
        elif proto == 1:
            timeout = 30
        else:
            timeout = 600  # nf_conntrack_generic_timeout
        conn.expires = now + timeout * SEC

    @staticmethod
    def _tcp_state(conn: Conn, reply: bool, flags: int) -> None:
        st = conn.state
        syn, ack, fin, rst = flags & 0x02, flags & 0x10, flags & 0x01, flags & 0x04
        if rst:
            conn.state = "CLOSE"
        elif syn and not ack:
            if not reply and st in ("", "SYN_SENT"):
                conn.state = "SYN_SENT"
        elif syn and ack:
            if reply and st == "SYN_SENT":
                conn.state = "SYN_RECV"
        elif fin:
            if st in ("ESTABLISHED", "SYN_RECV"):
                conn.state = "FIN_WAIT"
                conn.fin_dir = reply
            elif st in ("FIN_WAIT", "CLOSE_WAIT") and reply != conn.fin_dir:
                conn.state = "LAST_ACK"
        elif ack:
            if st == "SYN_RECV" and not reply:
                conn.state = "ESTABLISHED"
                conn.status |= S_ASSURED
            elif st == "ESTABLISHED" and reply and not conn.status & S_ASSURED:
                conn.status |= S_ASSURED  # picked up mid-stream, now seen both ways
            elif st == "LAST_ACK" and reply == conn.fin_dir:
                conn.state = "TIME_WAIT"
            elif st == "FIN_WAIT" and reply != conn.fin_dir:
                conn.state = "CLOSE_WAIT"

    def _ct_icmp_error(self, c: _Ctx) -> None:
        """An ICMP error about a tracked connection is RELATED to it (or INVALID)."""
        data = c.pkt.data
        inner = c.l4 + 8
        if len(data) < inner + 20:
            return
        vihl = data[inner]
        iproto = data[inner + 9]
        isrc, idst = struct.unpack_from("!II", data, inner + 12)
        il4 = inner + ((vihl & 15) << 2)
        if iproto in (6, 17):
            if len(data) < il4 + 4:
                return
            sp, dp = _PORTS.unpack_from(data, il4)
            key = (iproto, idst, dp, isrc, sp)
        elif iproto == 1:
            if len(data) < il4 + 6 or data[il4] not in (0, 8):
                return
            key = (1, idst, _U16.unpack_from(data, il4 + 4)[0], isrc, 0)
        else:
            key = (iproto, idst, 0, isrc, 0)
        ct = self.conntrack
        entry = ct.lookup(key)
        if entry is None:
            rej = ct.rejected.get(key)
            if rej is None or rej[1] <= self.ns.clock.now:
                return
            entry = (rej[0], True)
        conn, reply = entry
        pkt = c.pkt
        pkt.ct = conn
        pkt.ct_reply = reply
        if pkt.meta is None:
            pkt.meta = {}
        pkt.meta["ct_related"] = True

    # ---------------------------------------------------------------- NAT

    def _nat(self, c: _Ctx, chain: Chain, src_manip: bool) -> bool:
        conn = c.pkt.ct
        if not isinstance(conn, Conn):
            return True
        done = S_SRC_NAT_DONE if src_manip else S_DST_NAT_DONE
        if (not conn.status & done and not conn.confirmed and not c.pkt.ct_reply
                and not (c.pkt.meta and c.pkt.meta.get("ct_related"))):
            conn.status |= done
            if (chain.rules or chain.policy != "ACCEPT") and self._traverse(chain, c, "nat") == V_DROP:
                return False
        if conn.status & (S_SRC_NAT | S_DST_NAT):
            self._nat_apply(c, conn, src_manip)
        return True

    def _bind_dnat(self, conn: Conn, ip: int, port: int, kind: str) -> None:
        cur = _invert(conn.proto, conn.reply)
        if conn.proto in (6, 17):
            cur = (cur[0], cur[1], ip, port)
        else:
            cur = (cur[0], cur[1], ip, cur[3])
        conn.reply = _invert(conn.proto, cur)
        conn.status |= S_DST_NAT
        conn.dnat_kind = kind

    def _bind_snat(self, conn: Conn, ip: int, lo: int, hi: int, kind: str) -> None:
        """Source-NAT ``conn`` to ``ip``, keeping the port unless that reply tuple is taken."""
        proto = conn.proto
        cur = _invert(proto, conn.reply)  # the original tuple as it leaves, after any DNAT
        port = cur[1]
        if proto in (6, 17, 1):
            table = self.conntrack.table

            def free(cand: int) -> bool:
                return (proto, *_invert(proto, (ip, cand, cur[2], cur[3]))) not in table

            if lo < 0:
                lo, hi = (1024, 65535) if proto != 1 else (0, 65535)
                keep = True
            else:
                keep = lo <= port <= hi
            if not (keep and free(port)):
                span = hi - lo + 1
                first = port + 1 if lo <= port + 1 <= hi else lo
                for step in range(span):
                    cand = lo + (first - lo + step) % span
                    if free(cand):
                        port = cand
                        break
        conn.reply = _invert(proto, (ip, port, cur[2], cur[3]))
        conn.status |= S_SRC_NAT
        conn.snat_kind = kind

    def _nat_apply(self, c: _Ctx, conn: Conn, src_manip: bool) -> None:
        """Rewrite the packet to the connection's NAT binding (or back, for replies)."""
        pkt = c.pkt
        reply = pkt.ct_reply
        proto = conn.proto
        status = conn.status
        if src_manip:
            if not reply and status & S_SRC_NAT:
                target, action = _invert(proto, conn.reply), conn.snat_kind
            elif reply and status & S_DST_NAT:
                target, action = _invert(proto, conn.orig), "un-" + conn.dnat_kind
            else:
                return
        else:
            if not reply and status & S_DST_NAT:
                target, action = _invert(proto, conn.reply), conn.dnat_kind
            elif reply and status & S_SRC_NAT:
                target, action = _invert(proto, conn.orig), "un-" + conn.snat_kind
            else:
                return
        related = bool(pkt.meta and pkt.meta.get("ct_related"))
        new_src, new_dst = (target[0], c.dst) if src_manip else (c.src, target[2])
        new_sport = new_dport = -1
        if not related:
            if proto == 1:
                new_sport = target[1]  # the echo identifier, in either direction
            elif proto in (6, 17):
                if src_manip:
                    new_sport = target[1]
                else:
                    new_dport = target[3]
            if (new_src == c.src and new_dst == c.dst and new_sport in (-1, c.sport)
                    and new_dport in (-1, c.dport)):
                if proto != 1 or new_sport < 0:
                    return
        old = (c.src, c.sport, c.dst, c.dport)
        buf = bytearray(pkt.data)
        _rewrite_l3l4(buf, pkt.l3, new_src, new_dst, new_sport, new_dport)
        if related:
            self._rewrite_inner(buf, c, src_manip, target)
        pkt.data = bytes(buf)
        c.src, c.dst = new_src, new_dst
        if new_sport >= 0 and proto in (6, 17):
            c.sport = new_sport
        if new_dport >= 0 and proto in (6, 17):
            c.dport = new_dport
        shown = proto if not related else 0
        if src_manip:
            detail = f"{_endpoint(old[0], old[1], shown)} -> {_endpoint(c.src, c.sport, shown)}"
        else:
            detail = f"{_endpoint(old[2], old[3], shown)} -> {_endpoint(c.dst, c.dport, shown)}"
        if related:
            action += " (icmp error)"
        pkt.hop(self.ns.where, c.in_dev or c.out_dev, action, detail)

    def _rewrite_inner(self, buf: bytearray, c: _Ctx, src_manip: bool, target: Tuple) -> None:
        """Make the header quoted in an ICMP error match what its receiver sent; fix the ICMP sum."""
        inner = c.l4 + 8
        isrc, idst = struct.unpack_from("!II", buf, inner + 12)
        iproto = buf[inner + 9]
        if src_manip:  # the error's source changed: the quoted packet had been sent to it
            n_src, n_sport, n_dst, n_dport = isrc, -1, target[0], target[1]
        else:  # the error's destination changed: the quoted packet had come from it
            n_src, n_sport, n_dst, n_dport = target[2], target[3], idst, -1
        if iproto == 1:
            n_sport, n_dport = target[1], -1
        elif iproto not in (6, 17):
            n_sport = n_dport = -1
        _rewrite_l3l4(buf, inner, n_src, n_dst, n_sport, n_dport)
        tot = _U16.unpack_from(buf, c.pkt.l3 + 2)[0]
        end = min(len(buf), c.pkt.l3 + tot)
        _U16.pack_into(buf, c.l4 + 2, 0)
        _U16.pack_into(buf, c.l4 + 2, _csum(buf[c.l4:end]))

    # ---------------------------------------------------------------- rule management API

    def _table(self, name: str) -> Table:
        t = self.tables.get(name)
        if t is None:
            raise IptablesError(_error_text(_TableError(name), self.iptables_version)[1].rstrip("\n"), 3)
        return t

    def _changed(self) -> None:
        self._configured = any(
            ch.rules or (ch.builtin and ch.policy != "ACCEPT")
            for t in self.tables.values() for ch in t.chains.values())

    def _resolve(self, table: Table, rule: Rule) -> None:
        """Bind the rule's target to a chain/verdict/extension and compile its predicates."""
        name = rule.jumpto
        rule.chain = None
        if rule.goto and (name not in table.chains or table.chains[name].builtin):
            raise _ParamError(f"goto '{name}' is not a chain", True)
        if name in table.chains and table.chains[name].builtin:
            raise _KernelError(_E_INVAL)  # no jumping into a built-in chain
        if rule.target is not None and name not in table.chains:
            rule.kind = K_EXT
        elif not name:
            rule.kind = K_NONE
        elif name in table.chains and not table.chains[name].builtin:
            rule.kind = K_GOTO if rule.goto else K_JUMP
            rule.chain = table.chains[name]
            rule.target = None
        elif name in ("ACCEPT", "DROP", "RETURN", "QUEUE") and not rule.goto:
            rule.kind = {"ACCEPT": K_ACCEPT, "DROP": K_DROP, "RETURN": K_RETURN, "QUEUE": K_QUEUE}[name]
        else:
            raise _ParamError(f"Couldn't load target `{name}':No such file or directory\n")
        rule.compile()

    def _validate(self, table: Table) -> None:
        """The kernel's checks at commit: no loops from a hook, targets/matches where allowed.

        Like the kernel's walk, rules after an unconditional ACCEPT/DROP/RETURN are not
        reached, so they are neither loop- nor hook-checked.
        """
        chain_hooks: dict[str, int] = {}
        rule_hooks: dict[int, int] = {}

        def walk(ch: Chain, mask: int, path: tuple[str, ...]) -> None:
            if ch.name in path:
                raise _KernelError(_E_LOOP)
            seen = chain_hooks.get(ch.name)
            if seen is not None and seen & mask == mask:
                return
            chain_hooks[ch.name] = (seen or 0) | mask
            for r in ch.rules:
                rule_hooks[id(r)] = rule_hooks.get(id(r), 0) | mask
                if r.chain is not None:
                    walk(r.chain, mask, path + (ch.name,))
                elif r.kind in (K_ACCEPT, K_DROP, K_RETURN, K_QUEUE) and _unconditional(r):
                    break

        for ch in table.chains.values():
            if ch.builtin:
                walk(ch, _HOOK_BIT[ch.name], ())
        for ch in table.chains.values():
            for r in ch.rules:
                for m in r.matches:
                    if not m.kernel_ok(r) or rule_hooks.get(id(r), 0) & m.forbidden_hooks():
                        raise _KernelError(_E_INVAL)
                t = r.target
                if t is not None and r.kind == K_EXT:
                    if not t.kernel_ok(r, table.name):
                        raise _KernelError(_E_INVAL)
                    if t.hooks and rule_hooks.get(id(r), 0) & ~t.hooks:
                        raise _KernelError(_E_INVAL)

    def _mutate(self, table: Table, fn: Callable[[], Callable[[], None]]) -> None:
        """Apply a change, validate the table, undo it when the kernel would refuse."""
        undo = fn()
        try:
            self._validate(table)
        except _KernelError:
            undo()
            raise
        self._changed()

    def _link(self, rule: Rule, delta: int) -> None:
        if rule.chain is not None:
            rule.chain.refs += delta

    def _api(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except (_ParamError, _BadArgument, _KernelError, _TableError) as e:
            status, text = _error_text(e, self.iptables_version)
            raise IptablesError(text.rstrip("\n"), status) from None

    def append(self, table: str, chain: str, rule: Rule) -> None:
        """``iptables -t table -A chain <rule>``."""
        self._api(lambda: self._insert_at(table, chain, rule, None))

    def insert(self, table: str, chain: str, rule: Rule, pos: int = 1) -> None:
        """``iptables -I chain pos <rule>`` (1 = first)."""
        self._api(lambda: self._insert_at(table, chain, rule, pos))

    def _insert_at(self, tname: str, cname: str, rule: Rule, pos: int | None) -> None:
        table = self._table(tname)
        self._resolve(table, rule)
        ch = table.chain(cname)
        if pos is not None and pos > len(ch.rules) + 1:
            raise _KernelError("Index of insertion too big.")

        def do() -> Callable[[], None]:
            idx = len(ch.rules) if pos is None else pos - 1
            ch.rules.insert(idx, rule)
            self._link(rule, 1)

            def undo() -> None:
                ch.rules.remove(rule)
                self._link(rule, -1)

            return undo

        self._mutate(table, do)

    @staticmethod
    def _not_found(rule: Rule) -> _KernelError:
        # libiptc reports a missing rule with an extension target as ENOENT.
        return _KernelError(_E_NOENT if rule.kind == K_EXT else _E_BADRULE)

    def _find(self, ch: Chain, rule: Rule) -> int:
        key = rule.spec_key()
        for i, r in enumerate(ch.rules):
            if r.spec_key() == key:
                return i
        raise self._not_found(rule)

    def delete(self, table: str, chain: str, rule: Rule | int) -> None:
        """``iptables -D chain <rule>`` or ``-D chain N`` (1 = first)."""

        def run() -> None:
            t = self._table(table)
            ch = t.chain(chain)
            if isinstance(rule, int):
                if rule > len(ch.rules) or rule < 1:
                    raise _KernelError("Index of deletion too big.")
                idx = rule - 1
            else:
                self._resolve(t, rule)
                idx = self._find(ch, rule)
            old = ch.rules.pop(idx)
            self._link(old, -1)
            self._changed()

        self._api(run)

    def check(self, table: str, chain: str, rule: Rule) -> bool:
        """``iptables -C``: does an identical rule exist?"""

        def run() -> bool:
            t = self._table(table)
            ch = t.chain(chain)
            self._resolve(t, rule)
            try:
                self._find(ch, rule)
            except _KernelError:
                return False
            return True

        return bool(self._api(run))

    def replace(self, table: str, chain: str, index: int, rule: Rule) -> None:
        """``iptables -R chain N <rule>``."""

        def run() -> None:
            t = self._table(table)
            self._resolve(t, rule)
            ch = t.chain(chain)
            if index > len(ch.rules) or index < 1:
                raise _KernelError("Index of replacement too big.")

            def do() -> Callable[[], None]:
                old = ch.rules[index - 1]
                ch.rules[index - 1] = rule
                self._link(old, -1)
                self._link(rule, 1)

                def undo() -> None:
                    ch.rules[index - 1] = old
                    self._link(rule, -1)
                    self._link(old, 1)

                return undo

            self._mutate(t, do)

        self._api(run)

    def flush(self, table: str, chain: str | None = None) -> list[str]:
        """``iptables -F [chain]``; returns the chains flushed."""

        def run() -> list[str]:
            t = self._table(table)
            chains = [t.chain(chain)] if chain else t.ordered()
            for ch in chains:
                for r in ch.rules:
                    self._link(r, -1)
                ch.rules = []
            self._changed()
            return [ch.name for ch in chains]

        return list(self._api(run))

    def new_chain(self, table: str, name: str) -> None:
        """``iptables -N name``."""

        def run() -> None:
            _check_chain_name(name)
            if name in _KNOWN_TARGET_NAMES:
                raise _ParamError("chain name may not clash with target name", True)
            t = self._table(table)
            if name in t.chains:
                raise _KernelError("Chain already exists.")
            t.chains[name] = Chain(name, False)

        self._api(run)

    def delete_chain(self, table: str, name: str | None = None) -> list[str]:
        """``iptables -X [name]``: all-or-nothing like the legacy binary; returns deleted names."""

        def run() -> list[str]:
            t = self._table(table)
            if name is not None:
                ch = t.chain(name)
                if ch.builtin:
                    raise _KernelError(_E_INVAL)
                targets = [ch]
            else:
                targets = [c for c in t.ordered() if not c.builtin]
            err: str | None = None
            for ch in targets:
                if ch.refs:
                    err = "Too many links."
                elif ch.rules:
                    err = "Directory not empty."
            if err is not None:
                raise _KernelError(err)
            for ch in targets:
                del t.chains[ch.name]
            return [c.name for c in targets]

        return list(self._api(run))

    def rename_chain(self, table: str, old: str, new: str) -> None:
        """``iptables -E old new``."""

        def run() -> None:
            _check_chain_name(new)
            t = self._table(table)
            ch = t.chain(old)
            if ch.builtin:
                raise _KernelError(_E_NOENT)
            if new in t.chains or new in _VERDICTS:
                raise _KernelError("File exists.")
            del t.chains[old]
            ch.name = new
            t.chains[new] = ch
            for c2 in t.chains.values():
                for r in c2.rules:
                    if r.chain is ch:
                        r.jumpto = new

        self._api(run)

    def set_policy(self, table: str, chain: str, policy: str) -> None:
        """``iptables -P chain ACCEPT|DROP``."""

        def run() -> None:
            t = self._table(table)
            ch = t.chains.get(chain)
            if ch is None or not ch.builtin:
                raise _KernelError("Bad built-in chain name.")
            if policy not in ("ACCEPT", "DROP"):
                raise _KernelError("Bad policy name. Run `dmesg' for more information.")
            ch.policy = policy
            self._changed()

        self._api(run)

    def zero(self, table: str, chain: str | None = None, index: int | None = None) -> list[str]:
        """``iptables -Z [chain [N]]``; returns the chains zeroed."""

        def run() -> list[str]:
            t = self._table(table)
            chains = [t.chain(chain)] if chain else t.ordered()
            if index is not None:
                ch = chains[0]
                if index > len(ch.rules):
                    raise _KernelError("Index of counter too big.")
                ch.rules[index - 1].pkts = ch.rules[index - 1].bytes = 0
                return [ch.name]
            for ch in chains:
                ch.pol_pkts = ch.pol_bytes = 0
                for r in ch.rules:
                    r.pkts = r.bytes = 0
            return [ch.name for ch in chains]

        return list(self._api(run))

    def rules(self, table: str, chain: str) -> list[Rule]:
        """The rules of a chain, in order (live objects: counters are current)."""
        return list(self._api(lambda: self._table(table).chain(chain).rules))

    def chains(self, table: str) -> list[str]:
        """Chain names as iptables lists them: built-ins in hook order, then user chains sorted."""
        return [c.name for c in self._api(lambda: self._table(table).ordered())]

    def policy(self, table: str, chain: str) -> str:
        return str(self._api(lambda: self._table(table).chain(chain).policy))

    parse_rule_args = staticmethod(parse_rule_args)

    # ---------------------------------------------------------------- the command line

    def run(self, argv: list[str]) -> str:
        """Run ``iptables <argv>``; return stdout, raise IptablesError on failure."""
        status, out, err = self.execute(argv)
        if status:
            raise IptablesError(err.rstrip("\n"), status)
        return out

    def execute(self, argv: list[str]) -> tuple[int, str, str]:
        """Run ``iptables <argv>`` and return (exit status, stdout, stderr) exactly as iptables would."""
        out: list[str] = []
        try:
            self._command(argv, out)
        except (_ParamError, _BadArgument, _KernelError, _TableError) as e:
            status, text = _error_text(e, self.iptables_version)
            return status, "".join(out), text
        except IptablesError as e:
            return e.status, "".join(out), e.message + "\n"
        return 0, "".join(out), ""

    def _command(self, argv: list[str], out: list[str]) -> None:
        parser = _ArgParser(argv)
        p = parser.parse()
        rule = p.rule
        for m in rule.matches:
            m.final_check(rule)
        if rule.target is not None:
            rule.target.final_check(rule)
        if p.table == "nat" and (p.policy == "DROP" or rule.jumpto == "DROP"):
            raise _ParamError('\nThe "nat" table is not intended for filtering, the use of DROP '
                              "is therefore inhibited.\n\n")
        if not p.command:
            raise _ParamError("no command specified")
        if parser.invert:
            raise _ParamError("nothing appropriate following !")
        cmd = p.command
        if cmd == "VERSION":
            out.append(f"iptables v{self.iptables_version} (legacy)\n")
            return
        if cmd == "HELP":
            text = HELP_TEXT.format(version=self.iptables_version)
            if _ver(self.iptables_version) < (1, 8, 8):  # before --wait-interval was retired
                text = text.replace(
                    "before give up\n",
                    "before give up\n  --wait-interval -W [usecs]\twait time to try to acquire "
                    "xtables lock\n\t\t\t\tdefault is 1 second\n",
                ).replace("--set-counters -c PKTS BYTES", "--set-counters PKTS BYTES")
            out.append(text)
            return
        rules: list[Rule] = []
        if cmd in ("APPEND", "DELETE", "CHECK", "INSERT", "REPLACE"):
            rules = _finish_rule(p)
            if cmd == "REPLACE" and len(rules) != 1:
                raise _ParamError("Replacement rule does not specify a unique address")
        base = cmd.split("+")[0]
        bad = _illegal_option(cmd.split("+"), p.options)
        if bad is not None:
            raise _ParamError(f"Illegal option `-{bad}' with this command", True)
        if p.chain and len(p.chain) >= 29 and base != "NEW_CHAIN":
            raise _ParamError(f"chain name `{p.chain}' too long (must be under 29 chars)")
        table = self.tables.get(p.table)
        if table is None:
            raise _TableError(p.table)
        if base in ("APPEND", "DELETE", "CHECK", "INSERT", "REPLACE"):
            if p.chain in ("PREROUTING", "INPUT") and "o" in p.options:
                raise _ParamError(f"Can't use -o with {p.chain}\n")
            if p.chain in ("POSTROUTING", "OUTPUT") and "i" in p.options:
                raise _ParamError(f"Can't use -i with {p.chain}\n")
            for r in rules:
                self._resolve(table, r)
            if p.verbose:
                fmt = _F_NUMERIC | _F_NOCOUNTS | _F_VIA | _F_NOTABLE
                for r in rules:
                    out.append(_format_rule(r, 0, fmt, self.iptables_version))
        self._do(p, table, rules, out)

    def _do(self, p: _Parsed, table: Table, rules: list[Rule], out: list[str]) -> None:
        cmd = p.command
        tname = table.name
        if cmd == "APPEND":
            for r in rules:
                self._insert_at(tname, p.chain, r, None)
        elif cmd == "INSERT":
            for r in rules:  # each at the same position, as iptables does
                self._insert_at(tname, p.chain, r, p.rulenum)
        elif cmd in ("DELETE", "CHECK"):
            ch = table.chains.get(p.chain)
            if ch is None:
                raise self._not_found(rules[0])
            for r in rules:
                idx = self._find(ch, r)
                if cmd == "DELETE":
                    self._link(ch.rules.pop(idx), -1)
            self._changed()
        elif cmd == "DELETE_NUM":
            ch = table.chain(p.chain)
            if p.rulenum > len(ch.rules):
                raise _KernelError("Index of deletion too big.")
            self._link(ch.rules.pop(p.rulenum - 1), -1)
            self._changed()
        elif cmd == "REPLACE":
            ch = table.chain(p.chain)
            if p.rulenum > len(ch.rules):
                raise _KernelError("Index of replacement too big.")
            self.replace(tname, p.chain, p.rulenum, rules[0])
        elif cmd.startswith("LIST") and cmd != "LIST_RULES" or cmd.startswith("ZERO"):
            if "LIST" in cmd:
                self._list(p, table, out)
            if "ZERO" in cmd:
                chains = [table.chain(p.chain)] if p.chain else table.ordered()
                if cmd.endswith("ZERO_NUM") and "LIST" not in cmd:
                    ch = chains[0]
                    if p.rulenum > len(ch.rules):
                        raise _KernelError("Index of counter too big.")
                    ch.rules[p.rulenum - 1].pkts = ch.rules[p.rulenum - 1].bytes = 0
                else:
                    for ch in chains:
                        if p.verbose:
                            out.append(f"Zeroing chain `{ch.name}'\n")
                        ch.pol_pkts = ch.pol_bytes = 0
                        for r in ch.rules:
                            r.pkts = r.bytes = 0
        elif cmd == "LIST_RULES":
            self._list_rules(p, table, out)
        elif cmd == "FLUSH":
            chains = [table.chain(p.chain)] if p.chain else table.ordered()
            for ch in chains:
                if p.verbose:
                    out.append(f"Flushing chain `{ch.name}'\n")
                for r in ch.rules:
                    self._link(r, -1)
                ch.rules = []
            self._changed()
        elif cmd == "NEW_CHAIN":
            if p.chain in table.chains:
                raise _KernelError("Chain already exists.")
            table.chains[p.chain] = Chain(p.chain, False)
        elif cmd == "DELETE_CHAIN":
            deleted = self.delete_chain(tname, p.chain or None)
            if p.verbose:
                out.extend(f"Deleting chain `{n}'\n" for n in deleted)
        elif cmd == "RENAME_CHAIN":
            self.rename_chain(tname, p.chain, p.newname)
        elif cmd == "SET_POLICY":
            self.set_policy(tname, p.chain, p.policy)
            if p.pcnt is not None:
                ch = table.chains[p.chain]
                ch.pol_pkts, ch.pol_bytes = p.pcnt, p.bcnt or 0

    def _list(self, p: _Parsed, table: Table, out: list[str]) -> None:
        fmt = 0
        if p.numeric:
            fmt |= _F_NUMERIC
        if not p.verbose:
            fmt |= _F_NOCOUNTS
        else:
            fmt |= _F_VIA
        if not p.exact:
            fmt |= _F_KMG
        if p.linenumbers:
            fmt |= _F_LINENUM
        chains = [table.chain(p.chain)] if p.chain else table.ordered()
        version = self.iptables_version
        if p.rulenum:
            ch = chains[0]
            if p.rulenum <= len(ch.rules):
                out.append(_format_rule(ch.rules[p.rulenum - 1], p.rulenum, fmt, version))
            return
        for n, ch in enumerate(chains):
            if n:
                out.append("\n")
            out.append(_format_header(ch, fmt))
            for i, r in enumerate(ch.rules, 1):
                out.append(_format_rule(r, i, fmt, version))

    def _list_rules(self, p: _Parsed, table: Table, out: list[str]) -> None:
        chains = [table.chain(p.chain)] if p.chain else table.ordered()
        verbose = bool(p.verbose)
        if p.rulenum:
            ch = chains[0]
            if p.rulenum <= len(ch.rules):
                out.append(f"-A {ch.name}" + ch.rules[p.rulenum - 1].save_text(counters=verbose) + "\n")
            return
        for ch in chains:
            if ch.builtin:
                line = f"-P {ch.name} {ch.policy}"
                if verbose:
                    line += f" -c {ch.pol_pkts} {ch.pol_bytes}"
                out.append(line + "\n")
            else:
                out.append(f"-N {ch.name}\n")
        for ch in chains:
            for r in ch.rules:
                out.append(f"-A {ch.name}" + r.save_text(counters=verbose) + "\n")
