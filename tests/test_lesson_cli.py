"""`overlaylab validate`, `run`, `lessons` and `export`: exit codes and what they print."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tui.cli import main
from tui.engine.pcap import decode_pcap
from tui.lesson.loader import load_lesson
from tui.lesson.progress import ProgressStore
from tui.lesson.session import Session

FIXTURES = Path(__file__).parent / "fixtures" / "lessons"
FIXTURE = FIXTURES / "overlay-sample.yaml"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Progress and journals in a temporary home; the catalog is the fixtures directory."""
    path = tmp_path / "home"
    monkeypatch.setenv("OVERLAYLAB_HOME", str(path))
    monkeypatch.setenv("OVERLAYLAB_LESSONS", str(FIXTURES))
    return path


def broken_copy(tmp_path: Path) -> Path:
    """The fixture with a solution that does not reach its goal (scales to 2, the check wants 3)."""
    text = FIXTURE.read_text(encoding="utf-8").replace("      - command: docker service scale test=3",
                                                       "      - command: docker service scale test=2")
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


# ---- validate ---------------------------------------------------------------------------------


def test_validate_a_good_directory(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(FIXTURES)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "1 lesson file, 1 played: no problems\n"


def test_validate_reports_every_problem_as_file_line_col(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(FIXTURE.read_text(encoding="utf-8").replace("    commands:\n", "    comands:\n", 1)
                   .replace("estimated_minutes: 15", "estimated_minutes: -1"), encoding="utf-8")
    assert main(["validate", str(bad), str(FIXTURE)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"{bad}:{line_of(bad, 'estimated_minutes')}:20: estimated_minutes: must be at least 1, got -1",
        f"{bad}:{line_of(bad, 'comands:')}:5: steps[1].comands: unknown key 'comands' in a run step "
        "(did you mean 'commands'?)",
    ]
    assert err == "2 lesson files, 1 played: 1 with problems\n"


def test_validate_plays_solutions_and_reports_the_unsolvable_step(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = broken_copy(tmp_path)
    assert main(["validate", str(path)]) == 1
    out, _ = capsys.readouterr()
    step_line = line_of(path, "  - kind: task")
    assert out == (f"{path}:{step_line}:5: steps[3]: the solution does not pass: expected service test to have 3 "
                   "running tasks; it has 2\n")
    assert main(["validate", "--no-play", str(path)]) == 0


def test_validate_missing_paths_and_empty_directories(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 1
    out, _ = capsys.readouterr()
    assert out == f"{tmp_path / 'nope.yaml'}:1:1: no such file or directory\n"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["validate", str(empty)]) == 0
    _, err = capsys.readouterr()
    assert f"warning: no lesson files (*.yaml) in {empty}" in err


# ---- run ----------------------------------------------------------------------------------------


def test_run_prints_the_transcript(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "overlay-sample"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith("# An overlay network, a service and VXLAN\n")
    assert "== 2. Create the network ==\n" in out
    assert "root@ip-10-0-2-197:~# docker network create -d overlay my-swarm-net\n" in out
    assert "[check passed] network my-swarm-net exists (overlay, swarm)\n" in out
    assert out.endswith("[end] completed\n")


def test_run_in_chinese_to_a_file_with_a_pcap(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file, pcap = tmp_path / "t.txt", tmp_path / "t.pcap"
    assert main(["run", str(FIXTURE), "--lang", "zh", "-o", str(out_file), "--pcap", str(pcap)]) == 0
    assert capsys.readouterr() == ("", "")
    text = out_file.read_text(encoding="utf-8")
    assert text.startswith("# overlay 网络、服务与 VXLAN\n") and "[check passed] 网络 my-swarm-net 存在（overlay，swarm）" in text
    contents = decode_pcap(pcap.read_bytes())
    assert contents.linktype == 1 and len(contents.records) == 8
    assert all(frame[23] == 17 and frame[36:38] == b"\x12\xb5" for _ts, frame in contents.records)  # UDP to 4789


def test_run_is_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    assert main(["run", "overlay-sample", "-o", str(a), "--seed", "5"]) == 0
    assert main(["run", "overlay-sample", "-o", str(b), "--seed", "5"]) == 0
    assert a.read_bytes() == b.read_bytes()


def test_run_markdown_through_the_exporters(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tui.export")
    assert main(["run", "overlay-sample", "--format", "md", "--no-save"]) == 0
    out, _ = capsys.readouterr()
    assert out.startswith("# An overlay network, a service and VXLAN")
    assert "root@ip-10-0-2-197:~# docker network ls" in out


def test_run_exits_1_with_the_failing_step(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(broken_copy(tmp_path))]) == 1
    out, err = capsys.readouterr()
    assert "[check FAILED] expected service test to have 3 running tasks; it has 2" in out
    assert err == "overlaylab: step 4 (scale) failed: expected service test to have 3 running tasks; it has 2\n"


def test_run_unknown_lesson_and_invalid_lesson(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "no-such-lesson"]) == 2
    _, err = capsys.readouterr()
    assert err == f"overlaylab: no lesson 'no-such-lesson' (not a file; lessons in {FIXTURES}: overlay-sample)\n"
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\n", encoding="utf-8")
    assert main(["run", str(bad)]) == 1
    out, _ = capsys.readouterr()
    assert out.startswith(f"{bad}:1:1: missing required key ")


# ---- lessons --------------------------------------------------------------------------------------


def test_lessons_lists_ids_titles_steps_and_progress(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lessons"]) == 0
    assert capsys.readouterr().out == "overlay-sample  An overlay network, a service and VXLAN  ·  9 steps  ·  not started\n"
    lesson = load_lesson(FIXTURE)
    session = Session(lesson)
    session.goto(3)  # steps jumped over are not the learner's: none counts
    store = ProgressStore()
    store.update(session)
    assert main(["lessons"]) == 0
    assert capsys.readouterr().out.endswith("·  9 steps  ·  0/9 steps\n")
    session = Session(lesson)
    for _ in range(3):  # three steps done by the learner
        session.solve()
        session.next()
    store.update(session)
    assert main(["lessons", "--lang", "zh"]) == 0
    assert capsys.readouterr().out == "overlay-sample  overlay 网络、服务与 VXLAN  ·  9 steps  ·  3/9 steps\n"
    session.play_solutions()
    store.update(session)
    assert main(["lessons"]) == 0
    assert capsys.readouterr().out.endswith("·  9 steps  ·  done\n")


def test_lessons_survives_a_corrupt_progress_file(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home.mkdir(parents=True)
    (home / "progress.json").write_text("not json", encoding="utf-8")
    assert main(["lessons"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("overlay-sample  ")
    assert err == (f"overlaylab: warning: {home / 'progress.json'} was corrupt (not JSON); moved it to "
                   "progress.json.corrupt-1 and started afresh\n")


# ---- export ---------------------------------------------------------------------------------------


def test_export_the_last_session(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--format", "text", "-o", "-"]) == 1
    assert "no saved sessions" in capsys.readouterr().err
    assert main(["run", "overlay-sample", "-o", str(tmp_path / "run.txt")]) == 0
    assert main(["export", "--session", "last", "--format", "text", "-o", str(tmp_path / "again.txt")]) == 0
    assert (tmp_path / "again.txt").read_text(encoding="utf-8") == (tmp_path / "run.txt").read_text(encoding="utf-8")
    assert main(["export", "--format", "pcap", "-o", str(tmp_path / "s.pcap")]) == 0
    assert len(decode_pcap((tmp_path / "s.pcap").read_bytes()).records) == 8
    if shutil.which("tcpdump"):
        shown = subprocess.run(["tcpdump", "-nr", str(tmp_path / "s.pcap")], capture_output=True, text=True)
        assert shown.stdout.count("VXLAN, flags [I] (0x08), vni 4097") == 8
    assert main(["export", "--session", "nope", "--format", "md", "-o", "-"]) == 1
    assert "no session 'nope'" in capsys.readouterr().err


def test_export_markdown_and_html(tmp_path: Path) -> None:
    pytest.importorskip("tui.export")
    assert main(["run", "overlay-sample", "--lang", "zh", "-o", str(tmp_path / "run.txt")]) == 0
    assert main(["export", "--format", "md", "-o", str(tmp_path / "s.md")]) == 0
    assert main(["export", "--format", "html", "-o", str(tmp_path / "s.html")]) == 0
    assert "docker network create -d overlay my-swarm-net" in (tmp_path / "s.md").read_text(encoding="utf-8")
    assert "<html" in (tmp_path / "s.html").read_text(encoding="utf-8")


def test_no_traceback_from_the_real_command_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "tui", "validate", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stdout + proc.stderr
    assert proc.stdout.startswith(f"{bad}:2:1: YAML syntax error: ")


def test_validate_reports_a_capture_on_a_missing_device(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "eth9.yaml"
    path.write_text(FIXTURE.read_text(encoding="utf-8").replace("    iface: eth0\n", "    iface: eth9\n"),
                    encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    out, _ = capsys.readouterr()
    assert out.splitlines()[0] == (f"{path}:{line_of(path, 'iface: eth9')}:12: steps[5].iface: ip-10-0-2-253: eth9: "
                                   "No such device exists (the capture did not start)")
