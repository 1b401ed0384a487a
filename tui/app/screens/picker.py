"""The lesson picker: every lesson with its title, length, objectives and the learner's progress.

Lesson files are parsed in a worker after the first frame. Choosing a lesson
opens it where the learner left off (the session resumes from the saved
progress). Titles and objectives come from lesson files and are drawn as
plain Content.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from tui.app.i18n import t
from tui.app.options import PlayOptions
from tui.app.widgets.status_bar import StatusBar


@dataclass(frozen=True)
class LessonCard:
    """What the picker shows of one lesson."""

    ref: str
    id: str
    title: str
    summary: str
    minutes: int
    steps: int
    objectives: tuple[str, ...]
    done: int
    current: int
    complete: bool
    started: bool
    error: str = ""
    updated: str = ""  # when the learner last worked on it (ISO 8601, UTC)


def read_cards(options: PlayOptions, lang: str) -> list[LessonCard]:
    """Every lesson of the catalog with the learner's progress (slow: run it in a worker)."""
    from tui.lesson.catalog import catalog
    from tui.lesson.progress import ProgressStore

    store = ProgressStore(options.home_dir)
    store.load()
    cards: list[LessonCard] = []
    for entry in catalog(lint=False):
        lesson = entry.lesson
        if lesson is None:
            cards.append(LessonCard(str(entry.path), entry.id, entry.title(lang), "", 0, 0, (), 0, 0, False, False,
                                    error=str(entry.error.first) if entry.error else "error"))
            continue
        prog = store.get(lesson.id)
        steps = len(lesson.steps)
        done = len({i for i in (prog.completed if prog else []) if 0 <= i < steps})
        cards.append(LessonCard(
            ref=str(entry.path),
            id=lesson.id,
            title=lesson.text(lesson.title, lang),
            summary=lesson.text(lesson.summary, lang),
            minutes=lesson.estimated_minutes,
            steps=steps,
            objectives=tuple(lesson.text(o, lang) for o in lesson.objectives),
            done=done,
            current=prog.current if prog else 0,
            complete=bool(prog and prog.done),
            started=bool(prog and (prog.sessions or prog.completed)),
            updated=(prog.updated or "") if prog else "",
        ))
    return cards


def progress_text(card: LessonCard, lang: str) -> str:
    if card.complete:
        return t(lang, "picker.complete")
    if not card.started:
        return t(lang, "picker.new")
    return t(lang, "picker.progress", done=card.done, total=card.steps)


def card_option(card: LessonCard, lang: str) -> Option:
    if card.error:
        return Option(Content.assemble((card.title, "$text-error")), id=card.ref)
    bar_len = 10
    filled = round(bar_len * card.done / card.steps) if card.steps else 0
    bar = "█" * filled + "░" * (bar_len - filled)
    return Option(Content.assemble(
        (card.title, "bold"), "\n",
        (bar, "$text-success" if card.complete else "$text-accent"), " ",
        (progress_text(card, lang), "$text-muted"), "  ",
        (t(lang, "lesson.minutes", n=card.minutes), "$text-muted"),
    ), id=card.ref)


