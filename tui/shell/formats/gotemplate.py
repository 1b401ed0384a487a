"""Go `text/template` for `docker ... --format` / `-f`, with docker/cli's template functions.

Learners copy `--format` strings from blog posts and get them slightly wrong, so the
interpreter follows Go's lexer, parser and executor closely enough to give the same
output *and* the same error text (`template: :1:2: executing "" at <.Nope>: ...`).
Targets Go 1.18+ semantics (newlines inside actions, `{{break}}`/`{{continue}}`,
short-circuit `and`/`or`, `else with`); docker/cli's funcs come from cli/templates.

Data model: dict = Go map (field access by exact key, printed `map[k:v]` sorted),
list/tuple = slice, str, int, float (float64), bool, None = a nil interface value (what
a JSON `null` decodes to). `{{json}}` keeps a dict's insertion order (the daemon's struct
order); mark Go maps with `dockerjson.GoMap` to get sorted keys. `GoStruct` stands for a
Go struct: unknown fields are errors, callables are methods, and it may carry a
`String()` text and its own JSON form (e.g. a `time.Time`).

docker inspect runs the template on its typed struct and, when that fails, again on the
raw JSON with `missingkey=error`; callers emulate the second step with
`render(..., missingkey="error")`. Every docker template error reads
`template parsing error: <Go error>`, which is `str(TemplateError)`.
"""

from __future__ import annotations

import inspect
import math
import unicodedata
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from tui.shell.formats import dockerjson
from tui.shell.formats.tabwriter import MINWIDTH_2010, TabWriter

__all__ = [
    "GoStruct",
    "TemplateError",
    "execute",
    "format_rows",
    "go_quote",
    "go_sprint",
    "go_sprintf",
    "go_sprintln",
    "prepare_format",
    "render",
    "render_table",
    "table_format",
]

DOCKER_ERROR_PREFIX = "template parsing error: "
_MAX_EXEC_DEPTH_TEXT = 100000  # Go's limit, quoted in its message
_MAX_EXEC_DEPTH = 60  # ours: Python's stack is far smaller than Go's


class TemplateError(Exception):
    """A template that does not parse or fails to execute.

    `go_message` is Go's own error text (`template: :1: ...`); `str(err)` is what docker
    prints for it (`template parsing error: template: :1: ...`, for both kinds).
    `kind` is "parse" or "exec" (docker inspect exits 64 on the first, 1 on the second).
    """

    def __init__(self, go_message: str, kind: str = "exec") -> None:
        super().__init__(go_message)
        self.go_message = go_message
        self.kind = kind

    def __str__(self) -> str:
        return DOCKER_ERROR_PREFIX + self.go_message


@dataclass
class GoStruct:
    """A Go struct value: fixed fields, methods, optional `String()` and JSON form.

    Missing fields fail like Go (`can't evaluate field X in type <type_name>`), which is
    what docker's formatter contexts (`*formatter.networkContext`, ...) print.
    """

    type_name: str
    fields: dict[str, Any] = field(default_factory=dict)
    string: str | None = None
    json: Any = None

    def __go_json__(self) -> Any:
        if self.json is not None:
            return self.json
        return {k: v for k, v in self.fields.items() if not callable(v)}


class _Invalid:
    """Go's zero reflect.Value: a missing map key, a nil pipeline result."""

    def __repr__(self) -> str:
        return "<invalid>"


class _Missing:
    """Go's `missingVal`: no value is piped into this command."""


_INVALID = _Invalid()
_MISSING = _Missing()


# ---------------------------------------------------------------------------------------
# Go value helpers: type names, truth, fmt printing
# ---------------------------------------------------------------------------------------


def _type_name(v: Any) -> str:
    if v is _INVALID:
        return "<nil>"
    if v is None:
        return "interface {}"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, complex):
        return "complex128"
    if isinstance(v, str):
        return "string"
    if isinstance(v, GoStruct):
        return v.type_name
    if isinstance(v, dict):
        return getattr(v, "go_type", "map[string]interface {}")
    if isinstance(v, (list, tuple)):
        return getattr(v, "go_type", "[]interface {}")
    if callable(v):
        return "func(...interface {}) interface {}"
    return type(v).__name__


def _is_true(v: Any) -> bool:
    if v is _INVALID or v is None:
        return False
    if isinstance(v, (bool, int, float, complex)):
        return v != 0
    if isinstance(v, (str, dict, list, tuple)):
        return len(v) > 0
    return True


def _is_print(ch: str) -> bool:
    """Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols, ASCII space."""
    return ch == " " or unicodedata.category(ch)[0] in "LMNPS"


_SHORT_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def go_quote(s: str, ascii_only: bool = False) -> str:
    """Go's strconv.Quote (`ascii_only`: QuoteToASCII), as `%q` prints strings."""
    out = ['"']
    for ch in s:
        cp = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif _is_print(ch) and not (ascii_only and cp >= 0x80):
            out.append(ch)
        elif ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif cp < 0x20 or cp == 0x7F:
            out.append(f"\\x{cp:02x}")
        elif 0xD800 <= cp <= 0xDFFF:
            out.append("\\ufffd")
        elif cp < 0x10000:
            out.append(f"\\u{cp:04x}")
        else:
            out.append(f"\\U{cp:08x}")
    out.append('"')
    return "".join(out)


def _quote_rune(cp: int) -> str:
    if cp == ord("'"):
        return "'\\''"
    body = go_quote(chr(cp))[1:-1] if 0 <= cp <= 0x10FFFF else "\\ufffd"
    return "'" + body.replace('\\"', '"') + "'"


def _sharp_u(ch: str) -> str:
    """fmt's %#U: `U+007D '}'` (the character only when printable)."""
    text = f"U+{ord(ch):04X}"
    return f"{text} '{ch}'" if _is_print(ch) else text


@dataclass
class _Spec:
    minus: bool = False
    plus: bool = False
    sharp: bool = False
    space: bool = False
    zero: bool = False
    width: int | None = None
    prec: int | None = None


_PLAIN = _Spec()


def _pad(text: str, spec: _Spec) -> str:
    """Pad to the width in runes, as fmt does (zeros only when the 0 flag is set)."""
    if spec.width is None or spec.width <= len(text):
        return text
    n = spec.width - len(text)
    if spec.minus:
        return text + " " * n
    return ("0" if spec.zero else " ") * n + text


def _sign(neg: bool, spec: _Spec) -> str:
    if neg:
        return "-"
    return "+" if spec.plus else (" " if spec.space else "")


def _fmt_int(n: int, verb: str, spec: _Spec) -> str | None:
    if verb in "vd":
        digits = str(abs(n))
    elif verb in "xX":
        digits = format(abs(n), "x" if verb == "x" else "X")
    elif verb in "oO":
        digits = format(abs(n), "o")
    elif verb == "b":
        digits = format(abs(n), "b")
    elif verb == "c":
        return _pad(chr(n) if 0 <= n <= 0x10FFFF else "\ufffd", spec)
    elif verb == "q":
        return _pad(_quote_rune(n), spec)
    elif verb == "U":
        text = f"U+{n:04X}" if n >= 0 else f"U+{n & 0xFFFFFFFFFFFFFFFF:X}"
        if spec.sharp and 0 <= n <= 0x10FFFF and _is_print(chr(n)):
            text += f" '{chr(n)}'"
        return _pad(text, spec)
    else:
        return None
    if spec.prec is not None:
        digits = digits.zfill(spec.prec) if spec.prec > 0 or n != 0 else ""
    prefix = ""
    if verb == "O":
        prefix = "0o"
    elif spec.sharp:
        prefix = {"x": "0x", "X": "0X", "o": "0" if not digits.startswith("0") else "", "b": "0b"}.get(verb, "")
    text = _sign(n < 0, spec) + prefix + digits
    if spec.zero and spec.prec is None and not spec.minus and spec.width:
        head = _sign(n < 0, spec) + prefix
        return head + digits.rjust(spec.width - len(head), "0")
    return _pad(text, spec)


def _fmt_float(f: float, verb: str, spec: _Spec) -> str | None:
    if verb not in "veEfFgG":
        return None
    if f != f or f in (float("inf"), float("-inf")):
        # Infinities keep their sign; NaN gets one only when asked. Never zero padded.
        if f != f:
            text = "+NaN" if spec.plus else (" NaN" if spec.space else "NaN")
        else:
            text = "-Inf" if f < 0 else "+Inf"
        return _pad(text, _Spec(minus=spec.minus, width=spec.width))
    neg = f < 0 or (f == 0 and str(f).startswith("-"))
    a = abs(f)
    if verb in "vgG" and spec.prec is None:
        body = dockerjson.go_float_text(a)
        if verb == "G":
            body = body.upper()
    elif verb in "gG":
        body = f"{a:.{spec.prec}g}"
        body = body.upper() if verb == "G" else body
    elif verb in "eE":
        body = f"{a:.{6 if spec.prec is None else spec.prec}e}"
        body = body.upper() if verb == "E" else body
    else:
        body = f"{a:.{6 if spec.prec is None else spec.prec}f}"
    text = _sign(neg, spec) + body
    if spec.zero and not spec.minus and spec.width and spec.width > len(text):
        head = _sign(neg, spec)
        return head + body.rjust(spec.width - len(head), "0")
    return _pad(text, spec)


def _fmt_string(s: str, verb: str, spec: _Spec) -> str | None:
    if verb in "vs":
        if spec.prec is not None:
            s = s[: spec.prec]
        return _pad(s, spec)
    if verb == "q":
        if spec.sharp and "`" not in s and all(_is_print(c) or c == "\t" for c in s):
            return _pad("`" + s + "`", spec)
        return _pad(go_quote(s, ascii_only=spec.plus), spec)
    if verb in "xX":
        data = s.encode("utf-8", "surrogatepass")
        if spec.prec is not None:
            data = data[: spec.prec]
        hexes = [format(b, "02x" if verb == "x" else "02X") for b in data]
        pre = ("0x" if verb == "x" else "0X") if spec.sharp else ""
        sep = " " if spec.space else ""
        text = sep.join(pre + h for h in hexes) if spec.space else pre + "".join(hexes)
        return _pad(text, spec)
    return None


