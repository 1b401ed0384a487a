"""The live capture pane: what ``tcpdump -n`` would print, for one or more captures at once.

Why it is built this way (see ../shared/STYLE.md, "Streaming views that stay fast"):

* It is a Line-API :class:`~textual.scroll_view.ScrollView`: only the rows on
  screen are ever turned into strips, so 100,000 packets cost memory, not time.
  ``RichLog`` would render and keep every line.
* It keeps *capture records* (frame bytes + trace), not text, in a bounded ring
  buffer. Text is made lazily by a :class:`~tui.shell.formats.tcpdump.TcpdumpPrinter`
  when a row is drawn, and kept in LRU caches (text per packet, strip per row).
  TCP is the exception: tcpdump prints relative sequence numbers that depend on
  the packets before, so TCP packets are formatted once, in arrival order.
* Packets arrive in batches (:meth:`CaptureView.add_records`, or a 20 ms drain
  timer for captures joined with :meth:`CaptureView.attach`); a batch costs one
  refresh, never one per packet. 20 ms rather than 50: during a flood a frame
  comes only with a batch, the screen's own update timer adds up to a 60th of a
  second, and the frame-to-frame budget is 50 ms (measured: 30 ms batches gave
  gaps of 50-55 ms, 20 ms ones 41-44 ms; ``python -m tui.bench tui``).
* Like ``tail -f``/Toolong, the view follows the end; scrolling up or moving the
  cursor pauses it, and while paused new packets only bump a counter shown in
  the status row.

The first row is the filter box (``/`` to edit, a tcpdump expression compiled
with :func:`tui.engine.bpf.compile_filter`; an invalid one shows libpcap's
message and leaves the previous filter in force); the last row is the status
line. Both are drawn by the view itself, so the pane stays one widget.

Everything that comes from packets, labels or the user is drawn as plain
segments after :func:`printable` has made control characters visible: Rich
markup and terminal escapes never take effect.
"""

from __future__ import annotations

import marshal
from array import array
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

if TYPE_CHECKING:
    from tui.engine.capture import Capture, CaptureRecord

__all__ = ["CaptureView", "printable", "word", "WORDS", "DEFAULT_CAPACITY"]

DEFAULT_CAPACITY = 100_000
DRAIN_INTERVAL = 1 / 50  # seconds between batches taken from attached captures
_REBUILD_CHUNK = 8_000  # packets re-filtered per event-loop turn (~15 ms)
# Rows drawn and kept: a few screens' worth. Each Strip is ~9 objects the garbage collector
# tracks, and during a flood every frame draws new rows, so a bigger cache only makes
# collections longer.
_STRIP_CACHE = 256
_SEAL_LAG = 1_024  # packets after which a held trace is frozen into tuples (its journey is long over)
_LINKTYPE_ETHERNET = 1
_LINKTYPE_LINUX_SLL = 113
_LINKTYPE_LINUX_SLL2 = 276

# C0 controls, DEL and C1 controls become visible text (^[ , ^? , \x9b); so do the
# Unicode line/paragraph separators and bidi overrides that could reorder a line.
_VISIBLE = {c: "^" + chr(c ^ 0x40) for c in range(0x20)}
_VISIBLE[0x7F] = "^?"
_VISIBLE.update({c: f"\\x{c:02x}" for c in range(0x80, 0xA0)})
_VISIBLE.update({c: f"\\u{c:04x}" for c in (0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A))})


# The view's own words, English and Chinese (the app switches with CaptureView.lang; a
# translator finds them here next to the code that lays them out).
WORDS: dict[str, tuple[str, str]] = {
    "filter": (" / filter ", " / 过滤 "),
    "filter.none": ("(press / for a tcpdump expression, e.g. udp port 4789)",
                    "（按 / 输入 tcpdump 过滤表达式，例如 udp port 4789）"),
    "filter.keys": ("   Enter apply · Esc cancel", "   回车应用 · Esc 取消"),
    "filtering": (" filtering… {pct}% ", " 过滤中… {pct}% "),
    "following": (" ● following ", " ● 跟随中 "),
    "paused": (" ❚❚ paused ", " ❚❚ 已暂停 "),
    "new": ("+{n} new ", "+{n} 个新包 "),
    "resume": ("(f or End follows) ", "（按 f 或 End 继续跟随） "),
    "shown": (" {shown} of {total} packets", " 显示 {shown} / 共 {total} 个包"),
    "total": (" {total} packets", " 共 {total} 个包"),
    "dropped": (" · {n} dropped from the {cap}-packet buffer", " · 缓冲区（{cap} 个包）已丢弃 {n} 个"),
    "captures": (" · {n} captures", " · {n} 个抓包"),
}


def word(table: dict[str, tuple[str, str]], lang: str, key: str, **kw: object) -> str:
    """``table[key]`` in ``lang`` (Chinese for "zh", English otherwise), formatted with ``kw``."""
    text = table[key][1 if lang == "zh" else 0]
    return text.format(**kw) if kw else text


def printable(text: str) -> str:
    """``text`` with every control character shown as a visible escape (``^[``, ``\\x9b``).

    Segments are never parsed as markup, but raw control bytes would still reach
    the terminal (an ESC starts a sequence); this is the one place that stops them.
    """
    return text.translate(_VISIBLE)


def _display_line(line: str) -> str:
    """A tcpdump output line ready for a terminal cell grid (tabs expanded as a terminal would)."""
    if "\t" in line:
        line = line.expandtabs(8)
    return printable(line)


