"""A quiz answered inline in the Lesson pane: choices as buttons, several as checkboxes, or typed.

The pane does not judge; it posts :class:`QuizView.Answered` with a choice
index, a list of them or the typed text, and shows the feedback the session
returns. Choice texts come from lesson files and are drawn as plain Content.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Static

from tui.app.stepview import StepView


class QuizView(Vertical):
    """The answer controls of one quiz step and the feedback to the last answer."""

    DEFAULT_CSS = """
    QuizView {
        height: auto;
        padding: 0 1;
        & > Button { width: 1fr; margin: 0 0 0 0; content-align-horizontal: left; text-align: left; }
        & > Checkbox { width: 1fr; background: $surface; border: none; padding: 0; }
        & > Input { margin: 0; }
        & > #quiz-feedback { height: auto; margin: 1 0 0 0; }
        & > #quiz-feedback.-correct { color: $text-success; }
        & > #quiz-feedback.-wrong { color: $text-warning; }
    }
    """

    can_focus: ClassVar[bool] = False

    class Answered(Message):
        """The learner answered: a choice index, several indices, or typed text."""

        def __init__(self, value: int | list[int] | str) -> None:
            super().__init__()
            self.value = value

    def __init__(self, view: StepView, *, answer_label: str = "Answer", placeholder: str = "",
                 id: str | None = None, classes: str | None = None) -> None:  # noqa: A002 - Textual's keyword
        super().__init__(id=id, classes=classes)
        self.view = view
        self._answer_label = answer_label
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        v = self.view
        if v.typed:
            yield Input(placeholder=self._placeholder, id="quiz-input")
        elif v.multiple:
            for k, c in enumerate(v.choices):
                yield Checkbox(Content(f"{c.letter}) {c.text}"), id=f"quiz-check-{k}")
            yield Button(Content(self._answer_label), id="quiz-submit", compact=True, variant="primary")
        else:
            for k, c in enumerate(v.choices):
                yield Button(Content(f"{c.letter}) {c.text}"), id=f"quiz-choice-{k}", compact=True)
        yield Static(Content(""), id="quiz-feedback")

    def on_mount(self) -> None:
        options = getattr(self.app, "options", None)
        if options is not None and not getattr(options, "blink", True):
            for box in self.query(Input):
                box.cursor_blink = False

    def show_feedback(self, correct: bool, feedback: str) -> None:
        fb = self.query_one("#quiz-feedback", Static)
        mark = "✓ " if correct else "✗ "
        fb.update(Content(mark + feedback))
        fb.set_class(correct, "-correct")
        fb.set_class(not correct, "-wrong")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        bid = event.button.id or ""
        if bid.startswith("quiz-choice-"):
            self.post_message(self.Answered(int(bid.rsplit("-", 1)[1])))
        elif bid == "quiz-submit":
            picked = [k for k, _ in enumerate(self.view.choices)
                      if self.query_one(f"#quiz-check-{k}", Checkbox).value]
            self.post_message(self.Answered(picked))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.post_message(self.Answered(event.value))
