"""The simulated shell: a small bash that runs learners' commands in virtual time.

No UI imports here: a TUI or the CLI renders :class:`Terminal` chunks.
"""

from tui.shell import commands as _commands  # noqa: F401  (registers the commands)
from tui.shell.interp import Shell
from tui.shell.registry import Ctx, command, lookup, names, run_command
from tui.shell.terminal import Terminal

__all__ = ["Ctx", "Shell", "Terminal", "command", "lookup", "names", "run_command"]
