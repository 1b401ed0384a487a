"""Metric records and their two output forms (a table for people, JSON lines for machines)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass


@dataclass
class Metric:
    name: str
    value: float
    unit: str
    reference: float | None
    ratio: float | None
    target: str
    note: str = ""

    def meets(self) -> bool | None:
        if self.ratio is None or not self.target:
            return None
        op, _, num = self.target.partition(" ")
        limit = float(num)
        return {">=": self.ratio >= limit, "<=": self.ratio <= limit, ">": self.ratio > limit,
                "<": self.ratio < limit}.get(op)


def emit(metrics: list[Metric], as_json: bool) -> str:
    if as_json:
        lines = []
        for m in metrics:
            d = asdict(m)
            if not d["note"]:
                d.pop("note")
            lines.append(json.dumps(d))
        return "\n".join(lines)
    rows = []
    for m in metrics:
        ok = m.meets()
        mark = "" if ok is None else ("ok" if ok else "MISS")
        ref = f"{m.reference:,.1f}" if m.reference is not None else "-"
        ratio = f"{m.ratio:.3f}" if m.ratio is not None else "-"
        rows.append(f"{m.name:<40} {m.value:>14,.1f} {m.unit:<10} ref {ref:>14} ratio {ratio:>8} target {m.target:<7} {mark}")
    return "\n".join(rows)
