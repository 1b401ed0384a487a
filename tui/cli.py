"""The ``overlaylab`` command line.

``overlaylab`` alone opens the lesson player; ``overlaylab shell`` gives a
prompt on a scenario's simulated hosts, or replays a script and prints the
transcript (what a lesson author checks, and what CI diffs).
"""

from __future__ import annotations

import argparse
import os
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

    add_lesson_commands(sub)
    add_play_command(sub)
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
    """``overlaylab`` with no subcommand: the player, starting at the lesson picker."""
    return cmd_play(argparse.Namespace(lesson=None, lang=None, presenter=False, step=None, seed=0))


# ---- play ------------------------------------------------------------------------


def add_play_command(sub: Any) -> None:
    play = sub.add_parser("play", help="play a lesson in the full-screen player")
    play.add_argument("lesson", nargs="?", metavar="LESSON",
                      help="lesson id, file name or path (default: choose from the list)")
    play.add_argument("--lang", choices=["en", "zh"], default=None,
                      help="language of the lesson and the player (default: from $LANG, else en)")
    play.add_argument("--presenter", action="store_true",
                      help="presenter mode: larger narrative, speaker notes, PageDown types the commands")
    play.add_argument("--step", type=int, metavar="N", help="start at step N (counting from 1)")
    play.add_argument("--seed", type=int, default=0, help="random seed of the lab (same seed, same run)")
    play.set_defaults(func=cmd_play)


def _default_lang() -> str:
    import os

    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def cmd_play(args: argparse.Namespace) -> int:
    """The Textual player (imported here: the other subcommands never load the UI)."""
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        _error("the player needs a terminal; use `overlaylab run LESSON` for a transcript")
        return 2
    from tui.app.pacing import set_frame_rate

    set_frame_rate()  # before Textual is imported
    from tui.app.app import create_app

    app = create_app(args.lesson, lang=args.lang or _default_lang(), presenter=bool(args.presenter),
                     step=args.step, seed=args.seed)
    app.run()
    return int(app.return_code or 0)


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
    shell.keep_all_captures = args.pcap is not None  # --pcap promises every packet
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


# ---- lessons: validate, run, lessons, export ----------------------------------------


def add_lesson_commands(sub: Any) -> None:
    """The lesson subcommands (headless: they never import the UI)."""
    validate = sub.add_parser("validate", help="check lesson files and play their solutions",
                              description="Check lesson files (FILE:LINE:COL: message for every problem) and "
                                          "play each lesson's solutions headlessly to prove it is solvable.")
    validate.add_argument("paths", nargs="+", metavar="PATH", help="lesson files or directories of them")
    validate.add_argument("--no-play", action="store_true", help="only check the files, do not play them")
    validate.add_argument("--play", action="store_true", help=argparse.SUPPRESS)  # the default; accepted
    validate.add_argument("--seed", type=int, default=0, help="random seed for playing (default 0)")
    validate.set_defaults(func=cmd_validate)

    run = sub.add_parser("run", help="play a lesson headlessly with its solutions and print the transcript")
    run.add_argument("lesson", metavar="LESSON", help="a lesson id or a lesson file")
    run.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the texts (default en)")
    run.add_argument("--format", choices=("text", "md", "html", "cast"), default="text", help="transcript format")
    run.add_argument("-o", "--output", metavar="FILE", help="write the transcript to FILE instead of stdout")
    run.add_argument("--pcap", metavar="FILE", help="write every packet the session captured to FILE")
    run.add_argument("--seed", type=int, default=0, help="random seed (same seed, same run)")
    run.add_argument("--no-save", action="store_true", help="do not keep the session journal for `export`")
    run.set_defaults(func=cmd_run)

    lessons = sub.add_parser("lessons", help="list the lessons and your progress")
    lessons.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the titles")
    lessons.set_defaults(func=cmd_lessons)

    export = sub.add_parser("export", help="export a saved session (Markdown, HTML, asciicast, pcap)")
    export.add_argument("--session", default="last", metavar="ID|last", help="which session (default: last)")
    export.add_argument("--format", choices=("text", "md", "html", "cast", "pcap"), required=True)
    export.add_argument("-o", "--output", metavar="FILE", required=True, help="where to write (- for stdout)")
    export.add_argument("--lang", choices=("en", "zh"), help="language of the labels (default: the session's)")
    export.set_defaults(func=cmd_export)


def _print_problems(problems: Sequence[object]) -> None:
    for p in problems:
        print(p)


def cmd_validate(args: argparse.Namespace) -> int:
    from tui.lesson.loader import LessonError, lesson_files, load_lesson, source_of
    from tui.lesson.session import Session

    files = []
    bad = 0
    for raw in args.paths:
        if not os.path.exists(raw):
            print(f"{raw}:1:1: no such file or directory")
            bad += 1
            continue
        found = lesson_files([raw])
        if os.path.isdir(raw) and not found:
            _error(f"warning: no lesson files (*.yaml) in {raw}")
        files.extend(found)
    played = 0
    for path in files:
        try:
            lesson = load_lesson(path)
        except LessonError as err:
            _print_problems(err.problems)
            bad += 1
            continue
        if args.no_play:
            continue
        try:
            session = Session(lesson, "en", args.seed, wall="virtual")
            failed = session.play_solutions()
        except Exception as err:  # a lesson (or an engine bug) must never crash validate
            print(f"{path}:1:1: cannot play: {type(err).__name__}: {err}")
            bad += 1
            continue
        played += 1
        source = source_of(lesson)
        problems = [source.problem(["steps", index, "iface"], notice) for index, notice in session.notices]
        if failed is not None and session.failure is not None:
            index, message = session.failure
            problems.append(source.problem(["steps", index], f"the solution does not pass: {message}"))
        _print_problems(sorted(problems, key=lambda p: (p.line, p.col)))
        bad += bool(problems)
    what = f"{len(files)} lesson file{'s' if len(files) != 1 else ''}"
    if not args.no_play:
        what += f", {played} played"
    print(f"{what}: {'no problems' if not bad else f'{bad} with problems'}", file=sys.stderr)
    return 1 if bad else 0


