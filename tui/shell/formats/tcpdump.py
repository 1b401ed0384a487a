"""The ``tcpdump`` line printer: the text tcpdump 4.99.3 prints for a captured frame.

Every packet in the simulator is real bytes, so this is a decoder for real bytes
that reproduces tcpdump's wording byte for byte (the tests compare it line by line
with ``/usr/sbin/tcpdump -r``).  It covers what the simulator produces: Ethernet,
LINUX_SLL2 (``-i any``), ARP, IPv4 (with ``-v`` header details), ICMP (echo and
errors, quoting the offending packet with ``-v``), UDP, DNS, VXLAN (the inner
frame follows on its own line), TCP (flags, options, relative sequence numbers,
HTTP/SSH first lines, DNS over TCP) and ESP.  Other protocols fall back to
tcpdump's generic forms (``ip-proto-N``, hex dumps).

The printer is stateful like one tcpdump run: TCP relative sequence numbers are
tracked per connection across :meth:`TcpdumpPrinter.format` calls.  It is
written for speed (precompiled structs, cached address/port/MAC strings) because
the simulator formats every captured packet; it never imports scapy.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable

from tui.engine.addr import IP_PROTOCOL_NAMES, TCP_SERVICES, UDP_SERVICES, int_to_ip

__all__ = ["TcpdumpPrinter", "TCP_SERVICES", "UDP_SERVICES", "LINKTYPE_ETHERNET", "LINKTYPE_LINUX_SLL2"]

LINKTYPE_ETHERNET = 1
LINKTYPE_LINUX_SLL2 = 276
_CACHE_MAX = 65536  # per-printer string caches are flushed past this many entries

_IPH = struct.Struct(">BBHHHBBHII")
_UDPH = struct.Struct(">HHHH")
_TCPH = struct.Struct(">HHIIBBHHH")
_HH = struct.Struct(">HH")
_H = struct.Struct(">H")
_I = struct.Struct(">I")
_II = struct.Struct(">II")
_ARPH = struct.Struct(">HHBBH")
_DNSH = struct.Struct(">HHHHHH")
_SLL2 = struct.Struct(">HHIHBB8s")

# --------------------------------------------------------------------------- facts tables


# tcpdump's ipproto_values (the "proto X (n)" of -v).
_IPPROTO_NAMES = {
    0: "Options", 1: "ICMP", 2: "IGMP", 4: "IPIP", 6: "TCP", 8: "EGP", 9: "IGRP", 17: "UDP",
    33: "DCCP", 41: "IPv6", 43: "Routing", 44: "Fragment", 46: "RSVP", 47: "GRE", 50: "ESP",
    51: "AH", 55: "Mobile IP", 58: "ICMPv6", 62: "Mobile IP (old)", 88: "EIGRP", 89: "OSPF",
    103: "PIM", 108: "Compressed IP", 112: "VRRP", 113: "PGM", 132: "SCTP", 135: "Mobility",
    143: "Ethernet",
}

_ETHERTYPES = {
    0x0800: "IPv4", 0x0806: "ARP", 0x8035: "Reverse ARP", 0x86DD: "IPv6", 0x8100: "802.1Q",
    0x88A8: "802.1Q-QinQ", 0x8847: "MPLS unicast", 0x8848: "MPLS multicast", 0x8863: "PPPoE D",
    0x8864: "PPPoE S", 0x888E: "EAPOL", 0x88CC: "LLDP",
}

# tcpdump's oui_values (printed as "(oui NAME)" after MACs without -n).
_OUI = {
    0x000000: "Ethernet", 0x00000C: "Cisco", 0x00005E: "IANA", 0x000081: "Nortel Networks SONMP",
    0x0000F8: "Cisco bridged", 0x0080C2: "Ethernet bridged", 0x00A03E: "ATM Forum",
    0x00E02F: "DOCSIS Spanning Tree", 0x080007: "Appletalk", 0x009069: "Juniper",
    0x080009: "Hewlett-Packard", 0x00120F: "IEEE 802.3 Private", 0x0012BB: "ANSI/TIA",
    0x001B21: "DCBX", 0x002320: "Nicira Networks", 0x5C16C7: "Big Switch Networks",
    0xB0D2F5: "Vello Systems", 0x002481: "HP", 0x0004EA: "HP-Labs", 0x748771: "Infoblox Inc",
    0xA42305: "Open Networking Lab", 0x00049F: "Freescale", 0x0015AD: "Netronome",
    0x001018: "Broadcom", 0x00E004: "PMC-Sierra", 0xD0F0DB: "Ericsson",
}

_ARPOPS = {1: "Request", 2: "Reply", 3: "Reverse Request", 4: "Reverse Reply",
           8: "Inverse Request", 9: "Inverse Reply", 10: "NACK Reply"}

_SLL_DIR = {0: "In ", 1: "B  ", 2: "M  ", 3: "P  ", 4: "Out"}

_TCP_FLAGS = ((0x01, "F"), (0x02, "S"), (0x04, "R"), (0x08, "P"), (0x10, "."), (0x20, "U"),
              (0x40, "E"), (0x80, "W"))
_TCP_FLAG_STR = []
for _f in range(256):
    _s = "".join(c for bit, c in _TCP_FLAGS if _f & bit)
    _TCP_FLAG_STR.append(_s or "none")
del _f, _s

_TCPOPT_NAMES = {0: "eol", 1: "nop", 2: "mss", 3: "wscale", 4: "sackOK", 5: "sack", 6: "echo",
                 7: "echoreply", 8: "TS", 11: "cc", 12: "ccnew", 13: "", 19: "md5", 20: "scps",
                 28: "uto", 29: "tcp-ao", 30: "mptcp", 34: "tfo", 254: "exp"}

_ICMP_SIMPLE = {0: "echo reply", 4: "source quench", 8: "echo request", 10: "router solicitation",
                14: "time stamp reply", 15: "information request",
                16: "information reply", 17: "address mask request"}
_ICMP_ERRTYPES = frozenset((3, 4, 5, 11, 12))
_UNREACH_FMT = {
    5: "{} unreachable - source route failed",
    6: "net {} unreachable - unknown", 7: "host {} unreachable - unknown",
    8: "{} unreachable - source host isolated", 9: "net {} unreachable - admin prohibited",
    10: "host {} unreachable - admin prohibited", 11: "net {} unreachable - tos prohibited",
    12: "host {} unreachable - tos prohibited", 13: "host {} unreachable - admin prohibited filter",
    14: "host {} unreachable - host precedence violation",
    15: "host {} unreachable - precedence cutoff",
}
_REDIRECT_FMT = {0: "redirect {} to net {}", 1: "redirect {} to host {}",
                 2: "redirect-tos {} to net {}", 3: "redirect-tos {} to host {}"}

_DNS_TYPES = {
    1: "A", 2: "NS", 3: "MD", 4: "MF", 5: "CNAME", 6: "SOA", 7: "MB", 8: "MG", 9: "MR", 10: "NULL",
    11: "WKS", 12: "PTR", 13: "HINFO", 14: "MINFO", 15: "MX", 16: "TXT", 17: "RP", 18: "AFSDB",
    19: "X25", 20: "ISDN", 21: "RT", 22: "NSAP", 23: "NSAP_PTR", 24: "SIG", 25: "KEY", 26: "PX",
    27: "GPOS", 28: "AAAA", 29: "LOC", 30: "NXT", 31: "EID", 32: "NIMLOC", 33: "SRV", 34: "ATMA",
    35: "NAPTR", 36: "KX", 37: "CERT", 38: "A6", 39: "DNAME", 40: "SINK", 41: "OPT", 42: "APL",
    43: "DS", 44: "SSHFP", 45: "IPSECKEY", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 99: "SPF",
    100: "UINFO", 101: "UID", 102: "GID", 103: "UNSPEC", 104: "UNSPECA", 249: "TKEY", 250: "TSIG",
    251: "IXFR", 252: "AXFR", 253: "MAILB", 254: "MAILA", 255: "ANY", 256: "URI",
}
_DNS_CLASSES = {1: "IN", 3: "CHAOS", 4: "HS", 255: "ANY"}
_DNS_OPS = ("", " inv_q", " stat", " op3", " notify", " update", " op6", " op7", " op8",
            " updateA", " updateD", " updateDA", " updateM", " updateMA", " zoneInit", " zoneRef")
_DNS_RCODES = ("", " FormErr", " ServFail", " NXDomain", " NotImp", " Refused", " YXDomain",
               " YXRRSet", " NXRRSet", " NotAuth", " NotZone", " Resp11", " Resp12", " Resp13",
               " Resp14", " NoChange")

_HTTP_CMDS = frozenset(
    "GET PUT COPY HEAD LOCK MOVE POLL POST BCOPY BMOVE MKCOL TRACE LABEL MERGE DELETE SEARCH "
    "UNLOCK REPORT UPDATE NOTIFY BDELETE CONNECT OPTIONS CHECKIN PROPFIND CHECKOUT CCM_POST "
    "SUBSCRIBE PROPPATCH BPROPFIND BPROPPATCH UNCHECKOUT MKACTIVITY MKWORKSPACE UNSUBSCRIBE "
    "RPC_CONNECT VERSION-CONTROL BASELINE-CONTROL".split()
)

# fn_print_char(): printable ASCII as is, others as M-x / ^x.
_SAFE_CHAR = []
for _c in range(256):
    _p = ""
    _x = _c
    if _x >= 0x80:
        _x &= 0x7F
        _p = "M-"
    if _x < 0x20 or _x == 0x7F:
        _p += "^" + chr(_x ^ 0x40)
    else:
        _p += chr(_x)
    _SAFE_CHAR.append(_p)
del _c, _p, _x


def _safe(data: bytes) -> str:
    try:
        s = data.decode("ascii")
    except UnicodeDecodeError:
        return "".join(_SAFE_CHAR[b] for b in data)
    if s.isprintable():
        return s
    return "".join(_SAFE_CHAR[b] for b in data)


def _fold(s: int) -> int:
    s = (s & 0xFFFF) + (s >> 16)
    return (s & 0xFFFF) + (s >> 16)


def _cksum(data: bytes) -> int:
    """in_cksum(): 0 when the data (including its checksum field) verifies."""
    if len(data) & 1:
        data += b"\0"
    n = int.from_bytes(data, "big")
    r = n % 0xFFFF
    if r:
        return 0xFFFF - r
    return 0xFFFF if n == 0 else 0


def _shouldbe(field: int, computed: int) -> int:
    return _fold(field + computed)


def _hexdump(data: bytes) -> str:
    """hex_and_ascii_print() with tcpdump's "\\n\\t" indent."""
    parts = []
    for i in range(0, len(data), 16):
        chunk = data[i : i + 16]
        hx = "".join(
            f" {chunk[j]:02x}{chunk[j + 1]:02x}" if j + 1 < len(chunk) else f" {chunk[j]:02x}"
            for j in range(0, len(chunk), 2)
        )
        asc = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        parts.append(f"\n\t0x{i:04x}: {hx:<40}  {asc}")
    return "".join(parts)