def _bad_verb(v: Any, verb: str) -> str:
    if v is None or v is _INVALID:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({_type_name(v)}={_fmt(v, 'v', _PLAIN)})"


def _sorted_items(d: dict) -> list[tuple[Any, Any]]:
    def key(kv: tuple[Any, Any]) -> tuple[int, Any]:
        k = kv[0]
        if isinstance(k, str):
            return (2, k.encode("utf-8", "surrogatepass"))
        if isinstance(k, bool):
            return (0, int(k))
        if isinstance(k, (int, float)):
            return (1, k)
        return (3, repr(k))

    return sorted(d.items(), key=key)


def _fmt(v: Any, verb: str, spec: _Spec) -> str:
    """One operand as fmt prints it with `verb` (applied element-wise inside containers)."""
    if v is None or v is _INVALID:
        return _pad("<nil>", spec) if verb in "vT" else _bad_verb(v, verb)
    if verb == "T":
        return _pad(_type_name(v), spec)
    if isinstance(v, bool):
        return _pad("true" if v else "false", spec) if verb in "vt" else _bad_verb(v, verb)
    if isinstance(v, int):
        out = _fmt_int(v, verb, spec)
    elif isinstance(v, float):
        out = _fmt_float(v, verb, spec)
    elif isinstance(v, complex):
        re = _fmt_float(v.real, verb, spec)
        im = _fmt_float(v.imag, verb, _Spec(plus=True, prec=spec.prec))
        out = None if re is None or im is None else f"({re}{im}i)"
    elif isinstance(v, str):
        out = _fmt_string(v, verb, spec)
    elif isinstance(v, GoStruct):
        if v.string is not None and verb in "vsxXq":
            out = _fmt_string(v.string, verb, spec)
        else:
            vals = [_fmt(x, verb, spec) for x in v.fields.values() if not callable(x)]
            out = "{" + " ".join(vals) + "}"
    elif isinstance(v, dict):
        pairs = [f"{_fmt(k, verb, spec)}:{_fmt(x, verb, spec)}" for k, x in _sorted_items(v)]
        out = "map[" + " ".join(pairs) + "]"
    elif isinstance(v, (list, tuple)):
        out = "[" + " ".join(_fmt(x, verb, spec) for x in v) + "]"
    elif callable(v):
        out = "0xc000010000" if verb in "vp" else None
    else:
        out = _fmt_string(str(v), verb, spec)
    return out if out is not None else _bad_verb(v, verb)


def _fmt_v(v: Any) -> str:
    return _fmt(v, "v", _PLAIN)


def go_sprint(*args: Any) -> str:
    """fmt.Sprint: a space between operands when neither side is a string."""
    out: list[str] = []
    prev_string = False
    for i, a in enumerate(args):
        is_string = isinstance(a, str)
        if i > 0 and not is_string and not prev_string:
            out.append(" ")
        out.append(_fmt_v(a))
        prev_string = is_string
    return "".join(out)


def go_sprintln(*args: Any) -> str:
    """fmt.Sprintln: operands always separated by a space, newline appended."""
    return " ".join(_fmt_v(a) for a in args) + "\n"


def go_sprintf(fmt: str, *args: Any) -> str:
    """fmt.Sprintf for the common verbs (v s d q t x X o b c U e E f F g G T), flags,
    width and precision, with Go's `%!verb(...)`, `%!v(MISSING)`, `%!(EXTRA ...)` marks."""
    out: list[str] = []
    n = len(fmt)
    i = 0
    argi = 0
    while i < n:
        j = fmt.find("%", i)
        if j < 0:
            out.append(fmt[i:])
            break
        out.append(fmt[i:j])
        i = j + 1
        spec = _Spec()
        while i < n and fmt[i] in "+-# 0":
            c = fmt[i]
            if c == "+":
                spec.plus = True
            elif c == "-":
                spec.minus = True
                spec.zero = False
            elif c == "#":
                spec.sharp = True
            elif c == " ":
                spec.space = True
            elif not spec.minus:
                spec.zero = True
            i += 1
        if i < n and fmt[i] == "*":
            i += 1
            if argi < len(args) and isinstance(args[argi], int) and not isinstance(args[argi], bool):
                spec.width = args[argi]
                if spec.width < 0:
                    spec.minus, spec.zero, spec.width = True, False, -spec.width
            else:
                out.append("%!(BADWIDTH)")
            argi += 1
        else:
            start = i
            while i < n and fmt[i].isdigit() and fmt[i].isascii():
                i += 1
            if i > start:
                spec.width = int(fmt[start:i])
        if i < n and fmt[i] == ".":
            i += 1
            if i < n and fmt[i] == "*":
                i += 1
                if argi < len(args) and isinstance(args[argi], int) and not isinstance(args[argi], bool):
                    spec.prec = args[argi] if args[argi] >= 0 else None
                else:
                    out.append("%!(BADPREC)")
                argi += 1
            else:
                start = i
                while i < n and fmt[i].isdigit() and fmt[i].isascii():
                    i += 1
                spec.prec = int(fmt[start:i]) if i > start else 0
        if i >= n:
            out.append("%!(NOVERB)")
            break
        verb = fmt[i]
        i += 1
        if verb == "%":
            out.append("%")
            continue
        if argi >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        out.append(_fmt(args[argi], verb, spec))
        argi += 1
    if argi < len(args):
        extra = ", ".join(
            "<nil>" if a is None else f"{_type_name(a)}={_fmt_v(a)}" for a in args[argi:]
        )
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


# ---------------------------------------------------------------------------------------
# Lexer (text/template/parse/lex.go)
# ---------------------------------------------------------------------------------------

(
    T_ERROR, T_BOOL, T_CHAR, T_CHARCONST, T_COMPLEX, T_ASSIGN, T_DECLARE, T_EOF, T_FIELD,
    T_IDENT, T_LDELIM, T_LPAREN, T_NUMBER, T_PIPE, T_RAWSTRING, T_RDELIM, T_RPAREN,
    T_SPACE, T_STRING, T_TEXT, T_VARIABLE,
    T_KEYWORD,  # keywords follow
    T_BLOCK, T_BREAK, T_CONTINUE, T_DOT, T_DEFINE, T_ELSE, T_END, T_IF, T_NIL, T_RANGE,
    T_TEMPLATE, T_WITH,
) = range(34)  # fmt: skip

_KEYWORDS = {
    ".": T_DOT, "block": T_BLOCK, "break": T_BREAK, "continue": T_CONTINUE,
    "define": T_DEFINE, "else": T_ELSE, "end": T_END, "if": T_IF, "range": T_RANGE,
    "nil": T_NIL, "template": T_TEMPLATE, "with": T_WITH,
}  # fmt: skip

_SPACE_CHARS = " \t\r\n"
_LEFT, _RIGHT = "{{", "}}"


@dataclass
class _Item:
    typ: int
    val: str
    pos: int  # character index into the template text
    line: int

    def __str__(self) -> str:
        if self.typ == T_EOF:
            return "EOF"
        if self.typ == T_ERROR:
            return self.val
        if self.typ > T_KEYWORD:
            return f"<{self.val}>"
        if len(self.val.encode("utf-8", "surrogatepass")) > 10:
            return go_quote(self.val[:10]) + "..."
        return go_quote(self.val)


def _is_alnum(ch: str) -> bool:
    return ch == "_" or ch.isalpha() or ch.isdecimal()


