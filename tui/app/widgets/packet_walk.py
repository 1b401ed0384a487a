"""The packet walk: step through the hops a captured packet took, like Packet Tracer's simulation mode.

Why: a capture shows a packet at one place. The engine records the packet's
whole journey (``CaptureRecord.trace``: container eth0 -> veth -> br0 -> vxlan0
encap vni 4097 -> host eth0 -> wire -> node2 eth0 -> vxlan0 decap -> ...), and
walking it one hop at a time, with what each device did and why, is how the
overlay stops being magic. Left/Right move; the card on top explains the
current hop, the list below shows them all with the current one highlighted
and the capture point marked.

Hop text comes from the engine's trace (interface, namespace and container
names a lesson may choose); it is shown literally through ``Text`` and
:func:`~tui.app.widgets.capture.printable`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.app.widgets.capture import printable, word

if TYPE_CHECKING:
    from tui.engine.capture import CaptureRecord
    from tui.engine.pkt import Hop

__all__ = ["PacketWalk", "EXPLAIN", "capture_hop"]

# What each recorded action means, in a learner's words (keys are the engine's hop actions).
EXPLAIN: dict[str, tuple[str, str]] = {
    "tx": ("The interface sends the frame.", "接口把这一帧发送出去。"),
    "rx": ("The interface receives the frame.", "接口收到这一帧。"),
    "veth": ("The frame crosses the veth pair into the peer namespace (one end in, the other end out).",
             "帧穿过 veth 对进入对端命名空间（一端进，另一端出）。"),
    "bridge-forward": ("The bridge looks the destination MAC up in its forwarding table and forwards the frame.",
                       "网桥在转发表里查目的 MAC，把帧转发到对应端口。"),
    "bridge-flood": ("The bridge does not know the destination MAC yet and floods the frame to every port.",
                     "网桥还不知道目的 MAC，于是把帧泛洪到所有端口。"),
    "encap": ("The VXLAN device wraps the whole Ethernet frame in VXLAN + UDP + IP, addressed to the remote VTEP.",
              "VXLAN 设备把整个以太网帧封装进 VXLAN + UDP + IP，发往对端 VTEP。"),
    "decap": ("The VXLAN device strips the outer headers; the original frame continues on the overlay.",
              "VXLAN 设备剥掉外层头部，原始帧继续在 overlay 上传递。"),
    "wire": ("The frame travels on the underlay network between the hosts.", "帧在主机之间的底层网络上传输。"),
    "deliver": ("The host's network stack accepts the packet for a local socket or protocol.",
                "主机协议栈接收这个包，交给本地的套接字或协议处理。"),
    "route": ("The routing table picks the next hop and the outgoing interface.", "路由表选出下一跳和出接口。"),
    "forward": ("The host routes the packet on (IP forwarding).", "主机把包继续路由出去（IP 转发）。"),
    "arp-wait": ("The packet waits until ARP resolves the next hop's MAC address.",
                 "包在等待 ARP 解析出下一跳的 MAC 地址。"),
    "DNAT": ("Netfilter rewrites the destination address (port publishing, service VIPs).",
             "Netfilter 改写目的地址（端口发布、服务 VIP）。"),
    "SNAT": ("Netfilter rewrites the source address (masquerading).", "Netfilter 改写源地址（地址伪装）。"),
    "MASQUERADE": ("Netfilter rewrites the source address to the outgoing interface's.",
                   "Netfilter 把源地址改写为出接口的地址。"),
    "drop": ("The packet is dropped here.", "包在这里被丢弃。"),
    "ipvs": ("IPVS picks a backend task for the service's virtual IP.", "IPVS 为服务的虚拟 IP 选出一个后端任务。"),
}

WORDS: dict[str, tuple[str, str]] = {
    "empty": ("Select a packet and press Enter to walk its journey.", "选中一个包并按回车，逐跳查看它的旅程。"),
    "no_hops": ("This packet has no recorded hops.", "这个包没有记录下的路径。"),
    "hop": ("Hop {i} of {n}", "第 {i}/{n} 跳"),
    "time": ("   t = {t:.6f} s (virtual)", "   t = {t:.6f} 秒（虚拟时间）"),
    "seen": ("   ◉ the capture saw the packet here", "   ◉ 抓包就是在这里看到这个包的"),
    "captured": ("  ◉ captured here", "  ◉ 在此抓到"),
    "where": ("where  ", "位置  "),
    "dev": ("   dev  ", "   设备  "),
    "action": ("   action  ", "   动作  "),
}


def _us(ns: int) -> str:
    return f"{ns / 1000:,.1f} µs" if ns < 1_000_000 else f"{ns / 1e6:,.3f} ms"


class PacketWalk(Vertical, can_focus=False):
    """A packet's recorded hops, one at a time (Left/Right), the capture point marked.

    :meth:`show` takes a :class:`~tui.engine.capture.CaptureRecord`; the walk starts
    at the hop where that capture saw the packet. :attr:`index` is the current hop.
    """

    DEFAULT_CSS = """
    PacketWalk {
        height: 1fr;
        background: $surface;
        & > #walk-card {
            height: auto;
            min-height: 4;
            padding: 0 1;
            background: $surface-lighten-1;
            border-bottom: solid $border-blurred;
        }
        & > OptionList { height: 1fr; background: $surface; border: none; }
        & .packet-walk--current { color: $text-accent; text-style: bold; }
        & .packet-walk--path { color: $text-secondary; }
        & .packet-walk--captured { color: $text-warning; }
        & .packet-walk--explain { color: $text-primary; text-style: italic; }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "packet-walk--current",
        "packet-walk--path",
        "packet-walk--captured",
        "packet-walk--explain",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "previous", "Previous hop", id="walk.previous"),
        Binding("right,l", "next", "Next hop", id="walk.next"),
        Binding("home", "first", "First hop", show=False),
        Binding("end", "last", "Last hop", show=False),
        Binding("c", "captured", "Capture point", show=False),
    ]

    index: reactive[int] = reactive(0, init=False)
    """The current hop (0-based)."""

    lang: reactive[str] = reactive("en", init=False)
    """The language of the card and the explanations (``en`` or ``zh``)."""

    class HopChanged(Message):
        """The walk moved to another hop (a topology view may highlight the device)."""

        def __init__(self, walk: PacketWalk, index: int, hop: Hop) -> None:
            super().__init__()
            self.walk = walk
            self.index = index
            self.hop = hop

        @property
        def control(self) -> PacketWalk:
            return self.walk

    def __init__(self, record: CaptureRecord | None = None, *, lang: str = "en", name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(name=name, id=id, classes=classes)
        self.set_reactive(PacketWalk.lang, lang)
        self._record = record
        self._hops: list[Hop] = []
        self._captured_at = 0

    def compose(self) -> ComposeResult:
        yield Static(Text(word(WORDS, self.lang, "empty")), id="walk-card")
        yield OptionList(id="walk-hops")

    def on_mount(self) -> None:
        if self._record is not None:
            self.show(self._record)

    @property
    def hops(self) -> list[Hop]:
        """The hops shown (a snapshot of the trace taken by :meth:`show` / :meth:`reload`)."""
        return self._hops

    @property
    def captured_at(self) -> int:
        """Index of the first hop after the capture point (where the walk starts)."""
        return self._captured_at

    def show(self, record: CaptureRecord) -> None:
        """Walk ``record``'s journey, starting where the capture saw it."""
        self._record = record
        self.reload(start_at_capture=True)

    def reload(self, *, start_at_capture: bool = False) -> None:
        """Take the trace again (it grows while the packet, or its reply, is still moving)."""
        from tui.engine.pkt import hops

        if self._record is None:
            self.query_one("#walk-card", Static).update(self.card_text())
            return
        self._hops = hops(list(self._record.trace))
        self._captured_at = capture_hop(self._record, self._hops) or 0
        options = self.query_one("#walk-hops", OptionList)
        options.clear_options()
        options.add_options([Option(self._hop_text(i), id=str(i)) for i in range(len(self._hops))])
        target = self._captured_at if start_at_capture else min(self.index, max(0, len(self._hops) - 1))
        self.set_reactive(PacketWalk.index, target)
        self._sync()

    def _hop_text(self, i: int) -> Text:
        hop = self._hops[i]
        t0 = self._hops[0].t if self._hops else 0
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{i + 1:>3}  +{_us(hop.t - t0):>12}  ")
        text.append(printable(hop.where))
        if hop.dev:
            text.append(f"  {printable(hop.dev)}")
        text.append(f"  {printable(hop.action)}")
        if hop.detail:
            text.append(f"  {printable(hop.detail)}")
        if i == self._captured_at:
            text.append(word(WORDS, self.lang, "captured"),
                        self.get_component_rich_style("packet-walk--captured", partial=True))
        return text

    def card_text(self) -> Text:
        """The card for the current hop: where, device, action, detail, what it means, the path around it."""
        lang = self.lang
        if not self._hops:
            return Text(word(WORDS, lang, "empty" if self._record is None else "no_hops"))
        i = self.index
        hop = self._hops[i]
        current = self.get_component_rich_style("packet-walk--current", partial=True)
        muted = self.get_component_rich_style("packet-walk--path", partial=True)
        text = Text(no_wrap=False)
        text.append(word(WORDS, lang, "hop", i=i + 1, n=len(self._hops)), current)
        text.append(word(WORDS, lang, "time", t=hop.t / 1e9))
        if i == self._captured_at:
            text.append(word(WORDS, lang, "seen"), self.get_component_rich_style("packet-walk--captured", partial=True))
        text.append("\n")
        text.append(word(WORDS, lang, "where"), muted)
        text.append(printable(hop.where))
        text.append(word(WORDS, lang, "dev"), muted)
        text.append(printable(hop.dev) or "-")
        text.append(word(WORDS, lang, "action"), muted)
        text.append(printable(hop.action), current)
        if hop.detail:
            text.append("   ")
            text.append(printable(hop.detail))
        if hop.action in EXPLAIN:
            text.append("\n")
            text.append(word(EXPLAIN, lang, hop.action),
                        self.get_component_rich_style("packet-walk--explain", partial=True))
        text.append("\n")
        text.append_text(self._path(i))
        return text

    def _path(self, i: int) -> Text:
        """The hops around the current one as a path (``… → br0 → [vxlan0 encap] → eth0 → …``)."""
        lo, hi = max(0, i - 3), min(len(self._hops), i + 4)
        current = self.get_component_rich_style("packet-walk--current", partial=True)
        muted = self.get_component_rich_style("packet-walk--path", partial=True)
        text = Text(no_wrap=True, overflow="ellipsis")
        if lo:
            text.append("… → ", muted)
        for j in range(lo, hi):
            hop = self._hops[j]
            name = printable(hop.dev or hop.where.split("/")[0])
            if j == i:
                text.append(f"[{name} {printable(hop.action)}]", current)
            else:
                text.append(name, muted)
            if j < hi - 1:
                text.append(" → ", muted)
        if hi < len(self._hops):
            text.append(" → …", muted)
        return text

    def watch_lang(self) -> None:
        if self.is_mounted:
            self.reload()

    def validate_index(self, index: int) -> int:
        return max(0, min(index, len(self._hops) - 1)) if self._hops else 0

    def watch_index(self, index: int) -> None:
        self._sync()
        if self._hops:
            self.post_message(self.HopChanged(self, index, self._hops[index]))

    def _sync(self) -> None:
        self.query_one("#walk-card", Static).update(self.card_text())
        options = self.query_one("#walk-hops", OptionList)
        if self._hops and options.highlighted != self.index:
            options.highlighted = self.index

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option_index != self.index:
            self.index = event.option_index

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()

    def action_previous(self) -> None:
        self.index -= 1

    def action_next(self) -> None:
        self.index += 1

    def action_first(self) -> None:
        self.index = 0

    def action_last(self) -> None:
        self.index = len(self._hops) - 1

    def action_captured(self) -> None:
        self.index = self._captured_at


def capture_hop(record: CaptureRecord, hops: list[Hop] | None = None) -> int | None:
    """The index (0-based) of the hop at which the capture saw the packet; None when no hop is recorded.

    ``trace_pos`` hops had happened when the tap ran: a transmit tap runs after
    the interface's own "tx" hop, a receive tap before the "deliver"/"rx" hop of
    that interface, so the capture point is whichever of the two neighbours is on
    the captured device. The packet detail's "journey" line and the walk's mark
    both come from here, so they name the same hop (shown 1-based to people).
    """
    if hops is None:
        from tui.engine.pkt import hops as read_hops

        hops = read_hops(list(record.trace))
    if not hops:
        return None
    pos = min(record.trace_pos, len(hops))
    for i in (pos, pos - 1) if not record.outgoing else (pos - 1, pos):
        if 0 <= i < len(hops) and hops[i].dev == record.dev and hops[i].where == record.where:
            return i
    return max(0, pos - 1)
