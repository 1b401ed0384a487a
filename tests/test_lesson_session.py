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
LIVE_FIXTURE = Path(__file__).parent / "e2e" / "fixtures" / "app-fixture.yaml"
MS = 1_000_000
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


OPTIONAL: dict[str, dict[str, type]] = {"check": {"skipped": bool}}


def assert_schema(records: list[dict[str, Any]]) -> None:
    for rec in records:
        fields = SCHEMA[rec["kind"]]
        optional = OPTIONAL.get(rec["kind"], {})
        assert set(fields) <= set(rec) <= set(fields) | set(optional), rec
        fields = {**fields, **{k: t for k, t in optional.items() if k in rec}}
        for key, typ in fields.items():
            assert isinstance(rec[key], typ), (key, rec)
            if typ is int:
                assert not isinstance(rec[key], bool), (key, rec)


def services(session: Session) -> dict[str, str]:
    cluster = session.lab.swarms[0]
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
    # none of them is the learner's: their solutions were played for them
    assert session.completed == []
    assert session.skipped == [INTRO, CREATE_NET, SERVICE, SCALE, WHICH_IFACE, WATCH]
    assert all(session.states[i].attempts == 0 and session.states[i].answers == [] for i in session.skipped)
    assert len(session.captures) == 1 and [i for i, _ in session.views] == [WATCH]  # the view is running
    session.run("docker container exec $(docker ps -q -f name=test.1) ping -c 3 10.0.1.5")
    assert session.check() == (True, f"6 packets matching 'udp port 4789' were captured on {N2} eth0")


def test_skipped_steps_are_not_completed_until_the_learner_does_them(lesson: Lesson, tmp_path: Path) -> None:
    store = ProgressStore(tmp_path)
    session = Session(lesson, wall="virtual")
    session.goto(SCALE)
    assert (session.completed, session.skipped) == ([], [INTRO, CREATE_NET, SERVICE])
    checks = [r for r in session.records if r["kind"] == "check"]
    assert [(c["step"], c["passed"]) for c in checks] == [(CREATE_NET, True), (SERVICE, True)]  # journaled as played
    session.run("docker service scale test=3")
    assert session.check().passed
    # every step from here on done by hand: the lesson still is not done, the skipped ones were not the learner's
    for _ in range(SCALE, VNI):
        session.solve()
        session.next()
    assert session.solve().passed
    prog = store.update(session, "s")
    assert prog.done is False and prog.completed == list(range(SCALE, VNI + 1))
    assert prog.summary() == "6/9 steps"
    session.finish()
    assert session.records[-1]["completed"] is False
    # going back to a skipped step and passing it makes it the learner's
    session.goto(CREATE_NET)
    session.solve()
    assert CREATE_NET in session.completed and CREATE_NET not in session.skipped
    # a quiz left unanswered with Next is skipped too
    other = Session(lesson)
    other.goto(WHICH_IFACE)
    assert other.next() is True and other.skipped[-1] == WHICH_IFACE


def test_jumping_forward_past_a_step_done_by_hand_rebuilds_its_work(lesson: Lesson) -> None:
    session = Session(lesson)
    session.goto(SERVICE)
    session.run("docker service create --name test --network my-swarm-net busybox ping 8.8.8.8")
    assert session.check().passed
    session.goto(CREATE_NET)  # the lab is rebuilt from before the service existed
    assert services(session) == {}
    session.goto(SCALE)  # the learner's step is played again: the next step finds its service
    assert list(services(session)) == ["test"]
    assert session.completed == [SERVICE] and session.skipped == [INTRO, CREATE_NET]
    assert session.states[SERVICE].attempts == 1


def test_going_forward_journals_the_same_way_every_time(lesson: Lesson) -> None:
    def play() -> list[dict[str, Any]]:
        session = Session(lesson, wall="virtual")
        session.goto(PING)
        session.goto(SERVICE)
        session.goto(VNI)
        session.finish()
        return session.records

    first = play()
    assert first == play() and first[-1] == {"kind": "end", "completed": False, "v": first[-1]["v"]}
    assert_schema(first)


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


# ---- commands that run while time passes ------------------------------------------------------


def _live_session() -> Session:
    return Session(load_lesson(LIVE_FIXTURE, lint=False), "en", 0, wall="virtual")


