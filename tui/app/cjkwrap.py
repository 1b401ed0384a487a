"""Line breaking for Chinese (and other CJK) text in the lesson's Markdown.

Textual wraps a paragraph only at spaces (Rich's ``divide_line``), so in a zh
paragraph a long run of Han characters goes whole onto the next line and leaves
a ragged gap behind. CJK text may break between any two characters, except
before closing punctuation (，。：；！？、）」 …) and after opening punctuation
(（「《 …): the basic kinsoku rules. :func:`break_offsets` finds those breaks
for a width; :class:`CjkWrapped` is a Textual visual that lays its content out
with them at whatever width it is drawn, so heights stay right on resize.

Text without wide characters is left to Textual as it is.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from rich.cells import get_character_cell_size
from textual.content import Content
from textual.visual import Visual
from textual.widgets import Markdown

if TYPE_CHECKING:
    from textual.css.styles import RulesMap
    from textual.strip import Strip
    from textual.style import Style
    from textual.visual import RenderOptions

# never at the start of a line (closing marks) / never at the end of one (opening marks)
NO_LINE_START = frozenset("，。、；：！？）」』》〉】〕”’…—·,.;:!?)]}%")
NO_LINE_END = frozenset("（「『《〈【〔“‘([{")


def _wide(ch: str) -> bool:
    return get_character_cell_size(ch) == 2


def has_wide(text: str) -> bool:
    """Whether ``text`` holds characters two cells wide (CJK), the only text this module changes."""
    return any(ord(ch) >= 0x1100 and _wide(ch) for ch in text)


def break_offsets(text: str, width: int) -> list[int]:
    """Offsets in ``text`` where lines start when it is wrapped to ``width`` cells.

    Breaks go after spaces (the spaces stay at the end of the line) and between
    two characters when either is wide, unless the kinsoku rules forbid it; a
    run with no allowed break longer than a line is folded at the width.
    Existing newlines end lines as they are.
    """
    if width < 2:
        return []
    offsets: list[int] = []
    line_start = 0
    cells = 0
    last_break = -1  # offset a new line may start at
    prev = "\n"
    for i, ch in enumerate(text):
        if ch == "\n":
            line_start, cells, last_break, prev = i + 1, 0, -1, ch
            continue
        if i > line_start and (
            (prev == " " and ch != " ")
            or ((_wide(prev) or _wide(ch)) and ch != " " and ch not in NO_LINE_START and prev not in NO_LINE_END)
        ):
            last_break = i
        size = get_character_cell_size(ch)
        while cells + size > width and ch != " ":
            cut = last_break if line_start < last_break <= i else i
            if cut == i and (ch in NO_LINE_START or text[i - 1] in NO_LINE_END) and i - 1 > line_start:
                cut = i - 1  # a forced fold still keeps punctuation to its side: take one character along
            if cut <= line_start:
                break  # a single character wider than the line: it stands alone
            offsets.append(cut)
            cells = sum(get_character_cell_size(c) for c in text[cut:i])
            line_start, last_break = cut, -1
        cells += size
        prev = ch
    return offsets


def wrap_content(content: Content, width: int) -> Content:
    """``content`` with newlines at the CJK-aware breaks for ``width`` (trailing spaces dropped)."""
    offsets = break_offsets(content.plain, width)
    if not offsets:
        return content
    return Content("\n").join(line.rstrip(" ") for line in content.divide(offsets))


class CjkWrapped(Visual):
    """A :class:`~textual.content.Content` laid out with :func:`break_offsets` at the width it is drawn."""

    def __init__(self, content: Content) -> None:
        self.content = content
        self._at = lru_cache(maxsize=8)(lambda width: wrap_content(content, width))

    @staticmethod
    def _text_width(width: int, rules: RulesMap) -> int:
        return width - 2 * int(rules.get("line_pad", 0) or 0)

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        laid_out = self._at(self._text_width(width, options.rules))
        return laid_out.render_strips(width, height, style, options)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self.content.get_optimal_width(rules, container_width)

    def get_minimal_width(self, rules: RulesMap) -> int:
        return self.content.get_minimal_width(rules)

    def get_height(self, rules: RulesMap, width: int) -> int:
        return self._at(self._text_width(width, rules)).get_height(rules, width)


_Paragraph = Markdown.BLOCKS["paragraph_open"]  # Textual's paragraph block (public only through BLOCKS)


def close_soft_gaps(content: Content) -> Content:
    """``content`` without the spaces between two wide characters.

    Markdown turns a line break inside a paragraph into a space, which is right
    between English words and wrong between Chinese characters (``三个。 第三个``):
    lesson authors wrap their YAML lines wherever they like.
    """
    text = content.plain
    gaps = [i for i in range(1, len(text) - 1) if text[i] == " " and _wide(text[i - 1]) and _wide(text[i + 1])]
    if not gaps:
        return content
    pieces = content.divide([x for i in gaps for x in (i, i + 1)])
    return Content("").join(pieces[::2])  # every other piece is one of the spaces


class CjkParagraph(_Paragraph):  # type: ignore[misc,valid-type]
    """A Markdown paragraph that breaks CJK lines between characters (see the module docstring)."""

    _wrapped: tuple[object, Visual] | None = None  # (the content it was made from, the visual): made once

    def render(self) -> Visual:  # type: ignore[override]
        visual = super().render()
        if self._wrapped is not None and self._wrapped[0] is visual:
            return self._wrapped[1]
        out: Visual = visual  # type: ignore[assignment]
        if isinstance(visual, Content) and has_wide(visual.plain):
            out = CjkWrapped(close_soft_gaps(visual))
        self._wrapped = (visual, out)
        return out


class LessonMarkdown(Markdown):
    """Textual's Markdown with :class:`CjkParagraph` paragraphs: what lesson text, hints and notes use."""

    BLOCKS = {**Markdown.BLOCKS, "paragraph_open": CjkParagraph}


__all__ = ["CjkParagraph", "CjkWrapped", "LessonMarkdown", "break_offsets", "close_soft_gaps", "has_wide", "wrap_content"]
