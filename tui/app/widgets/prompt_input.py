"""The console's command line: an Input with shell history, Tab completion and Ctrl-C.

Textual's Input has no history and gives Tab to focus changes; a learner at a
prompt expects bash: Up/Down walk the history (the line being typed is kept),
Tab completes (a second Tab lists the candidates), Ctrl-C stops the running
command or abandons the line, Ctrl-L clears the screen, and a paste of several
lines runs them one after the other (Input alone keeps the first). The keys are bound on
the widget so they win over the app's while the learner types.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input

if TYPE_CHECKING:
    from tui.app.completion import Completion


class PromptInput(Input):
    """A single command line with history and completion."""

    DEFAULT_CSS = """
    PromptInput {
        border: none;
        height: 1;
        padding: 0;
        background: $background;
        width: 1fr;
        &:focus { border: none; background: $background; }
        & > .input--placeholder { color: $text-disabled; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "history(-1)", "Previous command", show=False),
        Binding("down", "history(1)", "Next command", show=False),
        Binding("tab", "complete", "Complete", show=False),
        Binding("ctrl+c", "interrupt", "Stop command", show=False, priority=True),
        Binding("ctrl+l", "clear_screen", "Clear", show=False),
    ]

    class Interrupt(Message):
        """Ctrl-C at the prompt: stop the running command (or drop the line)."""

        def __init__(self, line: str) -> None:
            super().__init__()
            self.line = line

    class ClearScreen(Message):
        """Ctrl-L: clear the scrollback."""

    class PastedLines(Message):
        """Several lines pasted at once: each complete line runs, as in a terminal."""

        def __init__(self, lines: list[str]) -> None:
            super().__init__()
            self.lines = lines

    class Candidates(Message):
        """A second Tab on an ambiguous word: show what it could become."""

        def __init__(self, line: str, candidates: tuple[str, ...]) -> None:
            super().__init__()
            self.line = line
            self.candidates = candidates

    def __init__(self, *, placeholder: str = "", id: str | None = None,  # noqa: A002 - Textual's keyword
                 classes: str | None = None) -> None:
        super().__init__(placeholder=placeholder, id=id, classes=classes, select_on_focus=False)
        self.history: list[str] = []
        self._hist_pos: int | None = None
        self._draft = ""
        self.completer: Callable[[str], Completion] | None = None
        self._last_tab: str | None = None

    def on_mount(self) -> None:
        options = getattr(self.app, "options", None)
        if options is not None and not getattr(options, "blink", True):
            self.cursor_blink = False  # steady cursor: screenshots stay the same from run to run

    # ---- history -----------------------------------------------------------------------------
    def add_history(self, line: str) -> None:
        """Remember a submitted line (no consecutive duplicates, no blanks), and reset the walk."""
        if line.strip() and (not self.history or self.history[-1] != line):
            self.history.append(line)
        self._hist_pos = None
        self._draft = ""

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        if self._hist_pos is None:
            if step > 0:
                return
            self._draft = self.value
            pos = len(self.history) - 1
        else:
            pos = self._hist_pos + step
        if pos >= len(self.history):
            self._hist_pos = None
            self._set(self._draft)
            return
        pos = max(0, pos)
        self._hist_pos = pos
        self._set(self.history[pos])

    def _set(self, text: str) -> None:
        self.value = text
        self.cursor_position = len(text)

    # ---- completion --------------------------------------------------------------------------
    def action_complete(self) -> None:
        if self.completer is None:
            return
        from tui.app.completion import apply

        before = self.value[: self.cursor_position]
        after = self.value[self.cursor_position:]
        try:
            completion = self.completer(before)
        except Exception:  # completion must never break typing
            return
        new, single = apply(before, completion)
        if new != before:
            self.value = new + after
            self.cursor_position = len(new)
            # after a partial completion the next Tab lists the candidates, as bash's does
            self._last_tab = None if single else new
            return
        if len(completion.candidates) > 1:
            if self._last_tab == before:  # the second Tab in a row lists them, as bash does
                self.post_message(self.Candidates(before, completion.candidates))
                self._last_tab = None
            else:
                self._last_tab = before
                self.app.bell()

    # ---- paste -------------------------------------------------------------------------------
    def _on_paste(self, event: events.Paste) -> None:
        """Text with line breaks runs line by line, as a terminal does; the last, unfinished line stays.

        (Textual's Input keeps only the first line of a paste: the other commands would be lost.)
        """
        text = event.text.replace("\r\n", "\n").replace("\r", "\n")
        if "\n" not in text:
            super()._on_paste(event)
            return
        event.stop()
        event.prevent_default()
        *complete, rest = text.split("\n")
        start, end = sorted(self.selection)
        complete[0] = self.value[:start] + complete[0] + self.value[end:]  # the first one joins the line typed so far
        self.value = rest
        self.cursor_position = len(rest)
        self._hist_pos = None
        self.post_message(self.PastedLines(complete))

    # ---- control keys ------------------------------------------------------------------------
    def action_interrupt(self) -> None:
        if self.selected_text:
            self.action_copy()
            return
        line = self.value
        self.value = ""
        self._hist_pos = None
        self.post_message(self.Interrupt(line))

    def action_clear_screen(self) -> None:
        self.post_message(self.ClearScreen())