def _run_live(s: Session, line: str) -> Any:
    result = s.start(line)
    while result is None:
        s.advance(50 * MS)
        result = s.poll()
    return result


def _lab_state(s: Session) -> tuple[Any, ...]:
    """What the learner could see of the lab: time, terminal, neighbours, devices, containers."""
    ns = s.lab.hosts[N1].root_ns
    neigh = sorted((n.dev, n.ip, n.lladdr, n.state, n.confirmed) for n in ns.neigh.entries.values())
    links = sorted((k.ifindex, k.name, k.operstate, k.mtu, k.mac, tuple((a.addr, a.plen) for a in k.addrs))
                   for k in ns.links.values())
    containers = sorted((h.hostname, c.id, c.name, c.state) for h in s.lab.hosts.values()
                        if getattr(h, "docker", None) is not None for c in h.docker.containers.values())
    return (s.v, s.shell.terminal.text(), neigh, links, containers)


def test_live_commands_are_journaled_like_session_run() -> None:
    s = _live_session()
    s.next()
    result = _run_live(s, "ping -c 2 8.8.8.8")
    assert result.status == 0 and "2 received" in result.output
    rec = [r for r in s.records if r["kind"] == "command"][-1]
    assert rec["line"] == "ping -c 2 8.8.8.8" and rec["v_end"] > rec["v_start"]
    assert not rec["output"].startswith("root@")  # the echoed prompt line is not part of the output
    assert_schema(s.records)


def test_interrupt_and_replay_restore_the_exact_state() -> None:
    s = _live_session()
    s.advance(2_000 * MS)  # the learner reads: lab time passes
    s.next()
    for line in s.current.commands:
        _run_live(s, line)
    assert s.start("ping 8.8.8.8") is None
    for _ in range(37):
        s.advance(50 * MS)
        assert s.poll() is None
    assert s.interrupt()
    result = None
    while result is None:
        s.advance(50 * MS)
        result = s.poll()
    assert "^C" in s.shell.terminal.text() and "ping statistics" in result.output
    s.advance(1_234 * MS)
    s.next()
    entered = _lab_state(s)
    s.advance(5_000 * MS)
    _run_live(s, "docker service scale test=2")
    s.next()
    assert s.back()
    assert _lab_state(s) == entered  # idle time, the interrupt instant and every id replayed exactly


def test_stop_live_ends_a_running_command_before_moving() -> None:
    s = _live_session()
    s.next()
    assert s.start("ping 8.8.8.8") is None
    with pytest.raises(SessionError, match="still running"):
        s.run("ip a")
    s.advance(1_500 * MS)
    s.stop_live()
    assert not s.busy and s.live_shell is s.shell
    assert [r for r in s.records if r["kind"] == "command"][-1]["line"] == "ping 8.8.8.8"
    assert s.next()


def test_a_full_capture_ring_still_journals_every_packet(lesson: Lesson, monkeypatch: pytest.MonkeyPatch) -> None:
    import tui.lesson.session as session_module

    def play() -> tuple[str, Any]:
        out = io.StringIO()
        session = Session(lesson, journal=out, wall="virtual")
        assert session.play_solutions() is None
        return out.getvalue(), session.views[0][1]

    unbounded, cap = play()
    assert cap.evicted == 0 and cap.records.maxlen == session_module.CAPTURE_LIMIT
    monkeypatch.setattr(session_module, "CAPTURE_LIMIT", 6)  # the step's check needs its 6 packets
    bounded, cap = play()
    assert cap.evicted > 0 and len(cap.records) == 6
    assert bounded == unbounded  # the packets pushed out of the ring were journaled before


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
    assert prog.summary() == "0/9 steps" and prog.sessions == [sid] and prog.hints_used == 1  # steps 1-3 skipped
    assert sorted(p.name for p in tmp_path.iterdir()) == ["progress.json", "sessions"]  # no temp file left behind
    saved = json.loads((tmp_path / "progress.json").read_text(encoding="utf-8"))
    assert saved["lessons"]["overlay-sample"]["completed"] == []
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
    assert fresh.get(lesson.id).summary() == "0/9 steps"  # type: ignore[union-attr]
    assert store.update(session, sid).summary() == "done"
    assert store.find_session("last").id == sid and store.find_session(sid[:8]).path == journal


