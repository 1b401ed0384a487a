"""The shell session: lists, pipelines, jobs, signals, ssh, redirections, in virtual time."""

from __future__ import annotations

from collections.abc import Generator
from textwrap import dedent
from typing import Any

import pytest

from tui.engine.clock import MS, SEC
from tui.engine.fs import FileSystem
from tui.engine.host import Sandbox
from tui.engine.lab import Lab
from tui.engine.process import Interrupted
from tui.shell import Ctx, Shell, command, registry

HOSTS = ("ip-10-0-2-197", "ip-10-0-2-253")


def make_shell(seed: int = 0, **kwargs: Any) -> Shell:
    lab = Lab(seed)
    for name in HOSTS:
        lab.add_host(name)
    return Shell(lab, HOSTS[0], **kwargs)


def run(sh: Shell, script: str) -> str:
    """Run a script and return the part of the transcript it produced."""
    start = len(sh.terminal.text())
    sh.run_script(dedent(script))
    return sh.terminal.text()[start:]


def out(sh: Shell, line: str) -> str:
    start = len(sh.terminal.text())
    sh.run_line(line)
    return sh.terminal.text()[start:]


# Test-only commands (names no real tool uses).


@command("ticker", summary="test: prints a line every second until a signal")
def ticker(ctx: Ctx) -> Generator[Any, Any, int]:
    n = 0
    try:
        while True:
            n += 1
            ctx.out(f"tick {n}\n")
            yield SEC
    except Interrupted as intr:
        if intr.signal == 13:  # SIGPIPE: die silently, like a real producer
            raise
        ctx.out(f"ticker stopped by {intr.signal} after {n}\n")
        return 0


@command("kaboom", summary="test: a command with a bug")
def kaboom(ctx: Ctx) -> int:
    raise RuntimeError("kaput")


@command("in-other", summary="test: run a command in the other host's sandbox")
def in_other(ctx: Ctx) -> Generator[Any, Any, int]:
    other = ctx.lab.hosts[HOSTS[1]]

    def not_found(name: str) -> int:
        ctx.err(f'exec of "{name}" failed: No such file or directory\n')
        return 255

    return (yield from ctx.shell.exec_argv(ctx.argv[1:], sandbox=other, ctx=ctx, on_not_found=not_found))


# ---- basics -----------------------------------------------------------------------


def test_prompt_and_echoed_script_lines() -> None:
    sh = make_shell()
    assert sh.prompt == "root@ip-10-0-2-197:~# "
    text = run(sh, """
        # a comment line is skipped entirely
        echo hello   world

        hostname
    """)
    assert text == "root@ip-10-0-2-197:~# echo hello   world\nhello world\nroot@ip-10-0-2-197:~# hostname\nip-10-0-2-197\n"


@pytest.mark.parametrize(
    ("line", "expected", "status"),
    [
        ("true && echo yes", "yes\n", 0),
        ("false && echo yes", "", 1),
        ("false || echo no", "no\n", 0),
        ("true || echo no", "", 0),
        ("false && echo a || echo b", "b\n", 0),
        ("true && false || echo c && echo d", "c\nd\n", 0),
        ("false; echo $?", "1\n", 0),
        ("! false && echo negated", "negated\n", 0),
        ("false | true; echo $?", "0\n", 0),
        ("true | false", "", 1),
        ("x=$(false); echo $?", "1\n", 0),
        ("echo $(exit 3); echo $?", "\n0\n", 0),
        ("(exit 4); echo $?", "4\n", 0),
        ("exit 5 | cat; echo $?", "0\n", 0),
        ("{ false; } || echo group", "group\n", 0),
    ],
)
def test_status_logic(line: str, expected: str, status: int) -> None:
    sh = make_shell()
    assert out(sh, line) == expected
    assert sh.last_status == status


def test_variables_export_and_one_shot_environment() -> None:
    sh = make_shell()
    assert out(sh, "X=1; Y=$X$X; echo $X $Y") == "1 11\n"
    assert out(sh, "env | grep '^X='") == ""
    assert out(sh, "export X; env | grep '^X='") == "X=1\n"
    assert out(sh, "Z=tmp env | grep '^Z='; echo \"[$Z]\"") == "Z=tmp\n[]\n"
    assert out(sh, "unset X; echo \"[$X]\"") == "[]\n"
    assert out(sh, "export 1x=2") == "bash: export: `1x=2': not a valid identifier\n"


