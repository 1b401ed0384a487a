"""Chinese lesson text breaks between characters, as a reader of Chinese expects, not only at spaces."""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.content import Content

from tui.app.cjkwrap import (
    CjkWrapped,
    LessonMarkdown,
    break_offsets,
    close_soft_gaps,
    has_wide,
    wrap_content,
)

TEXT = ("先恢复笔记里的环境：overlay 网络 my-swarm-net、服务 test，先扩到两个任务，再扩到三个。"
        "第三个任务落在本节点上，容器 559，地址 10.0.1.7，笔记最后那个 ping 就是从它发出的。")


def lines_at(text: str, width: int) -> list[str]:
    return wrap_content(Content(text), width).plain.split("\n")


def test_lines_are_filled_and_never_longer_than_the_width() -> None:
    for width in (12, 20, 36, 61):
        lines = lines_at(TEXT, width)
        assert "".join(lines).replace(" ", "") == TEXT.replace(" ", "")
        assert all(cell_len(line) <= width for line in lines)
        # a break is only ever moved back by one ASCII word or a punctuation pair, never a whole CJK run
        assert all(cell_len(line) >= width - len("my-swarm-net、") * 1 - 2 for line in lines[:-1])


def test_punctuation_keeps_to_its_side() -> None:
    for width in range(6, 40):
        for line in lines_at(TEXT + "「引号」（括号）", width):
            assert line[:1] not in "，。、：；！？）」", (width, line)
            assert line[-1:] not in "（「", (width, line)


def test_ascii_words_break_at_spaces_only_and_newlines_stay() -> None:
    assert lines_at("hello world foo", 5) == ["hello", "world", "foo"]
    assert lines_at("网络\n第二行", 20) == ["网络", "第二行"]
    assert break_offsets("abcdefghij", 4) == [4, 8]  # a word longer than the line is folded
    assert not has_wide("plain English") and has_wide(TEXT)


def test_a_soft_line_break_between_chinese_characters_leaves_no_space() -> None:
    styled = Content.from_markup("再扩到[b]三个。[/b] 第三个 test 任务 ok")
    closed = close_soft_gaps(styled)
    assert closed.plain == "再扩到三个。第三个 test 任务 ok"
    assert [(s.start, s.end) for s in closed.spans] == [(3, 6)]  # the bold run moved with its text


class Page(App[None]):
    def compose(self) -> ComposeResult:
        yield LessonMarkdown(TEXT + "\n\nplain English text keeps Textual's own wrapping")


async def test_lesson_markdown_lays_chinese_paragraphs_out_with_these_breaks() -> None:
    app = Page()
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.pause()
        paragraphs = list(app.query("CjkParagraph"))
        visuals = [p.render() for p in paragraphs]
        assert isinstance(visuals[0], CjkWrapped) and not isinstance(visuals[1], CjkWrapped)
        width = paragraphs[0].content_region.width
        assert paragraphs[0].size.height == len(lines_at(TEXT, width))


async def test_a_chinese_step_title_breaks_like_the_text_under_it(tmp_path) -> None:  # noqa: ANN001
    from textual.widgets import Static

    from tui.app.app import create_app

    app = create_app("overlay-service", lang="zh", home=str(tmp_path), time_scale=0)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = app.screen
        for _ in range(200):
            await pilot.pause(0.05)
            if getattr(screen, "session", None) is not None:
                break
        await pilot.pause()
        heading = screen.query_one("#lesson-heading", Static)
        visual = heading.visual
        assert isinstance(visual, CjkWrapped)
        width = heading.content_region.width
        assert heading.size.height == len(wrap_content(visual.content, width).plain.split("\n"))
