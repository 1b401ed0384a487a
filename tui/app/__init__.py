"""The player: a full-screen Textual app over the engine, the shell and a lesson session.

Only this package imports Textual and Rich. Importing it is cheap on purpose
(the app module is loaded on first use), because time to first frame is
benchmarked and the CLI imports ``tui.app`` before anything is drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.app.app import OverlaylabApp, create_app

__all__ = ["OverlaylabApp", "create_app"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from tui.app import app

        return getattr(app, name)
    raise AttributeError(name)
