"""The player's pieces that need no screen: scrollback, completion, table diffing, history.

These run in milliseconds and pin the behaviour the pilot tests rely on:
terminal-like scrollback (carriage returns, tabs, visible escapes, CJK
wrapping), completion from the lab's state and keyed table updates. (Commands
that run while time passes are the lesson session's: tests/test_lesson_session.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.app.completion import apply, complete, docker_flags
from tui.app.history import HistoryFile
from tui.app.termbuffer import TermBuffer, fold, printable

# ---- scrollback -------------------------------------------------------------------------------


def test_termbuffer_acts_like_a_terminal() -> None:
    b = TermBuffer()
    b.feed("progress 1\rprogress 2\nab\tc\n", "out")
    b.feed("x\by\n", "err")
    assert b.text() == "progress 2\nab      c\ny\n"
    assert b.lines[2] == [("y", "err")]


def test_termbuffer_makes_escapes_visible() -> None:
    b = TermBuffer()
    b.feed("\x1b[31mred\x1b[0m \x07bell \u202eevil\n")
    assert "\x1b" not in b.text() and "\x07" not in b.text()
    assert b.text().startswith("^[[31mred^[[0m ^Gbell \\u202eevil")
    assert printable("a\x9bb") == "a\\x9bb"


def test_termbuffer_wraps_by_cells() -> None:
    b = TermBuffer()
    b.feed("中文字符测试ab\n" + "x" * 25 + "\n")
    rows = b.visual_text(10)
    assert rows[:2] == ["中文字符测", "试ab"]  # a wide character never splits across rows
    assert rows[2:5] == ["x" * 10, "x" * 10, "x" * 5]
    assert fold([("ab中", "out")], 3) == [[("ab", "out")], [("中", "out")]]
    assert b.visual_text(30)[0] == "中文字符测试ab"  # a new width re-wraps


def test_termbuffer_keeps_a_bounded_scrollback() -> None:
    b = TermBuffer(max_lines=100)
    for i in range(1000):
        b.feed(f"line {i}\n")
    assert len(b.lines) <= 100
    assert b.lines[-2] == [("line 999", "out")]


# ---- completion -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def swarm_shell():  # type: ignore[no-untyped-def]
    from tui.engine.docker.scenarios import swarm
    from tui.shell import Shell

    shell = Shell(swarm(0), "ip-10-0-2-197")
    shell.run_line("docker network create -d overlay my-swarm-net")
    shell.run_line("docker service create --name test --network my-swarm-net busybox ping 8.8.8.8")
    return shell


@pytest.mark.parametrize(("typed", "expected"), [
    ("doc", "docker "),
    ("docker ser", "docker service "),
    ("docker service sc", "docker service scale "),
    ("docker service scale t", "docker service scale test="),
    ("docker service ps t", "docker service ps test "),
    ("docker network inspect my", "docker network inspect my-swarm-net "),
    ("docker run --net", "docker run --net"),  # --net and --network: no progress
    ("docker node update --avail", "docker node update --availability "),
    ("docker node update --availability dr", "docker node update --availability drain "),
    ("docker network create -d ov", "docker network create -d overlay "),
    ("docker run -d bu", "docker run -d bu"),  # docker run's -d takes no value: no driver names here
    ("docker node inspect ip-10-0-2-25", "docker node inspect ip-10-0-2-253 "),
    ("ssh ip-10-0-2-25", "ssh ip-10-0-2-253 "),
    ("tcpdump -i et", "tcpdump -i eth0 "),
    ("ip link show docker_g", "ip link show docker_gwbridge "),
    ("cat /etc/host", "cat /etc/host"),  # hostname and hosts
    ("docker exec d76 ip a | gr", "docker exec d76 ip a | grep "),
])
def test_completion(swarm_shell, typed: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    new, _ = apply(typed, complete(swarm_shell, typed))
    assert new == expected


def test_completion_offers_container_ids_and_names(swarm_shell) -> None:  # type: ignore[no-untyped-def]
    c = complete(swarm_shell, "docker exec ")
    container = next(iter(swarm_shell.lab.hosts["ip-10-0-2-197"].docker.containers.values()))
    assert container.short_id in c.candidates and container.name in c.candidates


def test_docker_flags_come_from_the_cli_model() -> None:
    assert {"--name", "--replicas", "--network", "-p", "--publish"} <= set(docker_flags("service", "create"))
    assert {"-d", "--driver", "--attachable", "--subnet"} <= set(docker_flags("network", "create"))
    assert {"-a", "--all", "-q"} <= set(docker_flags("", "ps"))
    assert docker_flags("service", "no-such") == ()


# ---- keyed tables -----------------------------------------------------------------------------


async def test_table_rows_are_updated_in_place() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    from tui.app.tablesync import sync_rows

    class TableApp(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(DataTable)
        table.add_column("a", key="a")
        table.add_column("b", key="b")
        shown: dict[str, tuple[str, ...]] = {}
        assert sync_rows(table, ("a", "b"), [("1", ("x", "y")), ("3", ("p", "q"))], shown)
        table.move_cursor(row=1)
        assert sync_rows(table, ("a", "b"), [("1", ("x", "Y")), ("3", ("p", "q"))], shown)
        assert str(table.get_row("1")[1]) == "Y" and table.cursor_row == 1  # changed in place
        assert not sync_rows(table, ("a", "b"), [("1", ("x", "Y")), ("3", ("p", "q"))], shown)
        sync_rows(table, ("a", "b"), [("1", ("x", "Y")), ("2", ("m", "n")), ("3", ("p", "q"))], shown)
        assert [r.value for r in table.rows] == ["1", "2", "3"]  # an inserted key keeps the order
        sync_rows(table, ("a", "b"), [("2", ("m", "n"))], shown)
        assert [r.value for r in table.rows] == ["2"]
        assert str(table.get_row("2")[0]) == "m"
        await pilot.pause()


def test_table_cells_are_never_markup() -> None:
    from tui.app.tablesync import cell

    assert cell("[bold]eth0[/bold]").plain == "[bold]eth0[/bold]"


# ---- history ----------------------------------------------------------------------------------


def test_history_file_survives_and_trims(tmp_path: Path) -> None:
    h = HistoryFile(tmp_path / "history")
    h.append("ip a")
    h.append("   ")
    h.append("cat <<EOF\nx\nEOF")
    assert h.load() == ["ip a", "cat <<EOF\nx\nEOF"]
    assert HistoryFile(tmp_path / "missing" / "history").load() == []
