"""Exports of a session journal: Markdown notes, HTML page, asciicast recording, pcap.

The journals here come from the real engine (a short swarm session, and the
seed note's whole script), turned into journal records by :class:`Recorder`
the way a Session writes them.  Golden files pin the exact output; regenerate
them with ``UPDATE_GOLDEN=1 pytest tests/test_export.py`` and read the diff.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tui.engine.docker.scenarios import swarm
from tui.engine.pcap import LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2, decode_pcap
from tui.export import FORMATS, load_journal, render
from tui.export.asciicast import MAX_GAP, US
from tui.export.html import markdown_to_html, safe_url
from tui.export.journal import parse, read_jsonl, screen_text
from tui.export.markdown import code_span, fence_for, shift_headings
from tui.export.pcap import to_pcap
from tui.shell import Shell

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
SEED_NOTE = Path("/work/shared/seed/swarm-overlay-network-notes.zh.txt")
SEED_SCRIPT = Path(__file__).parent / "scripts" / "seed_swarm.sh"
SEC = 1_000_000_000


# ---- a journal from the engine ------------------------------------------------------


class Recorder:
    """Runs commands on the swarm scenario and writes the journal records a Session would."""

    def __init__(self, *, lesson: str, title: str, lang: str = "en", seed: int = 0,
                 host: str = "ip-10-0-2-197") -> None:
        self.lab = swarm(seed)
        self.shell = Shell(self.lab, host)
        self.clock = self.lab.clock
        self.t0 = self.clock.now
        self.step_no = -1
        self.seen: dict[int, int] = {}  # id(capture) -> records already journaled
        self.records: list[dict[str, Any]] = [{
            "kind": "session", "lesson": lesson, "lang": lang, "seed": seed, "scenario": "swarm",
            "title": title, "started": self._iso(0),
        }]

    @property
    def v(self) -> int:
        return self.clock.now - self.t0

    def _iso(self, v: int) -> str:
        ns = self.clock.epoch_ns + self.t0 + v
        return datetime.fromtimestamp(ns // SEC, UTC).replace(microsecond=ns % SEC // 1000).isoformat()

    def think(self, seconds: float) -> None:
        """The learner reads: virtual time passes (and the lab runs meanwhile)."""
        self.clock.advance(int(seconds * SEC))

    def step(self, sid: str, kind: str, title: str, text: str) -> None:
        self.step_no += 1
        self.records.append({"kind": "step", "index": self.step_no, "id": sid, "type": kind,
                             "title": title, "text": text, "v": self.v})

    def run(self, line: str) -> None:
        prompt = self.shell.prompt
        host = prompt.split("@", 1)[1].split(":", 1)[0]
        before = len(self.shell.terminal.chunks)
        v_start = self.v
        status = self.shell.run_line(line)
        output = "".join(c.text for c in self.shell.terminal.chunks[before:])
        self._packets()
        self.records.append({"kind": "command", "step": self.step_no, "host": host, "prompt": prompt,
                             "line": line, "output": output, "status": status, "v_start": v_start,
                             "v_end": self.v, "wall": self._iso(v_start)})

    def _packets(self) -> None:
        for cap in self.shell.captures:
            linktype = getattr(cap, "linktype_hint", None) or cap.linktype
            recs = list(cap.records)
            for rec in recs[self.seen.get(id(cap), 0):]:
                self.records.append({"kind": "packet", "v": rec.t - self.t0, "ts_ns": rec.t_wall,
                                     "linktype": linktype, "data": rec.data.hex(),
                                     "where": f"{rec.where}:{rec.dev}"})
            self.seen[id(cap)] = len(recs)

    def check(self, passed: bool, message: str) -> None:
        self.records.append({"kind": "check", "step": self.step_no, "passed": passed,
                             "message": message, "v": self.v})

    def quiz(self, question: str, answer: str, correct: bool, feedback: str) -> None:
        self.records.append({"kind": "quiz", "step": self.step_no, "question": question,
                             "answer": answer, "correct": correct, "feedback": feedback})

    def hint(self, n: int, text: str) -> None:
        self.records.append({"kind": "hint", "step": self.step_no, "n": n, "text": text})

    def end(self, completed: bool) -> list[dict[str, Any]]:
        self.records.append({"kind": "end", "completed": completed, "v": self.v})
        return self.records


TEXTS = {
    "en": {
        "title": "VXLAN on the wire",
        "s0": ("What you will see", (
            "# The question\n\n"
            "Two tasks of one service run on **two nodes**. How does a ping between them\n"
            "cross the underlay? *Docker* wraps it in VXLAN:\n\n"
            "- the overlay is `my-swarm-net` (10.0.1.0/24)\n"
            "- each node has a `vxlan0` device\n"
            "  - inside the network's namespace\n"
            "- the outer packet goes to UDP port 4789\n\n"
            "```\nouter: IP 10.0.2.197 > 10.0.2.253 UDP 4789\ninner: IP 10.0.1.7 > 10.0.1.5 ICMP\n```\n\n"
            "See [Docker's overlay driver](https://docs.docker.com/engine/network/drivers/overlay/).")),
        "s1": ("An overlay network and a service",
               "Create the network, then a service with three tasks on it."),
        "c1": "my-swarm-net exists and test runs 3 tasks",
        "s2": ("Capture on node2", (
            "1. Start `tcpdump` on node2 in the background.\n"
            "2. Ping a task on node2 from a task on node1.\n"
            "3. Stop the capture.")),
        "h1": "The ping has to come from a container on the **overlay**: `docker container exec`.",
        "c2": "6 VXLAN packets captured",
        "s3": ("Why six?", "Count the packets the capture printed."),
        "q": "`ping -c 3` crossed the overlay. Why did tcpdump show 6 packets?",
        "fb_bad": "That is the number of requests only.",
        "fb_ok": "Each echo request gets an echo reply: 3 + 3.",
    },
    "zh": {
        "title": "抓包看 VXLAN",
        "s0": ("你会看到什么", (
            "# 问题\n\n"
            "一个服务的两个任务分别跑在**两个节点**上。它们之间的 ping 是怎么穿过底层网络的？\n"
            "*Docker* 用 VXLAN 把它包了起来：\n\n"
            "- overlay 网络是 `my-swarm-net`（10.0.1.0/24）\n"
            "- 每个节点上都有一个 `vxlan0` 设备\n"
            "  - 在这个网络的命名空间里\n"
            "- 外层的包发往 UDP 4789 端口\n\n"
            "```\nouter: IP 10.0.2.197 > 10.0.2.253 UDP 4789\ninner: IP 10.0.1.7 > 10.0.1.5 ICMP\n```\n\n"
            "参考 https://dockertips.readthedocs.io/en/latest/docker-swarm/overlay-network.html")),
        "s1": ("overlay 网络与服务", "先创建网络，再在上面启动一个有三个任务的服务。"),
        "c1": "my-swarm-net 已创建，test 运行了 3 个任务",
        "s2": ("在 node2 上抓包", (
            "1. 在 node2 上后台运行 `tcpdump`。\n"
            "2. 从 node1 的容器 ping node2 的容器。\n"
            "3. 停止抓包。")),
        "h1": "ping 要从 **overlay** 上的容器发出：`docker container exec`。",
        "c2": "抓到了 6 个 VXLAN 包",
        "s3": ("为什么是 6 个？", "数一数 tcpdump 打印出来的包。"),
        "q": "`ping -c 3` 穿过了 overlay，为什么 tcpdump 显示了 6 个包？",
        "fb_bad": "这只是请求包的数量。",
        "fb_ok": "每个 echo request 都有一个 echo reply：3 + 3。",
    },
}


def short_session(lang: str = "en", seed: int = 0) -> list[dict[str, Any]]:
    """The golden session: a few commands, a failed one, a hint, two checks, a capture, a quiz."""
    t = TEXTS[lang]
    r = Recorder(lesson="vxlan-wire", title=t["title"], lang=lang, seed=seed)
    r.step("intro", "explain", *t["s0"])
    r.think(12)
    r.step("network", "run", *t["s1"])
    r.think(4)
    r.run("docker network create -d overlay my-swarm-net")
    r.think(3)
    r.run("docker network ls")
    r.think(6)
    r.run("docker service create --name test --network my-swarm-net busybox ping 8.8.8.8")
    r.think(2)
    r.run("docker service scale test=3")
    r.run("docker service ls")
    r.check(True, t["c1"])
    r.step("capture", "capture", *t["s2"])
    r.think(20)
    r.run("ssh ip-10-0-2-253 tcpdump -i eth0 port 4789 &")
    r.think(5)
    r.run("ping -c 2 10.0.1.5")
    r.hint(1, t["h1"])
    r.think(40)
    r.run("docker container exec 559 ping 10.0.1.5 -c 3")
    r.think(1.5)
    r.run("kill %1")
    r.check(True, t["c2"])
    r.step("why-six", "quiz", *t["s3"])
    r.think(9)
    r.quiz(t["q"], "3", False, t["fb_bad"])
    r.think(7)
    r.quiz(t["q"], "6", True, t["fb_ok"])
    return r.end(True)


def seed_note_session() -> list[dict[str, Any]]:
    """The seed note's script, one command per journal record, in one step."""
    r = Recorder(lesson="seed-note", title="swarm overlay network", lang="zh")
    r.step("seed", "run", "swarm 的 overlay 网络", "")
    for line in SEED_SCRIPT.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            r.run(line)
    return r.end(True)