class _Trunc(Exception):
    """Raised when a dissector runs past the captured bytes (tcpdump's longjmp)."""


# --------------------------------------------------------------------------- printer


class TcpdumpPrinter:
    """Formats frames as tcpdump 4.99.3 prints them (``-n``, ``-e``, ``-v`` supported).

    ``resolve(ip) -> name | None`` stands for gethostbyaddr() when ``numeric`` is
    False; ``services`` selects the /etc/services names for ports (without -n);
    ``ifname(ifindex) -> name | None`` names interfaces in SLL2 (``-i any``)
    records (tcpdump calls if_indextoname() on the machine that prints).
    """

    def __init__(
        self,
        numeric: bool = True,
        show_ether: bool = False,
        verbose: int = 0,
        resolve: Callable[[int], str | None] | None = None,
        services: bool = True,
        ifname: Callable[[int], str | None] | None = None,
    ) -> None:
        self.numeric = numeric
        self.eflag = show_ether
        self.vflag = verbose
        self.resolve = resolve
        self.services = services and not numeric
        self.ifname = ifname
        self._addr_cache: dict[int, str] = {}
        self._mac_cache: dict[bytes, str] = {}
        self._tcp_port: dict[int, str] = {}
        self._udp_port: dict[int, str] = {}
        self._tcp_seq: dict[tuple[int, int, int], list[int]] = {}
        self._pairs: dict[tuple[int, int], str] = {}
        self._udp_prefix: dict[tuple[int, int, int, int], str] = {}
        self._tcp_prefix: dict[tuple[int, int, int, int], str] = {}
        self._vxlan_hdr: dict[bytes, str] = {}
        self._ts_sec = -1
        self._ts_str = ""

    # ------------------------------------------------------------------ public

    def reset(self) -> None:
        """Forget TCP conversations (a new tcpdump run)."""
        self._tcp_seq.clear()

    def format(self, ts_ns: int, frame: bytes, linktype: int = LINKTYPE_ETHERNET, orig_len: int | None = None) -> str:
        """The text tcpdump prints for one record (lines joined by ``\\n``)."""
        length = len(frame) if orig_len is None else orig_len
        if not frame or length < len(frame):
            return self._invalid_header(len(frame), length if orig_len is not None else -1)
        sec = ts_ns // 1_000_000_000
        if sec != self._ts_sec:
            self._ts_sec = sec
            self._ts_str = time.strftime("%H:%M:%S", time.gmtime(sec))
        out = [self._ts_str, f".{(ts_ns // 1000) % 1_000_000:06d} "]
        try:
            if linktype == LINKTYPE_ETHERNET:
                self._ether(out, frame, 0, length, len(frame))
            elif linktype == LINKTYPE_LINUX_SLL2:
                self._sll2(out, frame, length)
            else:
                out.append(f"[unsupported link-type {linktype}]")
        except _Trunc as t:
            out.append(t.args[0])
        return "".join(out)

    @staticmethod
    def _invalid_header(caplen: int, length: int) -> str:
        """What tcpdump prints (instead of a packet line) for a broken record header."""
        parts = []
        if caplen == 0:
            parts.append("caplen==0")
        if length == 0:
            parts.append("len==0")
        elif length < 0:
            pass
        elif length < caplen:
            parts.append(f"len({length}) < caplen({caplen})")
        return "[Invalid header: " + ", ".join(parts) + "]"

    # ------------------------------------------------------------------ names

    def _addr(self, a: int) -> str:
        s = self._addr_cache.get(a)
        if s is None:
            s = None
            if not self.numeric and self.resolve is not None:
                s = self.resolve(a)
            if not s:
                s = int_to_ip(a)
            self._addr_cache[a] = s
        return s

    def _tport(self, p: int) -> str:
        s = self._tcp_port.get(p)
        if s is None:
            s = TCP_SERVICES.get(p, str(p)) if self.services else str(p)
            self._tcp_port[p] = s
        return s

    def _uport(self, p: int) -> str:
        s = self._udp_port.get(p)
        if s is None:
            s = UDP_SERVICES.get(p, str(p)) if self.services else str(p)
            self._udp_port[p] = s
        return s

    def _mac(self, m: bytes) -> str:
        s = self._mac_cache.get(m)
        if s is None:
            s = m.hex(":")
            if not self.numeric:
                if m == b"\xff\xff\xff\xff\xff\xff":
                    s = "Broadcast"
                else:
                    s += f" (oui {_OUI.get(int.from_bytes(m[:3], 'big'), 'Unknown')})"
            self._mac_cache[m] = s
        return s

    # ------------------------------------------------------------------ link layers

    def _ether(self, out: list[str], d: bytes, off: int, length: int, end: int) -> None:
        if end - off < 14:
            out.append(" [|ether]")
            return
        et = (d[off + 12] << 8) | d[off + 13]
        p = off + 14
        if et == 0x0800:
            if self.eflag:
                out.append(
                    f"{self._mac(d[off + 6:p - 2])} > {self._mac(d[off:off + 6])}, ethertype IPv4 (0x0800), length {length}: "
                )
            self._ip(out, d, p, length - 14, end)
        elif et == 0x0806:
            if self.eflag:
                out.append(
                    f"{self._mac(d[off + 6:p - 2])} > {self._mac(d[off:off + 6])}, ethertype ARP (0x0806), length {length}: "
                )
            self._arp(out, d, p, length - 14, end)
        else:
            out.append(
                f"{self._mac(d[off + 6:p - 2])} > {self._mac(d[off:off + 6])}, ethertype "
                f"{_ETHERTYPES.get(et, 'Unknown')} (0x{et:04x}), length {length}: "
            )
            out.append(_hexdump(d[p:end]))

    def _sll2(self, out: list[str], d: bytes, length: int) -> None:
        if len(d) < 20:
            out.append(" [|sll2]")
            return
        et, _res, ifindex, _hatype, pkttype, halen, addr = _SLL2.unpack_from(d)
        name = self.ifname(ifindex) if self.ifname is not None else None
        out.append(f"{name or '?':<5} {_SLL_DIR.get(pkttype, '?  ')} ")
        hdr = f"ifindex {ifindex} " + (f"{self._mac(addr[:6])} " if halen == 6 else "")
        hdr += f"ethertype {_ETHERTYPES.get(et, 'Unknown')} (0x{et:04x}), length {length}: "
        if self.eflag:
            out.append(hdr)
        if et == 0x0800:
            self._ip(out, d, 20, length - 20, len(d))
        elif et == 0x0806:
            self._arp(out, d, 20, length - 20, len(d))
        else:
            if not self.eflag:
                out.append(hdr)
            out.append(_hexdump(d[20:]))

    # ------------------------------------------------------------------ ARP

    def _arp(self, out: list[str], d: bytes, off: int, length: int, end: int) -> None:
        if end - off < 8:
            out.append(" [|arp]")
            return
        hrd, pro, hln, pln, op = _ARPH.unpack_from(d, off)
        if end - off < 8 + 2 * hln + 2 * pln:
            out.append(" [|arp]")
            return
        sha = d[off + 8 : off + 8 + hln]
        spa_at = off + 8 + hln
        tha = d[spa_at + pln : spa_at + pln + hln]
        tpa_at = spa_at + pln + hln
        if not self.eflag:
            out.append("ARP, ")
        v = self.vflag
        if pro != 0x0800 or pln != 4 or hln == 0 or v:
            hname = "Ethernet" if hrd == 1 else f"Unknown Hardware ({hrd})"
            pname = _ETHERTYPES.get(pro, f"Unknown Protocol (0x{pro:04x})")
            out.append(f"{hname} (len {hln}), {pname} (len {pln})")
            if not v:
                out.append(f", length {length}")
                return
            out.append(", ")
        out.append(_ARPOPS.get(op, f"Unknown ({op})") + " ")
        spa = self._addr(_I.unpack_from(d, spa_at)[0]) if pln == 4 else "?"
        tpa = self._addr(_I.unpack_from(d, tpa_at)[0]) if pln == 4 else "?"
        mac = self._mac
        if op == 1:
            out.append(f"who-has {tpa}")
            if any(tha):
                out.append(f" ({mac(tha)})")
            out.append(f" tell {spa}")
        elif op == 2:
            out.append(f"{spa} is-at {mac(sha)}")
        elif op in (3, 8):
            out.append(f"who-is {mac(tha)} tell {mac(sha)}")
        elif op == 4:
            out.append(f"{mac(tha)} at {tpa}")
        elif op == 9:
            out.append(f"{mac(sha)} at {spa}")
        else:
            out.append(_hexdump(d[off:end]))
            return
        out.append(f", length {length}")

    # ------------------------------------------------------------------ IPv4

    def _ip(self, out: list[str], d: bytes, off: int, length: int, end: int) -> None:
        cap = end - off
        if cap <= 0:
            out.append(" [|ip]")
            return
        if (d[off] >> 4) != 4:
            out.append(f"IP{d[off] >> 4} ")
            return
        if not self.eflag:
            out.append("IP ")
        if cap < 20:
            out.append(" [|ip]")
            return
        vihl, tos, tot, ident, frag, ttl, proto, csum, src, dst = _IPH.unpack_from(d, off)
        hlen = (vihl & 15) << 2
        if hlen < 20:
            out.append(f"bad-hlen {hlen}")
            return
        if tot > length:
            out.append(f"[total length {tot} > length {length}] (invalid)")
            tot = length
        if tot < hlen:
            out.append(f"bad-len {tot}")
            return
        ipend = off + tot
        if ipend < end:
            end = ipend
        plen = tot - hlen
        if self.vflag:
            self._ip_verbose(out, d, off, tos, tot, ident, frag, ttl, proto, hlen, end)
        p = off + hlen
        if frag & 0x1FFF == 0:
            mf = frag & 0x2000
            if proto == 17:
                self._udp(out, d, p, plen, end, src, dst, mf)
            elif proto == 6:
                self._tcp(out, d, p, plen, end, src, dst, mf)
            else:
                pair = self._pairs.get((src, dst))
                if pair is None:
                    if len(self._pairs) > _CACHE_MAX:
                        self._pairs.clear()
                    pair = self._pairs[(src, dst)] = f"{self._addr(src)} > {self._addr(dst)}: "
                out.append(pair)
                if proto == 1:
                    self._icmp(out, d, p, plen, end, mf)
                elif proto == 50:
                    if end - p <= 8:
                        out.append(" [|esp]")
                    else:
                        spi, seq = _II.unpack_from(d, p)
                        out.append(f"ESP(spi=0x{spi:08x},seq=0x{seq:x}), length {plen}")
                elif proto == 2:
                    self._igmp(out, d, p, plen, end)
                else:
                    name = None if self.numeric else IP_PROTOCOL_NAMES.get(proto)
                    out.append(f" {name} {plen}" if name else f" ip-proto-{proto} {plen}")
        else:
            name = None if self.numeric else IP_PROTOCOL_NAMES.get(proto)
            out.append(f"{self._addr(src)} > {self._addr(dst)}: {name or f'ip-proto-{proto}'}")

    def _ip_verbose(
        self, out: list[str], d: bytes, off: int, tos: int, tot: int, ident: int, frag: int,
        ttl: int, proto: int, hlen: int, end: int,
    ) -> None:
        ecn = ("", ",ECT(1)", ",ECT(0)", ",CE")[tos & 3]
        flags = ", ".join(n for bit, n in ((0x2000, "+"), (0x4000, "DF"), (0x8000, "rsvd")) if frag & bit) or "none"
        s = f"(tos 0x{tos:x}{ecn}"
        if ttl:
            s += f", ttl {ttl}"
        s += (
            f", id {ident}, offset {(frag & 0x1FFF) * 8}, flags [{flags}], "
            f"proto {_IPPROTO_NAMES.get(proto, 'unknown')} ({proto}), length {tot}"
        )
        if hlen > 20:
            s += ", options (" + self._ip_options(d[off + 20 : off + hlen]) + ")"
        if off + hlen <= end:
            hdr = d[off : off + hlen]
            c = _cksum(hdr)
            if c:
                field = _H.unpack_from(hdr, 10)[0]
                s += f", bad cksum {field:x} (->{_shouldbe(field, c):x})!"
        out.append(s + ")\n    ")

    @staticmethod
    def _ip_options(opts: bytes) -> str:
        names = {0: "EOL", 1: "NOP", 7: "RR", 68: "timestamp", 130: "security", 131: "LSRR",
                 137: "SSRR", 148: "RA", 82: "traceroute"}
        parts = []
        i = 0
        while i < len(opts):
            o = opts[i]
            name = names.get(o, f"unknown {o}")
            if o in (0, 1):
                parts.append(name)
                i += 1
                if o == 0:
                    break
                continue
            if i + 1 >= len(opts):
                parts.append(name + " [|ip]")
                break
            ln = opts[i + 1]
            if ln < 2:
                parts.append(f"{name} [bad length {ln}]")
                break
            if o == 148 and ln == 4:
                val = _H.unpack_from(opts, i + 2)[0]
                parts.append(name + (f" value {val}" if val else ""))
            else:
                parts.append(name)
            i += ln
        return ",".join(parts)

    # ------------------------------------------------------------------ ICMP

    def _icmp(self, out: list[str], d: bytes, off: int, plen: int, end: int, fragmented: int) -> None:
        cap = end - off
        if cap < 2:
            raise _Trunc(" [|icmp]")
        t = d[off]
        code = d[off + 1]
        if t == 8 or t == 0:
            if cap < 8:
                raise _Trunc(" [|icmp]")
            ident, seq = _HH.unpack_from(d, off + 4)
            s = f"echo {'request' if t == 8 else 'reply'}, id {ident}, seq {seq}"
        elif t == 3:
            if cap < 28:
                raise _Trunc(" [|icmp]")
            odst = self._addr(_I.unpack_from(d, off + 24)[0])
            if code == 0:
                s = f"net {odst} unreachable"
            elif code == 1:
                s = f"host {odst} unreachable"
            elif code == 2:
                s = f"{odst} protocol {d[off + 17]} unreachable"
            elif code == 3:
                ohl = (d[off + 8] & 15) << 2
                pa = off + 8 + ohl
                if end - pa < 4:
                    raise _Trunc(" [|icmp]")
                dport = _H.unpack_from(d, pa + 2)[0]
                oproto = d[off + 17]
                if oproto == 6:
                    s = f"{odst} tcp port {self._tport(dport)} unreachable"
                elif oproto == 17:
                    s = f"{odst} udp port {self._uport(dport)} unreachable"
                else:
                    s = f"{odst} protocol {oproto} port {dport} unreachable"
            elif code == 4:
                mtu = _H.unpack_from(d, off + 6)[0]
                s = f"{odst} unreachable - need to frag" + (f" (mtu {mtu})" if mtu else "")
            else:
                s = _UNREACH_FMT.get(code, f"{{}} unreachable - #{code}").format(odst)
        elif t == 11:
            if cap < 28:
                raise _Trunc(" [|icmp]")
            s = ("time exceeded in-transit" if code == 0 else
                 "ip reassembly time exceeded" if code == 1 else f"time exceeded-#{code}")
        elif t == 5:
            if cap < 28:
                raise _Trunc(" [|icmp]")
            s = _REDIRECT_FMT.get(code, f"redirect-#{code} {{}} to {{}}").format(
                self._addr(_I.unpack_from(d, off + 24)[0]), self._addr(_I.unpack_from(d, off + 4)[0])
            )
        elif t == 12:
            if cap < 5 and not code:
                raise _Trunc(" [|icmp]")
            s = f"parameter problem - code {code}" if code else f"parameter problem - octet {d[off + 4]}"
        elif t == 13:
            if cap < 8:
                raise _Trunc(" [|icmp]")
            ident, seq = _HH.unpack_from(d, off + 4)
            s = f"time stamp query id {ident} seq {seq}"
        elif t == 18:
            if cap < 12:
                raise _Trunc(" [|icmp]")
            s = f"address mask is 0x{_I.unpack_from(d, off + 8)[0]:08x}"
        else:
            s = _ICMP_SIMPLE.get(t) or f"type-#{t}"
        out.append(f"ICMP {s}, length {plen}")
        if self.vflag:
            if not fragmented and cap >= plen:
                c = _cksum(d[off : off + plen])
                if c:
                    if cap < 4:
                        raise _Trunc(" [|icmp]")
                    field = _H.unpack_from(d, off + 2)[0]
                    out.append(f" (wrong icmp cksum {field:x} (->{_shouldbe(field, c):x})!)")
            if t in _ICMP_ERRTYPES:
                out.append("\n\t")
                ip = off + 8
                if end - ip < 4:
                    raise _Trunc(" [|icmp]")
                ilen = _H.unpack_from(d, ip + 2)[0]
                self._ip(out, d, ip, ilen, min(end, ip + ilen))
            if plen > 136 and t in (3, 11, 12):
                self._icmp_extensions(out, d, off, plen, end)

    @staticmethod
    def _icmp_extensions(out: list[str], d: bytes, off: int, plen: int, end: int) -> None:
        """RFC 4884 multi-part check tcpdump runs on long errors with -v (Linux sends none)."""
        cap = end - off
        if cap < 141:
            raise _Trunc(" [|icmp]")
        hlen = plen - 136
        if d[off + 5] == 0 and cap >= 136 + hlen and _cksum(d[off + 136 : off + 136 + hlen]):
            return
        version = d[off + 136] >> 4
        out.append(f"\n\tICMP Multi-Part extension v{version}")
        if version != 2:
            out.append(" packet not supported")
            return
        if cap >= 136 + hlen:
            c = _cksum(d[off + 136 : off + 136 + hlen])
            out.append(f", checksum 0x{_H.unpack_from(d, off + 138)[0]:04x} ({'in' if c else ''}correct), length {hlen}")

    def _igmp(self, out: list[str], d: bytes, off: int, plen: int, end: int) -> None:
        if end - off < 1:
            out.append(" [|igmp]")
            return
        t = d[off]
        if t in (0x22, 0x16, 0x17) and end - off < 8:
            out.append({0x22: "igmp v3 report", 0x16: "igmp v2 report", 0x17: "igmp leave"}[t] + " [|igmp]")
            return
        if t == 0x22:
            n = _H.unpack_from(d, off + 6)[0]
            out.append(f"igmp v3 report, {n} group record(s)")
            if self.vflag:
                p = off + 8
                for _ in range(n):
                    if p + 8 > end:
                        raise _Trunc(" [|igmp]")
                    rtype, aux, nsrc = struct.unpack_from(">BBH", d, p)
                    kind = {1: "is_in", 2: "is_ex", 3: "to_in", 4: "to_ex", 5: "allow", 6: "block"}.get(rtype, f" [rtype {rtype}]")
                    out.append(f" [gaddr {int_to_ip(_I.unpack_from(d, p + 4)[0])} {kind}")
                    if self.vflag == 1:
                        out.append(f", {nsrc} source(s)]")
                    else:
                        out.append(" {" + "".join(f" {int_to_ip(_I.unpack_from(d, p + 8 + 4 * k)[0])}" for k in range(nsrc)) + " }]")
                    p += 8 + 4 * nsrc + 4 * aux
        elif t == 0x16:
            out.append(f"igmp v2 report {self._addr(_I.unpack_from(d, off + 4)[0])}")
        elif t == 0x17:
            out.append(f"igmp leave {self._addr(_I.unpack_from(d, off + 4)[0])}")
        else:
            out.append(f"igmp-{t}")
        if self.vflag and end - off >= plen:
            c = _cksum(d[off : off + plen])
            if c:
                out.append(f" bad igmp cksum {_H.unpack_from(d, off + 2)[0]:x}!")

    # ------------------------------------------------------------------ UDP

    def _udp(self, out: list[str], d: bytes, off: int, length: int, end: int, src: int, dst: int, fragmented: int) -> None:
        cap = end - off
        if cap < 4:
            out.append(f"{self._addr(src)} > {self._addr(dst)}:  [|udp]")
            return
        sport, dport = _HH.unpack_from(d, off)
        key = (src, sport, dst, dport)
        prefix = self._udp_prefix.get(key)
        if prefix is None:
            if len(self._udp_prefix) > _CACHE_MAX:
                self._udp_prefix.clear()
            prefix = self._udp_prefix[key] = (
                f"{self._addr(src)}.{self._uport(sport)} > {self._addr(dst)}.{self._uport(dport)}: "
            )
        if length < 8:
            out.append(f"{prefix}truncated-udp {length}")
            return
        if cap < 6:
            out.append(prefix + " [|udp]")
            return
        ulen = _H.unpack_from(d, off + 4)[0]
        if ulen < 8:
            out.append(f"{prefix}truncated-udplength {ulen}")
            return
        if cap < 8:
            out.append(prefix + " [|udp]")
            return
        ulen -= 8
        length -= 8
        if ulen < length:
            length = ulen
        out.append(prefix)
        p = off + 8
        if self.vflag > 1 and not fragmented:
            usum = _H.unpack_from(d, off + 6)[0] if cap >= 8 else 0
            if cap < 8:
                pass
            elif usum == 0:
                out.append("[no cksum] ")
            elif end - p >= length:
                c = _cksum(struct.pack(">IIBBH", src, dst, 0, 17, length + 8) + d[off : p + length])
                if c:
                    out.append(f"[bad udp cksum 0x{usum:04x} -> 0x{_shouldbe(usum, c):04x}!] ")
                else:
                    out.append("[udp sum ok] ")
        if sport == 53 or dport == 53:
            self._dns(out, d, p, length, min(end, p + length))
        elif sport == 4789 or dport == 4789:
            self._vxlan(out, d, p, length, end)
        elif ulen > length and not fragmented:
            out.append(f"UDP, bad length {ulen} > {length}")
        else:
            out.append(f"UDP, length {ulen}")

    def _vxlan(self, out: list[str], d: bytes, off: int, length: int, end: int) -> None:
        if length >= 8 and end - off > 8:
            hdr = d[off : off + 7]
            text = self._vxlan_hdr.get(hdr)
            if text is None:
                if len(self._vxlan_hdr) > _CACHE_MAX:
                    self._vxlan_hdr.clear()
                flags = d[off]
                text = self._vxlan_hdr[hdr] = (
                    f"VXLAN, flags [{'I' if flags & 8 else 'none'}] (0x{flags:02x}), "
                    f"vni {int.from_bytes(hdr[4:7], 'big')}\n"
                )
            out.append(text)
            self._ether(out, d, off + 8, length - 8, end)
            return
        out.append("VXLAN")
        if length < 8:
            out.append(" (invalid)")
            return
        cap = end - off
        if cap < 1:
            out.append(" [|vxlan]")
            return
        flags = d[off]
        out.append(f", flags [{'I' if flags & 8 else 'none'}] (0x{flags:02x}), ")
        if cap < 7:
            out.append(" [|vxlan]")
            return
        out.append(f"vni {int.from_bytes(d[off + 4:off + 7], 'big')}\n")
        if cap < 8:
            out.append(" [|vxlan]")
            return
        self._ether(out, d, off + 8, length - 8, end)

    # ------------------------------------------------------------------ TCP

    def _tcp(self, out: list[str], d: bytes, off: int, length: int, end: int, src: int, dst: int, fragmented: int) -> None:
        cap = end - off
        if cap < 4:
            out.append(f"{self._addr(src)} > {self._addr(dst)}: [|tcp]")
            return
        sport, dport = _HH.unpack_from(d, off)
        key = (src, sport, dst, dport)
        prefix = self._tcp_prefix.get(key)
        if prefix is None:
            if len(self._tcp_prefix) > _CACHE_MAX:
                self._tcp_prefix.clear()
            prefix = self._tcp_prefix[key] = (
                f"{self._addr(src)}.{self._tport(sport)} > {self._addr(dst)}.{self._tport(dport)}: "
            )
        out.append(prefix)
        if cap < 20:
            out.append(" [|tcp]")
            return
        hlen = (d[off + 12] >> 4) << 2
        if hlen < 20:
            out.append(f" tcp {length - hlen} [bad hdr length {hlen} - too short, < 20]")
            return
        _sp, _dp, seq, ack, _doff, flags, win, tsum, urp = _TCPH.unpack_from(d, off)
        out.append(f"Flags [{_TCP_FLAG_STR[flags]}]")
        thseq = thack = 0
        rev = False
        if flags & 0x10:
            rev = sport > dport or (sport == dport and src > dst)
            key = (dst, src, (dport << 16) | sport) if rev else (src, dst, (sport << 16) | dport)
            th = self._tcp_seq.get(key)
            if th is None or flags & 0x02:
                th = [ack - 1, seq] if rev else [seq, ack - 1]  # [seq, ack] of the canonical side
                self._tcp_seq[key] = th
            elif rev:
                seq = (seq - th[1]) & 0xFFFFFFFF
                ack = (ack - th[0]) & 0xFFFFFFFF
            else:
                seq = (seq - th[0]) & 0xFFFFFFFF
                ack = (ack - th[1]) & 0xFFFFFFFF
            thseq = th[0] & 0xFFFFFFFF
            thack = th[1] & 0xFFFFFFFF
        if hlen > length:
            out.append(f" [bad hdr length {hlen} - too long, > {length}]")
            return
        if self.vflag and not fragmented and cap >= length:
            c = _cksum(struct.pack(">IIBBH", src, dst, 0, 6, length) + d[off : off + length])
            if c:
                out.append(f", cksum 0x{tsum:04x} (incorrect -> 0x{_shouldbe(tsum, c):04x})")
            else:
                out.append(f", cksum 0x{tsum:04x} (correct)")
        dlen = length - hlen
        if self.vflag > 1 or dlen > 0 or flags & 0x07:
            out.append(f", seq {seq}:{(seq + dlen) & 0xFFFFFFFF}" if dlen > 0 else f", seq {seq}")
        if flags & 0x10:
            out.append(f", ack {ack}")
        out.append(f", win {win}")
        if flags & 0x20:
            out.append(f", urg {urp}")
        if hlen > 20:
            if not self._tcp_options(out, d, off + 20, hlen - 20, end, rev, thseq, thack):
                return
        out.append(f", length {dlen}")
        if dlen <= 0:
            return
        p = off + hlen
        if cap < hlen:
            out.append(f" [remaining caplen({cap}) < header length({hlen})] [|tcp]")
            return
        if flags & 0x04 and self.vflag:
            n = min(dlen, 30, end - p)
            tag = " [RST" if end - p >= dlen else " [!RST"
            out.append(f"{tag}{'+' if dlen > 30 else ''} {_safe(d[p:p + n])}]")
            return
        if sport == 80 or dport == 80 or sport == 8080 or dport == 8080:
            out.append(": ")
            self._txtproto(out, d[p : min(end, p + dlen)], dlen, "HTTP")
        elif sport == 22 or dport == 22:
            self._ssh(out, d[p : min(end, p + dlen)], dlen)
        elif sport == 53 or dport == 53:
            if dlen < 2:
                out.append(f" [DNS over TCP: length {dlen} < 2] (invalid)")
                return
            if end - p < 2:
                raise _Trunc(" [|domain]")
            pref = _H.unpack_from(d, p)[0]
            if pref != dlen - 2:
                out.append(f" [prefix length({pref}) != length({dlen - 2})] (invalid)")
                return
            out.append(" ")
            self._dns(out, d, p + 2, dlen - 2, min(end, p + dlen))

    def _tcp_options(
        self, out: list[str], d: bytes, cp: int, hlen: int, end: int, rev: bool, thseq: int, thack: int
    ) -> bool:
        """The ``, options [...]`` part; False when tcpdump gives up on the segment ([bad opt])."""
        out.append(", options [")
        ch = ""
        while hlen > 0:
            out.append(ch)
            if cp >= end:
                raise _Trunc(" [|tcp]")
            opt = d[cp]
            cp += 1
            if opt <= 1:
                ln = 1
            else:
                if cp >= end:
                    raise _Trunc(" [|tcp]")
                ln = d[cp]
                cp += 1
                if ln < 2 or ln > hlen:
                    out.append("[bad opt]]")
                    return False
                hlen -= 1
            hlen -= 1
            out.append(_TCPOPT_NAMES.get(opt, f"unknown-{opt}"))
            datalen = 0
            trunc = _Trunc(" [|tcp]>" if ch else " [|tcp]")
            if opt == 2 or opt == 3 or opt == 28 or opt == 8 or opt in (6, 7, 11, 12, 13):
                datalen = 2 if opt in (2, 28) else 1 if opt == 3 else 8 if opt == 8 else 4
                if datalen > hlen:
                    out.append("[bad opt]]")
                    return False
                if cp + datalen > end:
                    raise trunc
                if opt == 2:
                    out.append(f" {_H.unpack_from(d, cp)[0]}")
                elif opt == 3:
                    out.append(f" {d[cp]}")
                elif opt == 8:
                    val, ecr = _II.unpack_from(d, cp)
                    out.append(f" val {val} ecr {ecr}")
                elif opt == 28:
                    uto = _H.unpack_from(d, cp)[0]
                    out.append(f" 0x{uto:x} {(uto >> 1) * 60 if uto & 1 else uto >> 1}")
                else:
                    out.append(f" {_I.unpack_from(d, cp)[0]}")
            elif opt == 5:
                datalen = ln - 2
                if datalen % 8:
                    out.append(" invalid sack")
                else:
                    out.append(f" {datalen // 8} ")
                    base = thseq if rev else thack
                    for i in range(0, datalen, 8):
                        for need in (i + 4, i + 8):
                            if need > hlen:
                                out.append("[bad opt]]")
                                return False
                            if cp + need > end:
                                raise trunc
                        s, e = _II.unpack_from(d, cp + i)
                        out.append(f"{{{(s - base) & 0xFFFFFFFF}:{(e - base) & 0xFFFFFFFF}}}")
            elif opt > 1 and opt != 4:
                datalen = ln - 2
                if datalen:
                    out.append(" 0x")
                    for i in range(datalen):
                        if i + 1 > hlen:
                            out.append("[bad opt]]")
                            return False
                        if cp + i + 1 > end:
                            raise trunc
                        out.append(f"{d[cp + i]:02x}")
            cp += datalen
            hlen -= datalen
            datalen += 1 if opt <= 1 else 2
            if datalen != ln:
                out.append(f"[len {ln}]")
            ch = ","
            if opt == 0:
                break
        out.append("]")
        return True

    # ------------------------------------------------------------------ text protocols

    @staticmethod
    def _fetch_token(data: bytes, idx: int, length: int) -> tuple[int, bytes]:
        """fetch_token(): (index after the token and its trailing blanks, token), 0 when none."""
        cap = len(data)
        start = idx
        while idx < length:
            if idx >= cap:
                return 0, b""
            c = data[idx]
            if c >= 0x80:
                return 0, b""
            if c in (0x20, 0x09, 0x0D, 0x0A):
                break
            if c < 0x20 or c == 0x7F:
                return 0, b""
            if idx - start + 2 > 129:
                return 0, b""
            idx += 1
        token = data[start:idx]
        if not token:
            return 0, b""
        while idx < length and idx < cap:
            c = data[idx]
            if c in (0x0D, 0x0A) or c < 0x20 or c >= 0x7F or c not in (0x20, 0x09):
                break
            idx += 1
        return idx, token

    @staticmethod
    def _txt_line(out: list[str], prefix: str, data: bytes, idx: int, length: int, proto: str) -> int:
        """print_txt_line(): print one CRLF/LF-terminated printable line; 0 when done."""
        cap = len(data)
        start = idx
        while idx < length:
            if idx >= cap:
                raise _Trunc(f" [|{proto}]")
            c = data[idx]
            if c == 0x0A:
                out.append(prefix + data[start:idx].decode("ascii"))
                return idx + 1
            if c == 0x0D:
                if idx + 1 >= length:
                    return 0
                if idx + 1 >= cap:
                    raise _Trunc(f" [|{proto}]")
                if data[idx + 1] == 0x0A:
                    out.append(prefix + data[start:idx].decode("ascii"))
                    return idx + 2
                return 0
            if (c < 0x20 or c >= 0x7F) and c != 0x09:
                return 0
            idx += 1
        out.append(prefix + data[start:idx].decode("ascii") + f" [|{proto}]")
        return 0

    def _txtproto(self, out: list[str], data: bytes, length: int, proto: str) -> None:
        """txtproto_print() for HTTP: the request/response line (all lines with -v)."""
        print_this = False
        idx, token = self._fetch_token(data, 0, length)
        if idx:
            if token.upper().decode("ascii") in _HTTP_CMDS:
                print_this = True
            idx, token = self._fetch_token(data, idx, length)
            if idx and len(token) == 3 and token.isdigit():
                print_this = True
        out.append(proto)
        if not print_this:
            return
        low = proto.lower()
        if self.vflag:
            out.append(f", length: {length}")
            idx = 0
            while idx < length:
                idx = self._txt_line(out, "\n\t", data, idx, length, low)
                if not idx:
                    break
        else:
            self._txt_line(out, ": ", data, 0, length, low)

    def _ssh(self, out: list[str], data: bytes, length: int) -> None:
        cap = len(data)
        for i, ch in enumerate(b"SSH-"):
            if i >= length:
                return
            if i >= cap:
                raise _Trunc(" [|ssh]")
            if data[i] != ch:
                return
        idx = 4
        while idx < length:
            if idx >= cap:
                raise _Trunc(" [|ssh]")
            c = data[idx]
            if c == 0x0A:
                break
            if c == 0x0D:
                if idx + 1 >= length:
                    return
                if idx + 1 >= cap:
                    raise _Trunc(" [|ssh]")
                if data[idx + 1] != 0x0A:
                    return
                break
            if c < 0x20 or c >= 0x7F:
                return
            idx += 1
        else:
            return
        out.append(": SSH: " + data[:idx].decode("ascii"))

    # ------------------------------------------------------------------ DNS

    def _dns(self, out: list[str], d: bytes, off: int, length: int, end: int) -> None:
        """ns_print(): one DNS message (``length`` from UDP/TCP, ``end`` = captured end)."""
        if length < 12:
            out.append(f"domain [length {length} < 12] (invalid)")
            return
        if end - off < 12:
            out.append(" [|domain]")
            return
        qid, flags, qd, an, ns, ar = _DNSH.unpack_from(d, off)
        msg = d[off:end]
        n = len(msg)
        vv = self.vflag > 1
        trunc = _Trunc(" [|domain]")
        if flags & 0x8000:
            out.append(
                f"{qid}{_DNS_OPS[(flags >> 11) & 15]}{_DNS_RCODES[flags & 15]}"
                f"{'*' if flags & 0x0400 else ''}{'' if flags & 0x0080 else '-'}"
                f"{'|' if flags & 0x0200 else ''}{'$' if flags & 0x0020 else ''}"
            )
            if qd != 1:
                out.append(f" [{qd}q]")
            cp = 12
            for i in range(qd):
                if i:
                    out.append(",")
                if vv:
                    out.append(" q:")
                    cp = self._dns_question(out, msg, cp)
                else:
                    cp = self._dns_skip(msg, cp)
                    if cp < 0:
                        raise trunc
                    cp += 4
            out.append(f" {an}/{ns}/{ar}")
            cp, an = self._dns_section(out, msg, cp, an, "")
            if an:
                raise trunc
            if vv:
                for label, count in ((" ns:", ns), (" ar:", ar)):
                    if cp < n and count:
                        cp, count = self._dns_section(out, msg, cp, count, label)
                    if count:
                        raise trunc
        else:
            op = (flags >> 11) & 15
            out.append(f"{qid}{_DNS_OPS[op]}{'+' if flags & 0x0100 else ''}{'%' if flags & 0x0010 else ''}")
            if flags & 0x6CF:
                out.append(f" [b2&3=0x{flags:x}]")
            if op == 1:
                if qd:
                    out.append(f" [{qd}q]")
                if an != 1:
                    out.append(f" [{an}a]")
            else:
                if an:
                    out.append(f" [{an}a]")
                if qd != 1:
                    out.append(f" [{qd}q]")
            if ns:
                out.append(f" [{ns}n]")
            if ar:
                out.append(f" [{ar}au]")
            cp = 12
            if qd:
                cp = self._dns_question(out, msg, cp)
                qd -= 1
                while cp < n and qd:
                    cp = self._dns_question(out, msg, cp)
                    qd -= 1
            if qd:
                raise trunc
            if vv:
                cp, an = self._dns_section(out, msg, cp, an, None)
                if an:
                    raise trunc
                for label, count in ((" ns:", ns), (" ar:", ar)):
                    if cp < n and count:
                        cp, count = self._dns_section(out, msg, cp, count, label)
                    if count:
                        raise trunc
        out.append(f" ({length})")

    def _dns_section(self, out: list[str], msg: bytes, cp: int, count: int, label: str | None) -> tuple[int, int]:
        """Print up to ``count`` records (tcpdump stops quietly at the capture end)."""
        if not count:
            return cp, 0
        if label:
            out.append(label)
        cp = self._dns_rr(out, msg, cp)
        count -= 1
        while cp < len(msg) and count:
            out.append(",")
            cp = self._dns_rr(out, msg, cp)
            count -= 1
        return cp, count

    @staticmethod
    def _dns_skip(msg: bytes, cp: int) -> int:
        """ns_nskip(): offset after the name at ``cp`` (pointers not followed), -1 if truncated."""
        n = len(msg)
        if cp >= n:
            return -1
        i = msg[cp]
        cp += 1
        while i:
            kind = i & 0xC0
            if kind == 0xC0:
                return cp + 1
            if kind == 0x40:
                if i & 0x3F != 1 or cp >= n:
                    return -1
                bitlen = msg[cp] or 256
                cp += (bitlen + 7) // 8 + 1
            else:
                cp += i
            if cp >= n:
                return -1
            i = msg[cp]
            cp += 1
        return cp

    def _dns_name(self, out: list[str], msg: bytes, cp: int) -> int:
        """fqdn_print(): print the name at ``cp`` label by label; returns the offset after it in place.

        Like tcpdump, a name whose next label length byte is the last captured
        byte ends quietly; running out inside a label is a truncation.
        """
        n = len(msg)
        trunc = _Trunc(" [|domain]")
        if cp >= n:
            raise trunc
        max_off = cp
        rp = -1
        i = self._dns_labeltype(out, msg, cp)
        cp += 1
        if i == 0:
            out.append(".")
            return cp
        if i & 0xC0 == 0xC0 and cp >= n:
            raise trunc
        while i and cp < n:
            if i & 0xC0 == 0xC0:
                if rp < 0:
                    rp = cp + 1
                ptr = ((i & 0x3F) << 8) | msg[cp]
                if ptr >= max_off:
                    out.append("<BAD PTR>")
                    raise trunc
                max_off = ptr
                cp = ptr
                i = self._dns_labeltype(out, msg, cp)
                cp += 1
                continue
            if i & 0xC0 == 0x40:  # EDNS0 bit-string label
                bitlen = msg[cp] or 256
                self._dns_bitlabel(out, msg, cp, bitlen)
                cp += (bitlen + 7) // 8 + 1
                out.append(".")
                if cp >= n:
                    raise trunc
                i = self._dns_labeltype(out, msg, cp)
                cp += 1
                continue
            label = msg[cp : cp + i]
            out.append(_safe(label))
            if len(label) < i:
                raise trunc
            cp += i
            out.append(".")
            if cp >= n:
                raise trunc
            i = self._dns_labeltype(out, msg, cp)
            cp += 1
        if rp >= 0:
            return rp
        return cp if i == 0 else max(cp, n)

    @staticmethod
    def _dns_labeltype(out: list[str], msg: bytes, cp: int) -> int:
        """labellen(): reject the label types tcpdump cannot follow."""
        i = msg[cp]
        kind = i & 0xC0
        if kind == 0x40:
            if i & 0x3F != 1:
                out.append(f"<ELT {i & 0x3F}>")
                raise _Trunc(" [|domain]")
            if cp + 1 >= len(msg):
                raise _Trunc(" [|domain]")
        elif kind == 0x80:
            out.append("<BAD LABEL TYPE>")
            raise _Trunc(" [|domain]")
        return i

    @staticmethod
    def _dns_bitlabel(out: list[str], msg: bytes, cp: int, bitlen: int) -> None:
        """blabel_print(): ``\\[x<hex>/<bits>]``."""
        lim = cp + 1 + (bitlen + 3) // 4
        parts = ["\\[x"]
        bitp = cp + 1
        b = bitlen
        try:
            while bitp < lim and b > 7:
                parts.append(f"{msg[bitp]:02x}")
                b -= 8
                bitp += 1
            if b > 4:
                parts.append(f"{msg[bitp] & ((0xFF << (8 - b)) & 0xFF):02x}")
            elif b > 0:
                parts.append(f"{((msg[bitp] >> 4) & 0x0F) & ((0x0F << (4 - b)) & 0x0F):1x}")
        except IndexError:
            out.append("".join(parts))
            raise _Trunc(" [|domain]") from None
        out.append("".join(parts) + f"/{bitlen}]")

    def _dns_question(self, out: list[str], msg: bytes, cp: int) -> int:
        """ns_qprint(): `` A? name.``"""
        after = self._dns_skip(msg, cp)
        if after < 0 or after + 4 > len(msg):
            raise _Trunc(" [|domain]")
        qtype, qclass = _HH.unpack_from(msg, after)
        out.append(" " + _DNS_TYPES.get(qtype, f"Type{qtype}"))
        if qclass != 1:
            out.append(" " + _DNS_CLASSES.get(qclass, f"(Class {qclass})"))
        out.append("? ")
        self._dns_name(out, msg, cp)
        return after + 4

    def _dns_rr(self, out: list[str], msg: bytes, cp: int) -> int:
        """ns_rprint(): one resource record; returns the offset after it (len(msg) = stop)."""
        n = len(msg)
        if self.vflag:
            out.append(" ")
            cp = self._dns_name(out, msg, cp)
        else:
            cp = self._dns_skip(msg, cp)
            if cp < 0:
                return n
        if cp + 10 > n:
            return n
        typ, cls, ttl, rdlen = struct.unpack_from(">HHIH", msg, cp)
        if cls != 1 and typ != 41:
            out.append(" " + _DNS_CLASSES.get(cls, f"(Class {cls})"))
        if self.vflag > 2 and typ != 41:
            out.append(f" [{_relts(ttl)}]")
        cp += 10
        rp = cp + rdlen
        out.append(" " + _DNS_TYPES.get(typ, f"Type{typ}"))
        trunc = _Trunc(" [|domain]")
        if rp > n:
            raise trunc
        if typ == 1:
            if cp + 4 > n:
                raise trunc
            out.append(" " + int_to_ip(_I.unpack_from(msg, cp)[0]))
        elif typ in (2, 5, 12, 39):
            out.append(" ")
            self._dns_name(out, msg, cp)
        elif typ == 15:
            out.append(" ")
            self._dns_name(out, msg, cp + 2)
            out.append(f" {_H.unpack_from(msg, cp)[0]}")
        elif typ == 16:
            p = cp
            while p < rp:
                k = msg[p]
                out.append(' "' + _safe(msg[p + 1 : p + 1 + k]))
                if p + 1 + k > n:
                    raise trunc
                out.append('"')
                p += 1 + k
        elif typ == 33:
            out.append(" ")
            self._dns_name(out, msg, cp + 6)
            prio, weight, port = struct.unpack_from(">HHH", msg, cp)
            out.append(f":{port} {prio} {weight}")
        elif typ == 28:
            if cp + 16 > n:
                raise trunc
            out.append(" " + _ip6str(msg[cp : cp + 16]))
        elif typ == 6 and self.vflag:
            out.append(" ")
            p = self._dns_name(out, msg, cp)
            out.append(" ")
            p = self._dns_name(out, msg, p)
            if p + 20 > n:
                raise trunc
            out.append(" " + " ".join(str(x) for x in struct.unpack_from(">IIIII", msg, p)))
        elif typ == 41:
            out.append(f" UDPsize={cls}")
            if ttl & 0x8000:
                out.append(" DO")
        return rp


def _ip6str(b: bytes) -> str:
    import ipaddress

    return str(ipaddress.IPv6Address(b))


def _relts(secs: int) -> str:
    if secs == 0:
        return "0s"
    parts = []
    for unit, size in (("y", 31536000), ("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if secs >= size:
            parts.append(f"{secs // size}{unit}")
            secs %= size
    return "".join(parts)
