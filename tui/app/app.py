"""The Textual app: screens, palette, theme, language and presenter switches.

``create_app`` is the one way to make the app (the CLI and the tests use it),
so what a test drives is exactly what a learner runs. The first screen is
the lesson itself when one was named, else the lesson picker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui.app.commands import PROVIDERS
from tui.app.i18n import t
from tui.app.options import PlayOptions
from tui.app.screens.main import MainScreen, SessionStarted

if TYPE_CHECKING:
    from textual.command import Provider

    from tui.app.screens.picker import LessonCard, PickerScreen


class OverlaylabApp(App[None]):
    """The overlaylab player."""

    CSS_PATH = "app.tcss"
    TITLE = "overlaylab"
    COMMANDS: ClassVar[set[type[Provider] | Any]] = {*App.COMMANDS, *PROVIDERS}
    COMMAND_PALETTE_BINDING = "ctrl+p"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="app.quit"),
        Binding("ctrl+c", "interrupt", show=False, id="app.interrupt"),
    ]

    def __init__(self, options: PlayOptions | None = None) -> None:
        super().__init__()
        self.options = options or PlayOptions()
        self.lang = self.options.lang
        self._cards: list[LessonCard] = []

    def on_mount(self) -> None:
        import os

        from tui.app import settings
        from tui.app.pacing import install

        self._restore_gc = install(self)

        saved = settings.load(self.options.home_dir).get("theme")
        if not os.environ.get("TEXTUAL_THEME") and isinstance(saved, str) and saved in self.available_themes:
            self.theme = saved
        self._theme_ready = True
        self._translate_palette_key()

    def _translate_palette_key(self) -> None:
        """The footer's command palette key (Textual's own binding) in the learner's language."""
        from dataclasses import replace

        table = self._bindings.key_to_bindings
        for key, bindings in table.items():
            table[key] = [replace(b, description=t(self.lang, "palette.key"), tooltip=t(self.lang, "palette.key_tip"))
                          if b.action == "command_palette" else b for b in bindings]

    def on_unmount(self) -> None:
        restore = getattr(self, "_restore_gc", None)
        if restore is not None:
            restore()

    def watch_theme(self, theme: str) -> None:
        if getattr(self, "_theme_ready", False):
            from tui.app import settings

            settings.save(self.options.home_dir, theme=theme)

    # ---- screens -------------------------------------------------------------------------------
    def get_default_screen(self) -> Screen[Any]:
        if self.options.lesson is not None:
            return MainScreen(self.options)
        from tui.app.screens.picker import PickerScreen  # not on the start path of `play LESSON`

        return PickerScreen(self.options)

    def _pickers(self) -> list[PickerScreen]:
        from tui.app.screens.picker import PickerScreen

        return [s for s in self.screen_stack if isinstance(s, PickerScreen)]

    def main_screen(self) -> MainScreen | None:
        for screen in reversed(self.screen_stack):
            if isinstance(screen, MainScreen):
                return screen
        return None

    def known_lessons(self) -> list[LessonCard]:
        for screen in self._pickers():
            if screen.cards:
                self._cards = list(screen.cards)
        if not self._cards:
            try:
                from tui.app.screens.picker import read_cards

                self._cards = read_cards(self.options, self.lang)
            except Exception:  # no catalog: the palette simply lists no lessons
                self._cards = []
        return self._cards

    def on_picker_screen_open(self, event: Any) -> None:
        self.open_lesson(event.ref)

    def open_lesson(self, ref: str) -> None:
        """Open a lesson (closing the one that is open: its progress is already saved)."""
        current = self.main_screen()
        if current is not None:
            current.finish()
        screen = MainScreen(self.options.with_(lesson=ref, lang=self.lang, step=None))
        if current is not None and self.screen is current:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def action_show_lessons(self) -> None:
        current = self.main_screen()
        if current is not None:
            current.finish()
        picker = next(iter(self._pickers()), None)
        if picker is not None:
            while self.screen is not picker:
                self.pop_screen()
            picker.reload()
        else:
            from tui.app.screens.picker import PickerScreen

            self.switch_screen(PickerScreen(self.options.with_(lang=self.lang)))

    def on_session_started(self, event: SessionStarted) -> None:
        self.sub_title = event.session.lesson.text(event.session.lesson.title, self.lang)

    # ---- settings ------------------------------------------------------------------------------
    async def set_language(self, lang: str) -> None:
        self.lang = lang
        self.options = self.options.with_(lang=lang)
        self._translate_palette_key()
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen) or screen in self._pickers():
                await screen.set_lang(lang)  # type: ignore[attr-defined]
        self.notify(t(lang, "notify.lang", name="English" if lang == "en" else "中文"), markup=False, timeout=2)

    def set_presenter(self, on: bool) -> None:
        screen = self.main_screen()
        if screen is not None:
            screen.set_presenter(on)
            self.notify(t(self.lang, "presenter.on" if on else "presenter.off"), markup=False, timeout=2)

    def set_theme(self, name: str) -> None:
        """The palette's theme command: switch, and say so (the choice is saved by ``watch_theme``)."""
        self.theme = name
        self.notify(t(self.lang, "notify.theme", theme=name), markup=False, timeout=2)

    def action_help(self) -> None:
        from tui.app.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.lang))

    def action_interrupt(self) -> None:
        """Ctrl-C outside the console: stop the running command, or say how to quit."""
        screen = self.main_screen()
        if screen is not None and screen.session is not None and screen.session.busy:
            screen.action_interrupt()
            return
        self.notify(t(self.lang, "notify.quit_hint"), markup=False, timeout=3)

    # ---- closing -------------------------------------------------------------------------------
    async def action_quit(self) -> None:
        screen = self.main_screen()
        if screen is not None:
            screen.finish()
        self.exit()


def create_app(lesson_id: str | None = None, lang: str = "en", presenter: bool = False, step: int | None = None,
               seed: int = 0, home: str | None = None, **extra: Any) -> OverlaylabApp:
    """The app for a lesson (id, file name or path; None: the picker).

    ``step`` counts from 1. ``home`` is the data directory (progress,
    journals, history, exports). ``extra`` takes the other
    :class:`~tui.app.options.PlayOptions` fields (``time_scale``, ``tick``,
    ``type_delay``, ``blink``), which tests use to run time faster or freeze it.
    """
    options = PlayOptions(lesson=lesson_id, lang=lang, presenter=presenter, step=step, seed=seed, home=home, **extra)
    return OverlaylabApp(options)
