"""What several test files do with a simulated shell: type lines, read what they printed."""

from __future__ import annotations

from tui.shell import Shell


def run(shell: Shell, *lines: str) -> str:
    """Type ``lines`` at the prompt, one after another; the transcript they added (prompts and echo included)."""
    start = len(shell.terminal.text())
    for line in lines:
        shell.run_line(line, echo=True)
    return shell.terminal.text()[start:]