def test_saving_a_session_again_replaces_its_counts(lesson: Lesson, tmp_path: Path) -> None:
    store = ProgressStore(tmp_path)
    session = Session(lesson)
    session.goto(SCALE)
    session.hint()
    session.check()
    attempts = sum(st.attempts for st in session.states)  # going forward checked the steps on the way
    first = store.update(session, "s1")
    again = store.update(session, "s1")
    assert (again.hints_used, again.attempts, again.sessions) == (first.hints_used, first.attempts, ["s1"]) == (
        1, attempts, ["s1"])
    assert first.elapsed <= again.elapsed < 2 * first.elapsed + 1
    session.check()
    assert store.update(session, "s1").attempts == attempts + 1  # what the session did since is counted, once
    anonymous = Session(lesson)
    anonymous.goto(SCALE)
    assert anonymous.hint() is not None
    theirs = sum(st.attempts for st in anonymous.states)
    store.update(anonymous)
    assert store.update(anonymous).hints_used == 2  # no id: the same session object counts once
    saved = ProgressStore(tmp_path).get(lesson.id)
    assert saved is not None and (saved.hints_used, saved.attempts) == (2, attempts + 1 + theirs)
    assert saved.session_totals["s1"].attempts == attempts + 1


def test_two_sessions_add_up(lesson: Lesson, tmp_path: Path) -> None:
    store = ProgressStore(tmp_path)
    one, two = Session(lesson), Session(lesson)
    one.goto(SCALE)
    assert one.hint() is not None and one.hint() is not None
    one.check()
    two.goto(SCALE)
    assert two.hint() is not None
    store.update(one, "a")
    store.update(two, "b")
    store.update(one, "a")
    attempts = sum(st.attempts for s in (one, two) for st in s.states)
    prog = ProgressStore(tmp_path).get(lesson.id)
    assert prog is not None
    assert (prog.hints_used, prog.attempts, prog.sessions) == (3, attempts, ["a", "b"])
    assert prog.elapsed == pytest.approx(sum(t.elapsed for t in prog.session_totals.values()))


def test_an_old_progress_file_still_loads_and_keeps_its_counts(lesson: Lesson, tmp_path: Path) -> None:
    old = {"version": 1, "lessons": {lesson.id: {"steps": 9, "completed": [0, 1], "current": 2, "hints_used": 4,
                                                 "attempts": 7, "done": False, "elapsed": 60.0,
                                                 "sessions": ["old"], "updated": "2024-01-01T00:00:00Z"}}}
    (tmp_path / "progress.json").write_text(json.dumps(old), encoding="utf-8")
    store = ProgressStore(tmp_path)
    assert store.load() == []
    prog = store.get(lesson.id)
    assert prog is not None and prog.summary() == "2/9 steps" and prog.session_totals == {}
    session = Session(lesson)
    session.goto(SCALE)
    assert session.hint() is not None
    attempts = sum(st.attempts for st in session.states)
    store.update(session, "new")
    prog = store.update(session, "new")
    assert (prog.hints_used, prog.attempts, prog.sessions) == (5, 7 + attempts, ["old", "new"])
    assert prog.elapsed >= 60.0


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

    code = ("import sys, tui.lesson.session, tui.lesson.live, tui.lesson.catalog, tui.lesson.progress, "
            "tui.lesson.schema\n"
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_learner_terminal_size_reaches_every_learner_shell_but_not_the_checks(lesson: Lesson) -> None:
    session = Session(lesson)
    session.set_terminal_size(68, 40)
    session.goto(SCALE)  # the solutions played on the way print for that terminal
    created = next(r for r in session.records if r["kind"] == "command" and "service create" in r["line"])
    assert "1/1: running   \n" in created["output"] and "[=" not in created["output"]
    session.run("ssh ip-10-0-2-253")
    assert session.run("echo $COLUMNS").output == "68\n"
    session.goto(CREATE_NET)  # a rebuilt lab: new shells, the same window
    assert (session.shell.terminal.columns, session.shell.terminal.lines) == (68, 40)
    assert all(s.terminal.columns is None for s in session._hidden.values())
