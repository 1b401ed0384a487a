"""The console's output: a scrollback of terminal text drawn with the Line API.

Only the rows on screen become strips; the text lives in a
:class:`~tui.app.termbuffer.TermBuffer` (runs of text per line), so a long
session with a chatty ``tcpdump`` stays cheap. Every run is drawn as a plain
segment: whatever a command prints, Rich markup and terminal escapes in it
never take effect. The view follows the end unless the learner scrolled up.
Mouse selection and copy work like Textual's ``Log``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip

from tui.app.termbuffer import Run, TermBuffer


class ConsoleOutput(ScrollView, can_focus=True):
    """Terminal scrollback: feed it chunks, it wraps, follows the end and lets the learner scroll back."""

    DEFAULT_CSS = """
    ConsoleOutput {
        height: 1fr;
        background: $background;
        color: $foreground;
        scrollbar-size-vertical: 1;
        scrollbar-gutter: stable;
        overflow-x: hidden;
        & > .console-output--err { color: $text-error; }
        & > .console-output--echo { color: $text; text-style: bold; }
        & > .console-output--local { color: $text-muted; }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "console-output--err",
        "console-output--echo",
        "console-output--local",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "scroll_up", "Scroll up", show=False),
        Binding("down", "scroll_down", "Scroll down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_home", "Top", show=False),
        Binding("end", "scroll_end", "Bottom", show=False),
    ]

    class Resized(Message):
        """The console's window size changed: ``columns`` x ``lines`` is what the learner's shell should be told.

        ``lines`` counts the prompt row under the scrollback, as a terminal's
        window includes its cursor line.
        """

        def __init__(self, columns: int, lines: int) -> None:
            super().__init__()
            self.columns = columns
            self.lines = lines

    def __init__(self, *, max_lines: int = 10_000, name: str | None = None, id: str | None = None,  # noqa: A002
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.buffer = TermBuffer(max_lines)
        self._follow = True
        self._styles: dict[str, Style] = {}
        self._laid_out = -1
        self._told: tuple[int, int] | None = None

    # ---- content -----------------------------------------------------------------------------
    def feed(self, runs: Iterable[Run]) -> None:
        """Append a batch of (text, stream) runs; one refresh per batch."""
        for text, stream in runs:
            if stream == "clear":
                self.buffer.clear()
            else:
                self.buffer.feed(text, stream)
        self._relayout()

    def write_local(self, text: str) -> None:
        """Text from the console itself (completion candidates), not from a command."""
        self.feed([(text, "local")])

    def clear(self) -> None:
        self.buffer.clear()
        self._relayout()

    @property
    def text(self) -> str:
        return self.buffer.text()

    # ---- layout ------------------------------------------------------------------------------
    def _content_width(self) -> int:
        return max(1, self.scrollable_content_region.width or self.size.width or 80)

    def _relayout(self) -> None:
        if not self.is_mounted:
            return
        at_end = self._follow or self.scroll_y >= self.max_scroll_y
        rows = self.buffer.wrap(self._content_width())
        count = len(rows)
        # the open last line counts only when it has text (a terminal's cursor line)
        if count and not rows[-1]:
            count -= 1
        self.virtual_size = Size(self._content_width(), count)
        self._laid_out = self.buffer.changes
        if at_end:
            # forced: right after a big batch (a whole transcript after a step change) the scrollbar is not
            # shown yet, and Textual ignores scrolling an axis without one
            self.scroll_to(y=max(0, count - self.scrollable_content_region.height), animate=False, immediate=True,
                           force=True)
            self.call_after_refresh(self._stick_to_end)
        self.refresh()

    def _stick_to_end(self) -> None:
        if self._follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)

    def on_resize(self) -> None:
        self._relayout()
        self._tell_size()

    @property
    def window_size(self) -> tuple[int, int]:
        """(columns, lines) of the terminal this console is: text width, scrollback rows plus the prompt row."""
        return self._content_width(), max(1, self.size.height + 1)

    def _tell_size(self) -> None:
        if not self.size.width:
            return
        size = self.window_size
        if size != self._told:
            self._told = size
            self.post_message(self.Resized(*size))

    def on_mount(self) -> None:
        self._relayout()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self.refresh()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._follow = new >= self.max_scroll_y

    # ---- drawing -----------------------------------------------------------------------------
    def _style(self, stream: str) -> Style:
        style = self._styles.get(stream)
        if style is None:
            if stream in ("err", "echo", "local"):
                style = self.get_component_rich_style(f"console-output--{stream}")
            else:
                style = self.rich_style
            self._styles[stream] = style
        return style

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row_index = scroll_y + y
        width = self.scrollable_content_region.width or self.size.width
        rows = self.buffer.wrap(self._content_width())
        base = self.rich_style
        if row_index >= len(rows):
            return Strip.blank(width, base)
        row = rows[row_index]
        segments = [Segment(text, self._style(stream)) for text, stream in row]
        selection = self.text_selection
        if selection is not None:
            span = selection.get_span(row_index)
            if span is not None:
                segments = self._select(segments, span)
        strip = Strip(segments).crop_extend(scroll_x, scroll_x + width, base)
        return strip.apply_offsets(scroll_x, row_index)

    def _select(self, segments: list[Segment], span: tuple[int, int]) -> list[Segment]:
        start, end = span
        total = sum(len(s.text) for s in segments)
        if end == -1:
            end = total
        sel = self.screen.get_component_rich_style("screen--selection")
        out: list[Segment] = []
        pos = 0
        for seg in segments:
            text = seg.text
            a, b = pos, pos + len(text)
            pos = b
            if b <= start or a >= end:
                out.append(seg)
                continue
            i, j = max(start, a) - a, min(end, b) - a
            if i:
                out.append(Segment(text[:i], seg.style))
            out.append(Segment(text[i:j], (seg.style or Style()) + sel))
            if j < len(text):
                out.append(Segment(text[j:], seg.style))
        return out

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        text = "\n".join(self.buffer.visual_text(self._content_width()))
        return selection.extract(text), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()
