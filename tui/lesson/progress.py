"""The learner's progress and session journals, on disk under the user data directory.

Why atomic writes: the player can be killed at any moment (a closed terminal,
Ctrl-C, a crash), and a half-written ``progress.json`` would lose every
lesson's progress. Files are written to a temporary file in the same directory
and moved over the old one with :func:`os.replace`, which is atomic on POSIX
and Windows. Should a progress file still be unreadable (edited by hand, a
disk problem), it is renamed aside to ``progress.json.corrupt-<n>`` and the
caller gets a warning to show - the player never crashes on it.

Layout (``OVERLAYLAB_HOME`` overrides the platform's user data directory)::

    <home>/progress.json            {"version": 1, "lessons": {ID: {...}}}
    <home>/sessions/<ID>.jsonl      one journal per session (see tui.lesson.session)
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError

if TYPE_CHECKING:
    from tui.lesson.session import Session

ENV_HOME = "OVERLAYLAB_HOME"
PROGRESS_FILE = "progress.json"
SESSIONS_DIR = "sessions"


def data_dir() -> Path:
    """Where overlaylab keeps the learner's files: ``$OVERLAYLAB_HOME`` or the platform's user data dir."""
    home = os.environ.get(ENV_HOME)
    if home:
        return Path(home).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("overlaylab"))


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Replace ``path`` with ``text`` so that readers see the old file or the new one, never a mix."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open() would (or the old file's)
        try:
            mode = target.stat().st_mode & 0o777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class SessionTotals(BaseModel):
    """What one session adds to a lesson's counters.

    Kept per session id so that saving a session again (the player saves as the
    learner goes) replaces its earlier contribution instead of adding it twice.
    """

    model_config = ConfigDict(extra="ignore")

    hints_used: int = Field(default=0, ge=0)
    attempts: int = Field(default=0, ge=0)
    elapsed: float = Field(default=0.0, ge=0)


class LessonProgress(BaseModel):
    """How far a learner got in one lesson (``hints_used``, ``attempts``, ``elapsed``: over every session)."""

    model_config = ConfigDict(extra="ignore")

    steps: int = Field(default=0, ge=0)
    completed: list[int] = Field(default_factory=list)
    current: int = Field(default=0, ge=0)
    hints_used: int = Field(default=0, ge=0)
    attempts: int = Field(default=0, ge=0)
    done: bool = False
    elapsed: float = Field(default=0.0, ge=0)
    sessions: list[str] = Field(default_factory=list)
    # each session's share of the counters above (files from before it have none: their counts stay as they are)
    session_totals: dict[str, SessionTotals] = Field(default_factory=dict)
    updated: str = ""

    def summary(self, steps: int | None = None) -> str:
        """``done``, ``3/9 steps`` or ``not started`` (for ``overlaylab lessons``)."""
        total = steps if steps is not None else self.steps
        if self.done:
            return "done"
        n = len([i for i in set(self.completed) if 0 <= i < total])
        if n == 0 and not self.sessions and not self.current:
            return "not started"
        return f"{n}/{total} steps"


class ProgressFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    version: int = 1
    lessons: dict[str, LessonProgress] = Field(default_factory=dict)


@dataclass(frozen=True)
class SessionInfo:
    """A saved session journal."""

    id: str
    path: Path
    mtime: float


class ProgressError(Exception):
    """A session that cannot be found, or a progress store that cannot be written."""


class ProgressStore:
    """Progress of every lesson and the journals of past sessions, rooted at :func:`data_dir`."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root) if root is not None else data_dir()
        self.progress_path = self.root / PROGRESS_FILE
        self.sessions_dir = self.root / SESSIONS_DIR
        self.data = ProgressFile()
        self.warnings: list[str] = []
        self._loaded = False
        # sessions saved without an id: their last contribution, known only to this store
        self._unnamed: weakref.WeakKeyDictionary[Session, SessionTotals] = weakref.WeakKeyDictionary()

    # ---- progress ----------------------------------------------------------------------------
    def load(self) -> list[str]:
        """Read the progress file; returns warnings (a corrupt file is set aside, never raised)."""
        self._loaded = True
        self.data = ProgressFile()
        warnings: list[str] = []
        try:
            raw = self.progress_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return warnings
        except OSError as err:
            warnings.append(f"cannot read {self.progress_path}: {err.strerror or err}; progress starts afresh")
            self.warnings += warnings
            return warnings
        try:
            self.data = ProgressFile.model_validate(json.loads(raw))
        except (ValueError, ValidationError) as err:
            reason = "not JSON" if isinstance(err, json.JSONDecodeError) else "not a progress file"
            aside = self._set_aside()
            if aside is not None:
                warnings.append(f"{self.progress_path} was corrupt ({reason}); moved it to {aside.name} "
                                "and started afresh")
            else:
                warnings.append(f"{self.progress_path} is corrupt ({reason}) and could not be moved aside; "
                                "progress starts afresh")
            self.data = ProgressFile()
        self.warnings += warnings
        return warnings

    def _set_aside(self) -> Path | None:
        n = 1
        while True:
            aside = self.progress_path.with_name(f"{PROGRESS_FILE}.corrupt-{n}")
            if not aside.exists():
                break
            n += 1
        try:
            os.replace(self.progress_path, aside)
        except OSError:
            return None
        return aside

    def _ensure(self) -> None:
        if not self._loaded:
            self.load()

    def get(self, lesson_id: str) -> LessonProgress | None:
        self._ensure()
        return self.data.lessons.get(lesson_id)

    def save(self) -> None:
        """Write the progress file atomically."""
        text = json.dumps(self.data.model_dump(mode="json"), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        try:
            atomic_write_text(self.progress_path, text)
        except OSError as err:
            raise ProgressError(f"cannot write {self.progress_path}: {err.strerror or err}") from None

    def update(self, session: Session, session_id: str | None = None) -> LessonProgress:
        """Merge what ``session`` achieved so far into the lesson's progress and save it.

        Idempotent per session: calling it again for the same session (the same
        ``session_id``, or the same object when there is none) replaces that
        session's earlier counts rather than adding them again.
        """
        self._ensure()
        lesson = session.lesson
        prev = self.data.lessons.get(lesson.id) or LessonProgress()
        completed = sorted(set(prev.completed) | set(session.completed))
        steps = len(lesson.steps)
        mine = SessionTotals(hints_used=sum(s.hints_used for s in session.states),
                             attempts=sum(s.attempts for s in session.states), elapsed=session.elapsed)
        totals = dict(prev.session_totals)
        if session_id:
            before = totals.get(session_id) or SessionTotals()
            totals[session_id] = mine
        else:
            before = self._unnamed.get(session) or SessionTotals()
            self._unnamed[session] = mine
        prog = LessonProgress(
            steps=steps,
            completed=[i for i in completed if i < steps],
            current=session.step,
            hints_used=max(0, prev.hints_used - before.hints_used + mine.hints_used),
            attempts=max(0, prev.attempts - before.attempts + mine.attempts),
            done=prev.done or all(i in completed for i in range(steps)),
            elapsed=max(0.0, prev.elapsed - before.elapsed + mine.elapsed),
            sessions=[*prev.sessions, session_id] if session_id and session_id not in prev.sessions else prev.sessions,
            session_totals=totals,
            updated=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        )
        self.data.lessons[lesson.id] = prog
        self.save()
        return prog

    # ---- journals ----------------------------------------------------------------------------
    def new_session(self, lesson_id: str) -> tuple[str, Path]:
        """A fresh journal path: ``sessions/<YYYYmmdd-HHMMSS>-<lesson>.jsonl`` (id = the file's stem)."""
        self.sessions_dir.mkdir(parents=True, exist_ok=True)
        stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%d-%H%M%S")
        base = f"{stamp}-{lesson_id}"
        sid, n = base, 1
        while (self.sessions_dir / f"{sid}.jsonl").exists():
            n += 1
            sid = f"{base}-{n}"
        path = self.sessions_dir / f"{sid}.jsonl"
        path.touch()
        return sid, path

    def sessions(self) -> list[SessionInfo]:
        """Saved journals, oldest first."""
        if not self.sessions_dir.is_dir():
            return []
        out = []
        for p in self.sessions_dir.glob("*.jsonl"):
            try:
                out.append(SessionInfo(p.stem, p, p.stat().st_mtime))
            except OSError:
                continue
        return sorted(out, key=lambda s: (s.mtime, s.id))

    def find_session(self, ref: str = "last") -> SessionInfo:
        """A journal by id (or unique id prefix), or ``last``."""
        found = self.sessions()
        if not found:
            raise ProgressError(f"no saved sessions in {self.sessions_dir}")
        if ref == "last":
            return found[-1]
        exact = [s for s in found if s.id == ref]
        if exact:
            return exact[0]
        hits = [s for s in found if s.id.startswith(ref)]
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise ProgressError(f"session '{ref}' is ambiguous: {', '.join(s.id for s in hits[:5])}")
        raise ProgressError(f"no session '{ref}' (latest: {found[-1].id})")


__all__ = ["ENV_HOME", "LessonProgress", "ProgressError", "ProgressStore", "SessionInfo", "SessionTotals",
           "atomic_write_text", "data_dir"]
