"""The lesson loader: a valid lesson loads, and each way of getting one wrong says exactly where and what.

Every corruption below starts from the same small, valid lesson and asserts the
whole first problem line, ``FILE:LINE:COL: PATH: message``, because that line is
what an author reads in ``overlaylab validate`` and what editors jump to.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tui.engine.scenarios import build_scenario, scenario_names
from tui.lesson.loader import LessonError, lesson_files, load_lesson, load_lesson_text
from tui.lesson.model import QuizStep, RunStep, Text
from tui.lesson.schema import default_path, schema_text

FIXTURES = Path(__file__).parent / "fixtures" / "lessons"
README = Path(__file__).resolve().parents[1] / "lessons" / "README.md"

BASE = """\
id: sample
title: {en: Sample, zh: 示例}
summary: {en: A sample lesson., zh: 一个示例课程。}
objectives:
  - {en: Learn, zh: 学习}
estimated_minutes: 5
scenario: swarm
steps:
  - kind: explain
    id: intro
    text: {en: Hello, zh: 你好}
  - kind: run
    id: net
    host: ip-10-0-2-197
    commands:
      - docker network create -d overlay my-swarm-net
    expect:
      - network_exists: {name: my-swarm-net, driver: overlay}
  - kind: task
    id: svc
    goal: {en: Run a service, zh: 运行一个服务}
    checks:
      - service_replicas: {service: test, running: 1}
    solution:
      - command: docker service create --name test --network my-swarm-net busybox ping 8.8.8.8
  - kind: quiz
    id: q
    question:
      en: Which driver?
      zh: 哪个驱动？
    choices:
      - text: {en: overlay, zh: overlay}
        correct: true
      - text: {en: bridge, zh: bridge}
        feedback: {en: Not this one, zh: 不对}
  - kind: capture
    host: ip-10-0-2-253
    iface: eth0
    filter: udp port 4789
