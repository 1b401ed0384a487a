"""A single self-contained HTML page, from a session journal.

The page has to open anywhere, years later, offline, and be safe to share: so
the CSS is inline, nothing is fetched (a Content-Security-Policy meta tag even
forbids it), nothing needs JavaScript, and every byte that came from the
journal is escaped - a learner's command can be ``echo '<script>...'``, and it
must show as typed, not run.  The step narratives are Markdown; they go through
the small converter below, which knows the handful of constructs lessons use
and never passes raw HTML through.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from tui.export.journal import (
    Journal,
    Record,
    Section,
    check_line,
    end_text,
    entries,
    heading_of,
    hint_label,
    one_line,
    packet_places,
    parse,
    prompt_of,
    screen_text,
    session_facts,
    status_of,
    text_of,
    verdict_of,
    words,
)

HTML_LANG = {"en": "en", "zh": "zh-CN"}


def render(records: list[dict[str, Any]], lang: str | None = None) -> str:
    """The whole journal as one HTML document (a ``str``; write it as UTF-8)."""
    journal = parse(records)
    code = (lang or journal.lang).split("-")[0].lower()
    w = words(code)
    title = one_line(journal.title) or w["untitled"]
    ids = _section_ids(journal.sections)
    body: list[str] = ['<header>', f'<h1>{_esc(title)}</h1>']
    meta = _meta(journal, w)
    if meta:
        body.append(f'<p class="meta">{meta}</p>')
    body.append('</header>')
    toc = [(ids[n], s) for n, s in enumerate(journal.sections) if s.step is not None]
    if len(toc) > 1:
        body.append(f'<nav class="toc" aria-label="{_esc(w["contents"])}"><ul>')
        for anchor, section in toc:
            body.append(f'<li><a href="#{anchor}">{_esc(heading_of(section, w))}</a></li>')
        body.append('</ul></nav>')
    for n, section in enumerate(journal.sections):
        body.append(_section(section, ids[n], w))
    footer = _footer(journal, w)
    if footer:
        body.append(footer)
    return _PAGE.format(
        lang=HTML_LANG.get(code, code or "en"),
        title=_esc(title),
        css=_CSS,
        body="\n".join(body),
    )


# ---- the page ---------------------------------------------------------------------


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


_META_TAG = {"lesson": "code", "scenario": "code", "started": "time"}


def _meta(journal: Journal, w: Mapping[str, str]) -> str:
    parts: list[str] = []
    for key, text in session_facts(journal.session):
        tag = _META_TAG.get(key)
        parts.append(f"{_esc(w[key])} " + (f"<{tag}>{_esc(text)}</{tag}>" if tag else _esc(text)))
    return " · ".join(parts)


def _section_ids(sections: list[Section]) -> list[str]:
    """Anchors ``step-N``; a revisited step gets ``step-N-2`` so ids stay unique."""
    seen: Counter[str] = Counter()
    out: list[str] = []
    for section in sections:
        base = f"step-{section.number}" if section.number is not None else "before-steps"
        seen[base] += 1
        out.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return out


def _section(section: Section, anchor: str, w: Mapping[str, str]) -> str:
    kind = text_of(section.step, "type") if section.step is not None else ""
    cls = "step" + (f" step-{kind}" if re.fullmatch(r"[a-z][a-z0-9-]*", kind) else "")
    out = [f'<section class="{cls}" id="{anchor}">']
    if section.step is not None:
        out.append(f"<h2>{_esc(heading_of(section, w))}</h2>")
        narrative = text_of(section.step, "text")
        if narrative.strip():
            out.append(f'<div class="narrative">\n{markdown_to_html(narrative, heading_offset=2)}</div>')
    for kind, recs in entries(section):
        if kind == "command":
            out.append(terminal_block(recs[0], w))
        elif kind == "check":
            out.append(_check(recs[0], w))
        elif kind == "hint":
            out.append(_hint(recs[0], w))
        elif kind == "quiz":
            out.append(_quiz(recs, w))
    out.append("</section>")
    return "\n".join(out)


def terminal_block(command: Record, w: Mapping[str, str]) -> str:
    """A command and its output in a terminal-looking box, every character escaped."""
    host = text_of(command, "host")
    status = status_of(command)
    bar = f'<span class="host">{_esc(host)}</span>' if host else "<span></span>"
    if status:
        bar += f'<span class="status">{_esc(w["exit_status"])} {status}</span>'
    first, *more = text_of(command, "line").split("\n")
    typed = f'<span class="prompt">{_esc(prompt_of(command))}</span><kbd>{_esc(first)}</kbd>'
    for line in more:
        typed += f'\n<span class="prompt">&gt; </span><kbd>{_esc(line)}</kbd>'
    output = _esc(_printable(screen_text(text_of(command, "output"))))
    if output.endswith("\n"):
        output = output[:-1]
    pre = typed + ("\n" + output if output else "")
    return (f'<figure class="term"><figcaption>{bar}</figcaption>'
            f'<pre>{pre}</pre></figure>')


def _check(rec: Record, w: Mapping[str, str]) -> str:
    cls = "skipped" if rec.get("skipped") else "pass" if rec.get("passed") else "fail"
    return f'<p class="check {cls}">{_esc(check_line(rec, w))}</p>'


def _hint(rec: Record, w: Mapping[str, str]) -> str:
    body = markdown_to_html(text_of(rec, "text"), heading_offset=3)
    return (f'<aside class="hint"><p class="label">{_esc(hint_label(rec, w))}</p>\n{body}</aside>')


def _quiz(attempts: list[Record], w: Mapping[str, str]) -> str:
    colon = _esc(w["colon"].rstrip())
    question = markdown_to_html(text_of(attempts[0], "question"), heading_offset=3)
    out = ['<div class="quiz">', f'<p class="label">{_esc(w["question"])}</p>', question.rstrip("\n"), "<ul>"]
    for rec in attempts:
        ok = bool(rec.get("correct"))
        verdict = verdict_of(rec, w)
        feedback = text_of(rec, "feedback")
        out.append(
            f'<li class="{"ok" if ok else "bad"}"><strong>{_esc(w["answer"])}{colon}</strong> '
            f'<code>{_esc(text_of(rec, "answer"))}</code>{_esc(w["dash"])}'
            f'<span class="verdict">{_esc(verdict + w["period"])}</span>'
            + (f'<div class="feedback">\n{markdown_to_html(feedback, heading_offset=3)}</div>'
               if feedback.strip() else "")
            + "</li>"
        )
    out.append("</ul></div>")
    return "\n".join(out)


def _footer(journal: Journal, w: Mapping[str, str]) -> str:
    parts: list[str] = []
    if journal.packets:
        detail = packet_places(journal.packets, w)
        parts.append(f'<p class="packets">{_esc(w["packets"] + w["colon"])}'
                     f'{len(journal.packets)} (<code>{_esc(detail)}</code>)</p>')
    if journal.end is not None:
        done = bool(journal.end.get("completed"))
        parts.append(f'<p class="end {"done" if done else "open"}">'
                     f'{_esc(end_text(journal.end, w))}</p>')
    return "<footer>\n" + "\n".join(parts) + "\n</footer>" if parts else ""


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _printable(text: str) -> str:
    """Control characters are not allowed in HTML text; show them as their Unicode pictures."""
    return _CONTROL.sub(lambda m: "\u2421" if m.group() == "\x7f" else chr(0x2400 + ord(m.group())), text)


# ---- Markdown -> HTML -------------------------------------------------------------
#
# Enough CommonMark for lesson text: ATX headings, paragraphs with hard breaks,
# emphasis, inline code, fenced and indented code blocks, nested lists, block
# quotes, rules, links (http, https, mailto and relative only).  Raw HTML in the
# source is shown as text.  Images become links: the page fetches nothing.

_OPEN = "\ue000"
_CLOSE = "\ue001"
_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})[ \t]*([^`\s]*)[^`]*$")
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_ITEM = re.compile(r"^( {0,3})([-*+]|\d{1,9}[.)])(?:([ \t]+)(.*))?$")
_QUOTE = re.compile(r"^ {0,3}> ?")
_SAFE_SCHEMES = ("http", "https", "mailto")


def markdown_to_html(text: str, heading_offset: int = 0) -> str:
    """Convert Markdown to HTML with everything escaped; ``heading_offset`` demotes headings."""
    text = text.replace(_OPEN, "\ufffd").replace(_CLOSE, "\ufffd").replace("\r\n", "\n")
    text = text.replace("\r", "\n").expandtabs(4)
    return "".join(_blocks(text.split("\n"), heading_offset, tight=False))


def _blocks(lines: list[str], offset: int, *, tight: bool) -> list[str]:
    out: list[str] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            inner = _paragraph(para)
            out.append(inner + "\n" if tight else f"<p>{inner}</p>\n")
            para.clear()

    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        if not line.strip():
            flush()
            i += 1
            continue
        fence = _FENCE.match(line)
        if fence:
            flush()
            indent, marker, info = len(fence.group(1)), fence.group(2), fence.group(3)
            body: list[str] = []
            i += 1
            while i < n:
                close = re.match(r"^ {0,3}(" + re.escape(marker[0]) + r"{" + str(len(marker)) + r",})[ \t]*$",
                                 lines[i])
                if close:
                    i += 1
                    break
                body.append(_dedent(lines[i], indent))
                i += 1
            cls = f' class="language-{_esc(info)}"' if re.fullmatch(r"[\w+.-]+", info) else ""
            code = "\n".join(body)
            out.append(f"<pre><code{cls}>{_esc(code)}{chr(10) if body else ''}</code></pre>\n")
            continue
        if line.startswith("    ") and not para:
            body = []
            while i < n and (lines[i].startswith("    ") or not lines[i].strip()):
                body.append(lines[i][4:])
                i += 1
            while body and not body[-1].strip():
                body.pop()
            out.append(f"<pre><code>{_esc(chr(10).join(body))}\n</code></pre>\n")
            continue
        heading = _HEADING.match(line)
        if heading:
            flush()
            level = min(6, len(heading.group(1)) + offset)
            out.append(f"<h{level}>{_inline(heading.group(2) or '')}</h{level}>\n")
            i += 1
            continue
        if _RULE.match(line):
            flush()
            out.append("<hr>\n")
            i += 1
            continue
        if _QUOTE.match(line):
            flush()
            body = []
            while i < n and lines[i].strip() and (_QUOTE.match(lines[i]) or body):
                m = _QUOTE.match(lines[i])
                body.append(lines[i][m.end():] if m else lines[i])
                i += 1
            out.append("<blockquote>\n" + "".join(_blocks(body, offset, tight=False)) + "</blockquote>\n")
            continue
        item = _ITEM.match(line)
        if item and (item.group(4) or not para) and (not para or item.group(2)[0] in "-*+1"):
            flush()
            i = _list(lines, i, offset, out)
            continue
        para.append(line)
        i += 1
    flush()
    return out


def _list(lines: list[str], i: int, offset: int, out: list[str]) -> int:
    """One list (and its nested lists) starting at ``lines[i]``; returns the index after it."""
    first = _ITEM.match(lines[i])
    assert first is not None
    ordered = first.group(2)[0].isdigit()
    delim = first.group(2)[-1]
    items: list[list[str]] = []
    loose = False
    n = len(lines)
    while i < n:
        m = _ITEM.match(lines[i])
        if not m or m.group(2)[0].isdigit() != ordered or m.group(2)[-1] != delim:
            break
        width = len(m.group(1)) + len(m.group(2)) + min(len(m.group(3) or " "), 4)
        body = [m.group(4) or ""]
        i += 1
        while i < n:
            line = lines[i]
            if not line.strip():
                # a blank line continues the item only if indented content follows
                j = i
                while j < n and not lines[j].strip():
                    j += 1
                if j < n and _indent(lines[j]) >= width:
                    body.extend([""] * (j - i))
                    i = j
                    loose = loose or not _ITEM.match(lines[j][width:])
                    continue
                if j < n and _ITEM.match(lines[j]) and _indent(lines[j]) < width:
                    nxt = _ITEM.match(lines[j])
                    if nxt and nxt.group(2)[0].isdigit() == ordered and nxt.group(2)[-1] == delim:
                        loose = True
                break
            if _indent(line) >= width:
                body.append(line[width:])
            elif (_ITEM.match(line) or _HEADING.match(line) or _FENCE.match(line)
                  or _QUOTE.match(line) or _RULE.match(line)):
                break
            else:
                body.append(line.strip())  # lazy continuation of the item's paragraph
            i += 1
        items.append(body)
    tag = "ol" if ordered else "ul"
    start = int(first.group(2)[:-1]) if ordered else 1
    attr = f' start="{start}"' if ordered and start != 1 else ""
    out.append(f"<{tag}{attr}>\n")
    for body in items:
        inner = "".join(_blocks(body, offset, tight=not loose)).rstrip("\n")
        out.append(f"<li>{inner}</li>\n")
    out.append(f"</{tag}>\n")
    return i


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _dedent(line: str, n: int) -> str:
    return line[min(n, _indent(line)):]


def _paragraph(lines: list[str]) -> str:
    parts: list[str] = []
    for k, line in enumerate(lines):
        last = k == len(lines) - 1
        hard = not last and (line.endswith("  ") or line.endswith("\\"))
        text = line.strip()
        if hard and text.endswith("\\"):
            text = text[:-1]
        parts.append(_inline(text) + ("<br>\n" if hard else ("" if last else "\n")))
    return "".join(parts)


def _inline(text: str) -> str:
    """Inline Markdown to HTML: code spans, links, emphasis; all other text escaped."""
    saved: list[str] = []

    def keep(fragment: str) -> str:
        saved.append(fragment)
        return f"{_OPEN}{len(saved) - 1}{_CLOSE}"

    def sub(pattern: str, fn: Callable[[re.Match[str]], str], s: str) -> str:
        return re.sub(pattern, fn, s)

    def code(m: re.Match[str]) -> str:
        body = m.group(2).replace("\n", " ")
        if len(body) > 2 and body.startswith(" ") and body.endswith(" ") and body.strip():
            body = body[1:-1]
        return keep(f"<code>{_esc(body)}</code>")

    # code spans first: nothing inside them is Markdown
    text = sub(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", code, text)
    # backslash escapes: the character itself, escaped
    text = sub(r"\\([!-/:-@\[-`{-~])", lambda m: keep(_esc(m.group(1))), text)
    # <https://...> autolinks
    text = sub(r"<((?:https?|mailto):[^\s<>]+)>", lambda m: keep(_link(m.group(1), _esc(m.group(1)))), text)

    def link(m: re.Match[str]) -> str:
        label = _inline(m.group(2))
        return keep(_link(m.group(3), label))

    text = sub(r"(!?)\[((?:[^\[\]]|\[[^\[\]]*\])+)\]\(\s*<?([^\s()<>]*(?:\([^\s()]*\)[^\s()<>]*)*)>?"
               r"(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)", link, text)
    # bare URLs, as GitHub links them
    text = sub(r"https?://[^\s<>\ue000\ue001]*[^\s<>\ue000\ue001.,;:!?'\")\]}。，；：！？）]",
               lambda m: keep(_link(m.group(0), _esc(m.group(0)))), text)
    text = _esc(text)
    text = re.sub(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"(?<![\w])__(?=\S)(.+?)(?<=\S)__(?![\w])", r"<strong>\1</strong>", text)
    text = re.sub(r"\*(?=[^\s*])(.+?)(?<=[^\s*])\*", r"<em>\1</em>", text)
    text = re.sub(r"(?<![\w])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w])", r"<em>\1</em>", text)
    text = re.sub(r"~~(?=\S)(.+?)(?<=\S)~~", r"<del>\1</del>", text)
    placeholder = re.compile(_OPEN + r"(\d+)" + _CLOSE)
    while placeholder.search(text):
        text = placeholder.sub(lambda m: saved[int(m.group(1))], text)
    return text


def _link(url: str, label_html: str) -> str:
    """``<a>`` for safe URLs; anything else (``javascript:``, ``data:``...) stays plain text."""
    href = safe_url(url)
    if href is None:
        return label_html
    return f'<a href="{_esc(href)}" rel="noopener noreferrer">{label_html}</a>'


def safe_url(url: str) -> str | None:
    """The URL if following it cannot run code: http(s), mailto, or relative; else None."""
    cleaned = re.sub(r"[\x00-\x20\x7f]", "", html.unescape(url))
    scheme = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):", cleaned)
    if scheme and scheme.group(1).lower() not in _SAFE_SCHEMES:
        return None
    if not cleaned:
        return None
    return cleaned


_PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="generator" content="overlaylab">
<title>{title}</title>
<style>
{css}</style>
</head>
<body>
<main>
{body}
</main>
</body>
</html>
"""

