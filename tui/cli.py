"""The ``overlaylab`` command line.

``overlaylab`` alone opens the lesson player; ``overlaylab shell`` gives a
prompt on a scenario's simulated hosts, or replays a script and prints the
transcript (what a lesson author checks, and what CI diffs).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from tui.engine.lab import Lab
    from tui.shell.interp import Shell
    from tui.shell.terminal import Chunk

DEFAULT_SCENARIO = "linux-hosts"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="overlaylab",
        description="Learn Docker Swarm networking on a simulated Linux network stack.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    shell = sub.add_parser("shell", help="a shell on a scenario's simulated hosts")
    shell.add_argument("--scenario", default=DEFAULT_SCENARIO, metavar="NAME|FILE",
                       help=f"built-in scenario name or scenario file (default: {DEFAULT_SCENARIO})")
    shell.add_argument("--script", metavar="FILE|-", help="run the commands of FILE (- for stdin) and print the transcript")
    shell.add_argument("--seed", type=int, default=0, help="random seed (same seed, same run)")
    shell.add_argument("--pcap", metavar="FILE", help="write every packet the session's tcpdump runs captured")
    shell.set_defaults(func=cmd_shell)

    # Later subcommands are added here, each with set_defaults(func=...):
    #   play (a lesson in the player), run (a lesson headless), validate (lesson files),
    #   lessons (list them), export (a lesson's transcript / captures).
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from tui.engine.runtime import tune_gc

    tune_gc()
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    try:
        if func is None:
            return cmd_player(args)
        return func(args)
    except BrokenPipeError:
        # the reader went away (`overlaylab shell ... | head`): stop quietly, as command-line tools do
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        return 130


def cmd_player(_args: argparse.Namespace) -> int:
    """``overlaylab`` with no subcommand: the TUI player (to come)."""
    print("overlaylab: the lesson player is not built yet; try `overlaylab shell --scenario linux-hosts`")
    return 0


# ---- shell -----------------------------------------------------------------------


def _error(message: str) -> None:
    print(f"overlaylab: {message}", file=sys.stderr)


def load_lab(scenario: str, seed: int) -> Lab:
    """Build the scenario's lab (raises ScenarioError for unknown names or bad files)."""
    from tui.engine.scenarios import build_scenario

    return build_scenario(scenario, seed)


def _read_script(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read()


def cmd_shell(args: argparse.Namespace) -> int:
    from tui.engine.scenarios import ScenarioError
    from tui.shell import Shell

    try:
        lab = load_lab(args.scenario, args.seed)
    except ScenarioError as err:
        _error(str(err))
        return 2
    if not lab.hosts:
        _error(f"scenario '{args.scenario}' has no hosts")
        return 2
    script = None
    if args.script is not None:
        try:
            script = _read_script(args.script)
        except OSError as err:
            _error(f"cannot read script {args.script}: {err.strerror or err}")
            return 2
    shell = Shell(lab)
    if script is not None:
        unsubscribe = shell.terminal.subscribe(_printer(sys.stdout, tty=False))
        try:
            shell.run_script(script, echo=True)
        finally:
            unsubscribe()
            sys.stdout.flush()
    else:
        interactive(shell)
    if args.pcap is not None:
        return write_captures(shell, args.pcap)
    return 0


def _printer(stream: TextIO, *, tty: bool) -> Callable[[Chunk], None]:
    def show(chunk: Chunk) -> None:
        if chunk.stream == "clear":
            if tty:
                stream.write("\x1b[H\x1b[2J")
        else:
            encoding = getattr(stream, "encoding", None) or "utf-8"
            stream.write(chunk.text.encode(encoding, errors="replace").decode(encoding, errors="replace"))
        stream.flush()

    return show


def interactive(shell: Shell) -> None:
    """A plain prompt: readline editing and history, Ctrl-D exits, Ctrl-C interrupts."""
    try:
        import readline  # noqa: F401  (gives input() line editing and history)
    except ImportError:  # pragma: no cover - not on every platform
        pass
    unsubscribe = shell.terminal.subscribe(_printer(sys.stdout, tty=sys.stdout.isatty()))
    try:
        while not shell.exited:
            try:
                line = input(shell.prompt)
            except EOFError:
                sys.stdout.write("\n")
                shell.run_line("exit")
                continue
            except KeyboardInterrupt:
                sys.stdout.write("^C\n")
                continue
            try:
                shell.run_line(line)
            except KeyboardInterrupt:
                # Virtual time runs fast; a real Ctrl-C here stops what is still running.
                shell.interrupt()
                shell.finish_line()
    finally:
        unsubscribe()


def _linktype(capture: Any) -> int:
    hint = getattr(capture, "linktype_hint", None)
    return int(hint if hint is not None else getattr(capture, "linktype", 1))


def _record(rec: Any) -> tuple[int, bytes]:
    if isinstance(rec, tuple):
        return int(rec[0]), bytes(rec[1])
    return int(getattr(rec, "t_wall", getattr(rec, "t", 0))), bytes(rec.data)


def write_captures(shell: Shell, path: str) -> int:
    """One pcap with every record of the session's captures, capture after capture."""
    from tui.engine.pcap import write_pcap

    captures = list(shell.captures)
    linktype = _linktype(captures[0]) if captures else 1
    records: list[tuple[int, bytes]] = []
    for n, capture in enumerate(captures, 1):
        kind = _linktype(capture)
        if kind != linktype:
            _error(f"warning: capture {n} has link type {kind}, not {linktype}; its packets are not in {path}")
            continue
        records.extend(_record(rec) for rec in capture.records)
    try:
        write_pcap(path, records, linktype=linktype)
    except OSError as err:
        _error(f"cannot write {path}: {err.strerror or err}")
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
