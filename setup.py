"""Build step: ship the lessons inside the package.

Why: lessons are authored in ``lessons/`` at the top of the source tree (where
authors and reviewers expect them), but an installed overlaylab can only read
files that are inside its package. ``build_py`` copies ``lessons/*.yaml``,
``lessons/README.md`` and ``lessons/schema.json`` to ``tui/lessons/`` in the
wheel (``tui.lesson.catalog`` looks there), and ``sdist`` includes them so a
wheel built from the sdist has them too. Everything else is in pyproject.toml.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
LESSONS = HERE / "lessons"


def lesson_files() -> list[Path]:
    if not LESSONS.is_dir():
        return []
    return sorted(p for p in LESSONS.iterdir()
                  if p.is_file() and (p.suffix in (".yaml", ".yml") or p.name in ("README.md", "schema.json")))


class BuildPyWithLessons(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "tui" / "lessons"
        self.mkpath(str(target))
        for path in lesson_files():
            self.copy_file(str(path), str(target / path.name))


class SdistWithLessons(sdist):
    def make_distribution(self) -> None:
        self.filelist.extend(str(p.relative_to(HERE)) for p in lesson_files())
        super().make_distribution()


setup(cmdclass={"build_py": BuildPyWithLessons, "sdist": SdistWithLessons})
