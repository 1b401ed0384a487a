"""The packet detail pane: a packet's layers as a tree (Wireshark's middle pane) and its bytes.

Why: tcpdump's one line hides what makes the overlay click for a learner - that
a VXLAN packet is a whole Ethernet frame (inner MACs, inner IPs, ICMP) riding in
UDP between the hosts. The tree shows outer Ethernet/IPv4/UDP/VXLAN and then the
inner Ethernet/IPv4/ICMP, every field with its value; selecting a field
highlights its bytes in the hex dump below, as Wireshark's bytes pane does.

The dissector (:func:`dissect`) is plain Python over the frame bytes: the
engine's frames are real, so nothing here guesses. It never raises on hostile
or truncated frames; it stops with a "malformed" node instead. Every string
that comes from a packet (DNS names, payload text) goes through
:func:`~tui.app.widgets.capture.printable` and into ``Text`` objects, never
into markup.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from tui.app.widgets.capture import printable, word
from tui.app.widgets.packet_walk import capture_hop
from tui.engine.addr import int_to_ip
from tui.engine.pkt import hops

if TYPE_CHECKING:
    from tui.engine.capture import CaptureRecord

__all__ = ["PacketDetail", "Layer", "dissect", "hex_dump"]

# The pane's own words (protocol and field names stay as Wireshark writes them, in English).
WORDS: dict[str, tuple[str, str]] = {
    "empty": ("no packet selected", "未选择数据包"),
    "frame": ("Frame: {n} bytes captured on {where}, {kind}", "帧：{n} 字节，抓取于 {where}，{kind}"),
    "frame.bare": ("Frame: {n} bytes", "帧：{n} 字节"),
    "capture": (", capture {label}", "，抓包 {label}"),
    "time": ("Virtual time: {t:.6f} s", "虚拟时间：{t:.6f} 秒"),
    "ifindex": ("Interface index: {i}", "接口索引：{i}"),
    "journey": ("Journey: captured at hop {pos} of {n} recorded so far",
                "旅程：在目前记录的 {n} 跳中的第 {pos} 跳被抓到"),
    "journey.none": ("Journey: no hops recorded", "旅程：没有记录下的路径"),
    "pkttype.0": ("to this host", "发往本机"),
    "pkttype.1": ("broadcast", "广播"),
    "pkttype.2": ("multicast", "组播"),
    "pkttype.3": ("to another host", "发往其他主机"),
    "pkttype.4": ("outgoing", "发出"),
}
_ETHERTYPES = {0x0800: "IPv4", 0x0806: "ARP", 0x86DD: "IPv6", 0x8100: "802.1Q"}
_IPPROTOS = {1: "ICMP", 2: "IGMP", 6: "TCP", 17: "UDP", 47: "GRE", 50: "ESP", 51: "AH"}
_ICMP_TYPES = {0: "Echo (ping) reply", 3: "Destination unreachable", 4: "Source quench", 5: "Redirect",
               8: "Echo (ping) request", 11: "Time-to-live exceeded", 12: "Parameter problem"}
_UNREACH = {0: "Network unreachable", 1: "Host unreachable", 2: "Protocol unreachable",
            3: "Port unreachable", 4: "Fragmentation needed", 9: "Network administratively prohibited",
            10: "Host administratively prohibited", 13: "Communication administratively filtered"}
_ARP_OPS = {1: "request", 2: "reply"}
_DNS_TYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA", 33: "SRV"}
_TCP_FLAGS = ((0x80, "CWR"), (0x40, "ECE"), (0x20, "URG"), (0x10, "ACK"), (0x08, "PSH"), (0x04, "RST"),
              (0x02, "SYN"), (0x01, "FIN"))
_VXLAN_PORT = 4789


@dataclass
class Layer:
    """A tree node: ``label`` (plain text), the byte range it covers, and its fields."""

    label: str
    start: int
    end: int
    children: list[Layer] = field(default_factory=list)

    def add(self, label: str, start: int, end: int) -> Layer:
        node = Layer(label, start, end)
        self.children.append(node)
        return node


class _Truncated(Exception):
    """The frame ends inside a header."""


def _mac(b: bytes) -> str:
    text = b.hex(":")
    if b == b"\xff" * 6:
        return f"{text} (broadcast)"
    if b[0] & 1:
        return f"{text} (multicast)"
    return text


def _csum(data: bytes) -> int:
    """Internet checksum over ``data``: 0 when a header with its checksum field verifies."""
    if len(data) & 1:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def _need(frame: bytes, end: int) -> None:
    if len(frame) < end:
        raise _Truncated


def dissect(frame: bytes) -> list[Layer]:
    """The layers of an Ethernet frame, outermost first (VXLAN's inner frame follows its header).

    Stops with a ``[Malformed ...]`` layer where the bytes run out; never raises.
    """
    layers: list[Layer] = []
    try:
        _ether(frame, 0, len(frame), layers, inner=False)
    except _Truncated:
        layers.append(Layer("[Malformed packet: the frame ends inside a header]", len(frame), len(frame)))
    except Exception as exc:  # a dissector bug must not take the pane down
        layers.append(Layer(f"[Dissector error: {type(exc).__name__}]", 0, len(frame)))
    return layers


def _ether(frame: bytes, off: int, end: int, layers: list[Layer], *, inner: bool) -> None:
    _need(frame, off + 14)
    dst, src, et = frame[off : off + 6], frame[off + 6 : off + 12], (frame[off + 12] << 8) | frame[off + 13]
    tag = " (inner)" if inner else ""
    eth = Layer(f"Ethernet II{tag}, Src: {src.hex(':')}, Dst: {dst.hex(':')}", off, end)
    eth.add(f"Destination: {_mac(dst)}", off, off + 6)
    eth.add(f"Source: {_mac(src)}", off + 6, off + 12)
    eth.add(f"Type: {_ETHERTYPES.get(et, 'Unknown')} (0x{et:04x})", off + 12, off + 14)
    layers.append(eth)
    p = off + 14
    if et == 0x0800:
        _ipv4(frame, p, end, layers, inner=inner)
    elif et == 0x0806:
        _arp(frame, p, end, layers)
    elif p < end:
        _data(frame, p, end, layers)


def _ipv4(frame: bytes, off: int, end: int, layers: list[Layer], *, inner: bool) -> None:
    _need(frame, off + 20)
    vihl, tos, tot, ident, frag, ttl, proto, csum, src, dst = struct.unpack_from("!BBHHHBBHII", frame, off)
    ihl = (vihl & 15) * 4
    tag = " (inner)" if inner else ""
    ip = Layer(f"Internet Protocol Version {vihl >> 4}{tag}, Src: {int_to_ip(src)}, Dst: {int_to_ip(dst)}", off,
               min(end, off + max(tot, ihl)))
    layers.append(ip)
    ip.add(f"Version: {vihl >> 4}", off, off + 1)
    ip.add(f"Header Length: {ihl} bytes ({vihl & 15})", off, off + 1)
    ip.add(f"Differentiated Services: 0x{tos:02x} (DSCP {tos >> 2}, ECN {tos & 3})", off + 1, off + 2)
    ip.add(f"Total Length: {tot}", off + 2, off + 4)
    ip.add(f"Identification: 0x{ident:04x} ({ident})", off + 4, off + 6)
    names = [n for bit, n in ((0x4000, "Don't fragment"), (0x2000, "More fragments")) if frag & bit]
    flags = ip.add(f"Flags: 0x{frag >> 13:x}{', ' + ', '.join(names) if names else ''}", off + 6, off + 8)
    flags.add(f"{'1' if frag & 0x4000 else '0'} = Don't fragment", off + 6, off + 7)
    flags.add(f"{'1' if frag & 0x2000 else '0'} = More fragments", off + 6, off + 7)
    ip.add(f"Fragment Offset: {(frag & 0x1FFF) * 8}", off + 6, off + 8)
    ip.add(f"Time to Live: {ttl}", off + 8, off + 9)
    ip.add(f"Protocol: {_IPPROTOS.get(proto, 'Unknown')} ({proto})", off + 9, off + 10)
    if ihl < 20 or vihl >> 4 != 4:
        ip.add(f"[Bad header: version {vihl >> 4}, header length {ihl}]", off, off + 1)
        return
    _need(frame, off + ihl)
    ok = _csum(frame[off : off + ihl]) == 0
    ip.add(f"Header Checksum: 0x{csum:04x} [{'correct' if ok else 'incorrect'}]", off + 10, off + 12)
    ip.add(f"Source Address: {int_to_ip(src)}", off + 12, off + 16)
    ip.add(f"Destination Address: {int_to_ip(dst)}", off + 16, off + 20)
    if ihl > 20:
        ip.add(f"Options: ({ihl - 20} bytes)", off + 20, off + ihl)
    p = off + ihl
    stop = min(end, off + tot) if tot >= ihl else end
    if frag & 0x1FFF:
        _data(frame, p, stop, layers, what="Fragment data")
        return
    if proto == 1:
        _icmp(frame, p, stop, layers)
    elif proto == 17:
        _udp(frame, p, stop, layers, src, dst)
    elif proto == 6:
        _tcp(frame, p, stop, layers)
    elif proto == 50:
        _need(frame, p + 8)
        spi, seq = struct.unpack_from("!II", frame, p)
        esp = Layer(f"Encapsulating Security Payload, SPI: 0x{spi:08x}", p, stop)
        esp.add(f"SPI: 0x{spi:08x}", p, p + 4)
        esp.add(f"Sequence: {seq}", p + 4, p + 8)
        esp.add(f"Encrypted data ({max(0, stop - p - 8)} bytes)", p + 8, stop)
        layers.append(esp)
    elif p < stop:
        _data(frame, p, stop, layers)


def _arp(frame: bytes, off: int, end: int, layers: list[Layer]) -> None:
    _need(frame, off + 28)
    htype, ptype, hlen, plen, op = struct.unpack_from("!HHBBH", frame, off)
    sha, spa = frame[off + 8 : off + 14], struct.unpack_from("!I", frame, off + 14)[0]
    tha, tpa = frame[off + 18 : off + 24], struct.unpack_from("!I", frame, off + 24)[0]
    arp = Layer(f"Address Resolution Protocol ({_ARP_OPS.get(op, op)})", off, off + 28)
    arp.add(f"Hardware type: {'Ethernet' if htype == 1 else 'Unknown'} ({htype})", off, off + 2)
    arp.add(f"Protocol type: {_ETHERTYPES.get(ptype, 'Unknown')} (0x{ptype:04x})", off + 2, off + 4)
    arp.add(f"Hardware size: {hlen}", off + 4, off + 5)
    arp.add(f"Protocol size: {plen}", off + 5, off + 6)
    arp.add(f"Opcode: {_ARP_OPS.get(op, 'unknown')} ({op})", off + 6, off + 8)
    arp.add(f"Sender MAC address: {_mac(sha)}", off + 8, off + 14)
    arp.add(f"Sender IP address: {int_to_ip(spa)}", off + 14, off + 18)
    arp.add(f"Target MAC address: {_mac(tha)}", off + 18, off + 24)
    arp.add(f"Target IP address: {int_to_ip(tpa)}", off + 24, off + 28)
    layers.append(arp)
    if end > off + 28:
        layers.append(Layer(f"Padding ({end - off - 28} bytes)", off + 28, end))


def _icmp(frame: bytes, off: int, end: int, layers: list[Layer]) -> None:
    _need(frame, off + 8)
    t, code, csum, a, b = struct.unpack_from("!BBHHH", frame, off)
    name = _ICMP_TYPES.get(t, f"type {t}")
    if t == 3:
        name = f"{name} ({_UNREACH.get(code, f'code {code}')})"
    icmp = Layer(f"Internet Control Message Protocol, {name}", off, end)
    layers.append(icmp)
    icmp.add(f"Type: {t} ({_ICMP_TYPES.get(t, 'Unknown')})", off, off + 1)
    icmp.add(f"Code: {code}", off + 1, off + 2)
    ok = _csum(frame[off:end]) == 0 if end <= len(frame) else None
    state = "" if ok is None else (" [correct]" if ok else " [incorrect]")
    icmp.add(f"Checksum: 0x{csum:04x}{state}", off + 2, off + 4)
    if t in (0, 8):
        icmp.add(f"Identifier: {a} (0x{a:04x})", off + 4, off + 6)
        icmp.add(f"Sequence Number: {b} (0x{b:04x})", off + 6, off + 8)
        if end > off + 8:
            icmp.add(f"Data ({end - off - 8} bytes)", off + 8, end)
    elif t in (3, 11, 12, 4, 5):
        if t == 3 and code == 4:
            icmp.add(f"MTU of next hop: {b}", off + 6, off + 8)
        else:
            icmp.add(f"Unused: 0x{(a << 16) | b:08x}", off + 4, off + 8)
        if end > off + 8:
            quoted: list[Layer] = []
            try:
                _ipv4(frame, off + 8, end, quoted, inner=True)
            except _Truncated:
                pass
            q = icmp.add(f"Original datagram ({end - off - 8} bytes)", off + 8, end)
            q.children.extend(quoted)
    elif end > off + 4:
        icmp.add(f"Rest of header and data ({end - off - 4} bytes)", off + 4, end)


def _udp(frame: bytes, off: int, end: int, layers: list[Layer], src: int, dst: int) -> None:
    _need(frame, off + 8)
    sport, dport, ulen, csum = struct.unpack_from("!HHHH", frame, off)
    udp = Layer(f"User Datagram Protocol, Src Port: {sport}, Dst Port: {dport}", off, end)
    layers.append(udp)
    udp.add(f"Source Port: {sport}", off, off + 2)
    udp.add(f"Destination Port: {dport}", off + 2, off + 4)
    udp.add(f"Length: {ulen}", off + 4, off + 6)
    if csum == 0:
        udp.add("Checksum: 0x0000 [zero: not computed, as Linux sends VXLAN]", off + 6, off + 8)
    else:
        ok = None
        if off + ulen <= len(frame) and ulen >= 8:
            pseudo = struct.pack("!IIBBH", src, dst, 0, 17, ulen)
            ok = _csum(pseudo + frame[off : off + ulen]) == 0
        state = "" if ok is None else (" [correct]" if ok else " [incorrect]")
        udp.add(f"Checksum: 0x{csum:04x}{state}", off + 6, off + 8)
    p = off + 8
    stop = min(end, off + ulen) if ulen >= 8 else end
    if p >= stop:
        return
    if sport == _VXLAN_PORT or dport == _VXLAN_PORT:
        _vxlan(frame, p, stop, layers)
    elif sport == 53 or dport == 53:
        _dns(frame, p, stop, layers)
    else:
        _data(frame, p, stop, layers)


def _vxlan(frame: bytes, off: int, end: int, layers: list[Layer]) -> None:
    _need(frame, off + 8)
    flags = frame[off]
    vni = int.from_bytes(frame[off + 4 : off + 7], "big")
    vx = Layer(f"Virtual eXtensible Local Area Network, VNI: {vni}", off, off + 8)
    layers.append(vx)
    f = vx.add(f"Flags: 0x{flags:02x}{', VXLAN Network ID (VNI) valid' if flags & 0x08 else ''}", off, off + 1)
    f.add(f"{'1' if flags & 0x08 else '0'} = I flag: VNI {'valid' if flags & 0x08 else 'not valid'}", off, off + 1)
    vx.add(f"Reserved: 0x{int.from_bytes(frame[off + 1 : off + 4], 'big'):06x}", off + 1, off + 4)
    vx.add(f"VXLAN Network Identifier (VNI): {vni}", off + 4, off + 7)
    vx.add(f"Reserved: 0x{frame[off + 7]:02x}", off + 7, off + 8)
    if end > off + 8:
        _ether(frame, off + 8, end, layers, inner=True)


def _tcp(frame: bytes, off: int, end: int, layers: list[Layer]) -> None:
    _need(frame, off + 20)
    sport, dport, seq, ack, doff, flags, win, csum, urg = struct.unpack_from("!HHIIBBHHH", frame, off)
    hlen = (doff >> 4) * 4
    names = [n for bit, n in _TCP_FLAGS if flags & bit]
    plen = max(0, end - off - hlen)
    tcp = Layer(f"Transmission Control Protocol, Src Port: {sport}, Dst Port: {dport}, Seq: {seq}, "
                f"Len: {plen}", off, end)
    layers.append(tcp)
    tcp.add(f"Source Port: {sport}", off, off + 2)
    tcp.add(f"Destination Port: {dport}", off + 2, off + 4)
    tcp.add(f"Sequence Number (raw): {seq}", off + 4, off + 8)
    tcp.add(f"Acknowledgment Number (raw): {ack}", off + 8, off + 12)
    tcp.add(f"Header Length: {hlen} bytes ({doff >> 4})", off + 12, off + 13)
    fl = tcp.add(f"Flags: 0x{flags:03x} ({', '.join(names) or 'none'})", off + 12, off + 14)
    for bit, n in _TCP_FLAGS:
        fl.add(f"{'1' if flags & bit else '0'} = {n}", off + 13, off + 14)
    tcp.add(f"Window: {win}", off + 14, off + 16)
    tcp.add(f"Checksum: 0x{csum:04x}", off + 16, off + 18)
    tcp.add(f"Urgent Pointer: {urg}", off + 18, off + 20)
    if hlen < 20:
        tcp.add(f"[Bad header length: {hlen}]", off + 12, off + 13)
        return
    if hlen > 20:
        tcp.add(f"Options: ({hlen - 20} bytes)", off + 20, min(end, off + hlen))
    if plen:
        p = off + hlen
        text = _first_line(frame[p:end])
        label = f"TCP payload ({plen} bytes)" + (f": {text}" if text else "")
        tcp.add(label, p, end)


def _dns(frame: bytes, off: int, end: int, layers: list[Layer]) -> None:
    from tui.engine.packets import PacketError, parse_dns

    _need(frame, off + 12)
    msg_bytes = frame[off:end]
    qid, flags, qd, an, ns, ar = struct.unpack_from("!HHHHHH", frame, off)
    kind = "response" if flags & 0x8000 else "query"
    dns = Layer(f"Domain Name System ({kind})", off, end)
    layers.append(dns)
    dns.add(f"Transaction ID: 0x{qid:04x}", off, off + 2)
    dns.add(f"Flags: 0x{flags:04x} ({'response' if flags & 0x8000 else 'standard query'}"
            f"{', recursion desired' if flags & 0x0100 else ''}, rcode {flags & 0xF})", off + 2, off + 4)
    dns.add(f"Questions: {qd}", off + 4, off + 6)
    dns.add(f"Answer RRs: {an}", off + 6, off + 8)
    dns.add(f"Authority RRs: {ns}", off + 8, off + 10)
    dns.add(f"Additional RRs: {ar}", off + 10, off + 12)
    try:
        msg = parse_dns(msg_bytes)
    except PacketError as exc:
        dns.add(f"[Malformed: {exc}]", off + 12, end)
        return
    if msg.questions:
        qs = dns.add("Queries", off + 12, end)
        for q in msg.questions:
            qs.add(f"{q.name or '<Root>'}: type {_DNS_TYPES.get(q.qtype, q.qtype)}, class "
                   f"{'IN' if q.qclass == 1 else q.qclass}", off + 12, end)
    for title, records in (("Answers", msg.answers), ("Authoritative nameservers", msg.authority),
                           ("Additional records", msg.additional)):
        if not records:
            continue
        node = dns.add(title, off + 12, end)
        for r in records:
            value = int_to_ip(int.from_bytes(r.rdata, "big")) if r.rtype == 1 and len(r.rdata) == 4 else f"{len(r.rdata)} bytes"
            node.add(f"{r.name or '<Root>'}: type {_DNS_TYPES.get(r.rtype, r.rtype)}, ttl {r.ttl}, {value}",
                     off + 12, end)


def _data(frame: bytes, off: int, end: int, layers: list[Layer], what: str = "Data") -> None:
    text = _first_line(frame[off:end])
    layers.append(Layer(f"{what} ({end - off} bytes)" + (f": {text}" if text else ""), off, end))


def _first_line(payload: bytes) -> str:
    """A payload's first line when it looks like text (an HTTP request line, say), else ''."""
    head = payload[:80].split(b"\n", 1)[0].rstrip(b"\r")
    if len(head) < 4 or sum(32 <= b < 127 for b in head) < len(head) * 0.9:
        return ""
    return head.decode("latin-1")


def hex_dump(frame: bytes) -> list[str]:
    """Wireshark's bytes pane (``tcpdump -XX`` in spirit): offset, 16 bytes in two groups, ASCII."""
    lines = []
    for i in range(0, len(frame), 16):
        chunk = frame[i : i + 16]
        hx = " ".join(f"{b:02x}" for b in chunk[:8])
        if len(chunk) > 8:
            hx += "  " + " ".join(f"{b:02x}" for b in chunk[8:])
        asc = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        lines.append(f"{i:04x}  {hx:<48}  {asc}")
    return lines


def _hex_columns(index: int) -> tuple[int, int]:
    """Where byte ``index`` of a row sits in a :func:`hex_dump` line: (hex column, ASCII column)."""
    col = 6 + index * 3 + (1 if index >= 8 else 0)
    return col, 6 + 48 + 2 + index


class PacketDetail(Vertical):
    """Layers of one packet as a tree, with the packet's bytes underneath.

    :meth:`show` takes a :class:`~tui.engine.capture.CaptureRecord` (the app calls
    it on :class:`CaptureView.Selected`); moving through the tree highlights the
    selected field's bytes in the hex dump.
    """

    DEFAULT_CSS = """
    PacketDetail {
        height: 1fr;
        background: $surface;
        & > Tree { height: 2fr; background: $surface; }
        & > #packet-bytes {
            height: 1fr;
            min-height: 4;
            border-top: solid $border-blurred;
            background: $surface;
        }
        & > #packet-bytes:focus-within { border-top: solid $border; }
        & .packet-detail--highlight { background: $accent-muted; color: $foreground; text-style: bold; }
        & .packet-detail--offset { color: $text-secondary; }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"packet-detail--highlight", "packet-detail--offset"}

    lang: reactive[str] = reactive("en", init=False)
    """The language of the frame summary (``en`` or ``zh``); protocol fields keep Wireshark's names."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "expand_all", "Expand all", show=False),
        Binding("c", "collapse_all", "Collapse all", show=False),
    ]

    def __init__(self, record: CaptureRecord | None = None, label: str = "", *, lang: str = "en",
                 name: str | None = None, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(name=name, id=id, classes=classes)
        self.set_reactive(PacketDetail.lang, lang)
        self._record = record
        self._label = label
        self._frame = b""
        self._dissection: list[Layer] = []
        self._highlight: tuple[int, int] | None = None

    def compose(self) -> ComposeResult:
        tree: Tree[tuple[int, int]] = Tree(Text(word(WORDS, self.lang, "empty")), id="packet-tree")
        tree.show_root = True
        yield tree
        with VerticalScroll(id="packet-bytes"):
            yield Static(Text(""), id="packet-hex")

    def on_mount(self) -> None:
        if self._record is not None:
            self.show(self._record, self._label)

    @property
    def frame(self) -> bytes:
        return self._frame

    @property
    def dissection(self) -> list[Layer]:
        """The dissected layers of the packet shown (outermost first)."""
        return self._dissection

    def show(self, record: CaptureRecord, label: str = "") -> None:
        """Show a captured packet (its frame and where it was captured)."""
        self._record = record
        self._label = label
        lang = self.lang
        where = f"{record.dev} ({record.where})"
        if label:
            where += word(WORDS, lang, "capture", label=label)
        kind = word(WORDS, lang, f"pkttype.{record.pkttype}") if record.pkttype in range(5) else "?"
        frame_layer = Layer(word(WORDS, lang, "frame", n=len(record.data), where=where, kind=kind),
                            0, len(record.data))
        frame_layer.add(word(WORDS, lang, "time", t=record.t / 1e9), 0, 0)
        frame_layer.add(word(WORDS, lang, "ifindex", i=record.ifindex), 0, 0)
        journey = hops(list(record.trace))
        at = capture_hop(record, journey)  # the hop the packet walk marks: both count from 1
        frame_layer.add(word(WORDS, lang, "journey.none") if at is None else
                        word(WORDS, lang, "journey", pos=at + 1, n=len(journey)), 0, 0)
        self.show_frame(record.data, frame_layer)

    def show_frame(self, frame: bytes, frame_layer: Layer | None = None) -> None:
        """Show raw Ethernet frame bytes (``frame_layer`` describes the capture, when known)."""
        self._frame = bytes(frame)
        self._dissection = dissect(self._frame)
        if frame_layer is None:
            frame_layer = Layer(word(WORDS, self.lang, "frame.bare", n=len(self._frame)), 0, len(self._frame))
        tree: Tree[tuple[int, int]] = self.query_one("#packet-tree", Tree)
        tree.clear()
        tree.root.set_label(Text(printable(frame_layer.label)))
        tree.root.data = (frame_layer.start, frame_layer.end)
        for child in frame_layer.children:
            tree.root.add_leaf(Text(printable(child.label)), data=(child.start, child.end))
        for layer in self._dissection:
            self._add_node(tree.root, layer, expand=True)
        tree.root.expand()
        self._highlight = None
        self._render_hex()

    def watch_lang(self) -> None:
        if not self.is_mounted:
            return
        if self._record is not None:
            self.show(self._record, self._label)
        elif not self._frame:
            self.query_one("#packet-tree", Tree).root.set_label(Text(word(WORDS, self.lang, "empty")))

    def _add_node(self, parent: TreeNode[tuple[int, int]], layer: Layer, *, expand: bool) -> None:
        label = Text(printable(layer.label))
        if layer.children:
            node = parent.add(label, data=(layer.start, layer.end), expand=expand)
            for child in layer.children:
                self._add_node(node, child, expand=False)
        else:
            parent.add_leaf(label, data=(layer.start, layer.end))

    def tree_labels(self) -> list[tuple[int, str]]:
        """(depth, text) of every node of the layer tree in order: what the tree shows when fully expanded."""
        out: list[tuple[int, str]] = []

        def walk(node: TreeNode[tuple[int, int]], depth: int) -> None:
            out.append((depth, str(node.label)))
            for child in node.children:
                walk(child, depth + 1)

        walk(self.query_one("#packet-tree", Tree).root, 0)
        return out

    def hex_text(self) -> str:
        """The hex dump as plain text."""
        return "\n".join(hex_dump(self._frame))

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[tuple[int, int]]) -> None:
        event.stop()
        data = event.node.data
        self._highlight = data if data and data[1] > data[0] else None
        self._render_hex()

    def _render_hex(self) -> None:
        lines = hex_dump(self._frame)
        text = Text("\n".join(lines), no_wrap=True, end="")
        stride = len(lines[0]) + 1 if lines else 0  # every row but the last is full width
        offset_style = self.get_component_rich_style("packet-detail--offset", partial=True)
        for row in range(len(lines)):
            text.stylize(offset_style, row * stride, row * stride + 4)
        if self._highlight is not None:
            hl = self.get_component_rich_style("packet-detail--highlight", partial=True)
            start, end = self._highlight[0], min(self._highlight[1], len(self._frame))
            for row in range(start // 16, (end - 1) // 16 + 1):
                first, last = max(start, row * 16) % 16, (min(end, row * 16 + 16) - 1) % 16
                hx0, asc0 = _hex_columns(first)
                hx1, asc1 = _hex_columns(last)
                text.stylize(hl, row * stride + hx0, row * stride + hx1 + 2)
                text.stylize(hl, row * stride + asc0, row * stride + asc1 + 1)
        self.query_one("#packet-hex", Static).update(text)
        if self._highlight is not None:
            row = self._highlight[0] // 16
            self.query_one("#packet-bytes", VerticalScroll).scroll_to(y=max(0, row - 1), animate=False)

    def action_expand_all(self) -> None:
        self.query_one("#packet-tree", Tree).root.expand_all()

    def action_collapse_all(self) -> None:
        tree = self.query_one("#packet-tree", Tree)
        for node in tree.root.children:
            node.collapse()

