"""The main screen: a lesson, a console on the lab, and live views of the lab's state.

Data flows one way. The learner types; the line goes to the session
(:class:`~tui.lesson.session.Session`), which runs it in the simulated
shell. A 50 ms timer moves the lab's clock (virtual time passes like wall
time, so ``ping`` ticks and background tasks keep running), collects what the
terminal printed since the last tick and hands it to the console in one
batch, and every few ticks re-reads the engine state into the Nodes,
Interfaces, Routes and Capture panes (which diff and update in place).

Start-up is staged, because time to first frame is benchmarked against a
bare Textual app: the first frame draws only the panes' frames; the panes
are mounted right after it; lesson parsing, the shell (all its commands) and
the lab are built in a worker thread and handed over when ready.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from tui.app.i18n import t
from tui.app.keys import MAIN_KEYS, main_bindings
from tui.app.options import PlayOptions
from tui.app.widgets.pane_bar import PaneBar
from tui.app.widgets.pane_slot import PaneSlot
from tui.app.widgets.status_bar import StatusBar, lab_clock

if TYPE_CHECKING:
    from tui.app.lab_view import Place
    from tui.app.widgets.console import ConsolePane
    from tui.app.widgets.lesson import LessonPane
    from tui.lesson.session import Session

NS = 1_000_000_000
PANES = ("lesson", "console", "nodes", "ifaces", "capture", "routes", "notes")
TAB_PANES = ("lesson", "nodes", "ifaces", "routes", "capture", "notes")
PANE_LABELS = {"lesson": "pane.lesson", "console": "pane.console", "nodes": "pane.nodes",
               "ifaces": "pane.interfaces", "routes": "pane.routes", "capture": "pane.capture",
               "notes": "pane.notes"}
NARROW_WIDTH = 120
NARROW_HEIGHT = 32
STATE_EVERY = 4  # ticks between two reads of the engine state into the panes
INSTANT_LIMIT = 10 * NS  # time_scale 0: how long a typed command may run before it is interrupted
TICK_WALL_BUDGET = 0.012  # seconds of engine work per tick at most: the rest of a frame is the screen's
TICK_SLICE_EVENTS = 2_000  # engine events between two looks at that budget


class SessionStarted(Message):
    """Posted to the app when a lesson's session is ready (the palette lists its steps)."""

    def __init__(self, session: Any) -> None:
        super().__init__()
        self.session = session


@dataclass
class Loaded:
    """What the loading worker hands to the screen."""

    session: Session
    store: Any
    session_id: str
    history: list[str]