class _Lexer:
    """Turns template text into items; stops after the first error item."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.start = 0
        self.paren_depth = 0
        self.items: list[_Item] = []

    def run(self) -> list[_Item]:
        state: Callable[[], Any] | None = self.lex_text
        while state is not None:
            state = state()
        return self.items

    # helpers
    def line_at(self, pos: int) -> int:
        return 1 + self.text.count("\n", 0, pos)

    def next(self) -> str:
        if self.pos >= len(self.text):
            return ""  # EOF: nothing consumed (only called before backup() on non-EOF)
        ch = self.text[self.pos]
        self.pos += 1
        return ch

    def backup(self) -> None:
        self.pos -= 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def emit(self, typ: int) -> None:
        self.items.append(_Item(typ, self.text[self.start : self.pos], self.start, self.line_at(self.start)))
        self.start = self.pos

    def ignore(self) -> None:
        self.start = self.pos

    def errorf(self, msg: str) -> None:
        self.items.append(_Item(T_ERROR, msg, self.start, self.line_at(self.start)))
        return None

    def accept(self, valid: str) -> bool:
        ch = self.peek()
        if ch and ch in valid:
            self.pos += 1
            return True
        return False

    def accept_run(self, valid: str) -> None:
        while self.accept(valid):
            pass

    def at_right_delim(self) -> tuple[bool, bool]:
        rest = self.text[self.pos :]
        if len(rest) >= 2 and rest[0] in _SPACE_CHARS and rest[1] == "-" and rest[2:].startswith(_RIGHT):
            return True, True
        return rest.startswith(_RIGHT), False

    def at_terminator(self) -> bool:
        ch = self.peek()
        # The current Go lexer accepts the first rune of the right delimiter, so `{{.X}`
        # lexes `.X` and then fails at the lone `}`.
        return ch == "" or ch in _SPACE_CHARS or ch in ".,|:)(" or ch == _RIGHT[0]

    # states
    def lex_text(self) -> Any:
        x = self.text.find(_LEFT, self.pos)
        if x < 0:
            self.pos = len(self.text)
            if self.pos > self.start:
                self.emit(T_TEXT)
            self.emit(T_EOF)
            return None
        if x > self.pos:
            self.pos = x
            trim = 0
            after = self.text[x + len(_LEFT) :]
            if len(after) >= 2 and after[0] == "-" and after[1] in _SPACE_CHARS:
                chunk = self.text[self.start : self.pos]
                trim = len(chunk) - len(chunk.rstrip(_SPACE_CHARS))
            if self.pos - trim > self.start:
                self.items.append(
                    _Item(T_TEXT, self.text[self.start : self.pos - trim], self.start, self.line_at(self.start))
                )
            self.ignore()
        return self.lex_left_delim

    def lex_left_delim(self) -> Any:
        self.pos += len(_LEFT)
        rest = self.text[self.pos :]
        trim = len(rest) >= 2 and rest[0] == "-" and rest[1] in _SPACE_CHARS
        after_marker = 2 if trim else 0
        if self.text.startswith("/*", self.pos + after_marker):
            self.pos += after_marker
            self.ignore()
            return self.lex_comment
        self.emit(T_LDELIM)
        self.pos += after_marker
        self.ignore()
        self.paren_depth = 0
        return self.lex_inside_action

    def lex_comment(self) -> Any:
        self.pos += 2
        x = self.text.find("*/", self.pos)
        if x < 0:
            return self.errorf("unclosed comment")
        self.pos = x + 2
        delim, trim = self.at_right_delim()
        if not delim:
            return self.errorf("comment ends before closing delimiter")
        if trim:
            self.pos += 2
        self.pos += len(_RIGHT)
        if trim:
            rest = self.text[self.pos :]
            self.pos += len(rest) - len(rest.lstrip(_SPACE_CHARS))
        self.ignore()
        return self.lex_text

    def lex_right_delim(self) -> Any:
        _, trim = self.at_right_delim()
        if trim:
            self.pos += 2
            self.ignore()
        self.pos += len(_RIGHT)
        self.emit(T_RDELIM)
        if trim:
            rest = self.text[self.pos :]
            self.pos += len(rest) - len(rest.lstrip(_SPACE_CHARS))
            self.ignore()
        return self.lex_text

    def lex_inside_action(self) -> Any:
        delim, _ = self.at_right_delim()
        if delim:
            if self.paren_depth == 0:
                return self.lex_right_delim
            return self.errorf("unclosed left paren")
        ch = self.next()
        if ch == "":
            return self.errorf("unclosed action")
        if ch in _SPACE_CHARS:
            self.backup()
            return self.lex_space
        if ch == "=":
            self.emit(T_ASSIGN)
        elif ch == ":":
            if self.next() != "=":
                return self.errorf("expected :=")
            self.emit(T_DECLARE)
        elif ch == "|":
            self.emit(T_PIPE)
        elif ch == '"':
            return self.lex_quote
        elif ch == "`":
            return self.lex_raw_quote
        elif ch == "$":
            return self.lex_variable
        elif ch == "'":
            return self.lex_char
        elif ch == "." and self.peek() != "" and not ("0" <= self.peek() <= "9"):
            return self.lex_field
        elif ch in "+-." or "0" <= ch <= "9":
            self.backup()
            return self.lex_number
        elif _is_alnum(ch):
            self.backup()
            return self.lex_identifier
        elif ch == "(":
            self.emit(T_LPAREN)
            self.paren_depth += 1
        elif ch == ")":
            self.emit(T_RPAREN)
            self.paren_depth -= 1
            if self.paren_depth < 0:
                return self.errorf("unexpected right paren")
        elif "\x20" <= ch <= "\x7e":
            self.emit(T_CHAR)
        else:
            return self.errorf(f"unrecognized character in action: {_sharp_u(ch)}")
        return self.lex_inside_action

    def lex_space(self) -> Any:
        spaces = 0
        while self.peek() and self.peek() in _SPACE_CHARS:
            self.pos += 1
            spaces += 1
        if self.text.startswith("-" + _RIGHT, self.pos):
            self.pos -= 1  # that space belongs to the " -}}" trim marker
            if spaces == 1:
                return self.lex_right_delim
        self.emit(T_SPACE)
        return self.lex_inside_action

    def lex_identifier(self) -> Any:
        while _is_alnum(self.peek()):
            self.pos += 1
        word = self.text[self.start : self.pos]
        if not self.at_terminator():
            return self.errorf(f"bad character {_sharp_u(self.peek())}")
        if word in _KEYWORDS and _KEYWORDS[word] > T_KEYWORD:
            self.emit(_KEYWORDS[word])
        elif word in ("true", "false"):
            self.emit(T_BOOL)
        else:
            self.emit(T_IDENT)
        return self.lex_inside_action

    def lex_field(self) -> Any:
        return self.lex_field_or_variable(T_FIELD)

    def lex_variable(self) -> Any:
        if self.at_terminator():
            self.emit(T_VARIABLE)
            return self.lex_inside_action
        return self.lex_field_or_variable(T_VARIABLE)

    def lex_field_or_variable(self, typ: int) -> Any:
        if self.at_terminator():
            self.emit(T_VARIABLE if typ == T_VARIABLE else T_DOT)
            return self.lex_inside_action
        while _is_alnum(self.peek()):
            self.pos += 1
        if not self.at_terminator():
            return self.errorf(f"bad character {_sharp_u(self.peek())}")
        self.emit(typ)
        return self.lex_inside_action

    def lex_char(self) -> Any:
        return self._lex_quoted("'", T_CHARCONST, "unterminated character constant")

    def scan_number(self) -> bool:
        self.accept("+-")
        digits = "0123456789_"
        if self.accept("0"):
            if self.accept("xX"):
                digits = "0123456789abcdefABCDEF_"
            elif self.accept("oO"):
                digits = "01234567_"
            elif self.accept("bB"):
                digits = "01_"
        self.accept_run(digits)
        if self.accept("."):
            self.accept_run(digits)
        if len(digits) == 11 and self.accept("eE"):
            self.accept("+-")
            self.accept_run("0123456789_")
        if len(digits) == 23 and self.accept("pP"):
            self.accept("+-")
            self.accept_run("0123456789_")
        self.accept("i")
        if _is_alnum(self.peek()):
            self.pos += 1
            return False
        return True

    def lex_number(self) -> Any:
        if not self.scan_number():
            return self.errorf(f"bad number syntax: {go_quote(self.text[self.start : self.pos])}")
        if self.peek() in ("+", "-"):
            if not self.scan_number() or self.text[self.pos - 1] != "i":
                return self.errorf(f"bad number syntax: {go_quote(self.text[self.start : self.pos])}")
            self.emit(T_COMPLEX)
        else:
            self.emit(T_NUMBER)
        return self.lex_inside_action

    def lex_quote(self) -> Any:
        return self._lex_quoted('"', T_STRING, "unterminated quoted string")

    def _lex_quoted(self, close: str, typ: Any, unterminated: str) -> Any:
        """The rest of a '...' or "..." literal (Go's lexChar and lexQuote): escapes skip a character,
        a newline or the end of the text before ``close`` is an error."""
        while True:
            ch = self.next()
            if ch == "\\":
                nxt = self.next()
                if nxt not in ("", "\n"):
                    continue
                return self.errorf(unterminated)
            if ch in ("", "\n"):
                return self.errorf(unterminated)
            if ch == close:
                break
        self.emit(typ)
        return self.lex_inside_action

    def lex_raw_quote(self) -> Any:
        x = self.text.find("`", self.pos)
        if x < 0:
            return self.errorf("unterminated raw quoted string")
        self.pos = x + 1
        self.emit(T_RAWSTRING)
        return self.lex_inside_action


# ---------------------------------------------------------------------------------------
# Go literal decoding (strconv.Unquote, ParseInt/ParseFloat with base prefixes)
# ---------------------------------------------------------------------------------------


class _SyntaxError(Exception):
    pass


def _unquote_char(s: str, i: int, quote: str) -> tuple[int, int]:
    """Decode one (possibly escaped) character at s[i]; return (code point, next index)."""
    ch = s[i]
    if ch == quote and quote in "'\"":
        raise _SyntaxError
    if ch != "\\":
        return ord(ch), i + 1
    if i + 1 >= len(s):
        raise _SyntaxError
    c = s[i + 1]
    simple = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92}
    if c in simple:
        return simple[c], i + 2
    if c in "'\"":
        if c != quote:
            raise _SyntaxError
        return ord(c), i + 2
    if c in "xuU":
        n = {"x": 2, "u": 4, "U": 8}[c]
        digits = s[i + 2 : i + 2 + n]
        if len(digits) != n or any(d not in "0123456789abcdefABCDEF" for d in digits):
            raise _SyntaxError
        v = int(digits, 16)
        if c != "x" and (v > 0x10FFFF or 0xD800 <= v <= 0xDFFF):
            raise _SyntaxError
        return v, i + 2 + n
    if c in "01234567":
        digits = s[i + 1 : i + 4]
        if len(digits) != 3 or any(d not in "01234567" for d in digits):
            raise _SyntaxError
        v = int(digits, 8)
        if v > 255:
            raise _SyntaxError
        return v, i + 4
    raise _SyntaxError


def _go_unquote(lit: str) -> str:
    """strconv.Unquote for "..." and `...` literals; raises _SyntaxError."""
    if len(lit) < 2 or lit[0] != lit[-1]:
        raise _SyntaxError
    q, body = lit[0], lit[1:-1]
    if q == "`":
        if "`" in body:
            raise _SyntaxError
        return body.replace("\r", "")
    if q != '"' or "\n" in body:
        raise _SyntaxError
    out: list[str] = []
    raw_bytes = bytearray()
    i = 0
    while i < len(body):
        is_x = body[i] == "\\" and i + 1 < len(body) and (body[i + 1] == "x" or body[i + 1] in "01234567")
        cp, i = _unquote_char(body, i, q)
        if is_x:
            raw_bytes.append(cp)
            continue
        if raw_bytes:
            out.append(raw_bytes.decode("utf-8", "replace"))
            raw_bytes = bytearray()
        out.append(chr(cp))
    if raw_bytes:
        out.append(raw_bytes.decode("utf-8", "replace"))
    return "".join(out)


def _underscore_ok(s: str) -> bool:
    """Go's rule: underscores only between digits, or right after a base prefix."""
    if s[:1] in "+-":
        s = s[1:]
    saw = "^"
    i = 0
    hexa = len(s) >= 2 and s[0] == "0" and s[1] in "xX"
    if len(s) >= 2 and s[0] == "0" and s[1] in "xXbBoO":
        i, saw = 2, "0"
    for c in s[i:]:
        if "0" <= c <= "9" or (hexa and c in "abcdefABCDEF"):
            saw = "0"
        elif c == "_":
            if saw != "0":
                return False
            saw = "_"
        else:
            if saw == "_":
                return False
            saw = "!"
    return saw != "_"


def _parse_go_int(text: str) -> int | None:
    """strconv.ParseInt(text, 0, 64)-style parse (base prefixes, underscores)."""
    if not text or not _underscore_ok(text):
        return None
    s = text.replace("_", "")
    neg = s[:1] == "-"
    if s[:1] in "+-":
        s = s[1:]
    base, body = 10, s
    if s[:2] in ("0x", "0X"):
        base, body = 16, s[2:]
    elif s[:2] in ("0o", "0O"):
        base, body = 8, s[2:]
    elif s[:2] in ("0b", "0B"):
        base, body = 2, s[2:]
    elif len(s) > 1 and s[0] == "0":
        base, body = 8, s[1:]
    if not body or not body.isascii() or not body.isalnum():
        return None
    try:
        v = int(body, base)
    except ValueError:
        return None
    return -v if neg else v


def _parse_go_float(text: str) -> float | None:
    if not text or not _underscore_ok(text):
        return None
    s = text.replace("_", "")
    try:
        if s.lower().lstrip("+-").startswith("0x"):
            sign = -1.0 if s.startswith("-") else 1.0
            return sign * float.fromhex(s.lstrip("+-"))
        if s.lower().lstrip("+-") in ("inf", "infinity", "nan"):
            return None
        return float(s)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------
# Parse tree (text/template/parse/node.go)
# ---------------------------------------------------------------------------------------

_INT64_MIN, _INT64_MAX, _UINT64_MAX = -(1 << 63), (1 << 63) - 1, (1 << 64) - 1


class _Node:
    pos: int  # character index of the node's first token, for error locations

    def __str__(self) -> str:  # pragma: no cover - every node overrides
        return ""


@dataclass(eq=False)
class _Text(_Node):
    pos: int
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(eq=False)
class _Dot(_Node):
    pos: int

    def __str__(self) -> str:
        return "."


@dataclass(eq=False)
class _Nil(_Node):
    pos: int

    def __str__(self) -> str:
        return "nil"


@dataclass(eq=False)
class _Bool(_Node):
    pos: int
    value: bool

    def __str__(self) -> str:
        return "true" if self.value else "false"


@dataclass(eq=False)
class _String(_Node):
    pos: int
    quoted: str
    text: str

    def __str__(self) -> str:
        return self.quoted


@dataclass(eq=False)
class _Number(_Node):
    pos: int
    text: str
    is_int: bool = False
    is_uint: bool = False
    is_float: bool = False
    is_complex: bool = False
    int_val: int = 0
    float_val: float = 0.0
    complex_val: complex = 0j

    def __str__(self) -> str:
        return self.text


@dataclass(eq=False)
class _Field(_Node):
    pos: int
    ident: list[str]

    def __str__(self) -> str:
        return "".join("." + i for i in self.ident)


@dataclass(eq=False)
class _Variable(_Node):
    pos: int
    ident: list[str]

    def __str__(self) -> str:
        return ".".join(self.ident)


@dataclass(eq=False)
class _Identifier(_Node):
    pos: int
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(eq=False)
class _Command(_Node):
    pos: int
    args: list[_Node] = field(default_factory=list)

    def __str__(self) -> str:
        return " ".join(f"({a})" if isinstance(a, _Pipe) else str(a) for a in self.args)


@dataclass(eq=False)
class _Pipe(_Node):
    pos: int
    line: int
    decl: list[_Variable] = field(default_factory=list)
    is_assign: bool = False
    cmds: list[_Command] = field(default_factory=list)

    def __str__(self) -> str:
        head = ""
        if self.decl:
            head = ", ".join(str(v) for v in self.decl) + (" = " if self.is_assign else " := ")
        return head + " | ".join(str(c) for c in self.cmds)


@dataclass(eq=False)
class _Chain(_Node):
    pos: int
    node: _Node
    fields: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        base = f"({self.node})" if isinstance(self.node, _Pipe) else str(self.node)
        return base + "".join("." + f for f in self.fields)


@dataclass(eq=False)
class _List(_Node):
    pos: int
    nodes: list[_Node] = field(default_factory=list)

    def __str__(self) -> str:
        return "".join(str(n) for n in self.nodes)


@dataclass(eq=False)
class _Action(_Node):
    pos: int
    line: int
    pipe: _Pipe

    def __str__(self) -> str:
        return "{{" + str(self.pipe) + "}}"


@dataclass(eq=False)
class _Branch(_Node):
    kind: str  # "if", "range", "with"
    pos: int
    line: int
    pipe: _Pipe
    body: _List
    else_body: _List | None

    def __str__(self) -> str:
        text = "{{" + self.kind + " " + str(self.pipe) + "}}" + str(self.body)
        if self.else_body is not None:
            text += "{{else}}" + str(self.else_body)
        return text + "{{end}}"


@dataclass(eq=False)
class _Marker(_Node):
    """{{end}}, {{else}}, {{break}}, {{continue}}: only the keyword matters."""

    kind: str
    pos: int

    def __str__(self) -> str:
        return "{{" + self.kind + "}}"


@dataclass(eq=False)
class _TemplateCall(_Node):
    pos: int
    line: int
    name: str
    pipe: _Pipe | None

    def __str__(self) -> str:
        if self.pipe is None:
            return "{{template " + go_quote(self.name) + "}}"
        return "{{template " + go_quote(self.name) + " " + str(self.pipe) + "}}"


# ---------------------------------------------------------------------------------------
# Parser (text/template/parse/parse.go)
# ---------------------------------------------------------------------------------------

_BUILTIN_NAMES = frozenset(
    ["and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf",
     "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne"]
)  # fmt: skip
_DOCKER_NAMES = frozenset(["json", "split", "join", "title", "lower", "upper", "pad", "truncate"])
_FUNC_NAMES = _BUILTIN_NAMES | _DOCKER_NAMES


class _ParseError(Exception):
    pass


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.items = _Lexer(text).run()
        self.next_index = 0
        self.token: list[_Item] = [self.items[0]] * 3
        self.peek_count = 0
        self.vars: list[str] = ["$"]
        self.trees: dict[str, _List] = {}
        self.range_depth = 0
        self.action_line = 0

    # token stream with Go's three-token lookahead
    def _lex(self) -> _Item:
        item = self.items[min(self.next_index, len(self.items) - 1)]
        self.next_index += 1
        return item

    def next(self) -> _Item:
        if self.peek_count > 0:
            self.peek_count -= 1
        else:
            self.token[0] = self._lex()
        return self.token[self.peek_count]

    def backup(self) -> None:
        self.peek_count += 1

    def backup2(self, t1: _Item) -> None:
        self.token[1] = t1
        self.peek_count = 2

    def backup3(self, t2: _Item, t1: _Item) -> None:
        self.token[1] = t1
        self.token[2] = t2
        self.peek_count = 3

    def peek(self) -> _Item:
        if self.peek_count > 0:
            return self.token[self.peek_count - 1]
        self.peek_count = 1
        self.token[0] = self._lex()
        return self.token[0]

    def next_non_space(self) -> _Item:
        while True:
            tok = self.next()
            if tok.typ != T_SPACE:
                return tok

    def peek_non_space(self) -> _Item:
        tok = self.next_non_space()
        self.backup()
        return tok

    # errors
    def errorf(self, msg: str) -> None:
        raise _ParseError(f"template: :{self.token[0].line}: {msg}")

    def unexpected(self, tok: _Item, context: str) -> None:
        if tok.typ == T_ERROR:
            extra = ""
            if self.action_line != 0 and self.action_line != tok.line:
                extra = f" in action started at :{self.action_line}"
                if tok.val.endswith(" action"):
                    extra = extra[len(" in action") :]
            self.errorf(f"{tok}{extra}")
        self.errorf(f"unexpected {tok} in {context}")

    def expect(self, typ: int, context: str) -> _Item:
        tok = self.next_non_space()
        if tok.typ != typ:
            self.unexpected(tok, context)
        return tok

    # grammar
    def parse(self) -> dict[str, _List]:
        root = _List(self.peek().pos)
        while self.peek().typ != T_EOF:
            if self.peek().typ == T_LDELIM:
                delim = self.next()
                if self.next_non_space().typ == T_DEFINE:
                    self.parse_definition()
                    continue
                self.backup2(delim)
            n = self.text_or_action()
            if isinstance(n, _Marker) and n.kind in ("end", "else"):
                self.errorf(f"unexpected {n}")
            root.nodes.append(n)
        self.add("", root)
        return self.trees

    def add(self, name: str, root: _List) -> None:
        existing = self.trees.get(name)
        if existing is None or _is_empty_tree(existing):
            self.trees[name] = root
        elif not _is_empty_tree(root):
            self.errorf(f"template: multiple definition of template {go_quote(name)}")

    def parse_definition(self) -> None:
        context = "define clause"
        saved_vars = self.vars
        self.vars = ["$"]
        tok = self.next_non_space()
        if tok.typ not in (T_STRING, T_RAWSTRING):
            self.unexpected(tok, context)
        try:
            name = _go_unquote(tok.val)
        except _SyntaxError:
            self.errorf("invalid syntax")
        self.expect(T_RDELIM, context)
        body, end = self.item_list()
        if not (isinstance(end, _Marker) and end.kind == "end"):
            self.errorf(f"unexpected {end} in {context}")
        self.add(name, body)
        self.vars = saved_vars

    def item_list(self) -> tuple[_List, _Node]:
        lst = _List(self.peek_non_space().pos)
        while self.peek_non_space().typ != T_EOF:
            n = self.text_or_action()
            if isinstance(n, _Marker) and n.kind in ("end", "else"):
                return lst, n
            lst.nodes.append(n)
        self.errorf("unexpected EOF")
        raise AssertionError  # unreachable

    def text_or_action(self) -> _Node:
        tok = self.next_non_space()
        if tok.typ == T_TEXT:
            return _Text(tok.pos, tok.val)
        if tok.typ == T_LDELIM:
            self.action_line = tok.line
            try:
                return self.action()
            finally:
                self.action_line = 0
        self.unexpected(tok, "input")
        raise AssertionError  # unreachable

    def action(self) -> _Node:
        tok = self.next_non_space()
        if tok.typ == T_BLOCK:
            return self.block_control()
        if tok.typ in (T_BREAK, T_CONTINUE):
            word = "break" if tok.typ == T_BREAK else "continue"
            nxt = self.next_non_space()
            if nxt.typ != T_RDELIM:
                self.unexpected(nxt, "{{" + word + "}}")
            if self.range_depth == 0:
                self.errorf("{{" + word + "}} outside {{range}}")
            return _Marker(word, tok.pos)
        if tok.typ == T_ELSE:
            return self.else_control()
        if tok.typ == T_END:
            return _Marker("end", self.expect(T_RDELIM, "end").pos)
        if tok.typ in (T_IF, T_RANGE, T_WITH):
            return self.control({T_IF: "if", T_RANGE: "range", T_WITH: "with"}[tok.typ])
        if tok.typ == T_TEMPLATE:
            return self.template_control()
        self.backup()
        tok = self.peek()
        return _Action(tok.pos, tok.line, self.pipeline("command", T_RDELIM))

    def else_control(self) -> _Node:
        peek = self.peek_non_space()
        if peek.typ in (T_IF, T_WITH):
            return _Marker("else", peek.pos)
        return _Marker("else", self.expect(T_RDELIM, "else").pos)

    def control(self, context: str) -> _Node:
        mark = len(self.vars)
        pipe = self.pipeline(context, T_RDELIM)
        if context == "range":
            self.range_depth += 1
        body, nxt = self.item_list()
        if context == "range":
            self.range_depth -= 1
        else_body: _List | None = None
        if isinstance(nxt, _Marker) and nxt.kind == "else":
            if context == "if" and self.peek().typ == T_IF:
                self.next()
                else_body = _List(nxt.pos, [self.control("if")])
            elif context == "with" and self.peek().typ == T_WITH:
                self.next()
                else_body = _List(nxt.pos, [self.control("with")])
            else:
                else_body, nxt = self.item_list()
                if not (isinstance(nxt, _Marker) and nxt.kind == "end"):
                    self.errorf(f"expected end; found {nxt}")
        self.vars = self.vars[:mark]
        return _Branch(context, pipe.pos, pipe.line, pipe, body, else_body)

    def parse_template_name(self, tok: _Item, context: str) -> str:
        if tok.typ in (T_STRING, T_RAWSTRING):
            try:
                return _go_unquote(tok.val)
            except _SyntaxError:
                self.errorf("invalid syntax")
        self.unexpected(tok, context)
        raise AssertionError  # unreachable

    def template_control(self) -> _Node:
        context = "template clause"
        tok = self.next_non_space()
        name = self.parse_template_name(tok, context)
        pipe = None
        if self.next_non_space().typ != T_RDELIM:
            self.backup()
            pipe = self.pipeline(context, T_RDELIM)
        return _TemplateCall(tok.pos, tok.line, name, pipe)

    def block_control(self) -> _Node:
        context = "block clause"
        tok = self.next_non_space()
        name = self.parse_template_name(tok, context)
        pipe = self.pipeline(context, T_RDELIM)
        saved_vars, saved_depth = self.vars, self.range_depth
        self.vars, self.range_depth = ["$"], 0
        body, end = self.item_list()
        if not (isinstance(end, _Marker) and end.kind == "end"):
            self.errorf(f"unexpected {end} in {context}")
        self.add(name, body)
        self.vars, self.range_depth = saved_vars, saved_depth
        return _TemplateCall(tok.pos, tok.line, name, pipe)

    def pipeline(self, context: str, end: int) -> _Pipe:
        tok = self.peek_non_space()
        pipe = _Pipe(tok.pos, tok.line)
        while True:  # declarations
            v = self.peek_non_space()
            if v.typ != T_VARIABLE:
                break
            self.next()
            after_var = self.peek()
            nxt = self.peek_non_space()
            if nxt.typ in (T_ASSIGN, T_DECLARE):
                pipe.is_assign = nxt.typ == T_ASSIGN
                self.next_non_space()
                pipe.decl.append(_Variable(v.pos, v.val.split(".")))
                self.vars.append(v.val)
            elif nxt.typ == T_CHAR and nxt.val == ",":
                self.next_non_space()
                pipe.decl.append(_Variable(v.pos, v.val.split(".")))
                self.vars.append(v.val)
                if context == "range" and len(pipe.decl) < 2:
                    if self.peek_non_space().typ in (T_VARIABLE, T_RDELIM, T_RPAREN):
                        continue
                    self.errorf("range can only initialize variables")
                self.errorf(f"too many declarations in {context}")
            elif after_var.typ == T_SPACE:
                self.backup3(v, after_var)
            else:
                self.backup2(v)
            break
        while True:
            tok = self.next_non_space()
            if tok.typ == end:
                self.check_pipeline(pipe, context)
                return pipe
            if tok.typ in (T_BOOL, T_CHARCONST, T_COMPLEX, T_DOT, T_FIELD, T_IDENT, T_NUMBER,
                           T_NIL, T_RAWSTRING, T_STRING, T_VARIABLE, T_LPAREN):  # fmt: skip
                self.backup()
                pipe.cmds.append(self.command())
            else:
                self.unexpected(tok, context)

    def check_pipeline(self, pipe: _Pipe, context: str) -> None:
        if not pipe.cmds:
            self.errorf(f"missing value for {context}")
        for i, c in enumerate(pipe.cmds[1:]):
            if isinstance(c.args[0], (_Bool, _Dot, _Nil, _Number, _String)):
                self.errorf(f"non executable command in pipeline stage {i + 2}")

    def command(self) -> _Command:
        cmd = _Command(self.peek_non_space().pos)
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                cmd.args.append(operand)
            tok = self.next()
            if tok.typ == T_SPACE:
                continue
            if tok.typ in (T_RDELIM, T_RPAREN):
                self.backup()
            elif tok.typ != T_PIPE:
                self.unexpected(tok, "operand")
            break
        if not cmd.args:
            self.errorf("empty command")
        return cmd

    def operand(self) -> _Node | None:
        node = self.term()
        if node is None:
            return None
        if self.peek().typ == T_FIELD:
            chain = _Chain(self.peek().pos, node)
            while self.peek().typ == T_FIELD:
                chain.fields.append(self.next().val[1:])
            if isinstance(node, _Field):
                return _Field(chain.pos, node.ident + chain.fields)
            if isinstance(node, _Variable):
                return _Variable(chain.pos, node.ident + chain.fields)
            if isinstance(node, (_Bool, _String, _Number, _Nil, _Dot)):
                self.errorf(f"unexpected . after term {go_quote(str(node))}")
            return chain
        return node

    def term(self) -> _Node | None:
        tok = self.next_non_space()
        t = tok.typ
        if t == T_IDENT:
            if tok.val not in _FUNC_NAMES:
                self.errorf(f"function {go_quote(tok.val)} not defined")
            return _Identifier(tok.pos, tok.val)
        if t == T_DOT:
            return _Dot(tok.pos)
        if t == T_NIL:
            return _Nil(tok.pos)
        if t == T_VARIABLE:
            name = tok.val.split(".")[0]
            if name not in self.vars:
                self.errorf(f"undefined variable {go_quote(name)}")
            return _Variable(tok.pos, tok.val.split("."))
        if t == T_FIELD:
            return _Field(tok.pos, tok.val[1:].split("."))
        if t == T_BOOL:
            return _Bool(tok.pos, tok.val == "true")
        if t in (T_CHARCONST, T_COMPLEX, T_NUMBER):
            return self.number(tok)
        if t == T_LPAREN:
            return self.pipeline("parenthesized pipeline", T_RPAREN)
        if t in (T_STRING, T_RAWSTRING):
            try:
                return _String(tok.pos, tok.val, _go_unquote(tok.val))
            except _SyntaxError:
                self.errorf("invalid syntax")
        self.backup()
        return None

    def number(self, tok: _Item) -> _Number:
        text = tok.val
        n = _Number(tok.pos, text)
        if tok.typ == T_CHARCONST:
            try:
                cp, end = _unquote_char(text[1:], 0, "'")
            except (_SyntaxError, IndexError):
                self.errorf("invalid syntax")
            if text[1 + end :] != "'":
                self.errorf(f"malformed character constant: {text}")
            n.is_int = n.is_uint = n.is_float = True
            n.int_val, n.float_val = cp, float(cp)
            return n
        if tok.typ == T_COMPLEX:
            try:
                c = complex(text.replace("_", "").replace("i", "j"))
            except ValueError:
                self.errorf(f"illegal number syntax: {go_quote(text)}")
            n.is_complex, n.complex_val = True, c
            _simplify_complex(n)
            return n
        if text.endswith("i"):
            f = _parse_go_float(text[:-1])
            if f is not None:
                n.is_complex, n.complex_val = True, complex(0, f)
                _simplify_complex(n)
                return n
        iv = _parse_go_int(text)
        if iv is not None:
            if 0 <= iv <= _UINT64_MAX:
                n.is_uint = True
            if _INT64_MIN <= iv <= _INT64_MAX:
                n.is_int = True
            n.int_val = iv
            if n.is_int or n.is_uint:
                n.is_float, n.float_val = True, float(iv)
        if not (n.is_int or n.is_uint):
            f = _parse_go_float(text)
            if f is not None and f not in (float("inf"), float("-inf")):
                if not any(c in text for c in ".eEpP"):
                    self.errorf(f"integer overflow: {go_quote(text)}")
                n.is_float, n.float_val = True, f
                if f == int(f):
                    iv = int(f)
                    n.is_int = _INT64_MIN <= iv <= _INT64_MAX
                    n.is_uint = 0 <= iv <= _UINT64_MAX
                    n.int_val = iv
        if not (n.is_int or n.is_uint or n.is_float):
            self.errorf(f"illegal number syntax: {go_quote(text)}")
        return n


def _simplify_complex(n: _Number) -> None:
    if n.complex_val.imag == 0:
        n.is_float, n.float_val = True, n.complex_val.real
        if math.isfinite(n.float_val) and n.float_val == int(n.float_val):
            n.is_int = n.is_uint = True
            n.int_val = int(n.float_val)
            n.is_uint = n.int_val >= 0


def _is_empty_tree(n: _Node) -> bool:
    if isinstance(n, _List):
        return all(_is_empty_tree(x) for x in n.nodes)
    if isinstance(n, _Text):
        return n.text.strip(" \t\r\n\v\f") == ""
    return False


@lru_cache(maxsize=256)
def _parse(text: str) -> dict[str, _List]:
    try:
        return _Parser(text).parse()
    except _ParseError as e:
        raise TemplateError(str(e), "parse") from None
    except RecursionError:
        raise TemplateError("template: :1: max expression depth exceeded", "parse") from None


# ---------------------------------------------------------------------------------------
# Functions: Go builtins and docker/cli's cli/templates funcs
# ---------------------------------------------------------------------------------------


class _CallError(Exception):
    pass


@dataclass(frozen=True)
class _Func:
    fixed: tuple[str, ...]  # parameter types: "any", "value", "string", "int", "[]string"
    variadic: str | None
    impl: Callable[..., Any]


def _indirect_iface(v: Any) -> Any:
    return _INVALID if v is None else v


def _index_arg(index: Any, cap: int) -> int:
    index = _indirect_iface(index)
    if index is _INVALID:
        raise _CallError("cannot index slice/array with nil")
    if isinstance(index, bool) or not isinstance(index, int):
        raise _CallError(f"cannot index slice/array with type {_type_name(index)}")
    if index < 0 or index > cap:
        raise _CallError(f"index out of range: {index}")
    return index


def _fn_index(item: Any, *indexes: Any) -> Any:
    item = _indirect_iface(item)
    if item is _INVALID:
        raise _CallError("index of untyped nil")
    for index in indexes:
        if item is None or item is _INVALID:
            raise _CallError("index of nil pointer")
        if isinstance(item, (list, tuple, str)):
            data = item.encode("utf-8", "surrogatepass") if isinstance(item, str) else item
            x = _index_arg(index, len(data))
            if x == len(data):
                raise _CallError(f"index out of range: {x}")
            item = data[x]
        elif isinstance(item, dict) and not isinstance(item, GoStruct):
            index = _indirect_iface(index)
            if index is _INVALID:
                raise _CallError("value is nil; should be of type string")
            if not isinstance(index, str):
                raise _CallError(f"value has type {_type_name(index)}; should be string")
            item = item[index] if index in item else getattr(item, "go_zero", None)
        else:
            raise _CallError(f"can't index item of type {_type_name(item)}")
    return item


def _fn_slice(item: Any, *indexes: Any) -> Any:
    item = _indirect_iface(item)
    if item is _INVALID:
        raise _CallError("slice of untyped nil")
    if len(indexes) > 3:
        raise _CallError(f"too many slice indexes: {len(indexes)}")
    if isinstance(item, str):
        if len(indexes) == 3:
            raise _CallError("cannot 3-index slice a string")
        data: Any = item.encode("utf-8", "surrogatepass")
    elif isinstance(item, (list, tuple)):
        data = list(item)
    else:
        raise _CallError(f"can't slice item of type {_type_name(item)}")
    idx = [0, len(data), len(data)]
    for i, index in enumerate(indexes):
        idx[i] = _index_arg(index, len(data))
    if idx[0] > idx[1]:
        raise _CallError(f"invalid slice index: {idx[0]} > {idx[1]}")
    if len(indexes) == 3 and idx[1] > idx[2]:
        raise _CallError(f"invalid slice index: {idx[1]} > {idx[2]}")
    part = data[idx[0] : idx[1]]
    return part.decode("utf-8", "replace") if isinstance(item, str) else part


def _fn_len(item: Any) -> int:
    if item is None:
        raise _CallError("len of nil pointer")
    if item is _INVALID:
        raise _CallError("reflect: call of reflect.Value.Type on zero Value")
    if isinstance(item, str):
        return len(item.encode("utf-8", "surrogatepass"))
    if isinstance(item, (list, tuple, dict)) and not isinstance(item, GoStruct):
        return len(item)
    raise _CallError(f"len of type {_type_name(item)}")


def _basic_kind(v: Any) -> str | None:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, complex):
        return "complex"
    if isinstance(v, str):
        return "string"
    return None


