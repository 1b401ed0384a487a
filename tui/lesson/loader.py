"""Reading lesson files: safe YAML, typed validation, and errors that point at the line.

Why this much care: lesson authors (and translators) edit YAML by hand, and a
message like "validation error" sends them hunting. Every problem is reported as
``FILE:LINE:COL: PATH: message`` where PATH is the YAML path
(``steps[3].expect[0].captured.count``) and unknown keys come with a
did-you-mean. Positions come from composing the YAML node tree (SafeLoader,
so no tag can run code) and walking it along pydantic's error locations.

After the structure is valid a lint pass checks what needs the whole lesson:
translations, unique step ids, the scenario and its hosts, quizzes that can be
answered, capture filters that compile.
"""

from __future__ import annotations

import datetime as _dt
import functools
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from tui.lesson.model import (
    CHECK_TYPES,
    STEP_KINDS,
    BreakStep,
    Lesson,
    QuizStep,
    TaskStep,
    Text,
    did_you_mean,
)

PathElem = str | int


@dataclass(frozen=True)
class Problem:
    """One problem in a lesson file, printable as ``FILE:LINE:COL: [PATH: ]message``."""

    file: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.file}:{self.line}:{self.col}: {where}{self.message}"


class LessonError(Exception):
    """A lesson that cannot be used; ``problems`` lists every problem found, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.col))
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def first(self) -> Problem:
        return self.problems[0]


@dataclass
class Source:
    """Where a loaded lesson came from, so later problems (a solution that fails) can point at it."""

    file: str
    root: yaml.Node | None = None
    hosts: list[str] = field(default_factory=list)

    def position(self, path: Iterable[PathElem]) -> tuple[int, int, str]:
        """(line, col, yaml path) of the node at ``path`` (as far as it exists)."""
        if self.root is None:
            return 1, 1, format_path(list(path))
        found = locate(self.root, list(path))
        mark = found.node.start_mark
        return mark.line + 1, mark.column + 1, format_path(found.path)

    def problem(self, path: Iterable[PathElem], message: str) -> Problem:
        line, col, shown = self.position(path)
        return Problem(self.file, line, col, shown, message)


def source_of(lesson: Lesson) -> Source:
    src = lesson._source
    return src if isinstance(src, Source) else Source("<lesson>")


# ---- YAML nodes ------------------------------------------------------------------------------


def format_path(path: list[PathElem]) -> str:
    out = ""
    for elem in path:
        if isinstance(elem, int):
            out += f"[{elem}]"
        else:
            out += ("." if out else "") + str(elem)
    return out


@dataclass
class Located:
    node: yaml.Node
    key_node: yaml.Node | None
    path: list[PathElem]
    rest: list[PathElem]  # the part of the location that has no node (a missing key)


def _mapping_get(node: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None


def locate(root: yaml.Node, loc: list[PathElem]) -> Located:
    """Follow ``loc`` (a pydantic error location or a lint path) down the node tree.

    Elements that name no node are skipped when more follow (pydantic puts union
    tags such as ``run`` or ``captured`` into locations); what is left when the
    walk stops is ``rest``.
    """
    node, key_node, path = root, None, []
    i = 0
    while i < len(loc):
        elem = loc[i]
        if isinstance(node, yaml.MappingNode) and isinstance(elem, str):
            hit = _mapping_get(node, elem)
            if hit is not None:
                key_node, node = hit
                path.append(elem)
                i += 1
                continue
        elif isinstance(node, yaml.SequenceNode) and isinstance(elem, int) and 0 <= elem < len(node.value):
            node, key_node = node.value[elem], None
            path.append(elem)
            i += 1
            continue
        if i + 1 < len(loc) and not isinstance(node, yaml.ScalarNode):
            i += 1  # a union tag in the location
            continue
        break
    return Located(node, key_node, path, list(loc[i:]))


def _duplicate_keys(node: yaml.Node, path: list[PathElem], seen_nodes: set[int]) -> Iterator[tuple[yaml.Node, str]]:
    """Keys given twice in one mapping (PyYAML silently keeps the last one)."""
    if id(node) in seen_nodes:
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first: dict[str, yaml.Node] = {}
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value != "<<":
                if k.value in first:
                    line = first[k.value].start_mark.line + 1
                    yield k, f"duplicate key '{k.value}' (first given on line {line})"
                else:
                    first[k.value] = k
            yield from _duplicate_keys(v, path, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _duplicate_keys(item, path, seen_nodes)


def _yaml_problem(file: str, err: yaml.YAMLError) -> Problem:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = getattr(err, "problem", None) or str(err)
    context = getattr(err, "context", None)
    if "'\\t'" in problem or "\t" in problem:
        message = "tab character in indentation: YAML indents with spaces only"
    elif isinstance(err, yaml.constructor.ConstructorError) and "constructor for the tag" in problem:
        tag = problem.split("tag ", 1)[-1]
        message = f"unsupported YAML tag {tag}: lessons are plain YAML"
    elif context and "single document" in context:
        message = "more than one YAML document: a lesson file holds exactly one (remove the '---')"
    else:
        message = f"YAML syntax error: {problem}"
        ctx_mark = getattr(err, "context_mark", None)
        if context and ctx_mark is not None and ctx_mark is not mark:
            message += f" ({context} started on line {ctx_mark.line + 1}, column {ctx_mark.column + 1})"
    return Problem(file, line, col, "", message)


# ---- pydantic errors -> problems ---------------------------------------------------------------


def _kind_of(value: Any) -> str:
    """How a YAML value is described in messages."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()}; quote it if you meant the text)"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"text ({value!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, _dt.date | _dt.datetime):
        return "a date (quote it)"
    return type(value).__name__


