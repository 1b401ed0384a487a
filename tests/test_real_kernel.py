"""The simulated kernel against the real one: the same VXLAN-by-hand script, line by line.

Only what differs between any two real runs is masked: MAC addresses,
timestamps, VXLAN source ports, ICMP ids, RTTs and timer countdowns.
"""

from __future__ import annotations

import re
import shutil
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


# --- ip xfrm and Docker's encrypted-overlay iptables rules, against the real tools ------------------

XFRM_POLICIES = [
    "ip xfrm policy add src 10.0.2.197/32 dst 10.0.2.253/32 proto udp dport 4789 dir out mark 0xd0c4e3 mask 0xffffffff"
    " tmpl src 10.0.2.197 dst 10.0.2.253 proto esp spi 0x1a2b3c4d reqid 13681891 mode transport",
    "ip xfrm policy add src 10.0.2.197/32 dst 10.0.2.10/32 proto udp dport 4789 dir out mark 0xd0c4e3 mask 0xffffffff"
    " tmpl src 10.0.2.197 dst 10.0.2.10 proto esp spi 0x00000042 reqid 13681891 mode transport",
]
XFRM_LISTINGS = ["ip xfrm policy", "ip xfrm policy list dir out", "ip xfrm policy count", "ip xfrm state count",
                 "ip xfrm state", "ip xfrm policy flush", "ip xfrm policy", "ip xfrm policy count"]


def _real_ns(name: str) -> str:
    from tests.realnet import sh

    sh("ip", "netns", "del", name, check=False)
    sh("ip", "netns", "add", name)
    return name


def _sim_outputs(lines: list[str], scenario: str = "linux-hosts") -> list[str]:
    shell = Shell(build_scenario(scenario, seed=7), "ip-10-0-2-197")
    outs = []
    for line in lines:
        before = len(shell.terminal.text())
        shell.run_line(line)
        outs.append(shell.terminal.text()[before:])
    return outs


def _real_outputs(ns: str, lines: list[str], binary: dict[str, str] | None = None) -> list[str]:
    import shlex
    import subprocess

    outs = []
    for line in lines:
        argv = shlex.split(line)
        argv[0] = (binary or {}).get(argv[0], argv[0])
        p = subprocess.run(["ip", "netns", "exec", ns, *argv], capture_output=True, text=True)
        outs.append(p.stdout + p.stderr)
    return outs


@pytest.mark.skipif(not available(), reason="needs root, iproute2, tcpdump and network namespaces")
def test_ip_xfrm_policy_listing_matches_real_iproute2() -> None:
    from tests.realnet import sh

    ns = _real_ns("ol-xfrm")
    try:
        script = XFRM_POLICIES + XFRM_LISTINGS
        assert _sim_outputs(script) == _real_outputs(ns, script)
    finally:
        sh("ip", "netns", "del", ns, check=False)


@pytest.mark.skipif(not available(), reason="needs root, iproute2, tcpdump and network namespaces")
def test_docker_sa_listing_matches_real_iproute2() -> None:
    """Docker's SAs re-added by hand on the real kernel (skipped where it lacks ESP or GCM)."""
    from tests.realnet import sh

    shell = Shell(build_scenario("swarm", seed=7), "ip-10-0-2-197")
    for line in ("docker network create -d overlay --opt encrypted secnet",
                 "docker service create --name s --replicas 2 --network secnet busybox sleep 100000"):
        shell.run_line(line)
    before = len(shell.terminal.text())
    shell.run_line("ip xfrm state")
    ours = shell.terminal.text()[before:]
    entries = re.findall(r"src (\S+) dst (\S+)\n\tproto esp spi (0x[0-9a-f]+) reqid (\d+) mode transport\n"
                         r"\treplay-window 0 \n\taead rfc4106\(gcm\(aes\)\) (0x[0-9a-f]+) 64\n", ours)
    assert len(entries) == 4
    ns = _real_ns("ol-xfrm")
    try:
        for src, dst, spi, reqid, key in reversed(entries):  # oldest first, as Docker added them
            p = sh("ip", "netns", "exec", ns, "ip", "xfrm", "state", "add", "src", src, "dst", dst, "proto", "esp",
                   "spi", spi, "reqid", reqid, "mode", "transport", "aead", "rfc4106(gcm(aes))", key, "64",
                   check=False)
            if p.returncode != 0:
                pytest.skip(f"this kernel cannot hold the SA: {p.stderr.strip()}")
        assert _real_outputs(ns, ["ip xfrm state"]) == [ours]
    finally:
        sh("ip", "netns", "del", ns, check=False)