def _jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(rec, ensure_ascii=False) + "\n" for rec in records)


@pytest.fixture(scope="module")
def journals() -> dict[str, list[dict[str, Any]]]:
    """The golden journals (rebuilt from the engine and stored under UPDATE_GOLDEN=1)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for lang in ("en", "zh"):
        path = GOLDEN / f"export-session.{lang}.jsonl"
        if UPDATE or not path.exists():
            GOLDEN.mkdir(exist_ok=True)
            path.write_text(_jsonl(short_session(lang)), encoding="utf-8")
        out[lang] = load_journal(str(path))
    return out


@pytest.fixture(scope="module")
def fresh() -> list[dict[str, Any]]:
    return short_session("en")


@pytest.fixture(scope="module")
def seed_journal() -> list[dict[str, Any]]:
    return seed_note_session()


def _golden(name: str, data: str | bytes) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        GOLDEN.mkdir(exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    expected: str | bytes = path.read_bytes() if isinstance(data, bytes) else path.read_text(encoding="utf-8")
    assert data == expected, f"{name} differs from the golden file (UPDATE_GOLDEN=1 regenerates it)"


# ---- golden files -------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "fmt", "name"), [
    ("en", "md", "export-session.en.md"),
    ("zh", "md", "export-session.zh.md"),
    ("en", "html", "export-session.en.html"),
    ("zh", "html", "export-session.zh.html"),
    ("en", "cast", "export-session.en.cast"),
    ("en", "pcap", "export-session.en.pcap"),
])
def test_golden(journals: dict[str, list[dict[str, Any]]], lang: str, fmt: str, name: str) -> None:
    _golden(name, render(journals[lang], fmt))


def test_the_engine_still_gives_the_golden_session(
    journals: dict[str, list[dict[str, Any]]], fresh: list[dict[str, Any]]
) -> None:
    """Same commands, statuses and record kinds as the stored journal (outputs may move with the engine)."""
    def shape(records: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [(r["kind"], r.get("line"), r.get("status"), r.get("index")) for r in records
                if r["kind"] != "packet"]

    assert shape(fresh) == shape(journals["en"])
    assert sum(r["kind"] == "packet" for r in fresh) == 6


def test_journals_are_seed_deterministic(fresh: list[dict[str, Any]]) -> None:
    assert short_session("en") == fresh
    for fmt in ("md", "html", "cast", "pcap"):
        assert render(fresh, fmt) == render(short_session("en"), fmt)


def test_render_rejects_unknown_formats_and_knows_aliases(fresh: list[dict[str, Any]]) -> None:
    with pytest.raises(ValueError, match="unknown export format"):
        render(fresh, "docx")
    assert render(fresh, "markdown") == render(fresh, "md")
    assert render(fresh, "asciicast") == render(fresh, "cast")
    assert isinstance(render(fresh, "pcap"), bytes)
    assert set(FORMATS.values()) == {"md", "html", "cast", "pcap"}


# ---- Markdown -----------------------------------------------------------------------


def _md_blocks(md: str) -> list[tuple[str, str]]:
    """(typed line, output) of every ```console block."""
    out = []
    for m in re.finditer(r"^(`{3,})console\n(.*?)^\1$", md, re.M | re.S):
        typed, _, output = m.group(2).partition("\n")
        out.append((typed, output))
    return out


