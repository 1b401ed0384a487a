"""The capture pane (CaptureView), the packet detail and the packet walk, driven with Textual's pilot.

What a learner sees must be what tcpdump prints (the rows are compared with the
tcpdump printer the shell uses, which is itself tested against the real
tcpdump), and nothing that arrives in a packet, a label or the filter box may
act as markup or as a terminal escape.
"""

from __future__ import annotations

import random

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import OptionList, Static, Tree

from tui.app.widgets.capture import CaptureView, printable
from tui.app.widgets.packet_detail import PacketDetail, dissect, hex_dump
from tui.app.widgets.packet_walk import PacketWalk
from tui.bench.formatter import vxlan_icmp_records
from tui.engine import packets as P
from tui.engine.addr import ip_to_int, mac_to_bytes
from tui.engine.capture import PACKET_HOST, PACKET_OUTGOING, Capture, CaptureRecord
from tui.shell.formats.tcpdump import TcpdumpPrinter

SIZE = (120, 30)
MA, MB = mac_to_bytes("02:42:0a:00:01:03"), mac_to_bytes("02:42:0a:00:01:05")
A, B = ip_to_int("10.0.1.3"), ip_to_int("10.0.1.5")
T0 = 1_700_000_000_000_000_000


def rec(frame: bytes, i: int = 0, *, dev: str = "eth0", pkttype: int = PACKET_HOST,
        trace: list | None = None) -> CaptureRecord:
    ts = T0 + i * 1_000_000
    return CaptureRecord(ts - T0, ts, frame, 2, dev, pkttype, trace if trace is not None else [], "node2/host")


def icmp_frame(seq: int, kind: int = 8) -> bytes:
    body = P.icmp_echo(kind, 9, seq, bytes(56))
    return P.ether(MB, MA, P.ETH_P_IP, P.ipv4(A, B, P.IPPROTO_ICMP, body, ident=seq, df=True))


def arp_frame() -> bytes:
    return P.ether(b"\xff" * 6, MA, P.ETH_P_ARP, P.arp(1, MA, A, bytes(6), B))


def vxlan_records(n: int) -> list[CaptureRecord]:
    return [rec(frame, i) for i, (_ts, frame) in enumerate(vxlan_icmp_records(n))]


def tcpdump_lines(frames: list[bytes]) -> list[str]:
    printer = TcpdumpPrinter(numeric=True)
    out: list[str] = []
    for i, frame in enumerate(frames):
        out.extend(printer.format(T0 + i * 1_000_000, frame).split("\n"))
    return out


class ViewApp(App[None]):
    """One CaptureView filling the screen (what the app embeds as its capture pane)."""

    def __init__(self, capacity: int = 100_000) -> None:
        super().__init__()
        self.capacity = capacity
        self.messages: list[object] = []

    def compose(self) -> ComposeResult:
        yield CaptureView(capacity=self.capacity)

    def on_capture_view_selected(self, event: CaptureView.Selected) -> None:
        self.messages.append(event)

    def on_capture_view_highlighted(self, event: CaptureView.Highlighted) -> None:
        self.messages.append(event)


def screen_rows(view: CaptureView) -> list[str]:
    """The view's rows as drawn (filter box, packet rows, status line), trailing blanks removed."""
    height = view.scrollable_content_region.height
    return [view.render_line(y).text.rstrip() for y in range(height)]


def packet_rows(view: CaptureView) -> list[str]:
    return [row for row in screen_rows(view)[1:-1] if row]


# --------------------------------------------------------------------------- tcpdump rows


async def test_records_appear_as_tcpdump_lines() -> None:
    frames = [arp_frame(), icmp_frame(1), icmp_frame(1, kind=0)]
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(CaptureView)
        view.add_records([rec(f, i) for i, f in enumerate(frames)])
        await pilot.pause()
        assert packet_rows(view) == tcpdump_lines(frames)
        assert packet_rows(view)[1].endswith("IP 10.0.1.3 > 10.0.1.5: ICMP echo request, id 9, seq 1, length 64")
        assert view.packet_count == 3 and view.row_count == 3


