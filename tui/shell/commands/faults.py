"""`overlaylab-fault`: faults a lesson's `break` step injects into the lab (not a real tool; never in transcripts
of what the learner typed). Each one changes engine state the way the real-world fault would."""

from __future__ import annotations

from tui.shell.registry import Ctx, command

USAGE = ("usage: overlaylab-fault underlay-mtu MTU [SEGMENT] | segment-down SEGMENT | segment-up SEGMENT\n")


@command("overlaylab-fault", tools={"gnu"}, summary="inject a lab fault (used by lessons)")
def fault_cmd(ctx: Ctx) -> int:
    args = ctx.argv[1:]
    segments = getattr(ctx.lab, "segments", {})
    if not args:
        ctx.err(USAGE)
        return 2
    what = args[0]
    if what == "underlay-mtu" and len(args) >= 2 and args[1].isdigit():
        seg = segments.get(args[2] if len(args) > 2 else "vpc")
        if seg is None:
            ctx.err(f"overlaylab-fault: no segment {args[2] if len(args) > 2 else 'vpc'}\n")
            return 1
        # the network between the hosts now carries smaller frames and drops bigger ones silently
        seg.mtu = int(args[1])
        return 0
    if what in ("segment-down", "segment-up") and len(args) == 2 and args[1] in segments:
        segments[args[1]].up = what == "segment-up"
        return 0
    ctx.err(USAGE)
    return 2