def _fn_eq(arg1: Any, *arg2: Any) -> bool:
    arg1 = _indirect_iface(arg1)
    if not arg2:
        raise _CallError("missing argument for comparison")
    k1 = _basic_kind(arg1)
    for arg in arg2:
        arg = _indirect_iface(arg)
        k2 = _basic_kind(arg)
        if k1 != k2:
            if arg1 is not _INVALID and arg is not _INVALID:
                raise _CallError("incompatible types for comparison")
            truth = False
        elif k1 is not None:
            truth = arg1 == arg
        elif arg1 is _INVALID or arg is _INVALID:
            truth = arg1 is arg
        elif type(arg1) is not type(arg):
            raise _CallError(
                f"non-comparable types {_fmt(arg1, 's', _PLAIN)}: {_type_name(arg1)}, "
                f"{_type_name(arg)}: {_fmt_v(arg)}"
            )
        elif isinstance(arg, (list, tuple, dict)):
            raise _CallError(f"non-comparable type {_fmt(arg, 's', _PLAIN)}: {_type_name(arg)}")
        else:
            truth = arg1 == arg
        if truth:
            return True
    return False


def _fn_lt(arg1: Any, arg2: Any) -> bool:
    arg1, arg2 = _indirect_iface(arg1), _indirect_iface(arg2)
    k1, k2 = _basic_kind(arg1), _basic_kind(arg2)
    if k1 is None or k2 is None:
        raise _CallError("invalid type for comparison")
    if k1 != k2:
        raise _CallError("incompatible types for comparison")
    if k1 in ("bool", "complex"):
        raise _CallError("invalid type for comparison")
    if k1 == "string":
        return arg1.encode("utf-8", "surrogatepass") < arg2.encode("utf-8", "surrogatepass")
    return arg1 < arg2