"""

# a task step appended after the capture step: steps[5], its check on line 43
EXTRA_TASK = "  - kind: task\n    goal: {en: g, zh: g}\n    checks:\n      - %s\n    solution: [{command: 'true'}]\n"


def sub(old: str, new: str) -> Callable[[str], str]:
    def apply(text: str) -> str:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        return text.replace(old, new)

    return apply


def append(extra: str) -> Callable[[str], str]:
    return lambda text: text + extra


def replace_all(new: str) -> Callable[[str], str]:
    return lambda _text: new


def swarm_hosts() -> str:
    return ", ".join(build_scenario("swarm", 0).hosts)


CASES: list[tuple[str, Callable[[str], str], str]] = [
    ("yaml syntax", sub("title: {en: Sample, zh: 示例}", "title: {en: Sample, zh: 示例"),
     "3:8: YAML syntax error: expected ',' or '}', but got ':' (while parsing a flow mapping started on "
     "line 2, column 8)"),
    ("tab indentation", sub("    id: intro\n", "\tid: intro\n"),
     "10:1: tab character in indentation: YAML indents with spaces only"),
    ("two documents", append("---\nid: other\n"),
     "40:1: more than one YAML document: a lesson file holds exactly one (remove the '---')"),
    ("python tag", sub("id: sample", "id: !!python/object/apply:os.system [ls]"),
     "1:5: unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system': lessons are plain YAML"),
    ("empty file", replace_all(""),
     "1:1: empty file: a lesson is a mapping with id, title, summary, objectives, estimated_minutes, scenario "
     "and steps"),
    ("top-level list", replace_all("- id: sample\n"),
     "1:1: a lesson is a mapping (id, title, steps, ...), got a list"),
    ("duplicate key", sub("    id: intro\n", "    id: intro\n    id: again\n"),
     "11:5: duplicate key 'id' (first given on line 10)"),
    ("unknown top-level key", sub("estimated_minutes: 5\n", "estimated_minutes: 5\ntitel: x\n"),
     "7:1: titel: unknown key 'titel' in a lesson (did you mean 'title'?)"),
    ("unknown step key", sub("    commands:\n", "    comands:\n"),
     "15:5: steps[1].comands: unknown key 'comands' in a run step (did you mean 'commands'?)"),
    ("key of another step kind", sub("    checks:\n      - service_replicas", "    expect:\n      - service_replicas"),
     "22:5: steps[2].expect: unknown key 'expect' in a task step (did you mean 'checks'?)"),
    ("unknown key in a text", sub("      - text: {en: bridge, zh: bridge}\n",
                                  "      - text: {en: bridge, zh: bridge, fr: pont}\n"),
     "34:40: steps[3].choices[1].text.fr: unknown key 'fr'; known keys: en, zh"),
    ("unknown key in a check", sub("{service: test, running: 1}", "{service: test, runing: 1}"),
     "23:43: steps[2].checks[0].service_replicas.runing: unknown key 'runing' (did you mean 'running'?)"),
    ("wrong type (text for a number)", sub("estimated_minutes: 5", "estimated_minutes: five"),
     "6:20: estimated_minutes: expected a whole number, got text ('five')"),
    ("wrong type (text for a list)", sub("objectives:\n  - {en: Learn, zh: 学习}", "objectives: learn"),
     "4:13: objectives: expected a list, got text ('learn')"),
    ("wrong type (number for a boolean)", sub("        correct: true", "        correct: 1"),
     "33:18: steps[3].choices[0].correct: expected true or false, got a number (1)"),
    ("wrong type (list for a text)", sub("title: {en: Sample, zh: 示例}", "title: [Sample]"),
     "2:8: title: expected a text (a mapping with en and zh), got a list"),
    ("YAML boolean where text is meant", sub("feedback: {en: Not this one, zh: 不对}", "feedback: {en: No, zh: 不对}"),
     "35:24: steps[3].choices[1].feedback.en: expected text, got a boolean (false; quote it if you meant the text)"),
    ("empty value", sub("    goal: {en: Run a service, zh: 运行一个服务}", "    goal:"),
     "21:10: steps[2].goal: expected a text (a mapping with en and zh), got nothing (an empty value)"),
    ("missing required field", sub("summary: {en: A sample lesson., zh: 一个示例课程。}\n", ""),
     "1:1: missing required key 'summary'"),
    ("missing required key of a check", sub("{name: my-swarm-net, driver: overlay}", "{driver: overlay}"),
     "18:25: steps[1].expect[0].network_exists: missing required key 'name'"),
    ("missing zh translation", sub("text: {en: Hello, zh: 你好}", "text: {en: Hello}"),
     "11:11: steps[0].text: missing zh translation"),
    ("plain string in a translated lesson", sub("text: {en: Hello, zh: 你好}", "text: Hello"),
     "11:11: steps[0].text: needs translations: write {en: ..., zh: ...} (or opt the lesson out with "
     "`languages: [en]`)"),
    ("hint without zh", sub("    solution:\n      - command: docker",
                            "    hints:\n      - {en: Think}\n    solution:\n      - command: docker"),
     "25:9: steps[2].hints[0]: missing zh translation"),
    ("unknown language", sub("scenario: swarm", "scenario: swarm\nlanguages: [en, fr]"),
     "8:17: languages[1]: expected one of en, zh; got text ('fr')"),
    ("languages without en", sub("scenario: swarm", "scenario: swarm\nlanguages: [zh]"),
     "8:12: languages: languages must include en"),
    ("empty steps", lambda text: text.split("steps:")[0] + "steps: []\n",
     "8:8: steps: must not be empty"),
    ("empty commands", sub("    commands:\n      - docker network create -d overlay my-swarm-net\n", "    commands: []\n"),
     "15:15: steps[1].commands: must not be empty"),
    ("duplicate step id", sub("    id: net\n", "    id: intro\n"),
     "13:9: steps[1].id: duplicate step id 'intro' (also steps[0])"),
    ("invalid id", sub("id: sample", "id: Sample!"),
     "1:5: id: invalid id 'Sample!': use lowercase letters, digits, '-' and '_' (starting with a letter or digit)"),
    ("unknown step kind", sub("  - kind: run\n", "  - kind: runn\n"),
     "12:11: steps[1].kind: unknown step kind 'runn' (did you mean 'run'?)"),
    ("step without kind", sub("  - kind: explain\n    id: intro\n", "  - id: intro\n"),
     "9:5: steps[0]: a step needs a kind: one of explain, run, task, quiz, break, capture"),
    ("step that is not a mapping", sub("  - kind: capture\n    host: ip-10-0-2-253\n    iface: eth0\n"
                                       "    filter: udp port 4789\n", "  - just a string\n"),
     "36:5: steps[4]: expected a mapping, got text ('just a string')"),
    ("unknown check type", sub("network_exists: {", "network_exist: {"),
     "18:9: steps[1].expect[0]: unknown check type 'network_exist' (did you mean 'network_exists'?)"),
    ("unknown check type inside not", sub("      - network_exists: {name: my-swarm-net, driver: overlay}\n",
                                          "      - not:\n          network_exist: {name: x}\n"),
     "19:11: steps[1].expect[0].not: unknown check type 'network_exist' (did you mean 'network_exists'?)"),
    ("check with two types", sub("network_exists: {name: my-swarm-net, driver: overlay}",
                                 "{network_exists: {name: my-swarm-net}, service_replicas: {service: t, running: 1}}"),
     "18:9: steps[1].expect[0]: a check is a mapping with exactly one key, the check type (e.g. "
     "`service_replicas: {...}`); this one has keys: network_exists, service_replicas"),
    ("bad regex", sub("      - network_exists: {name: my-swarm-net, driver: overlay}\n",
                      "      - network_exists: {name: my-swarm-net, driver: overlay}\n"
                      "      - output_matches: {regex: 'a(b'}\n"),
     "19:33: steps[1].expect[1].output_matches.regex: invalid regular expression: missing ), unterminated "
     "subpattern at position 1"),
    ("bad prefix", sub("      - network_exists: {name: my-swarm-net, driver: overlay}\n",
                       "      - route_exists: {host: ip-10-0-2-197, dst: 10.0.1.0/33}\n"),
     "18:50: steps[1].expect[0].route_exists.dst: not an IPv4 address or prefix: 10.0.1.0/33"),
    ("unknown table", sub("      - network_exists: {name: my-swarm-net, driver: overlay}\n",
                          "      - iptables_rule: {host: ip-10-0-2-197, table: nats, chain: POSTROUTING, "
                          "contains: MASQUERADE}\n"),
     "18:53: steps[1].expect[0].iptables_rule.table: expected one of filter, nat, mangle, raw; got text ('nats') "
     "(did you mean 'nat'?)"),
    ("negative count", append(EXTRA_TASK % "captured: {host: ip-10-0-2-253, iface: eth0, count: -1}"),
     "43:61: steps[5].checks[0].captured.count: must be at least 0, got -1"),
    ("count and min", append(EXTRA_TASK % "captured: {host: ip-10-0-2-253, iface: eth0, count: 1, min: 2}"),
     "43:19: steps[5].checks[0].captured: give count or min, not both"),
    ("zero minutes", sub("estimated_minutes: 5", "estimated_minutes: 0"),
     "6:20: estimated_minutes: must be at least 1, got 0"),
    ("bad capture filter", sub("filter: udp port 4789", "filter: udp port"),
     "39:13: steps[4].filter: bad capture filter: can't parse filter expression: syntax error"),
    ("quiz without a correct choice", sub("        correct: true\n", ""),
     "32:7: steps[3].choices: no choice is marked correct: add `correct: true` to the right one"),
    ("quiz with two correct choices", sub("        feedback: {en: Not this one, zh: 不对}", "        correct: true"),
     "32:7: steps[3].choices: 2 choices are marked correct: set `multiple: true` or keep one"),
    ("quiz with one choice", sub("      - text: {en: bridge, zh: bridge}\n        feedback: {en: Not this one, zh: 不对}\n",
                                 ""),
     "32:7: steps[3].choices: a choice quiz needs at least two choices"),
    ("quiz with choices and typed answers", sub("    choices:\n", "    accept: [overlay]\n    choices:\n"),
     "33:7: steps[3].choices: give choices or a typed answer (accept / accept_regex), not both"),
    ("quiz with neither", sub("    choices:\n      - text: {en: overlay, zh: overlay}\n        correct: true\n"
                              "      - text: {en: bridge, zh: bridge}\n        feedback: {en: Not this one, zh: 不对}\n",
                              ""),
     "26:5: steps[3]: a quiz needs choices, or accept / accept_regex for a typed answer"),
    ("quiz with only a regex", sub("    choices:\n      - text: {en: overlay, zh: overlay}\n        correct: true\n"
                                   "      - text: {en: bridge, zh: bridge}\n        feedback: {en: Not this one, zh: 不对}\n",
                                   "    accept_regex: overlay\n"),
     "31:19: steps[3].accept_regex: give at least one accepted answer in `accept` too (validate plays it to "
     "prove the quiz can be answered)"),
    ("task without solution", sub("    solution:\n      - command: docker service create --name test --network "
                                  "my-swarm-net busybox ping 8.8.8.8\n", ""),
     "19:5: steps[2]: a task step needs a solution (the commands that solve it), so that validate can prove it "
     "is solvable"),
    ("unknown host in a run step", sub("host: ip-10-0-2-197", "host: ip-10-0-2-19"),
     "14:11: steps[1].host: unknown host 'ip-10-0-2-19' (did you mean 'ip-10-0-2-197'?); scenario swarm has {hosts}"),
    ("unknown host in a solution", sub("      - command: docker", "      - host: ip-10-0-2-25\n        command: docker"),
     "25:15: steps[2].solution[0].host: unknown host 'ip-10-0-2-25' (did you mean 'ip-10-0-2-253'?); scenario swarm "
     "has {hosts}"),
    ("unknown host in a check", sub("      - service_replicas: {service: test, running: 1}\n",
                                    "      - ping_succeeds: {host: node1, from: test.1, to: 10.0.1.5}\n"),
     "23:31: steps[2].checks[0].ping_succeeds.host: unknown host 'node1'; scenario swarm has {hosts}"),
    ("unknown node", append(EXTRA_TASK % "node_availability: {node: ip-10-0-2-2, availability: drain}"),
     "43:35: steps[5].checks[0].node_availability.node: unknown node 'ip-10-0-2-2' (did you mean 'ip-10-0-2-253'?); "
     "scenario swarm has {hosts}"),
    ("unknown scenario", sub("scenario: swarm", "scenario: swarn"),
     "7:11: scenario: unknown scenario 'swarn' (did you mean 'swarm'?); built-in: {scenarios}"),
    ("missing scenario file", sub("scenario: swarm", "scenario: nothere.yaml"),
     "7:11: scenario: scenario file not found: {dir}/nothere.yaml"),
    ("scenario of the wrong type", sub("scenario: swarm", "scenario: [a]"),
     "7:11: scenario: expected a built-in scenario name, a scenario file or an inline scenario (a mapping with "
     "hosts), got a list"),
    ("bad address in an inline scenario", sub("scenario: swarm",
                                              "scenario:\n  hosts:\n    - {hostname: a, address: 10.0.2.300/24}"),
     "9:30: scenario.hosts[0].address: not an address with prefix: 10.0.2.300/24"),
]


def test_the_base_lesson_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "lesson.yaml"
    path.write_text(BASE, encoding="utf-8")
    lesson = load_lesson(path)
    assert lesson.id == "sample" and len(lesson.steps) == 5
    assert isinstance(lesson.steps[1], RunStep) and lesson.steps[1].host == "ip-10-0-2-197"


def test_the_fixture_loads() -> None:
    lesson = load_lesson(FIXTURES / "overlay-sample.yaml")
    assert lesson.id == "overlay-sample"
    assert [s.kind for s in lesson.steps] == ["explain", "run", "run", "task", "quiz", "capture", "run", "break",
                                              "quiz"]
    assert lesson.text(lesson.title, "zh") == "overlay 网络、服务与 VXLAN"
    quiz = lesson.steps[4]
    assert isinstance(quiz, QuizStep) and quiz.choices is not None and quiz.choices[0].correct


def test_there_are_more_than_30_distinct_corruptions() -> None:
    assert len(CASES) >= 30
    assert len({name for name, _, _ in CASES}) == len(CASES)


@pytest.mark.parametrize(("name", "corrupt", "expected"), CASES, ids=[c[0] for c in CASES])
def test_corruption_gives_its_exact_line(tmp_path: Path, name: str, corrupt: Callable[[str], str],
                                         expected: str) -> None:
    path = tmp_path / "lesson.yaml"
    path.write_text(corrupt(BASE), encoding="utf-8")
    with pytest.raises(LessonError) as info:
        load_lesson(path)
    want = (expected.replace("{hosts}", swarm_hosts()).replace("{scenarios}", ", ".join(scenario_names()))
            .replace("{dir}", str(tmp_path)))
    assert str(info.value.first) == f"{path}:{want}"
    # the exception's text is every problem, one per line, each in the same form
    assert all(re.match(rf"{re.escape(str(path))}:\d+:\d+: ", line) for line in str(info.value).splitlines())


def test_every_problem_is_reported_in_file_order(tmp_path: Path) -> None:
    text = sub("estimated_minutes: 5", "estimated_minutes: five")(sub("    commands:\n", "    comands:\n")(BASE))
    with pytest.raises(LessonError) as info:
        load_lesson_text(text, "x.yaml")
    assert [str(p) for p in info.value.problems] == [
        "x.yaml:6:20: estimated_minutes: expected a whole number, got text ('five')",
        "x.yaml:15:5: steps[1].comands: unknown key 'comands' in a run step (did you mean 'commands'?)",
    ]


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(LessonError) as info:
        load_lesson(tmp_path / "missing.yaml")
    assert str(info.value) == f"{tmp_path / 'missing.yaml'}:1:1: cannot read: No such file or directory"
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"id: sample\ntitle: caf\xe9\n")
    with pytest.raises(LessonError) as info:
        load_lesson(bad)
    assert str(info.value) == f"{bad}:2:11: not UTF-8 text"


def test_english_only_lessons_may_use_plain_strings() -> None:
    text = sub("scenario: swarm", "scenario: swarm\nlanguages: [en]")(BASE).replace(
        "text: {en: Hello, zh: 你好}", "text: Hello")
    lesson = load_lesson_text(text, "en.yaml")
    text_value = lesson.steps[0].body
    assert isinstance(text_value, Text) and text_value.plain and lesson.text(text_value, "zh") == "Hello"


def test_inline_scenario_hosts_are_the_ones_checked() -> None:
    text = sub("scenario: swarm", "scenario:\n  name: pair\n  swarm: true\n  hosts:\n"
                                  "    - {hostname: node1, address: 10.0.2.11/24}\n"
                                  "    - {hostname: node2, address: 10.0.2.12/24}")(BASE)
    with pytest.raises(LessonError) as info:
        load_lesson_text(text, "inline.yaml")
    assert str(info.value.first).startswith("inline.yaml:19:11: steps[1].host: unknown host 'ip-10-0-2-197'; "
                                            "scenario pair has node1, node2")
    ok = text.replace("ip-10-0-2-197", "node1").replace("ip-10-0-2-253", "node2")
    assert load_lesson_text(ok, "inline.yaml").scenario_name == "pair"


def test_lesson_files_expands_directories(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("x")
    (tmp_path / "a.yml").write_text("x")
    (tmp_path / "notes.md").write_text("x")
    assert [p.name for p in lesson_files([tmp_path])] == ["a.yml", "b.yaml"]


def test_committed_schema_is_current() -> None:
    path = default_path()
    assert path.read_text(encoding="utf-8") == schema_text(), "run: python -m tui.lesson.schema"
    schema = json.loads(schema_text())
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"id", "title", "summary", "objectives", "estimated_minutes", "scenario",
                                       "steps"}


def test_readme_step_examples_are_valid_lessons() -> None:
    """The format documentation's step examples are real steps (and have both languages)."""
    import yaml

    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    steps = [b for b in blocks if b.startswith("- kind:")]
    assert len(steps) >= 6
    head = BASE.split("steps:")[0] + "steps:\n"
    body = "".join("  " + line + "\n" for b in steps for line in b.splitlines())
    lesson = load_lesson_text(head + body, "README.md")
    assert {s.kind for s in lesson.steps} == {"explain", "run", "task", "quiz", "break", "capture"}
    lesson_block = next(b for b in blocks if b.startswith("id:"))
    assert isinstance(yaml.safe_load(lesson_block), dict)
