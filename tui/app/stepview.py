"""What the Lesson pane shows of a step, read from the session in the session's language.

A plain dataclass so that the pane never reaches into lesson models and the
screen can compare "what is shown" with "what should be shown" cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Choice:
    letter: str
    text: str


@dataclass(frozen=True)
class StepView:
    index: int
    total: int
    kind: str
    title: str
    markdown: str
    host: str = ""
    commands: tuple[str, ...] = ()
    hints_total: int = 0
    hints: tuple[str, ...] = ()
    notes: str = ""
    choices: tuple[Choice, ...] = ()
    multiple: bool = False
    typed: bool = False
    question: str = ""
    capture: str = ""
    completed: bool = False
    answers: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class StepItem:
    """One row of the step list."""

    index: int
    title: str
    kind: str
    completed: bool
    current: bool
    skipped: bool = False  # passed over (its solution played for the learner), not completed since


def step_view(session: Any, index: int | None = None) -> StepView:
    """The view of step ``index`` (default: the current one)."""
    lesson = session.lesson
    i = session.step if index is None else index
    step = lesson.steps[i]
    text = session.text
    kind = step.kind
    state = session.states[i]
    hints = tuple(text(h) for h in step.hints[: state.hints_used])
    title = text(step.title) or f"{kind} {i + 1}"
    body = text(step.body) if step.body is not None else ""
    choices: tuple[Choice, ...] = ()
    typed = False
    question = ""
    if kind == "quiz":
        question = body
        if step.choices:
            letters = "abcdefghijklmnopqrstuvwxyz"
            choices = tuple(Choice(letters[k], text(c.text)) for k, c in enumerate(step.choices))
        else:
            typed = True
    capture = ""
    if kind == "capture":
        flt = f" {step.filter}" if step.filter else ""
        capture = f"{step.host or session.host} {step.iface}{flt}"
        if not body:
            body = session.step_markdown(i)
    commands: tuple[str, ...] = tuple(getattr(step, "commands", ()) or ())
    return StepView(
        index=i,
        total=len(lesson.steps),
        kind=kind,
        title=title,
        markdown=body,
        host=getattr(step, "host", None) or "",
        commands=commands,
        hints_total=len(step.hints),
        hints=hints,
        notes=text(step.notes),
        choices=choices,
        multiple=bool(getattr(step, "multiple", False)),
        typed=typed,
        question=question,
        capture=capture,
        completed=state.completed,
        answers=tuple(state.answers),
    )


def step_items(session: Any) -> list[StepItem]:
    lesson = session.lesson
    out = []
    for i, step in enumerate(lesson.steps):
        state = session.states[i]
        out.append(StepItem(i, session.text(step.title) or f"{step.kind} {i + 1}", step.kind,
                            state.completed, i == session.step,
                            skipped=bool(getattr(state, "skipped", False)) and not state.completed))
    return out
