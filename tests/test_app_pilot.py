"""The player, driven through Textual's pilot: every interaction a learner or presenter has.

The app is the one ``create_app`` builds for the CLI, on the fixture lesson
(tests/e2e/fixtures/app-fixture.yaml: the swarm scenario, every step kind)
with a fresh data directory per test. Most tests freeze idle time
(``time_scale=0``: a typed command runs to its end at once), so what they see
is deterministic; the Ctrl-C test lets virtual time run 20x faster than the
wall clock so that ``ping`` is still running when the key arrives.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tui.app import create_app
from tui.app.app import OverlaylabApp

FIXTURES = Path(__file__).parent / "e2e" / "fixtures"
LESSON = FIXTURES / "app-fixture.yaml"
WIDE = (160, 50)
NARROW = (80, 24)


def make_app(tmp_path: Path, **kw: Any) -> OverlaylabApp:
    kw.setdefault("time_scale", 0)
    kw.setdefault("blink", False)
    lesson = kw.pop("lesson", str(LESSON))
    return create_app(lesson, home=str(tmp_path / "home"), **kw)


async def wait_for(pilot: Any, predicate: Any, timeout: float = 15.0) -> None:
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.02)


async def ready(pilot: Any) -> Any:
    """Wait for the lesson session and return the main screen."""
    app = pilot.app
    await wait_for(pilot, lambda: getattr(app.screen, "session", None) is not None)
    await pilot.pause()
    return app.screen


async def run(pilot: Any, line: str, *, type_it: bool = False) -> None:
    """Put a line on the console's command line (typed key by key if asked), press Enter, wait for the end."""
    screen = pilot.app.screen
    screen.console.input.focus()
    if type_it:
        await pilot.press(*line)
    else:
        screen.console.input.insert_text_at_cursor(line)
    await pilot.press("enter")
    await wait_for(pilot, lambda: not screen.session.busy and not screen.console.busy)
    await pilot.pause()


def console_text(app: OverlaylabApp) -> str:
    return app.screen.console.output.text


def rendered_console(app: OverlaylabApp) -> str:
    """What the console's rows draw right now (the strips, not the buffer)."""
    out = app.screen.console.output
    return "\n".join("".join(seg.text for seg in out.render_line(y)) for y in range(out.size.height))


# ---- the console ------------------------------------------------------------------------------


