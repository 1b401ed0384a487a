"""Elastic-tabstop column alignment, as docker/cli prints every `table` output.

docker/cli carries its own copy of Go's `text/tabwriter` that measures cells with
go-runewidth (East Asian wide characters count 2), and calls it as
`NewWriter(out, minwidth, 1, 3, ' ', 0)`. Its quirks are what learners see, so they are
kept: every tab-terminated cell is padded (even an empty one, hence trailing spaces on
rows whose last columns are empty), the text after the last tab of a line is never
padded, and a column only spans *contiguous* lines that have a cell in it, so a line
with fewer cells starts a new column block.

Not carried over (docker never sets them): the Escape character and FilterHTML.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

MINWIDTH_2010 = 10  # docker/cli >= 20.10: "reduce minimum width for columns"
MINWIDTH_1903 = 20  # docker/cli <= 19.03

# Flag bits, same values as Go's text/tabwriter.
ALIGN_RIGHT = 1 << 2
DISCARD_EMPTY_COLUMNS = 1 << 3
TAB_INDENT = 1 << 4
DEBUG = 1 << 5
_UNSUPPORTED = (1 << 0) | (1 << 1)  # FilterHTML, StripEscape

# go-runewidth's `nonprint` table (ranges above U+02FF; the lower ones are handled inline).
_NONPRINT = (
    (0x070F, 0x070F), (0x180B, 0x180E), (0x200B, 0x200F), (0x2028, 0x202E),
    (0x206A, 0x206F), (0xD800, 0xDFFF), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB),
    (0xFFFE, 0xFFFF),
)  # fmt: skip


def _in_ranges(cp: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


def _is_variation_selector(cp: int) -> bool:
    return 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF or 0x180B <= cp <= 0x180D or cp == 0x180F


def rune_width(ch: str) -> int:
    """Display cells of one code point, go-runewidth's rules for a non-CJK locale.

    Control characters and zero-width/combining marks take 0 cells, East Asian Wide and
    Fullwidth take 2, everything else (East Asian Ambiguous included) takes 1.
    """
    cp = ord(ch)
    if cp < 0x20 or 0x7F <= cp <= 0x9F or cp == 0xAD:
        return 0
    if cp < 0x300:
        return 1
    eaw = unicodedata.east_asian_width(ch)
    if eaw == "Na":
        return 1
    if _in_ranges(cp, _NONPRINT) or _is_variation_selector(cp):
        return 0
    if unicodedata.category(ch) in ("Mn", "Me"):
        return 0
    if eaw in ("W", "F"):
        return 2
    return 1


def _extends_cluster(prev: str, ch: str) -> bool:
    """Approximation of UAX #29: does `ch` belong to the grapheme cluster ending in `prev`?"""
    cp = ord(ch)
    if prev == "\r" and ch == "\n":
        return True
    if unicodedata.category(ch) in ("Mn", "Me", "Mc") or cp == 0x200D or _is_variation_selector(cp):
        return True
    if 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F:  # emoji modifiers, tag characters
        return True
    return ord(prev) == 0x200D and unicodedata.east_asian_width(ch) == "W"  # ZWJ sequence


def string_width(text: str) -> int:
    """Display cells of a string as go-runewidth's StringWidth counts them.

    Each grapheme cluster counts the width of its first non-zero-width code point, so an
    accent or an emoji ZWJ sequence does not add to the width of its base character.
    """
    width = 0
    cluster_width = 0
    regional = 0
    prev = ""
    for ch in text:
        cp = ord(ch)
        is_ri = 0x1F1E6 <= cp <= 0x1F1FF
        joins = bool(prev) and (_extends_cluster(prev, ch) or (is_ri and regional % 2 == 1))
        if not joins:
            width += cluster_width
            cluster_width = 0
        regional = regional + 1 if is_ri else 0
        if cluster_width == 0:
            cluster_width = rune_width(ch)
        prev = ch
    return width + cluster_width


@dataclass
class _Cell:
    text: str
    width: int
    htab: bool  # terminated by '\t' (a "hard" tab) rather than '\v'


