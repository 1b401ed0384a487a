"""Word expansion: braces, tilde, parameters, command substitution, arithmetic,
field splitting and quote removal, in bash's order.

Expansion is a generator because ``$(...)`` runs commands, which may take
virtual time (``x=$(sleep 1; date)``). There is no pathname expansion: the
simulated filesystem has no directories worth globbing, so ``*`` stays
literal, which is also what bash does when nothing matches.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Any, Protocol

from tui.shell.lexer import Arith, CmdSub, LexError, Lit, Param, Word, lex_heredoc_body

Gen = Generator[Any, Any, Any]

_IFS_SPLIT = re.compile(r"[ \t\n]+")
MAX_BRACE_WORDS = 10_000


class ExpansionError(Exception):
    """An expansion failed; the command is not run. ``message`` lacks the ``bash:`` prefix."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class Context(Protocol):
    """What expansion needs from the shell."""

    home: str

    def get_var(self, name: str) -> str | None: ...

    def set_var(self, name: str, value: str) -> None: ...

    def special_param(self, name: str) -> str | None: ...

    def positional(self) -> list[str]: ...

    def command_substitution(self, body: Any) -> Generator[Any, Any, str]: ...


# A piece of an expanded word: (text, splittable) or None for a hard field break ("$@").
Piece = tuple[str, bool] | None


def expand_words(words: list[Word], cx: Context) -> Generator[Any, Any, list[str]]:
    """The argv a list of words expands to."""
    out: list[str] = []
    for word in words:
        for braced in brace_expand(word):
            pieces = yield from _pieces(braced, cx, tilde=True)
            out.extend(split_fields(pieces))
    return out


def expand_word(word: Word, cx: Context, *, tilde: bool = True) -> Generator[Any, Any, str]:
    """One string, without field splitting (assignments, redirection targets, ``case``)."""
    pieces = yield from _pieces(word, cx, tilde=tilde)
    return "".join(p[0] for p in pieces if p is not None)


def expand_heredoc(text: str, cx: Context) -> Generator[Any, Any, str]:
    """A here-document body: parameters and substitutions, no quote removal."""
    try:
        word = lex_heredoc_body(text)
    except LexError as err:
        raise ExpansionError(err.message) from None
    _parse_subs(word)
    return (yield from expand_word(word, cx, tilde=False))


def _parse_subs(word: Word) -> None:
    from tui.shell.parser import ParseError, parse

    for part in word.parts:
        if isinstance(part, CmdSub) and part.body is None:
            try:
                part.body = parse(part.source)
            except ParseError as err:
                raise ExpansionError(err.message, 2) from None


def split_fields(pieces: list[Piece]) -> list[str]:
    """Field splitting on blanks, only inside unquoted expansion results."""
    fields: list[str] = []
    cur: str | None = None
    for piece in pieces:
        if piece is None:
            if cur is not None:
                fields.append(cur)
                cur = None
            continue
        text, splittable = piece
        if not splittable:
            cur = (cur or "") + text
            continue
        for k, seg in enumerate(_IFS_SPLIT.split(text)):
            if k > 0 and cur is not None:
                fields.append(cur)
                cur = None
            if seg:
                cur = (cur or "") + seg
    if cur is not None:
        fields.append(cur)
    return fields


def _pieces(word: Word, cx: Context, *, tilde: bool) -> Generator[Any, Any, list[Piece]]:
    pieces: list[Piece] = []
    parts = list(word.parts)
    if tilde and parts and isinstance(parts[0], Lit) and not parts[0].quoted and parts[0].text.startswith("~"):
        text = parts[0].text
        head, sep, tail = text.partition("/")
        if head == "~":
            pieces.append((cx.get_var("HOME") or cx.home, False))
            parts[0] = Lit(sep + tail)
        elif head == "~root":
            pieces.append(("/root", False))
            parts[0] = Lit(sep + tail)
    for part in parts:
        if isinstance(part, Lit):
            pieces.append((part.text, False))
        elif isinstance(part, Param):
            pieces.extend((yield from _param(part, cx)))
        elif isinstance(part, CmdSub):
            text = yield from cx.command_substitution(part.body)
            pieces.append((text.rstrip("\n"), not part.quoted))
        elif isinstance(part, Arith):
            expr = yield from expand_heredoc(part.source, cx)
            pieces.append((str(arith_eval(expr, cx)), not part.quoted))
    return pieces


