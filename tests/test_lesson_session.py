"""Playing a lesson on the `swarm` scenario: steps, checks on state, quizzes, faults, exact replay, journal, progress."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tui.lesson.loader import load_lesson
from tui.lesson.model import Lesson
from tui.lesson.progress import ENV_HOME, ProgressStore, atomic_write_text, data_dir
from tui.lesson.session import Session, SessionError, read_journal, transcript_text

FIXTURE = Path(__file__).parent / "fixtures" / "lessons" / "overlay-sample.yaml"
N1, N2 = "ip-10-0-2-197", "ip-10-0-2-253"
INTRO, CREATE_NET, SERVICE, SCALE, WHICH_IFACE, WATCH, PING, FIREWALL, VNI = range(9)

# The journal's record schema (what the exporters consume): every key, and the type of its value.
SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "session": {"kind": str, "lesson": str, "lang": str, "seed": int, "scenario": str, "title": str, "started": str},
    "step": {"kind": str, "index": int, "id": str, "type": str, "title": str, "text": str, "v": int},
    "command": {"kind": str, "step": int, "host": str, "prompt": str, "line": str, "output": str, "status": int,
                "v_start": int, "v_end": int, "wall": str},
    "check": {"kind": str, "step": int, "passed": bool, "message": str, "v": int},
    "quiz": {"kind": str, "step": int, "question": str, "answer": str, "correct": bool, "feedback": str},
    "hint": {"kind": str, "step": int, "n": int, "text": str},
    "packet": {"kind": str, "v": int, "ts_ns": int, "linktype": int, "data": str, "where": str},
    "end": {"kind": str, "completed": bool, "v": int},
}


@pytest.fixture(scope="module")
def lesson() -> Lesson:
    return load_lesson(FIXTURE)


def assert_schema(records: list[dict[str, Any]]) -> None:
    for rec in records:
        fields = SCHEMA[rec["kind"]]
        assert set(rec) == set(fields), rec
        for key, typ in fields.items():
            assert isinstance(rec[key], typ), (key, rec)
            if typ is int:
                assert not isinstance(rec[key], bool), (key, rec)


def services(session: Session) -> dict[str, str]:
    cluster = session.lab.swarms[0]  # type: ignore[attr-defined]
    return {s.name: s.id for s in cluster.services.values()}


def test_play_solutions_plays_the_whole_lesson(lesson: Lesson) -> None:
    session = Session(lesson, wall="virtual")
    assert session.play_solutions() is None and session.failure is None
    kinds = [r["kind"] for r in session.records]
    assert kinds[0] == "session" and kinds[-1] == "end" and session.records[-1]["completed"] is True
    assert kinds.count("step") == 9
    assert session.completed == list(range(9))
    assert_schema(session.records)
    packets = [r for r in session.records if r["kind"] == "packet"]
    # the capture step's view saw the 3 echo requests and 3 replies in VXLAN, then the break check's ping
    assert len(packets) == 8 and {p["where"] for p in packets} == {f"{N2}/host:eth0"}
    assert all(p["ts_ns"] == p["v"] + session.lab.clock.epoch_ns for p in packets)
    assert [p["v"] for p in packets] == sorted(p["v"] for p in packets)


def test_run_step_needs_its_commands_and_its_expect(lesson: Lesson) -> None:
    session = Session(lesson)
    session.goto(CREATE_NET)
    assert session.host == N1
    result = session.run("docker network create -d overlay my-swarm-net")
    assert result.prompt == f"root@{N1}:~# " and result.status == 0 and result.output.endswith("\n")
    assert session.check() == (False, "run `docker network ls` first")
    out = session.run("docker   network ls")  # spacing does not matter
    assert "my-swarm-net      overlay   swarm" in out.output
    assert session.check() == (True, "network my-swarm-net exists (overlay, swarm)")
    assert session.states[CREATE_NET].completed and session.states[CREATE_NET].attempts == 2


def test_task_step_is_judged_on_state_however_it_was_reached(lesson: Lesson) -> None:
    session = Session(lesson)
    session.goto(SCALE)
    assert services(session) == {"test": services(session)["test"]}
    assert session.check() == (False, "expected service test to have 3 running tasks; it has 1")
    assert session.hint() == "Look at `docker service --help`."
    assert session.hint() == "`docker service scale NAME=N`"
    assert session.hint() is None
    session.run("docker service scale test=2")  # not the lesson's solution, and not there yet
    assert session.check() == (False, "expected service test to have 3 running tasks; it has 2")
    session.run("docker service scale test=3")
    assert session.check() == (True, "service test has 3 running tasks")
    hints = [r for r in session.records if r["kind"] == "hint"]
    assert [(h["n"], h["text"]) for h in hints] == [(1, "Look at `docker service --help`."),
                                                    (2, "`docker service scale NAME=N`")]


def test_quiz_answers_and_feedback(lesson: Lesson) -> None:
    session = Session(lesson, lang="zh")
    session.goto(WHICH_IFACE)
    assert session.check() == (False, "请先回答问题")
    wrong = session.answer(1)
    assert (wrong.correct, wrong.feedback) == (False, "eth1 负责访问外部网络的流量")
    right = session.answer("a")
    assert (right.correct, right.feedback) == (True, "对，10.0.1.0/24 在 eth0 上。")
    assert session.check() == (True, "回答正确")
    quiz = [r for r in session.records if r["kind"] == "quiz"]
    assert quiz[0]["answer"] == "eth1（docker_gwbridge）" and quiz[0]["question"].startswith("一个任务 ping")
    with pytest.raises(SessionError, match="no choice 7"):
        session.answer(7)
    session.goto(VNI)
    assert session.answer("4098").correct is False
    assert session.answer("  VNI 4097 ").correct is True  # the regex, case-insensitively
    with pytest.raises(SessionError, match="not a quiz"):
        session.goto(INTRO)
        session.answer(0)


def test_break_step_injects_the_fault_and_is_judged_on_repair(lesson: Lesson) -> None:
    session = Session(lesson)
    session.goto(FIREWALL)
    assert session.host == N2
    assert session.check() == (False, "the fault has not been injected yet")
    session.apply_break()
    passed, message = session.check()
    assert not passed
    assert message.endswith("to 10.0.1.5 to succeed; it did not: 1 packets transmitted, 0 packets received, "
                            "100% packet loss")
    listing = session.run("iptables -S INPUT").output
    assert "-A INPUT -p udp -m udp --dport 4789 -j DROP" in listing
    assert not any(r["kind"] == "command" and "iptables -I" in r["line"] for r in session.records)  # faults are hidden
    session.run("iptables -D INPUT -p udp --dport 4789 -j DROP")
    assert session.check() == (True, "all 2 checks hold")


def test_back_restores_the_exact_state_and_redoing_gives_the_same_ids(lesson: Lesson) -> None:
    session = Session(lesson)
    session.goto(SERVICE)
    at_start = (session.v, session.lab.rng.getstate(), session.run("docker network ls").output)
    session.reset_step()  # that `ls` changed nothing an id depends on, but reset anyway
    first = session.run("docker service create --name test --network my-swarm-net busybox ping 8.8.8.8")
    ids = services(session)
    tasks = session.run("docker service ps test").output
    assert session.check().passed
    session.next()
    session.run("docker service scale test=3")
    assert session.back() is True and session.step == SERVICE
    assert services(session) == {}
    assert (session.v, session.lab.rng.getstate()) == at_start[:2]
    assert session.run("docker network ls").output == at_start[2]
    session.reset_step()
    again = session.run("docker service create --name test --network my-swarm-net busybox ping 8.8.8.8")
    assert again.output == first.output and (again.v_start, again.v_end) == (first.v_start, first.v_end)
    assert services(session) == ids
    assert session.run("docker service ps test").output == tasks


def test_back_at_the_start_and_bad_steps(lesson: Lesson) -> None:
    session = Session(lesson)
    assert session.back() is False
    with pytest.raises(SessionError, match="no step 9"):
        session.goto(9)
    with pytest.raises(SessionError, match="unknown host 'nope'"):
        session.run("ls", host="nope")
    with pytest.raises(SessionError, match="unknown language"):
        Session(lesson, lang="fr")


def test_going_forward_plays_the_skipped_steps(lesson: Lesson) -> None:
    session = Session(lesson)
    session.goto(PING)
    assert session.completed == [INTRO, CREATE_NET, SERVICE, SCALE, WHICH_IFACE, WATCH]
    assert len(session.captures) == 1 and [i for i, _ in session.views] == [WATCH]  # the view is running
    session.run("docker container exec $(docker ps -q -f name=test.1) ping -c 3 10.0.1.5")
    assert session.check() == (True, f"6 packets matching 'udp port 4789' were captured on {N2} eth0")


def test_exit_on_a_tab_opens_a_new_login(lesson: Lesson) -> None:
    session = Session(lesson)
    session.run("exit")
    assert session.run("hostname").output == f"{N1}\n"


def test_journal_file_matches_the_records(lesson: Lesson, tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    session = Session(lesson, lang="zh", seed=3, journal=path)
    session.goto(SCALE)
    session.hint()
    session.finish()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == session.records
    assert_schema(session.records)
    head = session.records[0]
    assert head["lesson"] == "overlay-sample" and head["lang"] == "zh" and head["seed"] == 3
    assert head["title"] == "overlay 网络、服务与 VXLAN" and head["started"].endswith("Z")
    assert session.records[-1] == {"kind": "end", "completed": False, "v": session.v}
    records, warnings = read_journal(path)
    assert records == session.records and warnings == []
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"kind": "command", "step"')  # a crash mid-write
    records, warnings = read_journal(path)
    assert records == session.records and warnings == [f"{path}:{len(lines) + 1}: not a JSON record (skipped)"]


def test_journal_to_an_open_file_and_subscribers(lesson: Lesson) -> None:
    buf = io.StringIO()
    session = Session(lesson, journal=buf)
    seen: list[str] = []
    unsubscribe = session.subscribe(lambda rec: seen.append(rec["kind"]))
    session.next()
    unsubscribe()
    session.next()
    assert seen == ["step"]
    assert len(buf.getvalue().splitlines()) == len(session.records) == 4


def test_headless_runs_are_byte_identical(lesson: Lesson) -> None:
    def play() -> str:
        session = Session(lesson, wall="virtual")
        session.play_solutions()
        return "\n".join(json.dumps(r, ensure_ascii=False) for r in session.records)

    assert play() == play()


def test_a_failing_solution_is_reported(lesson: Lesson, tmp_path: Path) -> None:
    text = FIXTURE.read_text(encoding="utf-8").replace("      - command: docker service scale test=3",
                                                       "      - command: docker service scale test=2")
    broken = tmp_path / "broken.yaml"
    broken.write_text(text, encoding="utf-8")
    session = Session(load_lesson(broken), wall="virtual")
    assert session.play_solutions() == SCALE
    assert session.failure == (SCALE, "expected service test to have 3 running tasks; it has 2")
    assert session.records[-1]["kind"] == "end" and session.records[-1]["completed"] is False
    assert "[check FAILED] expected service test to have 3 running tasks; it has 2" in transcript_text(
        session.records)


# ---- progress ---------------------------------------------------------------------------------


def test_data_dir_honours_overlaylab_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_HOME, str(tmp_path / "home"))
    assert data_dir() == tmp_path / "home"
    monkeypatch.delenv(ENV_HOME)
    assert data_dir().name == "overlaylab"


def test_progress_is_saved_atomically(lesson: Lesson, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ProgressStore(tmp_path)
    assert store.load() == []
    sid, journal = store.new_session(lesson.id)
    session = Session(lesson, journal=journal)
    session.goto(SCALE)
    session.hint()
    prog = store.update(session, sid)
    assert prog.summary() == "3/9 steps" and prog.sessions == [sid] and prog.hints_used == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["progress.json", "sessions"]  # no temp file left behind
    saved = json.loads((tmp_path / "progress.json").read_text(encoding="utf-8"))
    assert saved["lessons"]["overlay-sample"]["completed"] == [0, 1, 2]
    before = (tmp_path / "progress.json").read_bytes()

    def crash(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    session.play_solutions()
    with pytest.raises(Exception, match="No space left on device"):
        store.update(session, sid)
    monkeypatch.undo()
    assert (tmp_path / "progress.json").read_bytes() == before  # the old file survived the failed write
    assert sorted(p.name for p in tmp_path.iterdir()) == ["progress.json", "sessions"]
    fresh = ProgressStore(tmp_path)
    assert fresh.load() == [] and fresh.get(lesson.id) is not None
    assert fresh.get(lesson.id).summary() == "3/9 steps"  # type: ignore[union-attr]
    assert store.update(session, sid).summary() == "done"
    assert store.find_session("last").id == sid and store.find_session(sid[:8]).path == journal


def test_corrupt_progress_is_set_aside_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "progress.json").write_text('{"version": 1, "lessons": {', encoding="utf-8")
    store = ProgressStore(tmp_path)
    warnings = store.load()
    assert warnings == [f"{tmp_path / 'progress.json'} was corrupt (not JSON); moved it to progress.json.corrupt-1 "
                        "and started afresh"]
    assert (tmp_path / "progress.json.corrupt-1").read_text() == '{"version": 1, "lessons": {'
    assert not (tmp_path / "progress.json").exists() and store.get("x") is None
    (tmp_path / "progress.json").write_text('{"lessons": {"x": {"completed": "all"}}}', encoding="utf-8")
    warnings = ProgressStore(tmp_path).load()
    assert warnings == [f"{tmp_path / 'progress.json'} was corrupt (not a progress file); moved it to "
                        "progress.json.corrupt-2 and started afresh"]


def test_atomic_write_keeps_the_file_mode(tmp_path: Path) -> None:
    target = tmp_path / "f.json"
    atomic_write_text(target, "1")
    target.chmod(0o640)
    atomic_write_text(target, "2")
    assert target.read_text() == "2" and target.stat().st_mode & 0o777 == 0o640


def test_unknown_sessions(tmp_path: Path) -> None:
    from tui.lesson.progress import ProgressError

    store = ProgressStore(tmp_path)
    with pytest.raises(ProgressError, match="no saved sessions"):
        store.find_session()
    store.new_session("a")
    with pytest.raises(ProgressError, match="no session 'zzz'"):
        store.find_session("zzz")


def test_lesson_modules_do_not_import_the_ui() -> None:
    import subprocess
    import sys

    code = ("import sys, tui.lesson.session, tui.lesson.catalog, tui.lesson.progress, tui.lesson.schema\n"
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
