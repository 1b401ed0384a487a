"""Tokenizer for the shell language.

Words keep their quoting as a list of parts (literal text marked quoted or not,
parameter expansions, command substitutions, arithmetic), because what a
word expands to depends on it: ``$x`` is split into fields, ``"$x"`` is not,
``'$x'`` is not expanded at all. Nested ``$( ... )`` is found by lexing the
inner text with the same rules, so quotes and parentheses inside it are right.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BLANKS = " \t"
METACHARS = " \t\n|&;()<>"
SPECIAL_PARAMS = "?$!#@*-0123456789"

# Longest first: the lexer takes the first that matches.
OPERATORS = ("&&", "||", "|&", ";;", "&", "|", ";", "(", ")", "\n")
REDIRECTIONS = ("&>>", "<<<", "<<-", "&>", ">>", ">&", ">|", "<<", "<&", "<>", ">", "<")


class LexError(Exception):
    """Bad input. ``incomplete`` means more text could complete it (an open quote)."""

    def __init__(self, message: str, *, incomplete: bool = False, kind: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.incomplete = incomplete
        self.kind = kind  # "quote" for an unterminated quote (busybox words it differently)


@dataclass(slots=True)
class Lit:
    """Literal text; ``quoted`` when it came from quotes or a backslash escape."""

    text: str
    quoted: bool = False


@dataclass(slots=True)
class Param:
    """``$name`` / ``${name OP arg}``; ``op`` is "" for plain, "bad" for a bad substitution."""

    name: str
    quoted: bool = False
    op: str = ""
    arg: Word | None = None
    arg2: Word | None = None  # the replacement of ${x/pat/rep}
    raw: str = ""  # the source text, for error messages


@dataclass(slots=True)
class CmdSub:
    """``$(...)`` or backquotes. ``body`` is filled in by the parser."""

    source: str
    quoted: bool = False
    body: Any = None


@dataclass(slots=True)
class Arith:
    """``$(( expression ))``; the expression is expanded, then evaluated."""

    source: str
    quoted: bool = False


Part = Lit | Param | CmdSub | Arith


@dataclass(slots=True)
class Word:
    """A shell word: its parts and the source text it came from."""

    parts: list[Part] = field(default_factory=list)
    src: str = ""

    def literal(self) -> str | None:
        """The text when the word has only unquoted literal parts, else None."""
        if all(isinstance(p, Lit) and not p.quoted for p in self.parts):
            return "".join(p.text for p in self.parts)  # type: ignore[union-attr]
        return None

    def static_text(self) -> str | None:
        """The text after quote removal when there is nothing to expand, else None."""
        if all(isinstance(p, Lit) for p in self.parts):
            return "".join(p.text for p in self.parts)  # type: ignore[union-attr]
        return None


@dataclass(slots=True)
class Token:
    kind: str  # "word", "op", "redir", "eof"
    value: str = ""
    word: Word | None = None
    fd: int | None = None  # explicit descriptor of a redirection (``2>``)
    pos: int = 0


class Lexer:
    """Turns one command line (possibly several lines joined) into tokens."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.n = len(text)
        self.pos = 0

    # ---- tokens ---------------------------------------------------------
    def tokens(self) -> list[Token]:
        out: list[Token] = []
        while True:
            tok = self.next_token()
            out.append(tok)
            if tok.kind == "eof":
                return out

    def next_token(self) -> Token:
        s = self.s
        while self.pos < self.n:
            c = s[self.pos]
            if c in BLANKS:
                self.pos += 1
            elif c == "\\" and s.startswith("\\\n", self.pos):
                self.pos += 2
            elif c == "#":
                end = s.find("\n", self.pos)
                self.pos = self.n if end < 0 else end
            else:
                break
        start = self.pos
        if self.pos >= self.n:
            return Token("eof", pos=start)
        # "2>file", "10<&0": digits right before a redirection are its descriptor.
        j = self.pos
        while j < self.n and s[j].isdigit() and s[j].isascii():
            j += 1
        if j > self.pos and j < self.n and s[j] in "<>":
            fd_text = s[self.pos : j]
            self.pos = j
            op = self._match(REDIRECTIONS)
            assert op is not None
            fd = int(fd_text) if len(fd_text) < 6 else 99999
            return Token("redir", op, fd=fd, pos=start)
        op = self._match(REDIRECTIONS)
        if op is not None:
            return Token("redir", op, pos=start)
        op = self._match(OPERATORS)
        if op is not None:
            return Token("op", op, pos=start)
        word = self.read_word()
        return Token("word", word.src, word=word, pos=start)

    def _match(self, ops: tuple[str, ...]) -> str | None:
        for op in ops:
            if self.s.startswith(op, self.pos):
                self.pos += len(op)
                return op
        return None

    # ---- words ----------------------------------------------------------
    def read_word(self, stop: str = METACHARS) -> Word:
        """Read one word up to an unquoted character of ``stop``."""
        start = self.pos
        parts = self._read_parts(stop, quoted=False)
        return Word(_merge(parts), self.s[start : self.pos])

    def _read_parts(self, stop: str, *, quoted: bool) -> list[Part]:
        s = self.s
        parts: list[Part] = []
        lit: list[str] = []

        def flush() -> None:
            if lit:
                parts.append(Lit("".join(lit), quoted))
                lit.clear()

        while self.pos < self.n:
            c = s[self.pos]
            if c in stop:
                break
            if c == "\\":
                if self.pos + 1 >= self.n:
                    lit.append("\\")  # a trailing backslash stays (bash: `echo a\` prints a\)
                    self.pos += 1
                elif s[self.pos + 1] == "\n":
                    self.pos += 2
                else:
                    flush()
                    parts.append(Lit(s[self.pos + 1], True))
                    self.pos += 2
            elif c == "'":
                flush()
                parts.append(Lit(self._read_single(), True))
            elif c == '"':
                flush()
                parts.extend(self._read_double())
            elif c == "$" and not quoted and s.startswith('$"', self.pos):
                flush()  # $"..." (locale translation) is a plain double-quoted string here
                self.pos += 1
                parts.extend(self._read_double())
            elif c == "$":
                flush()
                parts.append(self._read_dollar(quoted=quoted))
            elif c == "`":
                flush()
                parts.append(self._read_backquote(quoted=quoted))
            else:
                lit.append(c)
                self.pos += 1
        flush()
        return parts

    def _read_single(self) -> str:
        end = self.s.find("'", self.pos + 1)
        if end < 0:
            self.pos = self.n
            raise LexError("unexpected EOF while looking for matching `''", incomplete=True, kind="quote")
        text = self.s[self.pos + 1 : end]
        self.pos = end + 1
        return text

    def _read_double(self) -> list[Part]:
        """Read ``"..."``; the result always has at least one part, so ``""`` is kept as an empty field."""
        s = self.s
        self.pos += 1
        parts: list[Part] = []
        lit: list[str] = []

        def flush() -> None:
            if lit:
                parts.append(Lit("".join(lit), True))
                lit.clear()

        while True:
            if self.pos >= self.n:
                raise LexError('unexpected EOF while looking for matching `"\'', incomplete=True, kind="quote")
            c = s[self.pos]
            if c == '"':
                self.pos += 1
                break
            if c == "\\" and self.pos + 1 < self.n and s[self.pos + 1] in '$`"\\\n':
                if s[self.pos + 1] != "\n":
                    lit.append(s[self.pos + 1])
                self.pos += 2
            elif c == "$":
                flush()
                parts.append(self._read_dollar(quoted=True))
            elif c == "`":
                flush()
                parts.append(self._read_backquote(quoted=True))
            else:
                lit.append(c)
                self.pos += 1
        flush()
        return parts or [Lit("", True)]

    def _read_backquote(self, *, quoted: bool) -> CmdSub:
        s = self.s
        self.pos += 1
        out: list[str] = []
        while True:
            if self.pos >= self.n:
                raise LexError("unexpected EOF while looking for matching ``'", incomplete=True, kind="quote")
            c = s[self.pos]
            if c == "`":
                self.pos += 1
                break
            if c == "\\" and self.pos + 1 < self.n and s[self.pos + 1] in "$`\\":
                out.append(s[self.pos + 1])
                self.pos += 2
            else:
                out.append(c)
                self.pos += 1
        return CmdSub("".join(out), quoted)

    def _read_dollar(self, *, quoted: bool) -> Part:
        s = self.s
        start = self.pos
        nxt = s[self.pos + 1] if self.pos + 1 < self.n else ""
        if nxt == "{":
            return self._read_braced(quoted)
        if nxt == "(":
            if s.startswith("((", self.pos + 1):
                return self._read_arith(quoted)
            return self._read_cmdsub(quoted)
        if nxt == "'" and not quoted:
            self.pos += 1
            return Lit(self._read_ansi_c(), True)
        if nxt and (nxt.isalpha() or nxt == "_") and nxt.isascii():
            j = self.pos + 1
            while j < self.n and (s[j].isalnum() or s[j] == "_") and s[j].isascii():
                j += 1
            name = s[self.pos + 1 : j]
            self.pos = j
            return Param(name, quoted, raw=s[start:j])
        if nxt and nxt in SPECIAL_PARAMS:
            self.pos += 2
            return Param(nxt, quoted, raw=s[start : self.pos])
        self.pos += 1
        return Lit("$", quoted)

    def _read_cmdsub(self, quoted: bool) -> CmdSub:
        self.pos += 2
        start = self.pos
        depth = 0
        while True:
            tok = self.next_token()
            if tok.kind == "eof":
                raise LexError("unexpected EOF while looking for matching `)'", incomplete=True)
            if tok.kind == "op" and tok.value == "(":
                depth += 1
            elif tok.kind == "op" and tok.value == ")":
                if depth == 0:
                    return CmdSub(self.s[start : tok.pos], quoted)
                depth -= 1

    def _read_arith(self, quoted: bool) -> Arith:
        s = self.s
        self.pos += 3
        start = self.pos
        depth = 0
        while self.pos < self.n:
            c = s[self.pos]
            if c == "(":
                depth += 1
            elif c == ")":
                if depth == 0:
                    if s.startswith("))", self.pos):
                        expr = s[start : self.pos]
                        self.pos += 2
                        return Arith(expr, quoted)
                    break
                depth -= 1
            self.pos += 1
        raise LexError("unexpected EOF while looking for matching `)'", incomplete=True)

    def _read_braced(self, quoted: bool) -> Param:
        s = self.s
        start = self.pos
        self.pos += 2
        length = False
        if self.pos < self.n and s[self.pos] == "#" and self.pos + 1 < self.n and s[self.pos + 1] != "}":
            length = True
            self.pos += 1
        j = self.pos
        if j < self.n and (s[j].isalpha() or s[j] == "_") and s[j].isascii():
            while j < self.n and (s[j].isalnum() or s[j] == "_") and s[j].isascii():
                j += 1
        elif j < self.n and s[j].isdigit():
            while j < self.n and s[j].isdigit():
                j += 1
        elif j < self.n and s[j] in "?$!#@*-":
            j += 1
        name = s[self.pos : j]
        self.pos = j
        if length:
            if not name or not s.startswith("}", self.pos):
                return self._bad_substitution(start, quoted)
            self.pos += 1
            return Param(name, quoted, op="#len", raw=s[start : self.pos])
        if not name:
            return self._bad_substitution(start, quoted)
        if s.startswith("}", self.pos):
            self.pos += 1
            return Param(name, quoted, raw=s[start : self.pos])
        for op in (":-", ":=", ":+", ":?", "-", "=", "+", "?", "##", "#", "%%", "%", "//", "/", ":"):
            if s.startswith(op, self.pos):
                break
        else:
            return self._bad_substitution(start, quoted)
        self.pos += len(op)
        arg2 = None
        if op in ("/", "//"):
            arg = self._param_arg("/}", quoted)
            if s.startswith("/", self.pos):
                self.pos += 1
                arg2 = self._param_arg("}", quoted)
        else:
            arg = self._param_arg("}", quoted)
        if not s.startswith("}", self.pos):
            raise LexError("unexpected EOF while looking for matching `}'", incomplete=True)
        self.pos += 1
        return Param(name, quoted, op=op, arg=arg, arg2=arg2, raw=s[start : self.pos])

    def _param_arg(self, stop: str, quoted: bool) -> Word:
        start = self.pos
        parts = self._read_parts(stop, quoted=quoted)
        return Word(_merge(parts), self.s[start : self.pos])

    def _bad_substitution(self, start: int, quoted: bool) -> Param:
        end = self.s.find("}", start)
        if end < 0:
            self.pos = self.n
            raise LexError("unexpected EOF while looking for matching `}'", incomplete=True)
        self.pos = end + 1
        return Param("", quoted, op="bad", raw=self.s[start : self.pos])

    def _read_ansi_c(self) -> str:
        """``$'...'``: C escapes, as bash does them."""
        s = self.s
        self.pos += 1
        out: list[str] = []
        while True:
            if self.pos >= self.n:
                raise LexError("unexpected EOF while looking for matching `''", incomplete=True, kind="quote")
            c = s[self.pos]
            if c == "'":
                self.pos += 1
                return "".join(out)
            if c == "\\" and self.pos + 1 < self.n:
                text, used = decode_escape(s, self.pos + 1, ansi_c=True)
                out.append(text)
                self.pos += 1 + used
            else:
                out.append(c)
                self.pos += 1