def _fn_le(a: Any, b: Any) -> bool:
    return _fn_lt(a, b) or _fn_eq(a, b)


def _fn_call(fn: Any, *args: Any) -> Any:
    fn = _indirect_iface(fn)
    if fn is _INVALID:
        raise _CallError("call of nil")
    if not callable(fn) or isinstance(fn, (GoStruct, type)):
        raise _CallError(f"non-function of type {_type_name(fn)}")
    try:
        return fn(*[None if a is _INVALID else a for a in args])
    except _CallError:
        raise
    except Exception as e:  # noqa: BLE001 - a Go function returning an error
        raise _CallError(str(e)) from None


def _eval_args(args: tuple[Any, ...]) -> str:
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return go_sprint(*args)


def _html_escape(*args: Any) -> str:
    s = _eval_args(args)
    table = {'"': "&#34;", "'": "&#39;", "&": "&amp;", "<": "&lt;", ">": "&gt;"}
    return "".join(table.get(c, c) for c in s)


def _js_escape(*args: Any) -> str:
    out = []
    for c in _eval_args(args):
        if c == "\\":
            out.append("\\\\")
        elif c == "'":
            out.append("\\'")
        elif c == '"':
            out.append('\\"')
        elif c == "<":
            out.append("\\u003C")
        elif c == ">":
            out.append("\\u003E")
        elif c == "&":
            out.append("\\u0026")
        elif c == "=":
            out.append("\\u003D")
        elif ord(c) < 0x20:
            out.append(f"\\u{ord(c):04X}")
        elif ord(c) >= 0x80 and not _is_print(c):
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return "".join(out)


