"""TUI benchmarks: time to first frame against a bare Textual app, and the capture view under a flood.

``python -m tui.bench tui [--json] [--quick]``. Two measurements:

1. **First frame.** Each app runs in a child process on a real pseudo-terminal
   (160x50, Textual's real Linux driver, not the headless one). A bootstrap
   wraps ``App._display`` - the call that writes a finished compositor update to
   the terminal - and signals on a pipe at the first frame that shows a screen
   with widgets on it; the parent times from just before spawning the child to
   reading that signal. The bare reference (one ``Static``) goes through exactly
   the same bootstrap. Runs alternate so both see the same machine state; the
   medians are compared (target: ratio <= 1.3). The measured app is ``overlaylab
   play <first shipped lesson>`` when the CLI has ``play``; otherwise the best
   stand-in that exists (``tui.app.app``'s app, else a capture-view app with the
   engine imported), and the metric's note says which.
2. **Capture flood.** A :class:`~tui.app.widgets.capture.CaptureView` holding
   100,000 packets (its ring is full, so every new packet evicts one) while real
   engine pings cross the VXLAN overlay of :func:`tui.bench.engine.build_overlay`
   at 5,000 captured packets/s (2,500 echo requests + replies on node2's eth0),
   in the same event loop as the UI, under ``App.run_test`` at 160x50. Every
   compositor update is timestamped (and turned into terminal bytes, the part
   the headless driver would skip); the metrics are the longest gap between
   frames and the key-press-to-screen latency (a key event posted the way the
   terminal driver posts it, until the first frame showing the moved cursor).

This module imports Textual only inside the functions that need it, and the
child processes import only what their app does.
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

from tui.bench.metrics import Metric

FLOOD_RATE = 5_000  # captured packets per second
FLOOD_HELD = 100_000  # packets the view holds
TICK = 0.005  # how often the flood drives the engine
# The lessons that replay the seed note (CURRICULUM.md: lessons 4-7), the one measured first.
SEED_LESSONS = ("overlay-service", "vxlan-wire", "swarm-init", "two-nics")

# --------------------------------------------------------------------------- first frame

_BOOTSTRAP = r"""
import os, sys
_fd = int(os.environ["OVERLAYLAB_BENCH_FD"])
import textual.app as _ta

_orig_display = _ta.App._display
_done = []

def _display(self, screen, renderable):
    _orig_display(self, screen, renderable)
    if _done or renderable is None or self._batch_count or not self._running or self._driver is None:
        return
    if not screen.children:
        return  # the default screen before anything was mounted on it
    _done.append(1)
    os.write(_fd, b"F")
    self.call_later(self.exit)

_ta.App._display = _display
kind = sys.argv[1]
if kind == "bare":
    from textual.app import App
    from textual.widgets import Static

    class Bare(App):
        def compose(self):
            yield Static("Hello from a bare Textual app")

    Bare().run()
elif kind == "play":
    from tui.cli import main
    main(["play", *sys.argv[2:]])
elif kind == "app":
    from tui.app.app import create_app
    create_app().run()
else:  # "capture": the capture view with the engine imported, the stand-in before the player exists
    from textual.app import App
    from tui.app.widgets.capture import CaptureView
    import tui.engine.scenarios  # noqa: F401

    class CaptureOnly(App):
        def compose(self):
            yield CaptureView()

    CaptureOnly().run()