def test_command_substitution_captures_output() -> None:
    sh = make_shell()
    assert out(sh, 'h=$(hostname); echo "host=$h"') == "host=ip-10-0-2-197\n"
    assert out(sh, "echo `echo a` $(echo b $(echo c))") == "a b c\n"
    assert out(sh, 'echo "$(printf "x\\n\\n\\n")|"') == "x|\n"


def test_command_substitution_takes_virtual_time() -> None:
    sh = make_shell()
    t0 = sh.clock.now
    assert out(sh, "echo $(sleep 2; echo late)") == "late\n"
    assert sh.clock.now - t0 == 2 * SEC


def test_date_uses_virtual_wall_time() -> None:
    sh = make_shell()
    assert out(sh, "date") == "Mon Nov  8 04:25:00 UTC 2021\n"
    assert out(sh, "sleep 6.5; date +%H:%M:%S.%N") == "04:25:06.500000000\n"


def test_cd_and_pwd() -> None:
    sh = make_shell()
    assert out(sh, "cd /tmp; pwd") == "/tmp\n"
    assert sh.prompt == "root@ip-10-0-2-197:/tmp# "
    assert out(sh, "cd /nope") == "bash: cd: /nope: No such file or directory\n"
    assert out(sh, "cd /etc/hostname") == "bash: cd: /etc/hostname: Not a directory\n"
    assert out(sh, "cd; pwd") == "/root\n"
    assert sh.prompt.endswith(":~# ")


def test_loops_and_conditionals() -> None:
    sh = make_shell()
    assert out(sh, "for i in 1 2 3; do if [ $i = 2 ]; then continue; fi; echo $i; done") == "1\n3\n"
    assert out(sh, "n=0; while [ $n -lt 3 ]; do n=$((n+1)); done; echo $n") == "3\n"
    assert out(sh, "until true; do echo never; done; echo ok") == "ok\n"
    assert out(sh, "for h in {1..3}; do echo -n $h; done; echo") == "123\n"
    assert out(sh, "break") == "bash: break: only meaningful in a `for', `while', or `until' loop\n"


def test_busy_loop_is_interrupted_not_hung() -> None:
    sh = make_shell()
    text = out(sh, "while true; do :; done; echo never")
    assert text == "^C\n"
    assert sh.last_status == 130


# ---- errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message", "status"),
    [
        ("foo", "bash: foo: command not found\n", 127),
        ("foo 2>/dev/null", "", 127),
        ("| a", "bash: syntax error near unexpected token `|'\n", 2),
        ("echo 'abc", "bash: unexpected EOF while looking for matching `''\n", 2),
        ("echo a >", "bash: syntax error near unexpected token `newline'\n", 2),
        ("echo ${%}", "bash: ${%}: bad substitution\n", 1),
        ("echo $((1/0))", 'bash: 1/0: division by 0 (error token is "0")\n', 1),
        ("echo > /nope/x", "bash: /nope/x: No such file or directory\n", 1),
        ("echo > /tmp", "bash: /tmp: Is a directory\n", 1),
        ("cat < /nope", "bash: /nope: No such file or directory\n", 1),
        ("echo a >&5", "bash: 5: Bad file descriptor\n", 1),
        ("kaboom", "kaboom: internal error: kaput\n", 1),
    ],
)
def test_error_wordings(line: str, message: str, status: int) -> None:
    sh = make_shell()
    assert out(sh, line) == message
    assert sh.last_status == status


def test_internal_errors_are_kept_for_developers() -> None:
    sh = make_shell()
    out(sh, "kaboom")
    assert "RuntimeError: kaput" in registry.internal_errors[-1]
    assert "Traceback" not in sh.terminal.text()


def test_syntax_error_leaves_the_session_usable() -> None:
    sh = make_shell()
    assert out(sh, "echo (") == "bash: syntax error near unexpected token `('\n"
    assert out(sh, "echo $?") == "2\n"