class PickerScreen(Screen[None]):
    """Choose a lesson (Enter opens it where you left off)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", key_display="⏎", priority=True),
        Binding("f1,question_mark", "app.help", "Help", key_display="F1"),
    ]

    DEFAULT_CSS = """
    PickerScreen {
        & #picker-body { height: 1fr; }
        & #picker-list {
            width: 2fr; height: 1fr; border: round $accent; border-title-color: $text-accent;
            background: $surface;
            & > .option-list--option { padding: 0 1; }
        }
        & #picker-detail {
            width: 3fr; height: 1fr; border: round $panel-lighten-2; padding: 0 1; background: $surface;
        }
        & #picker-detail-title { text-style: bold; color: $text-accent; }
        & #picker-detail-summary { margin: 1 0; }
        & .picker-heading { color: $text-muted; text-style: bold; }
        & #picker-message { padding: 1 2; color: $text-muted; }
    }
    """

    class Open(Message):
        """The learner chose a lesson (``ref`` is its file)."""

        def __init__(self, ref: str) -> None:
            super().__init__()
            self.ref = ref

    def __init__(self, options: PlayOptions) -> None:
        super().__init__()
        self.options = options
        self.lang = options.lang
        self.cards: list[LessonCard] = []
        self._translate_bindings()

    def _translate_bindings(self) -> None:
        """The footer speaks the learner's language."""
        from dataclasses import replace

        words = {"open": "picker.open", "app.help": "key.help"}
        table = self._bindings.key_to_bindings
        for key, bindings in table.items():
            table[key] = [replace(b, description=t(self.lang, words[b.action])) if b.action in words else b
                          for b in bindings]

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(Content(t(self.lang, "picker.loading")), id="picker-message")
        with Horizontal(id="picker-body"):
            yield OptionList(id="picker-list")
            with VerticalScroll(id="picker-detail"):
                yield Static(Content(""), id="picker-detail-title")
                yield Static(Content(""), id="picker-detail-meta")
                yield Static(Content(""), id="picker-detail-summary")
                yield Static(Content(""), id="picker-detail-objectives")
        yield Footer(compact=True, show_command_palette=True)

    def on_mount(self) -> None:
        self.query_one(StatusBar).set_parts(Content.assemble(("overlaylab", "bold $text-accent"), " · ",
                                                             t(self.lang, "picker.title")), Content(""))
        lst = self.query_one("#picker-list", OptionList)
        lst.border_title = t(self.lang, "picker.title")
        lst.focus()
        self.call_after_refresh(self.reload)

    def reload(self) -> None:
        self.run_worker(lambda: read_cards(self.options, self.lang), thread=True, exclusive=True, group="cards",
                        exit_on_error=False, name="read-lessons")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "cards":
            return
        if event.state == WorkerState.SUCCESS:
            self.show_cards(event.worker.result or [])
        elif event.state == WorkerState.ERROR:
            self.query_one("#picker-message", Static).update(Content(str(event.worker.error)))

    def show_cards(self, cards: list[LessonCard]) -> None:
        self.cards = cards
        message = self.query_one("#picker-message", Static)
        message.update(Content(t(self.lang, "picker.empty") if not cards else ""))
        message.display = not cards
        lst = self.query_one("#picker-list", OptionList)
        lst.clear_options()
        lst.add_options([card_option(c, self.lang) for c in cards])
        if cards:
            # resume: the lesson worked on most recently and not finished, else the first
            started = [i for i, c in enumerate(cards) if c.started and not c.complete]
            lst.highlighted = max(started, key=lambda i: cards[i].updated) if started else 0
            self._show_detail(cards[lst.highlighted or 0])

    def _show_detail(self, card: LessonCard) -> None:
        lang = self.lang
        self.query_one("#picker-detail-title", Static).update(Content(card.title))
        if card.error:
            self.query_one("#picker-detail-meta", Static).update(Content(card.error))
            for wid in ("#picker-detail-summary", "#picker-detail-objectives"):
                self.query_one(wid, Static).update(Content(""))
            return
        meta = [t(lang, "lesson.minutes", n=card.minutes), f"{card.steps} " + t(lang, "lesson.steps").lower(),
                progress_text(card, lang)]
        if card.started and not card.complete and card.current:
            meta.append(t(lang, "picker.resume", n=card.current + 1))
        self.query_one("#picker-detail-meta", Static).update(Content(" · ".join(meta)).stylize("$text-muted"))
        self.query_one("#picker-detail-summary", Static).update(Content(card.summary))
        objectives = Content.assemble((t(lang, "lesson.objectives") + "\n", "bold $text-muted"),
                                      *(Content(f"• {o}\n") for o in card.objectives))
        self.query_one("#picker-detail-objectives", Static).update(objectives)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if 0 <= event.option_index < len(self.cards):
            self._show_detail(self.cards[event.option_index])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        card = self.cards[event.option_index]
        if not card.error:
            self.post_message(self.Open(card.ref))

    def action_open(self) -> None:
        """Enter: open the highlighted lesson (the list handles Enter itself while it has focus)."""
        lst = self.query_one("#picker-list", OptionList)
        if lst.highlighted is not None:
            lst.action_select()

    def current_ref(self) -> str | None:
        lst = self.query_one("#picker-list", OptionList)
        if lst.highlighted is None or not self.cards:
            return None
        return self.cards[lst.highlighted].ref

    async def set_lang(self, lang: str) -> None:
        self.lang = lang
        self._translate_bindings()
        await self.recompose()
        self.on_mount()

    def lessons(self) -> list[Any]:
        return list(self.cards)