async def test_vxlan_packets_take_two_lines_like_tcpdump() -> None:
    records = vxlan_records(6)
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(CaptureView)
        view.add_records(records)
        await pilot.pause()
        rows = packet_rows(view)
        assert view.row_count == 12 and len(rows) == 12
        assert rows == tcpdump_lines([r.data for r in records])
        assert rows[0].endswith("IP 10.0.2.197.46048 > 10.0.2.253.4789: VXLAN, flags [I] (0x08), vni 4097")
        assert rows[1] == "IP 10.0.1.3 > 10.0.1.5: ICMP echo request, id 9, seq 0, length 64"
        assert rows[3] == "IP 10.0.1.5 > 10.0.1.3: ICMP echo reply, id 9, seq 0, length 64"
        assert view.record_text(records[0]) == "\n".join(rows[:2])


async def test_tcp_text_is_made_in_arrival_order() -> None:
    """tcpdump's relative sequence numbers depend on earlier packets: drawing order must not change them."""
    syn = P.tcp(A, B, 40000, 80, 1000, 0, P.TCP_SYN, 64240)
    synack = P.tcp(B, A, 80, 40000, 5000, 1001, P.TCP_SYN | P.TCP_ACK, 65160)
    ack = P.tcp(A, B, 40000, 80, 1001, 5001, P.TCP_ACK, 502)
    get = P.tcp(A, B, 40000, 80, 1001, 5001, P.TCP_ACK | P.TCP_PSH, 502, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    frames = [P.ether(MB, MA, P.ETH_P_IP, P.ipv4(s, d, P.IPPROTO_TCP, seg))
              for (s, d), seg in zip([(A, B), (B, A), (A, B), (A, B)], [syn, synack, ack, get], strict=True)]
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(CaptureView)
        view.add_records([rec(f, i) for i, f in enumerate(frames)])
        await pilot.pause()
        expected = tcpdump_lines(frames)
        # read the last row first: lazily formatted text would then start its own numbering
        assert [view.row_text(i) for i in (3, 2, 1, 0)] == expected[::-1]
        assert "seq 1:28, ack 1" in expected[3] and "HTTP: GET / HTTP/1.1" in expected[3]


async def test_any_capture_prints_interface_and_direction() -> None:
    from tui.bench.engine import build_overlay

    lab = build_overlay()
    ns = lab.hosts["ip-10-0-2-253"].root_ns
    cap = Capture(ns, None)
    frame = icmp_frame(3)
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(CaptureView)
        view.attach(cap, "node2 any", subscribe=False)
        view.add_records([rec(frame, 0, pkttype=PACKET_OUTGOING)], source=cap)
        await pilot.pause()
        assert packet_rows(view)[0].endswith("eth0  Out IP 10.0.1.3 > 10.0.1.5: ICMP echo request, id 9, seq 3, length 64")
        # plain `tcpdump` (no -i) reads "any" as LINUX_SLL and prints it like Ethernet; the shell notes that
        plain = Capture(ns, None)
        plain.linktype_hint = 113  # type: ignore[attr-defined]
        view.attach(plain, "node2 tcpdump", subscribe=False)
        view.add_records([rec(frame, 1, pkttype=PACKET_OUTGOING)], source=plain)
        await pilot.pause()
        assert packet_rows(view)[-1].endswith(" IP 10.0.1.3 > 10.0.1.5: ICMP echo request, id 9, seq 3, length 64")
        assert "Out" not in packet_rows(view)[-1]


async def test_several_captures_are_labelled() -> None:
    from tui.bench.engine import build_overlay

    lab = build_overlay()
    cap1 = Capture(lab.hosts["ip-10-0-2-197"].root_ns, "eth0")
    cap2 = Capture(lab.hosts["ip-10-0-2-253"].root_ns, "eth0")
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(CaptureView)
        view.attach(cap1, "node1 eth0", subscribe=False)
        view.attach(cap2, "node2 eth0", subscribe=False)
        view.add_records([rec(arp_frame(), 0)], source=cap1)
        view.add_records([rec(icmp_frame(1), 1)], source=cap2)
        await pilot.pause()
        rows = packet_rows(view)
        assert rows[0].startswith("node1 eth0 ") and "ARP, Request who-has 10.0.1.5 tell 10.0.1.3" in rows[0]
        assert rows[1].startswith("node2 eth0 ") and "ICMP echo request" in rows[1]
        assert "2 captures" in view.status_text()


async def test_attached_capture_is_drained_in_batches() -> None:
    """Engine packets reach the view through the capture's listener and a timer, not one refresh per packet."""
    from tui.bench.engine import _echo, build_overlay
    from tui.engine.clock import MS
    from tui.engine.netns import PROTO_ICMP

    lab = build_overlay()
    src = lab.hosts["ip-10-0-2-197"].netns_by_name["ns1"]
    cap = Capture(lab.hosts["ip-10-0-2-253"].root_ns, "eth0").start()
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(CaptureView)
        view.attach(cap, "node2 eth0")
        for seq in range(3):
            src.ip_send(None, 0x0A000103, PROTO_ICMP, _echo(7, seq))
            lab.clock.advance(20 * MS)
        assert view.packet_count == 0  # nothing drawn per packet: the next batch brings them
        await pilot.pause(0.15)
        assert view.packet_count == cap.matched
        rows = packet_rows(view)
        assert any(r.endswith("ICMP echo request, id 7, seq 2, length 64") for r in rows)
        view.detach(cap)
        assert not cap.listeners


# --------------------------------------------------------------------------- follow / pause


async def test_follow_shows_the_newest_and_pause_only_counts() -> None:
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(CaptureView)
        view.focus()
        view.add_records([rec(icmp_frame(i), i) for i in range(100)])
        await pilot.pause()
        assert view.following
        assert packet_rows(view)[-1].endswith("seq 99, length 64")
        assert "following" in screen_rows(view)[-1]

        await pilot.press("f")
        assert not view.following
        before = packet_rows(view)
        view.add_records([rec(icmp_frame(100 + i), 100 + i) for i in range(25)])
        await pilot.pause()
        assert packet_rows(view) == before  # the screen stays where the learner left it
        assert view.unseen == 25
        assert "paused" in screen_rows(view)[-1] and "+25 new" in screen_rows(view)[-1]

        await pilot.press("end")
        assert view.following and view.unseen == 0
        assert packet_rows(view)[-1].endswith("seq 124, length 64")


async def test_scrolling_up_pauses_and_cursor_selects() -> None:
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(CaptureView)
        view.focus()
        view.add_records([rec(icmp_frame(i), i) for i in range(200)])
        await pilot.pause()
        await pilot.press("pageup")
        assert not view.following
        await pilot.press("f")
        assert view.following
        view.scroll_to(y=0, animate=False, immediate=True)
        await pilot.pause()
        assert not view.following  # scrolling away from the end pauses, as `tail` does in Toolong

        await pilot.press("end", "up", "up")
        assert not view.following
        selected = view.cursor_record
        assert selected is not None and "seq 198," in view.record_text(selected)
        highlighted = [m for m in app.messages if isinstance(m, CaptureView.Highlighted)]
        assert highlighted and highlighted[-1].record is selected
        await pilot.press("enter")
        await pilot.pause()
        chosen = [m for m in app.messages if isinstance(m, CaptureView.Selected)]
        assert chosen and chosen[-1].record is selected

        await pilot.press("home")
        assert view.cursor_record is not None and "seq 0," in view.record_text(view.cursor_record)
        assert packet_rows(view)[0].endswith("seq 0, length 64")


async def test_click_selects_and_double_click_opens() -> None:
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(CaptureView)
        view.add_records([rec(icmp_frame(i), i) for i in range(5)])
        await pilot.pause()
        await pilot.click(CaptureView, offset=(5, 2))  # row 0 is the filter box: this is the second packet
        assert view.cursor_record is not None and "seq 1," in view.record_text(view.cursor_record)
        await pilot.click(CaptureView, offset=(5, 3), times=2)
        await pilot.pause()
        chosen = [m for m in app.messages if isinstance(m, CaptureView.Selected)]
        assert chosen and "seq 2," in view.record_text(chosen[-1].record)


# --------------------------------------------------------------------------- filter box


async def test_filter_box_valid_expression_filters_the_display() -> None:
    frames = [arp_frame(), icmp_frame(1), arp_frame(), icmp_frame(2)]
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(CaptureView)
        view.focus()
        view.add_records([rec(f, i) for i, f in enumerate(frames)])
        await pilot.pause()
        await pilot.press("slash", *"icmp", "enter")
        await pilot.pause()
        assert view.filter_expression == "icmp" and view.filter_error is None
        rows = packet_rows(view)
        assert len(rows) == 2 and all("ICMP echo request" in r for r in rows)
        assert view.shown_count == 2 and "2 of 4 packets" in view.status_text()
        assert "icmp" in screen_rows(view)[0]
        # new packets go through the same filter
        view.add_records([rec(arp_frame(), 9), rec(icmp_frame(3), 10)])
        await pilot.pause()
        assert len(packet_rows(view)) == 3
        # an empty expression shows everything again
        await pilot.press("slash", "ctrl+u", "enter")
        await pilot.pause()
        assert view.shown_count == 6 and view.filter_expression == ""


async def test_filter_box_invalid_expression_shows_libpcap_message() -> None:
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(CaptureView)
        view.focus()
        view.add_records([rec(arp_frame(), 0), rec(icmp_frame(1), 1)])
        view.set_filter("arp")
        await pilot.pause()
        await pilot.press("slash", "ctrl+u", *"icmpp", "enter")
        await pilot.pause()
        assert view.filter_error == "can't parse filter expression: syntax error"
        top = screen_rows(view)[0]
        assert "icmpp" in top and "can't parse filter expression: syntax error" in top
        assert "Traceback" not in top
        assert view.filter_expression == "arp" and view.shown_count == 1  # the last good filter stays
        assert view.set_filter("port 99999") == "illegal port number 99999 > 65535"
        await pilot.press("slash", "escape")
        assert view.filter_error is None


async def test_filter_on_a_full_ring_is_applied_in_chunks() -> None:
    app = ViewApp(capacity=30_000)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(CaptureView)
        view.add_records(vxlan_records(30_000))
        view.set_filter("ip src 10.0.2.197")
        assert view.filtering  # the rest is done a chunk per event-loop turn
        for _ in range(50):
            await pilot.pause()
            if not view.filtering:
                break
        assert not view.filtering and view.shown_count == 15_000


# --------------------------------------------------------------------------- ring buffer


async def test_ring_buffer_is_bounded() -> None:
    app = ViewApp(capacity=100)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(CaptureView)
        for start in range(0, 250, 50):
            view.add_records([rec(icmp_frame(i), i) for i in range(start, start + 50)])
        await pilot.pause()
        assert view.capacity == 100 and view.packet_count == 100 and view.received == 250
        assert view.row_text(0).endswith("seq 150, length 64")
        assert view.row_text(view.row_count - 1).endswith("seq 249, length 64")
        assert "150 dropped from the 100-packet buffer" in view.status_text()
        view.set_capacity(40)
        await pilot.pause()
        assert view.packet_count == 40 and view.row_text(0).endswith("seq 210, length 64")


async def test_paused_view_keeps_its_packets_while_old_ones_are_evicted() -> None:
    app = ViewApp(capacity=200)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(CaptureView)
        view.focus()
        view.add_records([rec(icmp_frame(i), i) for i in range(200)])
        await pilot.pause()
        await pilot.press("f")
        before = packet_rows(view)
        view.add_records([rec(icmp_frame(200 + i), 200 + i) for i in range(10)])
        await pilot.pause()
        assert packet_rows(view) == before and view.packet_count == 200


# --------------------------------------------------------------------------- packet detail


class DetailApp(App[None]):
    def __init__(self, record: CaptureRecord) -> None:
        super().__init__()
        self.record = record

    def compose(self) -> ComposeResult:
        yield PacketDetail(self.record, "node2 eth0")


async def test_detail_tree_shows_outer_and_inner_layers_of_vxlan() -> None:
    record = vxlan_records(1)[0]
    app = DetailApp(record)
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.pause()
        detail = app.query_one(PacketDetail)
        labels = [text for _depth, text in detail.tree_labels()]
        top = [text for depth, text in detail.tree_labels() if depth == 1 and not text.startswith(
            ("Virtual time", "Interface index", "Journey"))]
        assert top == [
            "Ethernet II, Src: 02:fc:00:00:00:01, Dst: 02:fc:00:00:00:02",
            "Internet Protocol Version 4, Src: 10.0.2.197, Dst: 10.0.2.253",
            "User Datagram Protocol, Src Port: 46048, Dst Port: 4789",
            "Virtual eXtensible Local Area Network, VNI: 4097",
            "Ethernet II (inner), Src: 02:42:0a:00:01:03, Dst: 02:42:0a:00:01:05",
            "Internet Protocol Version 4 (inner), Src: 10.0.1.3, Dst: 10.0.1.5",
            "Internet Control Message Protocol, Echo (ping) request",
        ]
        for field in ("VXLAN Network Identifier (VNI): 4097", "Destination Port: 4789",
                      "Protocol: UDP (17)", "Protocol: ICMP (1)", "Type: 8 (Echo (ping) request)",
                      "Identifier: 9 (0x0009)", "Sequence Number: 0 (0x0000)", "Time to Live: 64",
                      "Source Address: 10.0.1.3", "Destination Address: 10.0.1.5", "Data (56 bytes)"):
            assert field in labels, field
        assert any(t.startswith("Header Checksum: 0x") and t.endswith("[correct]") for t in labels)
        assert labels[0].startswith("Frame: 148 bytes captured on eth0 (node2/host), capture node2 eth0")
        tree = app.query_one(Tree)
        assert all(isinstance(node.label, Text) for node in tree.root.children)


async def test_hex_dump_and_field_highlight() -> None:
    record = vxlan_records(1)[0]
    app = DetailApp(record)
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.pause()
        detail = app.query_one(PacketDetail)
        lines = detail.hex_text().split("\n")
        assert len(lines) == (len(record.data) + 15) // 16
        assert lines[0] == "0000  02 fc 00 00 00 02 02 fc  00 00 00 01 08 00 45 00  ..............E."
        assert lines[-1].startswith("0090  ")
        # highlight the VNI field: its three bytes (offsets 46-48) are styled in the hex and ASCII columns
        tree = app.query_one(Tree)
        tree.focus()
        vni_line = next(i for i in range(tree.last_line + 1)
                        if str(tree.get_node_at_line(i).label).startswith("Virtual eXtensible"))
        vx_node = tree.get_node_at_line(vni_line)
        vx_node.expand()
        await pilot.pause()
        field = next(n for n in vx_node.children if str(n.label).startswith("VXLAN Network Identifier"))
        tree.move_cursor(field)
        await pilot.pause()
        hex_static = app.query_one("#packet-hex", Static)
        content = hex_static.content
        assert isinstance(content, Text)
        # 4097 = 00 10 01 at offsets 46-48: the end of row 0x0020 and the start of row 0x0030
        styled = [(content.plain[s.start:s.end], content.plain[s.start - s.start % 73:][:4]) for s in content.spans
                  if s.start % 73 >= 6]
        assert ("00 10", "0020") in styled and ("01", "0030") in styled


def test_hex_dump_matches_wireshark_layout() -> None:
    assert hex_dump(bytes(range(20))) == [
        "0000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  ................",
        "0010  10 11 12 13                                       ....",
    ]


# --------------------------------------------------------------------------- packet walk


class WalkApp(App[None]):
    def __init__(self, record: CaptureRecord) -> None:
        super().__init__()
        self.record = record

    def compose(self) -> ComposeResult:
        yield PacketWalk(self.record)


def overlay_ping() -> list[CaptureRecord]:
    """One ping across the by-hand VXLAN overlay, captured on node2's eth0 (the engine's real trace)."""
    from tui.bench.engine import _echo, build_overlay
    from tui.engine.clock import MS
    from tui.engine.netns import PROTO_ICMP

    lab = build_overlay()
    src = lab.hosts["ip-10-0-2-197"].netns_by_name["ns1"]
    cap = Capture(lab.hosts["ip-10-0-2-253"].root_ns, "eth0").start()
    src.ip_send(None, 0x0A000103, PROTO_ICMP, _echo(7, 0))  # ARP first
    lab.clock.advance(50 * MS)
    cap.records.clear()
    src.ip_send(None, 0x0A000103, PROTO_ICMP, _echo(7, 1))
    lab.clock.advance(50 * MS)
    return list(cap.records)


async def test_packet_walk_steps_through_the_overlay_in_order() -> None:
    records = overlay_ping()
    request = next(r for r in records if not r.outgoing and len(r.data) > 100)  # the VXLAN echo request
    app = WalkApp(request)
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.pause()
        walk = app.query_one(PacketWalk)
        steps = [(h.where, h.dev, h.action) for h in walk.hops]

        def at(step: tuple[str, str, str], after: int = -1) -> int:
            return steps.index(step, after + 1)

        i = at(("ip-10-0-2-197/ns1", "eth0", "tx"))
        i = at(("ip-10-0-2-197/host", "veth0", "veth"), i)
        i = at(("ip-10-0-2-197/host", "br0", "bridge-forward"), i)
        encap = i = at(("ip-10-0-2-197/host", "vxlan0", "encap"), i)
        i = at(("ip-10-0-2-197/host", "eth0", "tx"), i)
        i = at(("wire/vpc", "", "wire"), i)
        deliver = i = at(("ip-10-0-2-253/host", "eth0", "deliver"), i)
        i = at(("ip-10-0-2-253/host", "vxlan0", "decap"), i)
        i = at(("ip-10-0-2-253/host", "br0", "bridge-forward"), i)
        at(("ip-10-0-2-253/ns1", "eth0", "veth"), i)
        assert walk.hops[encap].detail.startswith("vni 4097 10.0.2.197:")
        # the walk starts where the capture (node2 eth0, receiving) saw the packet
        assert walk.captured_at == deliver and walk.index == deliver
        options = app.query_one(OptionList)
        options.focus()
        await pilot.press("left", "left")
        assert walk.index == deliver - 2 and options.highlighted == walk.index
        assert "wire" not in walk.card_text().plain.split("\n")[1]
        await pilot.press("right")
        card = walk.card_text().plain
        assert f"Hop {deliver} of {len(walk.hops)}" in card and "wire/vpc" in card
        await pilot.press("home")
        assert walk.index == 0
        await pilot.press("c")
        assert walk.index == deliver
        for _ in range(len(walk.hops) + 3):
            await pilot.press("right")
        assert walk.index == len(walk.hops) - 1  # stops at the last hop


async def test_reply_walk_marks_the_transmit_capture_point() -> None:
    records = overlay_ping()
    reply = next(r for r in records if r.outgoing and len(r.data) > 100)
    app = WalkApp(reply)
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.pause()
        walk = app.query_one(PacketWalk)
        hop = walk.hops[walk.captured_at]
        assert (hop.where, hop.dev, hop.action) == ("ip-10-0-2-253/host", "eth0", "tx")
        assert walk.hops[walk.captured_at - 1].action == "encap"


class PacketApp(App[None]):
    """Detail and walk of one record side by side, as the packet screen shows them."""

    def __init__(self, record: CaptureRecord, lang: str = "en") -> None:
        super().__init__()
        self.record = record
        self.lang = lang

    def compose(self) -> ComposeResult:
        yield PacketDetail(self.record, "node2 eth0", lang=self.lang)
        yield PacketWalk(self.record, lang=self.lang)


@pytest.mark.parametrize("outgoing", [False, True], ids=["received-request", "sent-reply"])
async def test_detail_journey_and_walk_name_the_same_hop(outgoing: bool) -> None:
    """The journey line and the walk's capture mark agree, counting hops from 1, on a real engine trace."""
    import re

    records = overlay_ping()
    record = next(r for r in records if r.outgoing == outgoing and len(r.data) > 100)
    app = PacketApp(record)
    async with app.run_test(size=(160, 60)) as pilot:
        await pilot.pause()
        walk = app.query_one(PacketWalk)
        journey = next(text for _d, text in app.query_one(PacketDetail).tree_labels() if text.startswith("Journey"))
        m = re.fullmatch(r"Journey: captured at hop (\d+) of (\d+) recorded so far", journey)
        assert m is not None, journey
        shown, total = int(m[1]), int(m[2])
        assert total == len(walk.hops) and shown == walk.captured_at + 1
        hop = walk.hops[shown - 1]  # the hop the detail names is on the captured interface
        assert (hop.where, hop.dev) == (record.where, record.dev)
        assert hop.action == ("tx" if outgoing else "deliver")
        # the trace_pos the tap recorded is one less than the 1-based number for a receive tap
        assert shown == record.trace_pos + (0 if outgoing else 1)
        rows = [str(o.prompt) for o in app.query_one(OptionList).options]
        marked = [r for r in rows if "◉ captured here" in r]
        assert len(marked) == 1 and marked[0].split()[0] == str(shown)
        assert walk.card_text().plain.startswith(f"Hop {shown} of {total}")
    app = PacketApp(record, lang="zh")
    async with app.run_test(size=(160, 60)) as pilot:
        await pilot.pause()
        labels = [text for _d, text in app.query_one(PacketDetail).tree_labels()]
        assert f"旅程：在目前记录的 {total} 跳中的第 {shown} 跳被抓到" in labels


async def test_detail_journey_without_hops() -> None:
    app = DetailApp(rec(icmp_frame(1)))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        labels = [text for _d, text in app.query_one(PacketDetail).tree_labels()]
        assert "Journey: no hops recorded" in labels


# --------------------------------------------------------------------------- hostile input


HOSTILE = "[bold red]pwn[/] \x1b[2J\x1b]0;title\x07 [link=http://x]y[/link] \u202e"


def test_printable_neutralises_control_characters() -> None:
    shown = printable(HOSTILE)
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert shown.startswith("[bold red]pwn[/] ^[[2J^[]0;title^G")


async def test_hostile_labels_and_filter_text_are_shown_literally() -> None:
    from tui.bench.engine import build_overlay

    lab = build_overlay()
    cap1 = Capture(lab.hosts["ip-10-0-2-197"].root_ns, "eth0")
    cap2 = Capture(lab.hosts["ip-10-0-2-253"].root_ns, "eth0")
    app = ViewApp()
    async with app.run_test(size=(160, 30)) as pilot:
        view = app.query_one(CaptureView)
        view.focus()
        view.attach(cap1, HOSTILE, subscribe=False)
        view.attach(cap2, "plain", subscribe=False)
        view.add_records([rec(icmp_frame(1), 1)], source=cap1)
        await pilot.pause()
        row = packet_rows(view)[0]
        assert row.startswith("[bold red]pwn[/] ^[[2J^[]0;title^G [link=http://x]y[/link]")
        assert "\x1b" not in "".join(screen_rows(view))
        await pilot.press("slash", *"[b]x[/b]", "enter")
        await pilot.pause()
        assert "[b]x[/b]" in screen_rows(view)[0]
        assert view.filter_error is not None


async def test_hostile_packet_bytes_are_shown_literally() -> None:
    payload = b"GET /[bold]x[/bold] HTTP/1.1\r\n\r\n"
    seg = P.tcp(A, B, 40000, 80, 1, 1, P.TCP_ACK | P.TCP_PSH, 502, payload)
    http = P.ether(MB, MA, P.ETH_P_IP, P.ipv4(A, B, P.IPPROTO_TCP, seg))
    udp = P.ether(MB, MA, P.ETH_P_IP, P.ipv4(A, B, P.IPPROTO_UDP, P.udp(A, B, 5000, 6000, b"[red]boom[/red]\x1b[2J")))
    dns_q = P.dns_query(0x1234, "[bold]evil[/bold]\x1b[2J.example", 1)
    dns = P.ether(MB, MA, P.ETH_P_IP, P.ipv4(A, B, P.IPPROTO_UDP, P.udp(A, B, 5353, 53, dns_q)))
    app = ViewApp()
    async with app.run_test(size=(160, 30)) as pilot:
        view = app.query_one(CaptureView)
        view.add_records([rec(http, 0), rec(udp, 1), rec(dns, 2)])
        await pilot.pause()
        rows = packet_rows(view)
        assert rows[0].endswith("HTTP: GET /[bold]x[/bold] HTTP/1.1")
        assert "A? [bold]evil[/bold]^[[2J.example. (47)" in rows[2]
        assert not any(ch in "".join(rows) for ch in "\x1b\x9b\x07")
    for frame, expect in ((udp, "Data (19 bytes): [red]boom[/red]\x1b[2J"), (dns, "[bold]evil[/bold]\x1b[2J.example: type A, class IN")):
        app2 = DetailApp(rec(frame))
        async with app2.run_test(size=(120, 50)) as pilot:
            await pilot.pause()
            detail = app2.query_one(PacketDetail)
            labels = [text for _d, text in detail.tree_labels()]
            assert printable(expect) in labels


@pytest.mark.parametrize("seed", range(3))
def test_random_and_truncated_frames_never_raise(seed: int) -> None:
    rng = random.Random(seed)
    base = [r.data for r in vxlan_records(2)] + [icmp_frame(1), arp_frame()]
    frames: list[bytes] = []
    for _ in range(300):
        frame = bytearray(rng.choice(base))
        for _ in range(rng.randint(0, 6)):
            frame[rng.randrange(len(frame))] = rng.randrange(256)
        frames.append(bytes(frame[: rng.randint(0, len(frame))]))
    frames.append(bytes(rng.randrange(256) for _ in range(200)))
    for frame in frames:
        layers = dissect(frame)
        assert isinstance(layers, list)
        hex_dump(frame)


async def test_random_frames_render_in_the_view() -> None:
    rng = random.Random(7)
    base = [r.data for r in vxlan_records(2)] + [icmp_frame(1), arp_frame()]
    records = []
    for i in range(200):
        frame = bytearray(rng.choice(base))
        for _ in range(rng.randint(0, 6)):
            frame[rng.randrange(len(frame))] = rng.randrange(256)
        records.append(rec(bytes(frame[: rng.randint(1, len(frame))]), i))
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(CaptureView)
        view.add_records(records)
        await pilot.pause()
        texts = [view.row_text(i) for i in range(view.row_count)]
        assert len(texts) == view.row_count
        assert not any("\x1b" in t or "\t" in t for t in texts)


async def test_hostile_hop_names_are_shown_literally() -> None:
    trace = [0, "[bold]node[/bold]/ns\x1b[2J", "eth0", "tx", "",
             1000, "node/host", "veth[i]0", "veth", ("[red]x",)]
    app = WalkApp(rec(icmp_frame(1), trace=trace))
    async with app.run_test(size=(140, 30)) as pilot:
        await pilot.pause()
        walk = app.query_one(PacketWalk)
        options = app.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert "[bold]node[/bold]/ns^[[2J" in prompts[0]
        assert "veth[i]0" in prompts[1] and "[red]x" in prompts[1]
        await pilot.press("end")
        assert "[red]x" in walk.card_text().plain


async def test_view_filled_before_mount_shows_the_newest_packets() -> None:
    view = CaptureView(capacity=50)
    view.add_records([rec(icmp_frame(i), i) for i in range(80)])
    assert view.set_filter("icmp") is None and view.shown_count == 50

    class Prefilled(App[None]):
        def compose(self) -> ComposeResult:
            yield view

    async with Prefilled().run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert packet_rows(view)[-1].endswith("seq 79, length 64")
        view.clear()
        await pilot.pause()
        assert view.packet_count == 0 and packet_rows(view) == [] and "0 packets" in view.status_text()


async def test_chinese_words_and_literal_packets() -> None:
    """The view's own words follow the language; tcpdump's text stays tcpdump's."""
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(CaptureView)
        view.focus()
        view.lang = "zh"
        view.add_records([rec(icmp_frame(1), 1)])
        await pilot.pause()
        rows = screen_rows(view)
        assert "过滤" in rows[0] and "跟随中" in rows[-1] and "共 1 个包" in rows[-1]
        assert rows[1].endswith("IP 10.0.1.3 > 10.0.1.5: ICMP echo request, id 9, seq 1, length 64")
        await pilot.press("f")
        view.add_records([rec(icmp_frame(2), 2)])
        await pilot.pause()
        assert "已暂停" in view.status_text() and "+1 个新包" in view.status_text()
    records = overlay_ping()
    walk_app = WalkApp(next(r for r in records if not r.outgoing and len(r.data) > 100))
    async with walk_app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        walk = walk_app.query_one(PacketWalk)
        walk.lang = "zh"
        await pilot.pause()
        card = walk.card_text().plain
        assert card.startswith(f"第 {walk.index + 1}/{len(walk.hops)} 跳") and "主机协议栈" in card