class MainScreen(Screen[None]):
    """Lesson, console, nodes, interfaces, routes, capture (and speaker notes when presenting)."""

    BINDINGS: ClassVar[list[Binding]] = main_bindings()  # type: ignore[assignment]
    ALLOW_IN_MAXIMIZED_VIEW = "StatusBar, Footer"

    def __init__(self, options: PlayOptions) -> None:
        super().__init__()
        self.options = options
        self.lang = options.lang
        self.presenter = options.presenter
        self.session: Session | None = None
        self.store: Any = None
        self.session_id = ""
        self.place: Place | None = None
        self._tables_place: Place | None = None  # the place the Interfaces and Routes columns were sized for
        self.active_tab = "notes" if options.presenter else "lesson"
        self._lab: Any = None
        self._bound_shell: Any = None
        self._unsubscribe: Any = None
        self._pending: list[tuple[str, str]] = []
        self._last_tick = time.monotonic()
        self._ticks = 0
        self._state_dirty = True
        self._ran: set[str] = set()
        self._queued: list[str] = []
        self._next_armed: int | None = None
        self._autotyping = False
        self._history_file: Any = None
        self._load_error: str | None = None
        self._ready = False
        self._console_size: tuple[int, int] | None = None  # the console's window, told to the learner's shells
        self._console_sized = threading.Event()
        self._translate_bindings()

    # ---- layout --------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Container(id="body"):
            for key in PANES:
                yield PaneSlot(id=f"pane-{key}", classes="pane")

    def on_mount(self) -> None:
        for key in PANES:
            self.pane(key).border_title = t(self.lang, PANE_LABELS[key])
        self._apply_mode()
        # the first frame shows the frames only; the panes follow right after it
        self.call_after_refresh(self._mount_panes)

    async def _mount_panes(self, *, load: bool = True) -> None:
        from textual.widgets import Footer

        from tui.app.widgets.capture_pane import CapturePane
        from tui.app.widgets.console import ConsolePane
        from tui.app.widgets.interfaces import InterfacesPane
        from tui.app.widgets.lesson import LessonPane
        from tui.app.widgets.nodes import NodesPane
        from tui.app.widgets.notes import NotesPane
        from tui.app.widgets.routes import RoutesPane

        lang = self.lang
        tabs = [(k, t(lang, PANE_LABELS[k])) for k in TAB_PANES]
        await self.mount(PaneBar(tabs, self.active_tab, id="pane-bar"), before="#body")
        await self.mount(Footer(compact=True, show_command_palette=True))
        panes = {
            "lesson": LessonPane(lang, id="lesson"),
            "console": ConsolePane(placeholder=t(lang, "console.not_ready"),
                                   busy_placeholder=t(lang, "console.running"), id="console"),
            "nodes": NodesPane(id="nodes"),
            "ifaces": InterfacesPane(lang, id="ifaces"),
            "capture": CapturePane(lang, id="capture"),
            "routes": RoutesPane(lang, id="routes"),
            "notes": NotesPane(lang, id="notes"),
        }
        for key, widget in panes.items():
            await self.pane(key).mount(widget)
        self._ready = True
        self._apply_mode()
        if not self.presenter:
            self.console.input.focus()
        else:
            self.refresh_bindings()  # nothing takes focus: tell the footer (mounted after the first frame) to fill
        if not load:
            return
        if self.options.lesson is None:
            self.lesson_pane.show_message(t(self.lang, "lesson.none"))
        else:
            self.lesson_pane.show_message(t(self.lang, "lesson.loading"))
            self._start_loading()

    def _start_loading(self) -> None:
        self.run_worker(self._load, thread=True, exclusive=True, group="load", exit_on_error=False,
                        name="load-lesson")

    def pane(self, key: str) -> PaneSlot:
        """The frame of a pane (border, title, zoom)."""
        return self.query_one(f"#pane-{key}", PaneSlot)

    def content(self, key: str) -> Any:
        """The pane itself (mounted into its frame after the first frame)."""
        return self.query_one(f"#{key}")

    @property
    def console(self) -> ConsolePane:
        return self.content("console")  # type: ignore[no-any-return]

    @property
    def lesson_pane(self) -> LessonPane:
        return self.content("lesson")  # type: ignore[no-any-return]

    def on_resize(self) -> None:
        self._apply_mode()

    @property
    def narrow(self) -> bool:
        return self.has_class("-narrow")

    def _apply_mode(self) -> None:
        width, height = self.app.size
        narrow = width < NARROW_WIDTH or height < NARROW_HEIGHT
        self.set_class(narrow, "-narrow")
        self.set_class(self.presenter, "-presenter")
        visible_tabs = {k for k in TAB_PANES if (k != "notes" or self.presenter) and (k != "lesson" or narrow)}
        if self.active_tab not in visible_tabs:
            self.active_tab = "notes" if self.presenter else ("lesson" if narrow else "nodes")
        for bar in self.query(PaneBar):  # mounted after the first frame
            bar.display = narrow or self.presenter
            bar.set_visible_tabs(visible_tabs)
            bar.set_current(self.active_tab)
        for key in TAB_PANES:
            self.pane(key).set_class(key == self.active_tab, "-active")
        self._state_dirty = True

    def show_tab(self, key: str) -> None:
        """Bring a pane forward where panes share the space (narrow screens, presenter mode)."""
        self.active_tab = key
        self._apply_mode()
        self._refresh_state()

    def on_pane_bar_chosen(self, event: PaneBar.Chosen) -> None:
        self.show_tab(event.key)

    def _translate_bindings(self) -> None:
        """Footer and help show the descriptions in the learner's language."""
        from dataclasses import replace

        labels = {k.action: k.label for k in MAIN_KEYS}
        footer = {(k.action, k.keys.split(",")[0]) for k in MAIN_KEYS if k.footer}
        presenting = {"presenter_advance", "presenter_retreat"}
        table = self._bindings.key_to_bindings
        for key, bindings in table.items():
            out = []
            for b in bindings:
                if b.action in labels:
                    show = (b.action, key) in footer or (self.presenter and b.action in presenting
                                                        and key in ("pagedown", "pageup"))
                    b = replace(b, description=t(self.lang, labels[b.action]), show=show)
                out.append(b)
            table[key] = out

    # ---- loading -------------------------------------------------------------------------------
    def _load(self) -> Loaded:
        """In a worker thread: find and parse the lesson, build its lab, restore progress."""
        from tui.app.history import HistoryFile
        from tui.lesson.catalog import find_lesson
        from tui.lesson.loader import load_lesson
        from tui.lesson.progress import ProgressStore
        from tui.lesson.session import Session

        opts = self.options
        assert opts.lesson is not None
        path = find_lesson(opts.lesson)
        lesson = load_lesson(path, lint=False)
        store = ProgressStore(opts.home_dir)
        store.load()
        baseline = store.get(lesson.id)
        session_id, journal = store.new_session(lesson.id)
        lang = opts.lang if opts.lang in lesson.languages else "en"
        session = Session(lesson, lang, opts.seed, journal)
        # the console's size before any command runs (resuming plays solutions): output fits the console
        self._console_sized.wait(timeout=5)
        if self._console_size is not None:
            session.set_terminal_size(*self._console_size)
        target = None
        if opts.step is not None:
            target = max(0, min(len(lesson.steps) - 1, opts.step - 1))
        elif baseline is not None and not baseline.done and baseline.current:
            target = min(baseline.current, len(lesson.steps) - 1)
        if target:
            session.goto(target)
        if baseline is not None:  # after goto: their solutions were played all the same, to build the lab
            session.restore_completed(baseline.completed)  # done in earlier sessions: ✓, not skipped
        # warm what the first keystrokes need (completion, state views)
        import tui.app.completion  # noqa: F401
        import tui.app.lab_view  # noqa: F401

        history = HistoryFile(opts.home_dir / "history")
        return Loaded(session, store, session_id, history.load())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group == "load":
            if event.state == WorkerState.SUCCESS and isinstance(worker.result, Loaded):
                self._session_ready(worker.result)
            elif event.state == WorkerState.ERROR:
                self._load_failed(worker.error)

    def _load_failed(self, error: BaseException | None) -> None:
        message = f"{t(self.lang, 'lesson.error')}: {error}"
        self._load_error = message
        self.lesson_pane.show_message(message)
        self.notify(str(error), title=t(self.lang, "lesson.error"), severity="error", timeout=10, markup=False)

    def _session_ready(self, loaded: Loaded) -> None:
        from tui.app.history import HistoryFile

        self.session = loaded.session
        self.store = loaded.store
        self.session_id = loaded.session_id
        self._history_file = HistoryFile(self.options.home_dir / "history")
        self.lang = loaded.session.lang
        console = self.console
        console.input.history = list(loaded.history)
        console.input.completer = self._complete
        console.set_placeholders(t(self.lang, "console.placeholder"), t(self.lang, "console.running"))
        if self._console_size is not None:  # it may have changed while the lesson loaded
            loaded.session.set_terminal_size(*self._console_size)
        self._enter_step(lab_changed=True)
        self._last_tick = time.monotonic()
        self.set_interval(self.options.tick, self._tick, name="engine")
        if not self.presenter:
            console.input.focus()
        self.app.post_message(SessionStarted(self.session))

    # ---- the clock -----------------------------------------------------------------------------
    def _tick(self) -> None:
        session = self.session
        if session is None or not self._ready:
            return
        now = time.monotonic()
        wall = min(now - self._last_tick, 0.25)  # after a stall, do not leap
        self._last_tick = now
        scale = self.options.time_scale
        if scale > 0:
            self._advance(int(wall * NS * scale))
        if session.busy:
            result = self._run_instantly() if scale <= 0 else session.poll()
            if result is not None:
                self._command_done(result)
        elif self._queued and not self._autotyping:
            self._submit(self._queued.pop(0))
        self._flush_console()
        self._ticks += 1
        if self._state_dirty or self._ticks % STATE_EVERY == 0:
            self._refresh_state()

    def _advance(self, dt: int) -> None:
        """Let ``dt`` virtual ns pass, in slices, stopping for this tick once its share of real time is used.

        A flood or a big scale-up can make the engine slower than real time; then
        virtual time lags behind the wall clock instead of the screen freezing (what
        happens in virtual time is the same either way, only later).
        """
        session = self.session
        assert session is not None
        clock = session.lab.clock
        end = clock.now + dt
        deadline = time.perf_counter() + TICK_WALL_BUDGET
        while not session.advance(end - clock.now, budget=TICK_SLICE_EVENTS):
            if time.perf_counter() >= deadline:
                return

    def _run_instantly(self) -> Any:
        """time_scale 0: drive the running command to its end now (interrupting it after a while); its result."""
        session = self.session
        assert session is not None
        start = session.lab.clock.now
        while session.busy:
            result = session.poll()
            if result is not None:
                return result
            if session.lab.clock.now - start >= INSTANT_LIMIT:
                session.interrupt()
            session.advance(50_000_000)
        return None

    # ---- console -------------------------------------------------------------------------------
    def _bind_shell(self, shell: Any, *, full: bool) -> None:
        """Show ``shell``'s terminal in the console (``full``: its whole transcript so far)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._pending.clear()
        old = self._bound_shell
        self._bound_shell = shell
        keep = old is not None and getattr(old, "exited", False) and not shell.terminal.chunks
        if full and not keep:
            self.console.output.clear()
            self.console.output.feed((c.text, c.stream) for c in shell.terminal.chunks)
        self._unsubscribe = shell.terminal.subscribe(self._on_chunk)
        self.console.set_prompt(shell.prompt)

    def on_console_output_resized(self, event: Any) -> None:
        """The console's window changed: the learner's shells format for it from the next output on."""
        self._console_size = (event.columns, event.lines)
        self._console_sized.set()
        if self.session is not None:
            self.session.set_terminal_size(event.columns, event.lines)

    def _on_chunk(self, chunk: Any) -> None:
        self._pending.append((chunk.text, chunk.stream))

    def _flush_console(self) -> None:
        if self._pending:
            batch, self._pending = self._pending, []
            self.console.output.feed(batch)

    def _complete(self, text: str) -> Any:
        from tui.app.completion import Completion, complete

        if self.session is None:
            return Completion(len(text), "", ())
        return complete(self.session.live_shell, text)

    def on_console_pane_command_entered(self, event: Any) -> None:
        line = event.line
        if self.session is None:
            return
        if self._history_file is not None and line.strip():
            self._history_file.append(line)
        if self.session.busy:
            self._queued.append(line)  # type-ahead: runs when the current command ends
            return
        self._submit(line)

    def _submit(self, line: str) -> None:
        session = self.session
        assert session is not None
        if session.shell is not self._bound_shell:
            self._bind_shell(session.shell, full=False)
        if not line.strip():  # Enter on an empty line: a fresh prompt, as bash gives; no command for the journal
            self.console.output.feed([(f"{session.shell.prompt}{line}\n", "echo")])
            return
        result = session.start(line)
        self._flush_console()
        if result is not None:
            self._command_done(result)
            return
        self.console.set_busy(True)
        if self.options.time_scale <= 0:
            result = self._run_instantly()
            if result is not None:
                self._command_done(result)

    def _command_done(self, result: Any) -> None:
        session = self.session
        assert session is not None
        self._flush_console()
        self.console.set_busy(False)
        if result.step == session.step:
            self._ran.add(" ".join(result.line.split()))
        shell = session.shell
        if shell is not self._bound_shell:
            self._bind_shell(shell, full=True)
        self.console.set_prompt(shell.prompt)
        self._state_dirty = True
        view_needs_update = True
        step = session.current
        if step.kind == "run" and not session.states[session.step].completed:
            commands = {" ".join(c.split()) for c in step.commands}
            if commands <= self._ran:
                self._show_check(session.check())
        if view_needs_update:
            self._show_step_view()
        self._save_progress()

    def on_console_pane_interrupt_requested(self, event: Any) -> None:
        self.action_interrupt(line=event.line)

    def action_interrupt(self, line: str = "") -> None:
        """Ctrl-C: stop the running command; at an idle prompt, abandon the line as bash does."""
        selected = self.get_selected_text()
        if selected:
            self.app.copy_to_clipboard(selected)
            self.clear_selection()
            return
        session = self.session
        if session is None:
            return
        self._queued.clear()
        if session.busy:
            session.interrupt()
            self._flush_console()
            return
        shell = session.shell
        # an idle ^C: the line is dropped and a fresh prompt shown (nothing reaches the shell)
        self.console.output.feed([(f"{shell.prompt}{line}^C\n", "echo")])

    # ---- state panes ---------------------------------------------------------------------------
    def _refresh_state(self) -> None:
        self._state_dirty = False
        session = self.session
        if session is None or not self._ready:
            return
        from tui.app import lab_view

        lab = session.lab
        self._refresh_status()
        nodes = self.content("nodes")
        if self.pane("nodes").display:
            nodes.show(lab_view.nodes(lab))
        place = self.place
        if place != self._tables_place:  # another namespace: columns sized for its own names and addresses
            self._tables_place = place
            self.content("ifaces").reset_columns()
            self.content("routes").reset_columns()
        ns = lab_view.namespace_of(lab, place) if place is not None else None
        where = lab_view.describe(lab, place) if place is not None else ""
        ifaces = self.content("ifaces")
        if self.pane("ifaces").display:
            self.pane("ifaces").border_title = t(self.lang, "ifaces.title", where=where) if ns is not None else t(
                self.lang, "pane.interfaces")
            ifaces.show(lab_view.interfaces(ns) if ns is not None else [])
        routes = self.content("routes")
        if self.pane("routes").display:
            key = "routes.title_neigh" if routes.neigh else "routes.title_routes"
            self.pane("routes").border_title = (t(self.lang, key, where=where) if ns is not None
                                                else t(self.lang, "pane.routes"))
            routes.show(lab_view.routes(ns) if ns is not None else [], lab_view.neighbours(ns) if ns is not None else [])
        self.content("capture").sync(session.captures)

    def _refresh_status(self) -> None:
        session = self.session
        if session is None:
            return
        lesson = session.lesson
        left = Content.assemble(("overlaylab", "bold $text-accent"), " · ", lesson.text(lesson.title, self.lang),
                                " · ", (t(self.lang, "lesson.step", n=session.step + 1, total=len(lesson.steps)),
                                        "$text-muted"))
        right = Content.assemble((t(self.lang, "status.virtual") + " ", "$text-muted"),
                                 lab_clock(session.lab.clock.wall_ns))
        self.query_one(StatusBar).set_parts(left, right)

    def on_nodes_pane_place_chosen(self, event: Any) -> None:
        self.place = event.place
        self._refresh_state()

    def on_capture_view_selected(self, event: Any) -> None:
        """Enter on a packet: its layers, bytes and recorded journey."""
        from tui.app.screens.packet import PacketScreen

        self.app.push_screen(PacketScreen(event.record, event.label or "", self.lang))

    def on_routes_pane_toggled(self) -> None:
        self._refresh_state()

    # ---- steps ---------------------------------------------------------------------------------
    def _enter_step(self, *, lab_changed: bool) -> None:
        """Show the current step; after a replay (``lab_changed``) re-attach every view to the new lab."""
        session = self.session
        assert session is not None
        self._ran = set()
        self._next_armed = None
        self._queued.clear()
        step = session.current
        if step.kind == "break":
            session.apply_break()
        old_host = getattr(getattr(self._bound_shell, "host", None), "hostname", None)
        if lab_changed or session.lab is not self._lab:
            self._lab = session.lab
            self.content("nodes").reset()
            self.content("capture").reset()
            self._bind_shell(session.shell, full=True)
            from tui.app.pacing import settle

            self.call_after_refresh(settle)  # a new lab: one full collection once it is on screen, then freeze
        elif session.shell is not self._bound_shell:
            self._bind_shell(session.shell, full=True)
        self.console.set_busy(session.busy)
        from tui.app.lab_view import Place

        host = session.host
        if old_host is not None and old_host != host and not self.console.output.text.strip():
            self.console.output.write_local(f"# {host}\n")  # another machine's terminal: say which
        if self.place is None or self.place.host not in session.lab.hosts or (
                old_host is not None and old_host != host and self.place.host == old_host):
            self.place = Place(host, "host")  # the views follow the learner to the step's machine
        self._show_step_view()
        from tui.app.stepview import step_view

        view = step_view(session)
        self.content("notes").show_notes(view.notes, t(self.lang, "presenter.no_notes"))
        if step.kind == "break":
            self.lesson_pane.show_check(None, t(self.lang, "lesson.break"))
        self._state_dirty = True
        self._refresh_state()
        self.content("nodes").select_place(self.place)
        self._save_progress()

    def _show_step_view(self) -> None:
        from tui.app.stepview import step_items, step_view

        session = self.session
        assert session is not None
        self.lesson_pane.show_step(step_view(session), step_items(session), self._ran)

    def _show_check(self, result: Any) -> None:
        self.lesson_pane.show_check(bool(result.passed), result.message)
        self._show_step_view()

    def _navigate(self, move: str, index: int | None = None) -> bool:
        session = self.session
        if session is None:
            return False
        self._cancel_autotype()
        session.stop_live()
        self._flush_console()
        before_lab = session.lab
        if move == "next":
            moved = session.skip_ahead()
            if not moved:
                self.lesson_pane.show_check(None, t(self.lang, "lesson.done" if all(
                    s.completed for s in session.states) else "lesson.last_step"))
                self._show_step_view()
                self._save_progress()
                return False
        elif move == "back":
            moved = session.back()
            if not moved:
                self.notify(t(self.lang, "lesson.first_step"), markup=False)
                return False
        elif move == "reset":
            session.reset_step()
        elif move == "goto" and index is not None:
            session.goto(index)
        self._enter_step(lab_changed=session.lab is not before_lab)
        if not self.presenter:
            self.console.input.focus()
        return True

    def action_next_step(self) -> None:
        session = self.session
        if session is None:
            return
        state = session.states[session.step]
        kind = session.current.kind
        if not state.completed and kind in ("run", "task", "break", "quiz") and self._next_armed != session.step:
            if kind == "quiz":
                self.lesson_pane.show_check(False, t(self.lang, "lesson.check.failed"))
                passed = False
            else:
                result = session.check()
                self._show_check(result)
                passed = bool(result.passed)
            if not passed:
                self._next_armed = session.step
                key = "PgDn" if self.presenter else "F4"
                self.notify(t(self.lang, "lesson.skip", keys=key), markup=False, timeout=4)
                return
        self._navigate("next")

    def action_prev_step(self) -> None:
        self._navigate("back")

    def action_reset_step(self) -> None:
        self._navigate("reset")

    def action_hint(self) -> None:
        session = self.session
        if session is None:
            return
        text = session.hint()
        if text is None:
            key = "lesson.no_hints" if not session.current.hints else "lesson.no_more_hints"
            self.notify(t(self.lang, key), markup=False, timeout=3)
            return
        self._show_step_view()
        if self.narrow and self.active_tab != "lesson":
            self.show_tab("lesson")

    def action_check(self) -> None:
        session = self.session
        if session is None:
            return
        self._show_check(session.check())
        self._save_progress()

    def action_goto_step(self) -> None:
        session = self.session
        if session is None:
            return
        from tui.app.screens.goto import GotoScreen
        from tui.app.stepview import step_items

        def chosen(index: int | None) -> None:
            if index is not None:
                self._navigate("goto", index)

        self.app.push_screen(GotoScreen(step_items(session), self.lang), chosen)

    def goto(self, index: int) -> None:
        self._navigate("goto", index)

    def on_lesson_pane_request(self, event: Any) -> None:
        {"next": self.action_next_step, "back": self.action_prev_step, "hint": self.action_hint,
         "check": self.action_check}[event.what]()

    def on_step_list_go_to(self, event: Any) -> None:
        self._navigate("goto", event.index)

    def on_command_chip_insert(self, event: Any) -> None:
        self.console.insert_command(event.line)
        if self.narrow:
            self.console.input.focus()

    def on_quiz_view_answered(self, event: Any) -> None:
        session = self.session
        if session is None:
            return
        try:
            result = session.answer(event.value)
        except Exception as err:  # a value the session refuses: say so in the quiz
            self.lesson_pane.show_quiz_feedback(False, str(err))
            return
        self.lesson_pane.show_quiz_feedback(result.correct, result.feedback)
        self._show_step_view()
        self._save_progress()

    # ---- focus, zoom, help ---------------------------------------------------------------------
    def _visible_panes(self) -> list[str]:
        return [k for k in ("lesson", "console", "nodes", "ifaces", "routes", "capture", "notes")
                if self.pane(k).display]

    def _focus_pane(self, key: str) -> None:
        pane = self.pane(key)
        if not pane.display and key in TAB_PANES:
            self.show_tab(key)
        if key == "console":
            self.console.input.focus()
            return
        target = next((w for w in pane.query("*") if w.focusable), None)
        if target is not None:
            target.focus()

    def _current_pane(self) -> str | None:
        focused = self.focused
        for key in PANES:
            pane = self.pane(key)
            node = focused
            while node is not None:
                if node is pane:
                    return key
                node = node.parent  # type: ignore[assignment]
        return None

    def _cycle(self, step: int) -> None:
        order = ["lesson", "console", "nodes", "ifaces", "routes", "capture"]
        if self.presenter:
            order.append("notes")
        if self.narrow or self.presenter:
            # panes that share the space are reached through their tab
            order = [k for k in order if k == "console" or k in TAB_PANES]
        else:
            order = [k for k in order if self.pane(k).display]
        current = self._current_pane()
        i = order.index(current) if current in order else -1
        self._focus_pane(order[(i + step) % len(order)])

    def action_cycle_focus(self) -> None:
        self._cycle(1)

    def action_cycle_focus_back(self) -> None:
        self._cycle(-1)

    def action_focus_console(self) -> None:
        self._focus_pane("console")

    def action_zoom(self) -> None:
        if self.maximized is not None:
            self.minimize()
            return
        key = self._current_pane() or "console"
        self.maximize(self.pane(key), container=False)

    def action_help(self) -> None:
        from tui.app.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self.lang))

    def action_export(self) -> None:
        from tui.app.screens.export import ExportScreen

        def chosen(fmt: str | None) -> None:
            if fmt:
                self.app.call_after_refresh(self.export, fmt)

        self.app.push_screen(ExportScreen(self.lang), chosen)

    def export(self, fmt: str) -> str | None:
        """Write the session as ``fmt`` (md, html, cast, pcap, svg) into the data directory; its path."""
        stamp = self.session_id or time.strftime("%Y%m%d-%H%M%S")
        out_dir = self.options.home_dir / "exports"
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            if fmt == "svg":
                path = out_dir / f"{stamp}.svg"
                self.app.save_screenshot(filename=path.name, path=str(out_dir))
            else:
                session = self.session
                if session is None:
                    raise RuntimeError(t(self.lang, "lesson.none"))
                from tui.export import SUFFIXES, render

                sync = getattr(session, "_sync_packets", None)
                if callable(sync):
                    sync()  # packets captured while idle are journaled now
                data = render(list(session.records), fmt, self.lang)
                path = out_dir / f"{stamp}{SUFFIXES[fmt]}"
                if isinstance(data, bytes):
                    path.write_bytes(data)
                else:
                    path.write_text(data, encoding="utf-8")
        except Exception as err:  # an export problem is reported, never fatal
            self.notify(t(self.lang, "export.failed", error=str(err)), severity="error", markup=False)
            return None
        self.notify(t(self.lang, "export.saved", path=str(path)), markup=False, timeout=6)
        return str(path)

    # ---- presenter -----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("presenter_advance", "presenter_retreat"):
            return self.presenter
        return True

    def set_presenter(self, on: bool) -> None:
        self.presenter = on
        if on:
            self.active_tab = "notes"
        self._apply_mode()
        self._translate_bindings()
        self.refresh_bindings()
        if on:
            self.pane("lesson").query_one("#btn-next").focus()

    def _remaining_commands(self) -> list[str]:
        session = self.session
        if session is None:
            return []
        step = session.current
        lines = list(getattr(step, "commands", []) or []) + [s.command for s in step.solution]
        return [c for c in lines if " ".join(c.split()) not in self._ran]

    def action_presenter_advance(self) -> None:
        session = self.session
        if session is None or self._autotyping:
            return
        step = session.current
        if step.kind == "quiz" and not session.states[session.step].completed:
            if step.choices:
                right = [i for i, c in enumerate(step.choices) if c.correct]
                value: Any = right if step.multiple else right[0]
            else:
                value = (step.accept or [""])[0]
            result = session.answer(value)
            self._show_step_view()
            self.lesson_pane.show_quiz_feedback(result.correct, result.feedback)
            return
        remaining = self._remaining_commands()
        if remaining and step.kind in ("run", "task", "break"):
            self._autotype(remaining)
            return
        self._next_armed = session.step  # presenting: never held back by a check
        self._navigate("next")

    def action_presenter_retreat(self) -> None:
        self._navigate("back")

    @work(exclusive=True, group="autotype", exit_on_error=False)
    async def _autotype(self, lines: list[str]) -> None:
        import asyncio

        self._autotyping = True
        try:
            for line in lines:
                while self.session is not None and self.session.busy:
                    await asyncio.sleep(0.05)
                box = self.console.input
                box.value = ""
                for ch in line:
                    box.insert_text_at_cursor(ch)
                    await asyncio.sleep(self.options.type_delay)
                await asyncio.sleep(self.options.type_delay * 4)
                box.value = ""
                box.add_history(line)
                self._submit(line)
                await asyncio.sleep(0.05)
                while self.session is not None and self.session.busy:
                    await asyncio.sleep(0.05)
        finally:
            self._autotyping = False

    def _cancel_autotype(self) -> None:
        if self._autotyping:
            self.workers.cancel_group(self, "autotype")
            self._autotyping = False

    # ---- language, progress --------------------------------------------------------------------
    async def set_lang(self, lang: str) -> None:
        """Switch every text to ``lang`` (the lesson's own texts too, when it has them)."""
        self.lang = lang
        if self.session is not None and lang in self.session.lesson.languages:
            self.session.lang = lang
        self._translate_bindings()
        self.refresh_bindings()
        self._ready = False
        await self.recompose()
        for key in PANES:
            self.pane(key).border_title = t(lang, PANE_LABELS[key])
        self._apply_mode()
        await self._mount_panes(load=False)
        if self.session is not None:
            console = self.console
            console.input.history = list(self._history_file.load()) if self._history_file is not None else []
            console.input.completer = self._complete
            console.set_placeholders(t(lang, "console.placeholder"), t(lang, "console.running"))
            self._bound_shell = None
            self._lab = None
            self._enter_step(lab_changed=True)
        else:
            self.lesson_pane.show_message(self._load_error or t(lang, "lesson.loading"))
        self.console.input.focus()

    def _save_progress(self) -> None:
        """Progress is saved as the learner goes, so quitting needs no prompt."""
        session, store = self.session, self.store
        if session is None or store is None:
            return
        try:
            store.update(session, self.session_id)  # idempotent per session id: saving often counts it once
        except Exception as err:  # a read-only disk must not stop the lesson
            self.notify(str(err), severity="warning", markup=False)

    def finish(self) -> None:
        """The app is closing: save, end the journal."""
        session = self.session
        if session is None:
            return
        try:
            session.stop_live()
            self._save_progress()
            session.finish()
        except Exception:  # closing must always succeed
            pass