def test_markdown_structure(journals: dict[str, list[dict[str, Any]]]) -> None:
    md = render(journals["en"], "md")
    assert isinstance(md, str)
    assert md.startswith("# VXLAN on the wire\n")
    assert "## 1. What you will see" in md and "## 4. Why six?" in md
    assert "### The question" in md  # the narrative's heading sits under the step's
    assert "✓ Check passed: 6 VXLAN packets captured" in md
    assert "> **Hint 1:** The ping has to come from" in md
    assert "- **Answer:** `3` — ✗ Incorrect. That is the number of requests only." in md
    assert "- **Answer:** `6` — ✓ Correct. Each echo request" in md
    assert md.count("**Question:**") == 1  # two attempts, one question
    assert "*exit status 1*" in md  # the ping from the host cannot reach the overlay
    assert "Packets captured: 6 (ip-10-0-2-253/host:eth0 × 6)" in md
    assert md.rstrip().endswith("Lesson completed.")
    blocks = dict(_md_blocks(md))
    # the output exactly, trailing spaces included
    assert blocks["root@ip-10-0-2-197:~# docker service ls"] == (
        "ID             NAME      MODE         REPLICAS   IMAGE            PORTS\n"
        "ic1ro2pbbymn   test      replicated   3/3        busybox:latest   \n")


