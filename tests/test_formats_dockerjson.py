"""`docker network inspect` text, byte for byte: 4-space indent, daemon key order, Go escaping.

The expected documents follow the facts sheet, section 2 (user overlay 2.4 with the
Containers fragment of 2.3, ingress 2.5, bridge options 2.7).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.shell.formats.dockerjson import (
    GoJSONError,
    GoMap,
    compact_json,
    encode,
    format_float,
    go_float_text,
    indent_json,
    quote,
)

TASK_CID = "36dce35d56e8a1cc0ab4b31b5eef4a4b9e9d3d2d2bbf4c69d4d3e6f7c1a0d588"
TASK_EP = "e8972d00b1c9f6e4c2b6a7e2d4a0f3c8d6e1b5a9c7f2e4d8b0a6c3e1f5d7b9a2"
LB_EP = "e299d083b5a7c9e1f3d5b7a9c1e3f5d7b9a1c3e5f7d9b1a3c5e7f9d1b3a5c7e9"


def _endpoint(name: str, ep: str, mac: str, ip: str) -> dict:
    return {"Name": name, "EndpointID": ep, "MacAddress": mac, "IPv4Address": ip, "IPv6Address": ""}


def user_overlay() -> dict:
    """NetworkResource as a 20.10 daemon encodes it (struct order, Go maps sorted)."""
    return {
        "Name": "my-swarm-net",
        "Id": "lr7ugdh1kdl2xa9tqd5kq0vno",
        "Created": "2021-10-27T01:53:08.549111816Z",
        "Scope": "swarm",
        "Driver": "overlay",
        "EnableIPv6": False,
        "IPAM": {
            "Driver": "default",
            "Options": None,
            "Config": [{"Subnet": "10.0.1.0/24", "Gateway": "10.0.1.1"}],
        },
        "Internal": False,
        "Attachable": False,
        "Ingress": False,
        "ConfigFrom": {"Network": ""},
        "ConfigOnly": False,
        # Built in "wrong" order on purpose: the daemon's map encoding sorts it.
        "Containers": GoMap(
            {
                "lb-my-swarm-net": _endpoint("my-swarm-net-endpoint", LB_EP, "02:42:0a:00:01:04", "10.0.1.4/24"),
                TASK_CID: _endpoint(
                    "test.1.yf5uqm1kzx6dbt7n26e4akhsu", TASK_EP, "02:42:0a:00:01:03", "10.0.1.3/24"
                ),
            }
        ),
        "Options": GoMap({"com.docker.network.driver.overlay.vxlanid_list": "4097"}),
        "Labels": GoMap(),
        "Peers": [
            {"Name": "4912820cfa0d", "IP": "10.0.2.197"},
            {"Name": "b5d7a1c3e9f2", "IP": "10.0.2.253"},
        ],
    }


USER_OVERLAY_TEXT = f"""[
    {{
        "Name": "my-swarm-net",
        "Id": "lr7ugdh1kdl2xa9tqd5kq0vno",
        "Created": "2021-10-27T01:53:08.549111816Z",
        "Scope": "swarm",
        "Driver": "overlay",
        "EnableIPv6": false,
        "IPAM": {{
            "Driver": "default",
            "Options": null,
            "Config": [
                {{
                    "Subnet": "10.0.1.0/24",
                    "Gateway": "10.0.1.1"
                }}
            ]
        }},
        "Internal": false,
        "Attachable": false,
        "Ingress": false,
        "ConfigFrom": {{
            "Network": ""
        }},
        "ConfigOnly": false,
        "Containers": {{
            "{TASK_CID}": {{
                "Name": "test.1.yf5uqm1kzx6dbt7n26e4akhsu",
                "EndpointID": "{TASK_EP}",
                "MacAddress": "02:42:0a:00:01:03",
                "IPv4Address": "10.0.1.3/24",
                "IPv6Address": ""
            }},
            "lb-my-swarm-net": {{
                "Name": "my-swarm-net-endpoint",
                "EndpointID": "{LB_EP}",
                "MacAddress": "02:42:0a:00:01:04",
                "IPv4Address": "10.0.1.4/24",
                "IPv6Address": ""
            }}
        }},
        "Options": {{
            "com.docker.network.driver.overlay.vxlanid_list": "4097"
        }},
        "Labels": {{}},
        "Peers": [
            {{
                "Name": "4912820cfa0d",
                "IP": "10.0.2.197"
            }},
            {{
                "Name": "b5d7a1c3e9f2",
                "IP": "10.0.2.253"
            }}
        ]
    }}
]
"""


def test_user_overlay_inspect_is_byte_exact() -> None:
    assert indent_json([user_overlay()]) == USER_OVERLAY_TEXT
    # A single object is wrapped the same way.
    assert indent_json(user_overlay()) == USER_OVERLAY_TEXT


def test_output_is_what_go_json_indent_gives_for_the_compact_form() -> None:
    # json.Indent(compact) and Python's indent=4 agree on layout except for empty
    # containers, which Go keeps as {} / [] and Python also prints compactly.
    compact = "[" + encode(user_overlay()) + "]"
    assert json.dumps(json.loads(compact), indent=4, ensure_ascii=False) + "\n" == USER_OVERLAY_TEXT


def test_ingress_network_fragment() -> None:
    ingress = {
        "Name": "ingress",
        "Id": "14fy2l7a4mci0b3t0p4yl6lh3",
        "Attachable": False,
        "Ingress": True,
        "Containers": GoMap(
            {
                "ingress-sbox": _endpoint(
                    "ingress-endpoint", LB_EP, "02:42:0a:00:00:02", "10.0.0.2/24"
                )
            }
        ),
        "Options": GoMap({"com.docker.network.driver.overlay.vxlanid_list": "4096"}),
        "Labels": GoMap(),
    }
    lines = indent_json(ingress).splitlines()
    assert '        "Ingress": true,' in lines
    assert '            "ingress-sbox": {' in lines
    assert '                "IPv4Address": "10.0.0.2/24",' in lines
    assert '            "com.docker.network.driver.overlay.vxlanid_list": "4096"' in lines
    assert '        "Labels": {}' in lines


def test_go_maps_come_out_sorted_and_structs_keep_their_order() -> None:
    bridge_options = GoMap(
        {
            "com.docker.network.driver.mtu": "1500",
            "com.docker.network.bridge.name": "docker0",
            "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
            "com.docker.network.bridge.enable_ip_masquerade": "true",
            "com.docker.network.bridge.enable_icc": "true",
            "com.docker.network.bridge.default_bridge": "true",
        }
    )
    text = indent_json({"Options": bridge_options, "Z": 1, "A": 2})
    keys = [line.strip().split('"')[1] for line in text.splitlines() if line.startswith("            ")]
    assert keys == [
        "com.docker.network.bridge.default_bridge",
        "com.docker.network.bridge.enable_icc",
        "com.docker.network.bridge.enable_ip_masquerade",
        "com.docker.network.bridge.host_binding_ipv4",
        "com.docker.network.bridge.name",
        "com.docker.network.driver.mtu",
    ]
    assert text.index('"Z"') < text.index('"A"')  # struct (insertion) order kept


def test_empty_results_and_empty_containers() -> None:
    assert indent_json([]) == "[]\n"
    assert indent_json({"A": [], "B": {}, "C": None}) == (
        '[\n    {\n        "A": [],\n        "B": {},\n        "C": null\n    }\n]\n'
    )


def test_string_escaping_follows_the_daemon_encoder() -> None:
    # The daemon switched HTML escaping off (moby#27060): & < > are printed as is.
    assert quote("soanni&rtr <x>") == '"soanni&rtr <x>"'
    # Go's default escaping, for callers that mimic plain json.Marshal.
    assert quote("soanni&rtr <x>", escape_html=True) == '"soanni\\u0026rtr \\u003cx\\u003e"'
    assert quote('a"b\\c') == '"a\\"b\\\\c"'
    assert quote("l1\nl2\tx\r") == '"l1\\nl2\\tx\\r"'
    assert quote("\x00\x08\x0c\x1f\x7f") == '"\\u0000\\u0008\\u000c\\u001f\x7f"'
    assert quote("\u2028\u2029") == '"\\u2028\\u2029"'
    assert quote("日本 é") == '"日本 é"'


def test_numbers_are_formatted_like_go() -> None:
    assert encode(1500) == "1500"
    assert encode(1.0) == "1"
    assert encode(0.5) == "0.5"
    assert encode(1e21) == "1e+21"
    assert encode(1e20) == "100000000000000000000"
    assert encode(1.5e-7) == "1.5e-7"
    assert encode(0.000001) == "0.000001"
    assert encode(-2.25) == "-2.25"
    with pytest.raises(GoJSONError):
        encode(float("nan"))


def test_fmt_v_float_text() -> None:
    assert go_float_text(1e6) == "1e+06"
    assert go_float_text(123456.0) == "123456"
    assert go_float_text(1234567.0) == "1.234567e+06"
    assert go_float_text(0.0001) == "0.0001"
    assert go_float_text(0.00001) == "1e-05"
    assert go_float_text(float("inf")) == "+Inf"
    assert format_float(3.0) == "3"


def test_compact_json_for_format_json() -> None:
    assert compact_json({"A": [1, "x"], "B": GoMap(b=1, a=2)}) == '{"A":[1,"x"],"B":{"a":2,"b":1}}'
    assert compact_json(None) == "null"


def test_go_json_hook_and_unsupported_values() -> None:
    class Stamp:
        def __go_json__(self) -> str:
            return "2021-10-27T01:53:08Z"

    assert encode({"Created": Stamp()}) == '{"Created":"2021-10-27T01:53:08Z"}'
    with pytest.raises(GoJSONError):
        encode({"x": object()})
    with pytest.raises(GoJSONError):
        encode({1.5: "x"})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)  # fmt: skip


def _numbers_as_floats(v: object) -> object:
    # Go writes 3.293562010969783e16 as 32935620109697830, which parses back as an int.
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, list):
        return [_numbers_as_floats(x) for x in v]
    assert isinstance(v, dict)
    return {k: _numbers_as_floats(x) for k, x in v.items()}


@given(json_values)
def test_encoding_round_trips_through_a_json_parser(value: object) -> None:
    assert _numbers_as_floats(json.loads(encode(value))) == _numbers_as_floats(value)
    assert _numbers_as_floats(json.loads(indent_json([value]))) == _numbers_as_floats([value])