async def test_console_has_focus_and_shows_command_output(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        assert screen.focused is screen.console.input
        await run(pilot, "ip -br addr show eth0", type_it=True)
        text = console_text(app)
        assert "root@ip-10-0-2-197:~# ip -br addr show eth0" in text
        assert "10.0.2.197/24" in text
        assert "10.0.2.197/24" in rendered_console(app)


async def test_console_shows_markup_and_escapes_literally(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot)
        await run(pilot, "echo '[bold red]not styled[/] $HOME'")
        await run(pilot, r"printf '\033[31mred\n'")
        shown = rendered_console(app)
        assert "[bold red]not styled[/] $HOME" in shown
        assert "^[[31mred" in shown  # the escape is made visible, never sent to the terminal
        assert "\x1b" not in shown
        # the lesson's narrative is Markdown, but markup inside it stays text
        md = app.screen.lesson_pane.query_one("#lesson-md")
        assert "[bold]not bold[/bold]" in md.source


async def test_history_walks_and_persists(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        await run(pilot, "hostname")
        await run(pilot, "uname -n")
        box = screen.console.input
        await pilot.press("u", "p")  # a draft is kept while walking the history
        await pilot.press("up")
        assert box.value == "uname -n"
        await pilot.press("up")
        assert box.value == "hostname"
        await pilot.press("down")
        assert box.value == "uname -n"
        await pilot.press("down")
        assert box.value == "up"
    again = make_app(tmp_path)
    async with again.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        await pilot.press("up")
        assert screen.console.input.value == "uname -n"
    assert (tmp_path / "home" / "history").read_text().splitlines()[-2:] == ["hostname", "uname -n"]


async def test_tab_completes_commands_flags_and_lab_names(tmp_path: Path) -> None:
    app = make_app(tmp_path, step=2)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        box = screen.console.input
        await pilot.press(*"docker ser", "tab")
        assert box.value == "docker service "
        await pilot.press(*"create --net", "tab")
        assert box.value == "docker service create --network "
        box.value = ""
        await run(pilot, "docker network create -d overlay my-swarm-net")
        await run(pilot, "docker service create --name test --network my-swarm-net busybox ping 8.8.8.8")
        await pilot.press(*"docker service ps t", "tab")
        assert box.value == "docker service ps test "
        box.value = ""
        await pilot.press(*"docker network inspect my", "tab")
        assert box.value == "docker network inspect my-swarm-net "
        box.value = ""
        container = next(iter(screen.session.lab.hosts["ip-10-0-2-197"].docker.containers.values()))
        await pilot.press(*f"docker exec {container.short_id[:3]}", "tab")
        assert box.value == f"docker exec {container.short_id} "
        box.value = ""
        await pilot.press(*"ssh ip-10-0", "tab")
        assert box.value == "ssh ip-10-0-2-"  # two nodes match: their common prefix, then a listing
        await pilot.press("tab")
        await pilot.pause()
        assert "ip-10-0-2-197" in console_text(app) and "ip-10-0-2-253" in console_text(app)


async def test_ctrl_c_stops_a_running_ping(tmp_path: Path) -> None:
    app = make_app(tmp_path, time_scale=20)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        await pilot.press(*"ping 8.8.8.8", "enter")
        await wait_for(pilot, lambda: "icmp_seq=2" in console_text(app))
        assert screen.session.busy and screen.console.busy
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: not screen.session.busy)
        await pilot.pause(0.1)
        text = console_text(app)
        assert "^C" in text
        assert "--- 8.8.8.8 ping statistics ---" in text
        assert not screen.console.busy
        # the interrupted command is in the journal with its output
        rec = [r for r in screen.session.records if r["kind"] == "command"][-1]
        assert rec["line"] == "ping 8.8.8.8" and "ping statistics" in rec["output"]


async def test_ctrl_c_at_an_idle_prompt_drops_the_line(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        await pilot.press(*"half a line")
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert screen.console.input.value == ""
        assert "half a line^C" in console_text(app)
        assert not [r for r in screen.session.records if r["kind"] == "command"]


# ---- steps ------------------------------------------------------------------------------------


async def test_next_back_restores_the_exact_state(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        session = screen.session
        assert session.step == 0
        await pilot.press("f4")  # explain step: straight on
        await pilot.pause()
        assert session.step == 1
        start_v = session.v
        start_text = console_text(app)
        await run(pilot, "docker network create -d overlay my-swarm-net")
        await pilot.press("f4")  # not finished: the check says why, and the step stays
        await pilot.pause()
        assert session.step == 1
        assert "run `docker service create" in str(screen.lesson_pane.query_one("#lesson-check").render())
        await run(pilot, "docker service create --name test --network my-swarm-net busybox ping 8.8.8.8")
        assert session.states[1].completed  # the run step checked itself once all its commands ran
        await pilot.press("f4")
        await pilot.pause()
        assert session.step == 2
        await pilot.press("f3")
        await pilot.pause()
        assert session.step == 1
        assert session.v == start_v
        assert console_text(app) == start_text
        daemon = session.lab.hosts["ip-10-0-2-197"].docker
        assert daemon.find_network("my-swarm-net") is None  # the lab is as the step found it
        # the view follows: step list marks the current step, the console shows the new lab's shell
        assert screen.lesson_pane.view.index == 1
        await run(pilot, "docker network ls")
        assert "my-swarm-net" not in console_text(app).split("docker network ls")[-1]


async def test_next_twice_skips_an_unfinished_step(tmp_path: Path) -> None:
    app = make_app(tmp_path, step=3)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        assert screen.session.step == 2
        await pilot.press("f4")
        await pilot.pause()
        assert screen.session.step == 2
        await pilot.press("f4")
        await pilot.pause()
        assert screen.session.step == 3


async def test_steps_passed_over_show_as_skipped_and_do_not_count(tmp_path: Path) -> None:
    from tui.app.i18n import t

    def labels(screen: Any) -> list[str]:
        steps = screen.lesson_pane.query_one("#lesson-steps")
        return [str(steps.get_option_at_index(i).prompt) for i in range(steps.option_count)]

    app = make_app(tmp_path, lang="zh")
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        await pilot.press("f4")  # read the explain step: the learner's own
        await pilot.pause()
        screen.goto(3)  # jump over the run step and the task step: their solutions are played
        await pilot.pause()
        session = screen.session
        assert session.step == 3 and session.completed == [0] and session.skipped == [1, 2]
        rows = labels(screen)
        skipped = t("zh", "steps.skipped")
        assert rows[0].startswith("✓ 1.") and skipped not in rows[0]
        assert rows[1].startswith("↷ 2.") and rows[1].endswith(skipped)
        assert rows[2].startswith("↷ 3.") and rows[3].startswith("▶ 4.")
        await pilot.press("ctrl+q")
        await pilot.pause()
    prog = json.loads((tmp_path / "home" / "progress.json").read_text())["lessons"]["app-fixture"]
    assert prog["completed"] == [0] and prog["current"] == 3 and prog["done"] is False
    # resuming plays the solutions again; the step done in the earlier session keeps its ✓
    again = make_app(tmp_path)
    async with again.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        assert screen.session.step == 3 and screen.session.completed == [0]
        rows = labels(screen)
        assert rows[0].startswith("✓ 1.") and rows[1].startswith("↷ 2.")
        assert rows[1].endswith(t("en", "steps.skipped"))


async def test_reset_step_and_goto(tmp_path: Path) -> None:
    app = make_app(tmp_path, step=3)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        session = screen.session
        await run(pilot, "docker service scale test=2")
        await pilot.press("f5")
        await pilot.pause()
        assert session.states[2].completed
        await pilot.press("f9")  # reset: the scale is undone
        await pilot.pause()
        svc = session.lab.hosts["ip-10-0-2-197"].docker.swarm.cluster.find_service("test")
        assert svc.replicas == 1
        await pilot.press("f7")
        await pilot.pause()
        from tui.app.screens.goto import GotoScreen

        assert isinstance(app.screen, GotoScreen)
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert session.step == 4
        assert app.screen is screen


async def test_hints_are_revealed_one_at_a_time(tmp_path: Path) -> None:
    app = make_app(tmp_path, step=3)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        pane = screen.lesson_pane
        assert not pane.query(".lesson-hint")
        await pilot.press("f2")
        await pilot.pause()
        hints = pane.query(".lesson-hint")
        assert len(hints) == 1 and "subcommand" in hints.first().source
        await pilot.press("f2")
        await pilot.pause()
        assert len(pane.query(".lesson-hint")) == 2
        await pilot.press("f2")
        await pilot.pause()
        assert len(pane.query(".lesson-hint")) == 2
        assert screen.session.states[2].hints_used == 2
        assert [r["n"] for r in screen.session.records if r["kind"] == "hint"] == [1, 2]


async def test_quiz_choices_and_typed_answers(tmp_path: Path) -> None:
    app = make_app(tmp_path, step=4)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        session = screen.session
        assert session.current.kind == "quiz"
        await pilot.click("#quiz-choice-0")
        await pilot.pause()
        feedback = str(screen.lesson_pane.query_one("#quiz-feedback").render())
        assert "taken by ingress" in feedback and not session.states[3].completed
        await pilot.click("#quiz-choice-1")
        await pilot.pause()
        assert session.states[3].completed
        await pilot.press("f4")
        await pilot.pause()
        assert session.step == 4
        quiz_input = screen.lesson_pane.query_one("#quiz-input")
        quiz_input.focus()
        await pilot.press(*"4788", "enter")
        await pilot.pause()
        assert not session.states[4].completed
        quiz_input.value = ""
        await pilot.press(*"4789", "enter")
        await pilot.pause()
        assert session.states[4].completed
        assert "IANA" in str(screen.lesson_pane.query_one("#quiz-feedback").render())


async def test_lesson_commands_insert_into_the_console(tmp_path: Path) -> None:
    app = make_app(tmp_path, step=2)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        chip = screen.lesson_pane.query("CommandChip").first()
        await pilot.click(chip)
        await pilot.pause()
        assert screen.console.input.value == "docker network create -d overlay my-swarm-net"
        assert screen.focused is screen.console.input
        assert not screen.session.busy  # inserted, not run


# ---- live panes -------------------------------------------------------------------------------


async def test_choosing_a_namespace_drives_interfaces_and_routes(tmp_path: Path) -> None:
    app = make_app(tmp_path, step=2)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        await run(pilot, "docker network create -d overlay my-swarm-net")
        await run(pilot, "docker service create --name test --network my-swarm-net busybox ping 8.8.8.8")
        await pilot.pause(0.3)
        nodes = screen.content("nodes")
        tree = nodes.tree
        container = next(k for k in nodes._tree_nodes if k.startswith("container:ip-10-0-2-197"))
        tree.focus()
        tree.move_cursor(nodes._tree_nodes[container])
        await pilot.pause(0.2)
        assert screen.place.kind == "container"
        table = screen.content("ifaces").table
        names = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert any(n.startswith("eth0@if") for n in names) and any(n.startswith("eth1@if") for n in names)
        cells = [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]
        assert any("10.0.1." in c and "1450" in c for c in cells)
        routes = screen.content("routes")
        rtable = routes.query_one("#routes-table")
        dsts = [str(rtable.get_row_at(i)[0]) for i in range(rtable.row_count)]
        via = [str(rtable.get_row_at(i)[1]) for i in range(rtable.row_count)]
        assert "default" in dsts and "172.18.0.1" in via
        assert "test.1" in str(screen.pane("ifaces").border_title)
        # the overlay namespace: br0 and vxlan0 with its VNI
        overlay = next(k for k in nodes._tree_nodes if k.startswith("netns:ip-10-0-2-197:1-lr7"))
        tree.move_cursor(nodes._tree_nodes[overlay])
        await pilot.pause(0.2)
        kinds = {str(table.get_row_at(i)[0]): str(table.get_row_at(i)[6]) for i in range(table.row_count)}
        assert kinds["vxlan0"] == "vxlan id 4097 dstport 4789" and kinds["br0"] == "bridge"
        # neighbours on a toggle: the overlay's peers are programmed as permanent entries
        rtable.focus()
        await pilot.press("t")
        await pilot.pause(0.2)
        assert routes.neigh
        assert "neighbours" in str(screen.pane("routes").border_title)


async def test_interface_rows_update_in_place(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        table = screen.content("ifaces").table
        before = table.row_count
        await run(pilot, "ip link add dummy0 type dummy")
        await pilot.pause(0.3)
        assert table.row_count == before + 1
        key = next(r.value for r in table.rows if str(table.get_row(r)[0]) == "dummy0")
        assert str(table.get_row(key)[1]) == "DOWN"
        table.move_cursor(row=table.get_row_index(key))
        await run(pilot, "ip link set dummy0 up")
        await pilot.pause(0.3)
        assert str(table.get_row(key)[1]) == "UNKNOWN"  # the same row, its cell changed
        assert table.row_count == before + 1 and table.cursor_row == table.get_row_index(key)


async def test_capture_step_feeds_the_capture_pane(tmp_path: Path) -> None:
    app = make_app(tmp_path, step=6)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        await pilot.pause(0.3)
        pane = screen.content("capture")
        assert pane.count == 1
        assert "ip-10-0-2-253/host:eth0" in str(screen.pane("capture").border_subtitle)


async def test_capture_pane_speaks_the_learner_language_and_follows_a_switch(tmp_path: Path) -> None:
    from tui.app.widgets.capture import WORDS

    def rows(view: Any) -> tuple[str, str]:
        height = view.scrollable_content_region.height
        drawn = [view.render_line(y).text.rstrip() for y in range(height)]
        return drawn[0], view.status_text()

    app = make_app(tmp_path, step=6, lang="zh")
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        await wait_for(pilot, lambda: screen.content("capture").count == 1)
        view = screen.content("capture").view
        hint, status = rows(view)
        assert WORDS["filter.none"][1] in hint and WORDS["filter"][1].strip() in hint
        assert WORDS["following"][1].strip() in status and "个包" in status
        assert "following" not in status and "press /" not in hint
        await app.set_language("en")
        await pilot.pause(0.2)
        screen = app.screen
        await wait_for(pilot, lambda: screen.content("capture").count == 1)
        view = screen.content("capture").view
        hint, status = rows(view)
        assert WORDS["filter.none"][0] in hint and "● following" in status and "packets" in status
        await app.set_language("zh")
        await pilot.pause(0.2)
        screen = app.screen
        await wait_for(pilot, lambda: screen.content("capture").count == 1)
        hint, status = rows(screen.content("capture").view)
        assert WORDS["filter.none"][1] in hint and WORDS["following"][1].strip() in status
        pane = screen.content("capture")
        pane.set_lang("en")  # the pane's own switch reaches the view too
        await pilot.pause()
        assert "● following" in pane.view.status_text()


# ---- keys, layout, screens ---------------------------------------------------------------------


async def test_zoom_and_focus_cycling(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        await pilot.press("f8")
        await pilot.pause()
        assert screen.maximized is screen.pane("console")
        await pilot.press("f8")
        await pilot.pause()
        assert screen.maximized is None
        await pilot.press("f6")
        await pilot.pause()
        assert screen._current_pane() == "nodes"
        await pilot.press("f6")
        await pilot.pause()
        assert screen._current_pane() == "ifaces"
        await pilot.press("shift+f6", "shift+f6", "shift+f6")
        await pilot.pause()
        assert screen._current_pane() == "lesson"
        # away from the console, plain letters act: h(int), n(ext), i (back to the console)
        await pilot.press("i")
        await pilot.pause()
        assert screen.focused is screen.console.input and screen.console.input.value == ""
        await pilot.press("f6", "f6")
        await pilot.pause()
        assert screen._current_pane() == "ifaces"
        await pilot.press("n")
        await pilot.pause()
        assert screen.session.step == 1
        assert screen.focused is screen.console.input  # a new step: ready to type
        await pilot.press("n")  # typed now, not a key
        await pilot.pause()
        assert screen.console.input.value == "n" and screen.session.step == 1


async def test_small_terminal_collapses_panes_into_tabs(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=NARROW) as pilot:
        screen = await ready(pilot)
        assert screen.narrow
        assert screen.query_one("#pane-bar").display
        assert screen.pane("lesson").display and screen.pane("console").display
        assert not screen.pane("nodes").display
        await pilot.click("#tab-nodes")
        await pilot.pause()
        assert screen.pane("nodes").display and not screen.pane("lesson").display
        await pilot.press("f6")  # console -> next pane in tab order
        await pilot.pause()
        await pilot.resize_terminal(*WIDE)
        await pilot.pause()
        assert not screen.narrow
        assert all(screen.pane(k).display for k in ("lesson", "console", "nodes", "ifaces", "routes", "capture"))


async def test_help_screen_lists_keys(tmp_path: Path) -> None:
    app = make_app(tmp_path, lang="zh")
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot)
        await pilot.press("f1")
        await pilot.pause()
        from tui.app.screens.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        rows = [str(r.render()) for r in app.screen.query(".help-row")]
        assert any("下一步" in r for r in rows) and any("F4" in r for r in rows)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_language_switch_from_the_palette_commands(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        await app.set_language("zh")
        await pilot.pause(0.2)
        screen = app.screen
        assert screen.session.lang == "zh"
        assert "两个节点" in screen.lesson_pane.query_one("#lesson-md").source
        assert str(screen.pane("console").border_title) == "终端"
        from textual.widgets._footer import FooterKey

        palette_keys = [k for k in screen.query(FooterKey) if k.has_class("-command-palette")]
        assert [k.description for k in palette_keys] == ["命令面板"]  # Textual's own key speaks zh too
        await run(pilot, "hostname")
        assert "ip-10-0-2-197" in console_text(app)


async def test_palette_providers_list_steps_exports_and_settings(tmp_path: Path) -> None:
    from tui.app.commands import ExportCommands, SettingsCommands, StepCommands

    app = make_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        steps = list(StepCommands.commands(_FakeProvider(app)))  # type: ignore[arg-type]
        assert len(steps) == 6 and "Two replicas" in steps[2][0]
        exports = [c[1] for c in ExportCommands.commands(_FakeProvider(app))]  # type: ignore[arg-type]
        assert exports == ["md", "html", "cast", "pcap", "svg"]
        settings = [c[0] for c in SettingsCommands.commands(_FakeProvider(app))]  # type: ignore[arg-type]
        assert "Presenter mode on" in settings and any(s.startswith("Theme: ") for s in settings)
        app.lang = "zh"  # what the palette lists after a switch to Chinese
        themes = [c for c in SettingsCommands.commands(_FakeProvider(app)) if c[1] == "配色主题"]  # type: ignore[arg-type]
        assert themes and all(c[0].startswith("主题：") for c in themes) and f"主题：{app.theme}" in [c[0] for c in themes]
        themes[0][2]()
        await pilot.pause()
        assert app.theme == themes[0][0].removeprefix("主题：")
        assert f"主题：{app.theme}" in [n.message for n in app._notifications]
        app.lang = "en"
        steps[3][2]()  # go to step 4 through the palette command
        await pilot.pause()
        assert screen.session.step == 3


class _FakeProvider:
    def __init__(self, app: OverlaylabApp) -> None:
        self.player = app


async def test_exports_are_written(tmp_path: Path) -> None:
    app = make_app(tmp_path, step=2)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        await run(pilot, "tcpdump -c 2 -i eth0 icmp & ping -c 1 8.8.8.8")
        await pilot.press("ctrl+e")
        await pilot.pause()
        from tui.app.screens.export import ExportScreen

        assert isinstance(app.screen, ExportScreen)
        await pilot.press("enter")  # the first format: Markdown
        await pilot.pause(0.3)
        out = tmp_path / "home" / "exports"
        md = list(out.glob("*.md"))
        assert md and "ping -c 1 8.8.8.8" in md[0].read_text()
        for fmt in ("html", "cast", "pcap", "svg"):
            path = screen.export(fmt)
            assert path is not None and Path(path).stat().st_size > 0
        pcap = next(out.glob("*.pcap")).read_bytes()
        assert pcap[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1")  # a pcap file with packets
        assert len(pcap) > 24
        cast = next(out.glob("*.cast")).read_text().splitlines()
        assert json.loads(cast[0])["version"] == 2
        assert "<svg" in next(out.glob("*.svg")).read_text()[:200]


async def test_quit_saves_progress(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot)
        await pilot.press("f4")
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
    data = json.loads((tmp_path / "home" / "progress.json").read_text())
    prog = data["lessons"]["app-fixture"]
    assert prog["current"] == 1 and 0 in prog["completed"]
    journals = list((tmp_path / "home" / "sessions").glob("*.jsonl"))
    assert journals and json.loads(journals[0].read_text().splitlines()[-1])["kind"] == "end"
    # and the next run resumes there
    again = make_app(tmp_path)
    async with again.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        assert screen.session.step == 1


# ---- presenter --------------------------------------------------------------------------------


async def test_presenter_advances_types_and_goes_back(tmp_path: Path) -> None:
    app = make_app(tmp_path, presenter=True, type_delay=0.001)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        session = screen.session
        assert screen.has_class("-presenter")
        assert screen.pane("notes").display and not screen.pane("nodes").display
        assert "who has used docker swarm" in screen.content("notes").query_one("#notes-md").source
        await pilot.press("pagedown")
        await pilot.pause()
        assert session.step == 1
        start_v = session.v
        await pilot.press("pagedown")  # types the step's commands, one after the other
        await wait_for(pilot, lambda: not screen._autotyping)
        lines = [r["line"] for r in session.records if r["kind"] == "command"]
        assert lines == ["docker network create -d overlay my-swarm-net",
                         "docker service create --name test --network my-swarm-net busybox ping 8.8.8.8"]
        assert "docker service create --name test" in console_text(app)
        await pilot.press("pagedown")
        await pilot.pause()
        assert session.step == 2
        await pilot.press("pageup")
        await pilot.pause()
        assert session.step == 1 and session.v == start_v
        assert session.lab.hosts["ip-10-0-2-197"].docker.find_network("my-swarm-net") is None
        timer = str(screen.content("notes").query_one("#notes-timer").render())
        assert timer.startswith("step time 00:0")


async def test_presenter_reveals_quiz_answers(tmp_path: Path) -> None:
    app = make_app(tmp_path, presenter=True, step=4)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        await pilot.press("pagedown")
        await pilot.pause()
        assert screen.session.states[3].completed
        await pilot.press("pagedown")
        await pilot.pause()
        assert screen.session.step == 4


# ---- the picker -------------------------------------------------------------------------------


async def test_picker_lists_lessons_and_opens_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVERLAYLAB_LESSONS", str(FIXTURES))
    app = make_app(tmp_path, lesson=None)
    async with app.run_test(size=WIDE) as pilot:
        from tui.app.screens.picker import PickerScreen

        assert isinstance(app.screen, PickerScreen)
        await wait_for(pilot, lambda: bool(app.screen.cards))
        card = app.screen.cards[0]
        assert card.id == "app-fixture" and card.steps == 6 and card.minutes == 10
        assert "See VXLAN packets on the wire" in card.objectives
        objectives = str(app.screen.query_one("#picker-detail-objectives").render())
        assert "Create an overlay network" in objectives
        await pilot.press("enter")
        screen = await ready(pilot)
        assert screen.session.lesson.id == "app-fixture"


async def test_a_captured_packet_opens_its_layers_and_walk(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        await run(pilot, "tcpdump -c 2 -n -i eth0 icmp & ping -c 1 8.8.8.8")
        view = screen.content("capture").view
        await wait_for(pilot, lambda: view.packet_count >= 2)
        view.focus()
        await pilot.press("up", "enter")
        await pilot.pause(0.2)
        from tui.app.screens.packet import PacketScreen

        assert isinstance(app.screen, PacketScreen)
        detail = app.screen.query_one("#packet-detail")
        walk = app.screen.query_one("#packet-walk")
        labels = " / ".join(layer.label for layer in detail.dissection)
        assert "Ethernet II" in labels and "Internet Control Message Protocol" in labels
        assert walk.hops
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_the_shell_knows_the_console_size_and_docker_progress_follows_it(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        output = screen.console.output
        columns, lines = output.window_size
        assert columns == output.scrollable_content_region.width and lines == output.size.height + 1
        assert columns < 110  # the console is narrower than the screen
        shell = screen.session.shell
        assert (shell.terminal.columns, shell.terminal.lines) == (columns, lines)
        await run(pilot, "echo $COLUMNS $LINES")
        assert console_text(app).endswith(f"echo $COLUMNS $LINES\n{columns} {lines}\n")
        await run(pilot, "docker network create -d overlay my-swarm-net")
        await run(pilot, "docker service create --name test --network my-swarm-net busybox ping 8.8.8.8")
        out = console_text(app).split("busybox ping 8.8.8.8\n", 1)[1]
        # docker/cli drops the bar on a terminal of 110 columns or fewer: nothing wraps in the console
        assert "overall progress: 1 out of 1 tasks \n1/1: running   \nverify: Service converged \n" in out
        assert "[=" not in out and all(len(row) <= columns for row in out.splitlines())
        await pilot.press("f8")  # zoom the console: the shell is told its new size
        await pilot.pause(0.2)
        wide, tall = output.window_size
        assert wide > 110 and (shell.terminal.columns, shell.terminal.lines) == (wide, tall)
        await run(pilot, "docker service scale test=2")
        assert "1/2: running   [" + "=" * 50 + ">] \n" in console_text(app).split("test=2\n", 1)[1]
        await pilot.press("f8")
        await pilot.pause(0.2)
        await pilot.resize_terminal(130, 40)
        await pilot.pause(0.2)
        assert (shell.terminal.columns, shell.terminal.lines) == output.window_size != (columns, lines)
        await pilot.press("f9")  # reset the step: the lab (and its shells) are rebuilt, with the same size
        await pilot.pause()
        assert screen.session.shell is not shell
        assert screen.session.shell.terminal.columns == output.window_size[0]
        await run(pilot, "echo $COLUMNS")
        assert console_text(app).endswith(f"{output.window_size[0]}\n")


async def test_ssh_and_exit_move_between_nodes(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        prompt = screen.console.query_one("#console-prompt")
        await run(pilot, "ssh ip-10-0-2-253")
        assert str(prompt.render()) == "root@ip-10-0-2-253:~# "
        box = screen.console.input
        await pilot.press(*"ip -br a show et", "tab")  # completion follows the shell to node2
        assert box.value == "ip -br a show eth0 "
        box.value = ""
        await run(pilot, "hostname")
        assert console_text(app).rstrip().endswith("ip-10-0-2-253")
        await run(pilot, "exit")
        assert str(prompt.render()) == "root@ip-10-0-2-197:~# "
        assert "Connection to ip-10-0-2-253 closed." in console_text(app)


async def test_theme_choice_is_kept_and_no_color_is_respected(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEXTUAL_THEME", raising=False)
    app = make_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot)
        app.set_theme("nord")
        await pilot.pause()
    again = make_app(tmp_path)
    async with again.run_test(size=WIDE) as pilot:
        await ready(pilot)
        assert again.theme == "nord"
    monkeypatch.setenv("NO_COLOR", "1")
    plain = make_app(tmp_path)
    async with plain.run_test(size=WIDE) as pilot:
        await ready(pilot)
        assert plain.no_color


async def test_a_quiz_with_several_right_answers(tmp_path: Path) -> None:
    app = make_app(tmp_path, lesson=str(FIXTURES / "extra" / "quiz-multiple.yaml"))
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        session = screen.session
        submit = screen.lesson_pane.query_one("#quiz-submit")
        await pilot.click("#quiz-check-0")
        submit.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert not session.states[0].completed  # one of two is not enough
        screen.lesson_pane.query_one("#quiz-check-1").focus()
        await pilot.press("space")  # keyboard only this time
        submit.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert session.states[0].completed
        assert "gossip" in str(screen.lesson_pane.query_one("#quiz-feedback").render())
        answers = [r["answer"] for r in session.records if r["kind"] == "quiz"]
        assert answers == ["UDP 4789 (VXLAN)", "UDP 4789 (VXLAN); TCP/UDP 7946 (gossip)"]


async def test_a_lesson_that_cannot_be_loaded_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\ntitle: [not closed\n", encoding="utf-8")
    app = make_app(tmp_path, lesson=str(bad))
    async with app.run_test(size=WIDE) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen._load_error is not None)
        heading = str(screen.lesson_pane.query_one("#lesson-heading").render())
        assert "could not be loaded" in heading and "bad.yaml" in heading
        await pilot.press(*"ip a", "enter")  # the app stays usable; the console just has no lab
        await pilot.pause()
        assert screen.session is None


# ---- found in the hands-on audit -----------------------------------------------------------------


async def test_console_follows_the_end_after_a_step_change(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=NARROW) as pilot:
        screen = await ready(pilot)
        screen.goto(3)  # the solutions of the steps before are played: a transcript taller than the console
        await pilot.pause()
        await pilot.pause()
        out = screen.console.output
        assert out.max_scroll_y > 0
        assert out.scroll_y == out.max_scroll_y
        last = console_text(app).rstrip("\n").splitlines()[-1]
        assert last.strip() and last.strip() in rendered_console(app)


async def test_skipping_an_unfinished_step_leaves_the_lab_the_next_step_expects(tmp_path: Path) -> None:
    app = make_app(tmp_path, step=2)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        session = screen.session
        await pilot.press("f4")  # not done: held back once
        await pilot.pause()
        assert session.step == 1
        await pilot.press("f4")  # go on anyway
        await pilot.pause()
        assert session.step == 2
        daemon = session.lab.hosts["ip-10-0-2-197"].docker
        assert daemon.find_network("my-swarm-net") is not None
        assert daemon.swarm.cluster.find_service("test") is not None
        assert "docker service create --name test" in console_text(app)  # the learner sees what was played


async def test_pasting_several_lines_runs_each_and_keeps_the_last(tmp_path: Path) -> None:
    from textual import events

    app = make_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        box = screen.console.input
        box.insert_text_at_cursor("echo A")
        box.post_message(events.Paste("1\necho two\r\necho thr"))
        await pilot.pause()
        await wait_for(pilot, lambda: not screen.session.busy)
        await pilot.pause()
        text = console_text(app)
        assert "# echo A1\nA1\n" in text and "# echo two\ntwo\n" in text
        assert "thr" not in text
        assert box.value == "echo thr"
        assert box.history[-2:] == ["echo A1", "echo two"]


async def test_quiz_choices_that_wrap_stay_left_aligned(tmp_path: Path) -> None:
    from textual.geometry import Region

    long = "Workers create an overlay network lazily, when a task attached to it is scheduled on them"
    lesson = tmp_path / "quiz.yaml"
    lesson.write_text(
        "id: quiz-wrap\ntitle: Wrap\nsummary: s\nobjectives: [o]\nestimated_minutes: 1\nscenario: linux-hosts\n"
        "languages: [en]\nsteps:\n  - kind: quiz\n    title: Q\n    question: Why?\n    choices:\n"
        f"      - text: \"{long}\"\n        correct: true\n      - text: Not at all\n",
        encoding="utf-8")
    app = make_app(tmp_path, lesson=str(lesson))
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        button = screen.lesson_pane.query_one("#quiz-choice-0")
        lines = ["".join(seg.text for seg in strip)
                 for strip in button.render_lines(Region(0, 0, button.size.width, button.size.height))]
        words = [line.strip() for line in lines if line.strip()]
        assert len(words) > 1  # it wraps in the lesson pane
        assert " ".join(words) == f"a) {long}"
        starts = {len(line) - len(line.lstrip()) for line in lines if line.strip()}
        assert len(starts) == 1  # every line starts at the same column


async def test_presenter_footer_shows_the_clicker_keys_from_the_start(tmp_path: Path) -> None:
    from textual.widgets import Footer

    app = make_app(tmp_path, presenter=True)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        keys = [str(k.render()) for k in screen.query_one(Footer).children]
        assert any("PgDn" in k for k in keys) and any("F4" in k for k in keys)


async def test_help_lists_the_keys_of_every_pane(tmp_path: Path) -> None:
    from dataclasses import replace

    from tui.app.screens.help import HelpScreen
    from tui.app.widgets.capture import CaptureView
    from tui.app.widgets.packet_detail import PacketDetail
    from tui.app.widgets.packet_walk import PacketWalk
    from tui.app.widgets.routes import RoutesPane

    app = make_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        listed = {str(r.render())[:16].strip() for r in app.screen.query(".help-row")}
        keys = {k for row in listed for k in row.split()}
        wanted = [b for cls in (CaptureView, PacketWalk, RoutesPane) for b in cls.BINDINGS if b.id]  # type: ignore[union-attr]
        wanted += [b for b in PacketDetail.BINDINGS if b.action in ("expand_all", "collapse_all")]  # type: ignore[union-attr]
        assert len(wanted) >= 9
        for binding in wanted:
            first = replace(binding, key=binding.key.split(",")[0])  # type: ignore[arg-type]
            display = app.get_key_display(first).replace("⏎", "Enter")
            assert display in keys or display.lower() in keys, (binding.action, display)


async def test_routes_hint_names_the_real_toggle_key(tmp_path: Path) -> None:
    from tui.app.widgets.routes import RoutesPane

    app = make_app(tmp_path, lang="zh")
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        routes = screen.content("routes")
        key = next(b.key for b in RoutesPane.BINDINGS if b.action == "toggle_neigh")  # type: ignore[union-attr]
        assert str(screen.pane("routes").border_subtitle) == f"{key}：切换邻居表/路由"
        screen._focus_pane("routes")
        await pilot.pause()
        await pilot.press(key)  # the key the hint names is the one that switches
        await pilot.pause()
        assert routes.neigh is True
        await app.set_language("en")
        await pilot.pause(0.2)
        assert str(app.screen.pane("routes").border_subtitle) == f"{key}: neighbours / routes"


async def test_end_key_in_the_console_and_ctrl_e_exports(tmp_path: Path) -> None:
    from tui.app.screens.export import ExportScreen
    from tui.app.screens.help import HelpScreen

    app = make_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        box = screen.console.input
        box.focus()
        await pilot.press(*"hostname")
        await pilot.press("home")
        assert box.cursor_position == 0
        await pilot.press("end")  # bash's end of line
        assert box.cursor_position == len("hostname") and screen.focused is box
        await pilot.press("home", "ctrl+e")  # not end of line: the export dialog, even while typing
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen) and box.value == "hostname"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        rows = [str(r.render()) for r in app.screen.query(".help-row")]
        ends = [r for r in rows if r.split()[:2] == ["Home", "End"]]
        assert len(ends) == 1 and "^E exports" in ends[0]


async def test_picker_resumes_the_lesson_worked_on_last_and_shows_its_keys(tmp_path: Path) -> None:
    from textual.widgets import Footer

    from tui.app.screens.picker import PickerScreen

    home = tmp_path / "home"
    home.mkdir()
    (home / "progress.json").write_text(json.dumps({"version": 1, "lessons": {
        "netns-veth": {"current": 2, "completed": [0, 1], "sessions": ["s1"], "steps": 11,
                       "updated": "2026-01-01T10:00:00Z"},
        "overlay-service": {"current": 5, "completed": [0, 1, 2, 3, 4], "sessions": ["s2"], "steps": 14,
                            "updated": "2026-01-02T10:00:00Z"},
    }}), encoding="utf-8")
    app = make_app(tmp_path, lesson=None)
    async with app.run_test(size=WIDE) as pilot:
        assert isinstance(app.screen, PickerScreen)
        await wait_for(pilot, lambda: bool(app.screen.cards))
        await pilot.pause()
        assert app.screen.current_ref() is not None
        assert Path(app.screen.current_ref()).name.startswith("05-overlay-service")
        assert "resume at step 6" in str(app.screen.query_one("#picker-detail-meta").render())
        keys = [str(k.render()) for k in app.screen.query_one(Footer).children]
        assert any("Open" in k for k in keys) and any("F1" in k for k in keys)


async def test_interface_columns_fit_the_namespace_shown(tmp_path: Path) -> None:
    app = make_app(tmp_path, step=2)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        await run(pilot, "docker network create -d overlay my-swarm-net")
        await run(pilot, "docker service create --name test --network my-swarm-net busybox ping 8.8.8.8")
        await pilot.pause(0.3)
        table = screen.content("ifaces").table

        def widest_name() -> int:
            return max(len(str(table.get_row_at(i)[0])) for i in range(table.row_count))

        assert widest_name() > len("eth0@if99")  # the host has vethXXXXXXX@ifN and docker_gwbridge
        nodes = screen.content("nodes")
        container = next(k for k in nodes._tree_nodes if k.startswith("container:ip-10-0-2-197"))
        nodes.tree.focus()
        nodes.tree.move_cursor(nodes._tree_nodes[container])
        await pilot.pause(0.3)
        assert screen.place.kind == "container"
        assert table.columns["name"].content_width == max(widest_name(), len("Name"))


async def test_enter_on_an_empty_line_gives_a_prompt_and_no_command(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        await run(pilot, "false")
        await run(pilot, "   ")
        await run(pilot, "echo $?")
        text = console_text(app)
        assert "root@ip-10-0-2-197:~#    \nroot@ip-10-0-2-197:~# echo $?\n1\n" in text  # $? untouched, as in bash
        lines = [r["line"] for r in screen.session.records if r["kind"] == "command"]
        assert lines == ["false", "echo $?"]  # the study notes get no empty command with a bogus status


async def test_tab_completes_the_value_of_a_flag_with_fixed_choices(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        screen = await ready(pilot)
        box = screen.console.input
        await pilot.press(*"docker node update --availability d", "tab")
        assert box.value == "docker node update --availability drain "
        await pilot.press(*"ip-10-0-2-25", "tab", "enter")
        await wait_for(pilot, lambda: not screen.session.busy)
        node = screen.session.lab.hosts["ip-10-0-2-197"].docker.swarm.cluster.find_node("ip-10-0-2-253")
        assert node.availability == "drain"