def test_busybox_sandbox_words_errors_like_ash() -> None:
    sh = make_shell()
    host = sh.host
    box = Sandbox(host, host.root_ns, FileSystem(), "3f2a1b4c5d6e", "busybox")
    sh.enter(box, kind="shell")
    assert sh.prompt == "/ # "
    assert out(sh, "foo") == "sh: foo: not found\n"
    assert out(sh, "bash") == "sh: bash: not found\n"
    assert out(sh, "hostname; echo $0") == "3f2a1b4c5d6e\nsh\n"
    assert out(sh, "exit") == ""
    assert sh.prompt == "root@ip-10-0-2-197:~# "


# ---- redirections ------------------------------------------------------------------------


def test_redirections_into_the_sandbox_filesystem() -> None:
    sh = make_shell()
    fs = sh.sandbox.fs
    out(sh, "echo one > /tmp/f; echo two >> /tmp/f")
    assert fs.read("/tmp/f") == b"one\ntwo\n"
    assert out(sh, "wc -l < /tmp/f") == "2\n"
    assert out(sh, "cat /nope 2> /tmp/err; cat /tmp/err") == "cat: /nope: No such file or directory\n"
    assert out(sh, "{ echo out; echo err >&2; } > /tmp/both 2>&1; cat /tmp/both") == "out\nerr\n"
    # order matters: stderr goes where stdout pointed *before* the file
    assert out(sh, "{ echo out; echo err >&2; } 2>&1 > /tmp/o; cat /tmp/o") == "err\nout\n"
    assert out(sh, "{ echo a; echo b >&2; } &> /tmp/all; cat /tmp/all") == "a\nb\n"
    assert out(sh, "echo gone > /dev/null; cat /dev/null") == ""
    assert out(sh, "cd /tmp; echo rel > rel.txt; cat /tmp/rel.txt") == "rel\n"
    assert out(sh, "grep b <<< 'a b c'") == "a b c\n"


def test_here_documents_in_scripts() -> None:
    sh = make_shell()
    text = run(sh, """\
        cat <<EOF
        home is $HOME
        EOF
        cat <<'EOF'
        $HOME stays
        EOF
        """)
    assert text == (
        "root@ip-10-0-2-197:~# cat <<EOF\n> home is $HOME\n> EOF\nhome is /root\n"
        "root@ip-10-0-2-197:~# cat <<'EOF'\n> $HOME stays\n> EOF\n$HOME stays\n"
    )


def test_script_lines_continue_like_bash() -> None:
    sh = make_shell()
    text = run(sh, """\
        for i in a b; do
          echo $i
        done
        echo one \\
          two
        """)
    assert text == (
        "root@ip-10-0-2-197:~# for i in a b; do\n>   echo $i\n> done\na\nb\n"
        "root@ip-10-0-2-197:~# echo one \\\n>   two\none two\n"
    )


# ---- pipelines in virtual time ----------------------------------------------------------


def test_pipeline_of_filters() -> None:
    sh = make_shell()
    assert out(sh, "seq 10 | grep -v 5 | sort -rn | head -3") == "10\n9\n8\n"
    assert out(sh, "printf 'b 2\\na 10\\nc 1\\n' | sort -k2 -n | cut -d' ' -f1 | tr a-z A-Z") == "C\nB\nA\n"


def test_head_stops_an_endless_producer() -> None:
    sh = make_shell()
    t0 = sh.clock.now
    assert out(sh, "ticker | head -3") == "tick 1\ntick 2\ntick 3\n"
    # head exits after tick 3 (t=2s); ticker dies of SIGPIPE on its next write (t=3s), no ^C needed
    assert sh.clock.now - t0 == 3 * SEC
    assert sh.last_status == 0


def test_grep_shows_lines_as_they_come() -> None:
    sh = make_shell()
    t0 = sh.clock.now
    start = len(sh.terminal.chunks)
    sh.run_line("ticker | grep -E 'tick [24]$'")
    lines = [(c.t - t0, c.text) for c in sh.terminal.chunks[start:] if c.stream == "out"]
    assert lines == [(1 * SEC, "tick 2\n"), (3 * SEC, "tick 4\n")]


