"""The Console pane: a terminal-like prompt over the learner's simulated shell.

The pane only shows and collects text; the screen runs the command through
the session and feeds the output back in batches. The prompt is drawn as
plain :class:`~textual.content.Content` (a hostname is never markup) and
vanishes while a command runs, as a real terminal's does.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from tui.app.widgets.console_output import ConsoleOutput
from tui.app.widgets.prompt_input import PromptInput


class ConsolePane(Vertical):
    """Scrollback above, prompt and command line below."""

    DEFAULT_CSS = """
    ConsolePane {
        height: 1fr;
        & #console-prompt-row { height: 1; }
        & #console-prompt { width: auto; color: $text-success; text-style: bold; }
        & #console-prompt.-busy { display: none; }
    }
    """

    can_focus: ClassVar[bool] = False

    class CommandEntered(Message):
        """The learner pressed Enter on a line."""

        def __init__(self, line: str) -> None:
            super().__init__()
            self.line = line

    class InterruptRequested(Message):
        """Ctrl-C in the console."""

        def __init__(self, line: str) -> None:
            super().__init__()
            self.line = line

    def __init__(self, *, placeholder: str = "", busy_placeholder: str = "", id: str | None = None,  # noqa: A002
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._placeholder = placeholder
        self._busy_placeholder = busy_placeholder
        self._busy = False

    def compose(self) -> ComposeResult:
        yield ConsoleOutput(id="console-output")
        with Horizontal(id="console-prompt-row"):
            yield Static(Content(""), id="console-prompt")
            yield PromptInput(placeholder=self._placeholder, id="console-input")

    # ---- parts ---------------------------------------------------------------------------------
    @property
    def output(self) -> ConsoleOutput:
        return self.query_one(ConsoleOutput)

    @property
    def input(self) -> PromptInput:
        return self.query_one(PromptInput)

    @property
    def busy(self) -> bool:
        return self._busy

    def set_prompt(self, prompt: str) -> None:
        self.query_one("#console-prompt", Static).update(Content(prompt))

    def set_placeholders(self, placeholder: str, busy_placeholder: str) -> None:
        self._placeholder = placeholder
        self._busy_placeholder = busy_placeholder
        self.input.placeholder = busy_placeholder if self._busy else placeholder

    def set_busy(self, busy: bool) -> None:
        """While a command runs the prompt hides and the line shows how to stop it."""
        self._busy = busy
        self.query_one("#console-prompt", Static).set_class(busy, "-busy")
        self.input.placeholder = self._busy_placeholder if busy else self._placeholder

    def insert_command(self, line: str) -> None:
        """Put a command on the line (from the lesson) without running it, and focus the line."""
        self.input.value = line
        self.input.cursor_position = len(line)
        self.input.focus()

    # ---- events --------------------------------------------------------------------------------
    def on_input_submitted(self, event: PromptInput.Submitted) -> None:
        event.stop()
        line = event.value
        self.input.add_history(line)
        self.input.value = ""
        self.post_message(self.CommandEntered(line))

    def on_prompt_input_pasted_lines(self, event: PromptInput.PastedLines) -> None:
        event.stop()
        for line in event.lines:
            self.input.add_history(line)
            self.post_message(self.CommandEntered(line))

    def on_prompt_input_interrupt(self, event: PromptInput.Interrupt) -> None:
        event.stop()
        self.post_message(self.InterruptRequested(event.line))

    def on_prompt_input_clear_screen(self, event: PromptInput.ClearScreen) -> None:
        event.stop()
        self.output.clear()

    def on_prompt_input_candidates(self, event: PromptInput.Candidates) -> None:
        event.stop()
        width = max(len(c) for c in event.candidates) + 2
        cols = max(1, (self.output.size.width or 80) // width)
        rows = [event.candidates[i:i + cols] for i in range(0, len(event.candidates), cols)]
        listing = "\n".join("".join(c.ljust(width) for c in row).rstrip() for row in rows)
        self.output.write_local(listing + "\n")

    def on_key(self, event: events.Key) -> None:
        # typing while the scrollback has focus goes to the command line, as in a terminal
        if self.screen.focused is self.output and event.is_printable and event.character:
            event.stop()
            self.input.focus()
            self.input.insert_text_at_cursor(event.character)
