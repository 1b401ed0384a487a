"""The help screen (F1 / ?): every key of the player, in the learner's language."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.app.i18n import t
from tui.app.keys import MAIN_KEYS, OTHER_KEYS


def help_lines(lang: str) -> list[tuple[str, str]]:
    """(keys, description) rows: one per action, with every key bound to it."""
    rows: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    for k in MAIN_KEYS:
        rows.setdefault(k.action, []).append(k.display or k.keys)
        labels[k.action] = k.label
    out = [(" ".join(keys), t(lang, labels[action])) for action, keys in rows.items()]
    out += [(keys, t(lang, label)) for keys, label in OTHER_KEYS]
    return out


class HelpScreen(ModalScreen[None]):
    """A table of keys; Escape, F1 or ? closes it."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > VerticalScroll {
            width: 64; max-width: 95%; height: auto; max-height: 90%;
            border: round $accent; background: $surface; padding: 0 1;
        }
        & #help-title { text-style: bold; color: $text-accent; margin: 0 0 1 0; }
        & .help-row { height: auto; }
        & #help-foot { color: $text-muted; margin: 1 0 0 0; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,question_mark,q", "dismiss(None)", "Close", show=False),
    ]

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Content(t(self.lang, "help.title")), id="help-title")
            for keys, text in help_lines(self.lang):
                yield Static(Content.assemble((f"{keys:<16}", "bold $text-accent"), text), classes="help-row")
            yield Static(Content(t(self.lang, "help.close")), id="help-foot")