def test_foreground_limit_sends_ctrl_c() -> None:
    sh = make_shell()
    t0 = sh.clock.now
    assert out(sh, "sleep infinity; echo never") == "^C\n"
    assert sh.last_status == 130
    assert sh.clock.now - t0 == 10 * SEC
    # a command that says how long it takes (sleep N, ping -c N) is not cut short
    t1 = sh.clock.now
    assert out(sh, "sleep 30; echo done") == "done\n"
    assert sh.clock.now - t1 == 30 * SEC
    sh.foreground_limit = 2 * SEC
    # a tool that handles SIGINT prints its summary, and the line goes on (bash's rule)
    # ticks at t=0, 1 and 2 s; the deadline is 2 s
    assert out(sh, "ticker; echo after") == "tick 1\ntick 2\ntick 3\n^Cticker stopped by 2 after 3\nafter\n"
    assert out(sh, "ticker | grep tick") == "tick 1\ntick 2\ntick 3\n^C\n"


def test_interrupt_from_a_ui() -> None:
    sh = make_shell()
    assert sh.start_line("ticker")
    assert sh.busy and sh.poll() is None
    sh.clock.advance(1500 * MS)
    assert sh.interrupt()
    assert sh.poll() == 0
    assert sh.terminal.text() == "tick 1\ntick 2\n^Cticker stopped by 2 after 2\n"
    assert not sh.interrupt()


# ---- background jobs -------------------------------------------------------------------


def test_background_job_output_interleaves_in_virtual_time() -> None:
    sh = make_shell()
    text = run(sh, """\
        sleep 2 && echo a &
        sleep 3; echo b
        """)
    pid = sh.state.last_bg
    assert text == (
        f"root@ip-10-0-2-197:~# sleep 2 && echo a &\n[1] {pid}\n"
        "root@ip-10-0-2-197:~# sleep 3; echo b\na\nb\n"
        "[1]+  Done                    sleep 2 && echo a\n"
    )
    assert out(sh, "echo $!") == f"{pid}\n"


def test_jobs_layout_and_kill() -> None:
    sh = make_shell()
    text = run(sh, """\
        ssh ip-10-0-2-253 ticker > /dev/null &
        sleep 100 &
        jobs
        jobs -l
        kill %1
        jobs
        kill -INT %2
        """)
    lines = text.splitlines()
    pid1, pid2 = lines[1].split()[1], lines[3].split()[1]
    assert lines[1] == f"[1] {pid1}" and lines[3] == f"[2] {pid2}"
    assert lines[5:7] == [
        "[1]-  Running                 ssh ip-10-0-2-253 ticker > /dev/null &",
        "[2]+  Running                 sleep 100 &",
    ]
    assert lines[8:10] == [
        f"[1]- {pid1:>5} Running                 ssh ip-10-0-2-253 ticker > /dev/null &",
        f"[2]+ {pid2:>5} Running                 sleep 100 &",
    ]
    assert lines[11] == "[1]-  Terminated              ssh ip-10-0-2-253 ticker > /dev/null"
    assert lines[13] == "[2]+  Running                 sleep 100 &"
    assert lines[15] == "[2]+  Interrupt               sleep 100"


def test_kill_variants_and_errors() -> None:
    sh = make_shell()
    sh.run_line("sleep 100 &")  # (a script would stop its jobs at its end)
    pid = sh.jobs()[0].pid
    assert out(sh, f"kill -9 {pid}") == "[1]+  Killed                  sleep 100\n"
    assert out(sh, "kill %1") == "bash: kill: %1: no such job\n"
    assert out(sh, "kill 99999") == "bash: kill: (99999) - No such process\n"
    assert out(sh, "kill -FOO 1") == "bash: kill: FOO: invalid signal specification\n"
    assert out(sh, "kill foo") == "bash: kill: foo: arguments must be process or job IDs\n"
    assert out(sh, "kill").startswith("kill: usage: kill [-s sigspec")
    assert sh.last_status == 2
    assert out(sh, "kill -l 15") == "TERM\n"
    assert out(sh, "sleep 5 & kill -s TERM %%").endswith("[1]+  Terminated              sleep 5\n")


