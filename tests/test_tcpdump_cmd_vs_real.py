"""The simulated `tcpdump` reading the engine's own capture prints what the real tcpdump prints for it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tui.engine.scenarios import build_scenario
from tui.shell import Shell

TCPDUMP = shutil.which("tcpdump") or next((p for p in ("/usr/bin/tcpdump", "/usr/sbin/tcpdump")
                                           if Path(p).exists()), None)
SCRIPT = (Path(__file__).parent / "scripts" / "vxlan_by_hand.sh").read_text()


@pytest.mark.skipif(TCPDUMP is None, reason="tcpdump is not installed")
@pytest.mark.parametrize("flags", ["-n", "-nn -e", "-n -v"])
def test_lines_equal_the_real_tcpdump(tmp_path: Path, flags: str) -> None:
    lab = build_scenario("linux-hosts", seed=4)
    shell = Shell(lab, "ip-10-0-2-197")
    script = SCRIPT.replace("ssh ip-10-0-2-253 tcpdump -n -i eth0 -c 8 port 4789 &",
                            "ssh ip-10-0-2-253 tcpdump -i eth0 -c 12 -w /tmp/cap.pcap &")
    shell.run_script(script)
    shell.run_script("ping -c 2 8.8.8.8\nping -c 1 example.com\n")
    host2 = lab.hosts["ip-10-0-2-253"]
    data = host2.fs.read("/tmp/cap.pcap")
    assert data
    path = tmp_path / "cap.pcap"
    path.write_bytes(data)
    before = len(shell.terminal.text())
    shell.run_line(f"ssh ip-10-0-2-253 tcpdump {flags} -r /tmp/cap.pcap 2>/dev/null")
    ours = shell.terminal.text()[before:].splitlines()
    real = subprocess.run([TCPDUMP, *flags.split(), "-r", str(path)], capture_output=True, text=True, check=True)
    assert ours == real.stdout.splitlines()
    assert len(ours) >= 12