def _shape(frame: bytes, off: int) -> int:
    """How many lines tcpdump prints for the Ethernet frame at ``off``; 0 when only formatting can tell.

    Cheap header peeking so the view can lay rows out without formatting: one line
    per frame, plus one per VXLAN encapsulation (tcpdump prints the inner frame on
    its own line). TCP answers 0 as well, since its text depends on earlier packets.
    """
    lines = 1
    n = len(frame)
    while True:
        if n < off + 14:
            return 0
        et = (frame[off + 12] << 8) | frame[off + 13]
        if et == 0x0806:
            return lines
        if et != 0x0800:
            return 0
        ip = off + 14
        if n < ip + 20 or frame[ip] >> 4 != 4:
            return 0
        ihl = (frame[ip] & 15) << 2
        tot = (frame[ip + 2] << 8) | frame[ip + 3]
        if ihl < 20 or tot < ihl or ip + tot > n:
            return 0
        if ((frame[ip + 6] << 8) | frame[ip + 7]) & 0x1FFF:
            return lines  # a later fragment: "a > b: ip-proto-N"
        proto = frame[ip + 9]
        if proto == 6:
            return 0
        if proto != 17:
            return lines
        udp = ip + ihl
        if tot - ihl < 8:
            return 0
        sport = (frame[udp] << 8) | frame[udp + 1]
        dport = (frame[udp + 2] << 8) | frame[udp + 3]
        ulen = (frame[udp + 4] << 8) | frame[udp + 5]
        if sport == 53 or dport == 53:
            return 0
        if sport != 4789 and dport != 4789:
            return lines
        if ulen < 16 or ulen > tot - ihl:
            return 0
        # VXLAN: header line, then the inner frame on the next line
        lines += 1
        off = udp + 16


class _Source:
    """One capture shown in the view (or the anonymous default for bare :meth:`add_records` calls)."""

    __slots__ = ("index", "capture", "label", "linktype", "printer", "listener", "ifnames")

    def __init__(self, index: int, capture: Capture | None, label: str, linktype: int) -> None:
        self.index = index  # what the ring stores per packet
        self.capture = capture
        self.label = printable(label)
        self.linktype = linktype
        self.printer: Any = None  # a TcpdumpPrinter, made on first use (its import is not cheap)
        self.listener: Callable[[CaptureRecord], None] | None = None
        self.ifnames: dict[int, str] = {}


class _Ring:
    """The packets held: a fixed-capacity buffer addressed by serial number (``base <= serial < end``).

    Columns rather than an object per packet, and nothing in them the garbage
    collector has to visit: frame bytes, strings and numbers are untracked, and a
    packet's hop trace is sealed into a tuple of tuples (which CPython stops
    tracking) once :data:`_SEAL_LAG` newer packets have come, by when its journey
    is over, as ``marshal`` bytes: a tuple would stay tracked until the collector
    had looked at it twice, which at 5,000 packets/s means hundreds of thousands
    of hop tuples in each older-generation pass. A ring of 100,000 ``CaptureRecord`` objects and trace lists made
    every full collection walk millions of objects: a frame the learner waited
    for. :meth:`record` rebuilds a record on demand, for the few rows on screen.
    """

    __slots__ = ("capacity", "data", "t", "t_wall", "ifindex", "pkttype", "dev", "where", "trace", "trace_pos",
                 "sources", "heights", "texts", "base", "end", "_made")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.data: list[bytes] = [b""] * capacity
        self.t = array("q", bytes(8 * capacity))
        self.t_wall = array("q", bytes(8 * capacity))
        self.ifindex = array("l", bytes(array("l").itemsize * capacity))
        self.pkttype = array("B", bytes(capacity))
        self.dev: list[str] = [""] * capacity
        self.where: list[str] = [""] * capacity
        self.trace: list[Sequence[tuple[Any, ...]] | bytes] = [()] * capacity
        self.trace_pos = array("l", bytes(array("l").itemsize * capacity))
        self.sources = array("H", bytes(2 * capacity))  # index into the view's sources
        self.heights = array("H", bytes(2 * capacity))  # rows the packet takes
        self.texts: dict[int, str] = {}  # serial -> text made at arrival (TCP, odd frames)
        self.base = 0
        self.end = 0
        self._made: LRUCache[int, CaptureRecord] = LRUCache(64)  # the same object for the same packet

    def __len__(self) -> int:
        return self.end - self.base

    def record(self, serial: int) -> CaptureRecord:
        """The packet as a :class:`~tui.engine.capture.CaptureRecord` (made on demand, then reused)."""
        made = self._made.get(serial)
        if made is not None:
            return made
        from tui.engine.capture import CaptureRecord

        i = serial % self.capacity
        trace = self.trace[i]
        if type(trace) is bytes:
            trace = marshal.loads(trace)
        rec = CaptureRecord(self.t[i], self.t_wall[i], self.data[i], self.ifindex[i], self.dev[i],
                            self.pkttype[i], trace, self.where[i])  # type: ignore[arg-type]
        rec.trace_pos = self.trace_pos[i]
        self._made[serial] = rec
        return rec

    def frame(self, serial: int) -> bytes:
        return self.data[serial % self.capacity]

    def holds(self, serial: int, record: CaptureRecord) -> bool:
        """Whether ``serial`` is the packet ``record`` was made from (the same bytes seen at the same instant)."""
        i = serial % self.capacity
        return self.data[i] is record.data and self.t[i] == record.t and self.ifindex[i] == record.ifindex

    def height(self, serial: int) -> int:
        return self.heights[serial % self.capacity]

    def source(self, serial: int) -> int:
        return self.sources[serial % self.capacity]

    def append(self, record: CaptureRecord, source: int, height: int, text: str | None) -> None:
        cap = self.capacity
        i = self.end % cap
        if self.end - self.base == cap:
            self.texts.pop(self.base, None)
            self.base += 1
        self.data[i] = record.data
        self.t[i] = record.t
        self.t_wall[i] = record.t_wall
        self.ifindex[i] = record.ifindex
        self.pkttype[i] = record.pkttype
        self.dev[i] = record.dev
        self.where[i] = record.where
        self.trace[i] = record.trace
        self.trace_pos[i] = record.trace_pos
        self.sources[i] = source
        self.heights[i] = height
        if text is not None:
            self.texts[self.end] = text
        self.end += 1
        old = self.end - _SEAL_LAG
        if old >= self.base:
            j = old % cap
            trace = self.trace[j]
            if type(trace) is list:
                try:
                    self.trace[j] = marshal.dumps(tuple(trace))
                except ValueError:  # a detail marshal cannot write: keep it as it is
                    self.trace[j] = tuple(trace)