def test_markdown_in_chinese(journals: dict[str, list[dict[str, Any]]]) -> None:
    md = render(journals["zh"], "md")
    assert isinstance(md, str)
    assert md.startswith("# 抓包看 VXLAN\n")
    assert "课程 `vxlan-wire` · 场景 `swarm` · 随机种子 0 · 开始时间 " in md
    assert "✓ 检查通过：抓到了 6 个 VXLAN 包" in md
    assert "- **回答：** `6` —— ✓ 正确。每个 echo request" in md
    assert "> **提示 1：** ping 要从" in md
    assert md.rstrip().endswith("本课已完成。")
    # the language argument overrides the journal's for the labels
    en = render(journals["zh"], "md", lang="en")
    assert "✓ Check passed: 抓到了 6 个 VXLAN 包" in en


def test_markdown_follows_the_seed_note_command_by_command(seed_journal: list[dict[str, Any]]) -> None:
    """Side by side with the seed note: its commands appear in its order, each with its output."""
    md = render(seed_journal, "md")
    assert isinstance(md, str)
    blocks = _md_blocks(md)
    typed = [t for t, _ in blocks]
    note_lines = SEED_NOTE.read_text(encoding="utf-8").splitlines()
    note: list[tuple[str, str, list[str]]] = []  # (host, command, output lines)
    for n, line in enumerate(note_lines):
        m = re.match(r"^\s*root@(ip-[\d-]+):~# (\S.*)$", line)
        if not m:
            continue
        out: list[str] = []
        for nxt in note_lines[n + 1:]:
            if not nxt.strip() or re.match(r"^\s*root@ip-[\d-]+:~#", nxt) \
                    or re.search(r"[\u4e00-\u9fff]", nxt):  # the prompt again, or the note's prose
                break
            if nxt.strip() != "...":  # the note's elision between commands
                out.append(nxt)
        note.append((m.group(1), m.group(2).strip(), out))
    assert len(note) >= 9
    pos = -1
    for host, cmd, out in note:
        want = {f"root@{host}:~# {cmd}", f"root@ip-10-0-2-197:~# ssh {host} {cmd} &"}
        found = next((k for k in range(pos + 1, len(typed)) if typed[k] in want), None)
        assert found is not None, f"seed-note command {cmd!r} (on {host}) missing or out of order"
        pos = found
        output = blocks[found][1]
        if cmd.startswith("docker") and "ping" not in cmd:
            # whitespace aside (the note was pasted with uneven indentation), the same lines
            norm = [" ".join(x.split()) for x in output.splitlines()]
            assert norm == [" ".join(x.split()) for x in out], cmd
        elif "ping" in cmd:
            assert output.startswith("PING 10.0.1.5 (10.0.1.5): 56 data bytes\n")
            assert "64 bytes from 10.0.1.5: seq=2 ttl=64" in output
    # the capture's six VXLAN lines are in the ping's block, as the note shows them on node2
    ping3 = dict(blocks)["root@ip-10-0-2-197:~# docker container exec 559 ping 10.0.1.5 -c 3"]
    assert ping3.count("VXLAN, flags [I] (0x08), vni 4097") == 6


def test_markdown_fences_survive_outputs_with_backticks() -> None:
    records = [
        {"kind": "session", "lang": "en", "title": "t", "seed": 0},
        {"kind": "step", "index": 0, "type": "run", "title": "s", "text": ""},
        {"kind": "command", "step": 0, "host": "h", "prompt": "root@h:~# ", "line": "cat README.md",
         "output": "```bash\nls  \n````\nend\n", "status": 0, "v_start": 0, "v_end": 0},
    ]
    md = render(records, "md")
    assert isinstance(md, str)
    assert "`````console\nroot@h:~# cat README.md\n```bash\nls  \n````\nend\n`````\n" in md
    assert fence_for("no ticks") == "```"
    assert code_span("a`b") == "``a`b``" and code_span("`x") == "`` `x ``"


def test_markdown_headings_shift_outside_code_only() -> None:
    text = "# A\n```\n# not a heading\n```\n###### deep\n"
    assert shift_headings(text, 2) == "### A\n```\n# not a heading\n```\n###### deep\n"


def test_screen_text_applies_carriage_returns_and_drops_colours() -> None:
    assert screen_text("10%\r50%\r100%\n") == "100%\n"
    assert screen_text("abcdef\rXY\n") == "XYcdef\n"
    assert screen_text("\x1b[1;31mred\x1b[0m  \n") == "red  \n"


# ---- HTML ---------------------------------------------------------------------------


