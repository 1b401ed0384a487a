"""The text tools (grep, head, tail, wc, sort, cut, uniq, tr, cat, seq, echo, printf).

Expected outputs were taken from GNU grep 3.8 / coreutils 9.1 with the same input.
"""

from __future__ import annotations

import pytest

from tui.engine.lab import Lab
from tui.shell import Shell
from tui.shell.commands.core import translate_regex

FILES = {
    "data": "apple pie\nbanana\ncherry tart\ndate an an\nanan\n",
    "data2": "a.b\naxb\n1 2 3\nfoo\n",
    "nums": "10\n9\n100\n-1\n2.5\nabc\n",
    "dup": "b\na\nb\nb\nc\na\n",
    "table": "x 3 q\ny 1 w\nz 2 e\nw 10 r\n",
    "colon": "root:x:0:0\nbin:x:2:2\nsys:x:3:3\nman:x:12:15\n",
    "tabs": "a\tb\tc\nd\te\n",
}


@pytest.fixture(scope="module")
def sh() -> Shell:
    lab = Lab(0)
    lab.add_host("ip-10-0-2-197")
    shell = Shell(lab)
    for name, text in FILES.items():
        shell.sandbox.fs.write(f"/root/{name}", text.encode())
    return shell


def run(sh: Shell, line: str) -> tuple[str, int]:
    start = len(sh.terminal.text())
    sh.run_line(line)
    return sh.terminal.text()[start:], sh.last_status


