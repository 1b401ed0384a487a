"""The console's command history, kept across runs in the data directory (like ~/.bash_history).

One command per line, appended as it is typed (a crash loses nothing) and
trimmed to the newest :data:`KEEP` lines when it has grown to twice that.
Lines with a newline (a pasted here-document) are stored with ``\\n`` escaped.
Unreadable or unwritable files never stop the player: history is a comfort.
"""

from __future__ import annotations

from pathlib import Path

KEEP = 1000


class HistoryFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> list[str]:
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        lines = [ln.replace("\\n", "\n") for ln in text.splitlines() if ln.strip()]
        return lines[-KEEP:]

    def append(self, line: str) -> None:
        if not line.strip():
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line.replace("\n", "\\n") + "\n")
            if self.path.stat().st_size > KEEP * 2 * 80:
                self._trim()
        except OSError:
            pass

    def _trim(self) -> None:
        lines = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        if len(lines) > KEEP * 2:
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text("\n".join(lines[-KEEP:]) + "\n", encoding="utf-8")
            tmp.replace(self.path)