def _param(p: Param, cx: Context) -> Generator[Any, Any, list[Piece]]:
    if p.op == "bad":
        raise ExpansionError(f"{p.raw}: bad substitution")
    if p.name == "@" and p.quoted and p.op == "":
        out: list[Piece] = []
        for n, arg in enumerate(cx.positional()):
            if n:
                out.append(None)
            out.append((arg, False))
        return out
    value = _lookup(p.name, cx)
    split = not p.quoted
    op = p.op
    if op == "":
        return [(value or "", split)]
    if op == "#len":
        return [(str(len(value or "")), split)]
    if op in (":-", "-", ":=", "=", ":+", "+", ":?", "?"):
        unset = value is None or (op.startswith(":") and value == "")
        base = op.lstrip(":")
        if base == "+":
            if unset:
                return []
            text = yield from _arg(p.arg, cx)
            return [(text, split)]
        if not unset:
            return [(value or "", split)]
        text = yield from _arg(p.arg, cx)
        if base == "-":
            return [(text, split)]
        if base == "=":
            if not _is_name(p.name):
                raise ExpansionError(f"${p.name}: cannot assign in this way")
            cx.set_var(p.name, text)
            return [(text, split)]
        raise ExpansionError(f"{p.name}: {text or 'parameter null or not set'}")
    value = value or ""
    if op in ("#", "##", "%", "%%"):
        pattern = yield from _arg(p.arg, cx)
        return [(_remove_pattern(value, pattern, op), split)]
    if op in ("/", "//"):
        pattern = yield from _arg(p.arg, cx)
        repl = yield from _arg(p.arg2, cx)
        return [(_replace_pattern(value, pattern, repl, op == "//"), split)]
    if op == ":":
        spec = yield from _arg(p.arg, cx)
        return [(_substring(value, spec, cx), split)]
    raise ExpansionError(f"{p.raw}: bad substitution")


def _arg(word: Word | None, cx: Context) -> Generator[Any, Any, str]:
    if word is None:
        return ""
    return (yield from expand_word(word, cx))


def _lookup(name: str, cx: Context) -> str | None:
    if _is_name(name):
        return cx.get_var(name)
    if name.isdigit() and name != "0":
        args = cx.positional()
        index = int(name)
        return args[index - 1] if index <= len(args) else None
    if name in ("@", "*"):
        return " ".join(cx.positional())
    return cx.special_param(name)


def _is_name(name: str) -> bool:
    return bool(name) and (name[0].isalpha() or name[0] == "_") and name.replace("_", "a").isalnum() and name.isascii()


# ---- patterns (for ${x#pat} and friends) ------------------------------------