class _Rows:
    """The packets on display (those the filter passes) and the row each one starts at.

    Rows are counted in a coordinate that only grows, so appending is O(1) and
    dropping evicted packets from the front never renumbers the rest; the row of
    packet ``i`` on screen is ``starts[i] - starts[lo]``.
    """

    __slots__ = ("serials", "starts", "lo", "end_row")

    def __init__(self) -> None:
        self.serials = array("q")
        self.starts = array("q")
        self.lo = 0
        self.end_row = 0

    def __len__(self) -> int:
        return len(self.serials) - self.lo

    @property
    def rows(self) -> int:
        return self.end_row - self.starts[self.lo] if len(self) else 0

    def append(self, serial: int, height: int) -> None:
        self.serials.append(serial)
        self.starts.append(self.end_row)
        self.end_row += height

    def drop_before(self, serial: int) -> int:
        """Forget packets older than ``serial`` (evicted from the ring); returns the rows removed."""
        if not len(self) or self.serials[self.lo] >= serial:
            return 0
        first_row = self.starts[self.lo]
        self.lo = bisect_left(self.serials, serial, self.lo)
        removed = (self.starts[self.lo] if len(self) else self.end_row) - first_row
        if self.lo > 4096 and self.lo * 2 > len(self.serials):
            del self.serials[: self.lo]
            del self.starts[: self.lo]
            self.lo = 0
        return removed

    def at_row(self, row: int) -> tuple[int, int]:
        """(index, line within the packet) of a row on display."""
        target = self.starts[self.lo] + row
        i = bisect_right(self.starts, target, self.lo) - 1
        return i, target - self.starts[i]

    def row_of(self, index: int) -> int:
        return self.starts[index] - self.starts[self.lo]

    def index_of(self, serial: int) -> int:
        """Index of the first packet on display whose serial is >= ``serial`` (may be ``len``)."""
        return bisect_left(self.serials, serial, self.lo)