def test_finished_job_exit_status_and_wait() -> None:
    sh = make_shell()
    sh.run_line("sleep 2 && false &")
    sh.run_line("sleep 1 && exit 3 &")
    assert out(sh, "wait %2; echo status=$?") == "[2]+  Exit 3                  sleep 1 && exit 3\nstatus=3\n"
    assert out(sh, "wait") == "[1]+  Exit 1                  sleep 2 && false\n"
    assert out(sh, "jobs") == ""
    assert out(sh, "wait %7") == "bash: wait: %7: no such job\n"
    assert sh.last_status == 127


def test_wait_without_jobs_and_interrupted_wait() -> None:
    sh = make_shell()
    assert out(sh, "wait; echo $?") == "0\n"
    sh.run_line("sleep 100 &")
    assert out(sh, "wait").startswith("^C")
    assert sh.last_status == 130


def test_fg_waits_for_a_job() -> None:
    sh = make_shell()
    sh.run_line("sleep 3 && echo fin &")
    t0 = sh.clock.now
    assert out(sh, "fg") == "sleep 3 && echo fin\nfin\n"
    assert sh.clock.now - t0 == 3 * SEC
    assert sh.jobs() == []
    assert out(sh, "fg") == "bash: fg: current: no such job\n"


def test_script_end_waits_for_background_jobs_then_stops_them() -> None:
    sh = make_shell()
    text = run(sh, """\
        sleep 1 && echo short &
        ticker > /dev/null &
        """)
    assert text.endswith("short\n[1]-  Done                    sleep 1 && echo short\n")
    assert sh.processes() == [] and sh.jobs() == []


def test_same_seed_same_transcript() -> None:
    script = "sleep 1 &\nssh ip-10-0-2-253 sleep 2 &\necho $$ $RANDOM\nwait\n"
    texts = []
    for _ in range(2):
        sh = make_shell(seed=7)
        sh.run_script(script)
        texts.append(sh.terminal.text())
    assert texts[0] == texts[1]
    other = make_shell(seed=8)
    other.run_script(script)
    assert other.terminal.text() != texts[0]


# ---- ssh ----------------------------------------------------------------------------------


def test_ssh_moves_the_session_and_exit_comes_back() -> None:
    sh = make_shell()
    text = run(sh, """\
        ssh ip-10-0-2-253
        hostname
        X=remote
        exit 3
        echo $? "[$X]"
        hostname
        """)
    assert text == (
        "root@ip-10-0-2-197:~# ssh ip-10-0-2-253\n"
        "root@ip-10-0-2-253:~# hostname\nip-10-0-2-253\n"
        "root@ip-10-0-2-253:~# X=remote\n"
        "root@ip-10-0-2-253:~# exit 3\nlogout\nConnection to ip-10-0-2-253 closed.\n"
        "root@ip-10-0-2-197:~# echo $? \"[$X]\"\n3 []\n"
        "root@ip-10-0-2-197:~# hostname\nip-10-0-2-197\n"
    )


def test_ssh_runs_a_remote_command_here() -> None:
    sh = make_shell()
    assert out(sh, "ssh ip-10-0-2-253 hostname") == "ip-10-0-2-253\n"
    assert out(sh, "ssh root@10.0.2.253 'echo $HOSTNAME; exit 4'; echo $?") == "ip-10-0-2-253\n4\n"
    assert out(sh, "ssh -t -o StrictHostKeyChecking=no ip-10-0-2-253 hostname | tr a-z A-Z") == "IP-10-0-2-253\n"
    assert out(sh, "ssh ip-10-0-2-253 nope") == "bash: nope: command not found\n"
    assert sh.last_status == 127
    assert out(sh, "echo hostname | ssh ip-10-0-2-253") == (
        "Pseudo-terminal will not be allocated because stdin is not a terminal.\r\nip-10-0-2-253\n"
    )


def test_ssh_errors() -> None:
    sh = make_shell()
    assert out(sh, "ssh nope") == "ssh: Could not resolve hostname nope: Name or service not known\n"
    assert sh.last_status == 255
    assert out(sh, "ssh").startswith("usage: ssh [-46AaCfGgKkMNnqsTtVvXxYy]")
    assert sh.last_status == 255