def _go_split(s: str, sep: str) -> list[str]:
    if sep == "":
        return list(s)
    return s.split(sep)


def _go_case(s: str, upper: bool) -> str:
    out = []
    for c in s:
        m = c.upper() if upper else c.lower()
        out.append(m if len(m) == 1 else c)
    return "".join(out)


def _go_title(s: str) -> str:
    def is_sep(c: str) -> bool:
        if ord(c) <= 0x7F:
            return not (c.isalnum() or c == "_")
        if c.isalpha() or c.isdecimal():
            return False
        return c.isspace()

    out = []
    prev = " "
    for c in s:
        if is_sep(prev):
            t = c.title()
            out.append(t if len(t) == 1 else c)
        else:
            out.append(c)
        prev = c
    return "".join(out)


def _pad_with_space(source: str, prefix: int, suffix: int) -> str:
    if source == "":
        return source
    if prefix < 0 or suffix < 0:
        raise _CallError("strings: negative Repeat count")
    return " " * prefix + source + " " * suffix


def _truncate(source: str, length: int) -> str:
    data = source.encode("utf-8", "surrogatepass")
    if len(data) < length:
        return source
    if length < 0:
        raise _CallError(f"runtime error: slice bounds out of range [:{length}]")
    return data[:length].decode("utf-8", "replace")


def _docker_json(v: Any) -> str:
    try:
        return dockerjson.compact_json(v)
    except (dockerjson.GoJSONError, RecursionError):
        return ""


def _not(v: Any) -> bool:
    return not _is_true(v)


_BUILTINS: dict[str, _Func] = {
    "and": _Func(("value",), "value", lambda *a: a[-1]),
    "or": _Func(("value",), "value", lambda *a: a[-1]),
    "not": _Func(("value",), None, _not),
    "len": _Func(("value",), None, _fn_len),
    "index": _Func(("value",), "value", _fn_index),
    "slice": _Func(("value",), "value", _fn_slice),
    "call": _Func(("value",), "value", _fn_call),
    "print": _Func((), "any", go_sprint),
    "printf": _Func(("string",), "any", go_sprintf),
    "println": _Func((), "any", go_sprintln),
    "html": _Func((), "any", _html_escape),
    "js": _Func((), "any", _js_escape),
    "urlquery": _Func((), "any", lambda *a: urllib.parse.quote_plus(_eval_args(a), safe="")),
    "eq": _Func(("value",), "value", _fn_eq),
    "ne": _Func(("value", "value"), None, lambda a, b: not _fn_eq(a, b)),
    "lt": _Func(("value", "value"), None, _fn_lt),
    "le": _Func(("value", "value"), None, _fn_le),
    "gt": _Func(("value", "value"), None, lambda a, b: not _fn_le(a, b)),
    "ge": _Func(("value", "value"), None, lambda a, b: not _fn_lt(a, b)),
}

