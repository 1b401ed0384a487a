"""Command palette providers (ctrl+p): lessons, steps, exports, and settings.

Each provider lists its commands when the palette opens empty (``discover``)
and fuzzy-matches them as the learner types (``search``), Posting-style. The
commands only call app or screen methods, so the palette and the keys share
one implementation. Lesson and step titles come from files: they are
matched and shown as plain text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from tui.app.i18n import t

if TYPE_CHECKING:
    from tui.app.app import OverlaylabApp

Command = tuple[str, str, Callable[[], Any]]  # (title, help, callback)


class _ListProvider(Provider):
    """A provider over a list of (title, help, callback) made fresh each time the palette opens."""

    def commands(self) -> Iterable[Command]:  # pragma: no cover - overridden
        return ()

    @property
    def player(self) -> OverlaylabApp:
        return self.app  # type: ignore[return-value]

    async def discover(self) -> Hits:
        for title, help_text, callback in self.commands():
            yield DiscoveryHit(Content(title), callback, text=title, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self.commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)


class LessonCommands(_ListProvider):
    """Open the lesson list, or a lesson by name."""

    def commands(self) -> Iterable[Command]:
        app = self.player
        lang = app.lang
        yield (t(lang, "key.lessons"), t(lang, "picker.title"), app.action_show_lessons)
        for card in app.known_lessons():
            yield (f"{t(lang, 'pane.lesson')}: {card.title}", card.id, _bind(app.open_lesson, card.ref))


class StepCommands(_ListProvider):
    """Go to any step of the current lesson."""

    def commands(self) -> Iterable[Command]:
        app = self.player
        screen = app.main_screen()
        if screen is None or screen.session is None:
            return
        from tui.app.stepview import step_items

        lang = app.lang
        from tui.app.widgets.step_list import MARKS

        for item in step_items(screen.session):
            mark = MARKS["completed"] if item.completed else (MARKS["skipped"] if item.skipped else " ")
            title = f"{t(lang, 'goto.title')} {item.index + 1}: {item.title}"
            yield (f"{mark} {title}", item.kind, _bind(screen.goto, item.index))


class ExportCommands(_ListProvider):
    """Every export of the session."""

    def commands(self) -> Iterable[Command]:
        app = self.player
        screen = app.main_screen()
        if screen is None:
            return
        from tui.app.screens.export import FORMATS

        lang = app.lang
        for fmt, key in FORMATS:
            yield (f"{t(lang, 'export.title')}: {t(lang, key)}", fmt, _bind(screen.export, fmt))


class SettingsCommands(_ListProvider):
    """Language, presenter mode, theme, zoom and help."""

    def commands(self) -> Iterable[Command]:
        app = self.player
        lang = app.lang
        yield ("Language: English", "en", _bind(app.set_language, "en"))
        yield ("语言：中文", "zh", _bind(app.set_language, "zh"))
        screen = app.main_screen()
        if screen is not None:
            on = not screen.presenter
            yield (t(lang, "presenter.on" if on else "presenter.off"), "presenter",
                   _bind(app.set_presenter, on))
            yield (t(lang, "key.zoom"), "F8", screen.action_zoom)
        yield (t(lang, "key.help"), "F1", app.action_help)
        for name in sorted(app.available_themes):
            yield (t(lang, "palette.theme", theme=name), t(lang, "palette.theme_help"), _bind(app.set_theme, name))


def _bind(fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    def call() -> Any:
        return fn(*args)

    return call


PROVIDERS = (LessonCommands, StepCommands, ExportCommands, SettingsCommands)
