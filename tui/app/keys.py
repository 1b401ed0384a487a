"""What the player can do, and which keys do it (one table for bindings, footer and help).

Actions and keys are kept apart (Posting/Harlequin style): the screen binds
from this table, the footer shows the few marked ``footer``, and the help
screen lists them all with their description in the learner's language.

Keys that work while typing in the console are function keys or Ctrl
combinations; plain letters act only when the console is not focused. The
console keeps bash's editing keys (Ctrl-A/K/U/W/L/C, Home/End, Up/Down, Tab)
except Ctrl-E: that is the export key (a priority binding, so it works from
every pane); End moves to the end of the command line instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    """One action of the main screen and the keys bound to it."""

    action: str
    keys: str
    label: str  # i18n key of the description
    footer: bool = False
    priority: bool = False
    display: str | None = None
    typing: bool = True  # the key also works while the console is focused


MAIN_KEYS: tuple[Key, ...] = (
    Key("help", "f1", "key.help", footer=True, display="F1"),
    Key("hint", "f2", "key.hint", footer=True, display="F2"),
    Key("prev_step", "f3", "key.prev", footer=True, display="F3"),
    Key("next_step", "f4", "key.next", footer=True, display="F4"),
    Key("check", "f5", "key.check", display="F5"),
    Key("cycle_focus", "f6", "key.cycle", display="F6"),
    Key("cycle_focus_back", "shift+f6", "key.cycle_back", display="⇧F6"),
    Key("goto_step", "f7", "key.goto", display="F7"),
    Key("zoom", "f8", "key.zoom", footer=True, display="F8"),
    Key("reset_step", "f9", "key.reset", display="F9"),
    Key("export", "ctrl+e", "key.export", footer=True, priority=True, display="^E"),
    Key("interrupt", "ctrl+c", "key.interrupt", display="^C"),
    # letters: only when the console does not have focus
    Key("help", "question_mark", "key.help", display="?", typing=False),
    Key("hint", "h", "key.hint", display="h", typing=False),
    Key("prev_step", "p,left_square_bracket", "key.prev", display="p [", typing=False),
    Key("next_step", "n,right_square_bracket", "key.next", display="n ]", typing=False),
    Key("check", "c", "key.check", display="c", typing=False),
    Key("goto_step", "g", "key.goto", display="g", typing=False),
    Key("zoom", "z", "key.zoom", display="z", typing=False),
    Key("reset_step", "r", "key.reset", display="r", typing=False),
    Key("focus_console", "i,colon", "key.console", display="i :", typing=False),
    # presenter mode: clickers send Page Down / Page Up
    Key("presenter_advance", "pagedown", "key.advance", priority=True, display="PgDn"),
    Key("presenter_retreat", "pageup", "key.retreat", priority=True, display="PgUp"),
    Key("presenter_advance", "space", "key.advance", display="space", typing=False),
)

ROUTES_TOGGLE_KEY = "t"  # the Routes pane's table switch (bound there; named here for the help and the pane's hint)

# Keys of widgets and of the app, listed on the help screen (they are bound where they act).
OTHER_KEYS: tuple[tuple[str, str], ...] = (
    ("^Q", "key.quit"),
    ("^P", "key.palette"),
    ("Tab", "key.cycle"),
    ("^L", "key.clear"),
    ("↑ ↓", "key.history"),
    ("Tab Tab", "key.complete"),
    ("Home End", "key.line_ends"),
    (ROUTES_TOGGLE_KEY, "key.neigh"),
    ("Enter", "key.packet"),
    ("/", "key.filter"),
    ("f", "key.follow"),
    ("y", "key.copy_line"),
    ("← →", "key.walk"),
    ("e c", "key.expand"),
    ("Esc", "key.unzoom"),
)


def main_bindings() -> list[Binding]:
    """Textual bindings for :data:`MAIN_KEYS` (descriptions are filled in by the screen's language)."""
    out: list[Binding] = []
    for k in MAIN_KEYS:
        out.append(Binding(k.keys, k.action, k.label, show=k.footer, priority=k.priority, key_display=k.display,
                           id=f"main.{k.action}.{k.keys.split(',')[0]}"))
    return out