"""


def _pty_first_frame(args: list[str], home: str, timeout: float = 30.0) -> float:
    """Seconds from spawning ``python -c BOOTSTRAP *args`` on a 160x50 pty to its first frame."""
    import fcntl
    import pty
    import select
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
    rfd, wfd = os.pipe()
    # a scratch OVERLAYLAB_HOME: the player saves progress, the learner's own must stay untouched
    env = dict(os.environ, OVERLAYLAB_BENCH_FD=str(wfd), TERM="xterm-256color", COLUMNS="160", LINES="50",
               OVERLAYLAB_HOME=home)
    for key in ("TEXTUAL_DRIVER", "TEXTUAL_HEADLESS", "NO_COLOR", "TEXTUAL_FPS", "PYTHONDONTWRITEBYTECODE"):
        env.pop(key, None)
    # bytecode as an installed package has it (pip compiles at install time), for both apps alike:
    # the warm-up runs fill a private cache even where the environment says not to write .pyc files
    env["PYTHONPYCACHEPREFIX"] = os.path.join(home, "pycache")
    out = bytearray()

    def drain() -> None:  # the child blocks on a full pty buffer unless someone reads it
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            out.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", _BOOTSTRAP, *args], stdin=slave, stdout=slave, stderr=slave,
                            env=env, pass_fds=(wfd,), start_new_session=True, close_fds=True)
    os.close(slave)
    os.close(wfd)
    try:
        ready, _, _ = select.select([rfd], [], [], timeout)
        t1 = time.perf_counter()
        if not ready or os.read(rfd, 1) != b"F":
            raise RuntimeError(f"no first frame from {args}: {bytes(out[-400:])!r}")
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait(timeout=5)
        return t1 - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(rfd)
        os.close(master)
        reader.join(timeout=2)


def _target() -> tuple[list[str], str]:
    """What to measure: ``overlaylab play <seed lesson>`` if the CLI has it, else the best stand-in."""
    import argparse

    from tui.cli import build_parser

    parser = build_parser()
    commands: set[str] = set()
    for action in parser._actions:  # argparse keeps subcommands here
        if isinstance(action, argparse._SubParsersAction):
            commands.update(action.choices)
    if "play" in commands:
        lesson: list[str] = []
        try:
            from tui.lesson.catalog import find_lesson, lesson_paths

            for ref in (os.environ.get("OVERLAYLAB_BENCH_LESSON"), *SEED_LESSONS):
                if ref:
                    try:
                        lesson = [str(find_lesson(ref))]
                        break
                    except LookupError:
                        continue
            if not lesson and lesson_paths():
                lesson = [str(lesson_paths()[0])]
        except Exception:
            lesson = []
        shown = " ".join(["overlaylab play", *(os.path.basename(p) for p in lesson)])
        return ["play", *lesson], shown
    try:
        from tui.app.app import create_app  # noqa: F401

        return ["app"], "tui.app.app.create_app() (overlaylab play is not wired in the CLI yet)"
    except Exception:
        return ["capture"], "an app with the CaptureView and the engine imported (no player yet)"


def first_frame(runs: int) -> Metric:
    import tempfile

    args, what = _target()
    ours: list[float] = []
    bare: list[float] = []
    with tempfile.TemporaryDirectory(prefix="overlaylab-bench-") as home:
        _pty_first_frame(["bare"], home)  # warm the OS file cache (and .pyc files) for both
        _pty_first_frame(args, home)
        for _ in range(runs):
            bare.append(_pty_first_frame(["bare"], home))
            ours.append(_pty_first_frame(args, home))
    o, b = statistics.median(ours) * 1000, statistics.median(bare) * 1000
    return Metric("first_frame_ms", o, "ms", b, o / b, "<= 1.3",
                  f"{what}; reference: a bare Textual app with one Static; median of {runs} alternating runs "
                  f"each on a 160x50 pty, process start to the first frame written, bytecode cached for both as after "
                  f"pip install")


# --------------------------------------------------------------------------- capture flood


def _prefill_records(n: int) -> list[Any]:
    from tui.bench.formatter import vxlan_icmp_records
    from tui.engine.capture import PACKET_HOST, CaptureRecord

    trace: list[tuple[int, str, str, str, object]] = []
    return [CaptureRecord(ts, ts, frame, 2, "eth0", PACKET_HOST, trace, "ip-10-0-2-253/host")
            for ts, frame in vxlan_icmp_records(n)]


async def _flood(seconds: float, held: int, rate: int, presses: int) -> dict[str, float]:
    from tui.app.pacing import set_frame_rate

    set_frame_rate()  # the player's frame rate, as `overlaylab play` sets it (before Textual is imported)
    from rich.segment import Segment  # noqa: F401 - imported before timing starts
    from textual import events
    from textual.app import App, ComposeResult

    from tui.app.pacing import install, settle
    from tui.app.widgets.capture import CaptureView
    from tui.bench.engine import _echo, build_overlay
    from tui.engine.capture import Capture
    from tui.engine.clock import MS
    from tui.engine.netns import PROTO_ICMP

    lab = build_overlay()
    src = lab.hosts["ip-10-0-2-197"].netns_by_name["ns1"]
    dst_root = lab.hosts["ip-10-0-2-253"].root_ns
    src.ip_send(None, 0x0A000103, PROTO_ICMP, _echo(7, 0))
    lab.clock.advance(50 * MS)  # ARP settled before the flood
    cap = Capture(dst_root, "eth0", limit=1).start()

    class FloodApp(App[None]):
        def compose(self) -> ComposeResult:
            yield CaptureView(capacity=held)  # the view as the player makes it (its own batching interval)

    app = FloodApp()
    frames: list[float] = []
    latencies: list[float] = []
    pending_press: list[tuple[float, Any]] = []
    state: dict[str, Any] = {}

    async with app.run_test(size=(160, 50)) as pilot:
        view = app.query_one(CaptureView)
        view.focus()
        view.add_records(_prefill_records(held))
        view.attach(cap, "node2 eth0")
        await pilot.pause()
        # the player's collector policy: its thresholds, and what it does once a lab is built
        # (a real session fills the ring over minutes; settle() stands for what happened by then)
        install(app)
        settle()
        console = app.console
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is None:
                return
            if hasattr(renderable, "render_segments"):
                renderable.render_segments(console)  # what the real driver would write
            now = time.perf_counter()
            frames.append(now)
            if pending_press and view._cursor != pending_press[0][1]:
                latencies.append(now - pending_press[0][0])
                pending_press.clear()

        app._display = display  # type: ignore[method-assign]
        gc_pauses: list[float] = []
        gc_start = [0.0]

        def on_gc(phase: str, _info: dict[str, int]) -> None:
            if phase == "start":
                gc_start[0] = time.perf_counter()
            else:
                gc_pauses.append(time.perf_counter() - gc_start[0])

        gc.callbacks.append(on_gc)
        sent = 0
        seq = [1]
        t_start = time.perf_counter()

        per_tick = rate / 2 * TICK  # pings per tick; each ping is captured twice (request, reply)

        def tick() -> None:
            # keep to the rate, but never catch up in one long burst: the engine shares the loop
            nonlocal sent
            due = int((time.perf_counter() - t_start) * rate / 2)
            for _ in range(min(due - sent, int(2 * per_tick) + 1)):
                src.ip_send(None, 0x0A000103, PROTO_ICMP, _echo(7, seq[0] & 0xFFFF))
                seq[0] += 1
                sent += 1
            lab.clock.advance(5 * MS)

        timer = app.set_interval(TICK, tick, name="flood")
        frames.clear()
        press_every = seconds / (presses + 1)
        keys = ["up", "down"]
        for i in range(presses):
            await asyncio.sleep(press_every)
            if pending_press:  # the previous press never showed: count it as the full interval
                latencies.append(time.perf_counter() - pending_press[0][0])
                pending_press.clear()
            key = keys[i % 2] if i else "up"
            pending_press.append((time.perf_counter(), view._cursor))
            app._driver.send_message(events.Key(key, None))  # type: ignore[union-attr]
        await asyncio.sleep(press_every)
        t_end = time.perf_counter()
        timer.stop()
        gc.callbacks.remove(on_gc)
        app._display = original  # type: ignore[method-assign]
        state["received"] = view.received
        state["held"] = view.packet_count
        state["captured"] = cap.matched
        await pilot.pause()

    window = [t for t in frames if t <= t_end]
    gaps = [b - a for a, b in zip(window, window[1:], strict=False)]
    gaps.append(t_end - window[-1] if window else seconds)
    elapsed = t_end - t_start
    return {
        "gaps": gaps,
        "max_gap": max(gaps),
        "p99_gap": sorted(gaps)[int(len(gaps) * 0.99)] if gaps else 0.0,
        "frames": len(window),
        "fps": len(window) / elapsed,
        "latency_max": max(latencies) if latencies else float("nan"),
        "latency_median": statistics.median(latencies) if latencies else float("nan"),
        "presses": len(latencies),
        "rate": state["captured"] / elapsed,
        "held": state["held"],
        "gc_count": len(gc_pauses),
        "gc_max": max(gc_pauses, default=0.0),
    }


def _fps() -> int:
    from textual import constants

    return constants.MAX_FPS


def _drain_interval() -> float:
    from tui.app.widgets.capture import DRAIN_INTERVAL

    return DRAIN_INTERVAL


def capture_flood(quick: bool) -> list[Metric]:
    held = 20_000 if quick else FLOOD_HELD
    seconds = 2.0 if quick else 8.0
    presses = 4 if quick else 16
    r = asyncio.run(_flood(seconds, held, FLOOD_RATE, presses))
    setting = (f"{r['held']:,} packets held (ring full), {r['rate']:,.0f} captured packets/s from engine pings over "
               f"the VXLAN overlay in the UI's event loop, {seconds:.0f} s at 160x50, batches every "
               f"{_drain_interval() * 1000:.0f} ms")
    return [
        Metric("capture_flood_max_frame_gap_ms", r["max_gap"] * 1000, "ms", 50.0, r["max_gap"] * 1000 / 50.0,
               "< 1", f"{setting}; {r['frames']} frames ({r['fps']:.1f}/s), p99 gap {r['p99_gap'] * 1000:.1f} ms; "
                      f"{r['gc_count']} garbage collections, longest {r['gc_max'] * 1000:.1f} ms "
                      f"(thresholds {gc.get_threshold()}), TEXTUAL_FPS {_fps()}; reference: the 50 ms budget"),
        Metric("capture_flood_key_latency_ms", r["latency_max"] * 1000, "ms", 100.0,
               r["latency_max"] * 1000 / 100.0, "< 1",
               f"worst of {r['presses']} up/down presses, key event posted as the terminal driver does to the first "
               f"frame showing the moved cursor (median {r['latency_median'] * 1000:.1f} ms); "
               "reference: the 100 ms budget"),
    ]


def run(quick: bool = False) -> list[Metric]:
    """The TUI metrics (first frame ratio; capture view frame gap and key latency under a flood)."""
    metrics = [first_frame(2 if quick else 7)]
    metrics.extend(capture_flood(quick))
    return metrics


if __name__ == "__main__":
    from tui.bench.metrics import emit

    print(emit(run(quick="--quick" in sys.argv), "--json" in sys.argv))
