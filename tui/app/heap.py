"""How the player keeps the garbage collector out of the way of frames.

The engine allocates many short-lived objects per packet, and a lesson's lab,
the widgets and the capture pane's views are many long-lived ones. CPython's
collector stops the world for as long as it takes to walk a generation, and
during a capture flood that was the longest frame-to-frame gap on screen. Two
things keep pauses short (numbers: ``python -m tui.bench tui``):

* a young generation small enough that walking it fits between frames
  (:data:`PLAYER_GC_THRESHOLDS`, instead of the engine's throughput setting
  :data:`tui.engine.runtime.GC_THRESHOLDS`);
* :func:`settle` once a lab has been built: one full collection, then
  ``gc.freeze()``, so later full collections skip the lab and the widgets
  instead of walking them again every few seconds. ``settle`` unfreezes
  first, so a lab replaced by going back a step is collected, not kept.
"""

from __future__ import annotations

import gc

# gen0 every 10,000 net allocations (a few ms to walk), gen1 every 10 of those; a full
# collection also waits for CPython's own rule (25 % more long-lived objects than last time).
PLAYER_GC_THRESHOLDS = (10_000, 10, 10)


def tune_for_player() -> None:
    """Collector thresholds for an interactive session (frame gaps matter more than throughput)."""
    gc.set_threshold(*PLAYER_GC_THRESHOLDS)


def settle() -> None:
    """After a lab was built or rebuilt: collect everything once, then exempt the survivors from later passes."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


__all__ = ["PLAYER_GC_THRESHOLDS", "settle", "tune_for_player"]