CASES = [
    # grep
    ("grep -n a data", "1:apple pie\n2:banana\n3:cherry tart\n4:date an an\n5:anan\n", 0),
    ("grep -c a data", "5\n", 0),
    ("grep -v -i A data", "", 1),
    ("grep -w 'an' data", "date an an\n", 0),
    ("grep -o 'a[nb]' data", "an\nan\nan\nan\nan\nan\n", 0),
    ("grep -E 'x|y' data2", "axb\n", 0),
    ("grep 'a\\|b' data2", "a.b\naxb\n", 0),
    ("grep -x 'banana' data", "banana\n", 0),
    ("grep -e apple -e cherry data", "apple pie\ncherry tart\n", 0),
    ("grep -in 'APPLE' data data2", "data:1:apple pie\n", 0),
    ("grep -l a data data2", "data\ndata2\n", 0),
    ("grep -A1 apple data", "apple pie\nbanana\n", 0),
    ("grep -C1 date data", "cherry tart\ndate an an\nanan\n", 0),
    ("grep -m1 a data", "apple pie\n", 0),
    ("grep -q a data; echo $?", "0\n", 0),
    ("grep zzz data", "", 1),
    ("grep '[[:digit:]]' data2", "1 2 3\n", 0),
    ("grep '^[^a]' data", "banana\ncherry tart\ndate an an\n", 0),
    ("grep '\\(an\\)\\1' data", "banana\nanan\n", 0),
    ("grep -E '(an){2}' data", "banana\nanan\n", 0),
    ("grep -E 'a{1' data2", "", 1),
    ("grep '\\<an' data", "date an an\nanan\n", 0),
    ("grep -F 'a.' data2", "a.b\n", 0),
    ("grep 'a.' data2", "a.b\naxb\n", 0),
    ("grep 'a+' data2", "", 1),
    ("grep -E 'a+' data2", "a.b\naxb\n", 0),
    ("grep -c '' data", "5\n", 0),
    ("grep -vc a data data2 nums", "data:0\ndata2:2\nnums:5\n", 0),
    ("grep", "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n", 2),
    ("grep -k x", "grep: invalid option -- 'k'\nUsage: grep [OPTION]... PATTERNS [FILE]...\n"
                  "Try 'grep --help' for more information.\n", 2),
    ("grep --foo x", "grep: unrecognized option '--foo'\nUsage: grep [OPTION]... PATTERNS [FILE]...\n"
                     "Try 'grep --help' for more information.\n", 2),
    ("grep -E 'a(' data", "grep: Unmatched ( or \\(\n", 2),
    ("grep '[a' data", "grep: Unmatched [, [^, [:, [., or [=\n", 2),
    ("grep x nope", "grep: nope: No such file or directory\n", 2),
    ("grep -c a data nope", "data:5\ngrep: nope: No such file or directory\n", 2),
    # head / tail
    ("head -2 data", "apple pie\nbanana\n", 0),
    ("head -n -2 data", "apple pie\nbanana\ncherry tart\n", 0),
    ("head -c 5 data", "apple", 0),
    ("head -n x data", "head: invalid number of lines: \u2018x\u2019\n", 1),
    ("head -3 nope", "head: cannot open 'nope' for reading: No such file or directory\n", 1),
    ("head -1 data data2", "==> data <==\napple pie\n\n==> data2 <==\na.b\n", 0),
    ("tail -2 data", "date an an\nanan\n", 0),
    ("tail -n +4 data", "date an an\nanan\n", 0),
    ("tail -c 5 data", "anan\n", 0),
    ("seq 20 | tail -3", "18\n19\n20\n", 0),
    # wc
    ("wc data", " 5  9 45 data\n", 0),
    ("wc -l data data2", " 5 data\n 4 data2\n 9 total\n", 0),
    ("wc -l data", "5 data\n", 0),
    ("cat data | wc", "      5       9      45\n", 0),
    ("cat data | wc -l", "5\n", 0),
    ("cat data | wc -lc", "      5      45\n", 0),
    ("wc nope", "wc: nope: No such file or directory\n", 1),
    # sort
    ("sort data2", "1 2 3\na.b\naxb\nfoo\n", 0),
    ("sort -n nums", "-1\nabc\n2.5\n9\n10\n100\n", 0),
    ("sort -rn nums", "100\n10\n9\n2.5\nabc\n-1\n", 0),
    ("sort -u dup", "a\nb\nc\n", 0),
    ("sort -k2 table", "y 1 w\nw 10 r\nz 2 e\nx 3 q\n", 0),
    ("sort -k2,2n table", "y 1 w\nz 2 e\nx 3 q\nw 10 r\n", 0),
    ("sort -t: -k3 -n colon", "root:x:0:0\nbin:x:2:2\nsys:x:3:3\nman:x:12:15\n", 0),
    ("sort -k x data", "sort: invalid number at field start: invalid count at start of \u2018x\u2019\n", 2),
    # cut
    ("cut -d: -f1 colon", "root\nbin\nsys\nman\n", 0),
    ("cut -d: -f2- colon", "x:0:0\nx:2:2\nx:3:3\nx:12:15\n", 0),
    ("cut -d: -f1,3 colon", "root:0\nbin:2\nsys:3\nman:12\n", 0),
    ("cut -c1-3 data", "app\nban\nche\ndat\nana\n", 0),
    ("cut -f2 tabs", "b\ne\n", 0),
    ("cut -s -d: -f1 data", "", 0),
    ("cut data", "cut: you must specify a list of bytes, characters, or fields\n"
                 "Try 'cut --help' for more information.\n", 1),
    ("cut -d ab -f1 data", "cut: the delimiter must be a single character\nTry 'cut --help' for more information.\n", 1),
    ("cut -f0 data", "cut: fields are numbered from 1\nTry 'cut --help' for more information.\n", 1),
    ("cut -f 3-1 data", "cut: invalid decreasing range\nTry 'cut --help' for more information.\n", 1),
    ("cut -c", "cut: option requires an argument -- 'c'\nTry 'cut --help' for more information.\n", 1),
    # uniq / tr / cat / seq
    ("uniq dup", "b\na\nb\nc\na\n", 0),
    ("sort dup | uniq -c", "      2 a\n      3 b\n      1 c\n", 0),
    ("sort dup | uniq -d", "a\nb\n", 0),
    ("sort dup | uniq -u", "c\n", 0),
    ("tr a-z A-Z < data2", "A.B\nAXB\n1 2 3\nFOO\n", 0),
    ("tr -d a < data2", ".b\nxb\n1 2 3\nfoo\n", 0),
    ("echo aaabbb | tr -s ab", "ab\n", 0),
    ("tr '[:lower:]' '[:upper:]' < data2 | head -1", "A.B\n", 0),
    ("tr", "tr: missing operand\nTry 'tr --help' for more information.\n", 1),
    ("cat -n data2 | head -2", "     1\ta.b\n     2\taxb\n", 0),
    ("cat nope /etc", "cat: nope: No such file or directory\ncat: /etc: Is a directory\n", 1),
    ("seq 3", "1\n2\n3\n", 0),
    ("seq 1 2 9", "1\n3\n5\n7\n9\n", 0),
    ("seq 0 0.5 2", "0.0\n0.5\n1.0\n1.5\n2.0\n", 0),
    ("seq -s, 5", "1,2,3,4,5\n", 0),
    ("seq -w 8 10", "08\n09\n10\n", 0),
    ("seq 5 1", "", 0),
    ("seq 3 x", "seq: invalid floating point argument: \u2018x\u2019\nTry 'seq --help' for more information.\n", 1),
    # echo / printf / sleep / date
    ("echo -e 'a\\tb\\x41\\0101'", "a\tbAA\n", 0),
    ("echo -n x; echo y", "xy\n", 0),
    ("echo -en 'a\\cb'; echo", "a\n", 0),
    ("echo -- -n", "-- -n\n", 0),
    ("printf '%s|%5s|%-5s|%d|%05d|%x|%o|%c|%%\\n' a b c 42 42 255 8 hello", "a|    b|c    |42|00042|ff|10|h|%\n", 0),
    ("printf '%s\\n' a b c", "a\nb\nc\n", 0),
    ("printf '%.2f\\n' 3.14159", "3.14\n", 0),
    ("sleep", "sleep: missing operand\nTry 'sleep --help' for more information.\n", 1),
    ("sleep x", "sleep: invalid time interval \u2018x\u2019\nTry 'sleep --help' for more information.\n", 1),
    ("sleep -1", "sleep: invalid option -- '1'\nTry 'sleep --help' for more information.\n", 1),
    ("date -d @0", "Thu Jan  1 00:00:00 UTC 1970\n", 0),
    ("date --foo", "date: unrecognized option '--foo'\nTry 'date --help' for more information.\n", 1),
    ("tee /nope/x < /dev/null", "tee: /nope/x: No such file or directory\n", 1),
]