def _tags(text: str) -> list[str]:
    return re.findall(r"'([^']*)'", text)


def _error_to_problem(file: str, root: yaml.Node, err: dict[str, Any]) -> Problem:
    etype: str = err["type"]
    loc: list[PathElem] = list(err["loc"])
    ctx: dict[str, Any] = err.get("ctx") or {}
    value = err.get("input")
    found = locate(root, loc)
    node = found.node
    path = found.path
    message = err["msg"]

    if etype == "unknown_key":
        key = ctx["key"]
        hit = _mapping_get(node, key) if isinstance(node, yaml.MappingNode) else None
        if hit is not None:
            node = hit[0]
        path = [*path, key]
        what = f" in {ctx['what']}" if ctx.get("what") else ""
        suggestion = ctx.get("suggestion")
        if suggestion:
            message = f"unknown key '{key}'{what} (did you mean '{suggestion}'?)"
        else:
            message = f"unknown key '{key}'{what}; known keys: {', '.join(ctx.get('allowed', []))}"
        return _at(file, node, path, message)
    if etype == "key_type":
        key = str(ctx.get("key", ""))
        hit = _mapping_get(node, key) if isinstance(node, yaml.MappingNode) else None
        if hit is not None:
            node = hit[0]
        return _at(file, node, path, f"keys must be text, got {key!r} (quote it)")
    if etype == "missing":
        key = found.rest[-1] if found.rest else (loc[-1] if loc else "")
        return _at(file, node, path, f"missing required key '{key}'")
    if etype == "union_tag_invalid":
        tag = ctx.get("tag", "")
        expected = _tags(ctx.get("expected_tags", ""))
        hit = _mapping_get(node, "kind") if isinstance(node, yaml.MappingNode) else None
        if hit is not None:
            node, path = hit[1], [*path, "kind"]
        guess = did_you_mean(str(tag), expected)
        if guess:
            return _at(file, node, path, f"unknown step kind '{tag}' (did you mean '{guess}'?)")
        return _at(file, node, path, f"unknown step kind '{tag}'; kinds: {', '.join(expected)}")
    if etype == "union_tag_not_found":
        return _at(file, node, path, f"a step needs a kind: one of {', '.join(STEP_KINDS)}")
    if etype == "check_shape":
        names = list(CHECK_TYPES)
        if isinstance(value, dict) and len(value) == 1:
            key = next(iter(value))
            hit = _mapping_get(node, str(key)) if isinstance(node, yaml.MappingNode) else None
            if hit is not None:
                node = hit[0]
            guess = did_you_mean(str(key), names)
            if guess:
                return _at(file, node, path, f"unknown check type '{key}' (did you mean '{guess}'?)")
            return _at(file, node, path, f"unknown check type '{key}'; check types: {', '.join(names)}")
        if isinstance(value, dict):
            keys = ", ".join(str(k) for k in value) or "none"
            return _at(file, node, path, f"a check is a mapping with exactly one key, the check type "
                                         f"(e.g. `service_replicas: {{...}}`); this one has keys: {keys}")
        return _at(file, node, path, f"a check is a mapping with one key, the check type; got {_kind_of(value)}")
    if etype == "scenario_shape":
        return _at(file, node, path, "expected a built-in scenario name, a scenario file or an inline scenario "
                                     f"(a mapping with hosts), got {_kind_of(value)}")
    if etype in ("string_type", "str_type"):
        message = f"expected text, got {_kind_of(value)}"
    elif etype in ("int_type", "int_parsing", "int_from_float"):
        message = f"expected a whole number, got {_kind_of(value)}"
    elif etype == "bool_type":
        message = f"expected true or false, got {_kind_of(value)}"
    elif etype == "list_type":
        message = f"expected a list, got {_kind_of(value)}"
    elif etype in ("dict_type", "model_type", "model_attributes_type"):
        if ctx.get("class_name") == "Text":
            message = f"expected a text (a mapping with en and zh), got {_kind_of(value)}"
        else:
            message = f"expected a mapping, got {_kind_of(value)}"
    elif etype == "greater_than_equal":
        message = f"must be at least {ctx.get('ge')}, got {value}"
    elif etype == "less_than_equal":
        message = f"must be at most {ctx.get('le')}, got {value}"
    elif etype == "too_short":
        n = ctx.get("min_length", 1)
        message = "must not be empty" if n == 1 else f"needs at least {n} items"
    elif etype == "string_too_short":
        message = "must not be empty"
    elif etype == "string_too_long":
        message = f"is longer than {ctx.get('max_length')} characters"
    elif etype == "string_pattern_mismatch":
        message = (f"invalid id {value!r}: use lowercase letters, digits, '-' and '_' "
                   "(starting with a letter or digit)")
    elif etype == "literal_error":
        expected = _tags(str(ctx.get("expected", "")))
        guess = did_you_mean(str(value), expected) if isinstance(value, str) else None
        message = f"expected one of {', '.join(expected)}; got {_kind_of(value)}"
        if guess:
            message += f" (did you mean '{guess}'?)"
    elif etype == "value_error":
        message = message.removeprefix("Value error, ")
    return _at(file, node, path, message)