def test_ssh_background_job_interleaves_with_local_commands() -> None:
    sh = make_shell()
    text = run(sh, """\
        ssh ip-10-0-2-253 ticker &
        sleep 2.5; echo local
        kill %1
        """)
    assert "tick 1\n" in text
    body = text.split("sleep 2.5; echo local\n", 1)[1]
    assert body.startswith("tick 2\ntick 3\nlocal\n")
    # a killed ssh client shows nothing more from the remote side
    assert body.endswith("kill %1\n[1]+  Terminated              ssh ip-10-0-2-253 ticker\n")


def test_exec_argv_runs_in_another_sandbox() -> None:
    sh = make_shell()
    assert out(sh, "in-other hostname") == "ip-10-0-2-253\n"
    assert out(sh, "in-other nosuch") == 'exec of "nosuch" failed: No such file or directory\n'
    assert sh.last_status == 255
    assert out(sh, "echo piped | in-other cat") == "piped\n"


def test_nested_shells() -> None:
    sh = make_shell()
    assert out(sh, "bash -c 'echo $0 $((6*7))'; sh -c 'exit 3'; echo $?") == "bash 42\n3\n"
    assert out(sh, "bash -c 'echo |'") == "bash: -c: line 1: syntax error: unexpected end of file\n"
    sh.run_line("bash")
    assert out(sh, "echo $SHLVL; exit") == "2\nexit\n"
    assert len(sh.frames) == 1


def test_top_level_exit_ends_the_session() -> None:
    sh = make_shell()
    assert out(sh, "exit 1 2") == "exit\nbash: exit: too many arguments\n"
    assert not sh.exited
    text = run(sh, "exit\necho never\n")
    assert text == "root@ip-10-0-2-197:~# exit\nexit\n"
    assert sh.exited


def test_history_and_completion() -> None:
    sh = make_shell()
    sh.run_line("echo one")
    sh.run_line("hostname")
    assert out(sh, "history") == "    1  echo one\n    2  hostname\n    3  history\n"
    assert "hostname" in sh.complete("host")
    assert sh.complete("cat /etc/host") == ["/etc/hostname"]


def test_captures_list_is_there_for_tcpdump() -> None:
    sh = make_shell()
    assert sh.captures == []


def test_tcpdump_keeps_a_bounded_ring_unless_it_writes_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.engine.scenarios import build_scenario
    from tui.shell.commands import tcpdump

    monkeypatch.setattr(tcpdump, "RECORD_LIMIT", 3)
    sh = Shell(build_scenario("linux-hosts", seed=0), HOSTS[0])
    ping = "ping -c 5 -i 0.2 8.8.8.8 >/dev/null\nwait\n"
    printed = run(sh, "tcpdump -n -i eth0 -c 7 icmp &\n" + ping)
    cap = sh.captures[-1]
    assert printed.count(" ICMP echo ") == 7  # every packet printed as it came
    assert (len(cap.records), cap.evicted) == (3, 4)  # only the newest kept
    run(sh, "tcpdump -n -i eth0 -c 7 -w /tmp/all.pcap icmp &\n" + ping)
    assert len(sh.captures[-1].records) == 7 and sh.captures[-1].evicted == 0
    assert out(sh, "tcpdump -n -r /tmp/all.pcap 2>/dev/null").count(" ICMP echo ") == 7  # -w wrote every one
    sh.keep_all_captures = True  # the CLI's --pcap: every record of every run
    run(sh, "tcpdump -n -i eth0 -c 7 icmp &\n" + ping)
    assert len(sh.captures[-1].records) == 7


def test_no_traceback_for_odd_input() -> None:
    sh = make_shell()
    for line in ["\x00", "$((", "${", "`", "'", "\\", "echo \udcff", "((", "}", "{", "!", "&&", "\t", "echo $(( 1 +",
                 "cat <<", "for i in; do :; done", "echo ${x/", "exec", "a=b=c", "[ 1 -eq x ]", "test -q",
                 "printf %z", "seq 1 0 5", "kill -s", "jobs -z", "wait x", "fg %x", "cut -f 2-1"]:
        sh.run_line(line)
    assert "Traceback" not in sh.terminal.text()
    assert "internal error" not in sh.terminal.text()