_SIMPLE_ESCAPES = {
    "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n",
    "r": "\r", "t": "\t", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?",
}


def decode_escape(s: str, i: int, *, ansi_c: bool) -> tuple[str, int]:
    """Decode the escape whose letter is at ``s[i]`` (after a backslash).

    Returns the text and how many characters after the backslash were used.
    ``ansi_c`` selects ``$'...'`` rules (``\\nnn`` octal) over ``echo -e`` rules
    (``\\0nnn``). ``\\c`` is returned as the marker "\\c" for echo to handle.
    """
    c = s[i]
    if c in _SIMPLE_ESCAPES and (ansi_c or c not in "'\"?"):
        return _SIMPLE_ESCAPES[c], 1
    if c in "xuU":
        width = {"x": 2, "u": 4, "U": 8}[c]
        j = i + 1
        while j < len(s) and j - i - 1 < width and s[j] in "0123456789abcdefABCDEF":
            j += 1
        if j == i + 1:
            return "\\" + c, 1
        value = int(s[i + 1 : j], 16)
        if c == "x":
            return chr(value), j - i
        try:
            return chr(value), j - i
        except (ValueError, OverflowError):
            return "\ufffd", j - i
    if c in "01234567" and (ansi_c or c == "0"):
        start = i + 1 if (not ansi_c and c == "0") else i
        j = start
        while j < len(s) and j - start < 3 and s[j] in "01234567":
            j += 1
        value = int(s[start:j], 8) if j > start else 0
        return chr(value & 0xFF), j - i
    if c == "c" and not ansi_c:
        return "\\c", 1
    return "\\" + c, 1


