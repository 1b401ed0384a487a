"""`docker service scale web=N` on a 20-node swarm: wall time per task must not grow with N."""

from __future__ import annotations

import time
from pathlib import Path

from tui.bench.metrics import Metric

SCENARIO = Path(__file__).with_name("swarm20.yaml")


def scale_time(n: int, seed: int = 1) -> float:
    """Wall seconds per task for scaling a fresh service from 0 to ``n`` (including convergence)."""
    from tui.engine.docker.scenarios import build_from_file
    from tui.shell import Shell

    lab = build_from_file(SCENARIO, seed)
    sh = Shell(lab, "ip-10-0-2-101")
    sh.run_line("docker network create -d overlay --subnet 10.10.0.0/16 bench")
    sh.run_line("docker service create --name web --replicas 0 --network bench -d busybox sleep 1000000")
    t0 = time.perf_counter()
    sh.run_line(f"docker service scale web={n}")
    dt = time.perf_counter() - t0
    text = sh.terminal.text()
    assert f"web scaled to {n}" in text and "verify: Service converged" in text, text[-500:]
    return dt / n


def run(quick: bool = False) -> list[Metric]:
    sizes = (10, 100) if quick else (10, 100, 1000)
    # best of several runs: the machines are shared, and the smallest N is the noisiest
    repeats = {10: 5, 100: 3, 1000: 2}
    per = {n: min(scale_time(n) for _ in range(1 if quick else repeats[n])) for n in sizes}
    ref = per[10]
    out = []
    for n in sizes:
        target = "<= 1.5" if n == max(sizes) else ""
        out.append(Metric(f"service_scale_s_per_task_n{n}", per[n] * 1000, "ms/task", ref * 1000, per[n] / ref,
                          target, "20-node swarm; reference: the same measurement at N=10"))
    return out