class CaptureView(ScrollView, can_focus=True):
    """Live tcpdump-style capture view with follow/pause, a filter box and a packet cursor.

    API for the app:

    * :meth:`attach` a :class:`~tui.engine.capture.Capture` with a label; by default
      the view subscribes to it and drains what it captured every 20 ms.
    * :meth:`add_records` for records the app collects itself (one call per batch).
    * :class:`CaptureView.Selected` is posted when a packet is chosen (Enter or a
      double click), :class:`CaptureView.Highlighted` when the cursor moves.
    """

    DEFAULT_CSS = """
    CaptureView {
        height: 1fr;
        background: $surface;
        color: $foreground;
        & > .capture-view--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .capture-view--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .capture-view--label { color: $text-accent; }
        & > .capture-view--filter-bar { background: $surface-lighten-1; color: $text-muted; }
        & > .capture-view--filter-text { color: $foreground; }
        & > .capture-view--filter-error { color: $text-error; }
        & > .capture-view--edit-cursor { text-style: reverse; }
        & > .capture-view--status { background: $panel; color: $text-muted; }
        & > .capture-view--following { color: $text-success; text-style: bold; }
        & > .capture-view--paused { color: $text-warning; text-style: bold; }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "capture-view--cursor",
        "capture-view--label",
        "capture-view--filter-bar",
        "capture-view--filter-text",
        "capture-view--filter-error",
        "capture-view--edit-cursor",
        "capture-view--status",
        "capture-view--following",
        "capture-view--paused",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First packet", show=False),
        Binding("end", "follow", "Follow", show=False),
        Binding("enter", "select", "Detail", id="capture.detail"),
        Binding("f", "toggle_follow", "Follow/pause", id="capture.follow"),
        Binding("slash", "edit_filter", "Filter", id="capture.filter"),
        Binding("y", "copy", "Copy line", show=False, id="capture.copy"),
    ]

    following: reactive[bool] = reactive(True, init=False, layout=False, repaint=False)
    """Whether the view sticks to the newest packet (``tail -f``)."""

    lang: reactive[str] = reactive("en", init=False)
    """The language of the view's own words (``en`` or ``zh``); packet text is tcpdump's."""

    class _PacketMessage(Message):
        """Something happened to one packet of the view (``label`` names its capture)."""

        def __init__(self, view: CaptureView, record: CaptureRecord, label: str) -> None:
            super().__init__()
            self.view = view
            self.record = record
            self.label = label

        @property
        def control(self) -> CaptureView:
            return self.view

    class Selected(_PacketMessage):
        """A packet was chosen (Enter / double click): open its detail and walk."""

    class Highlighted(_PacketMessage):
        """The cursor moved to another packet (a side pane may follow it)."""

    class FilterChanged(Message):
        """The display filter was applied (``error`` is libpcap's message when it was refused)."""

        def __init__(self, view: CaptureView, expression: str, error: str | None) -> None:
            super().__init__()
            self.view = view
            self.expression = expression
            self.error = error

        @property
        def control(self) -> CaptureView:
            return self.view

    def __init__(
        self,
        *,
        capacity: int = DEFAULT_CAPACITY,
        drain_interval: float = DRAIN_INTERVAL,
        lang: str = "en",
        name: str | None = None,
        id: str | None = None,  # noqa: A002 - Textual's keyword
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._ring = _Ring(capacity)
        self._rows = _Rows()
        self._default = _Source(0, None, "", _LINKTYPE_ETHERNET)
        self._source_list: list[_Source] = [self._default]  # by index (the ring stores indexes)
        self._sources: dict[int, _Source] = {}  # attached captures by id()
        self._pending: deque[tuple[_Source, CaptureRecord]] = deque(maxlen=capacity)
        self._drain_interval = drain_interval
        self._drain_timer: Any = None
        self._filter_expr = ""
        self._filter: Callable[..., bool] | None = None
        self._filter_error: str | None = None
        self._rebuild_at: int | None = None  # next serial to re-filter while a rebuild runs
        self._editing = False
        self._edit_text = ""
        self._edit_pos = 0
        self._cursor: int | None = None  # serial of the selected packet
        self._unseen = 0  # packets shown since the view was paused
        self._received = 0
        self._width = 0  # widest packet text seen so far (the horizontal scroll extent)
        self._label_width = 0
        self._text_cache: LRUCache[int, tuple[str, ...]] = LRUCache(4096)
        self._strip_cache: LRUCache[tuple[int, int], Strip] = LRUCache(_STRIP_CACHE)
        self._frame: tuple[int, int, Style, int, int] | None = None  # set while render_lines runs
        self.set_reactive(CaptureView.lang, lang)

    # ------------------------------------------------------------------ public API

    @property
    def capacity(self) -> int:
        """How many packets the ring buffer keeps (the oldest go first)."""
        return self._ring.capacity

    @property
    def packet_count(self) -> int:
        """Packets held (at most :attr:`capacity`)."""
        return len(self._ring)

    @property
    def received(self) -> int:
        """Packets ever added, evicted ones included."""
        return self._received

    @property
    def shown_count(self) -> int:
        """Packets that pass the display filter."""
        return len(self._rows)

    @property
    def row_count(self) -> int:
        """Rows of packet text on display (VXLAN packets take two)."""
        return self._rows.rows

    @property
    def unseen(self) -> int:
        """Packets that arrived while paused (the status row shows this counter)."""
        return self._unseen

    @property
    def filter_expression(self) -> str:
        return self._filter_expr

    @property
    def filter_error(self) -> str | None:
        """libpcap's message for the last refused expression, if the last one was refused."""
        return self._filter_error

    @property
    def filtering(self) -> bool:
        """True while a new filter is still being applied to older packets."""
        return self._rebuild_at is not None

    @property
    def cursor_record(self) -> CaptureRecord | None:
        """The selected packet, if any."""
        if self._cursor is None or not self._ring.base <= self._cursor < self._ring.end:
            return None
        return self._ring.record(self._cursor)

    def attach(self, capture: Capture, label: str = "", *, subscribe: bool = True, backfill: bool = True) -> None:
        """Show ``capture``'s packets, labelled ``label`` when several captures share the view.

        With ``subscribe`` the view adds a listener to the capture and takes what
        arrived every :data:`DRAIN_INTERVAL` seconds; without it the app passes
        batches to :meth:`add_records` itself (``source=capture``). ``backfill``
        shows what the capture already holds. The listener only appends to a
        thread-safe deque, so an engine running in a worker thread may call it.
        """
        key = id(capture)
        if key in self._sources:
            self._sources[key].label = printable(label)
            self._sources_changed()
            return
        # the shell's tcpdump notes the link type it prints with (plain `tcpdump` reads "any" as
        # LINUX_SLL and prints it like Ethernet; `-i any` prints LINUX_SLL2's "eth0  In  IP ...")
        linktype = getattr(capture, "linktype_hint", None) or capture.linktype
        if linktype == _LINKTYPE_LINUX_SLL:
            linktype = _LINKTYPE_ETHERNET
        source = _Source(len(self._source_list), capture, label, linktype)
        self._source_list.append(source)
        self._sources[key] = source
        self._sources_changed()
        if backfill and capture.records:
            self.add_records(list(capture.records), source=capture)
        if subscribe:

            def listener(record: CaptureRecord) -> None:
                self._pending.append((source, record))

            source.listener = listener
            capture.listeners.append(listener)
            if self._drain_timer is None and self.is_mounted:
                self._drain_timer = self.set_interval(self._drain_interval, self._drain, name="capture-drain")

    def detach(self, capture: Capture) -> None:
        """Stop listening to ``capture`` (its packets stay on display until :meth:`clear`)."""
        source = self._sources.pop(id(capture), None)
        if source is not None and source.listener is not None and source.listener in capture.listeners:
            capture.listeners.remove(source.listener)
        if source is not None:
            self._sources_changed()

    def add_records(self, records: Iterable[CaptureRecord], source: Capture | None = None) -> None:
        """Add a batch of captured packets (call once per batch: one refresh per call, whatever its size)."""
        src = self._default if source is None else self._sources.get(id(source))
        if src is None:
            self.attach(source, subscribe=False, backfill=False)  # type: ignore[arg-type]
            src = self._sources[id(source)]
        self._add((src, rec) for rec in records)

    def clear(self) -> None:
        """Forget every packet (the captures stay attached)."""
        self._ring = _Ring(self._ring.capacity)
        self._rows = _Rows()
        self._cursor = None
        self._unseen = 0
        self._received = 0
        self._rebuild_at = None
        self._text_cache.clear()
        self._strip_cache.clear()
        self._update_virtual_size()
        self.refresh()

    def set_capacity(self, capacity: int) -> None:
        """Resize the ring buffer, keeping the newest packets."""
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        old = self._ring
        keep = range(max(old.base, old.end - capacity), old.end)
        self._ring = _Ring(capacity)
        self._pending = deque(self._pending, maxlen=capacity)
        self._rows = _Rows()
        self._text_cache.clear()
        self._strip_cache.clear()
        for serial in keep:
            self._ring.append(old.record(serial), old.source(serial), old.height(serial), old.texts.get(serial))
        if self._cursor is not None:  # serials restart at 0 in the new ring
            self._cursor = self._cursor - keep.start if self._cursor in keep else None
        self._start_rebuild()

    def set_filter(self, expression: str) -> str | None:
        """Show only packets matching a tcpdump filter expression; returns libpcap's error, if any.

        A refused expression leaves the filter that was in force (as Wireshark
        does); an empty one shows everything.
        """
        from tui.engine.bpf import FilterError, compile_filter

        expression = expression.strip()
        error: str | None = None
        try:
            compiled = compile_filter(expression) if expression else None
        except FilterError as exc:
            error = str(exc)
        except Exception as exc:  # a bug in the compiler must not take the app down
            error = f"can't parse filter expression: {type(exc).__name__}"
        self._filter_error = error
        if error is None:
            self._filter_expr = expression
            self._filter = compiled
            self._start_rebuild()
        else:
            self._edit_text = expression
        self.refresh()
        if self.is_mounted:
            self.post_message(self.FilterChanged(self, expression, error))
        return error

    def row_text(self, row: int) -> str:
        """The text of a packet row on display (0 = oldest shown), label included: what is on screen."""
        index, line = self._rows.at_row(row)
        serial = self._rows.serials[index]
        return self._label_prefix(self._source_list[self._ring.source(serial)]) + self._lines(serial)[line]

    def record_text(self, record: CaptureRecord) -> str:
        """The tcpdump text of a packet held by the view (both lines for VXLAN)."""
        for serial in range(self._ring.end - 1, self._ring.base - 1, -1):
            if self._ring.holds(serial, record):
                return "\n".join(self._lines(serial))
        raise KeyError("record not in the view")

    # ------------------------------------------------------------------ lifecycle

    def on_mount(self) -> None:
        super().on_mount()
        for source in self._sources.values():  # moved to another container: listen again
            if source.capture is not None and source.listener is not None \
                    and source.listener not in source.capture.listeners:
                source.capture.listeners.append(source.listener)
        if self._drain_timer is None and any(s.listener for s in self._sources.values()):
            self._drain_timer = self.set_interval(self._drain_interval, self._drain, name="capture-drain")
        self._update_virtual_size()
        self.call_after_refresh(self._settle)

    def _settle(self) -> None:
        """After the first layout: show the end when following (packets may have come before mount)."""
        if self.following:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
        self.refresh()

    def on_unmount(self) -> None:
        self._drain_timer = None  # timers die with the mount
        for source in self._sources.values():
            if source.capture is not None and source.listener in source.capture.listeners:
                source.capture.listeners.remove(source.listener)

    def notify_style_update(self) -> None:
        """Theme or CSS changed: cached strips carry old colours."""
        super().notify_style_update()
        self._strip_cache.clear()

    def on_resize(self, event: events.Resize) -> None:
        self._update_virtual_size()
        if self.following:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)

    # ------------------------------------------------------------------ adding packets

    def _drain(self) -> None:
        """Take what the attached captures produced since the last tick (one batch, one refresh)."""
        pending = self._pending
        if not pending:
            return
        batch = []
        popleft = pending.popleft
        try:
            for _ in range(len(pending)):
                batch.append(popleft())
        except IndexError:
            pass
        self._add(batch)

    def _add(self, items: Iterable[tuple[_Source, CaptureRecord]]) -> None:
        ring = self._ring
        rows = self._rows
        filt = self._filter
        rebuilding = self._rebuild_at is not None
        shown = 0
        added = 0
        for source, rec in items:
            if source.linktype == _LINKTYPE_LINUX_SLL2:
                source.ifnames.setdefault(rec.ifindex, rec.dev)
            height = _shape(rec.data, 0)
            text = None
            if not height:  # TCP (stateful text) or something only the printer can measure
                text = self._format(source, rec)
                height = min(text.count("\n") + 1, 0xFFFF)
            ring.append(rec, source.index, height, text)
            added += 1
            if not rebuilding and (filt is None or self._match(filt, rec.data)):
                rows.append(ring.end - 1, height)
                shown += 1
        if not added:
            return
        self._received += added
        removed = rows.drop_before(ring.base)
        self._after_change(shown, removed)

    @staticmethod
    def _match(filt: Callable[..., bool], frame: bytes) -> bool:
        try:
            return bool(filt(frame))
        except Exception:
            return False

    def _after_change(self, shown: int, removed_rows: int) -> None:
        """Relayout after packets came or went: one virtual-size update and one refresh per batch."""
        if self._cursor is not None and self._cursor < self._ring.base:
            self._move_cursor_to_index(self._rows.lo if len(self._rows) else None, post=self.is_mounted)
        self._update_virtual_size()
        if not self.is_mounted:  # filled before the pane is on screen: on_mount lays it out
            return
        if self.following:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
            self.refresh()
            return
        self._unseen += shown
        if removed_rows:
            # keep the same packets under the viewport while older ones fall out of the ring
            self.scroll_to(y=max(0.0, self.scroll_y - removed_rows), animate=False, immediate=True, force=True)
            self.refresh()
        elif self._rows.rows - int(self.scroll_y) <= self._page_rows():
            self.refresh()  # the end of the list is on screen: new rows become visible
        else:
            self._refresh_status()

    def _update_virtual_size(self) -> None:
        """Grow the scrollable area (two extra rows: the filter box and the status line).

        Setting ``virtual_size`` asks for a layout of the whole screen; a batch of
        packets only needs one when a scrollbar appears or goes, so otherwise the
        size is set without it and only the scrollbars are updated (Textual is
        pinned, so leaning on ``_scroll_update`` is safe).
        """
        width = self._width + (self._label_width + 1 if self._multi_source() else 0)
        size = Size(width, self._rows.rows + 2)
        if size == self.virtual_size:
            return
        container = self.container_size
        if not self.is_mounted or not container or self.styles.overflow_x != "auto" or self.styles.overflow_y != "auto":
            self.virtual_size = size
            return
        # the visibility rule of Widget._refresh_scrollbars for overflow auto/auto
        horizontal, vertical = size.width > container.width, size.height > container.height
        if vertical and not horizontal:
            horizontal = size.width > container.width - self.styles.scrollbar_size_vertical
        if horizontal and not vertical:
            vertical = size.height > container.height - self.styles.scrollbar_size_horizontal
        if vertical == self.show_vertical_scrollbar and horizontal == self.show_horizontal_scrollbar:
            self.set_reactive(ScrollView.virtual_size, size)
            self._scroll_update(size)
        else:
            self.virtual_size = size

    def _start_rebuild(self) -> None:
        """Re-filter what the ring holds, a chunk per event-loop turn so input stays responsive."""
        self._rows = _Rows()
        self._rebuild_at = self._ring.base
        self._rebuild_step()

    def _rebuild_step(self) -> None:
        if self._rebuild_at is None:
            return
        ring, rows, filt = self._ring, self._rows, self._filter
        while True:
            start = max(self._rebuild_at, ring.base)
            stop = min(ring.end, start + _REBUILD_CHUNK)
            if filt is None:
                for serial in range(start, stop):
                    rows.append(serial, ring.height(serial))
            else:
                match = self._match
                for serial in range(start, stop):
                    if match(filt, ring.frame(serial)):
                        rows.append(serial, ring.height(serial))
            self._rebuild_at = stop
            if stop >= ring.end or self.is_mounted:
                break  # on screen: one chunk per turn; not yet on screen: nobody waits, do it all
        rows.drop_before(ring.base)
        self._update_virtual_size()
        if stop < ring.end:
            self.call_later(self._rebuild_step)
            self.refresh()
            return
        self._rebuild_at = None
        self._unseen = 0
        if self._cursor is not None:
            index = rows.index_of(self._cursor)
            self._move_cursor_to_index(min(index, len(rows.serials) - 1) if len(rows) else None, post=False)
        if not self.is_mounted:
            return
        if self.following:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
        elif self._cursor is not None:
            self._scroll_cursor_visible()
        self.refresh()

    # ------------------------------------------------------------------ text

    def _format(self, source: _Source, rec: CaptureRecord) -> str:
        """The tcpdump text for a record, never an exception (hostile frames show as a note)."""
        printer = source.printer
        if printer is None:
            from tui.shell.formats.tcpdump import TcpdumpPrinter

            printer = source.printer = TcpdumpPrinter(numeric=True, ifname=source.ifnames.get)
        try:
            if source.linktype == _LINKTYPE_LINUX_SLL2:
                return printer.format(rec.t_wall, _sll2_frame(rec), _LINKTYPE_LINUX_SLL2)
            return printer.format(rec.t_wall, rec.data)
        except Exception as exc:  # the printer mirrors tcpdump, but a frame must never crash the pane
            return f"[undecodable frame, {len(rec.data)} bytes: {type(exc).__name__}]"

    def _lines(self, serial: int) -> tuple[str, ...]:
        lines = self._text_cache.get(serial)
        if lines is None:
            ring = self._ring
            text = ring.texts.get(serial)
            if text is None:
                text = self._format(self._source_list[ring.source(serial)], ring.record(serial))
            parts = [_display_line(part) for part in text.split("\n")]
            height = ring.height(serial)
            if len(parts) > height:  # the layout promised fewer rows: keep them, fold the rest
                parts[height - 1 :] = [" ".join(parts[height - 1 :])]
            while len(parts) < height:
                parts.append("")
            lines = tuple(parts)
            self._text_cache[serial] = lines
        return lines

    def _multi_source(self) -> bool:
        """Labels are shown only when several captures share the view (one capture reads as tcpdump)."""
        return len(self._sources) > 1

    def _label_prefix(self, source: _Source) -> str:
        if not self._multi_source():
            return ""
        return source.label + " " * (self._label_width - cell_len(source.label) + 1)

    def _sources_changed(self) -> None:
        self._label_width = max(cell_len(s.label) for s in self._source_list)
        self._strip_cache.clear()
        self._update_virtual_size()
        self.refresh()

    # ------------------------------------------------------------------ rendering

    def _page_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 2)

    def render_lines(self, crop: Region) -> list[Strip]:
        """Look the per-frame values up once (``rich_style`` walks the DOM) before the rows are drawn."""
        region = self.scrollable_content_region
        self._frame = (region.width, region.height, self.rich_style, int(self.scroll_x), int(self.scroll_y))
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None

    def render_line(self, y: int) -> Strip:
        frame = self._frame
        if frame is None:
            region = self.scrollable_content_region
            frame = (region.width, region.height, self.rich_style, int(self.scroll_x), int(self.scroll_y))
        width, height, base, x, scroll_y = frame
        if y == 0:
            return self._filter_strip(width, base)
        if y == height - 1:
            return self._status_strip(width, base)
        row = scroll_y + y - 1
        if not 0 <= row < self._rows.rows:
            return Strip.blank(width, base)
        index, line = self._rows.at_row(row)
        serial = self._rows.serials[index]
        if serial == self._cursor:  # the selected packet: not cached, few rows
            style = self.get_component_rich_style("capture-view--cursor")
            return self._row_strip(serial, line, style).crop_extend(x, x + width, style)
        strip = self._strip_cache.get((serial, line))
        if strip is None:
            strip = self._strip_cache[(serial, line)] = self._row_strip(serial, line, base)
        return strip.crop_extend(x, x + width, base)

    def _row_strip(self, serial: int, line: int, base: Style) -> Strip:
        text = self._lines(serial)[line]
        segments = []
        prefix = self._label_prefix(self._source_list[self._ring.source(serial)])
        if prefix:
            segments.append(Segment(prefix, base + self.get_component_rich_style("capture-view--label", partial=True)))
        segments.append(Segment(text, base))
        text_width = cell_len(text)
        if text_width > self._width:
            self._width = text_width
            self.call_later(self._update_virtual_size)
        return Strip(segments, cell_len(prefix) + text_width)

    def _filter_strip(self, width: int, base: Style) -> Strip:
        bar = self.get_component_rich_style("capture-view--filter-bar")
        text_style = bar + self.get_component_rich_style("capture-view--filter-text", partial=True)
        lang = self.lang
        segments = [Segment(word(WORDS, lang, "filter"), bar)]
        if self._editing:
            text = printable(self._edit_text)
            pos = len(printable(self._edit_text[: self._edit_pos]))
            cursor = bar + self.get_component_rich_style("capture-view--edit-cursor", partial=True)
            segments += [Segment(text[:pos], text_style), Segment(text[pos : pos + 1] or " ", cursor),
                         Segment(text[pos + 1 :], text_style)]
            segments.append(Segment(word(WORDS, lang, "filter.keys"), bar))
        elif self._filter_expr or self._filter_error:
            shown = self._edit_text if self._filter_error and self._edit_text else self._filter_expr
            segments.append(Segment(printable(shown), text_style))
        else:
            segments.append(Segment(word(WORDS, lang, "filter.none"), bar))
        if self._filter_error and not self._editing:
            err = bar + self.get_component_rich_style("capture-view--filter-error", partial=True)
            segments.append(Segment(f"  {printable(self._filter_error)}", err))
        return Strip(segments).crop_extend(0, width, bar)

    def _status_text(self) -> list[tuple[str, str | None]]:
        lang = self.lang
        parts: list[tuple[str, str | None]] = []
        if self._rebuild_at is not None:
            done = self._rebuild_at - self._ring.base
            pct = 100 * done // max(1, len(self._ring))
            parts.append((word(WORDS, lang, "filtering", pct=pct), "capture-view--paused"))
        elif self.following:
            parts.append((word(WORDS, lang, "following"), "capture-view--following"))
        else:
            parts.append((word(WORDS, lang, "paused"), "capture-view--paused"))
            if self._unseen:
                parts.append((word(WORDS, lang, "new", n=f"{self._unseen:,}"), "capture-view--paused"))
            parts.append((word(WORDS, lang, "resume"), None))
        total = len(self._ring)
        if self._filter is not None:
            parts.append((word(WORDS, lang, "shown", shown=f"{len(self._rows):,}", total=f"{total:,}"), None))
        else:
            parts.append((word(WORDS, lang, "total", total=f"{total:,}"), None))
        evicted = self._received - total
        if evicted > 0:
            parts.append((word(WORDS, lang, "dropped", n=f"{evicted:,}", cap=f"{self._ring.capacity:,}"), None))
        captures = len(self._sources)
        if captures > 1:
            parts.append((word(WORDS, lang, "captures", n=captures), None))
        return parts

    def _status_strip(self, width: int, base: Style) -> Strip:
        bar = self.get_component_rich_style("capture-view--status")
        segments = [
            Segment(text, bar + self.get_component_rich_style(cls, partial=True) if cls else bar)
            for text, cls in self._status_text()
        ]
        return Strip(segments).crop_extend(0, width, bar)

    def status_text(self) -> str:
        """The status row as plain text (what the learner reads under the packets)."""
        return "".join(text for text, _ in self._status_text())

    def _refresh_status(self) -> None:
        region = self.scrollable_content_region
        self.refresh(Region(0, region.height - 1, region.width, 1))

    def _refresh_filter_row(self) -> None:
        self.refresh(Region(0, 0, self.scrollable_content_region.width, 1))

    # ------------------------------------------------------------------ follow / pause

    def watch_following(self, following: bool) -> None:
        if following:
            self._unseen = 0
            if self._cursor is not None:
                self._cursor = None
            self._update_virtual_size()
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
            self.refresh()
        else:
            self._refresh_status()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        # the user scrolled up (wheel, scrollbar, page up): stop following, like `tail` in Toolong
        if self.following and new_value < old_value and new_value < self.max_scroll_y:
            self.following = False

    def action_toggle_follow(self) -> None:
        self.following = not self.following

    def action_follow(self) -> None:
        self.following = True

    # ------------------------------------------------------------------ cursor

    def _move_cursor_to_index(self, index: int | None, *, post: bool = True) -> None:
        rows = self._rows
        if index is None or not len(rows):
            self._cursor = None
            return
        index = max(rows.lo, min(index, len(rows.serials) - 1))
        serial = rows.serials[index]
        changed = serial != self._cursor
        self._cursor = serial
        if changed and post:
            label = self._source_list[self._ring.source(serial)].label
            self.post_message(self.Highlighted(self, self._ring.record(serial), label))

    def _cursor_index(self) -> int | None:
        if self._cursor is None or not len(self._rows):
            return None
        index = self._rows.index_of(self._cursor)
        return min(index, len(self._rows.serials) - 1)

    def _scroll_cursor_visible(self) -> None:
        index = self._cursor_index()
        if index is None:
            return
        top = self._rows.row_of(index)
        bottom = top + self._ring.height(self._rows.serials[index])
        page = self._page_rows()
        y = self.scroll_y
        if top < y:
            y = top
        elif bottom > y + page:
            y = bottom - page
        if y != self.scroll_y:
            self.scroll_to(y=y, animate=False, immediate=True, force=True)

    def _move_cursor(self, delta: int = 0, *, to: int | None = None) -> None:
        """Move the cursor (pausing the view: a selected packet must not scroll away)."""
        rows = self._rows
        if not len(rows):
            return
        current = self._cursor_index()
        if to is not None:
            index = to
        elif current is not None:
            index = current + delta
        elif self.following:
            index = len(rows.serials) - 1  # start from the newest packet
        else:  # paused, nothing selected: start from the edge of the screen the key points to
            top = min(int(self.scroll_y), rows.rows - 1)
            bottom = min(top + self._page_rows() - 1, rows.rows - 1)
            index = rows.at_row(bottom if delta < 0 else top)[0]
        self.following = False
        self._move_cursor_to_index(index)
        self._scroll_cursor_visible()
        self.refresh()

    def action_cursor_up(self) -> None:
        self._move_cursor(-1)

    def action_cursor_down(self) -> None:
        self._move_cursor(1)

    def action_page_up(self) -> None:
        self._page(-1)

    def action_page_down(self) -> None:
        self._page(1)

    def _page(self, direction: int) -> None:
        if not len(self._rows):
            return
        current = self._cursor_index()
        if current is None:
            self._move_cursor(direction)
            return
        target_row = max(0, min(self._rows.rows - 1, self._rows.row_of(current) + direction * self._page_rows()))
        index, _ = self._rows.at_row(target_row)
        self._move_cursor(to=index)

    def action_first(self) -> None:
        if len(self._rows):
            self._move_cursor(to=self._rows.lo)

    def action_select(self) -> None:
        if not len(self._rows):
            return
        if self._cursor is None:
            self._move_cursor(1)
        index = self._cursor_index()
        if index is None:
            return
        serial = self._rows.serials[index]
        label = self._source_list[self._ring.source(serial)].label
        self.post_message(self.Selected(self, self._ring.record(serial), label))

    def action_copy(self) -> None:
        """Copy the selected packet's tcpdump text (both lines of a VXLAN packet)."""
        index = self._cursor_index()
        if index is not None:
            self.app.copy_to_clipboard("\n".join(self._lines(self._rows.serials[index])))

    def on_click(self, event: events.Click) -> None:
        y = event.y
        if y == 0:
            self.action_edit_filter()
            return
        height = self.scrollable_content_region.height
        if y >= height - 1:
            return
        row = int(self.scroll_y) + y - 1
        if not 0 <= row < self._rows.rows:
            return
        index, _ = self._rows.at_row(row)
        self.following = False
        self._move_cursor_to_index(index)
        self.refresh()
        if event.chain >= 2:
            self.action_select()

    # ------------------------------------------------------------------ filter box

    def action_edit_filter(self) -> None:
        self._editing = True
        self._edit_text = self._edit_text if self._filter_error else self._filter_expr
        self._edit_pos = len(self._edit_text)
        self.focus()
        self._refresh_filter_row()

    def on_key(self, event: events.Key) -> None:
        """While the filter box is open it takes the keys (bindings wait until Enter or Escape)."""
        if not self._editing:
            if event.key == "escape" and self._cursor is not None:
                event.stop()
                self.following = True
            return
        key, text, pos = event.key, self._edit_text, self._edit_pos
        if key in ("tab", "shift+tab") or (key.startswith("ctrl+") and key not in _EDIT_KEYS):
            return  # focus moves and app shortcuts still work from the filter box
        event.stop()
        event.prevent_default()
        if key == "enter":
            self._editing = False
            self.set_filter(text)
        elif key == "escape":
            self._editing = False
            self._edit_text = self._filter_expr
            self._filter_error = None
        elif key == "backspace":
            if pos:
                self._edit_text, self._edit_pos = text[: pos - 1] + text[pos:], pos - 1
        elif key == "delete":
            self._edit_text = text[:pos] + text[pos + 1 :]
        elif key == "left":
            self._edit_pos = max(0, pos - 1)
        elif key == "right":
            self._edit_pos = min(len(text), pos + 1)
        elif key in ("home", "ctrl+a"):
            self._edit_pos = 0
        elif key in ("end", "ctrl+e"):
            self._edit_pos = len(text)
        elif key == "ctrl+u":
            self._edit_text, self._edit_pos = text[pos:], 0
        elif key == "ctrl+k":
            self._edit_text = text[:pos]
        elif event.is_printable and event.character:
            self._edit_text, self._edit_pos = text[:pos] + event.character + text[pos:], pos + 1
        self._refresh_filter_row()

    def on_paste(self, event: events.Paste) -> None:
        if not self._editing:
            return
        event.stop()
        chunk = event.text.splitlines()[0] if event.text else ""
        text, pos = self._edit_text, self._edit_pos
        self._edit_text, self._edit_pos = text[:pos] + chunk + text[pos:], pos + len(chunk)
        self._refresh_filter_row()

    def on_blur(self) -> None:
        if self._editing:
            self._editing = False
            self._refresh_filter_row()
        self.refresh()

    def on_focus(self) -> None:
        self.refresh()


_EDIT_KEYS = frozenset(("ctrl+a", "ctrl+e", "ctrl+u", "ctrl+k"))


def _sll2_frame(rec: CaptureRecord) -> bytes:
    """The LINUX_SLL2 form of a record, what ``tcpdump -i any`` (4.99) reads and prints from."""
    data = rec.data
    hatype = b"\x03\x04" if rec.dev == "lo" else b"\x00\x01"
    return (data[12:14] + b"\x00\x00" + rec.ifindex.to_bytes(4, "big") + hatype + bytes((rec.pkttype, 6))
            + data[6:12] + b"\x00\x00" + data[14:])
