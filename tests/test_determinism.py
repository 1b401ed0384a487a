"""A fixed seed gives byte-identical transcripts and pcaps; another seed gives other ids and MACs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parent / "scripts" / "seed_swarm.sh"
VXLAN = Path(__file__).parent / "scripts" / "vxlan_by_hand.sh"


def run_cli(tmp: Path, scenario: str, script: Path, seed: int) -> tuple[str, bytes]:
    pcap = tmp / f"out-{seed}-{scenario}.pcap"
    out = subprocess.run([sys.executable, "-m", "tui", "shell", "--scenario", scenario, "--script", str(script),
                          "--seed", str(seed), "--pcap", str(pcap)], capture_output=True, text=True, check=True)
    return out.stdout, pcap.read_bytes()


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a = run_cli(tmp_path, "linux-hosts", VXLAN, 11)
    b = run_cli(tmp_path / "..", "linux-hosts", VXLAN, 11)
    assert a[0] == b[0]
    assert a[1] == b[1] and len(a[1]) > 24


def test_another_seed_other_macs(tmp_path: Path) -> None:
    a = run_cli(tmp_path, "linux-hosts", VXLAN, 11)
    b = run_cli(tmp_path, "linux-hosts", VXLAN, 12)
    assert a[0] != b[0]


def test_swarm_transcript_is_deterministic(tmp_path: Path) -> None:
    a = run_cli(tmp_path, "swarm", SCRIPT, 0)
    b = run_cli(tmp_path, "swarm", SCRIPT, 0)
    assert a == b
