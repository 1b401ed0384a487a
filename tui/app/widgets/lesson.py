"""The Lesson pane: the step's narrative, its commands, hints, quiz, check status and the step list.

The narrative is the one place where lesson text is rendered as Markdown;
everything else from the lesson (commands, choices, titles) is plain
Content. The pane posts messages for what the learner asks (insert a
command, answer, go to a step, next/back/hint/check) and the screen answers
by calling the ``show_*`` methods with what the session says.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Static

from tui.app.i18n import t
from tui.app.stepview import StepItem, StepView
from tui.app.widgets.command_chip import CommandChip
from tui.app.widgets.quiz import QuizView
from tui.app.widgets.step_list import StepList


class LessonPane(Vertical):
    """Everything about the current step."""

    DEFAULT_CSS = """
    LessonPane {
        background: $surface;
        & #lesson-heading { height: auto; padding: 0 1; color: $text-accent; text-style: bold; }
        & #lesson-scroll { height: 1fr; scrollbar-size-vertical: 1; }
        & #lesson-md-placeholder { height: auto; }
        & #lesson-md { margin: 0; padding: 0 1; background: $surface; }
        & #lesson-md MarkdownH1 { content-align: left middle; }
        & #lesson-check.-empty { display: none; }
        & #lesson-commands { height: auto; margin: 0 0 1 0; }
        & .lesson-commands-title { color: $text-muted; padding: 0 1; }
        & #lesson-hints { height: auto; }
        & .lesson-hint { margin: 0 1; padding: 0 1; border-left: thick $warning; background: $warning 10%; }
        & #lesson-capture { height: auto; padding: 0 1; color: $text-muted; }
        & #lesson-check { height: auto; padding: 0 1; color: $text-muted; }
        & #lesson-check.-passed { color: $text-success; }
        & #lesson-check.-failed { color: $text-warning; }
        & #lesson-buttons { height: 1; margin: 0 0 0 1; }
        & #lesson-buttons Button { margin: 0 1 0 0; min-width: 6; }
        & StepList { border-top: solid $panel-lighten-2; }
    }
    """

    can_focus: ClassVar[bool] = False

    class Request(Message):
        """A button: ``next``, ``back``, ``hint`` or ``check``."""

        def __init__(self, what: str) -> None:
            super().__init__()
            self.what = what

    def __init__(self, lang: str = "en", *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.lang = lang
        self.view: StepView | None = None

    def compose(self) -> ComposeResult:
        yield Static(Content(t(self.lang, "lesson.loading")), id="lesson-heading")
        with VerticalScroll(id="lesson-scroll"):
            yield Static(Content(""), id="lesson-md-placeholder")
            yield Vertical(id="lesson-commands")
            yield Static(Content(""), id="lesson-capture")
            yield Vertical(id="lesson-quiz-box")
            yield Vertical(id="lesson-hints")
        yield Static(Content(""), id="lesson-check", classes="-empty")
        with Horizontal(id="lesson-buttons"):
            yield Button(Content("◀ " + t(self.lang, "lesson.back")), id="btn-back", compact=True)
            yield Button(Content(t(self.lang, "lesson.hint_button")), id="btn-hint", compact=True)
            yield Button(Content(t(self.lang, "lesson.check")), id="btn-check", compact=True)
            yield Button(Content(t(self.lang, "lesson.next") + " ▶"), id="btn-next", compact=True,
                         variant="primary")
        yield StepList(self.lang, id="lesson-steps")

    # ---- showing -------------------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        """Before a lesson is loaded (or when it cannot be): one line of plain text."""
        self.query_one("#lesson-heading", Static).update(Content(text))

    def show_step(self, view: StepView, items: list[StepItem], done_commands: set[str] | None = None) -> None:
        previous = self.view
        self.view = view
        from tui.app.cjkwrap import CjkWrapped, has_wide

        heading = Content.assemble((t(self.lang, "lesson.step", n=view.index + 1, total=view.total), "$text-muted"),
                                   "  ", view.title)
        self.query_one("#lesson-heading", Static).update(CjkWrapped(heading) if has_wide(heading.plain) else heading)
        same_step = previous is not None and previous.index == view.index and previous.kind == view.kind
        if not same_step or previous is None or previous.markdown != view.markdown:
            self._show_markdown(view.markdown)
            self.query_one("#lesson-scroll", VerticalScroll).scroll_home(animate=False)
        self._show_commands(view, done_commands or set(), rebuild=not same_step)
        capture = t(self.lang, "lesson.capture", where=view.capture) if view.capture else ""
        self.query_one("#lesson-capture", Static).update(Content(capture))
        if not same_step:
            self._show_quiz(view)
        self._show_hints(view, rebuild=not same_step)
        if not same_step:
            self.show_check(None, "")
        self.query_one(StepList).show(items)

    def _show_markdown(self, text: str) -> None:
        # Textual's Markdown (and markdown-it) cost ~0.1 s to import: not before the first frame.
        from tui.app.cjkwrap import LessonMarkdown as Markdown

        found = self.query("#lesson-md")
        if found:
            found.first(Markdown).update(text)
            return
        placeholder = self.query_one("#lesson-md-placeholder", Static)
        self.query_one("#lesson-scroll", VerticalScroll).mount(
            Markdown(text, id="lesson-md", open_links=False), before=placeholder)
        placeholder.remove()

    def _show_commands(self, view: StepView, done: set[str], *, rebuild: bool) -> None:
        box = self.query_one("#lesson-commands", Vertical)
        if rebuild:
            box.remove_children()
            if view.commands:
                box.mount(Static(Content(t(self.lang, "lesson.run")), classes="lesson-commands-title"))
                tip = t(self.lang, "lesson.click_to_insert")
                box.mount_all(CommandChip(c, tooltip=tip, done=" ".join(c.split()) in done) for c in view.commands)
        else:
            for chip in box.query(CommandChip):
                chip.set_class(" ".join(chip.line.split()) in done, "-done")

    def _show_quiz(self, view: StepView) -> None:
        box = self.query_one("#lesson-quiz-box", Vertical)
        box.remove_children()
        if view.kind == "quiz":
            box.mount(QuizView(view, answer_label=t(self.lang, "quiz.answer"),
                               placeholder=t(self.lang, "quiz.placeholder"), classes="lesson-quiz"))

    def _show_hints(self, view: StepView, *, rebuild: bool) -> None:
        box = self.query_one("#lesson-hints", Vertical)
        shown = list(box.query(".lesson-hint"))
        if rebuild or len(shown) > len(view.hints):
            box.remove_children()
            shown = []
        from tui.app.cjkwrap import LessonMarkdown as Markdown

        for k in range(len(shown), len(view.hints)):
            md = Markdown(f"**{t(self.lang, 'lesson.hint', n=k + 1)}** · {view.hints[k]}", classes="lesson-hint",
                          open_links=False)
            box.mount(md)
            self.call_after_refresh(self.query_one("#lesson-scroll", VerticalScroll).scroll_end, animate=False)

    def show_check(self, passed: bool | None, message: str) -> None:
        check = self.query_one("#lesson-check", Static)
        check.set_class(passed is None and not message, "-empty")
        if passed is None:
            check.update(Content(message))
        else:
            mark = "✓ " if passed else "✗ "
            word = t(self.lang, "lesson.check.passed" if passed else "lesson.check.failed")
            check.update(Content(f"{mark}{t(self.lang, 'lesson.check')}: {word} — {message}"))
        check.set_class(passed is True, "-passed")
        check.set_class(passed is False, "-failed")

    def show_quiz_feedback(self, correct: bool, feedback: str) -> None:
        for quiz in self.query(QuizView):
            quiz.show_feedback(correct, feedback)

    # ---- events --------------------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        bid = event.button.id or ""
        if bid.startswith("btn-"):
            event.stop()
            self.post_message(self.Request(bid.removeprefix("btn-")))
