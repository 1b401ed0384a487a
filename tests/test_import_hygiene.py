"""The engine and the shell never pull in the UI libraries (they must run headless and start fast)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

HEADLESS = ["tui.engine.netns", "tui.engine.scenarios", "tui.shell", "tui.shell.commands", "tui.bench.engine"]


@pytest.mark.parametrize("module", HEADLESS)
def test_headless_module_does_not_import_textual_or_rich(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_scapy_is_not_imported_by_the_shell_or_engine() -> None:
    code = "import sys, tui.shell, tui.engine.scenarios\nprint('scapy' in sys.modules)\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_import_linter_contract_holds() -> None:
    exe = shutil.which("lint-imports")
    if exe is None:
        pytest.skip("import-linter is not installed")
    out = subprocess.run([exe], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
