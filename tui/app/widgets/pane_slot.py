"""A bordered, titled, zoomable frame that a pane is mounted into after the first frame.

Why slots: time to first frame is benchmarked against a bare Textual app, so
the first frame draws only the frames (cheap), and the panes with their
tables, trees and inputs are mounted into them right after it. The frame also
carries the pane's border and focus highlight, so every pane looks alike.
"""

from __future__ import annotations

from typing import ClassVar

from textual.containers import Vertical


class PaneSlot(Vertical):
    """Where one pane lives: border, title, focus highlight; F8 zooms it."""

    ALLOW_MAXIMIZE = True

    DEFAULT_CSS = """
    PaneSlot {
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
        border-subtitle-color: $text-muted;
        background: $surface;
        &:focus-within { border: round $accent; border-title-color: $text-accent; }
        &#pane-console { background: $background; }
        &#pane-notes { border: round $warning 60%; border-title-color: $text-warning; }
    }
    """

    can_focus: ClassVar[bool] = False