def _at(file: str, node: yaml.Node, path: list[PathElem], message: str) -> Problem:
    mark = node.start_mark
    return Problem(file, mark.line + 1, mark.column + 1, format_path(path), message)


# ---- scenarios ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=32)
def _builtin_hosts(name: str) -> tuple[str, ...]:
    from tui.lesson.session import build_lab

    return tuple(build_lab(name, 0).hosts)


def scenario_hosts(lesson: Lesson, base_dir: Path | None = None) -> list[str]:
    """The host names of the lesson's scenario (built once per built-in scenario)."""
    from tui.lesson.session import build_lab

    scenario = lesson.scenario
    if isinstance(scenario, str) and not scenario.endswith((".yaml", ".yml")):
        return list(_builtin_hosts(scenario))
    return list(build_lab(resolve_scenario(scenario, base_dir), 0).hosts)


def resolve_scenario(scenario: Any, base_dir: Path | None) -> Any:
    """A scenario file named in a lesson is relative to the lesson file."""
    if isinstance(scenario, str) and scenario.endswith((".yaml", ".yml")) and base_dir is not None:
        path = Path(scenario)
        if not path.is_absolute():
            return str(base_dir / path)
    return scenario


# ---- lint --------------------------------------------------------------------------------------


def _walk(value: Any, path: list[PathElem]) -> Iterator[tuple[list[PathElem], Any]]:
    """Every model value with the YAML path it was read from."""
    yield path, value
    if isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            if name in value.model_fields_set:
                yield from _walk(getattr(value, name), [*path, info.alias or name])
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, [*path, i])