def _merge(parts: list[Part]) -> list[Part]:
    """Join neighbouring literal parts with the same quoting."""
    out: list[Part] = []
    for part in parts:
        if isinstance(part, Lit) and out and isinstance(out[-1], Lit) and out[-1].quoted == part.quoted:
            prev = out[-1]
            out[-1] = Lit(prev.text + part.text, prev.quoted)  # type: ignore[union-attr]
        else:
            out.append(part)
    return out


def tokenize(text: str) -> list[Token]:
    """All tokens of ``text`` (ends with an "eof" token). Raises :class:`LexError`."""
    return Lexer(text).tokens()


def lex_heredoc_body(text: str) -> Word:
    """A here-document body with expansions (quotes are plain characters there)."""
    lexer = Lexer(text)
    parts: list[Part] = []
    lit: list[str] = []
    s = text
    while lexer.pos < lexer.n:
        c = s[lexer.pos]
        if c == "\\" and lexer.pos + 1 < lexer.n and s[lexer.pos + 1] in "$`\\\n":
            if s[lexer.pos + 1] != "\n":
                lit.append(s[lexer.pos + 1])
            lexer.pos += 2
        elif c in "$`":
            if lit:
                parts.append(Lit("".join(lit), True))
                lit.clear()
            parts.append(lexer._read_dollar(quoted=True) if c == "$" else lexer._read_backquote(quoted=True))
        else:
            lit.append(c)
            lexer.pos += 1
    if lit:
        parts.append(Lit("".join(lit), True))
    return Word(parts or [Lit("", True)], text)
