"""docker's tab writer aligns tables exactly like `docker network ls` & co print them.

Cases come from the facts sheet (section 1) and from the table of Go `text/tabwriter`
cases as docker/cli's copy (go-runewidth widths) expects them.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.shell.formats.tabwriter import (
    ALIGN_RIGHT,
    DEBUG,
    DISCARD_EMPTY_COLUMNS,
    MINWIDTH_1903,
    MINWIDTH_2010,
    TabWriter,
    rune_width,
    string_width,
    tabulate,
)


def test_minwidth_constants() -> None:
    assert MINWIDTH_2010 == 10
    assert MINWIDTH_1903 == 20


def test_network_ls_worked_example() -> None:
    out = tabulate(
        [
            ["NETWORK ID", "NAME", "DRIVER", "SCOPE"],
            ["14fy2l7a4mci", "ingress", "overlay", "swarm"],
            ["a51e8bb8a1a5", "docker_gwbridge", "bridge", "local"],
        ]
    )
    assert out.splitlines() == [
        "NETWORK ID     NAME              DRIVER    SCOPE",
        "14fy2l7a4mci   ingress           overlay   swarm",
        "a51e8bb8a1a5   docker_gwbridge   bridge    local",
    ]


def test_network_ls_with_1903_minimum_width() -> None:
    out = tabulate([["NETWORK ID", "NAME", "DRIVER", "SCOPE"]], minwidth=MINWIDTH_1903)
    assert out == "NETWORK ID          NAME                DRIVER              SCOPE\n"


def test_service_ls_header_and_trailing_padding_of_empty_ports() -> None:
    out = tabulate(
        [
            ["ID", "NAME", "MODE", "REPLICAS", "IMAGE", "PORTS"],
            ["ic1ro2pbbymn", "test", "replicated", "2/2", "busybox:latest", ""],
        ]
    )
    header, row = out.splitlines()
    assert header == "ID             NAME      MODE         REPLICAS   IMAGE            PORTS"
    # No PORTS: the IMAGE cell is still padded, so the line ends in three spaces.
    assert row == "ic1ro2pbbymn   test      replicated   2/2        busybox:latest   "


def test_node_ls_self_marker_column_is_30_wide() -> None:
    out = tabulate(
        [
            ["ID  ", "HOSTNAME", "STATUS", "AVAILABILITY", "MANAGER STATUS", "ENGINE VERSION"],
            ["d68ace5iraw6whp7llvgjpu48 *", "ip-172-31-34-146", "Ready", "Active", "Leader", "20.10.7"],
            ["nvp5rwavvb8lhdggo8fcf7plg  ", "ip-172-31-35-151", "Ready", "Active", "", "20.10.7"],
        ]
    )
    lines = out.splitlines()
    assert lines[0].index("HOSTNAME") == 30
    assert lines[1].startswith("d68ace5iraw6whp7llvgjpu48 *   ip-172-31-34-146   Ready     Active")
    # An empty MANAGER STATUS is padded to its column like any other cell.
    assert lines[2] == (
        "nvp5rwavvb8lhdggo8fcf7plg     ip-172-31-35-151   Ready     Active         "
        "                 20.10.7"
    )


def test_service_ps_rows_end_in_padding_of_error_column() -> None:
    out = tabulate(
        [
            ["ID", "NAME", "IMAGE", "NODE", "DESIRED STATE", "CURRENT STATE", "ERROR", "PORTS"],
            ["yf5uqm1kzx6d", "test.1", "busybox:latest", "ip-10-0-2-197", "Running",
             "Running 2 minutes ago", "", ""],
        ]
    )  # fmt: skip
    assert out.splitlines()[1].endswith("Running 2 minutes ago" + " " * 3 + " " * 10)


# (name, minwidth, tabwidth, padding, padchar, flags, src, expected) from the Go test table,
# with the widths docker/cli's runewidth-based copy expects for wide characters.
GO_CASES = [
    ("1a", 8, 0, 1, ".", 0, "", ""),
    ("1a debug", 8, 0, 1, ".", DEBUG, "", ""),
    ("2", 8, 0, 1, ".", 0, "\n\n\n", "\n\n\n"),
    ("3", 8, 0, 1, ".", 0, "a\nb\nc", "a\nb\nc"),
    ("4a", 8, 0, 1, ".", 0, "\t", ""),
    ("4b", 8, 0, 1, ".", ALIGN_RIGHT, "\t", ""),
    ("5", 8, 0, 1, ".", 0, "*\t*", "*.......*"),
    ("5b", 8, 0, 1, ".", 0, "*\t*\n", "*.......*\n"),
    ("5c", 8, 0, 1, ".", 0, "*\t*\t", "*.......*"),
    ("5c debug", 8, 0, 1, ".", DEBUG, "*\t*\t", "*.......|*"),
    ("5d", 8, 0, 1, ".", ALIGN_RIGHT, "*\t*\t", ".......**"),
    ("6", 8, 0, 1, ".", 0, "\t\n", "........\n"),
    ("7a", 8, 0, 1, ".", 0, "a) foo", "a) foo"),
    ("7b", 8, 0, 1, " ", 0, "b) foo\tbar", "b) foo  bar"),
    ("7c", 8, 0, 1, ".", 0, "c) foo\tbar\t", "c) foo..bar"),
    ("7d", 8, 0, 1, ".", 0, "d) foo\tbar\n", "d) foo..bar\n"),
    ("7e", 8, 0, 1, ".", 0, "e) foo\tbar\t\n", "e) foo..bar.....\n"),
    ("8", 8, 0, 1, "*", 0, "Hello, world!\n", "Hello, world!\n"),
    ("9a", 1, 0, 0, ".", 0, "1\t2\t3\t4\n11\t222\t3333\t44444\n", "1.2..3...4\n11222333344444\n"),
    ("9c", 1, 0, 0, ".", 0, "1\t2\t3\t4\f11\t222\t3333\t44444\n", "1234\n11222333344444\n"),
    ("9c debug", 1, 0, 0, ".", DEBUG, "1\t2\t3\t4\f11\t222\t3333\t44444\n",
     "1|2|3|4\n---\n11|222|3333|44444\n"),
    ("10a", 5, 0, 0, ".", 0, "1\t2\t3\t4\n", "1....2....3....4\n"),
    ("10b", 5, 0, 0, ".", 0, "1\t2\t3\t4\t\n", "1....2....3....4....\n"),
    ("11 wide", 8, 0, 1, ".", 0, "本\tb\tc\naa\t本本本\tcccc\tddddd\naaa\tbbbb\n",
     "本......b.......c\naa......本本本..cccc....ddddd\naaa.....bbbb\n"),
    ("12a", 8, 0, 1, " ", ALIGN_RIGHT, "a\tè\tc\t\naa\tèèè\tcccc\tddddd\t\naaa\tèèèè\t\n",
     "       a       è       c\n      aa     èèè    cccc   ddddd\n     aaa    èèèè\n"),
    ("12b", 2, 0, 0, " ", 0, "a\tb\tc\naa\tbbb\tcccc\naaa\tbbbb\n", "a  b  c\naa bbbcccc\naaabbbb\n"),
    ("12c", 8, 0, 1, "_", 0, "a\tb\tc\naa\tbbb\tcccc\naaa\tbbbb\n",
     "a_______b_______c\naa______bbb_____cccc\naaa_____bbbb\n"),
    ("13a", 4, 0, 1, "-", 0,
     "4444\t日本語\t22\t1\t333\n999999999\t22\n7\t22\n\t\t\t88888888\n\n666666\t666666\t666666\t4444\n"
     "1\t1\t999999999\t0000000000\n",
     "4444------日本語-22--1---333\n999999999-22\n7---------22\n------------------88888888\n\n"
     "666666-666666-666666----4444\n1------1------999999999-0000000000\n"),
    ("13b", 4, 0, 3, ".", 0,
     "4444\t333\t22\t1\t333\n999999999\t22\n7\t22\n\t\t\t88888888\n\n666666\t666666\t666666\t4444\n"
     "1\t1\t999999999\t0000000000\n",
     "4444........333...22...1...333\n999999999...22\n7...........22\n....................88888888\n\n"
     "666666...666666...666666......4444\n1........1........999999999...0000000000\n"),
    ("14", 1, 0, 2, " ", ALIGN_RIGHT,
     ".0\t.3\t2.4\t-5.1\t\n23.0\t12345678.9\t2.4\t-989.4\t\n5.1\t12.0\t2.4\t-7.0\t\n"
     ".0\t0.0\t332.0\t8908.0\t\n.0\t-.3\t456.4\t22.1\t\n.0\t1.2\t44.4\t-13.3\t\t",
     "    .0          .3    2.4    -5.1\n  23.0  12345678.9    2.4  -989.4\n"
     "   5.1        12.0    2.4    -7.0\n    .0         0.0  332.0  8908.0\n"
     "    .0         -.3  456.4    22.1\n    .0         1.2   44.4   -13.3"),
    ("15a", 4, 0, 0, ".", 0, "a\t\tb", "a.......b"),
    ("15b", 4, 0, 0, ".", DISCARD_EMPTY_COLUMNS, "a\t\tb", "a.......b"),
    ("15c", 4, 0, 0, ".", DISCARD_EMPTY_COLUMNS, "a\v\vb", "a...b"),
    ("15d", 4, 0, 0, ".", ALIGN_RIGHT | DISCARD_EMPTY_COLUMNS, "a\v\vb", "...ab"),
    ("16a", 100, 100, 0, "\t", 0,
     "a\tb\t\td\na\tb\t\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n",
     "a\tb\t\td\na\tb\t\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n"),
    ("16b", 100, 100, 0, "\t", DISCARD_EMPTY_COLUMNS,
     "a\vb\v\vd\na\vb\v\vd\ve\na\na\vb\vc\vd\na\vb\vc\vd\ve\n",
     "a\tb\td\na\tb\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n"),
    ("16b debug", 100, 100, 0, "\t", DISCARD_EMPTY_COLUMNS | DEBUG,
     "a\vb\v\vd\na\vb\v\vd\ve\na\na\vb\vc\vd\na\vb\vc\vd\ve\n",
     "a\t|b\t||d\na\t|b\t||d\t|e\na\na\t|b\t|c\t|d\na\t|b\t|c\t|d\t|e\n"),
    ("16c debug", 100, 100, 0, "\t", DISCARD_EMPTY_COLUMNS | DEBUG,
     "a\tb\t\td\na\tb\t\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n",
     "a\t|b\t|\t|d\na\t|b\t|\t|d\t|e\na\na\t|b\t|c\t|d\na\t|b\t|c\t|d\t|e\n"),
]  # fmt: skip


def _chunks_fibonacci(src: str) -> list[str]:
    out, i, d = [], 0, 0
    while i < len(src):
        out.append(src[i : i + d])
        i, d = i + d, d + 1
        if i + d > len(src):
            d = len(src) - i
    return out


@pytest.mark.parametrize("case", GO_CASES, ids=[c[0] for c in GO_CASES])
@pytest.mark.parametrize("split", ["whole", "by-char", "fibonacci"])
def test_go_tabwriter_table(case: tuple, split: str) -> None:
    _name, minwidth, tabwidth, padding, padchar, flags, src, expected = case
    tw = TabWriter(minwidth, tabwidth, padding, padchar, flags)
    pieces = {"whole": [src], "by-char": list(src), "fibonacci": _chunks_fibonacci(src)}[split]
    for piece in pieces:
        tw.write(piece)
    assert tw.flush() == expected


def test_column_blocks_break_at_lines_with_fewer_cells() -> None:
    # The go doc example: b and c are in different columns (the b column is not
    # contiguous), d and e are not in a column at all.
    tw = TabWriter(minwidth=0, padding=1, padchar=".", flags=DEBUG)
    tw.write("aaaa\tbbb\td\naa\tb\tdd\na\t\naa\tcccc\teee\n")
    assert tw.flush() == "aaaa.|bbb.|d\naa...|b...|dd\na....|\naa...|cccc.|eee\n"


def test_flush_returns_only_new_output_and_writer_is_reusable() -> None:
    tw = TabWriter()
    tw.write("a\tb\n")
    assert tw.flush() == "a         b\n"
    assert tw.flush() == ""
    tw.write("xyz\tq\n")
    assert tw.flush() == "xyz       q\n"


def test_unsupported_flags_and_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError):
        TabWriter(flags=1)  # FilterHTML
    with pytest.raises(ValueError):
        TabWriter(minwidth=-1)


def test_display_widths_follow_runewidth() -> None:
    assert rune_width("a") == 1
    assert rune_width("本") == 2
    assert rune_width("\u0301") == 0  # combining acute
    assert rune_width("\x07") == 0
    assert rune_width("\u200b") == 0  # zero width space
    assert rune_width("é") == 1
    assert rune_width("Ω") == 1  # East Asian Ambiguous counts 1 outside CJK locales
    assert string_width("日本語") == 6
    assert string_width("e\u0301") == 1
    assert string_width("👍🏽") == 2  # emoji + skin tone modifier: one cluster
    assert string_width("") == 0


def test_wide_cells_are_aligned_by_display_width() -> None:
    out = tabulate([["NAME", "X"], ["日本", "y"], ["ab", "z"]])
    lines = out.splitlines()
    assert [string_width(line[: line.rindex(" ") + 1]) for line in lines] == [10, 10, 10]


@given(
    st.integers(min_value=1, max_value=5).flatmap(
        lambda n: st.lists(
            st.lists(st.text(alphabet="ab本 é\u0301", max_size=14), min_size=n, max_size=n), max_size=6
        )
    )
)
def test_rectangular_tables_pad_every_column_to_its_widest_cell(rows: list[list[str]]) -> None:
    # One block: column j is max(10, widest cell + 3) wide; the last cell is not padded.
    if not rows:
        assert tabulate(rows) == ""
        return
    ncols = len(rows[0])
    widths = [max(10, max(string_width(r[j]) for r in rows) + 3) for j in range(ncols - 1)]
    expected = "".join(
        "".join(cell + " " * (widths[j] - string_width(cell)) for j, cell in enumerate(r[:-1])) + r[-1] + "\n"
        for r in rows
    )
    assert tabulate(rows) == expected
