"""The player's own settings (the theme chosen in the palette), kept in the data directory.

A theme picked from the command palette should still be there next time;
``TEXTUAL_THEME`` in the environment wins over the saved one, as Textual
users expect. A missing or unreadable file just means defaults.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def load(home: Path) -> dict[str, Any]:
    try:
        data = json.loads((home / "settings.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save(home: Path, **changes: Any) -> None:
    data = load(home)
    data.update(changes)
    try:
        home.mkdir(parents=True, exist_ok=True)
        tmp = home / ".settings.json.tmp"
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(home / "settings.json")
    except OSError:
        pass