# docker/cli templates.basicFunctions
_DOCKER_FUNCS: dict[str, _Func] = {
    "json": _Func(("any",), None, _docker_json),
    "split": _Func(("string", "string"), None, _go_split),
    "join": _Func(("[]string", "string"), None, lambda elems, sep: sep.join(elems)),
    "title": _Func(("string",), None, _go_title),
    "lower": _Func(("string",), None, lambda s: _go_case(s, upper=False)),
    "upper": _Func(("string",), None, lambda s: _go_case(s, upper=True)),
    "pad": _Func(("string", "int", "int"), None, _pad_with_space),
    "truncate": _Func(("string", "int"), None, _truncate),
}

# docker/cli templates.HeaderFunctions: keep header names intact (pad is not replaced)
_HEADER_FUNCS: dict[str, _Func] = {
    **_DOCKER_FUNCS,
    "json": _Func(("string",), None, lambda v: v),
    "split": _Func(("string", "string"), None, lambda v, _s: v),
    "join": _Func(("string", "string"), None, lambda v, _s: v),
    "title": _Func(("string",), None, lambda v: v),
    "lower": _Func(("string",), None, lambda v: v),
    "upper": _Func(("string",), None, lambda v: v),
    "truncate": _Func(("string", "int"), None, lambda v, _n: v),
}


def _method_func(fn: Callable[..., Any]) -> _Func:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return _Func((), "any", fn)
    fixed = tuple(
        "any" for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    )
    variadic = "any" if any(p.kind == p.VAR_POSITIONAL for p in params) else None
    return _Func(fixed, variadic, fn)


# ---------------------------------------------------------------------------------------
# Executor (text/template/exec.go)
# ---------------------------------------------------------------------------------------


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Exec:
    def __init__(self, text: str, trees: dict[str, _List], funcs: dict[str, _Func], missingkey: str) -> None:
        self.text = text
        self.trees = trees
        self.funcs = funcs
        self.missingkey = missingkey
        self.name = ""
        self.node: _Node | None = None
        self.vars: list[list[Any]] = []
        self.out: list[str] = []
        self.depth = 0

    # errors
    def errorf(self, msg: str) -> None:
        if self.node is None:
            raise TemplateError(f"template: {self.name}: {msg}")
        pos = self.node.pos
        before = self.text[:pos]
        nl = before.rfind("\n")
        col = len(before[nl + 1 :].encode("utf-8", "surrogatepass"))
        line = 1 + before.count("\n")
        context = str(self.node)
        if len(context.encode("utf-8", "surrogatepass")) > 20:
            context = context[:20] + "..."
        raise TemplateError(f'template: :{line}:{col}: executing {go_quote(self.name)} at <{context}>: {msg}')

    def at(self, node: _Node) -> None:
        self.node = node

    # variables
    def mark(self) -> int:
        return len(self.vars)

    def pop(self, mark: int) -> None:
        del self.vars[mark:]

    def var_value(self, name: str) -> Any:
        for entry in reversed(self.vars):
            if entry[0] == name:
                return entry[1]
        self.errorf(f"undefined variable: {name}")

    def set_var(self, name: str, value: Any) -> None:
        for entry in reversed(self.vars):
            if entry[0] == name:
                entry[1] = value
                return
        self.errorf(f"undefined variable: {name}")

    # walking
    def execute(self, data: Any) -> str:
        if data is None:  # reflect.ValueOf(nil): the invalid Value, not a nil interface
            data = _INVALID
        root = self.trees.get("")
        self.vars = [["$", data]]
        if root is None:
            self.errorf(f'{go_quote("")} is an incomplete or empty template')
        assert root is not None
        self.walk(data, root)
        return "".join(self.out)

    def walk(self, dot: Any, node: _Node) -> None:
        self.at(node)
        if isinstance(node, _Text):
            self.out.append(node.text)
        elif isinstance(node, _Action):
            val = self.eval_pipeline(dot, node.pipe)
            if not node.pipe.decl:
                self.print_value(node, val)
        elif isinstance(node, _List):
            for n in node.nodes:
                self.walk(dot, n)
        elif isinstance(node, _Branch):
            if node.kind == "range":
                self.walk_range(dot, node)
            else:
                self.walk_if_or_with(dot, node)
        elif isinstance(node, _TemplateCall):
            self.walk_template(dot, node)
        elif isinstance(node, _Marker) and node.kind == "break":
            raise _Break
        elif isinstance(node, _Marker) and node.kind == "continue":
            raise _Continue
        else:
            self.errorf(f"unknown node: {node}")

    def walk_if_or_with(self, dot: Any, node: _Branch) -> None:
        mark = self.mark()
        val = self.eval_pipeline(dot, node.pipe)
        if _is_true(val):
            self.walk(val if node.kind == "with" else dot, node.body)
        elif node.else_body is not None:
            self.walk(dot, node.else_body)
        self.pop(mark)

    def walk_range(self, dot: Any, node: _Branch) -> None:
        self.at(node)
        mark = self.mark()
        val = self.eval_pipeline(dot, node.pipe)
        inner = self.mark()

        def one(index: Any, elem: Any) -> bool:
            if node.pipe.decl:
                self.vars[-1][1] = elem
            if len(node.pipe.decl) > 1:
                self.vars[-2][1] = index
            try:
                self.walk(elem, node.body)
            except _Continue:
                pass
            except _Break:
                return False
            finally:
                self.pop(inner)
            return True

        if isinstance(val, (list, tuple)):
            if val:
                for i, elem in enumerate(list(val)):
                    if not one(i, elem):
                        break
                self.pop(mark)
                return
        elif isinstance(val, dict) and not isinstance(val, GoStruct):
            if val:
                for k, v in _sorted_items(val):
                    if not one(k, v):
                        break
                self.pop(mark)
                return
        elif val is not _INVALID and val is not None:
            self.errorf(f"range can't iterate over {_fmt_v(val)}")
        if node.else_body is not None:
            self.walk(dot, node.else_body)
        self.pop(mark)

    def walk_template(self, dot: Any, node: _TemplateCall) -> None:
        self.at(node)
        tree = self.trees.get(node.name)
        if tree is None:
            self.errorf(f"template {go_quote(node.name)} not defined")
        if self.depth >= _MAX_EXEC_DEPTH:
            self.errorf(f"exceeded maximum template depth ({_MAX_EXEC_DEPTH_TEXT})")
        assert tree is not None
        new_dot = self.eval_pipeline(dot, node.pipe)
        saved = (self.vars, self.name)
        self.vars, self.name = [["$", new_dot]], node.name
        self.depth += 1
        try:
            self.walk(new_dot, tree)
        finally:
            self.depth -= 1
            self.vars, self.name = saved

    def print_value(self, node: _Node, val: Any) -> None:
        self.at(node)
        if val is _INVALID:
            self.out.append("<no value>")
            return
        if callable(val) and not isinstance(val, GoStruct):
            self.errorf(f"can't print {node} of type {_type_name(val)}")
        self.out.append(_fmt_v(val))

    # evaluation
    def eval_pipeline(self, dot: Any, pipe: _Pipe | None) -> Any:
        if pipe is None:
            return _INVALID
        self.at(pipe)
        value: Any = _MISSING
        for cmd in pipe.cmds:
            value = self.eval_command(dot, cmd, value)
            if value is None:  # a nil interface{} result: dig down to "no value"
                value = _INVALID
        for var in pipe.decl:
            if pipe.is_assign:
                self.set_var(var.ident[0], value)
            else:
                self.vars.append([var.ident[0], value])
        return value

    def not_a_function(self, args: list[_Node], final: Any) -> None:
        if len(args) > 1 or final is not _MISSING:
            self.errorf(f"can't give argument to non-function {args[0]}")

    def eval_command(self, dot: Any, cmd: _Command, final: Any) -> Any:
        first = cmd.args[0]
        if isinstance(first, _Field):
            return self.eval_field_node(dot, first, cmd.args, final)
        if isinstance(first, _Chain):
            return self.eval_chain_node(dot, first, cmd.args, final)
        if isinstance(first, _Identifier):
            return self.eval_function(dot, first, cmd, cmd.args, final)
        if isinstance(first, _Pipe):
            self.not_a_function(cmd.args, final)
            return self.eval_pipeline(dot, first)
        if isinstance(first, _Variable):
            return self.eval_variable_node(dot, first, cmd.args, final)
        self.at(first)
        self.not_a_function(cmd.args, final)
        if isinstance(first, _Bool):
            return first.value
        if isinstance(first, _Dot):
            return dot
        if isinstance(first, _Nil):
            self.errorf("nil is not a command")
        if isinstance(first, _Number):
            return self.ideal_constant(first)
        if isinstance(first, _String):
            return first.text
        self.errorf(f"can't evaluate command {go_quote(str(first))}")

    def ideal_constant(self, n: _Number) -> Any:
        self.at(n)
        if n.is_complex:
            return n.complex_val
        is_hex_int = n.text.lower().lstrip("+-").startswith("0x") and not any(c in n.text for c in "pP")
        if n.is_float and not is_hex_int and not n.text.startswith("'") and any(c in n.text for c in ".eEpP"):
            return n.float_val
        if n.is_int:
            return n.int_val
        if n.is_uint:
            self.errorf(f"{n.text} overflows int")
        return _INVALID

    def eval_field_node(self, dot: Any, node: _Field, args: list[_Node] | None, final: Any) -> Any:
        self.at(node)
        return self.eval_field_chain(dot, dot, node, node.ident, args, final)

    def eval_chain_node(self, dot: Any, chain: _Chain, args: list[_Node] | None, final: Any) -> Any:
        self.at(chain)
        if isinstance(chain.node, _Nil):
            self.errorf(f"indirection through explicit nil in {chain}")
        pipe = self.eval_arg(dot, None, chain.node)
        return self.eval_field_chain(dot, pipe, chain, chain.fields, args, final)

    def eval_variable_node(self, dot: Any, var: _Variable, args: list[_Node] | None, final: Any) -> Any:
        self.at(var)
        value = self.var_value(var.ident[0])
        if len(var.ident) == 1:
            self.not_a_function(args or [var], final)
            return value
        return self.eval_field_chain(dot, value, var, var.ident[1:], args, final)

    def eval_field_chain(
        self, dot: Any, receiver: Any, node: _Node, ident: list[str], args: list[_Node] | None, final: Any
    ) -> Any:
        for name in ident[:-1]:
            receiver = self.eval_field(dot, name, node, None, _MISSING, receiver)
        return self.eval_field(dot, ident[-1], node, args, final, receiver)

    def eval_function(
        self, dot: Any, node: _Identifier, cmd: _Node, args: list[_Node] | None, final: Any
    ) -> Any:
        self.at(node)
        fn = self.funcs.get(node.name) or _BUILTINS.get(node.name)
        if fn is None:
            self.errorf(f"{go_quote(node.name)} is not a defined function")
        assert fn is not None
        return self.eval_call(dot, fn, node.name in _BUILTINS, cmd, node.name, args, final)

    def eval_field(
        self, dot: Any, name: str, node: _Node, args: list[_Node] | None, final: Any, receiver: Any
    ) -> Any:
        if receiver is _INVALID:
            if self.missingkey == "error":
                self.errorf(f"nil data; no entry for key {go_quote(name)}")
            return _INVALID
        if receiver is None:
            self.errorf(f"nil pointer evaluating interface {{}}.{name}")
        has_args = (args is not None and len(args) > 1) or final is not _MISSING
        if isinstance(receiver, GoStruct):
            if name in receiver.fields:
                member = receiver.fields[name]
                if callable(member) and not isinstance(member, GoStruct):
                    return self.eval_call(dot, _method_func(member), False, node, name, args, final)
                if has_args:
                    self.errorf(f"{name} has arguments but cannot be invoked as function")
                return member
        elif isinstance(receiver, dict):
            if has_args:
                self.errorf(f"{name} is not a method but has arguments")
            if name in receiver:
                return receiver[name]
            if self.missingkey == "error":
                self.errorf(f"map has no entry for key {go_quote(name)}")
            if self.missingkey == "zero":
                return getattr(receiver, "go_zero", None)
            return _INVALID
        self.errorf(f"can't evaluate field {name} in type {_type_name(receiver)}")

    def eval_call(
        self, dot: Any, fn: _Func, is_builtin: bool, node: _Node, name: str, args: list[_Node] | None, final: Any
    ) -> Any:
        call_args = list(args[1:]) if args else []
        num_in = len(call_args) + (0 if final is _MISSING else 1)
        num_fixed = len(call_args)
        if fn.variadic is not None:
            num_fixed = len(fn.fixed)
            if num_in < num_fixed:
                self.errorf(f"wrong number of args for {name}: want at least {num_fixed} got {len(call_args)}")
        elif num_in != len(fn.fixed):
            self.errorf(f"wrong number of args for {name}: want {len(fn.fixed)} got {num_in}")

        if is_builtin and name in ("and", "or"):
            v: Any = _INVALID
            for a in call_args:
                v = self.eval_arg(dot, "value", a)
                if _is_true(v) == (name == "or"):
                    return v
            if final is not _MISSING:
                v = self.validate_type(final, "value")
            return v

        argv: list[Any] = []
        for i, a in enumerate(call_args):
            typ = fn.fixed[i] if i < len(fn.fixed) else fn.variadic
            argv.append(self.eval_arg(dot, typ, a))
        if final is not _MISSING:
            if fn.variadic is None:
                typ = fn.fixed[-1]
            else:
                typ = fn.fixed[num_in - 1] if num_in - 1 < num_fixed else fn.variadic
            argv.append(self.validate_type(final, typ))
        try:
            return fn.impl(*argv)
        except _CallError as e:
            self.at(node)
            self.errorf(f"error calling {name}: {e}")
        except RecursionError:
            raise
        except Exception as e:  # noqa: BLE001 - a method returning an error
            self.at(node)
            self.errorf(f"error calling {name}: {e}")

    def validate_type(self, value: Any, typ: str | None) -> Any:
        if value is _INVALID:
            if typ is None or typ == "value":
                return _INVALID
            if typ == "any":
                return None
            if typ == "[]string":
                return []
            self.errorf(f"invalid value; expected {typ}")
        if typ in (None, "value"):
            return value
        if typ == "any":
            return value
        if typ == "string" and isinstance(value, str):
            return value
        if typ == "int" and isinstance(value, int) and not isinstance(value, bool):
            return value
        if typ == "[]string" and isinstance(value, (list, tuple)) and all(isinstance(x, str) for x in value):
            return list(value)
        self.errorf(f"wrong type for value; expected {typ}; got {_type_name(value)}")

    def eval_arg(self, dot: Any, typ: str | None, n: _Node) -> Any:
        self.at(n)
        if isinstance(n, _Dot):
            return self.validate_type(dot, typ)
        if isinstance(n, _Nil):
            if typ in ("any", "[]string", "value"):
                return {"any": None, "[]string": [], "value": _INVALID}[typ]
            self.errorf(f"cannot assign nil to {typ}")
        if isinstance(n, _Field):
            return self.validate_type(self.eval_field_node(dot, n, [n], _MISSING), typ)
        if isinstance(n, _Variable):
            return self.validate_type(self.eval_variable_node(dot, n, None, _MISSING), typ)
        if isinstance(n, _Pipe):
            return self.validate_type(self.eval_pipeline(dot, n), typ)
        if isinstance(n, _Identifier):
            return self.validate_type(self.eval_function(dot, n, n, None, _MISSING), typ)
        if isinstance(n, _Chain):
            return self.validate_type(self.eval_chain_node(dot, n, None, _MISSING), typ)
        if typ in ("any", "value"):
            return self.eval_empty_interface(dot, n)
        if typ == "string":
            if isinstance(n, _String):
                return n.text
            self.errorf(f"expected string; found {n}")
        if typ == "int":
            if isinstance(n, _Number) and n.is_int:
                return n.int_val
            self.errorf(f"expected integer; found {n}")
        self.errorf(f"can't handle {n} for arg of type {typ}")

    def eval_empty_interface(self, dot: Any, n: _Node) -> Any:
        self.at(n)
        if isinstance(n, _Bool):
            return n.value
        if isinstance(n, _Number):
            return self.ideal_constant(n)
        if isinstance(n, _String):
            return n.text
        self.errorf(f"can't handle assignment of {n} to empty interface argument")