class TabWriter:
    """Go's `tabwriter.Writer` with docker's width function; output is returned, not written.

    `write` may be called with any fragments of text; `flush` formats whatever is still
    buffered and returns all output produced since the previous `flush` (Go's writer also
    flushes on its own after a line with a single cell and on '\\f').
    """

    def __init__(
        self,
        minwidth: int = MINWIDTH_2010,
        tabwidth: int = 1,
        padding: int = 3,
        padchar: str = " ",
        flags: int = 0,
    ) -> None:
        if minwidth < 0 or tabwidth < 0 or padding < 0:
            raise ValueError("negative minwidth, tabwidth, or padding")
        if len(padchar) != 1:
            raise ValueError("padchar must be a single character")
        if flags & _UNSUPPORTED:
            raise ValueError("FilterHTML and StripEscape are not supported")
        self.minwidth = minwidth
        self.tabwidth = tabwidth
        self.padding = padding
        self.padchar = padchar
        self.flags = flags & ~ALIGN_RIGHT if padchar == "\t" else flags
        self._out: list[str] = []
        self._reset()

    def _reset(self) -> None:
        self._lines: list[list[_Cell]] = [[]]
        self._cell: list[str] = []
        self._widths: list[int] = []

    # -- input ------------------------------------------------------------------------

    def write(self, text: str) -> None:
        """Split text into cells; '\\t' and '\\v' end a cell, '\\n' and '\\f' end a line."""
        start = 0
        for i, ch in enumerate(text):
            if ch not in "\t\v\n\f":
                continue
            self._cell.append(text[start:i])
            start = i + 1
            ncells = self._terminate_cell(htab=ch == "\t")
            if ch in "\n\f":
                self._lines.append([])
                if ch == "\f" or ncells == 1:
                    # A single-cell line cannot affect later columns: Go flushes here.
                    self._flush_buffered()
                    if ch == "\f" and self.flags & DEBUG:
                        self._out.append("---\n")
        self._cell.append(text[start:])

    def _terminate_cell(self, htab: bool) -> int:
        text = "".join(self._cell)
        self._cell = []
        line = self._lines[-1]
        line.append(_Cell(text, string_width(text), htab))
        return len(line)

    # -- output -----------------------------------------------------------------------

    def flush(self) -> str:
        """Format everything still buffered and return all output not yet returned."""
        self._flush_buffered()
        out = "".join(self._out)
        self._out = []
        return out

    def _flush_buffered(self) -> None:
        pending = "".join(self._cell)
        if pending:
            # Go terminates the trailing cell without measuring it: as the last cell of
            # its line it never belongs to a column, so its width does not matter.
            self._lines[-1].append(_Cell(pending, 0, False))
            self._cell = []
        self._format(0, len(self._lines))
        self._reset()

    def _format(self, line0: int, line1: int) -> None:
        """Emit lines [line0, line1), sizing the column at depth len(self._widths)."""
        column = len(self._widths)
        this = line0
        while this < line1:
            if column >= len(self._lines[this]) - 1:
                this += 1
                continue
            # This line has a cell in `column`: print what precedes the block, then
            # size the block made of the contiguous lines that have a cell there.
            self._write_lines(line0, this)
            line0 = this
            width = self.minwidth
            discardable = True
            while this < line1 and column < len(self._lines[this]) - 1:
                cell = self._lines[this][column]
                width = max(width, cell.width + self.padding)
                if cell.width > 0 or cell.htab:
                    discardable = False
                this += 1
            if discardable and self.flags & DISCARD_EMPTY_COLUMNS:
                width = 0
            self._widths.append(width)
            self._format(line0, this)
            self._widths.pop()
            line0 = this
            # Go's loop re-examines from the line after the block's end; the line that
            # ended the block has too few cells to open a new one at this depth.
            this += 1
        self._write_lines(line0, line1)

    def _padding(self, textw: int, cellw: int, use_tabs: bool) -> str:
        if self.padchar == "\t" or use_tabs:
            if self.tabwidth == 0:
                return ""
            cellw = -(-cellw // self.tabwidth) * self.tabwidth
            return "\t" * -(-(cellw - textw) // self.tabwidth)
        return self.padchar * (cellw - textw)

    def _write_lines(self, line0: int, line1: int) -> None:
        out = self._out
        for i in range(line0, line1):
            line = self._lines[i]
            use_tabs = bool(self.flags & TAB_INDENT)
            for j, cell in enumerate(line):
                if j > 0 and self.flags & DEBUG:
                    out.append("|")
                padded = j < len(self._widths)
                if not cell.text:
                    if padded:
                        out.append(self._padding(cell.width, self._widths[j], use_tabs))
                    continue
                use_tabs = False
                pad = self._padding(cell.width, self._widths[j], False) if padded else ""
                if self.flags & ALIGN_RIGHT:
                    out.append(pad + cell.text)
                else:
                    out.append(cell.text + pad)
            if i + 1 < len(self._lines):
                out.append("\n")


def tabulate(rows: list[list[str]], minwidth: int = MINWIDTH_2010, padding: int = 3) -> str:
    """Align rows the way docker prints a table: cells joined by tabs, one line per row."""
    tw = TabWriter(minwidth=minwidth, padding=padding)
    for row in rows:
        tw.write("\t".join(row) + "\n")
    return tw.flush()
