"""How the player keeps frames coming while the engine runs: frame rate and garbage collection.

Frames. Textual draws a pending update at most ``TEXTUAL_FPS`` times a second
(60 by default), so an update waits up to a 60th of a second for its frame on
top of the batch interval of whatever produced it. The player allows
:data:`PLAYER_FPS` (:func:`set_frame_rate`, before Textual is imported; a
``TEXTUAL_FPS`` the user set wins). Idle screens draw nothing either way.

Garbage. The engine allocates many short-lived objects per packet, and a lesson's lab,
the widgets and the capture pane's views are many long-lived ones. CPython's
collector stops the world for as long as it takes to walk a generation, and
during a capture flood those pauses were the longest frame-to-frame gaps on
screen. Three things keep them out of the way (``python -m tui.bench tui``):

* a young generation small enough that walking it takes a few milliseconds
  (gen0 every :data:`GEN0_THRESHOLD` net allocations, collected automatically);
* older generations collected only right after a frame was drawn
  (:func:`install`), when the next frame is furthest away, once as many young
  collections have passed as CPython's own thresholds would wait for
  (:data:`OLDER_EVERY`);
* :func:`settle` once a lab has been built: one full collection, then
  ``gc.freeze()``, so later full collections skip the lab and the widgets
  instead of walking them again. ``settle`` unfreezes first, so a lab replaced
  by going back a step is collected, not kept.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.app import App

PLAYER_FPS = 120
GEN0_THRESHOLD = 10_000
OLDER_EVERY = (10, 10)  # gen1 after 10 gen0 passes, gen2 after 10 gen1 passes (CPython's own defaults)
_NEVER = 1 << 30  # an older generation's automatic threshold while install() schedules it
CHECK_EVERY = 0.1  # seconds between looks at whether an older collection is due


def set_frame_rate() -> bool:
    """Let Textual draw up to :data:`PLAYER_FPS` frames a second; False if it was imported too early to change."""
    if "textual.screen" in sys.modules:
        return False
    os.environ.setdefault("TEXTUAL_FPS", str(PLAYER_FPS))
    return True


def tune_for_player() -> None:
    """Collector thresholds for an interactive session, all generations automatic."""
    gc.set_threshold(GEN0_THRESHOLD, *OLDER_EVERY)


def collect_due() -> int | None:
    """Run the older-generation collection that is due now; which one ran (None: none was due)."""
    _, gen0_passes, gen1_passes = gc.get_count()
    if gen0_passes < OLDER_EVERY[0]:
        return None
    generation = 2 if gen1_passes + 1 >= OLDER_EVERY[1] else 1
    gc.collect(generation)
    return generation


def install(app: App[object]) -> Callable[[], None]:
    """Collect ``app``'s older generations right after its frames instead of in the middle of one.

    Returns the undo (thresholds as before, nothing frozen), for when the app is gone.
    """
    before = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, _NEVER, _NEVER)

    def after_next_frame() -> None:
        if gc.get_count()[1] >= OLDER_EVERY[0]:
            app.call_after_refresh(collect_due)

    app.set_interval(CHECK_EVERY, after_next_frame, name="gc")

    def undo() -> None:
        gc.unfreeze()
        gc.set_threshold(*before)

    return undo


def settle() -> None:
    """After a lab was built or rebuilt: collect everything once, then exempt the survivors from later passes."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


__all__ = ["PLAYER_FPS", "collect_due", "install", "set_frame_rate", "settle", "tune_for_player"]
