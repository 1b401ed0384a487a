"""`python -m tui.bench engine|docker|tui [--json]`."""

from __future__ import annotations

import argparse
import sys

from tui.bench.metrics import Metric, emit


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tui.bench", description=__doc__)
    p.add_argument("suite", choices=["engine", "docker", "tui"])
    p.add_argument("--json", action="store_true", help="one JSON object per metric per line")
    p.add_argument("--quick", action="store_true", help="smaller sizes (for smoke tests)")
    args = p.parse_args(argv)
    from tui.engine.runtime import tune_gc

    tune_gc()
    metrics: list[Metric]
    if args.suite == "engine":
        from tui.bench.engine import run

        metrics = run(quick=args.quick)
    elif args.suite == "docker":
        try:
            from tui.bench.docker import run as run_docker
        except ImportError:
            print("the docker benchmark is not built yet", file=sys.stderr)
            return 2
        metrics = run_docker(quick=args.quick)
    else:
        try:
            from tui.bench.tui import run as run_tui
        except ImportError:
            print("the tui benchmark is not built yet", file=sys.stderr)
            return 2
        metrics = run_tui(quick=args.quick)
    print(emit(metrics, args.json))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
