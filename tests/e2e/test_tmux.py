"""End to end: the installed ``overlaylab`` in a real terminal (tmux, 160x50), driven by keys.

This is what a learner does: start the player on the seed lesson, read the
first step, go on, type the step's commands, see their output and the check
pass, go on to the next node. The screen is read back with ``tmux
capture-pane -p`` and asserted as text, so the whole stack is exercised: the
console script, argument parsing, Textual's real Linux driver, key decoding,
and rendering (including Chinese text, which must keep the panes aligned).

Skipped when tmux or the ``overlaylab`` script is missing (``.ci/run`` installs
tmux). Each test runs its own tmux server (``-L``) with a scratch
``OVERLAYLAB_HOME``, so the learner's own progress is never touched.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "fixtures" / "app-fixture.yaml"
SEED = ROOT / "lessons" / "05-overlay-service.yaml"

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None or shutil.which("overlaylab") is None,
                                reason="needs tmux and the installed overlaylab script")


class Term:
    """One tmux server with one 160x50 window running a command."""

    def __init__(self, socket: str, command: str, env: dict[str, str]) -> None:
        self.socket = socket
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        # COLUMNS/LINES from the test process would override the pane's real size
        self.tmux("new-session", "-d", "-s", "t", "-x", "160", "-y", "50",
                  f"env -u COLUMNS -u LINES {exports} {command}; sleep 60")

    def tmux(self, *args: str) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20)
        return out.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "t", "-l", text)

    def wait_for(self, *texts: str, timeout: float = 20.0) -> str:
        """The screen once every text is on it (fails with the screen shown)."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if all(t in screen for t in texts):
                return screen
            time.sleep(0.1)
        missing = [t for t in texts if t not in screen]
        raise AssertionError(f"not on screen: {missing!r}\n{screen}")

    def run(self, line: str, prompt: str, idle: str = "type a command", timeout: float = 20.0) -> str:
        """Type a command and press Enter; the screen once its echo is shown and the prompt is idle again."""
        self.type(line)
        self.keys("Enter")
        echo = f"{prompt}{line}"[:60]
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if echo in screen and idle in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{line!r} did not finish\n{screen}")

    @staticmethod
    def pane(screen: str, title: str) -> str:
        """The inside of the box titled ``title`` (columns of its top border, for ASCII screens)."""
        lines = screen.splitlines()
        top = next(i for i, line in enumerate(lines) if f"╭─ {title}" in line)
        left = lines[top].index(f"╭─ {title}")
        right = lines[top].index("╮", left)
        out = []
        for line in lines[top + 1:]:
            if len(line) <= left or line[left] == "╰":
                break
            out.append(line[left + 1:right].rstrip())
        return "\n".join(out)

    def close(self) -> None:
        socket = self.tmux("display-message", "-p", "#{socket_path}").strip()
        self.tmux("kill-server")
        if socket:
            Path(socket).unlink(missing_ok=True)  # tmux leaves its socket file behind


@pytest.fixture
def term(tmp_path: Path) -> Iterator[object]:
    made: list[Term] = []

    def start(args: str, lang: str = "en_US.UTF-8") -> Term:
        env = {"OVERLAYLAB_HOME": str(tmp_path / "home"), "LANG": lang, "LC_ALL": lang, "TERM": "xterm-256color"}
        t = Term(f"overlaylab-e2e-{os.getpid()}-{len(made)}", f"overlaylab play {args}", env)
        made.append(t)
        return t

    yield start
    for t in made:
        t.close()


def _lesson(path: Path) -> object:
    from tui.lesson.loader import load_lesson

    return load_lesson(path, lint=False)


@pytest.mark.skipif(not SEED.is_file(), reason="the seed lesson lessons/05-overlay-service.yaml is not there")
def test_first_steps_of_the_seed_lesson(term: object) -> None:
    lesson = _lesson(SEED)
    steps = lesson.steps  # type: ignore[attr-defined]
    run_step = steps[1]
    assert run_step.kind == "run"
    t = term(shlex.quote(str(SEED)))  # type: ignore[operator]
    title = lesson.title.en  # type: ignore[attr-defined]
    screen = t.wait_for(title, "Step 1/", "root@ip-10-0-2-197:~#", timeout=30)
    assert "F4 Next step" in screen  # the footer tells the keys
    assert "╭─ Console" in screen and "╭─ Nodes" in screen and "╭─ Capture" in screen
    t.keys("F4")
    screen = t.wait_for(f"Step 2/{len(steps)}", run_step.title.en)
    for command in run_step.commands:
        screen = t.run(command, f"root@{run_step.host}:~# ")
    # what the commands printed: the pinned id of the seed note, the network in the list
    assert "lr7ugdh1kdl2" in screen
    net_line = next(line for line in screen.splitlines() if "my-swarm-net" in line and "overlay" in line)
    assert "swarm" in net_line
    screen = t.wait_for("✓ Check: passed")
    # the Nodes pane shows both nodes with their swarm roles
    assert "ip-10-0-2-197  manager (leader) active ready" in screen
    assert "ip-10-0-2-253  worker active ready" in screen
    # on to the worker: a shell on node2, where the network is not (yet) to be seen
    next_step = steps[2]
    t.keys("F4")
    screen = t.wait_for(f"Step 3/{len(steps)}", f"root@{next_step.host}:~#")
    screen = t.run("docker network ls", f"root@{next_step.host}:~# ")
    console = t.pane(screen, "Console")
    after = console.split("docker network ls")[-1]
    assert "docker_gwbridge" in after and "my-swarm-net" not in after
    # ctrl+q leaves; the progress is saved
    t.keys("C-q")
    time.sleep(1.0)


def test_fixture_lesson_in_chinese_keeps_panes_aligned(term: object) -> None:
    t = term(shlex.quote(str(FIXTURE)), "zh_CN.UTF-8")  # type: ignore[operator]
    screen = t.wait_for("Overlay 入门（测试课程）", "第 1/6 步", "root@ip-10-0-2-197:~#", timeout=30)
    t.keys("F4")
    screen = t.wait_for("第 2/6 步", "一个 overlay 网络")
    screen = t.run("echo 你好，世界 [b]不是粗体[/b]", "root@ip-10-0-2-197:~# ", idle="输入命令")
    assert screen.count("你好，世界 [b]不是粗体[/b]") == 2  # the echoed line and the output
    lines = screen.splitlines()
    # every row is exactly as wide as the terminal: wide characters took two cells, nothing shifted
    from rich.cells import cell_len

    assert all(cell_len(line) <= 160 for line in lines)
    framed = [line for line in lines if line.startswith("│") and "│" in line[1:]]
    assert framed
    right_edges = {cell_len(line.rstrip()) for line in framed if line.rstrip().endswith("│")}
    assert right_edges == {160}
    # help in Chinese, then back
    t.keys("F1")
    t.wait_for("按键", "下一步")
    t.keys("Escape")
    t.keys("C-q")
    time.sleep(0.5)
