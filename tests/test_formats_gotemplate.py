"""`--format` templates print what Go's text/template + docker/cli print, errors included.

Expected error texts come from reading Go's lexer/parser/executor and from real docker
output quoted in issue threads (e.g. the `<.NetworkSettings.Net...>` capture).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.shell.formats.dockerjson import GoMap
from tui.shell.formats.gotemplate import (
    GoStruct,
    TemplateError,
    format_rows,
    go_quote,
    go_sprint,
    go_sprintf,
    go_sprintln,
    prepare_format,
    render,
    render_table,
    table_format,
)

NET = {
    "Name": "my-swarm-net",
    "Id": "lr7ugdh1kdl2xa9tqd5kq0vno",
    "Driver": "overlay",
    "IPAM": {
        "Driver": "default",
        "Options": None,
        "Config": [{"Subnet": "10.0.1.0/24", "Gateway": "10.0.1.1"}],
    },
    "Containers": GoMap(
        {
            "lb-my-swarm-net": {"Name": "my-swarm-net-endpoint", "IPv4Address": "10.0.1.4/24"},
            "36dce35d56e8": {"Name": "test.1.yf5uqm1kzx6dbt7n26e4akhsu", "IPv4Address": "10.0.1.3/24"},
        }
    ),
    "Options": GoMap({"com.docker.network.driver.overlay.vxlanid_list": "4097"}),
    "Labels": GoMap(),
    "Peers": [{"Name": "4912820cfa0d", "IP": "10.0.2.197"}, {"Name": "b5d7a1c3e9f2", "IP": "10.0.2.253"}],
    "Tags": ["a", "b"],
    "Count": 3,
    "Ratio": 1.5,
    "Attachable": False,
    "Html": "a<b>&c",
}


def err(template: str, data: object = NET, **kw: object) -> TemplateError:
    with pytest.raises(TemplateError) as info:
        render(template, data, **kw)  # type: ignore[arg-type]
    return info.value


# -- fields, maps, index --------------------------------------------------------------


def test_fields_nested_fields_and_map_keys() -> None:
    assert render("{{.Name}}", NET) == "my-swarm-net"
    assert render("{{.IPAM.Driver}}", NET) == "default"
    assert render("{{.Options.foo}}", {"Options": {"foo": "bar"}}) == "bar"
    assert render("{{(index .IPAM.Config 0).Subnet}}", NET) == "10.0.1.0/24"


def test_index_on_maps_and_lists() -> None:
    key = '"com.docker.network.driver.overlay.vxlanid_list"'
    assert render("{{index .Options " + key + "}}", NET) == "4097"
    assert render("{{index .Tags 1}}", NET) == "b"
    assert render('{{index .Containers "lb-my-swarm-net" "Name"}}', NET) == "my-swarm-net-endpoint"
    assert render('{{index .Options "nope"}}', NET) == "<no value>"
    assert render('{{index "abc" 0}}', NET) == "97"


def test_missing_map_key_prints_no_value_by_default() -> None:
    assert render("{{.Nope}}", NET) == "<no value>"
    assert render("{{.Nope.Deeper}}", NET) == "<no value>"
    assert render("{{.}}", None) == "<no value>"
    assert render("{{.X}}", None) == "<no value>"


def test_missing_key_with_missingkey_error_is_what_docker_inspect_prints() -> None:
    e = err("{{.Nope}}", missingkey="error")
    assert e.go_message == 'template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"'
    assert str(e) == 'template parsing error: ' + e.go_message
    assert e.kind == "exec"


def test_real_capture_of_a_long_chained_field_error() -> None:
    # moby/wplib issue capture: the field node sits at the position of the second
    # field and the context is cut to 20 bytes.
    e = err("{{range .NetworkSettings.Networks}}{{println .IPAddress}}{{end}}", {}, missingkey="error")
    assert str(e) == (
        'template parsing error: template: :1:24: executing "" at <.NetworkSettings.Net...>: '
        'map has no entry for key "NetworkSettings"'
    )


def test_nil_values_from_json_null() -> None:
    assert render("{{.IPAM.Options}}", NET) == "<no value>"
    assert render("{{if .IPAM.Options}}y{{else}}n{{end}}", NET) == "n"
    assert render("{{json .IPAM.Options}}", NET) == "null"
    assert render("{{print .IPAM.Options}}", NET) == "<nil>"
    e = err("{{.IPAM.Options.x}}")
    assert e.go_message == (
        'template: :1:7: executing "" at <.IPAM.Options.x>: nil pointer evaluating interface {}.x'
    )


def test_struct_fields_and_methods() -> None:
    ctx = GoStruct(
        "*formatter.networkContext",
        {"ID": "lr7ugdh1kdl2", "Label": lambda name: {"env": "prod"}.get(name, "")},
    )
    assert render('{{.ID}} {{.Label "env"}}', ctx) == "lr7ugdh1kdl2 prod"
    e = err("{{.Nope}}", ctx)
    assert e.go_message == (
        'template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.networkContext'
    )
    e = err("{{.ID 1}}", ctx)
    assert e.go_message.endswith("ID has arguments but cannot be invoked as function")
    e = err("{{.Label}}", ctx)
    assert e.go_message.endswith("wrong number of args for Label: want 1 got 0")


def test_stringer_and_custom_json() -> None:
    created = GoStruct(
        "time.Time",
        string="2021-10-27 01:53:08.549111816 +0000 UTC",
        json="2021-10-27T01:53:08.549111816Z",
    )
    data = {"Created": created}
    assert render("{{.Created}}", data) == "2021-10-27 01:53:08.549111816 +0000 UTC"
    assert render("{{json .Created}}", data) == '"2021-10-27T01:53:08.549111816Z"'


# -- printing -------------------------------------------------------------------------


def test_default_printing_of_go_values() -> None:
    assert render("{{.Options}}", NET) == "map[com.docker.network.driver.overlay.vxlanid_list:4097]"
    assert render("{{.Labels}}", NET) == "map[]"
    assert render("{{.Tags}}", NET) == "[a b]"
    assert render("{{.Attachable}} {{.Count}} {{.Ratio}}", NET) == "false 3 1.5"
    assert render("{{.}}", [1, "x", None, {"k": None}]) == "[1 x <nil> map[k:<nil>]]"
    assert render("{{.}}", {"b": 1, "a": 2}) == "map[a:2 b:1]"
    assert render("{{.}}", 1e6) == "1e+06"
    assert render("{{1e6}} {{0x10}} {{'a'}} {{1.0}} {{-3}} {{1_000}} {{017}} {{.5}}", NET) == (
        "1e+06 16 97 1 -3 1000 15 0.5"
    )


def test_json_function_is_compact_and_does_not_escape_html() -> None:
    assert render("{{json .Html}}", NET) == '"a<b>&c"'
    assert render("{{json .IPAM}}", NET) == (
        '{"Driver":"default","Options":null,"Config":[{"Subnet":"10.0.1.0/24","Gateway":"10.0.1.1"}]}'
    )
    assert render("{{json .Containers}}", NET).startswith('{"36dce35d56e8":')
    assert render("{{.Tags | json}}", NET) == '["a","b"]'
    assert render("{{json .Missing}}", NET) == "null"


def test_println_print_printf() -> None:
    assert render("{{println .Name .Count}}", NET) == "my-swarm-net 3\n"
    assert render('{{print 1 2 "a" "b" 3}}', NET) == "1 2ab3"
    assert render('{{printf "%s-%d-%v-%q" .Name .Count .Ratio .Name}}', NET) == (
        'my-swarm-net-3-1.5-"my-swarm-net"'
    )
    assert render('{{.Ratio | printf "%.2f"}}', NET) == "1.50"
    assert render('{{printf "%5s|%-5s|%05d|%x|%X|%t" "ab" "cd" 42 255 "hi" true}}', NET) == (
        "   ab|cd   |00042|ff|6869|true"
    )
    assert render('{{printf "%d %s" "x"}}', NET) == "%!d(string=x) %!s(MISSING)"
    assert render('{{printf "%d" 1 2}}', NET) == "1%!(EXTRA int=2)"


def test_go_fmt_helpers() -> None:
    assert go_sprint("a", 1, 2, "b") == "a1 2b"
    assert go_sprintln("a", 1) == "a 1\n"
    assert go_sprintf("%v|%s|%q", None, None, "é\n") == '<nil>|%!s(<nil>)|"é\\n"'
    assert go_sprintf("%6.2f|%e|%g", 3.14159, 1234.5678, 0.000012) == "  3.14|1.234568e+03|1.2e-05"
    assert go_sprintf("%c|%U|%#U|%o|%b", 65, 65, 65, 8, 5) == "A|U+0041|U+0041 'A'|10|101"
    assert go_quote("tab\there\x01\u00a0") == '"tab\\there\\x01\\u00a0"'


# -- control structures, variables, trimming ------------------------------------------


def test_range_over_lists_and_maps() -> None:
    assert render("{{range .IPAM.Config}}{{.Subnet}} {{end}}", NET) == "10.0.1.0/24 "
    assert render("{{range $k, $v := .Containers}}{{$k}}={{$v.IPv4Address}};{{end}}", NET) == (
        "36dce35d56e8=10.0.1.3/24;lb-my-swarm-net=10.0.1.4/24;"
    )
    assert render("{{range $i, $p := .Peers}}{{$i}}:{{$p.IP}} {{end}}", NET) == "0:10.0.2.197 1:10.0.2.253 "
    assert render("{{range $e := .Tags}}{{$e}}{{end}}", NET) == "ab"
    assert render("{{range .Labels}}x{{else}}none{{end}}", NET) == "none"
    assert render("{{range .Missing}}x{{else}}none{{end}}", NET) == "none"
    assert render('{{range .Tags}}{{if eq . "b"}}{{break}}{{end}}{{.}}{{end}}', NET) == "a"
    assert render("{{range .Tags}}{{continue}}x{{end}}ok", NET) == "ok"


def test_if_else_with_and_variables() -> None:
    assert render("{{if .Attachable}}yes{{else}}no{{end}}", NET) == "no"
    assert render("{{if and .Count .Ratio}}both{{end}}", NET) == "both"
    assert render("{{if .Attachable}}a{{else if .Count}}c{{else}}n{{end}}", NET) == "c"
    assert render("{{with .IPAM}}{{.Driver}}{{end}}", NET) == "default"
    assert render("{{with .Missing}}x{{else}}none{{end}}", NET) == "none"
    assert render("{{with .Attachable}}x{{else with .Count}}{{.}}{{end}}", NET) == "3"
    assert render("{{$x := .Name}}{{$x}}", NET) == "my-swarm-net"
    assert render("{{$x := 1}}{{$x = 2}}{{$x}}", NET) == "2"
    assert render("{{range .Peers}}{{$.Name}} {{end}}", NET) == "my-swarm-net my-swarm-net "
    assert render("{{and 1 0}} {{or 0 \"\" \"z\"}} {{not .Attachable}}", NET) == "0 z true"


def test_trim_markers_and_comments() -> None:
    assert render('{{- " a " -}}  x  {{- 3 -}} ', NET) == " a x3"
    assert render("a {{/* comment */}} b {{- /* c */ -}} c", NET) == "a  bc"
    assert render("{{-3}} {{- 3}}", NET) == "-33"
    assert render("{{ .Name }}\n{{ .Nope\n}}", NET) == "my-swarm-net\n<no value>"


def test_define_template_block() -> None:
    assert render('{{define "x"}}[{{.}}]{{end}}{{template "x" .Name}}', NET) == "[my-swarm-net]"
    assert render('{{block "b" .Count}}<{{.}}>{{end}}', NET) == "<3>"


# -- docker's functions ---------------------------------------------------------------


def test_docker_template_functions() -> None:
    assert render("{{upper .Name}} {{lower \"ABC\"}} {{title \"hello world\"}}", NET) == "MY-SWARM-NET abc Hello World"
    assert render('{{join .Tags ","}} {{split "a,b" ","}} {{len .Tags}}', NET) == "a,b [a b] 2"
    assert render("{{truncate .Name 2}}|{{pad .Name 1 2}}|{{pad \"\" 3 3}}", NET) == "my| my-swarm-net  |"
    assert render('{{upper "straße"}} {{title "hello_world foo-bar"}}', NET) == "STRAßE Hello_world Foo-Bar"
    assert render('{{html .Html}} {{js .Html}} {{urlquery "a b&c"}}', NET) == (
        "a&lt;b&gt;&amp;c a\\u003Cb\\u003E\\u0026c a+b%26c"
    )
    assert render("{{slice .Name 3}} {{slice .Tags 0 1}}", NET) == "swarm-net [a]"
    assert render("{{eq .Count 3}} {{lt 1 2}} {{ne 1 2}} {{ge 1 2}}", NET) == "true true true false"


def test_header_functions_keep_header_names() -> None:
    hdr = {"Name": "NAME", "Tags": "TAGS"}
    assert render('{{upper .Name}}\t{{json .Tags}}\t{{join .Tags ","}}', hdr, header=True) == "NAME\tTAGS\tTAGS"


# -- error texts ----------------------------------------------------------------------

PARSE_ERRORS = [
    ("{{.ID}", 'template: :1: unexpected "}" in operand'),
    ("{{.Foo }", 'template: :1: unexpected "}" in operand'),
    ("{{.Foo", "template: :1: unclosed action"),
    ("{{\n.A\n\n", "template: :4: unclosed action started at :1"),
    ("{{if .B}}", "template: :1: unexpected EOF"),
    ("{{end}}", "template: :1: unexpected {{end}}"),
    ("{{else}}", "template: :1: unexpected {{else}}"),
    ("{{foo}}", 'template: :1: function "foo" not defined'),
    ("{{$x}}", 'template: :1: undefined variable "$x"'),
    ("{{}}", "template: :1: missing value for command"),
    ("{{range}}{{end}}", "template: :1: missing value for range"),
    ("{{break}}", "template: :1: {{break}} outside {{range}}"),
    ("{{1 | 2}}", "template: :1: non executable command in pipeline stage 2"),
    ('{{"a".B}}', 'template: :1: unexpected . after term "\\"a\\""'),
    ('{{"\\q"}}', "template: :1: invalid syntax"),
    ("{{'ab'}}", "template: :1: malformed character constant: 'ab'"),
    ("{{3x}}", 'template: :1: bad number syntax: "3x"'),
    ("{{09}}", 'template: :1: integer overflow: "09"'),
    ("{{.A:}}", "template: :1: expected :="),
    ("{{\x07}}", "template: :1: unrecognized character in action: U+0007"),
    ("{{(.A}}", "template: :1: unclosed left paren"),
    ("{{)}}", 'template: :1: unexpected ")" in command'),
    ('{{"x}}', "template: :1: unterminated quoted string"),
    ("x{{/* open", "template: :1: unclosed comment"),
    ("x{{/* a */ y}}", "template: :1: comment ends before closing delimiter"),
    ("{{.A.}}", "template: :1: unexpected <.> in operand"),
    ("{{range $a, $b, $c := .}}{{end}}", "template: :1: too many declarations in range"),
    ("a\nb\n{{.X | 3}}", "template: :3: non executable command in pipeline stage 2"),
]


@pytest.mark.parametrize(("template", "message"), PARSE_ERRORS)
def test_parse_errors(template: str, message: str) -> None:
    e = err(template)
    assert e.kind == "parse"
    assert e.go_message == message
    assert str(e) == "template parsing error: " + message


EXEC_ERRORS = [
    ("{{index .Tags 5}}", '<index .Tags 5>: error calling index: index out of range: 5', 2),
    ("{{.Name.x}}", "<.Name.x>: can't evaluate field x in type string", 7),
    ("{{range .Name}}{{end}}", "<.Name>: range can't iterate over my-swarm-net", 8),
    ("{{printf}}", "<printf>: wrong number of args for printf: want at least 1 got 0", 2),
    ("{{printf 3}}", "<3>: expected string; found 3", 9),
    ("{{upper .Count}}", "<.Count>: wrong type for value; expected string; got int", 8),
    ("{{eq .Count 1.5}}", "<eq .Count 1.5>: error calling eq: incompatible types for comparison", 2),
    ("{{nil}}", "<nil>: nil is not a command", 2),
    ("{{.Name 1}}", "<.Name>: Name is not a method but has arguments", 2),
    ("{{.Count | .Name}}", "<.Name>: Name is not a method but has arguments", 11),
    ("{{len .IPAM.Options}}", "<len .IPAM.Options>: error calling len: len of nil pointer", 2),
    ('{{index .IPAM.Options "a"}}', "<index .IPAM.Options ...>: error calling index: index of untyped nil", 2),
    ("{{template \"nope\"}}", '<{{template "nope"}}>: template "nope" not defined', 11),
    ('{{pad "x" -1 0}}', '<pad "x" -1 0>: error calling pad: strings: negative Repeat count', 2),
    ("{{join .Peers \",\"}}", "<.Peers>: wrong type for value; expected []string; got []interface {}", 7),
]


@pytest.mark.parametrize(("template", "tail", "col"), EXEC_ERRORS)
def test_exec_errors(template: str, tail: str, col: int) -> None:
    e = err(template)
    assert e.kind == "exec"
    assert e.go_message == f'template: :1:{col}: executing "" at {tail}'


def test_exec_error_location_counts_lines_and_bytes() -> None:
    # Go reports the byte column of the *last* field of a chain (here `.x`).
    e = err("a\n\n  {{.Name.x}}")
    assert e.go_message.startswith('template: :3:9: executing "" at <.Name.x>')
    e = err("é {{.Name.x}}")
    assert e.go_message.startswith('template: :1:10: executing "" at <.Name.x>')


# -- docker formatter: table / non-table ----------------------------------------------


def test_prepare_format() -> None:
    assert prepare_format("table {{.ID}}\\t{{.Name}}") == (True, "{{.ID}}\t{{.Name}}")
    assert prepare_format("{{.ID}}\\n") == (False, "{{.ID}}\n")
    assert table_format("table") == (True, "")
    assert table_format("  {{.ID}} ") == (False, "{{.ID}}")


NETWORK_HEADERS = {"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE"}
NETWORK_ROWS = [
    {"ID": "a51e8bb8a1a5", "Name": "bridge", "Driver": "bridge", "Scope": "local"},
    {"ID": "14fy2l7a4mci", "Name": "ingress", "Driver": "overlay", "Scope": "swarm"},
]


def test_network_ls_default_table() -> None:
    out = render_table("table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}", NETWORK_ROWS, NETWORK_HEADERS)
    assert out == (
        "NETWORK ID     NAME      DRIVER    SCOPE\n"
        "a51e8bb8a1a5   bridge    bridge    local\n"
        "14fy2l7a4mci   ingress   overlay   swarm\n"
    )


def test_table_with_escaped_tabs_and_1903_width() -> None:
    out = render_table("table {{.ID}}\\t{{.Name}}", NETWORK_ROWS[:1], NETWORK_HEADERS, minwidth=20)
    assert out == "NETWORK ID          NAME\na51e8bb8a1a5        bridge\n"


def test_node_ls_table_with_self_marker() -> None:
    fmt = (
        "table {{.ID}} {{if .Self}}*{{else}} {{ end }}\t{{.Hostname}}\t{{.Status}}\t"
        "{{.Availability}}\t{{.ManagerStatus}}\t{{.EngineVersion}}"
    )
    headers = {
        "ID": "ID", "Self": "", "Hostname": "HOSTNAME", "Status": "STATUS",
        "Availability": "AVAILABILITY", "ManagerStatus": "MANAGER STATUS", "EngineVersion": "ENGINE VERSION",
    }  # fmt: skip
    rows = [
        {"ID": "d68ace5iraw6whp7llvgjpu48", "Self": True, "Hostname": "ip-172-31-34-146", "Status": "Ready",
         "Availability": "Active", "ManagerStatus": "Leader", "EngineVersion": "20.10.7"},
        {"ID": "nvp5rwavvb8lhdggo8fcf7plg", "Self": False, "Hostname": "ip-172-31-35-151", "Status": "Ready",
         "Availability": "Active", "ManagerStatus": "", "EngineVersion": "20.10.7"},
    ]  # fmt: skip
    lines = render_table(fmt, rows, headers).splitlines()
    assert lines[0] == (
        "ID                            HOSTNAME           STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION"
    )
    assert lines[1] == (
        "d68ace5iraw6whp7llvgjpu48 *   ip-172-31-34-146   Ready     Active         Leader           20.10.7"
    )
    assert lines[2] == (
        "nvp5rwavvb8lhdggo8fcf7plg     ip-172-31-35-151   Ready     Active                          20.10.7"
    )


def test_service_ls_row_without_ports_ends_in_padding() -> None:
    fmt = "table {{.ID}}\t{{.Name}}\t{{.Mode}}\t{{.Replicas}}\t{{.Image}}\t{{.Ports}}"
    headers = {"ID": "ID", "Name": "NAME", "Mode": "MODE", "Replicas": "REPLICAS", "Image": "IMAGE", "Ports": "PORTS"}
    row = {"ID": "ic1ro2pbbymn", "Name": "test", "Mode": "replicated", "Replicas": "2/2",
           "Image": "busybox:latest", "Ports": ""}  # fmt: skip
    assert render_table(fmt, [row], headers) == (
        "ID             NAME      MODE         REPLICAS   IMAGE            PORTS\n"
        "ic1ro2pbbymn   test      replicated   2/2        busybox:latest   \n"
    )


def test_non_table_formats_print_one_line_per_row() -> None:
    assert format_rows("{{.ID}}: {{.Name}}", NETWORK_ROWS) == "a51e8bb8a1a5: bridge\n14fy2l7a4mci: ingress\n"
    assert format_rows("{{.Name}}", []) == ""


def test_table_header_errors_are_ignored_but_row_errors_are_not() -> None:
    # The header map has no methods: `.Label "x"` fails there and docker keeps the part
    # rendered so far.
    ctx = GoStruct("*formatter.networkContext", {"ID": "a51e8bb8a1a5", "Label": lambda k: "v"})
    assert render_table('table {{.ID}}\t{{.Label "x"}}', [ctx], {"ID": "NETWORK ID"}) == (
        "NETWORK ID     \na51e8bb8a1a5   v\n"
    )
    with pytest.raises(TemplateError) as info:
        render_table("table {{.ID}}\t{{.Nope}}", [GoStruct("*formatter.networkContext", {"ID": "x"})], {})
    assert str(info.value) == (
        'template parsing error: template: :1:10: executing "" at <.Nope>: '
        "can't evaluate field Nope in type *formatter.networkContext"
    )
    with pytest.raises(TemplateError) as info:
        format_rows("table {{.ID}", [], {})
    assert info.value.kind == "parse"


# -- robustness -----------------------------------------------------------------------

TOKENS = [
    "{{", "}}", "{{- ", " -}}", "{{/*", "*/}}", ".", ".Name", ".IPAM", ".Config", ".Tags", ".Nope",
    "$", "$x", "$k", "$v", " ", "\n", "\t", "|", "(", ")", '"', '"s"', "`r`", "'c'", ",", ":=", "=",
    "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue",
    "nil", "true", "false", "json", "index", "len", "printf", "print", "println", "and", "or",
    "not", "eq", "lt", "le", "slice", "call", "upper", "split", "join", "pad", "truncate", "title",
    "html", "js", "urlquery", "0", "1", "-3", "1.5", "0x1f", "1e9", "%d", "%s", "%v", "x", "-", "}",
]  # fmt: skip

DATA = {
    **NET,
    "S": GoStruct("*formatter.ctx", {"M": lambda *a: len(a), "F": 1}),
    "Fn": lambda *a: "called",
    "Deep": {"A": [{"B": None}, [1, 2.5, True]]},
}


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=30).map("".join), st.sampled_from(["default", "error", "zero"]))
def test_random_token_soup_only_raises_template_error(template: str, missingkey: str) -> None:
    try:
        out = render(template, DATA, missingkey=missingkey)
    except TemplateError as e:
        assert e.go_message.startswith("template: ")
        assert e.kind in ("parse", "exec")
    else:
        assert isinstance(out, str)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_random_text_only_raises_template_error(template: str) -> None:
    try:
        render(template, DATA)
    except TemplateError:
        pass


@given(st.text(alphabet=st.characters(blacklist_characters="{"), max_size=30))
def test_text_without_actions_is_copied_verbatim(text: str) -> None:
    assert render(text, DATA) == text