class _Tags(HTMLParser):
    """Collects tags, attributes and the text inside <pre>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.pre: list[str] = []
        self.text: list[str] = []
        self._in_pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "pre":
            self._in_pre += 1
            self.pre.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._in_pre -= 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_pre:
            self.pre[-1] += data


def _parse_html(page: str) -> _Tags:
    p = _Tags()
    p.feed(page)
    p.close()
    return p


ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "main", "header", "h1", "h2", "h3", "h4",
    "h5", "h6", "p", "nav", "ol", "ul", "li", "a", "section", "div", "figure", "figcaption",
    "span", "pre", "kbd", "code", "strong", "em", "del", "br", "hr", "blockquote", "aside",
    "footer", "time",
}


def test_html_is_self_contained_and_uses_known_tags(journals: dict[str, list[dict[str, Any]]]) -> None:
    for lang, code in (("en", "en"), ("zh", "zh-CN")):
        page = render(journals[lang], "html")
        assert isinstance(page, str)
        assert page.startswith("<!DOCTYPE html>\n")
        assert f'<html lang="{code}">' in page
        assert "prefers-color-scheme: dark" in page and "PingFang SC" in page
        parsed = _parse_html(page)
        assert {t for t, _ in parsed.tags} <= ALLOWED_TAGS
        for tag, attrs in parsed.tags:
            assert "src" not in attrs and not any(k.startswith("on") for k in attrs), tag
            if tag == "a":
                assert (attrs["href"] or "").startswith(("#", "https://")), attrs
        assert "url(" not in page and "@import" not in page and "<link" not in page
        assert "<script" not in page


def test_html_terminal_blocks_hold_the_exact_output(journals: dict[str, list[dict[str, Any]]]) -> None:
    page = render(journals["en"], "html")
    assert isinstance(page, str)
    pres = _parse_html(page).pre
    assert ("root@ip-10-0-2-197:~# docker service ls\n"
            "ID             NAME      MODE         REPLICAS   IMAGE            PORTS\n"
            "ic1ro2pbbymn   test      replicated   3/3        busybox:latest   ") in pres
    assert '<span class="status">exit status 1</span>' in page
    assert '<p class="check pass">✓ Check passed: 6 VXLAN packets captured</p>' in page
    assert '<nav class="toc"' in page and 'href="#step-3"' in page
    assert "<h3>The question</h3>" in page
    assert "<li><code>vxlan0</code>" not in page  # the item text precedes the code span
    assert "<ul>\n<li>inside the network" in page  # nested list
    assert '<a href="https://docs.docker.com/engine/network/drivers/overlay/" rel="noopener noreferrer">' in page


HOSTILE = "<script>alert(1)</script>"


def hostile_journal() -> list[dict[str, Any]]:
    return [
        {"kind": "session", "lesson": "x\"><script>", "lang": "en", "seed": 1, "scenario": "<b>s</b>",
         "title": HOSTILE, "started": "2021-11-08T04:25:00Z"},
        {"kind": "step", "index": 0, "id": "s", "type": "run\" onclick=\"x", "title": HOSTILE,
         "text": (f"{HOSTILE}\n\n<img src=x onerror=alert(1)>\n\n[click](javascript:alert(1)) "
                  "[data](data:text/html,<script>) [ok](https://example.com/?a=1&b=\"2\")\n\n"
                  "```\n</code></pre><script>x</script>\n```\n\n*<i>em</i>* `<code>`"), "v": 0},
        {"kind": "command", "step": 0, "host": "<h>", "prompt": "root@<h>:~# ",
         "line": f"echo '{HOSTILE}' > /tmp/x && cat /tmp/x </pre>",
         "output": f"{HOSTILE}\n</pre><iframe src=//evil></iframe>\x07\n", "status": 0,
         "v_start": 0, "v_end": 1},
        {"kind": "check", "step": 0, "passed": False, "message": HOSTILE, "v": 1},
        {"kind": "quiz", "step": 0, "question": HOSTILE, "answer": "\"><svg onload=alert(1)>",
         "correct": False, "feedback": HOSTILE},
        {"kind": "hint", "step": 0, "n": 1, "text": "<iframe src=x>"},
        {"kind": "packet", "v": 1, "ts_ns": 1, "linktype": 1, "data": "00", "where": HOSTILE},
        {"kind": "end", "completed": False, "v": 2},
    ]


def test_html_escapes_everything_from_the_journal() -> None:
    page = render(hostile_journal(), "html")
    assert isinstance(page, str)
    parsed = _parse_html(page)
    tags = {t for t, _ in parsed.tags}
    assert tags <= ALLOWED_TAGS, tags - ALLOWED_TAGS
    assert "<script" not in page and "<iframe" not in page and "<img" not in page and "<svg" not in page
    assert "javascript:" not in " ".join(a.get("href") or "" for t, a in parsed.tags if t == "a")
    for _tag, attrs in parsed.tags:
        assert not any(k.startswith("on") for k in attrs)
    # the command and its output appear literally, as typed and as printed
    pre = "\n".join(parsed.pre)
    assert f"root@<h>:~# echo '{HOSTILE}' > /tmp/x && cat /tmp/x </pre>" in pre
    assert f"{HOSTILE}\n</pre><iframe src=//evil></iframe>\u2407" in pre
    assert "</code></pre><script>x</script>" in pre  # the narrative's code block
    text = "".join(parsed.text)
    assert text.count(HOSTILE) >= 5
    assert "<img src=x onerror=alert(1)>" in text
    assert "\"><svg onload=alert(1)>" in text
    assert "[click]" not in text and "click" in text  # unsafe link: its text, no anchor
    hrefs = [a["href"] for t, a in parsed.tags if t == "a"]
    assert 'https://example.com/?a=1&b="2"' in hrefs


def test_safe_urls() -> None:
    assert safe_url("https://x.org/a?b=1") == "https://x.org/a?b=1"
    assert safe_url("#step-2") == "#step-2" and safe_url("notes/x.md") == "notes/x.md"
    for bad in ("javascript:alert(1)", "JaVaScRiPt:x", " java\tscript:x", "data:text/html,x",
                "vbscript:x", "&#106;avascript:x"):
        assert safe_url(bad) is None, bad


def test_markdown_converter_constructs() -> None:
    out = markdown_to_html(
        "## Title #\n\npara *em* **strong** `a<b` and_snake_case\nline two  \nbroken\n\n"
        "1. one\n2. two\n   - nested\n\n3) other\n\n> quoted *x*\n\n---\n\n    indented code\n\n"
        "~~~sh\necho ok\n~~~\n\n\\*not em\\* <https://a.b/c>", heading_offset=1)
    assert "<h3>Title</h3>" in out
    assert "<p>para <em>em</em> <strong>strong</strong> <code>a&lt;b</code> and_snake_case\nline two<br>\nbroken</p>" in out
    assert "<ol>\n<li>one</li>\n<li>two\n<ul>\n<li>nested</li>\n</ul></li>\n</ol>" in out
    assert '<ol start="3">\n<li>other</li>' in out
    assert "<blockquote>\n<p>quoted <em>x</em></p>\n</blockquote>" in out
    assert "<hr>" in out
    assert "<pre><code>indented code\n</code></pre>" in out
    assert '<pre><code class="language-sh">echo ok\n</code></pre>' in out
    assert '*not em* <a href="https://a.b/c" rel="noopener noreferrer">https://a.b/c</a>' in out


# ---- asciicast ----------------------------------------------------------------------


def _cast(text: str) -> tuple[dict[str, Any], list[list[Any]]]:
    lines = text.splitlines()
    header = json.loads(lines[0])
    events = [json.loads(line) for line in lines[1:]]
    return header, events


def test_asciicast_parses_and_is_ordered(journals: dict[str, list[dict[str, Any]]]) -> None:
    text = render(journals["en"], "cast")
    assert isinstance(text, str) and text.endswith("\n")
    header, events = _cast(text)
    assert header["version"] == 2 and header["width"] == 120 and header["height"] == 40
    assert header["title"] == "VXLAN on the wire"
    assert header["env"] == {"SHELL": "/bin/bash", "TERM": "xterm-256color"}
    started = journals["en"][0]["started"]
    assert header["timestamp"] == int(datetime.fromisoformat(started).timestamp())
    times = [e[0] for e in events]
    assert all(isinstance(e, list) and len(e) == 3 and e[1] in ("o", "m") for e in events)
    assert times == sorted(times) and times[0] >= 0
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert max(gaps) <= MAX_GAP / US + 0.2  # idle time is clipped
    markers = [e[2] for e in events if e[1] == "m"]
    assert markers == ["What you will see", "An overlay network and a service", "Capture on node2", "Why six?"]
    out = "".join(e[2] for e in events if e[1] == "o")
    assert "\n" not in out.replace("\r\n", "")  # terminal newlines
    assert "root@ip-10-0-2-197:~# docker network ls\r\nNETWORK ID" in out
    assert "busybox:latest   \r\n" in out
    assert out.count("VXLAN, flags [I] (0x08), vni 4097") == 6


def test_asciicast_types_commands_key_by_key(journals: dict[str, list[dict[str, Any]]]) -> None:
    _, events = _cast(str(render(journals["en"], "cast")))
    out = [e for e in events if e[1] == "o"]
    k = next(i for i, e in enumerate(out) if e[2] == "root@ip-10-0-2-197:~# ")
    typed = []
    for e in out[k + 1:]:
        if e[2] == "\r\n":
            break
        typed.append(e)
    assert "".join(e[2] for e in typed) == "docker network create -d overlay my-swarm-net"
    delays = [round(b[0] - a[0], 6) for a, b in zip(typed, typed[1:], strict=False)]
    assert all(0.04 <= d <= 0.12 for d in delays) and len(set(delays)) > 5


def test_asciicast_typing_depends_on_the_seed(fresh: list[dict[str, Any]]) -> None:
    other = [dict(r, seed=7) if r["kind"] == "session" else r for r in fresh]
    a, b = render(fresh, "cast"), render(other, "cast")
    assert a != b
    strip = re.compile(r"^\[[\d.]+, ", re.M)
    assert strip.sub("", str(a)) == strip.sub("", str(b))  # same events, other timing


def test_asciicast_plays_in_asciinema_when_installed(tmp_path: Path,
                                                     journals: dict[str, list[dict[str, Any]]]) -> None:
    exe = shutil.which("asciinema")
    if exe is None:
        pytest.skip("asciinema is not installed")
    path = tmp_path / "s.cast"
    path.write_text(str(render(journals["en"], "cast")), encoding="utf-8")
    out = subprocess.run([exe, "cat", str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "docker network ls" in out.stdout


# ---- pcap ---------------------------------------------------------------------------


def test_pcap_holds_the_captured_packets(journals: dict[str, list[dict[str, Any]]]) -> None:
    data = render(journals["en"], "pcap")
    assert isinstance(data, bytes)
    contents = decode_pcap(data)
    assert contents.linktype == LINKTYPE_ETHERNET
    packets = [r for r in journals["en"] if r["kind"] == "packet"]
    assert len(contents.records) == 6
    assert [fr for _ts, fr in contents.records] == [bytes.fromhex(p["data"]) for p in packets]
    assert [ts for ts, _fr in contents.records] == [p["ts_ns"] // 1000 * 1000 for p in packets]


def _read_with(tool: list[str], data: bytes, tmp_path: Path) -> str:
    exe = shutil.which(tool[0])
    if exe is None:
        pytest.skip(f"{tool[0]} is not installed")
    path = tmp_path / "s.pcap"
    path.write_bytes(data)
    out = subprocess.run([exe, *tool[1:], str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_pcap_opens_in_tcpdump(tmp_path: Path, journals: dict[str, list[dict[str, Any]]]) -> None:
    data = render(journals["en"], "pcap")
    assert isinstance(data, bytes)
    text = _read_with(["tcpdump", "-nn", "-r"], data, tmp_path)
    lines = [ln for ln in text.splitlines() if "VXLAN" in ln]
    assert len(lines) == 6 and all("vni 4097" in ln for ln in lines)


def test_pcap_opens_in_tshark(tmp_path: Path, journals: dict[str, list[dict[str, Any]]]) -> None:
    data = render(journals["en"], "pcap")
    assert isinstance(data, bytes)
    text = _read_with(["tshark", "-n", "-r"], data, tmp_path)
    lines = [ln for ln in text.splitlines() if "ICMP" in ln or "Echo" in ln]
    assert len(lines) == 6, text


def test_pcap_keeps_the_dominant_link_type_and_says_what_it_skipped() -> None:
    def pkt(ts: int, lt: int) -> dict[str, Any]:
        return {"kind": "packet", "v": ts, "ts_ns": ts, "linktype": lt, "data": f"{ts:02x}" * 20, "where": "h/host:eth0"}

    records = [pkt(3, LINKTYPE_ETHERNET), pkt(1, LINKTYPE_LINUX_SLL2), pkt(2, LINKTYPE_ETHERNET),
               {"kind": "packet", "ts_ns": 4, "linktype": 1, "data": "zz"}]
    data, warnings = to_pcap(records)
    contents = decode_pcap(data)
    assert contents.linktype == LINKTYPE_ETHERNET
    assert [ts for ts, _ in contents.records] == [0, 0]  # sub-microsecond stamps truncate
    assert [fr[0] for _, fr in contents.records] == [2, 3]  # sorted by time
    assert any("skipped 1 packet with link type LINUX_SLL2 (Linux cooked v2)" in w for w in warnings)
    assert any("packet 4: data is not hex" in w for w in warnings)
    collected: list[str] = []
    assert render(records, "pcap", warnings=collected) == data and collected == warnings


def test_pcap_with_no_packets_is_an_empty_capture() -> None:
    data, warnings = to_pcap([{"kind": "session", "lang": "en"}])
    assert decode_pcap(data).records == [] and warnings == ["the session captured no packets; the file is empty"]


# ---- reading journals ---------------------------------------------------------------


def test_reading_a_torn_journal(tmp_path: Path, fresh: list[dict[str, Any]]) -> None:
    text = _jsonl(fresh)
    torn = text + '{"kind": "command", "st'
    assert read_jsonl(torn) == fresh
    path = tmp_path / "j.jsonl"
    path.write_text(torn, encoding="utf-8")
    assert load_journal(str(path)) == fresh
    with pytest.raises(ValueError, match="journal line 2"):
        read_jsonl('{"kind": "session"}\n{oops\n{"kind": "end"}\n')


def test_records_without_a_step_and_unknown_kinds_still_export() -> None:
    records = [
        {"kind": "future-thing", "x": 1},
        {"kind": "command", "step": 5, "host": "h", "line": "true", "output": "", "status": 0},
        {"kind": "step", "index": 0, "type": "run", "title": "Later", "text": "x"},
        {"kind": "check", "step": 0, "passed": False, "message": "nope"},
    ]
    journal = parse(records)
    assert journal.sections[0].step is None and journal.sections[1].number == 1
    md = render(records, "md")
    assert isinstance(md, str)
    assert "root@h:~# true" in md and "✗ Check failed: nope" in md and "## 1. Later" in md
    for fmt in ("html", "cast", "pcap"):
        assert render(records, fmt)


def test_exports_need_no_ui_libraries() -> None:
    code = ("import sys, tui.export, tui.export.markdown, tui.export.html, tui.export.asciicast, "
            "tui.export.pcap\nprint(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_untitled_and_revisited_steps() -> None:
    records = [
        {"kind": "session", "lang": "zh", "title": "t", "seed": 3},
        {"kind": "step", "index": 0, "type": "run", "title": "A", "text": "", "v": 0},
        {"kind": "command", "step": 0, "host": "h", "line": "echo one", "output": "one\n", "status": 0,
         "v_start": 0, "v_end": 0},
        {"kind": "step", "index": 1, "type": "quiz", "title": "", "text": "", "v": 5 * SEC},
        {"kind": "step", "index": 0, "type": "run", "title": "A", "text": "", "v": 0},  # back to step 1
        {"kind": "command", "step": 0, "host": "h", "line": "echo two", "output": "two\n", "status": 0,
         "v_start": SEC, "v_end": SEC},
    ]
    md = str(render(records, "md"))
    assert md.count("## 1. A") == 2 and "## 步骤 2" in md
    assert md.index("## 步骤 2") < md.index("echo two") and md.index("echo one") < md.index("## 步骤 2")
    page = str(render(records, "html"))
    assert 'id="step-1"' in page and 'id="step-1-2"' in page
    _, events = _cast(str(render(records, "cast")))
    times = [e[0] for e in events]
    assert times == sorted(times)  # the lab was rebuilt: virtual time went back, the replay does not
    assert [e[2] for e in events if e[1] == "m"] == ["A", "步骤 2", "A"]


def test_asciicast_clips_long_waits(seed_journal: list[dict[str, Any]]) -> None:
    """The seed script sleeps 100 s and pings for a while: the replay never stalls longer than MAX_GAP."""
    _, events = _cast(str(render(seed_journal, "cast")))
    times = [e[0] for e in events]
    assert times == sorted(times)
    assert max(b - a for a, b in zip(times, times[1:], strict=False)) <= MAX_GAP / US + 0.13
    sleep = next(r for r in seed_journal if r.get("line") == "sleep 100")
    assert sleep["v_end"] - sleep["v_start"] >= 100 * SEC


def test_exports_of_a_real_session_journal() -> None:
    """A journal written by tui.lesson's Session (when present) exports in every format."""
    session_mod = pytest.importorskip("tui.lesson.session")
    loader = pytest.importorskip("tui.lesson.loader")
    path = Path(__file__).parent / "fixtures" / "lessons" / "overlay-sample.yaml"
    if not path.exists():
        pytest.skip("no sample lesson")
    session = session_mod.Session(loader.load_lesson(path), lang="en", seed=0, wall="virtual")
    session.play_solutions()
    session.finish()
    records = session.records
    md = str(render(records, "md"))
    for rec in records:
        if rec["kind"] == "command":
            assert rec["prompt"] + rec["line"] in md
    _, events = _cast(str(render(records, "cast")))
    assert sum(e[1] == "m" for e in events) == sum(r["kind"] == "step" for r in records)
    warnings: list[str] = []
    data = render(records, "pcap", warnings=warnings)
    assert isinstance(data, bytes)
    assert len(decode_pcap(data).records) == sum(r["kind"] == "packet" for r in records)
    assert "<script" not in str(render(records, "html"))


def test_a_skipped_steps_check_is_not_shown_as_the_learners_pass(tmp_path: Path) -> None:
    from tui.export import html, markdown
    from tui.lesson.catalog import find_lesson
    from tui.lesson.loader import load_lesson
    from tui.lesson.session import Session

    session = Session(load_lesson(find_lesson("overlay-service")), "en", 0, tmp_path / "j.jsonl")
    session.goto(3)  # steps 0-2 are passed over: their solutions play, their checks run
    checks = [r for r in session.records if r["kind"] == "check"]
    assert checks and all(r.get("skipped") for r in checks)
    md = markdown.render(session.records)
    assert "↷ Step skipped: its solution was played" in md and "Check passed" not in md
    assert 'class="check skipped"' in html.render(session.records)
