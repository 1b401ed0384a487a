"""``lessons/schema.json``: the JSON Schema of a lesson file, generated from the typed models.

Why generated: editors (VS Code's YAML extension, any JSON-schema aware
tool) complete and lint lesson files from it, and it can never drift from what
the loader accepts because it is the loader's own model. A test asserts the
committed file is current; after changing :mod:`tui.lesson.model` run::

    python -m tui.lesson.schema            # rewrite lessons/schema.json
    python -m tui.lesson.schema --check    # exit 1 when it is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tui.lesson.model import Lesson

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def lesson_schema() -> dict[str, Any]:
    """The schema as a dict (YAML keys, i.e. aliases such as ``from`` and ``not``)."""
    body = Lesson.model_json_schema(by_alias=True)
    body["title"] = "overlaylab lesson"
    body["description"] = ("A lesson of overlaylab (see lessons/README.md). Generated from tui/lesson/model.py "
                           "by `python -m tui.lesson.schema`; do not edit by hand.")
    return {"$schema": SCHEMA_DIALECT, **body}


def schema_text() -> str:
    return json.dumps(lesson_schema(), indent=2, ensure_ascii=False) + "\n"


def default_path() -> Path:
    """``lessons/schema.json`` of the source tree."""
    return Path(__file__).resolve().parents[2] / "lessons" / "schema.json"


def write_schema(path: str | Path | None = None) -> Path:
    from tui.lesson.progress import atomic_write_text

    target = Path(path) if path is not None else default_path()
    atomic_write_text(target, schema_text())
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tui.lesson.schema", description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", help="where to write (default: lessons/schema.json)")
    parser.add_argument("--check", action="store_true", help="only check that the file is current")
    args = parser.parse_args(argv)
    target = Path(args.path) if args.path else default_path()
    if args.check:
        try:
            current = target.read_text(encoding="utf-8")
        except OSError:
            current = ""
        if current != schema_text():
            print(f"{target} is out of date: run python -m tui.lesson.schema", file=sys.stderr)
            return 1
        return 0
    print(write_schema(target))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
