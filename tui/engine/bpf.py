"""Capture filters (tcpdump / pcap-filter syntax) compiled to Python predicates.

The simulated ``tcpdump`` must select exactly the packets the real one selects,
so this follows libpcap 1.10's grammar and code generator rather than a
"reasonable" reading of the syntax:

* ``and`` and ``or`` have the *same* precedence and associate left to right;
  ``not`` binds tightest.
* A bare value after ``and``/``or``/``not``/``(`` reuses the qualifiers of the
  previous primitive (``port 53 or 80``, ``host a and (b or c)``); after a
  protocol keyword such as ``tcp`` it is an error ("syntax error in filter
  expression").
* Only the outermost headers are looked at (a VXLAN packet matches ``port
  4789``, its inner ICMP does not match ``icmp``); ``host``/``net`` also match
  the protocol addresses of ARP/RARP; ``port`` and ``tcp[..]`` only match the
  first fragment; a load past the end of the packet rejects the packet.
* Error messages are libpcap's (``can't parse filter expression: syntax error``,
  ``illegal port number 99999 > 65535``, ...), without the ``tcpdump: `` prefix.

The expression is parsed once into nested closures, so evaluation costs a few
function calls per packet.  Link types: Ethernet (1) and LINUX_SLL2 (276, what
``tcpdump -i any`` sees).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable

from tui.engine.addr import IP_PROTOCOLS, service_port

__all__ = ["FilterError", "compile_filter", "Filter"]

Predicate = Callable[[bytes], bool]
Filter = Callable[..., bool]  # filter(frame, wirelen=None) -> bool

LINKTYPE_ETHERNET = 1
LINKTYPE_LINUX_SLL2 = 276

_PROTO_UNDEF = -1
_IPPROTO_TCP = 6
_IPPROTO_UDP = 17
_IPPROTO_SCTP = 132


class FilterError(ValueError):
    """A filter that libpcap would refuse; the message is libpcap's."""


class _OutOfBounds(Exception):
    """A load past the end of the packet: BPF rejects the packet."""


_SYNTAX = "can't parse filter expression: syntax error"
_SEMANTIC = "syntax error in filter expression"

# --------------------------------------------------------------------------- lexer

# Scanner keywords (libpcap scanner.l); words not handled here still lex as keywords
# so that they cannot be mistaken for host names.
_KEYWORDS = {
    "dst": "dst", "src": "src",
    "link": "link", "ether": "link", "ppp": "link", "slip": "link",
    "fddi": "fddi", "tr": "tr", "wlan": "wlan",
    "arp": "arp", "rarp": "rarp", "ip": "ip", "sctp": "sctp", "tcp": "tcp", "udp": "udp",
    "icmp": "icmp", "igmp": "igmp", "igrp": "igrp", "pim": "pim", "vrrp": "vrrp", "carp": "carp",
    "radio": "radio", "ip6": "ip6", "icmp6": "icmp6", "ah": "ah", "esp": "esp",
    "atalk": "atalk", "aarp": "aarp", "decnet": "decnet", "lat": "lat", "sca": "sca",
    "moprc": "moprc", "mopdl": "mopdl", "iso": "iso", "esis": "esis", "es-is": "esis",
    "isis": "isis", "is-is": "isis", "l1": "l1", "l2": "l2", "iih": "iih", "lsp": "lsp",
    "snp": "snp", "psnp": "psnp", "csnp": "csnp", "clnp": "clnp", "stp": "stp", "ipx": "ipx",
    "netbeui": "netbeui",
    "host": "host", "net": "net", "mask": "mask", "port": "port", "portrange": "portrange",
    "proto": "proto", "protochain": "protochain", "gateway": "gateway",
    "type": "type", "subtype": "subtype", "direction": "dir", "dir": "dir",
    "address1": "addr1", "addr1": "addr1", "address2": "addr2", "addr2": "addr2",
    "address3": "addr3", "addr3": "addr3", "address4": "addr4", "addr4": "addr4",
    "ra": "ra", "ta": "ta",
    "less": "less", "greater": "greater", "byte": "byte",
    "broadcast": "broadcast", "multicast": "multicast",
    "and": "and", "or": "or", "not": "not",
    "len": "len", "length": "len", "inbound": "inbound", "outbound": "outbound",
    "ifindex": "ifindex", "vlan": "vlan", "mpls": "mpls", "pppoed": "pppoed", "pppoes": "pppoes",
    "geneve": "geneve", "lane": "lane", "llc": "llc", "metac": "metac", "bcc": "bcc",
    "oam": "oam", "oamf4": "oamf4", "oamf4ec": "oamf4ec", "oamf4sc": "oamf4sc", "sc": "sc",
    "ilmic": "ilmic", "vpi": "vpi", "vci": "vci", "connectmsg": "connectmsg",
    "metaconnect": "metaconnect", "on": "ifname", "ifname": "ifname", "rnr": "rnr",
    "rulenum": "rnr", "reason": "reason", "rset": "rset", "ruleset": "rset", "srnr": "srnr",
    "subrulenum": "srnr", "action": "action", "fisu": "fisu", "lssu": "lssu", "lsu": "lssu",
    "msu": "msu", "hfisu": "hfisu", "hlssu": "hlssu", "hmsu": "hmsu", "sio": "sio", "opc": "opc",
    "dpc": "dpc", "sls": "sls", "hsio": "hsio", "hopc": "hopc", "hdpc": "hdpc", "hsls": "hsls",
}

