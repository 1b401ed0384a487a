"""The ``overlaylab`` command line (scenarios stubbed with a hand-built lab)."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui import cli
from tui.engine.lab import Lab
from tui.engine.scenarios import ScenarioError
from tui.shell import Ctx, command


def two_hosts(_name: str, seed: int) -> Lab:
    lab = Lab(seed)
    lab.add_host("ip-10-0-2-197")
    lab.add_host("ip-10-0-2-253")
    return lab


def unknown(name: str, _seed: int) -> Lab:
    raise ScenarioError(f"unknown scenario '{name}'")


@pytest.fixture(autouse=True)
def stub_scenarios(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(cli, "load_lab", two_hosts)
    yield


class FakeCapture:
    def __init__(self, linktype: int, records: list[tuple[int, bytes]]) -> None:
        self.linktype = linktype
        self.records = records


@command("fake-capture", summary="test: what tcpdump does with shell.captures")
def fake_capture(ctx: Ctx) -> int:
    linktype = int(ctx.argv[1])
    frames = [(ctx.clock.wall_ns + i, bytes([i]) * 60) for i in range(int(ctx.argv[2]))]
    ctx.shell.captures.append(FakeCapture(linktype, frames))
    return 0


def test_script_prints_the_transcript(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "s.sh"
    script.write_text("# setup\nhostname\nfoo\nssh ip-10-0-2-253 hostname\nfalse\n")
    assert cli.main(["shell", "--script", str(script), "--seed", "3"]) == 0
    assert capsys.readouterr().out == (
        "root@ip-10-0-2-197:~# hostname\nip-10-0-2-197\n"
        "root@ip-10-0-2-197:~# foo\nbash: foo: command not found\n"
        "root@ip-10-0-2-197:~# ssh ip-10-0-2-253 hostname\nip-10-0-2-253\n"
        "root@ip-10-0-2-197:~# false\n"
    )


def test_script_from_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("echo from stdin\n"))
    assert cli.main(["shell", "--script", "-"]) == 0
    assert capsys.readouterr().out == "root@ip-10-0-2-197:~# echo from stdin\nfrom stdin\n"


def test_unknown_scenario_and_unreadable_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["shell", "--script", str(tmp_path / "missing.sh")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("overlaylab: cannot read script") and err.count("\n") == 1
    monkeypatch.setattr(cli, "load_lab", unknown)
    assert cli.main(["shell", "--scenario", "nope", "--script", "-"]) == 2
    assert capsys.readouterr().err == "overlaylab: unknown scenario 'nope'\n"


def test_pcap_has_every_capture_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "s.sh"
    script.write_text("fake-capture 1 2\nfake-capture 276 5\nfake-capture 1 3\n")
    pcap = tmp_path / "out.pcap"
    assert cli.main(["shell", "--script", str(script), "--pcap", str(pcap)]) == 0
    err = capsys.readouterr().err
    assert "warning: capture 2 has link type 276, not 1" in err
    data = pcap.read_bytes()
    magic, _, _, _, _, _, linktype = struct.unpack("<IHHiIII", data[:24])
    assert linktype == 1
    count, pos = 0, 24
    while pos < len(data):
        incl = struct.unpack("<IIII", data[pos : pos + 16])[2]
        pos += 16 + incl
        count += 1
    assert count == 5


def test_interactive_session(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    lines = iter(["echo hi | tr a-z A-Z", "ssh ip-10-0-2-253"])

    def fake_input(prompt: str) -> str:
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr("builtins.input", fake_input)
    assert cli.main(["shell"]) == 0
    out = capsys.readouterr().out
    # Ctrl-D logs out of the ssh session first, then ends the local shell
    assert out == "HI\n\nlogout\nConnection to ip-10-0-2-253 closed.\n\nexit\n"
