"""Finding the shipped lessons, in a source checkout and in an installed package.

Why two places: in development the lessons live in ``lessons/`` at the top of
the source tree (authors edit them there and ``overlaylab`` must show the
edit at once); a non-editable ``pip install .`` copies the same files into the
package as ``tui/lessons/`` (see ``setup.py``). ``OVERLAYLAB_LESSONS`` points
the catalog somewhere else (tests, authors trying a draft directory).

Lesson files sort by file name, so a number prefix (``01-netns-veth.yaml``)
sets the order; files starting with ``_`` or ``.`` are skipped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tui.lesson.loader import LessonError, load_lesson
from tui.lesson.model import Lesson

ENV_LESSONS = "OVERLAYLAB_LESSONS"


def lessons_dir() -> Path | None:
    """The directory of the shipped lessons (None when there is none)."""
    env = os.environ.get(ENV_LESSONS)
    if env:
        return Path(env).expanduser()
    import tui

    pkg = Path(tui.__file__).resolve().parent
    source = pkg.parent / "lessons"
    if (pkg.parent / "pyproject.toml").is_file() and source.is_dir():
        return source
    installed = pkg / "lessons"
    if installed.is_dir():
        return installed
    return None


def lesson_paths(directory: str | os.PathLike[str] | None = None) -> list[Path]:
    """The lesson files of ``directory`` (default: :func:`lessons_dir`), sorted by name."""
    root = Path(directory) if directory is not None else lessons_dir()
    if root is None or not root.is_dir():
        return []
    return sorted(p for p in root.iterdir()
                  if p.is_file() and p.suffix in (".yaml", ".yml") and not p.name.startswith(("_", ".")))


@dataclass
class CatalogEntry:
    """One lesson file: the lesson when it loads, else the error."""

    path: Path
    lesson: Lesson | None
    error: LessonError | None

    @property
    def id(self) -> str:
        return self.lesson.id if self.lesson is not None else self.path.stem

    @property
    def steps(self) -> int:
        return len(self.lesson.steps) if self.lesson is not None else 0

    def title(self, lang: str = "en") -> str:
        if self.lesson is None:
            return f"(cannot load: {self.error.first.message if self.error else 'error'})"
        return self.lesson.text(self.lesson.title, lang)


def catalog(directory: str | os.PathLike[str] | None = None, *, lint: bool = False) -> list[CatalogEntry]:
    """Every lesson of the catalog, loaded (``lint`` adds the whole-lesson checks, slower)."""
    out = []
    for path in lesson_paths(directory):
        try:
            out.append(CatalogEntry(path, load_lesson(path, lint=lint), None))
        except LessonError as err:
            out.append(CatalogEntry(path, None, err))
    return out


def find_lesson(ref: str, directory: str | os.PathLike[str] | None = None) -> Path:
    """A lesson file by path, file name stem or lesson id (LookupError listing the ids otherwise)."""
    p = Path(ref)
    if p.is_file():
        return p
    paths = lesson_paths(directory)
    for path in paths:
        if path.stem == ref or (path.stem.split("-", 1)[-1] == ref and path.stem.split("-", 1)[0].isdigit()):
            return path
    for entry in catalog(directory):
        if entry.lesson is not None and entry.lesson.id == ref:
            return entry.path
    ids = ", ".join(e.id for e in catalog(directory)) or "none"
    where = lessons_dir()
    raise LookupError(f"no lesson '{ref}' (not a file; lessons in {where}: {ids})")


__all__ = ["ENV_LESSONS", "CatalogEntry", "catalog", "find_lesson", "lesson_paths", "lessons_dir"]