def _step_host_paths(lesson: Lesson) -> Iterator[tuple[list[PathElem], str]]:
    for path, value in _walk(lesson, []):
        if not isinstance(value, BaseModel) or not path or path[0] != "steps":
            continue
        for key in ("host", "node"):
            if key in type(value).model_fields and key in value.model_fields_set:
                host = getattr(value, key)
                if isinstance(host, str):
                    yield [*path, key], host


def lint_lesson(lesson: Lesson, source: Source, base_dir: Path | None = None) -> list[Problem]:
    """Rules that need the whole lesson or its scenario."""
    problems: list[Problem] = []

    def add(path: list[PathElem], message: str) -> None:
        problems.append(source.problem(path, message))

    # translations
    if "zh" in lesson.languages:
        for path, value in _walk(lesson, []):
            if isinstance(value, Text):
                if value.plain:
                    add(path, "needs translations: write {en: ..., zh: ...} "
                              "(or opt the lesson out with `languages: [en]`)")
                elif value.zh is None:
                    add(path, "missing zh translation")

    # step ids
    seen: dict[str, int] = {}
    for i, step in enumerate(lesson.steps):
        if step.id is None:
            continue
        if step.id in seen:
            add(["steps", i, "id"], f"duplicate step id '{step.id}' (also steps[{seen[step.id]}])")
        else:
            seen[step.id] = i

    # quizzes, tasks and breaks that validate can play
    for i, step in enumerate(lesson.steps):
        if isinstance(step, QuizStep):
            typed = step.accept is not None or step.accept_regex is not None
            if step.choices is None and not typed:
                add(["steps", i], "a quiz needs choices, or accept / accept_regex for a typed answer")
            elif step.choices is not None and typed:
                add(["steps", i, "choices"], "give choices or a typed answer (accept / accept_regex), not both")
            elif step.choices is not None:
                right = [c for c in step.choices if c.correct]
                if len(step.choices) < 2:
                    add(["steps", i, "choices"], "a choice quiz needs at least two choices")
                elif not right:
                    add(["steps", i, "choices"], "no choice is marked correct: add `correct: true` to the right one")
                elif len(right) > 1 and not step.multiple:
                    add(["steps", i, "choices"], f"{len(right)} choices are marked correct: "
                                                 "set `multiple: true` or keep one")
            elif not step.accept:
                add(["steps", i, "accept_regex"], "give at least one accepted answer in `accept` too "
                                                  "(validate plays it to prove the quiz can be answered)")
        if isinstance(step, TaskStep | BreakStep) and not step.solution:
            add(["steps", i], f"{type(step)._what} needs a solution (the commands that solve it), "
                              "so that validate can prove it is solvable")

    # capture filters
    from tui.engine.bpf import FilterError, compile_filter

    for path, value in _walk(lesson, []):
        if isinstance(value, BaseModel) and "filter" in type(value).model_fields:
            expr = getattr(value, "filter", "")
            if isinstance(expr, str) and expr.strip():
                try:
                    compile_filter(expr)
                except FilterError as err:
                    add([*path, "filter"], f"bad capture filter: {err}")
                except Exception as err:  # a filter the compiler chokes on is still the author's problem
                    add([*path, "filter"], f"bad capture filter: {err}")

    # the scenario and its hosts
    hosts = _lint_scenario(lesson, add, base_dir)
    if hosts is not None:
        source.hosts = hosts
        for path, host in _step_host_paths(lesson):
            if host not in hosts:
                guess = did_you_mean(host, hosts)
                hint = f" (did you mean '{guess}'?)" if guess else ""
                what = "node" if path[-1] == "node" else "host"
                add(path, f"unknown {what} '{host}'{hint}; scenario {lesson.scenario_name} has {', '.join(hosts)}")
    return problems


