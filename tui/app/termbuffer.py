"""The console's scrollback: terminal chunks turned into lines a Line-API view can draw.

Why not a RichLog: output must be shown literally (no markup, no escape
sequences taking effect), carriage returns must overwrite like a terminal
does (``docker service create`` redraws its progress bars with ``\\r``), and
long sessions must stay cheap. So chunks are kept as runs of (text, stream)
per logical line, wrapped to the view's width by terminal cells (CJK
characters take two), lazily and only again when the width changes.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import get_character_cell_size

Run = tuple[str, str]  # (text, stream) with stream one of out / err / echo / local

# C0 controls (but tab, newline, carriage return and backspace, which are handled),
# DEL and C1 controls are shown as visible escapes, never sent to the real terminal.
_VISIBLE = {c: "^" + chr(c ^ 0x40) for c in range(0x20) if c not in (0x08, 0x09, 0x0A, 0x0D)}
_VISIBLE[0x7F] = "^?"
_VISIBLE.update({c: f"\\x{c:02x}" for c in range(0x80, 0xA0)})
_VISIBLE.update({c: f"\\u{c:04x}" for c in (0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A))})


def printable(text: str) -> str:
    """``text`` with control characters made visible (``^[`` for ESC), so escapes never take effect."""
    return text.translate(_VISIBLE)


class TermBuffer:
    """Lines of terminal output with a cursor on the last one, and their wrapped form for one width."""

    def __init__(self, max_lines: int = 10_000) -> None:
        self.max_lines = max_lines
        self.lines: list[list[Run]] = [[]]
        self._col = 0  # cursor position (characters) in the last line
        self._width = 0
        self._visual: list[list[Run]] = []
        self._starts: list[int] = []  # first visual row of each logical line
        self.changes = 0  # bumps on every change (views compare it to skip work)

    # ---- input -------------------------------------------------------------------------------
    def clear(self) -> None:
        self.lines = [[]]
        self._col = 0
        self._visual = []
        self._starts = []
        self._width = 0
        self.changes += 1

    def feed(self, text: str, stream: str = "out") -> None:
        """Append terminal output: newlines, carriage returns, backspaces and tabs act as on a terminal."""
        if not text:
            return
        first_dirty = len(self.lines) - 1
        i = 0
        n = len(text)
        while i < n:
            j = i
            while j < n and text[j] not in "\n\r\b\t":
                j += 1
            if j > i:
                self._put(printable(text[i:j]), stream)
            if j >= n:
                break
            ch = text[j]
            if ch == "\n":
                self.lines.append([])
                self._col = 0
            elif ch == "\r":
                if j + 1 < n and text[j + 1] == "\n":
                    pass  # CRLF: the newline does it
                else:
                    self._col = 0
            elif ch == "\b":
                self._col = max(0, self._col - 1)
            else:  # tab: to the next multiple of 8 cells
                cells = self._cells_before(self._col)
                self._put(" " * (8 - cells % 8), stream)
            i = j + 1
        self._trim()
        self._rewrap_from(min(first_dirty, len(self.lines) - 1))
        self.changes += 1

    def feed_runs(self, runs: Iterable[Run]) -> None:
        for text, stream in runs:
            self.feed(text, stream)

    def _cells_before(self, col: int) -> int:
        total = 0
        seen = 0
        for text, _ in self.lines[-1]:
            for ch in text:
                if seen >= col:
                    return total
                total += get_character_cell_size(ch)
                seen += 1
        return total

    def _put(self, text: str, stream: str) -> None:
        line = self.lines[-1]
        length = sum(len(t) for t, _ in line)
        if self._col >= length:
            if self._col > length:
                line.append((" " * (self._col - length), stream))
            if line and line[-1][1] == stream:
                line[-1] = (line[-1][0] + text, stream)
            else:
                line.append((text, stream))
            self._col += len(text)
            return
        # overwrite from the cursor (after a carriage return or backspace)
        chars = [(ch, s) for t, s in line for ch in t]
        end = self._col + len(text)
        new = chars[: self._col] + [(ch, stream) for ch in text] + chars[end:]
        self.lines[-1] = _runs(new)
        self._col = end

    def _trim(self) -> None:
        extra = len(self.lines) - self.max_lines
        if extra > 0:
            drop = max(extra, self.max_lines // 10)  # drop in blocks: one full re-wrap per block
            del self.lines[:drop]
            self._width = 0  # forces a full wrap on the next layout

    # ---- layout ------------------------------------------------------------------------------
    def text(self) -> str:
        """Everything as plain text (what a selection copies)."""
        return "\n".join("".join(t for t, _ in line) for line in self.lines)

    def wrap(self, width: int) -> list[list[Run]]:
        """The visual rows for ``width`` cells."""
        width = max(1, width)
        if width != self._width:
            self._width = width
            self._visual = []
            self._starts = []
            self._rewrap_from(0)
        return self._visual

    def visual_text(self, width: int) -> list[str]:
        return ["".join(t for t, _ in row) for row in self.wrap(width)]

    def _rewrap_from(self, index: int) -> None:
        if not self._width:
            return
        if index < len(self._starts):
            del self._visual[self._starts[index]:]
            del self._starts[index:]
        for line in self.lines[len(self._starts):]:
            self._starts.append(len(self._visual))
            self._visual.extend(fold(line, self._width))


def _runs(chars: list[tuple[str, str]]) -> list[Run]:
    out: list[Run] = []
    for ch, s in chars:
        if out and out[-1][1] == s:
            out[-1] = (out[-1][0] + ch, s)
        else:
            out.append((ch, s))
    return out


def fold(line: list[Run], width: int) -> list[list[Run]]:
    """Split a line into rows of at most ``width`` cells, as a terminal wraps (a wide character never splits)."""
    rows: list[list[Run]] = [[]]
    used = 0
    for text, stream in line:
        if text.isascii():  # the common case: one cell per character, slice instead of walking
            start = 0
            while start < len(text):
                room = width - used
                if room <= 0:
                    rows.append([])
                    used = 0
                    room = width
                piece = text[start:start + room]
                rows[-1].append((piece, stream))
                used += len(piece)
                start += len(piece)
            continue
        start = 0
        for k, ch in enumerate(text):
            w = get_character_cell_size(ch)
            if used + w > width and used > 0:
                if k > start:
                    rows[-1].append((text[start:k], stream))
                rows.append([])
                used = 0
                start = k
            used += w
        if start < len(text):
            rows[-1].append((text[start:], stream))
    return rows
