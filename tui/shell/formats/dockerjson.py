"""JSON text exactly as Go's encoding/json writes it and docker prints it.

`docker inspect` / `docker network inspect` print the daemon's raw JSON re-indented with
`json.Indent(dst, src, "", "    ")`, all results wrapped in one `[...]` and a newline. Go
decides the key order (struct field order for structs, sorted keys for maps), the number
formatting and the string escaping, so the same rules are applied here:

- dicts keep their insertion order (the caller lists fields in the daemon's struct order);
  `GoMap` marks a dict the daemon encodes from a Go map, whose keys come out sorted.
- the daemon's encoder has HTML escaping switched off (moby PR #27060, Docker 1.13), and
  so does docker/cli's `{{json}}` template function: `&`, `<`, `>` stay as they are.
  `escape_html=True` gives Go's default (`\\u0026`, `\\u003c`, `\\u003e`) for
  callers that mimic a plain `json.Marshal`.
- U+2028/U+2029 are always escaped; other control characters use `\\n`, `\\r`, `\\t`
  or `\\u00XX` (Go before 1.22 also wrote `\\b` and `\\f` as `\\u0008`/`\\u000c`, which
  is what 20.10-era daemons print).

Values may also provide `__go_json__()`, returning the value to encode in their place.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

INDENT = "    "


class GoMap(dict):
    """A dict the daemon encodes from a Go map: its keys are emitted in sorted order."""

    go_type = "map[string]interface {}"


class GoJSONError(ValueError):
    """A value Go's encoder refuses (NaN/Inf) or a key that is not a string."""


def _escape_char(ch: str, escape_html: bool) -> str:
    cp = ord(ch)
    if ch == '"':
        return '\\"'
    if ch == "\\":
        return "\\\\"
    if ch == "\n":
        return "\\n"
    if ch == "\r":
        return "\\r"
    if ch == "\t":
        return "\\t"
    if cp < 0x20 or cp in (0x2028, 0x2029) or (escape_html and ch in "<>&"):
        return f"\\u{cp:04x}"
    if 0xD800 <= cp <= 0xDFFF:  # lone surrogate: invalid UTF-8, Go writes U+FFFD
        return "\\ufffd"
    return ch


def quote(text: str, escape_html: bool = False) -> str:
    """A JSON string literal the way Go's encoder writes it."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        if not escape_html or not any(c in text for c in "<>&"):
            return f'"{text}"'
    return '"' + "".join(_escape_char(c, escape_html) for c in text) + '"'


def _shortest_digits(value: float) -> tuple[str, int]:
    """Shortest round-tripping decimal digits of a positive float and the decimal exponent.

    The value is 0.d1d2... x 10**exp10 (Go's decimal `dp`).
    """
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    stripped = len("".join(map(str, digits))) - len(text)
    assert isinstance(exponent, int)
    dp = len(text) + exponent + stripped
    return text, dp


def format_float(value: float) -> str:
    """A float64 as encoding/json writes it ('f' form, 'e' form below 1e-6 or from 1e21)."""
    if value != value or value in (float("inf"), float("-inf")):
        raise GoJSONError(f"json: unsupported value: {go_float_text(value)}")
    if value == 0:
        return "-0" if str(value).startswith("-") else "0"
    neg = value < 0
    digits, dp = _shortest_digits(abs(value))
    absv = abs(value)
    if absv < 1e-6 or absv >= 1e21:
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        exp = dp - 1
        text = f"{mant}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
        if exp < 0 and abs(exp) < 10:  # Go trims e-07 to e-7
            text = f"{mant}e-{abs(exp)}"
    else:
        text = _fixed(digits, dp)
    return "-" + text if neg else text


def go_float_text(value: float) -> str:
    """A float64 as fmt's %v prints it (strconv 'g', shortest): `1e+06`, `0.5`, `+Inf`."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if str(value).startswith("-") else "0"
    neg = value < 0
    digits, dp = _shortest_digits(abs(value))
    exp = dp - 1
    if exp < -4 or exp >= 6:  # shortest 'g' switches to the exponent form at 1e+06
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        text = f"{mant}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    else:
        text = _fixed(digits, dp)
    return "-" + text if neg else text


def _fixed(digits: str, dp: int) -> str:
    """``digits`` with the decimal point ``dp`` places in (the 'f' form of both float formats)."""
    if dp <= 0:
        return "0." + "0" * -dp + digits
    if dp >= len(digits):
        return digits + "0" * (dp - len(digits))
    return digits[:dp] + "." + digits[dp:]


def _resolve(value: Any) -> Any:
    hook = getattr(value, "__go_json__", None)
    while callable(hook):
        value = hook()
        hook = getattr(value, "__go_json__", None)
    return value


def _key_text(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool) or not isinstance(key, int):
        raise GoJSONError(f"json: unsupported map key type {type(key).__name__}")
    return str(key)  # Go encodes integer map keys as strings


def _items(value: dict) -> list[tuple[str, Any]]:
    items = [(_key_text(k), v) for k, v in value.items()]
    if isinstance(value, GoMap):
        items.sort(key=lambda kv: kv[0].encode("utf-8", "surrogatepass"))
    return items


def _scalar(value: Any, escape_html: bool) -> str | None:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, str):
        return quote(value, escape_html)
    return None


def encode(value: Any, escape_html: bool = False) -> str:
    """Compact JSON as Go's Encoder writes it (without the trailing newline)."""
    value = _resolve(value)
    text = _scalar(value, escape_html)
    if text is not None:
        return text
    if isinstance(value, dict):
        body = ",".join(f"{quote(k, escape_html)}:{encode(v, escape_html)}" for k, v in _items(value))
        return "{" + body + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(encode(v, escape_html) for v in value) + "]"
    raise GoJSONError(f"json: unsupported type: {type(value).__name__}")


def _indented(value: Any, level: int, escape_html: bool) -> str:
    value = _resolve(value)
    text = _scalar(value, escape_html)
    if text is not None:
        return text
    inner = INDENT * (level + 1)
    if isinstance(value, dict):
        items = _items(value)
        if not items:
            return "{}"
        body = ",\n".join(
            f"{inner}{quote(k, escape_html)}: {_indented(v, level + 1, escape_html)}" for k, v in items
        )
        return "{\n" + body + "\n" + INDENT * level + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        body = ",\n".join(inner + _indented(v, level + 1, escape_html) for v in value)
        return "[\n" + body + "\n" + INDENT * level + "]"
    raise GoJSONError(f"json: unsupported type: {type(value).__name__}")


def indent_json(obj: Any, escape_html: bool = False) -> str:
    """What `docker inspect` prints: the results in one array, 4-space indented, newline.

    A list is taken as the list of inspected objects; anything else as a single object.
    With no objects docker prints `[]`.
    """
    elements = list(obj) if isinstance(obj, (list, tuple)) else [obj]
    return _indented(elements, 0, escape_html) + "\n"


def compact_json(obj: Any, escape_html: bool = False) -> str:
    """`{{json .X}}` / `--format json`: compact Go JSON, no trailing newline."""
    return encode(obj, escape_html)