_CSS = """:root {
  --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --accent: #0969da;
  --code-bg: #f6f8fa; --term-bg: #0d1117; --term-fg: #e6edf3; --term-bar: #21262d;
  --prompt: #3fb950; --ok: #1a7f37; --bad: #cf222e; --hint-bg: #fff8c5; --hint-line: #d4a72c;
  --quiz-bg: #f6f8fa;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #3d444d; --accent: #4493f8;
    --code-bg: #151b23; --term-bg: #010409; --term-fg: #e6edf3; --term-bar: #151b23;
    --prompt: #3fb950; --ok: #3fb950; --bad: #f85149; --hint-bg: #272115; --hint-line: #9e6a03;
    --quiz-bg: #151b23;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--fg); line-height: 1.65;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC",
    "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif;
}
html:lang(zh) body { line-height: 1.8; }
main { max-width: 62rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
h1, h2, h3, h4, h5, h6 { line-height: 1.3; margin: 1.6em 0 0.6em; }
h1 { margin-top: 0; font-size: 2rem; }
h2 { border-bottom: 1px solid var(--line); padding-bottom: 0.3em; }
a { color: var(--accent); }
hr { border: 0; border-top: 1px solid var(--line); margin: 2em 0; }
.meta, footer { color: var(--muted); }
.toc ul { list-style: none; padding-left: 0; }
.toc li { margin: 0.15em 0; }
code, kbd, pre {
  font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono",
    "DejaVu Sans Mono", "Noto Sans Mono CJK SC", "Sarasa Mono SC", monospace;
  font-size: 0.92em;
}
:not(pre) > code { background: var(--code-bg); padding: 0.1em 0.35em; border-radius: 4px; }
pre { background: var(--code-bg); padding: 0.8em 1em; border-radius: 6px; overflow-x: auto; }
blockquote { margin: 1em 0; padding: 0 1em; color: var(--muted); border-left: 0.25em solid var(--line); }
figure.term {
  margin: 1.2em 0; border-radius: 8px; overflow: hidden; background: var(--term-bg);
  color: var(--term-fg); box-shadow: 0 1px 3px rgba(0, 0, 0, 0.25); border: 1px solid var(--line);
}
figure.term figcaption {
  display: flex; justify-content: space-between; gap: 1em; padding: 0.3em 0.9em;
  background: var(--term-bar); color: #9198a1; font-size: 0.8em;
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
}
figure.term figcaption::before { content: "\\25CF\\2002\\25CF\\2002\\25CF"; color: #6e7681; margin-right: auto; }
figure.term .host { margin-right: auto; }
figure.term .status { color: #f85149; }
figure.term pre {
  margin: 0; background: transparent; color: inherit; border-radius: 0; line-height: 1.4;
  white-space: pre; tab-size: 8;
}
figure.term .prompt { color: var(--prompt); }
figure.term kbd { font-weight: bold; font-size: 1em; color: #ffffff; }
.check { font-weight: 600; }
.check.pass { color: var(--ok); }
.check.fail { color: var(--bad); }
.check.skipped { color: var(--muted); font-style: italic; }
aside.hint {
  margin: 1em 0; padding: 0.6em 1em; background: var(--hint-bg);
  border-left: 0.25em solid var(--hint-line); border-radius: 0 6px 6px 0;
}
.hint .label, .quiz .label { margin: 0; font-weight: 700; }
.quiz { margin: 1.2em 0; padding: 0.6em 1em; background: var(--quiz-bg); border-radius: 6px; }
.quiz ul { list-style: none; padding-left: 0; }
.quiz li { margin: 0.4em 0; }
.quiz :not(pre) > code { background: var(--bg); }
.quiz li.ok .verdict { color: var(--ok); font-weight: 600; }
.quiz li.bad .verdict { color: var(--bad); font-weight: 600; }
.quiz .feedback p { margin: 0.2em 0; }
footer { margin-top: 3em; border-top: 1px solid var(--line); padding-top: 1em; }
footer .end.done { color: var(--ok); }
@media print {
  figure.term { break-inside: avoid; box-shadow: none; }
  figure.term pre { white-space: pre-wrap; }
}
"""
