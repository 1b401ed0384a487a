"""pflag-style parsing: long and short flags, `--x=v`, bundled shorts, and (for run/exec/create) stop at the
first positional so the rest is the container's command."""

from __future__ import annotations

from dataclasses import dataclass, field


class FlagError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class FlagSpec:
    names: tuple[str, ...]  # e.g. ("-d", "--detach")
    takes_value: bool = False
    repeat: bool = False
    key: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            longs = [n for n in self.names if n.startswith("--")]
            self.key = (longs[0] if longs else self.names[0]).lstrip("-").replace("-", "_")


@dataclass
class Parsed:
    values: dict[str, object] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)

    def get(self, key: str, default: object = None) -> object:
        return self.values.get(key, default)

    def flag(self, key: str) -> bool:
        return bool(self.values.get(key))

    def str(self, key: str, default: str = "") -> str:
        v = self.values.get(key)
        return v if isinstance(v, str) else default

    def list(self, key: str) -> list[str]:
        v = self.values.get(key)
        return list(v) if isinstance(v, list) else []


def parse(argv: list[str], specs: list[FlagSpec], *, interspersed: bool = True) -> Parsed:
    by_name = {n: s for s in specs for n in s.names}
    out = Parsed()
    i = 0
    while i < len(argv):
        a = argv[i]
        i += 1
        if a == "--":
            out.args.extend(argv[i:])
            break
        if a.startswith("--") and len(a) > 2:
            name, eq, val = a.partition("=")
            spec = by_name.get(name)
            if spec is None:
                raise FlagError(f"unknown flag: {name}")
            if spec.takes_value:
                if not eq:
                    if i >= len(argv):
                        raise FlagError(f"flag needs an argument: {name}")
                    val = argv[i]
                    i += 1
                _store(out, spec, val)
            else:
                if eq and val.lower() not in ("true", "false", "1", "0"):
                    raise FlagError(f'invalid argument "{val}" for "{name}" flag: strconv.ParseBool: parsing '
                                    f'"{val}": invalid syntax')
                out.values[spec.key] = not eq or val.lower() in ("true", "1")
            continue
        if a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                name = "-" + a[j]
                spec = by_name.get(name)
                if spec is None:
                    raise FlagError(f"unknown shorthand flag: '{a[j]}' in {a}")
                if spec.takes_value:
                    val = a[j + 1:]
                    if val.startswith("="):
                        val = val[1:]
                    if not val:
                        if i >= len(argv):
                            raise FlagError(f"flag needs an argument: '{a[j]}' in {a}")
                        val = argv[i]
                        i += 1
                    _store(out, spec, val)
                    break
                out.values[spec.key] = True
                j += 1
            continue
        out.args.append(a)
        if not interspersed:
            out.args.extend(argv[i:])
            break
    return out


def _store(out: Parsed, spec: FlagSpec, val: str) -> None:
    if spec.repeat:
        lst = out.values.setdefault(spec.key, [])
        assert isinstance(lst, list)
        lst.append(val)
    else:
        out.values[spec.key] = val


def F(*names: str, value: bool = False, repeat: bool = False) -> FlagSpec:  # noqa: N802 - short helper
    return FlagSpec(tuple(names), value or repeat, repeat)
