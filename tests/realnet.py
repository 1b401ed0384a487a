"""Run a shell script of the linux-hosts scenario on the real kernel, in network namespaces of our own.

Each simulated host becomes a namespace (``ol-<n>``) whose ``eth0`` is one end
of a veth pair (the underlay); ``ip netns`` names a script creates on a host
are prefixed with that host's namespace, because real namespaces are flat.
IPv6 is switched off everywhere so no MLD/DAD packets add noise, as Docker
has it inside containers. Needs root, iproute2 and tcpdump.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass

HOSTS = {"ip-10-0-2-197": ("ol-h1", "10.0.2.197"), "ip-10-0-2-253": ("ol-h2", "10.0.2.253")}


def available() -> bool:
    if os.geteuid() != 0:
        return False
    if not all(shutil.which(t) for t in ("ip", "tcpdump", "bridge", "ping")):
        return False
    probe = subprocess.run(["ip", "netns", "add", "ol-probe"], capture_output=True)
    if probe.returncode != 0:
        return False
    subprocess.run(["ip", "netns", "del", "ol-probe"], capture_output=True)
    return True


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=check)


@dataclass
class Step:
    host: str
    command: str
    output: str


class RealLab:
    def __init__(self) -> None:
        self.created: list[str] = []

    def __enter__(self) -> RealLab:
        self.teardown()
        for ns, _addr in HOSTS.values():
            self._netns_add(ns)
        h1, h2 = (HOSTS[h][0] for h in HOSTS)
        sh("ip", "link", "add", "eth0", "netns", h1, "type", "veth", "peer", "name", "eth0", "netns", h2)
        for ns, addr in HOSTS.values():
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "-n", ns, "addr", "add", f"{addr}/24", "brd", "10.0.2.255", "dev", "eth0")
            sh("ip", "-n", ns, "link", "set", "eth0", "up")
            sh("ip", "-n", ns, "route", "add", "10.0.2.1", "dev", "eth0", "proto", "dhcp", "scope", "link",
               "src", addr, "metric", "100")
            sh("ip", "-n", ns, "route", "add", "default", "via", "10.0.2.1", "dev", "eth0", "proto", "dhcp",
               "src", addr, "metric", "100")
        return self

    def _netns_add(self, ns: str) -> None:
        sh("ip", "netns", "add", ns)
        self.created.append(ns)
        sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
           "net.ipv6.conf.default.disable_ipv6=1")

    def teardown(self) -> None:
        out = sh("ip", "netns", "list", check=False).stdout
        for line in out.splitlines():
            name = line.split()[0] if line.split() else ""
            if name.startswith("ol-"):
                sh("ip", "netns", "del", name, check=False)

    def __exit__(self, *exc: object) -> None:
        self.teardown()

    def translate(self, host: str, cmd: str) -> str:
        ns = HOSTS[host][0]
        cmd = re.sub(r"\bnetns (add|del|delete|exec) (\w+)", rf"netns \1 {ns}-\2", cmd)
        cmd = re.sub(r"\bpeer name (\S+) netns (\w+)", rf"peer name \1 netns {ns}-\2", cmd)
        cmd = re.sub(r"\bset (\S+) netns (\w+)", rf"set \1 netns {ns}-\2", cmd)
        return cmd

    def run(self, host: str, cmd: str, background: bool = False) -> subprocess.Popen[str] | str:
        real = self.translate(host, cmd)
        m = re.match(r"ip netns add (\S+)$", real)
        if m:
            self._netns_add(m.group(1))
            return ""
        argv = ["ip", "netns", "exec", HOSTS[host][0], "bash", "-c", real]
        if background:
            return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        return p.stdout

    def run_script(self, script: str, first_host: str = "ip-10-0-2-197") -> list[Step]:
        """Per-command outputs; a background job's output is reported at the `wait` that ends it."""
        stack = [first_host]
        steps: list[Step] = []
        jobs: list[tuple[str, str, subprocess.Popen[str]]] = []
        for raw in script.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            host = stack[-1]
            if line.startswith("ssh ") and len(line.split()) == 2:
                stack.append(line.split()[1])
                continue
            if line == "exit":
                stack.pop()
                continue
            if line == "wait":
                for jhost, jcmd, proc in jobs:
                    out, _ = proc.communicate(timeout=60)
                    if out:
                        steps.append(Step(jhost, jcmd, out))
                jobs.clear()
                continue
            background = line.endswith("&")
            cmd = line.rstrip("&").strip()
            run_host = host
            if cmd.startswith("ssh "):
                _, run_host, cmd = cmd.split(" ", 2)
            if background:
                proc = self.run(run_host, cmd, background=True)
                assert isinstance(proc, subprocess.Popen)
                jobs.append((run_host, cmd, proc))
                time.sleep(1)
                continue
            if cmd.startswith("sleep "):
                time.sleep(float(cmd.split()[1]))
                continue
            out = self.run(run_host, cmd)
            assert isinstance(out, str)
            steps.append(Step(run_host, cmd, out))
        return steps
