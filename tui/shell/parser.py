"""Parser: tokens to an AST of lists, and-or lists, pipelines and commands.

The grammar is POSIX sh's core: simple commands with assignments and
redirections, pipelines (``|``, ``|&``, ``!``), ``&&``/``||``, ``;``/``&``,
subshells, ``{ ...; }``, ``if``/``while``/``until``/``for``. Command
substitutions are parsed here too, so ``echo $(|)`` is a syntax error before
anything runs, as in bash. :func:`unparse` gives the normalized text bash
shows in ``jobs``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tui.shell.lexer import CmdSub, LexError, Lit, Param, Token, Word, tokenize

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ASSIGN_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(\+?)=")

_STARTERS = {"if", "while", "until", "for", "{"}
_UNEXPECTED = {"then", "else", "elif", "fi", "do", "done", "}"}


class ParseError(Exception):
    """A syntax error. ``incomplete``: more input lines could complete the command."""

    def __init__(self, message: str, *, incomplete: bool = False, token: str = "", kind: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.incomplete = incomplete
        self.token = token
        self.kind = kind  # "near", "eof", "quote", "other"

    def format(self, shell_name: str) -> str:
        """The error line as bash (``bash``) or busybox ash (``sh``) prints it."""
        if shell_name == "sh":
            if self.kind == "near":
                return f'sh: syntax error: unexpected "{self.token}"'
            if self.kind == "quote":
                return "sh: syntax error: unterminated quoted string"
            if self.kind == "eof":
                return "sh: syntax error: unexpected end of file"
        return f"{shell_name}: {self.message}"


# ---- AST -------------------------------------------------------------------


@dataclass
class Redir:
    """``[fd]op target``. For here-documents ``body`` is filled in later."""

    fd: int | None
    op: str
    target: Word
    body: Word | None = None
    quoted_delim: bool = False


@dataclass
class Simple:
    assigns: list[tuple[str, Word, bool]] = field(default_factory=list)  # (name, value, append)
    words: list[Word] = field(default_factory=list)
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class Subshell:
    body: ListNode
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class Group:
    body: ListNode
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class If:
    clauses: list[tuple[ListNode, ListNode]]
    orelse: ListNode | None = None
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class While:
    cond: ListNode
    body: ListNode
    until: bool = False
    redirs: list[Redir] = field(default_factory=list)


@dataclass
class For:
    var: str
    items: list[Word] | None  # None: "$@"
    body: ListNode
    redirs: list[Redir] = field(default_factory=list)


Command = Simple | Subshell | Group | If | While | For


@dataclass
class Pipeline:
    commands: list[Command]
    negate: bool = False
    stderr_too: list[bool] = field(default_factory=list)  # ``|&`` after command i


@dataclass
class AndOr:
    first: Pipeline
    rest: list[tuple[str, Pipeline]] = field(default_factory=list)


@dataclass
class Item:
    andor: AndOr
    background: bool = False


@dataclass
class ListNode:
    items: list[Item] = field(default_factory=list)


# ---- parser ----------------------------------------------------------------


class Parser:
    """Recursive descent over the token list of one command line."""

    def __init__(self, text: str) -> None:
        try:
            self.tokens = tokenize(text)
        except LexError as err:
            raise ParseError(
                err.message, incomplete=err.incomplete, kind=err.kind or ("eof" if err.incomplete else "other")
            ) from None
        self.i = 0
        self.heredocs: list[Redir] = []

    def parse(self) -> ListNode:
        node = self.parse_list(frozenset())
        tok = self.peek()
        if tok.kind != "eof":
            raise self.unexpected(tok)
        return node

    # ---- helpers ----
    def peek(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    def is_op(self, *values: str) -> bool:
        tok = self.peek()
        return tok.kind == "op" and tok.value in values

    def is_reserved(self, tok: Token, words: set[str] | frozenset[str]) -> bool:
        return tok.kind == "word" and tok.word is not None and tok.word.literal() in words

    def skip_newlines(self) -> None:
        while self.is_op("\n"):
            self.advance()

    @staticmethod
    def unexpected(tok: Token) -> ParseError:
        if tok.kind == "eof":
            return ParseError("syntax error: unexpected end of file", incomplete=True, kind="eof")
        text = "newline" if tok.value == "\n" else tok.value
        return ParseError(f"syntax error near unexpected token `{text}'", token=text, kind="near")

    def expect(self, word: str) -> None:
        tok = self.peek()
        if self.is_reserved(tok, {word}):
            self.advance()
            return
        raise self.unexpected(tok)

    # ---- grammar ----
    def parse_list(self, terms: frozenset[str]) -> ListNode:
        items: list[Item] = []
        while True:
            self.skip_newlines()
            tok = self.peek()
            if tok.kind == "eof" or self._at_term(tok, terms):
                break
            andor = self.parse_andor()
            tok = self.peek()
            if tok.kind == "op" and tok.value in (";", "\n"):
                self.advance()
                items.append(Item(andor))
            elif tok.kind == "op" and tok.value == "&":
                self.advance()
                items.append(Item(andor, background=True))
            else:
                items.append(Item(andor))
                break
        return ListNode(items)

    def _at_term(self, tok: Token, terms: frozenset[str]) -> bool:
        if tok.kind == "op":
            return tok.value in terms
        return self.is_reserved(tok, terms)

    def parse_andor(self) -> AndOr:
        node = AndOr(self.parse_pipeline())
        while self.is_op("&&", "||"):
            op = self.advance().value
            self.skip_newlines()
            node.rest.append((op, self.parse_pipeline()))
        return node

    def parse_pipeline(self) -> Pipeline:
        negate = False
        while self.is_reserved(self.peek(), {"!"}):
            self.advance()
            negate = not negate
        node = Pipeline([self.parse_command()], negate)
        while self.is_op("|", "|&"):
            node.stderr_too.append(self.advance().value == "|&")
            self.skip_newlines()
            node.commands.append(self.parse_command())
        return node

    def parse_command(self) -> Command:
        tok = self.peek()
        if tok.kind == "op" and tok.value == "(":
            self.advance()
            body = self.parse_list(frozenset({")"}))
            if not body.items:
                raise self.unexpected(self.peek())
            if not self.is_op(")"):
                raise self.unexpected(self.peek())
            self.advance()
            return Subshell(body, self.parse_redirs())
        if tok.kind == "word" and tok.word is not None:
            lit = tok.word.literal()
            if lit in _STARTERS:
                return self._compound(lit)
            if lit in _UNEXPECTED:
                raise self.unexpected(tok)
        if tok.kind in ("op", "eof"):
            raise self.unexpected(tok)
        return self.parse_simple()

    def parse_simple(self) -> Simple:
        node = Simple()
        while True:
            tok = self.peek()
            if tok.kind == "redir":
                node.redirs.append(self.parse_redir())
            elif tok.kind == "word" and tok.word is not None:
                self.advance()
                word = self.prepare(tok.word)
                assign = None if node.words else split_assignment(word)
                if assign is not None:
                    node.assigns.append(assign)
                else:
                    node.words.append(word)
            else:
                break
        return node

    def parse_redir(self) -> Redir:
        tok = self.advance()
        target = self.peek()
        if target.kind != "word" or target.word is None:
            if target.kind == "eof":
                raise ParseError("syntax error near unexpected token `newline'", token="newline", kind="near")
            raise self.unexpected(target)
        self.advance()
        redir = Redir(tok.fd, tok.value, self.prepare(target.word))
        if tok.value in ("<<", "<<-"):
            redir.quoted_delim = target.word.literal() is None
            self.heredocs.append(redir)
        return redir

    def parse_redirs(self) -> list[Redir]:
        redirs = []
        while self.peek().kind == "redir":
            redirs.append(self.parse_redir())
        return redirs

    def _compound(self, word: str) -> Command:
        self.advance()
        if word == "{":
            body = self.parse_list(frozenset({"}"}))
            if not body.items:
                raise self.unexpected(self.peek())
            self.expect("}")
            return Group(body, self.parse_redirs())
        if word == "if":
            clauses = []
            cond = self._nonempty_list({"then"})
            self.expect("then")
            body = self._nonempty_list({"elif", "else", "fi"})
            clauses.append((cond, body))
            orelse = None
            while True:
                tok = self.peek()
                if self.is_reserved(tok, {"elif"}):
                    self.advance()
                    cond = self._nonempty_list({"then"})
                    self.expect("then")
                    clauses.append((cond, self._nonempty_list({"elif", "else", "fi"})))
                elif self.is_reserved(tok, {"else"}):
                    self.advance()
                    orelse = self._nonempty_list({"fi"})
                else:
                    break
            self.expect("fi")
            return If(clauses, orelse, self.parse_redirs())
        if word in ("while", "until"):
            cond = self._nonempty_list({"do"})
            self.expect("do")
            body = self._nonempty_list({"done"})
            self.expect("done")
            return While(cond, body, until=word == "until", redirs=self.parse_redirs())
        # for NAME [in WORDS...] ; do LIST done
        tok = self.peek()
        if tok.kind == "eof":
            raise ParseError("syntax error near unexpected token `newline'", token="newline", kind="near")
        if tok.kind != "word" or tok.word is None:
            raise self.unexpected(tok)
        self.advance()
        name = tok.word.static_text() or tok.value
        if not NAME_RE.match(name):
            raise ParseError(f"`{name}': not a valid identifier", kind="other")
        self.skip_newlines()
        items: list[Word] | None = None
        if self.is_reserved(self.peek(), {"in"}):
            self.advance()
            items = []
            while self.peek().kind == "word":
                word_tok = self.advance()
                assert word_tok.word is not None
                items.append(self.prepare(word_tok.word))
            if self.is_op(";", "\n"):
                self.advance()
            elif self.peek().kind != "eof":
                raise self.unexpected(self.peek())
        elif self.is_op(";"):
            self.advance()
        self.skip_newlines()
        self.expect("do")
        body = self._nonempty_list({"done"})
        self.expect("done")
        return For(name, items, body, self.parse_redirs())

    def _nonempty_list(self, terms: set[str]) -> ListNode:
        body = self.parse_list(frozenset(terms))
        if not body.items:
            raise self.unexpected(self.peek())
        return body

    # ---- words ----
    def prepare(self, word: Word) -> Word:
        """Parse the command substitutions inside a word (now, like bash)."""
        for part in word.parts:
            _prepare_part(part)
        return word


def _prepare_part(part: object) -> None:
    if isinstance(part, CmdSub) and part.body is None:
        part.body = parse(part.source)
    elif isinstance(part, Param):
        for arg in (part.arg, part.arg2):
            if arg is not None:
                for sub in arg.parts:
                    _prepare_part(sub)


def split_assignment(word: Word) -> tuple[str, Word, bool] | None:
    """``NAME=value`` (or ``NAME+=value``) when the ``=`` is unquoted in the first part."""
    if not word.parts or not isinstance(word.parts[0], Lit) or word.parts[0].quoted:
        return None
    first = word.parts[0]
    m = _ASSIGN_RE.match(first.text)
    if m is None:
        return None
    rest = first.text[m.end() :]
    parts = ([Lit(rest, False)] if rest else []) + list(word.parts[1:])
    value_src = word.src[m.end() :] if word.src.startswith(m.group(0)) else word.src
    return m.group(1), Word(parts, value_src), bool(m.group(2))


def parse(text: str) -> ListNode:
    """Parse one command line (may span several lines). Raises :class:`ParseError`."""
    return Parser(text).parse()


# ---- unparse ---------------------------------------------------------------


def unparse(node: object) -> str:
    """The normalized text bash shows for a job (``jobs``, ``Done`` notices)."""
    if isinstance(node, ListNode):
        out = []
        for n, item in enumerate(node.items):
            text = unparse(item.andor)
            if item.background:
                text += " &"
            elif n < len(node.items) - 1:
                text += ";"
            out.append(text)
        return " ".join(out)
    if isinstance(node, AndOr):
        text = unparse(node.first)
        for op, pipeline in node.rest:
            text += f" {op} {unparse(pipeline)}"
        return text
    if isinstance(node, Pipeline):
        text = ""
        for n, cmd in enumerate(node.commands):
            text += unparse(cmd)
            if n < len(node.commands) - 1:
                text += " 2>&1 | " if node.stderr_too[n] else " | "
        return text
    if isinstance(node, Simple):
        words = [f"{name}{'+' if append else ''}={value.src}" for name, value, append in node.assigns]
        words += [w.src for w in node.words]
        return " ".join(words + [_unparse_redir(r) for r in node.redirs])
    if isinstance(node, Subshell):
        return _with_redirs(f"( {_body(node.body)} )", node.redirs)
    if isinstance(node, Group):
        return _with_redirs(f"{{ {_body(node.body)}; }}", node.redirs)
    if isinstance(node, If):
        text = ""
        for n, (cond, body) in enumerate(node.clauses):
            text += f"{'if' if n == 0 else ' elif'} {_body(cond)}; then {_body(body)};"
        if node.orelse is not None:
            text += f" else {_body(node.orelse)};"
        return _with_redirs(text + " fi", node.redirs)
    if isinstance(node, While):
        kw = "until" if node.until else "while"
        return _with_redirs(f"{kw} {_body(node.cond)}; do {_body(node.body)}; done", node.redirs)
    if isinstance(node, For):
        items = "" if node.items is None else " in " + " ".join(w.src for w in node.items)
        return _with_redirs(f"for {node.var}{items}; do {_body(node.body)}; done", node.redirs)
    return ""


def _body(node: ListNode) -> str:
    return unparse(node).rstrip(";")


def _with_redirs(text: str, redirs: list[Redir]) -> str:
    return " ".join([text] + [_unparse_redir(r) for r in redirs])


def _unparse_redir(redir: Redir) -> str:
    fd = "" if redir.fd is None else str(redir.fd)
    if redir.op in (">&", "<&"):
        return f"{fd}{redir.op}{redir.target.src}"
    return f"{fd}{redir.op} {redir.target.src}"