def _render(records: list[dict[str, Any]], fmt: str, lang: str | None) -> str | bytes:
    """The transcript in ``fmt``: text here, the rest by the exporters (tui.export)."""
    if fmt == "text":
        from tui.lesson.session import transcript_text

        return transcript_text(records)
    if fmt == "pcap":
        return _pcap_bytes(records)
    try:
        from tui.export import render
    except ImportError as err:
        raise _ExportMissing(f"--format {fmt} needs the exporters (tui.export), which are not available: {err}") \
            from None
    return render(records, fmt, lang)


class _ExportMissing(Exception):
    pass


def _pcap_bytes(records: list[dict[str, Any]]) -> bytes:
    """A pcap of the journal's packet records (all Ethernet, in capture order)."""
    from tui.engine.pcap import LINKTYPE_ETHERNET, encode_pcap

    packets = []
    for rec in records:
        if rec.get("kind") == "packet" and rec.get("linktype", 1) == LINKTYPE_ETHERNET:
            try:
                packets.append((int(rec["ts_ns"]), bytes.fromhex(str(rec["data"]))))
            except (KeyError, TypeError, ValueError):
                continue
    return encode_pcap(packets, LINKTYPE_ETHERNET)


def _write_output(path: str | None, data: str | bytes) -> None:
    if path is None or path == "-":
        if isinstance(data, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            sys.stdout.write(data)
            sys.stdout.flush()
        return
    if isinstance(data, bytes):
        with open(path, "wb") as fh:
            fh.write(data)
    else:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(data)


def cmd_run(args: argparse.Namespace) -> int:
    from tui.lesson.catalog import find_lesson
    from tui.lesson.loader import LessonError, load_lesson
    from tui.lesson.progress import ProgressError, ProgressStore
    from tui.lesson.session import Session, SessionError

    try:
        lesson = load_lesson(find_lesson(args.lesson))
    except LookupError as err:
        _error(str(err.args[0] if err.args else err))
        return 2
    except LessonError as err:
        _print_problems(err.problems)
        return 1
    journal = None
    if not args.no_save:
        try:
            _sid, journal = ProgressStore().new_session(lesson.id)
        except (OSError, ProgressError) as err:
            _error(f"warning: the session journal is not saved: {err}")
    try:
        session = Session(lesson, args.lang, args.seed, journal, wall="virtual")
        failed = session.play_solutions()
    except SessionError as err:
        _error(str(err))
        return 1
    except Exception as err:  # an engine bug: one line, not a traceback
        _error(f"cannot play {lesson.id}: {type(err).__name__}: {err}")
        return 1
    try:
        _write_output(args.output, _render(session.records, args.format, args.lang))
        if args.pcap:
            _write_output(args.pcap, _pcap_bytes(session.records))
    except _ExportMissing as err:
        _error(str(err))
        return 2
    except OSError as err:
        _error(f"cannot write {err.filename or ''}: {err.strerror or err}")
        return 1
    if failed is not None and session.failure is not None:
        index, message = session.failure
        step = lesson.steps[index]
        _error(f"step {index + 1} ({step.id or step.kind}) failed: {message}")
        return 1
    return 0


def cmd_lessons(args: argparse.Namespace) -> int:
    from tui.lesson.catalog import catalog, lessons_dir
    from tui.lesson.progress import ProgressStore

    store = ProgressStore()
    for warning in store.load():
        _error(f"warning: {warning}")
    entries = catalog()
    if not entries:
        _error(f"no lessons found (looked in {lessons_dir() or 'lessons/'})")
        return 0
    width = max(len(e.id) for e in entries)
    for entry in entries:
        prog = store.get(entry.id)
        state = prog.summary(entry.steps) if prog is not None else "not started"
        if entry.lesson is None:
            state = "invalid: run overlaylab validate"
        print(f"{entry.id:<{width}}  {entry.title(args.lang)}  ·  {entry.steps} steps  ·  {state}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from tui.lesson.progress import ProgressError, ProgressStore
    from tui.lesson.session import read_journal

    try:
        info = ProgressStore().find_session(args.session)
        records, warnings = read_journal(info.path)
    except ProgressError as err:
        _error(str(err))
        return 1
    except OSError as err:
        _error(f"cannot read the session: {err.strerror or err}")
        return 1
    for warning in warnings:
        _error(f"warning: {warning}")
    if not records:
        _error(f"session {info.id} has no records")
        return 1
    lang = args.lang or next((r.get("lang") for r in records if r.get("kind") == "session"), None)
    try:
        _write_output(args.output, _render(records, args.format, lang))
    except _ExportMissing as err:
        _error(str(err))
        return 2
    except OSError as err:
        _error(f"cannot write {args.output}: {err.strerror or err}")
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
