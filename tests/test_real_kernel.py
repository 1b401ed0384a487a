"""The simulated kernel against the real one: the same VXLAN-by-hand script, line by line.

Only what differs between any two real runs is masked: MAC addresses,
timestamps, VXLAN source ports, ICMP ids, RTTs and timer countdowns.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.realnet import RealLab, Step, available
from tui.engine.scenarios import build_scenario
from tui.shell import Shell

SCRIPT = (Path(__file__).parent / "scripts" / "vxlan_by_hand.sh").read_text()
# Both sides write the background capture to a file and show it after `wait`,
# so each command's output can be compared on its own.
COMPARED = SCRIPT.replace(
    "ssh ip-10-0-2-253 tcpdump -n -i eth0 -c 8 port 4789 &",
    "ssh ip-10-0-2-253 tcpdump -n -i eth0 -c 8 port 4789 > /tmp/ol-cap.txt 2>&1 &",
).replace("wait\n", "wait\ncat /tmp/ol-cap.txt\n")

JOB_NOTICE = re.compile(r"^\[\d+\][+-]? +(Done|Running|Exit \d+)")
MASKS = [
    (re.compile(r"\b[0-9a-f]{2}(:[0-9a-f]{2}){5}\b"), "<mac>"),
    (re.compile(r"\b8000\.[0-9a-f]{1,2}(:[0-9a-f]{1,2}){5}\b"), "8000.<mac>"),
    (re.compile(r"\b\d\d:\d\d:\d\d\.\d{6}\b"), "<ts>"),
    (re.compile(r"(\d+\.\d+\.\d+\.\d+)\.\d+ > (\d+\.\d+\.\d+\.\d+)\.4789"), r"\1.<sport> > \2.4789"),
    (re.compile(r"\bid \d+, seq"), "id <id>, seq"),
    (re.compile(r"time=[\d.]+ ms"), "time=<rtt> ms"),
    (re.compile(r"time \d+ms"), "time <t>ms"),
    (re.compile(r"= [\d.]+/[\d.]+/[\d.]+/[\d.]+ ms"), "= <rtts> ms"),
    (re.compile(r"(forward_delay_timer|gc_timer|hold_timer|message_age_timer) +[\d.]+"), r"\1 <timer>"),
]


def mask(text: str) -> str:
    for rx, rep in MASKS:
        text = rx.sub(rep, text)
    return text


def sim_steps(script: str) -> list[Step]:
    """Run the script in the simulator, one command at a time, keeping each command's own output."""
    lab = build_scenario("linux-hosts", seed=7)
    for host in lab.hosts.values():
        host.tcpdump_version = "4.99.3"  # what Debian 12 ships, as on the machine we compare with
    shell = Shell(lab, "ip-10-0-2-197")
    steps: list[Step] = []
    for raw in script.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        host = shell.sandbox.hostname
        before = len(shell.terminal.text())
        shell.run_line(line)
        out = shell.terminal.text()[before:]
        # bash's job notices are the shell's, not the command's
        out = "".join(ln for ln in out.splitlines(keepends=True) if not JOB_NOTICE.match(ln))
        if line.startswith("ssh ") and len(line.split()) == 2 or line in ("exit", "wait") or line.endswith("&") or line.startswith("sleep "):
            continue
        cmd = line
        if cmd.startswith("ssh "):
            _, host, cmd = cmd.split(" ", 2)
        steps.append(Step(host, cmd, out))
    return steps


@pytest.mark.skipif(not available(), reason="needs root, iproute2, tcpdump and network namespaces")
def test_vxlan_by_hand_matches_the_real_kernel() -> None:
    with RealLab() as real:
        real_steps = real.run_script(COMPARED)
    ours = sim_steps(COMPARED)
    assert [(s.host, s.command) for s in ours] == [(s.host, s.command) for s in real_steps]
    for mine, theirs in zip(ours, real_steps, strict=True):
        assert mask(mine.output).splitlines() == mask(theirs.output).splitlines(), mine.command


def test_capture_shows_arp_then_six_icmp_inside_vxlan() -> None:
    lab = build_scenario("linux-hosts", seed=7)
    shell = Shell(lab, "ip-10-0-2-197")
    shell.run_script(SCRIPT)
    text = shell.terminal.text()
    vx = [ln for ln in text.splitlines() if "VXLAN, flags [I] (0x08), vni 4097" in ln]
    assert len(vx) == 8
    lines = text.splitlines()
    inner = [lines[lines.index(v) + 1] for v in vx]
    assert inner[0].startswith("ARP, Request who-has 10.0.1.3 tell 10.0.1.2, length 28")
    assert inner[1].startswith("ARP, Reply 10.0.1.3 is-at ")
    for i, ln in enumerate(inner[2:]):
        kind = "request" if i % 2 == 0 else "reply"
        assert f"ICMP echo {kind}" in ln and f"seq {i // 2 + 1}, length 64" in ln
    assert "3 packets transmitted, 3 received, 0% packet loss" in text
    assert "8 packets captured" in text