# Scanner words that stand for numbers (offsets and field values).
_NAMED_NUMBERS = {
    "icmptype": 0, "icmpcode": 1, "icmp-echoreply": 0, "icmp-unreach": 3,
    "icmp-sourcequench": 4, "icmp-redirect": 5, "icmp-echo": 8, "icmp-routeradvert": 9,
    "icmp-routersolicit": 10, "icmp-timxceed": 11, "icmp-paramprob": 12, "icmp-tstamp": 13,
    "icmp-tstampreply": 14, "icmp-ireq": 15, "icmp-ireqreply": 16, "icmp-maskreq": 17,
    "icmp-maskreply": 18, "tcpflags": 13, "tcp-fin": 0x01, "tcp-syn": 0x02, "tcp-rst": 0x04,
    "tcp-push": 0x08, "tcp-ack": 0x10, "tcp-urg": 0x20, "tcp-ece": 0x40, "tcp-cwr": 0x80,
}

_PROTO_NAMES = {  # pname keywords usable as protocol qualifiers
    "link", "ip", "arp", "rarp", "sctp", "tcp", "udp", "icmp", "igmp", "igrp", "pim", "vrrp",
    "carp", "atalk", "aarp", "decnet", "lat", "sca", "moprc", "mopdl", "ip6", "icmp6", "ah",
    "esp", "iso", "esis", "isis", "l1", "l2", "iih", "lsp", "snp", "psnp", "csnp", "clnp", "stp",
    "ipx", "netbeui", "radio", "fddi", "tr", "wlan",
}

_N = r"(?:0[xX][0-9A-Fa-f]+|[0-9]+)"
_B = r"[0-9A-Fa-f][0-9A-Fa-f]?"
_B2 = r"[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]"
_MAC = (
    rf"(?:{_B}:{_B}:{_B}:{_B}:{_B}:{_B}|{_B}-{_B}-{_B}-{_B}-{_B}-{_B}|"
    rf"{_B}\.{_B}\.{_B}\.{_B}\.{_B}\.{_B}|{_B2}\.{_B2}\.{_B2}|{_B2}{_B2}{_B2})"
)
# Candidate token patterns; like flex, the longest match wins and ties go to the earlier rule.
_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("op", re.compile(r">=|<=|!=|==|<<|>>|&&|\|\|")),
    ("HID", re.compile(rf"{_N}\.{_N}\.{_N}\.{_N}|{_N}\.{_N}\.{_N}|{_N}\.{_N}")),
    ("EID", re.compile(_MAC)),
    ("BOGUS", re.compile(r"[0-9A-Fa-f][0-9A-Fa-f]?:+(?:[0-9A-Fa-f][0-9A-Fa-f]?:+)+")),
    ("NUM", re.compile(_N)),
    ("ID", re.compile(r"[A-Za-z0-9](?:[-_.A-Za-z0-9]*[.A-Za-z0-9])?")),
    ("ESC", re.compile(r"\\[^ !()\n\t]+")),
    ("op", re.compile(r"[+\-*/%:\[\]!<>()&|\^=]")),
]
_SPACE = re.compile(r"[ \r\n\t]+")


class _Tok:
    __slots__ = ("kind", "value")

    def __init__(self, kind: str, value: object) -> None:
        self.kind = kind
        self.value = value

    def __repr__(self) -> str:
        return f"{self.kind}:{self.value}"


def _stou(text: str) -> int:
    if text[:2] in ("0x", "0X"):
        return int(text, 16)
    if len(text) > 1 and text[0] == "0":
        if any(c in "89" for c in text):
            raise FilterError(f"number {text} contains non-octal digit")
        return int(text, 8)
    return int(text)