def glob_to_regex(pattern: str) -> str:
    """A shell glob as a Python regex (``*``, ``?``, ``[...]``)."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            j = pattern.find("]", i + 2 if pattern[i + 1 : i + 2] in ("!", "^") else i + 1)
            if j < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : j]
                neg = body[:1] in ("!", "^")
                if neg:
                    body = body[1:]
                body = body.replace("\\", "\\\\").replace("[", "\\[")
                out.append(f"[{'^' if neg else ''}{body}]")
                i = j
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _compile_glob(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(glob_to_regex(pattern), re.S)
    except re.error:
        return re.compile(re.escape(pattern), re.S)


def _remove_pattern(value: str, pattern: str, op: str) -> str:
    rx = _compile_glob(pattern)
    n = len(value)
    if op in ("#", "##"):
        lengths = range(n + 1) if op == "#" else range(n, -1, -1)
        for k in lengths:
            if rx.fullmatch(value[:k]):
                return value[k:]
        return value
    lengths = range(n + 1) if op == "%" else range(n, -1, -1)
    for k in lengths:
        if rx.fullmatch(value[n - k :]):
            return value[: n - k]
    return value


def _replace_pattern(value: str, pattern: str, repl: str, everywhere: bool) -> str:
    anchor = ""
    if pattern.startswith(("#", "%")):
        anchor, pattern = pattern[0], pattern[1:]
    if not pattern and not anchor:
        return value
    rx = glob_to_regex(pattern)
    try:
        if anchor == "#":
            return re.sub(f"\\A(?:{rx})", lambda _m: repl, value, count=1, flags=re.S)
        if anchor == "%":
            return re.sub(f"(?:{rx})\\Z", lambda _m: repl, value, count=1, flags=re.S)
        return re.sub(rx, lambda _m: repl, value, count=0 if everywhere else 1, flags=re.S)
    except re.error:
        return value


def _substring(value: str, spec: str, cx: Context) -> str:
    off_text, _, len_text = spec.partition(":")
    offset = arith_eval(off_text or "0", cx)
    if offset < 0:
        offset = max(0, len(value) + offset)
    if not _:
        return value[offset:]
    length = arith_eval(len_text or "0", cx)
    if length < 0:
        end = len(value) + length
        if end < offset:
            raise ExpansionError(f"{len_text.strip()}: substring expression < 0")
        return value[offset:end]
    return value[offset : offset + length]


# ---- brace expansion --------------------------------------------------------


def brace_expand(word: Word) -> list[Word]:
    """``a{b,c}`` and ``{1..3}`` inside unquoted literal text."""
    for idx, part in enumerate(word.parts):
        if isinstance(part, Lit) and not part.quoted and "{" in part.text:
            alts = _brace(part.text)
            if alts is None:
                continue
            if len(alts) > MAX_BRACE_WORDS:
                raise ExpansionError("brace expansion: failed to allocate memory")
            head, tail = word.parts[:idx], word.parts[idx + 1 :]
            out: list[Word] = []
            for alt in alts:
                rest = brace_expand(Word(list(tail), word.src)) if tail else [Word([], word.src)]
                for r in rest:
                    out.append(Word([*head, Lit(alt), *r.parts], word.src))
                if len(out) > MAX_BRACE_WORDS:
                    raise ExpansionError("brace expansion: failed to allocate memory")
            return out
    return [word]


def _brace(text: str, budget: list[int] | None = None) -> list[str] | None:
    budget = budget if budget is not None else [MAX_BRACE_WORDS * 4]
    for i, c in enumerate(text):
        if c != "{":
            continue
        depth = 0
        commas: list[int] = []
        j = i
        while j < len(text):
            ch = text[j]
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    break
            elif ch == "," and depth == 1:
                commas.append(j)
            j += 1
        else:
            continue
        inner = text[i + 1 : j]
        if commas:
            bounds = [i, *commas, j]
            alts = [text[bounds[k] + 1 : bounds[k + 1]] for k in range(len(bounds) - 1)]
        else:
            seq = _sequence(inner)
            if seq is None:
                continue
            alts = seq
        prefix, suffix = text[:i], text[j + 1 :]
        out: list[str] = []
        for alt in alts:
            budget[0] -= 1
            if budget[0] < 0:
                raise ExpansionError("brace expansion: failed to allocate memory")
            whole = prefix + alt + suffix
            out.extend(_brace(whole, budget) or [whole])
        return out
    return None


_SEQ_RE = re.compile(r"(-?\d+|[A-Za-z])\.\.(-?\d+|[A-Za-z])(?:\.\.(-?\d+))?\Z")


def _sequence(inner: str) -> list[str] | None:
    m = _SEQ_RE.match(inner)
    if m is None:
        return None
    a, b, inc_text = m.group(1), m.group(2), m.group(3)
    inc = abs(int(inc_text)) if inc_text else 1
    inc = inc or 1
    if a.lstrip("-").isdigit() and b.lstrip("-").isdigit():
        start, end = int(a), int(b)
        if abs(end - start) // inc > MAX_BRACE_WORDS:
            raise ExpansionError("brace expansion: failed to allocate memory")
        step = inc if end >= start else -inc
        width = max(len(a), len(b)) if (a.lstrip("-").startswith("0") and len(a.lstrip("-")) > 1) or (
            b.lstrip("-").startswith("0") and len(b.lstrip("-")) > 1) else 0
        stop = end + (1 if step > 0 else -1)
        return [str(v).zfill(width) if width else str(v) for v in range(start, stop, step)]
    if len(a) == 1 and len(b) == 1 and not a.isdigit() and not b.isdigit():
        start, end = ord(a), ord(b)
        step = inc if end >= start else -inc
        return [chr(v) for v in range(start, end + (1 if step > 0 else -1), step)]
    return None


# ---- arithmetic ---------------------------------------------------------------

_ARITH_TOKEN = re.compile(
    r"\s*(?:(0[xX][0-9A-Fa-f]+|\d+#[0-9A-Za-z@_]+|\d[0-9A-Za-z]*)|([A-Za-z_][A-Za-z0-9_]*)|"
    r"(\*\*=?|<<=|>>=|\+\+|--|&&|\|\||<=|>=|==|!=|<<|>>|[-+*/%&|^]=|[-+*/%()<>=!~&|^?:,]))"
)

_BINARY = [
    ("||",),
    ("&&",),
    ("|",),
    ("^",),
    ("&",),
    ("==", "!="),
    ("<", ">", "<=", ">="),
    ("<<", ">>"),
    ("+", "-"),
    ("*", "/", "%"),
]


def _wrap(v: int) -> int:
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >= 1 << 63 else v


class _Arith:
    def __init__(self, text: str, cx: Context, depth: int) -> None:
        self.text = text
        self.cx = cx
        self.depth = depth
        self.toks: list[tuple[str, str, int]] = []  # (kind, value, position)
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _ARITH_TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                stripped = text[pos:].lstrip()
                raise self.error("syntax error: invalid arithmetic operator", stripped)
            kind = "num" if m.group(1) else "name" if m.group(2) else "op"
            value = m.group(1) or m.group(2) or m.group(3)
            self.toks.append((kind, value, m.start(m.lastindex or 1)))
            pos = m.end()
        self.i = 0

    def error(self, message: str, token: str) -> ExpansionError:
        return ExpansionError(f'{self.text.strip()}: {message} (error token is "{token}")')

    def rest(self) -> str:
        if self.i >= len(self.toks):
            return ""
        return self.text[self.toks[self.i][2] :].strip()

    def peek(self) -> str | None:
        if self.i < len(self.toks) and self.toks[self.i][0] == "op":
            return self.toks[self.i][1]
        return None

    def parse(self) -> int:
        if not self.toks:
            return 0
        value = self.comma()
        if self.i < len(self.toks):
            raise self.error("syntax error in expression", self.rest())
        return value

    def comma(self) -> int:
        value = self.assign()
        while self.peek() == ",":
            self.i += 1
            value = self.assign()
        return value

    def assign(self) -> int:
        if (
            self.i + 1 < len(self.toks)
            and self.toks[self.i][0] == "name"
            and self.toks[self.i + 1][0] == "op"
            and self.toks[self.i + 1][1] in ("=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "|=", "^=", "**=")
        ):
            name = self.toks[self.i][1]
            op = self.toks[self.i + 1][1]
            self.i += 2
            rhs = self.assign()
            value = rhs if op == "=" else self.binop(op[:-1], self.var(name), rhs)
            self.cx.set_var(name, str(value))
            return value
        return self.ternary()

    def ternary(self) -> int:
        cond = self.binary(0)
        if self.peek() == "?":
            self.i += 1
            a = self.assign()
            if self.peek() != ":":
                raise self.error("syntax error in expression", self.rest())
            self.i += 1
            b = self.assign()
            return a if cond else b
        return cond

    def binary(self, level: int) -> int:
        if level >= len(_BINARY):
            return self.power()
        left = self.binary(level + 1)
        while self.peek() in _BINARY[level]:
            op = self.toks[self.i][1]
            self.i += 1
            if op in ("&&", "||"):
                right = self.binary(level + 1)
                left = int(bool(left) and bool(right)) if op == "&&" else int(bool(left) or bool(right))
            else:
                left = self.binop(op, left, self.binary(level + 1))
        return left

    def power(self) -> int:
        base = self.unary()
        if self.peek() == "**":
            self.i += 1
            exp = self.power()
            if exp < 0:
                raise self.error("exponent less than 0", str(exp))
            return self.binop("**", base, exp)
        return base

    def unary(self) -> int:
        op = self.peek()
        if op in ("-", "+", "!", "~"):
            self.i += 1
            v = self.unary()
            return {"-": _wrap(-v), "+": v, "!": int(not v), "~": _wrap(~v)}[op]
        if op in ("++", "--") and self.i + 1 < len(self.toks) and self.toks[self.i + 1][0] == "name":
            name = self.toks[self.i + 1][1]
            self.i += 2
            v = _wrap(self.var(name) + (1 if op == "++" else -1))
            self.cx.set_var(name, str(v))
            return v
        return self.postfix()

    def postfix(self) -> int:
        if self.i >= len(self.toks):
            last = self.toks[-1][1] if self.toks else ""
            raise self.error("syntax error: operand expected", last)
        kind, value, _ = self.toks[self.i]
        if kind == "num":
            self.i += 1
            return self.number(value)
        if kind == "name":
            self.i += 1
            if self.peek() in ("++", "--"):
                op = self.toks[self.i][1]
                self.i += 1
                old = self.var(value)
                self.cx.set_var(value, str(_wrap(old + (1 if op == "++" else -1))))
                return old
            return self.var(value)
        if value == "(":
            self.i += 1
            v = self.comma()
            if self.peek() != ")":
                raise self.error("syntax error: `)' expected", self.rest())
            self.i += 1
            return v
        raise self.error("syntax error: operand expected", self.rest())

    def number(self, text: str) -> int:
        try:
            if text.lower().startswith("0x"):
                return _wrap(int(text, 16))
            if "#" in text:
                base_text, digits = text.split("#", 1)
                return _wrap(int(digits, int(base_text)))
            if len(text) > 1 and text.startswith("0"):
                return _wrap(int(text, 8))
            return _wrap(int(text))
        except ValueError:
            raise self.error("value too great for base", text) from None

    def var(self, name: str) -> int:
        raw = (self.cx.get_var(name) or "").strip()
        if not raw:
            return 0
        if self.depth > 32:
            raise ExpansionError(f"{name}: expression recursion level exceeded")
        return _Arith(raw, self.cx, self.depth + 1).parse()

    def binop(self, op: str, a: int, b: int) -> int:
        if op in ("/", "%") and b == 0:
            raise self.error("division by 0", self.rest() or str(b))
        if op == "/":
            q = abs(a) // abs(b)
            return _wrap(q if (a >= 0) == (b >= 0) else -q)
        if op == "%":
            r = abs(a) % abs(b)
            return _wrap(r if a >= 0 else -r)
        if op == "**":
            if b > 4096:
                return _wrap(pow(a, b, 1 << 64))
            return _wrap(a**b)
        if op in ("<<", ">>"):
            b &= 63
            return _wrap(a << b) if op == "<<" else _wrap(a >> b)
        return _wrap(
            {
                "+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
                "&": lambda: a & b, "|": lambda: a | b, "^": lambda: a ^ b,
                "==": lambda: int(a == b), "!=": lambda: int(a != b), "<": lambda: int(a < b),
                ">": lambda: int(a > b), "<=": lambda: int(a <= b), ">=": lambda: int(a >= b),
            }[op]()
        )


def arith_eval(text: str, cx: Context, depth: int = 0) -> int:
    """Evaluate a ``$(( ))`` expression with bash's 64-bit integer rules."""
    return _Arith(text, cx, depth).parse()
