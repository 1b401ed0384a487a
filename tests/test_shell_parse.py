"""Lexer, parser and word expansion of the simulated shell."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from tui.shell.expand import ExpansionError, arith_eval, brace_expand, expand_word, expand_words
from tui.shell.lexer import Arith, CmdSub, LexError, Lit, Param, tokenize
from tui.shell.parser import (
    For,
    Group,
    If,
    ParseError,
    Simple,
    Subshell,
    While,
    parse,
    unparse,
)


def words(text: str) -> list[Any]:
    return [t.word for t in tokenize(text) if t.kind == "word"]


def kinds(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.value) for t in tokenize(text)]


class FakeContext:
    """An expansion context without a shell: variables in a dict, $(...) returns canned text."""

    home = "/root"

    def __init__(self, **variables: str) -> None:
        self.vars = dict(variables)
        self.subs: list[Any] = []
        self.args: list[str] = []

    def get_var(self, name: str) -> str | None:
        return self.vars.get(name)

    def set_var(self, name: str, value: str) -> None:
        self.vars[name] = value

    def special_param(self, name: str) -> str | None:
        return {"?": "3", "$": "1234", "!": "", "#": str(len(self.args)), "0": "bash"}.get(name)

    def positional(self) -> list[str]:
        return self.args

    def command_substitution(self, body: Any) -> Generator[Any, Any, str]:
        self.subs.append(unparse(body))
        return f"<{unparse(body)}>\n\n"
        yield  # pragma: no cover


def run(gen: Generator[Any, Any, Any]) -> Any:
    try:
        while True:
            next(gen)
    except StopIteration as stop:
        return stop.value


def argv(line: str, cx: FakeContext | None = None) -> list[str]:
    node = parse(line)
    cmd = node.items[0].andor.first.commands[0]
    assert isinstance(cmd, Simple)
    return run(expand_words(cmd.words, cx or FakeContext()))


# ---- lexer ---------------------------------------------------------------------


def test_operators_and_redirections_are_tokens() -> None:
    assert kinds("a|b||c&&d&e;f") == [
        ("word", "a"), ("op", "|"), ("word", "b"), ("op", "||"), ("word", "c"), ("op", "&&"),
        ("word", "d"), ("op", "&"), ("word", "e"), ("op", ";"), ("word", "f"), ("eof", ""),
    ]
    toks = tokenize("cmd 2>&1 >>log &>all <in 10>x")
    redirs = [(t.value, t.fd) for t in toks if t.kind == "redir"]
    assert redirs == [(">&", 2), (">>", None), ("&>", None), ("<", None), (">", 10)]


def test_digits_inside_a_word_are_not_a_descriptor() -> None:
    toks = tokenize("echo a2>f")
    assert [(t.kind, t.value) for t in toks][:3] == [("word", "echo"), ("word", "a2"), ("redir", ">")]


def test_words_keep_their_quoting() -> None:
    (w,) = words("""a'b c'"d $x"\\ e""")
    # neighbouring literals with the same quoting are merged
    assert w.parts == [Lit("a"), Lit("b cd ", True), Param("x", True, raw="$x"), Lit(" ", True), Lit("e")]
    assert w.src == """a'b c'"d $x"\\ e"""


def test_empty_quotes_make_an_empty_word() -> None:
    (w,) = words('""')
    assert w.parts == [Lit("", True)]


def test_comment_only_at_word_start() -> None:
    assert [w.src for w in words("echo a#b # c d")] == ["echo", "a#b"]


def test_nested_command_substitution_with_quotes_and_parens() -> None:
    (w,) = words('"$(echo "$(echo ")")" (x))"')
    (sub,) = w.parts
    assert isinstance(sub, CmdSub) and sub.quoted
    assert sub.source == 'echo "$(echo ")")" (x)'


def test_backquotes_unescape() -> None:
    (w,) = words(r"`echo \`x\` \$y`")
    (sub,) = w.parts
    assert isinstance(sub, CmdSub) and sub.source == "echo `x` $y"


def test_arithmetic_and_braced_parameters() -> None:
    (w,) = words("$((1+(2*3)))${x:-a b}${#y}")
    assert isinstance(w.parts[0], Arith) and w.parts[0].source == "1+(2*3)"
    assert isinstance(w.parts[1], Param) and w.parts[1].op == ":-" and w.parts[1].arg.src == "a b"
    assert isinstance(w.parts[2], Param) and w.parts[2].op == "#len"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("echo 'abc", "unexpected EOF while looking for matching `''"),
        ('echo "abc', "unexpected EOF while looking for matching `\"'"),
        ("echo $(echo", "unexpected EOF while looking for matching `)'"),
        ("echo `abc", "unexpected EOF while looking for matching ``'"),
        ("echo ${x", "unexpected EOF while looking for matching `}'"),
    ],
)
def test_unterminated_constructs(text: str, message: str) -> None:
    with pytest.raises(LexError) as info:
        tokenize(text)
    assert info.value.message == message
    assert info.value.incomplete


# ---- parser ----------------------------------------------------------------------


def test_list_structure() -> None:
    node = parse("a | b && c || d; e & f")
    assert [item.background for item in node.items] == [False, True, False]
    first = node.items[0].andor
    assert len(first.first.commands) == 2
    assert [op for op, _ in first.rest] == ["&&", "||"]


def test_assignments_only_before_the_command_name() -> None:
    cmd = parse("A=1 B+=2 cmd C=3").items[0].andor.first.commands[0]
    assert isinstance(cmd, Simple)
    assert [(n, w.src, app) for n, w, app in cmd.assigns] == [("A", "1", False), ("B", "2", True)]
    assert [w.src for w in cmd.words] == ["cmd", "C=3"]


def test_quoted_equals_is_not_an_assignment() -> None:
    cmd = parse("'A=1' \"B\"=2").items[0].andor.first.commands[0]
    assert isinstance(cmd, Simple) and not cmd.assigns and len(cmd.words) == 2


def test_compound_commands() -> None:
    node = parse("if a; then b; elif c; then d; else e; fi; for i in 1 2; do x; done; "
                 "while a; do b; done; until a; do b; done; ( a; b ); { a; }")
    cmds = [item.andor.first.commands[0] for item in node.items]
    assert [type(c) for c in cmds] == [If, For, While, While, Subshell, Group]
    assert cmds[3].until  # type: ignore[union-attr]


def test_reserved_words_only_in_command_position() -> None:
    cmd = parse("echo if then fi done }").items[0].andor.first.commands[0]
    assert isinstance(cmd, Simple) and len(cmd.words) == 6


@pytest.mark.parametrize(
    ("text", "message", "incomplete"),
    [
        ("| a", "syntax error near unexpected token `|'", False),
        ("a |", "syntax error: unexpected end of file", True),
        ("a &&", "syntax error: unexpected end of file", True),
        (")", "syntax error near unexpected token `)'", False),
        ("echo a >", "syntax error near unexpected token `newline'", False),
        ("echo a > > b", "syntax error near unexpected token `>'", False),
        (";;", "syntax error near unexpected token `;;'", False),
        ("a & & b", "syntax error near unexpected token `&'", False),
        ("echo $(|)", "syntax error near unexpected token `|'", False),
        ('echo "$(a |)"', "syntax error: unexpected end of file", True),
        ("done", "syntax error near unexpected token `done'", False),
        ("if true; then fi", "syntax error near unexpected token `fi'", False),
        ("if true", "syntax error: unexpected end of file", True),
        ("for", "syntax error near unexpected token `newline'", False),
        ("for 1 in a; do b; done", "`1': not a valid identifier", False),
        ("echo a)", "syntax error near unexpected token `)'", False),
        ("(echo a", "syntax error: unexpected end of file", True),
        ("a=(1 2)", "syntax error near unexpected token `('", False),
    ],
)
def test_syntax_errors_are_worded_like_bash(text: str, message: str, incomplete: bool) -> None:
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.message == message
    assert info.value.incomplete is incomplete
    assert info.value.format("bash") == f"bash: {message}"


def test_busybox_words_syntax_errors_differently() -> None:
    with pytest.raises(ParseError) as info:
        parse("| a")
    assert info.value.format("sh") == 'sh: syntax error: unexpected "|"'
    with pytest.raises(ParseError) as info:
        parse("echo 'a")
    assert info.value.format("sh") == "sh: syntax error: unterminated quoted string"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("sleep 2  &&   echo a", "sleep 2 && echo a"),
        ("echo x|(sleep 4;echo y)", "echo x | ( sleep 4; echo y )"),
        ("sleep 1 >/dev/null 2>&1", "sleep 1 > /dev/null 2>&1"),
        ("{ sleep 1; echo x; }", "{ sleep 1; echo x; }"),
        ("sleep 1 |& cat", "sleep 1 2>&1 | cat"),
        ("X=1 sleep 1", "X=1 sleep 1"),
        ("echo \"$(sleep 1)\" 'a b'", "echo \"$(sleep 1)\" 'a b'"),
    ],
)
def test_unparse_matches_bash_job_text(text: str, shown: str) -> None:
    assert unparse(parse(text).items[0].andor) == shown


# ---- expansion ---------------------------------------------------------------------


def test_quote_removal_and_escapes() -> None:
    assert argv(r"""echo a\ b "c\"d" 'e\f' "\$x" $'g\th' "a\b" """) == ["echo", "a b", 'c"d', "e\\f", "$x", "g\th", "a\\b"]


def test_field_splitting_only_for_unquoted_expansions() -> None:
    cx = FakeContext(x=" a  b ", e="")
    # bash: x=" a  b "; printf '[%s]' pre$x  ->  [pre][a][b]
    assert argv('echo $x "$x" pre$x $e "$e" ""', cx) == ["echo", "a", "b", " a  b ", "pre", "a", "b", "", ""]


def test_star_stays_literal() -> None:
    assert argv("echo * '*' a*b") == ["echo", "*", "*", "a*b"]


def test_special_parameters() -> None:
    cx = FakeContext()
    cx.args = ["one", "two words"]
    assert argv('echo $? $$ $# $0 "$@" $1 "$*"', cx) == ["echo", "3", "1234", "2", "bash", "one", "two words", "one", "one two words"]


def test_parameter_operators() -> None:
    cx = FakeContext(path="/usr/local/bin", empty="")
    assert argv(
        'echo ${unset:-d1} ${empty:-d2} ${empty-d3} ${path:+alt} ${#path} ${path#*/} ${path##*/} '
        "${path%/*} ${path%%/*}x ${path/local/opt} ${path//l/L} ${path:5:5}",
        cx,
    ) == ["echo", "d1", "d2", "alt", "14", "usr/local/bin", "bin", "/usr/local", "x", "/usr/opt/bin",
          "/usr/LocaL/bin", "local"]
    assert argv("echo ${new:=set}", cx) == ["echo", "set"] and cx.vars["new"] == "set"


def test_parameter_errors() -> None:
    with pytest.raises(ExpansionError, match="x: gone"):
        argv("echo ${x:?gone}")
    with pytest.raises(ExpansionError, match=r"\$\{%\}: bad substitution"):
        argv("echo ${%}")


def test_command_substitution_strips_trailing_newlines_and_splits() -> None:
    cx = FakeContext()
    assert argv('echo $(a b) "$(c)"', cx) == ["echo", "<a", "b>", "<c>"]
    assert argv("echo $(echo $(echo deep))", cx)[1:] == ["<echo", "$(echo", "deep)>"]
    assert cx.subs[-1] == "echo $(echo deep)"


def test_tilde_expansion() -> None:
    assert argv('echo ~ ~/x a~ "~" ~root/y', FakeContext(HOME="/home/me")) == ["echo", "/home/me", "/home/me/x", "a~", "~", "/root/y"]


def test_brace_expansion() -> None:
    assert argv("echo {a,b}c {1..3} {c..a} {1..10..4} x{,y} {01..03} '{a,b}' {x}") == [
        "echo", "ac", "bc", "1", "2", "3", "c", "b", "a", "1", "5", "9", "x", "xy", "01", "02", "03", "{a,b}", "{x}",
    ]
    assert [w.src for w in brace_expand(parse("a{1,2}").items[0].andor.first.commands[0].words[0])] == ["a{1,2}"] * 2


def test_huge_brace_expansion_is_an_error_not_a_hang() -> None:
    with pytest.raises(ExpansionError, match="brace expansion"):
        argv("echo {1..99999999}")


@pytest.mark.parametrize(
    ("expr", "value"),
    [("1+2*3", 7), ("(1+2)*3", 9), ("7/2", 3), ("-7/2", -3), ("-7%3", -1), ("2**10", 1024),
     ("1<2 && 3>2", 1), ("0x10 + 010", 24), ("x=5, x*2", 10), ("y", 0), ("1 ? 2 : 3", 2), ("~0", -1),
     ("2#101", 5), ("9223372036854775807 + 1", -9223372036854775808)],
)
def test_arithmetic(expr: str, value: int) -> None:
    assert arith_eval(expr, FakeContext()) == value


@pytest.mark.parametrize(
    ("expr", "message"),
    [("1/0", 'division by 0 (error token is "0")'), ("1+", "operand expected"),
     ("08", 'value too great for base (error token is "08")'), ("1 $ 2", "invalid arithmetic operator")],
)
def test_arithmetic_errors(expr: str, message: str) -> None:
    with pytest.raises(ExpansionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        arith_eval(expr, FakeContext())


def test_assignment_value_is_not_split() -> None:
    cmd = parse("X=$y").items[0].andor.first.commands[0]
    assert isinstance(cmd, Simple)
    _, word, _ = cmd.assigns[0]
    assert run(expand_word(word, FakeContext(y="a  b"))) == "a  b"
