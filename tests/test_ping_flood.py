"""iputils `ping -f` and short intervals in the simulator (tests/test_real_kernel.py compares with the real tool).

The checks read the terminal's chunks, which carry the virtual time of each write:
a `.` is written when a request goes out and `\\b \\b` when its reply is read, so the
flood's pacing (ping_common.c pinger()) can be checked against what the engine did.
"""

from __future__ import annotations

import re
import time

from tui.engine.clock import MS, SEC, US
from tui.engine.scenarios import build_scenario
from tui.shell import Shell

PEER = "10.0.2.253"
BACKSPACE = "\b \b"


def shell() -> Shell:
    return Shell(build_scenario("linux-hosts", seed=7), "ip-10-0-2-197")


def run(sh: Shell, line: str) -> tuple[str, list[tuple[int, str, str]]]:
    start = len(sh.terminal.chunks)
    sh.run_line(line)
    chunks = [(c.t, c.stream, c.text) for c in sh.terminal.chunks[start:] if c.stream in ("out", "err")]
    return "".join(text for _, _, text in chunks), chunks


def stats(text: str) -> dict[str, str]:
    m = re.search(r"(\d+) packets transmitted, (\d+) received.*, time (\d+)ms\n", text)
    assert m is not None, text
    found = {"tx": m.group(1), "rx": m.group(2), "time": m.group(3)}
    rtt = re.search(r"rtt min/avg/max/mdev = ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms(.*)\n", text)
    if rtt:
        found.update(min=rtt.group(1), max=rtt.group(3), tail=rtt.group(5))
    return found