# ---------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------


def _execute(template: str, data: Any, funcs: dict[str, _Func], missingkey: str) -> tuple[str, TemplateError | None]:
    trees = _parse(template)
    ex = _Exec(template, trees, funcs, missingkey)
    try:
        return ex.execute(data), None
    except TemplateError as e:
        return "".join(ex.out), e
    except RecursionError:
        return "".join(ex.out), TemplateError("template: : exceeded maximum template depth (100000)")


def render(template: str, data: Any, *, missingkey: str = "default", header: bool = False) -> str:
    """Execute a Go template on `data` with docker's functions; raise TemplateError.

    `missingkey` is Go's option: "default"/"invalid" print `<no value>` for a missing
    map key, "zero" gives the map's zero value, "error" fails with `map has no entry for
    key "X"` (what `docker inspect -f` shows: it retries on the raw JSON with that option).
    `header=True` uses docker's HeaderFunctions (json/upper/... return the name as is).
    """
    if missingkey not in ("default", "invalid", "zero", "error"):
        raise ValueError(f"unsupported missingkey option {missingkey!r}")
    out, err = _execute(template, data, _HEADER_FUNCS if header else _DOCKER_FUNCS, missingkey)
    if err is not None:
        raise err
    return out


def execute(template: str, data: Any, *, missingkey: str = "default") -> tuple[str, TemplateError | None]:
    """Go's Template.Execute into a writer: the text written before an execution error is kept
    (returned with the error). A template that does not parse raises TemplateError."""
    return _execute(template, data, _DOCKER_FUNCS, missingkey)


def prepare_format(fmt: str) -> tuple[bool, str]:
    """docker's preFormat: (is it a table?, the template to run).

    A format is a table when it starts with `table`; that word is cut off, surrounding
    spaces are trimmed and the two-character sequences `\\t` and `\\n` become a real tab
    and newline (for any format, not only tables).
    """
    is_table = fmt.startswith("table")
    final = fmt[len("table") :] if is_table else fmt
    final = final.strip(" ").replace("\\t", "\t").replace("\\n", "\n")
    return is_table, final


table_format = prepare_format


def format_rows(
    fmt: str,
    rows: list[Any],
    headers: dict[str, str] | None = None,
    *,
    minwidth: int = MINWIDTH_2010,
    missingkey: str = "default",
) -> str:
    """What docker/cli's formatter prints for `--format fmt` over `rows`.

    Each row renders to one line. For a `table` format a header line comes first,
    rendered from `headers` with docker's header functions (its errors are ignored and
    the partial header kept, as docker does), and everything goes through the tab writer.
    A row that fails stops everything: nothing is printed and TemplateError is raised.
    """
    is_table, final = prepare_format(fmt)
    _parse(final)  # a template that does not parse fails before any row
    lines: list[str] = []
    for row in rows:
        out, err = _execute(final, row, _DOCKER_FUNCS, missingkey)
        if err is not None:
            raise err
        lines.append(out + "\n")
    if not is_table:
        return "".join(lines)
    header_text, _ = _execute(final, dict(headers or {}), _HEADER_FUNCS, "default")
    tw = TabWriter(minwidth=minwidth, tabwidth=1, padding=3, padchar=" ", flags=0)
    tw.write(header_text)
    tw.write("\n")
    for line in lines:
        tw.write(line)
    return tw.flush()


def render_table(
    fmt: str, rows: list[Any], headers: dict[str, str], *, minwidth: int = MINWIDTH_2010
) -> str:
    """`format_rows` for a `table ...` format: header line, rows, aligned by the tab writer."""
    return format_rows(fmt, rows, headers, minwidth=minwidth)