@pytest.mark.parametrize(("line", "expected", "status"), CASES, ids=[c[0] for c in CASES])
def test_tool_output_matches_gnu(sh: Shell, line: str, expected: str, status: int) -> None:
    assert run(sh, line) == (expected, status)


def test_tee_writes_files(sh: Shell) -> None:
    assert run(sh, "seq 2 | tee /tmp/t1 | wc -l; cat /tmp/t1") == ("2\n1\n2\n", 0)
    assert run(sh, "echo 3 | tee -a /tmp/t1 > /dev/null; cat /tmp/t1") == ("1\n2\n3\n", 0)


def test_test_builtin(sh: Shell) -> None:
    assert run(sh, "[ -f data ] && [ -d /tmp ] && [ ! -e /nope ] && [ 2 -lt 10 ] && [ abc = abc ] && echo ok") == ("ok\n", 0)
    assert run(sh, "[ -z '' -a -n x ] && test 1 -ne 2 -o 1 -eq 2 && echo ok") == ("ok\n", 0)
    assert run(sh, "[ 1 -eq x ]") == ("bash: [: x: integer expression expected\n", 2)
    assert run(sh, "[ 1 = 1") == ("bash: [: missing `]'\n", 2)


@pytest.mark.parametrize(
    ("pattern", "extended", "regex"),
    [("a.b", False, "a.b"), ("a\\.b", False, "a\\.b"), ("a+(b)", False, "a\\+\\(b\\)"), ("a\\+\\(b\\)", False, "a+(b)"),
     ("a+(b)", True, "a+(b)"), ("*a", False, "\\*a"), ("^a$", False, "^a$"), ("a^b$c", False, "a\\^b\\$c"),
     ("[]a]", False, "[\\]a]"), ("[\\.]", False, "[\\\\.]"), ("\\<w\\>", True, "\\bw\\b"), ("a{2}", True, "a{2}"),
     ("a{x", True, "a\\{x")],
)
def test_posix_regex_translation(pattern: str, extended: bool, regex: str) -> None:
    assert translate_regex(pattern, extended) == regex