def _lex(expr: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i = 0
    n = len(expr)
    while i < n:
        m = _SPACE.match(expr, i)
        if m:
            i = m.end()
            continue
        best_kind = ""
        best_end = i
        for kind, pat in _RULES:
            m = pat.match(expr, i)
            if m and m.end() > best_end:
                best_kind, best_end = kind, m.end()
        text = expr[i:best_end]
        # Keywords and named numbers are earlier flex rules than ID and win ties.
        if best_kind in ("ID", "NUM", "HID", "EID"):
            if text in _KEYWORDS:
                best_kind = "kw"
            elif text in _NAMED_NUMBERS:
                best_kind = "NAMEDNUM"
        if not best_kind:
            raise FilterError(_SYNTAX)
        if best_kind == "BOGUS":
            raise FilterError(f"bogus ethernet address {text}")
        if best_kind == "kw":
            toks.append(_Tok("kw", _KEYWORDS[text]))
        elif best_kind == "NAMEDNUM":
            toks.append(_Tok("NUM", _NAMED_NUMBERS[text]))
        elif best_kind == "NUM":
            v = _stou(text)
            if v > 0xFFFFFFFF:
                raise FilterError(f"number {text} overflows 32 bits")
            toks.append(_Tok("NUM", v))
        elif best_kind == "ESC":
            toks.append(_Tok("ID", text[1:]))
        elif best_kind == "op":
            if text in ("&&", "and"):
                toks.append(_Tok("kw", "and"))
            elif text == "||":
                toks.append(_Tok("kw", "or"))
            elif text == "!":
                toks.append(_Tok("kw", "not"))
            else:
                toks.append(_Tok("op", text))
        else:
            toks.append(_Tok(best_kind, text))
        i = best_end
    return toks


# --------------------------------------------------------------------------- link layer


class _Link:
    """Where the link-layer header puts things (Ethernet or SLL2)."""

    def __init__(self, linktype: int) -> None:
        if linktype == LINKTYPE_ETHERNET:
            self.et_off = 12
            self.nl = 14
        elif linktype == LINKTYPE_LINUX_SLL2:
            self.et_off = 0
            self.nl = 20
        else:
            raise FilterError(f"unsupported link type {linktype}")
        self.linktype = linktype


# --------------------------------------------------------------------------- predicates

_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")


def _ethertype_is(link: _Link, et: int) -> Predicate:
    off = link.et_off
    want = _U16.pack(et)
    end = off + 2

    def f(d: bytes) -> bool:
        if len(d) < end:
            raise _OutOfBounds
        return d[off:end] == want

    return f


def _const(value: bool) -> Predicate:
    def f(d: bytes) -> bool:
        return value

    f.const = value  # type: ignore[attr-defined]
    return f


def _constval(p: Predicate) -> bool | None:
    return getattr(p, "const", None)


def _and(a: Predicate, b: Predicate) -> Predicate:
    ca, cb = _constval(a), _constval(b)
    if ca is False or cb is False:
        return _const(False)
    if ca is True:
        return b
    if cb is True:
        return a
    return lambda d: a(d) and b(d)


def _or(a: Predicate, b: Predicate) -> Predicate:
    ca, cb = _constval(a), _constval(b)
    if ca is True or cb is True:
        return _const(True)
    if ca is False:
        return b
    if cb is False:
        return a
    return lambda d: a(d) or b(d)


def _not(a: Predicate) -> Predicate:
    ca = _constval(a)
    if ca is not None:
        return _const(not ca)
    return lambda d: not a(d)


def _load(d: bytes, off: int, size: int) -> int:
    if off < 0 or off + size > len(d):
        raise _OutOfBounds
    if size == 1:
        return d[off]
    if size == 2:
        return (d[off] << 8) | d[off + 1]
    return _U32.unpack_from(d, off)[0]


def _hostop(link: _Link, ethertype: int, addr: int, mask: int, direction: str, src_off: int, dst_off: int) -> Predicate:
    is_type = _ethertype_is(link, ethertype)
    s = link.nl + src_off
    t = link.nl + dst_off

    def field(off: int) -> Predicate:
        def g(d: bytes) -> bool:
            return (_load(d, off, 4) & mask) == addr

        return g

    if direction == "src":
        cmp = field(s)
    elif direction == "dst":
        cmp = field(t)
    elif direction == "and":
        cmp = _and(field(s), field(t))
    else:
        cmp = _or(field(s), field(t))
    return _and(is_type, cmp)


def _ipfrag_first(link: _Link) -> Predicate:
    off = link.nl + 6

    def f(d: bytes) -> bool:
        return (_load(d, off, 2) & 0x1FFF) == 0

    return f


def _ip_proto_is(link: _Link, proto: int) -> Predicate:
    off = link.nl + 9
    return _and(_ethertype_is(link, 0x0800), lambda d: _load(d, off, 1) == proto)


def _ip6_proto_is(link: _Link, proto: int) -> Predicate:
    off = link.nl + 6
    return _and(_ethertype_is(link, 0x86DD), lambda d: _load(d, off, 1) == proto)


def _portop(link: _Link, lo: int, hi: int, ip_proto: int, direction: str) -> Predicate:
    nl = link.nl
    proto_ok = _and(lambda d: _load(d, nl + 9, 1) == ip_proto, _ipfrag_first(link))

    def port_at(which: int) -> Predicate:
        def g(d: bytes) -> bool:
            x = (_load(d, nl, 1) & 0x0F) * 4
            p = _load(d, nl + x + which, 2)
            return lo <= p <= hi

        return g

    if direction == "src":
        cmp = port_at(0)
    elif direction == "dst":
        cmp = port_at(2)
    elif direction == "and":
        cmp = _and(port_at(0), port_at(2))
    else:
        cmp = _or(port_at(0), port_at(2))
    return _and(proto_ok, cmp)


def _port(link: _Link, lo: int, hi: int, ip_proto: int, direction: str) -> Predicate:
    if ip_proto == _PROTO_UNDEF:
        b = _or(
            _or(_portop(link, lo, hi, _IPPROTO_TCP, direction), _portop(link, lo, hi, _IPPROTO_UDP, direction)),
            _portop(link, lo, hi, _IPPROTO_SCTP, direction),
        )
    else:
        b = _portop(link, lo, hi, ip_proto, direction)
    ip4 = _and(_ethertype_is(link, 0x0800), b)
    return _or(ip4, _port6(link, lo, hi, ip_proto, direction))


def _port6(link: _Link, lo: int, hi: int, ip_proto: int, direction: str) -> Predicate:
    nl = link.nl
    protos = (_IPPROTO_TCP, _IPPROTO_UDP, _IPPROTO_SCTP) if ip_proto == _PROTO_UNDEF else (ip_proto,)

    def f(d: bytes) -> bool:
        if _load(d, nl + 6, 1) not in protos:
            return False
        sp = _load(d, nl + 40, 2)
        dp = _load(d, nl + 42, 2)
        if direction == "src":
            return lo <= sp <= hi
        if direction == "dst":
            return lo <= dp <= hi
        if direction == "and":
            return lo <= sp <= hi and lo <= dp <= hi
        return lo <= sp <= hi or lo <= dp <= hi

    return _and(_ethertype_is(link, 0x86DD), f)


# --------------------------------------------------------------------------- parser


class _Q:
    """Qualifiers of a primitive: protocol, direction, address type."""

    __slots__ = ("proto", "dir", "addr")

    def __init__(self, proto: str = "default", dir: str = "default", addr: str = "default") -> None:
        self.proto = proto
        self.dir = dir
        self.addr = addr


_QERR = _Q("undef", "undef", "undef")

_ARITH_FOLLOW = frozenset((">", "<", ">=", "<=", "=", "==", "!=", "+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"))

_PNAME_TO_IPPROTO = {
    "tcp": 6, "udp": 17, "icmp": 1, "igmp": 2, "igrp": 9, "pim": 103, "vrrp": 112, "carp": 112,
    "sctp": 132, "ah": 51, "esp": 50, "icmp6": 58,
}

_ETHER_PROTO_NAMES = {
    "ip": 0x0800, "ip6": 0x86DD, "arp": 0x0806, "rarp": 0x8035, "pup": 0x0200, "xns": 0x0600,
    "sprite": 0x0500, "mopdl": 0x6001, "moprc": 0x6002, "decnet": 0x6003, "lat": 0x6004,
    "sca": 0x6007, "lanbridge": 0x8038, "vexp": 0x805B, "vprod": 0x805C, "atalk": 0x809B,
    "atalkarp": 0x80F3, "loopback": 0x9000, "decdts": 0x803E, "decdns": 0x803C,
    "8021q": 0x8100, "ipx": 0x8137, "netbeui": 0x80D5,
}


class _Parser:
    def __init__(
        self,
        toks: list[_Tok],
        link: _Link,
        resolve_host: Callable[[str], int | None] | None,
    ) -> None:
        self.toks = toks
        self.i = 0
        self.link = link
        self.resolve_host = resolve_host
        self.wirelen = [0]  # the packet's length on the wire, set per packet (BPF "len")

    # ---------------------------------------------------------------- token helpers

    def peek(self, k: int = 0) -> _Tok | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def is_kw(self, word: str, k: int = 0) -> bool:
        t = self.peek(k)
        return t is not None and t.kind == "kw" and t.value == word

    def is_op(self, op: str, k: int = 0) -> bool:
        t = self.peek(k)
        return t is not None and t.kind == "op" and t.value == op

    def take(self) -> _Tok:
        t = self.peek()
        if t is None:
            raise FilterError(_SYNTAX)
        self.i += 1
        return t

    def expect_op(self, op: str) -> None:
        if not self.is_op(op):
            raise FilterError(_SYNTAX)
        self.i += 1

    # ---------------------------------------------------------------- grammar

    def parse(self) -> Predicate:
        if not self.toks:
            return _const(True)
        pred, _q = self.expr(_QERR)
        if self.peek() is not None:
            raise FilterError(_SYNTAX)
        return pred

    def expr(self, q0: _Q) -> tuple[Predicate, _Q]:
        pred, q = self.term(q0)
        while self.is_kw("and") or self.is_kw("or"):
            op = self.take().value
            if self.starts_id():
                rhs, q = self.id_(q)
            else:
                rhs, q = self.term(q)
            pred = _and(pred, rhs) if op == "and" else _or(pred, rhs)
        return pred, q

    def starts_id(self) -> bool:
        """After and/or: does an id (bare value reusing qualifiers) follow rather than a term?"""
        k = 0
        while self.is_kw("not", k) or self.is_op("(", k):
            k += 1
        t = self.peek(k)
        if t is None or t.kind not in ("ID", "HID", "NUM", "EID"):
            return False
        if t.kind == "NUM":
            nxt = self.peek(k + 1)
            if nxt is not None and nxt.kind == "op" and nxt.value in _ARITH_FOLLOW:
                return False  # the start of an arithmetic relation
        return True

    def term(self, q0: _Q) -> tuple[Predicate, _Q]:
        if self.is_kw("not"):
            self.i += 1
            pred, q = self.term(q0)
            return _not(pred), q
        return self.rterm(q0)

    def rterm(self, q0: _Q) -> tuple[Predicate, _Q]:
        t = self.peek()
        if t is None:
            raise FilterError(_SYNTAX)
        if t.kind == "op" and t.value == "(":
            # paren expr ')' - unless the parenthesis is the start of an arithmetic relation
            after = self.peek(self._matching_paren(self.i) - self.i + 1)
            if after is not None and after.kind == "op" and after.value in _ARITH_FOLLOW:
                return self.relation(), _QERR
            self.i += 1
            pred, _q = self.expr(q0)
            self.expect_op(")")
            return pred, q0
        if t.kind == "NUM" or (t.kind == "op" and t.value == "-") or (t.kind == "kw" and t.value == "len"):
            return self.relation(), _QERR
        if t.kind != "kw":
            raise FilterError(_SYNTAX)
        word = t.value
        if word in ("less", "greater"):
            self.i += 1
            n = self.take()
            if n.kind != "NUM":
                raise FilterError(_SYNTAX)
            v = n.value
            wl = self.wirelen
            return ((lambda d: wl[0] <= v) if word == "less" else (lambda d: wl[0] >= v)), _QERR
        if word in ("inbound", "outbound"):
            self.i += 1
            return self.direction_filter(word), _QERR
        if word == "vlan":
            self.i += 1
            if self.link.linktype == LINKTYPE_LINUX_SLL2:
                raise FilterError("no VLAN support for Linux cooked v2")
            if self.peek() is not None and self.peek().kind == "NUM":
                vid = self.take().value
                tagged = _or(_ethertype_is(self.link, 0x8100), _or(_ethertype_is(self.link, 0x88A8), _ethertype_is(self.link, 0x9100)))
                return _and(tagged, lambda d: (_load(d, 14, 2) & 0x0FFF) == vid), _QERR
            return _or(_ethertype_is(self.link, 0x8100), _or(_ethertype_is(self.link, 0x88A8), _ethertype_is(self.link, 0x9100))), _QERR
        pq = "default"
        if word in _PROTO_NAMES:
            pq = word
            nxt = self.peek(1)
            if nxt is not None and nxt.kind == "op" and nxt.value == "[":
                return self.relation(), _QERR
            self.i += 1
        # head: pqual dqual aqual | pqual dqual | pqual aqual | pqual PROTO | pqual ndaqual
        t = self.peek()
        if t is not None and t.kind == "kw" and t.value in ("src", "dst"):
            d = self.take().value
            if (self.is_kw("or") or self.is_kw("and")) and self.is_kw("src" if d == "dst" else "dst", 1):
                d = "or" if self.take().value == "or" else "and"
                self.i += 1
            a = "default"
            if self.peek() is not None and self.peek().kind == "kw" and self.peek().value in ("host", "net", "port", "portrange"):
                a = self.take().value
            q = _Q(pq, d, a)
            return self.id_(q)
        if t is not None and t.kind == "kw" and t.value in ("host", "net", "port", "portrange", "gateway", "proto", "protochain"):
            a = self.take().value
            return self.id_(_Q(pq, "default", a))
        if t is not None and t.kind == "kw" and t.value in ("broadcast", "multicast"):
            self.i += 1
            return self.cast_filter(pq, t.value), _QERR
        if pq != "default":
            if t is not None and not (t.kind == "kw" and t.value in ("and", "or")) and not (t.kind == "op" and t.value == ")"):
                raise FilterError(_SYNTAX)
            return self.proto_abbrev(pq), _QERR
        raise FilterError(_SYNTAX)

    def _matching_paren(self, i: int) -> int:
        """Index of the ')' closing the '(' at ``i`` (len(toks) when unbalanced)."""
        depth = 0
        for j in range(i, len(self.toks)):
            t = self.toks[j]
            if t.kind == "op" and t.value == "(":
                depth += 1
            elif t.kind == "op" and t.value == ")":
                depth -= 1
                if depth == 0:
                    return j
        return len(self.toks)

    # ids: a value with the carried qualifiers ---------------------------------

    def id_(self, q: _Q) -> tuple[Predicate, _Q]:
        t = self.peek()
        if t is None:
            raise FilterError(_SYNTAX)
        if t.kind == "kw" and t.value == "not":
            self.i += 1
            pred, q2 = self.id_(q)
            return _not(pred), q2
        if t.kind == "op" and t.value == "(":
            self.i += 1
            pred, q2 = self.pid(q)
            self.expect_op(")")
            return pred, q2
        if t.kind not in ("ID", "HID", "NUM", "EID"):
            raise FilterError(_SYNTAX)
        if q is _QERR:
            raise FilterError(_SEMANTIC)
        self.i += 1
        if t.kind == "NUM":
            return self.ncode(None, t.value, q), q
        if t.kind == "HID":
            if self.is_op("/"):
                self.i += 1
                n = self.take()
                if n.kind != "NUM":
                    raise FilterError(_SYNTAX)
                return self.mcode(t.value, None, n.value, q), q
            if self.is_kw("mask"):
                self.i += 1
                m = self.take()
                if m.kind != "HID":
                    raise FilterError(_SYNTAX)
                return self.mcode(t.value, m.value, None, q), q
            if q.addr in ("port", "portrange", "proto", "protochain"):
                raise FilterError(f"'{q.addr}' modifier applied to ip host")
            return self.ncode(t.value, 0, q), q
        if t.kind == "EID":
            return self.ecode(t.value, q), q
        return self.scode(t.value, q), q

    def pid(self, q: _Q) -> tuple[Predicate, _Q]:
        pred, q = self.id_(q)
        while self.is_kw("and") or self.is_kw("or"):
            op = self.take().value
            rhs, q = self.id_(q)
            pred = _and(pred, rhs) if op == "and" else _or(pred, rhs)
        return pred, q

    # code generation for values ---------------------------------------------

    def ncode(self, s: str | None, v: int, q: _Q) -> Predicate:
        """gen_ncode(): a number (s is None) or a dotted-quad prefix."""
        proto = q.proto
        if s is None:
            vlen = 32
        else:
            v, vlen = _atoin(s)
            if vlen < 0:
                raise FilterError(f"invalid IPv4 address '{s}'")
        a = q.addr
        if a in ("default", "host", "net"):
            if proto == "link":
                raise FilterError("illegal link layer address")
            mask = 0xFFFFFFFF
            if s is None and a == "net":
                while v and (v & 0xFF000000) == 0:
                    v = (v << 8) & 0xFFFFFFFF
                    mask = (mask << 8) & 0xFFFFFFFF
            else:
                v = (v << (32 - vlen)) & 0xFFFFFFFF
                mask = (mask << (32 - vlen)) & 0xFFFFFFFF
            return self.host(v, mask, proto, q.dir, a)
        if a == "port":
            ip_proto = self.port_proto(proto)
            if v > 65535:
                raise FilterError(f"illegal port number {v} > 65535")
            return _port(self.link, v, v, ip_proto, q.dir)
        if a == "portrange":
            ip_proto = self.port_proto(proto, "portrange")
            if v > 65535:
                raise FilterError(f"illegal port number {v} > 65535")
            return _port(self.link, v, v, ip_proto, q.dir)
        if a == "gateway":
            raise FilterError("'gateway' requires a name")
        if a == "proto":
            return self.proto_num(v, proto)
        if a == "protochain":
            raise FilterError("'protochain' not supported")
        raise FilterError(_SEMANTIC)

    def mcode(self, s1: str, s2: str | None, masklen: int | None, q: _Q) -> Predicate:
        """gen_mcode(): ``net A/len`` and ``net A mask M``."""
        v, nlen = _atoin(s1)
        if nlen < 0:
            raise FilterError(f"invalid IPv4 address '{s1}'")
        v = (v << (32 - nlen)) & 0xFFFFFFFF
        if s2 is not None:
            m, mlen = _atoin(s2)
            if mlen < 0:
                raise FilterError(f"invalid IPv4 address '{s2}'")
            m = (m << (32 - mlen)) & 0xFFFFFFFF
            if v & ~m & 0xFFFFFFFF:
                raise FilterError(f'non-network bits set in "{s1} mask {s2}"')
        else:
            assert masklen is not None
            if masklen > 32:
                raise FilterError("mask length must be <= 32")
            m = (0xFFFFFFFF << (32 - masklen)) & 0xFFFFFFFF if masklen else 0
            if v & ~m & 0xFFFFFFFF:
                raise FilterError(f'non-network bits set in "{s1}/{masklen}"')
        if q.addr == "net":
            return self.host(v, m, q.proto, q.dir, "net")
        raise FilterError("Mask syntax for networks only")

    def ecode(self, text: str, q: _Q) -> Predicate:
        mac = _parse_mac(text)
        if q.addr in ("host", "default") and q.proto == "link":
            return self.ether_host(mac, q.dir)
        raise FilterError("ethernet address used in non-ether expression")

    def scode(self, name: str, q: _Q) -> Predicate:
        """gen_scode(): a name (host, port, protocol...)."""
        a = q.addr
        proto = q.proto
        if a == "net":
            raise FilterError(f"unknown network '{name}'")
        if a in ("default", "host"):
            if proto == "link":
                raise FilterError(f"unknown ether host '{name}'")
            addr = self.resolve_host(name) if self.resolve_host is not None else None
            if addr is None:
                raise FilterError(f"unknown host '{name}'")
            return self.host(addr, 0xFFFFFFFF, proto, q.dir, "host")
        if a == "port":
            self.port_proto(proto)
            port, real = _nametoport(name)
            if port is None:
                raise FilterError(f"unknown port '{name}'")
            real = self.check_port_proto(proto, real, f"port '{name}'")
            return _port(self.link, port, port, real, q.dir)
        if a == "portrange":
            self.port_proto(proto, "portrange")
            lo, hi, real = _nametoportrange(name)
            if lo is None or hi is None:
                raise FilterError(f"unknown port in range '{name}'")
            real = self.check_port_proto(proto, real, f"port in range '{name}'")
            if lo > 65535:
                raise FilterError(f"illegal port number {lo} > 65535")
            if hi > 65535:
                raise FilterError(f"illegal port number {hi} > 65535")
            if lo > hi:
                lo, hi = hi, lo
            return _port(self.link, lo, hi, real, q.dir)
        if a == "gateway":
            raise FilterError("'gateway' not supported in this configuration")
        if a == "proto":
            if proto == "link":
                et = _ETHER_PROTO_NAMES.get(name)
                if et is None:
                    raise FilterError(f"unknown ether proto '{name}'")
                return self.proto_num(et, proto)
            num = IP_PROTOCOLS.get(name)
            if num is None:
                kind = {"default": "ip", "ip": "ip", "ip6": "ip6"}.get(proto, proto)
                raise FilterError(f"unknown {kind} proto '{name}'")
            return self.proto_num(num, proto)
        raise FilterError(_SEMANTIC)

    def port_proto(self, proto: str, what: str = "port") -> int:
        if proto == "udp":
            return _IPPROTO_UDP
        if proto == "tcp":
            return _IPPROTO_TCP
        if proto == "sctp":
            return _IPPROTO_SCTP
        if proto == "default":
            return _PROTO_UNDEF
        raise FilterError(f"illegal qualifier of '{what}'")

    @staticmethod
    def check_port_proto(proto: str, real: int, what: str) -> int:
        names = {_IPPROTO_TCP: "tcp", _IPPROTO_UDP: "udp", _IPPROTO_SCTP: "sctp"}
        want = {"tcp": _IPPROTO_TCP, "udp": _IPPROTO_UDP, "sctp": _IPPROTO_SCTP}.get(proto)
        if want is None:
            return real
        if real != _PROTO_UNDEF and real != want:
            raise FilterError(f"{what} is {names[real]}")
        return want

    # primitives ----------------------------------------------------------------

    def host(self, addr: int, mask: int, proto: str, direction: str, addr_type: str) -> Predicate:
        """gen_host(): IPv4 address (with mask) on IP, ARP and RARP."""
        typestr = "net" if addr_type == "net" else "host"
        link = self.link
        if proto == "default":
            b = _hostop(link, 0x0800, addr, mask, direction, 12, 16)
            b = _or(b, _hostop(link, 0x0806, addr, mask, direction, 14, 24))
            return _or(b, _hostop(link, 0x8035, addr, mask, direction, 14, 24))
        if proto == "ip":
            return _hostop(link, 0x0800, addr, mask, direction, 12, 16)
        if proto == "arp":
            return _hostop(link, 0x0806, addr, mask, direction, 14, 24)
        if proto == "rarp":
            return _hostop(link, 0x8035, addr, mask, direction, 14, 24)
        if proto == "link":
            raise FilterError(f"link-layer modifier applied to {typestr}")
        if proto == "ip6":
            raise FilterError(f"'ip6' modifier applied to ip {typestr}")
        raise FilterError(f"'{proto}' modifier applied to {typestr}")

    def ether_host(self, mac: bytes, direction: str) -> Predicate:
        if self.link.linktype != LINKTYPE_ETHERNET:
            raise FilterError(
                "ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel"
            )

        def src(d: bytes) -> bool:
            if len(d) < 12:
                raise _OutOfBounds
            return d[6:12] == mac

        def dst(d: bytes) -> bool:
            if len(d) < 6:
                raise _OutOfBounds
            return d[0:6] == mac

        if direction == "src":
            return src
        if direction == "dst":
            return dst
        if direction == "and":
            return _and(src, dst)
        return _or(src, dst)

    def proto_abbrev(self, pname: str) -> Predicate:
        """gen_proto_abbrev(): ``ip``, ``tcp``, ``arp``, ``esp``..."""
        link = self.link
        if pname == "ip":
            return _ethertype_is(link, 0x0800)
        if pname == "ip6":
            return _ethertype_is(link, 0x86DD)
        if pname == "arp":
            return _ethertype_is(link, 0x0806)
        if pname == "rarp":
            return _ethertype_is(link, 0x8035)
        if pname == "link":
            raise FilterError("link layer applied in wrong context")
        if pname == "icmp6":
            return _ip6_proto_is(link, 58)
        if pname in _PNAME_TO_IPPROTO:
            num = _PNAME_TO_IPPROTO[pname]
            b = _ip_proto_is(link, num)
            if pname in ("tcp", "udp", "sctp", "ah", "esp", "pim"):
                b = _or(b, _ip6_proto_is(link, num))
            return b
        if pname == "atalk":
            return _ethertype_is(link, 0x809B)
        if pname == "aarp":
            return _ethertype_is(link, 0x80F3)
        if pname == "decnet":
            return _ethertype_is(link, 0x6003)
        raise FilterError(f"'{pname}' is not supported here")

    def proto_num(self, v: int, proto: str) -> Predicate:
        """gen_proto(): ``ip proto N``, ``ether proto N``, ``proto N``."""
        link = self.link
        if proto == "link":
            if v > 0xFFFF:
                return lambda d: False
            return _ethertype_is(link, v)
        if proto == "ip":
            return _ip_proto_is(link, v)
        if proto == "ip6":
            return _ip6_proto_is(link, v)
        if proto == "default":
            return _or(_ip_proto_is(link, v), _ip6_proto_is(link, v))
        raise FilterError(f"'{proto}' modifier applied to proto")

    def cast_filter(self, pq: str, kind: str) -> Predicate:
        link = self.link
        if pq in ("default", "link"):
            if link.linktype != LINKTYPE_ETHERNET:
                if kind == "broadcast":
                    raise FilterError("not a broadcast link")
                raise FilterError(
                    "link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel"
                )
            if kind == "broadcast":
                return lambda d: _load(d, 0, 4) == 0xFFFFFFFF and _load(d, 4, 2) == 0xFFFF
            return lambda d: (_load(d, 0, 1) & 1) == 1
        if pq == "ip":
            off = link.nl + 16
            if kind == "broadcast":
                return _and(_ethertype_is(link, 0x0800), lambda d: _load(d, off, 4) in (0, 0xFFFFFFFF))
            return _and(_ethertype_is(link, 0x0800), lambda d: _load(d, off, 1) >= 224)
        raise FilterError(f"only link-layer/IP {kind} filters supported")

    def direction_filter(self, word: str) -> Predicate:
        if self.link.linktype != LINKTYPE_LINUX_SLL2:
            raise FilterError("inbound/outbound not supported on Ethernet when reading savefiles")
        if word == "inbound":
            return lambda d: _load(d, 10, 1) != 4
        return lambda d: _load(d, 10, 1) == 4

    # arithmetic relations: proto[expr:size], len, constants --------------------

    def relation(self) -> Predicate:
        lhs = self.arith()
        t = self.peek()
        if t is None or t.kind != "op" or t.value not in (">", "<", ">=", "<=", "=", "==", "!="):
            raise FilterError(_SYNTAX)
        op = self.take().value
        rhs = self.arith()
        cmp: Callable[[int, int], bool] = {
            ">": lambda a, b: a > b, "<": lambda a, b: a < b, ">=": lambda a, b: a >= b,
            "<=": lambda a, b: a <= b, "=": lambda a, b: a == b, "==": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
        }[op]
        lval, lpre = lhs
        rval, rpre = rhs
        pre = [p for p in (lpre, rpre) if p is not None]
        lc = getattr(lval, "const", None)
        rc = getattr(rval, "const", None)
        if not pre and lc is not None and rc is not None:
            return _const(cmp(lc, rc))

        def f(d: bytes) -> bool:
            for p in pre:
                if not p(d):
                    return False
            return cmp(lval(d), rval(d))

        return f

    _BINOPS = {
        "+": (1, lambda a, b: (a + b) & 0xFFFFFFFF), "-": (1, lambda a, b: (a - b) & 0xFFFFFFFF),
        "*": (2, lambda a, b: (a * b) & 0xFFFFFFFF), "/": (2, None), "%": (2, None),
        "&": (0, lambda a, b: a & b), "|": (0, lambda a, b: a | b), "^": (0, lambda a, b: a ^ b),
        "<<": (0, lambda a, b: (a << b) & 0xFFFFFFFF if b < 32 else 0),
        ">>": (0, lambda a, b: a >> b if b < 32 else 0),
    }

    def arith(self, min_prec: int = 0) -> tuple[Callable[[bytes], int], Predicate | None]:
        """arth: values with libpcap's operator precedence (| & ^ << >> lowest, then + -, then * / %)."""
        val, pre = self.arith_atom()
        while True:
            t = self.peek()
            if t is None or t.kind != "op" or t.value not in self._BINOPS:
                break
            prec, fn = self._BINOPS[t.value]
            if prec < min_prec:
                break
            op = self.take().value
            rval, rpre = self.arith(prec + 1)
            if op in ("/", "%"):
                const = getattr(rval, "const", None)
                if const == 0:
                    raise FilterError("division by zero" if op == "/" else "modulus by zero")

                def fn(a: int, b: int, op: str = op) -> int:
                    if b == 0:
                        raise _OutOfBounds
                    return a // b if op == "/" else a % b

            lc = getattr(val, "const", None)
            rc = getattr(rval, "const", None)
            val = _binop(val, rval, fn)
            if lc is not None and rc is not None:
                val.const = fn(lc, rc)  # type: ignore[attr-defined]
            pre = _chain(pre, rpre)
        return val, pre

    def arith_atom(self) -> tuple[Callable[[bytes], int], Predicate | None]:
        t = self.take()
        if t.kind == "NUM":
            v = t.value

            def const(d: bytes) -> int:
                return v

            const.const = v  # type: ignore[attr-defined]
            return const, None
        if t.kind == "kw" and t.value == "len":
            wl = self.wirelen
            return (lambda d: wl[0]), None
        if t.kind == "op" and t.value == "-":
            val, pre = self.arith_atom()
            return (lambda d: (-val(d)) & 0xFFFFFFFF), pre
        if t.kind == "op" and t.value == "(":
            val, pre = self.arith()
            self.expect_op(")")
            return val, pre
        if t.kind == "kw" and t.value in _PROTO_NAMES:
            return self.load_expr(t.value)
        raise FilterError(_SYNTAX)

    def load_expr(self, pname: str) -> tuple[Callable[[bytes], int], Predicate | None]:
        self.expect_op("[")
        idx, ipre = self.arith()
        size = 1
        if self.is_op(":"):
            self.i += 1
            n = self.take()
            if n.kind != "NUM":
                raise FilterError(_SYNTAX)
            size = n.value
            if size not in (1, 2, 4):
                raise FilterError("data size must be 1, 2, or 4")
        self.expect_op("]")
        link = self.link
        nl = link.nl
        if pname == "link":
            if link.linktype == LINKTYPE_ETHERNET:
                return (lambda d: _load(d, idx(d), size)), ipre
            return (lambda d: _load(d, idx(d), size)), ipre
        if pname in ("ip", "arp", "rarp", "ip6"):
            cond = self.proto_abbrev(pname)
            return (lambda d: _load(d, nl + idx(d), size)), _chain(ipre, cond)
        if pname in ("tcp", "udp", "icmp", "igmp", "igrp", "pim", "vrrp", "carp", "sctp"):
            cond = _and(_ip_proto_is(link, _PNAME_TO_IPPROTO[pname]), _ipfrag_first(link))

            def load(d: bytes) -> int:
                x = (_load(d, nl, 1) & 0x0F) * 4
                return _load(d, nl + x + idx(d), size)

            return load, _chain(ipre, cond)
        raise FilterError(f"unsupported index operation on '{pname}'")


def _binop(
    lv: Callable[[bytes], int], rv: Callable[[bytes], int], fn: Callable[[int, int], int]
) -> Callable[[bytes], int]:
    return lambda d: fn(lv(d), rv(d))


def _chain(a: Predicate | None, b: Predicate | None) -> Predicate | None:
    if a is None:
        return b
    if b is None:
        return a
    return _and(a, b)


def _atoin(s: str) -> tuple[int, int]:
    """__pcap_atoin(): value and bit length of a dotted prefix (-1 when a part exceeds 255)."""
    v = 0
    n = 0
    for part in s.split("."):
        if not part:
            continue
        x = int(part, 16) if part[:2] in ("0x", "0X") else int(part)
        if x > 255:
            return 0, -1
        v = (v << 8) | x
        n += 8
    return v, n


def _parse_mac(text: str) -> bytes:
    t = text.replace("-", ":")
    if ":" in t:
        parts = t.split(":")
    elif t.count(".") == 5:
        parts = t.split(".")
    else:
        h = t.replace(".", "")
        parts = [h[i : i + 2] for i in range(0, 12, 2)]
    if len(parts) != 6:
        raise FilterError(f"bogus ethernet address {text}")
    return bytes(int(p, 16) for p in parts)


def _nametoport(name: str) -> tuple[int | None, int]:
    """pcap_nametoport(): numeric strings and /etc/services names (TCP wins, both -> undef)."""
    if name.isdigit():
        return int(name), _PROTO_UNDEF
    tcp = service_port(name, "tcp")
    udp = service_port(name, "udp")
    if tcp is not None:
        return tcp, (_PROTO_UNDEF if udp == tcp else _IPPROTO_TCP)
    if udp is not None:
        return udp, _IPPROTO_UDP
    return None, _PROTO_UNDEF


def _nametoportrange(name: str) -> tuple[int | None, int | None, int]:
    if "-" not in name:
        return None, None, _PROTO_UNDEF
    a, b = name.split("-", 1)
    lo, p1 = _nametoport(a)
    if lo is None:
        return None, None, _PROTO_UNDEF
    hi, p2 = _nametoport(b)
    if hi is None:
        return None, None, _PROTO_UNDEF
    return lo, hi, (p1 if p1 == p2 else _PROTO_UNDEF)


# --------------------------------------------------------------------------- entry point


def compile_filter(
    expr: str,
    linktype: int = LINKTYPE_ETHERNET,
    *,
    resolve_host: Callable[[str], int | None] | None = None,
) -> Filter:
    """Compile a tcpdump filter into ``match(frame, wirelen=None) -> bool``.

    ``wirelen`` is the length on the wire when ``frame`` is a truncated capture
    (``len``, ``greater`` and ``less`` use it, as BPF does).  ``resolve_host(name)
    -> ip | None`` resolves host names (``host web``) the way the capturing
    machine would.  Raises :class:`FilterError` with libpcap's text; an empty
    expression accepts everything.
    """
    toks = _lex(expr)
    parser = _Parser(toks, _Link(linktype), resolve_host)
    pred = parser.parse()
    if _constval(pred) is False:
        raise FilterError("expression rejects all packets")
    wl = parser.wirelen

    def run(frame: bytes, wirelen: int | None = None) -> bool:
        wl[0] = len(frame) if wirelen is None else wirelen
        try:
            return bool(pred(frame))
        except _OutOfBounds:
            return False

    return run
