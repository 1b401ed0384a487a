"""`iptables`: the legacy iptables command line over the namespace's Netfilter.

All parsing, listing and error texts live in :mod:`tui.engine.netfilter` (Docker drives the
same code through ``Netfilter.run``); this module only connects it to the shell's streams.
"""

from __future__ import annotations

from collections.abc import Callable

from tui.engine.netfilter import Netfilter
from tui.shell.registry import Ctx, command


def run_iptables(nf: Netfilter, argv: list[str], out: Callable[[str], None],
                 err: Callable[[str], None]) -> int:
    """Run ``iptables <argv>`` (argv without the program name); return the exit status."""
    status, stdout, stderr = nf.execute(argv)
    if stdout:
        out(stdout)
    if stderr:
        err(stderr)
    return status


@command("iptables", "iptables-legacy", summary="administration tool for IPv4 packet filtering and NAT",
         tools={"gnu"})
def iptables(ctx: Ctx) -> int:
    nf = getattr(ctx.sandbox.netns, "netfilter", None)
    if nf is None:
        ctx.err("iptables v1.8.4 (legacy): can't initialize iptables table `filter': "
                "Table does not exist (do you need to insmod?)\n"
                "Perhaps iptables or your kernel needs to be upgraded.\n")
        return 3
    return run_iptables(nf, ctx.argv[1:], ctx.out, ctx.err)
