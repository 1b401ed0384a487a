"""Process-wide settings the simulator runs best with."""

from __future__ import annotations

import gc

# The datapath allocates many short-lived packet objects and captures keep many long-lived
# records; CPython's default gen-0 threshold (700) makes the collector run every few packets.
GC_THRESHOLDS = (50_000, 20, 50)


def tune_gc() -> None:
    """Collect less often (the same setting the CLI, the player and the benchmarks run with)."""
    gc.set_threshold(*GC_THRESHOLDS)
