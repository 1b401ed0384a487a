"""Command modules. Importing this package registers every command that exists.

Other modules are written in parallel; a missing one is skipped (only that
exact module: an import error *inside* a module is a real bug and surfaces).
"""

from __future__ import annotations

import importlib

COMMAND_MODULES = ["core", "ip", "bridge", "ping", "tcpdump", "iptables", "netns_tools", "docker", "ipvsadm", "http_tools", "faults"]

loaded: list[str] = []
missing: list[str] = []

for _name in COMMAND_MODULES:
    _full = f"{__name__}.{_name}"
    try:
        importlib.import_module(_full)
    except ModuleNotFoundError as _err:
        if _err.name != _full:
            raise
        missing.append(_name)
    else:
        loaded.append(_name)