IPTABLES_RULES = [
    'iptables -t mangle -A OUTPUT -p udp --dport 4789 -m u32 --u32 "0>>22&0x3C@12&0xFFFFFF00=1048832"'
    " -j MARK --set-mark 13681891",
    'iptables -A INPUT -m policy --dir in --pol ipsec -p udp --dport 4789 -m u32 --u32 "0>>22&0x3C@12&0xFFFFFF00=1048832"'
    " -j ACCEPT",
    'iptables -A INPUT -p udp --dport 4789 -m u32 --u32 "0>>22&0x3C@12&0xFFFFFF00=1048832" -j DROP',
    'iptables -I INPUT -m policy --dir in --pol none -p udp --dport 4789 -m u32 --u32 "0>>22&0x3C@12&0xFFFFFF00=1048832"'
    " -j DROP",
    "iptables -A INPUT -m policy --dir in --pol ipsec --strict --reqid 5 --next --spi 0x10 --proto esp --mode transport"
    " -j DROP",
    'iptables -A INPUT -m u32 --u32 "6&0xFF=1,17:18&&0>>22&0x3C@0>>16=0x400:0xffff" ! -s 10.0.0.0/8 -j DROP',
    "iptables -t mangle -S", "iptables -S", "iptables -L INPUT", "iptables -t mangle -L OUTPUT -v -n",
    "iptables -A OUTPUT -m policy --dir in --pol none -j DROP",
    'iptables -A INPUT -m u32 --u32 "0x>>3" -j DROP', 'iptables -A INPUT -m u32 --u32 "0>>3" -j DROP',
    "iptables -A INPUT -m policy --pol none -j DROP", 'iptables -A INPUT -m u32 --u32 "0=1&2=3" -j DROP',
    'iptables -A INPUT -m u32 --u32 "0=1,,2" -j DROP', "iptables -A INPUT -m policy --dir in --pol ipsec --next -j DROP",
]


@pytest.mark.skipif(not available() or shutil.which("iptables-legacy") is None,
                    reason="needs root, network namespaces and iptables-legacy")
def test_u32_and_policy_rules_match_real_iptables_legacy() -> None:
    from tests.realnet import sh

    ns = _real_ns("ol-ipt")
    try:
        real = _real_outputs(ns, IPTABLES_RULES, {"iptables": "iptables-legacy"})
        version = re.search(r"iptables v([\d.]+) \(legacy\)", sh("iptables-legacy", "-V").stdout)
        lab = build_scenario("linux-hosts", seed=7)
        for host in lab.hosts.values():
            host.root_ns.netfilter.iptables_version = version.group(1) if version else "1.8.9"  # type: ignore[union-attr]
        shell = Shell(lab, "ip-10-0-2-197")
        ours = []
        for line in IPTABLES_RULES:
            before = len(shell.terminal.text())
            shell.run_line(line)
            ours.append(shell.terminal.text()[before:])
        assert ours == real
    finally:
        sh("ip", "netns", "del", ns, check=False)


# --- iputils ping: flood mode and short intervals, against the real ping in namespaces -----------------

PING_SCRIPT = """\
ping -f -c 50 10.0.2.253
ping -f -q -c 20 10.0.2.253
ping -c 3 -i 0 10.0.2.253
ping -c 3 -i 0.01 10.0.2.253
ping -f -c 3 -i 0.2 10.0.2.253
ping -c 1 -i 0.5x 10.0.2.253
ssh ip-10-0-2-253 sysctl -w net.ipv4.icmp_echo_ignore_all=1
ping -f -c 5 -W 1 10.0.2.253
ping -c 2 -W 1 10.0.2.253
"""
PING_MASKS = [
    (re.compile(r"time \d+ms"), "time <t>ms"),
    (re.compile(r"= [\d.]+/[\d.]+/[\d.]+/[\d.]+ ms"), "= <rtts> ms"),
    (re.compile(r"ipg/ewma [\d.]+/[\d.]+ ms"), "ipg/ewma <ipg>/<ewma> ms"),
    (re.compile(r"time=[\d.]+ ms"), "time=<rtt> ms"),
]


def _flood_runs(text: str) -> list[tuple[str, int]]:
    """The dots and backspaces as (token, repeat) runs: `.` sent, `\\b \\b` answered, `E` error."""
    runs: list[tuple[str, int]] = []
    for tok in re.findall(r"\x08 \x08|\x08E|\.|E", text):
        if runs and runs[-1][0] == tok:
            runs[-1] = (tok, runs[-1][1] + 1)
        else:
            runs.append((tok, 1))
    return runs


def _ping_shape(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        if "\x08" in line or (line and set(line) <= {".", "E"}):
            line = repr(_flood_runs(line))
        for rx, rep in PING_MASKS:
            line = rx.sub(rep, line)
        out.append(line)
    return out


@pytest.mark.skipif(not available(), reason="needs root, iproute2, tcpdump and network namespaces")
def test_flood_ping_matches_real_iputils() -> None:
    """The bytes `ping -f` writes (one `.` per request, `\\b \\b` per reply) and the statistics with their
    `ipg/ewma` part, in the simulator and from Debian's iputils over a real veth pair."""
    with RealLab() as real:
        real_steps = real.run_script(PING_SCRIPT)
    ours = sim_steps(PING_SCRIPT)
    assert [(s.host, s.command) for s in ours] == [(s.host, s.command) for s in real_steps]
    assert ours[0].output.splitlines()[1].count(".") == 50
    for mine, theirs in zip(ours, real_steps, strict=True):
        assert _ping_shape(mine.output) == _ping_shape(theirs.output), mine.command
    # a veth answers before the next request goes: every dot is erased at once, in both
    assert _flood_runs(ours[0].output.splitlines()[1]) == [(".", 1), ("\x08 \x08", 1)] * 50
