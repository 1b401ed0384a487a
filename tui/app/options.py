"""How the player was asked to run (the CLI's ``play`` options and the test factory's arguments)."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path


@dataclass(frozen=True)
class PlayOptions:
    """Everything the screens need to know about this run.

    ``step`` counts from 1, as the CLI's ``--step`` does. ``time_scale`` is how
    much virtual time passes per wall second (1: real time; tests use more;
    0 freezes idle time and runs a typed command to its end at once, for
    deterministic screenshots). ``type_delay`` is the presenter's typing pace
    in seconds per character.
    """

    lesson: str | None = None
    lang: str = "en"
    presenter: bool = False
    step: int | None = None
    seed: int = 0
    home: str | None = None
    time_scale: float = 1.0
    tick: float = 0.05
    type_delay: float = 0.04
    blink: bool = True

    def with_(self, **changes: object) -> PlayOptions:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def home_dir(self) -> Path:
        """The data directory (``home``, ``$OVERLAYLAB_HOME`` or the platform's user data directory)."""
        if self.home:
            return Path(self.home).expanduser()
        env = os.environ.get("OVERLAYLAB_HOME")
        if env:
            return Path(env).expanduser()
        import platformdirs

        return Path(platformdirs.user_data_dir("overlaylab"))