def _lint_scenario(lesson: Lesson, add: Any, base_dir: Path | None) -> list[str] | None:
    from tui.engine.scenarios import ScenarioError, scenario_names

    scenario = lesson.scenario
    if isinstance(scenario, str) and not scenario.endswith((".yaml", ".yml")):
        names = scenario_names()
        if scenario not in names:
            guess = did_you_mean(scenario, names)
            hint = f" (did you mean '{guess}'?)" if guess else ""
            add(["scenario"], f"unknown scenario '{scenario}'{hint}; built-in: {', '.join(names)}")
            return None
    try:
        return scenario_hosts(lesson, base_dir)
    except ScenarioError as err:
        add(["scenario"], str(err))
    except Exception as err:  # an inline scenario the engine cannot build
        add(["scenario"], f"cannot build this scenario: {err}")
    return None


# ---- entry points ------------------------------------------------------------------------------


def load_lesson_text(text: str, file: str = "<lesson>", *, base_dir: Path | None = None,
                     lint: bool = True) -> Lesson:
    """Parse and validate a lesson from text; raise :class:`LessonError` with every problem found."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        raise LessonError([_yaml_problem(file, err)]) from None
    if root is None:
        raise LessonError([Problem(file, 1, 1, "", "empty file: a lesson is a mapping with id, title, "
                                                     "summary, objectives, estimated_minutes, scenario and steps")])
    dupes = [_at(file, node, [], msg) for node, msg in _duplicate_keys(root, [], set())]
    if dupes:
        raise LessonError(dupes)
    try:
        data = yaml.SafeLoader("").construct_document(root)
    except yaml.YAMLError as err:
        raise LessonError([_yaml_problem(file, err)]) from None
    if not isinstance(data, dict):
        raise LessonError([_at(file, root, [], f"a lesson is a mapping (id, title, steps, ...), got {_kind_of(data)}")])
    try:
        lesson = Lesson.model_validate(data)
    except ValidationError as err:
        problems = [_error_to_problem(file, root, e) for e in err.errors()]
        raise LessonError(list(dict.fromkeys(problems))) from None
    source = Source(file, root)
    lesson._source = source
    problems = lint_lesson(lesson, source, base_dir) if lint else []
    if problems:
        raise LessonError(problems)
    return lesson


def load_lesson(path: str | os.PathLike[str], *, lint: bool = True) -> Lesson:
    """Load a lesson file; raise :class:`LessonError` (``FILE:LINE:COL: message`` lines) when it is not usable."""
    p = Path(path)
    file = str(path)
    try:
        raw = p.read_bytes()
    except OSError as err:
        raise LessonError([Problem(file, 1, 1, "", f"cannot read: {err.strerror or err}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        col = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        raise LessonError([Problem(file, line, col, "", "not UTF-8 text")]) from None
    return load_lesson_text(text.removeprefix("\ufeff"), file, base_dir=p.parent, lint=lint)


def lesson_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files named, and the ``*.yaml``/``*.yml`` files of directories named (sorted; not recursive)."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(sorted(f for f in p.iterdir() if f.suffix in (".yaml", ".yml") and f.is_file()))
        else:
            out.append(p)
    return out


__all__ = ["LessonError", "Problem", "Source", "lesson_files", "lint_lesson", "load_lesson", "load_lesson_text",
           "locate", "scenario_hosts", "source_of"]