def test_flood_sends_the_next_request_when_the_reply_is_read() -> None:
    sh = shell()
    sh.run_line(f"ping -c 1 {PEER}")  # ARP resolved first, so every RTT below is a plain round trip
    text, chunks = run(sh, f"ping -f -c 200 {PEER}")
    header, dots, *rest = text.split("\n")
    assert header == f"PING {PEER} ({PEER}) 56(84) bytes of data."
    assert dots == (".\b \b") * 200  # no per-reply lines; the statistics follow the last backspace
    assert rest[0] == f"--- {PEER} ping statistics ---"
    sends = [t for t, _, s in chunks if s == "."]
    replies = [t for t, _, s in chunks if s == BACKSPACE]
    assert len(sends) == len(replies) == 200
    # interval 0: a new request goes out the moment the previous reply is read
    assert sends[1:] == replies[:-1]
    assert all(0 < r - s < MIN_WAIT for s, r in zip(sends, replies, strict=True))
    st = stats(text)
    assert (st["tx"], st["rx"]) == ("200", "200")
    # time: from the start to the last request, rounded to ms; ipg: that span over the 199 gaps (us)
    span = sends[-1] - sends[0]
    assert int(st["time"]) == (span + 500 * US) // MS
    ipg = (span // US) // 199
    m = re.fullmatch(r", ipg/ewma (\d+)\.(\d{3})/(\d+)\.(\d{3}) ms", st["tail"])
    assert m is not None, st["tail"]
    assert int(m.group(1)) * 1000 + int(m.group(2)) == ipg
    # the ewma lies within the RTTs seen
    ewma = int(m.group(3)) * 1000 + int(m.group(4))
    assert float(st["min"]) * 1000 <= ewma <= float(st["max"]) * 1000


MIN_WAIT = 10 * MS  # iputils' MIN_INTERVAL_MS


def test_unanswered_flood_sends_every_10ms_and_leaves_its_dots() -> None:
    sh = shell()
    sh.run_line("ssh ip-10-0-2-253 sysctl -w net.ipv4.icmp_echo_ignore_all=1")
    text, chunks = run(sh, f"ping -f -c 20 -W 1 {PEER}")
    assert text.split("\n")[1] == "." * 20
    sends = [t for t, _, s in chunks if s == "."]
    assert {b - a for a, b in zip(sends, sends[1:], strict=False)} == {MIN_WAIT}
    st = stats(text)
    assert (st["tx"], st["rx"], st["time"]) == ("20", "0", "190")
    assert text.endswith("100% packet loss, time 190ms\n\n")  # finish() always ends the (empty) rtt line
    assert sh.last_status == 1
    # the linger (-W 1, nothing received) starts at the last request
    end = sh.terminal.chunks[-1].t
    assert end - sends[-1] >= 1 * SEC


def test_quiet_flood_prints_no_dots_but_ipg() -> None:
    sh = shell()
    text, _ = run(sh, f"ping -f -q -c 30 {PEER}")
    lines = text.split("\n")
    assert lines[1:3] == ["", f"--- {PEER} ping statistics ---"]
    assert "." not in lines[1] and "\b" not in text
    assert stats(text)["tail"].startswith(", ipg/ewma ")


def test_interval_below_200ms_is_allowed_for_root() -> None:
    sh = shell()
    sh.run_line(f"ping -c 1 {PEER}")
    text, chunks = run(sh, f"ping -c 5 -i 0.01 {PEER}")
    replies = [t for t, _, s in chunks if s.startswith("64 bytes from")]
    assert len(replies) == 5
    # one request every 10 ms (not iputils' pre-2021 200 ms floor); no ipg/ewma without -f or -i 0
    assert 40 * MS <= replies[-1] - replies[0] < 45 * MS
    st = stats(text)
    assert 40 <= int(st["time"]) < 45 and st["tail"] == ""
    text, _ = run(sh, f"ping -c 3 -i 0 {PEER}")
    assert "64 bytes from" in text and stats(text)["tail"].startswith(", ipg/ewma ")


def test_flood_with_an_interval_keeps_it() -> None:
    sh = shell()
    sh.run_line(f"ping -c 1 {PEER}")
    text, chunks = run(sh, f"ping -f -c 3 -i 0.2 {PEER}")
    assert text.split("\n")[1] == ".\b \b" * 3
    sends = [t for t, _, s in chunks if s == "."]
    replies = [t for t, _, s in chunks if s == BACKSPACE]
    # pinger() counts whole milliseconds: a reply back within the first one leaves 200 ms to wait, counted
    # from the reply (main_loop()'s recvmsg() timeout), so each gap is 200 ms plus that RTT, as real ping drifts
    assert all(r - s < MS for s, r in zip(sends, replies, strict=True))
    assert [b - a for a, b in zip(sends, sends[1:], strict=False)] == [200 * MS + r - s for s, r in
                                                                        zip(sends[:2], replies[:2], strict=True)]
    assert int(stats(text)["time"]) == (sends[-1] - sends[0] + 500 * US) // MS


def test_preload_sends_back_to_back_and_reports_the_pipe() -> None:
    sh = shell()
    sh.run_line(f"ping -c 1 {PEER}")
    text, _ = run(sh, f"ping -l 3 -c 3 {PEER}")
    assert stats(text)["tail"] == ", pipe 3"


def test_bad_arguments_get_the_tools_own_errors() -> None:
    sh = shell()
    assert run(sh, f"ping -i nan {PEER}")[0] == "ping: bad timing interval: nan: Numerical result out of range\n"
    assert sh.last_status == 2
    assert run(sh, f"ping -i 3000000 {PEER}")[0] == "ping: bad timing interval: 3000000\n"
    assert run(sh, f"ping -l 0 {PEER}")[0] == "ping: invalid argument: '0': out of range: 1 <= value <= 65536\n"
    assert run(sh, f"ping -c 1 -w 1.5 {PEER}")[0] == "ping: invalid argument: '1.5'\n"
    text, _ = run(sh, f"ping -c 1 -i 0.5x {PEER}")
    assert text.startswith("ping: option argument contains garbage: x\n"
                           "ping: this will become fatal error in the future\nPING ")
    assert run(sh, "ping")[0] == "ping: usage error: Destination address required\n" and sh.last_status == 1


def test_busybox_has_no_flood_option() -> None:
    sh = Shell(build_scenario("swarm", seed=7), "ip-10-0-2-197")
    sh.run_line("docker run -d --name c1 busybox sleep 1000")
    text, _ = run(sh, f"docker exec c1 ping -f -c 2 {PEER}")
    assert text.startswith("ping: invalid option -- 'f'\nBusyBox v")
    assert "Usage: ping [OPTIONS] HOST" in text and "--- " not in text
    assert sh.last_status == 1
    text, _ = run(sh, f"docker exec c1 ping -c 2 -i 0.2 {PEER}")
    assert "2 packets transmitted, 2 packets received, 0% packet loss" in text


def test_ten_thousand_flood_pings_stay_fast() -> None:
    sh = shell()
    t0 = time.perf_counter()
    text, _ = run(sh, f"ping -f -c 10000 {PEER}")
    wall = time.perf_counter() - t0
    assert "10000 packets transmitted, 10000 received, 0% packet loss" in text
    assert wall < 10, wall  # about 0.6 s here; virtual time never waits on the wall clock
