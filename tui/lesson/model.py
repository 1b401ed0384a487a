"""The lesson format as typed models: what a lesson file may contain, and nothing else.

Why pydantic: the same models validate a lesson, type the session that plays
it and generate ``lessons/schema.json`` (so editors can complete and lint
lesson files), so the format is written down exactly once.

Everything is strict (no silent coercion of ``"3"`` into ``3``) and closed
(an unknown key is an error with a did-you-mean, see :class:`_Model`): a typo
in a lesson must be found by ``overlaylab validate``, not by a learner.

Rules that need the whole lesson or the scenario (translations present, step
ids unique, hosts exist, quizzes answerable) are checked by the loader's lint
pass, which knows where every value sits in the file.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

LANGS: tuple[str, ...] = ("en", "zh")
Lang = Literal["en", "zh"]


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str | None:
    """The closest known spelling of ``word`` (or None): typos deserve a suggestion, not a list."""
    hits = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return hits[0] if hits else None


class _Model(BaseModel):
    """Base of every lesson model: strict, closed, and kind to typos.

    ``extra="forbid"`` puts ``additionalProperties: false`` in the JSON schema;
    the before-validator catches unknown keys first so that the error names the
    key and suggests the closest known one (the loader points at the key).
    """

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=False, frozen=False)

    # what a step kind calls this model in messages ("a task step"), and likely confusions
    _what: ClassVar[str] = ""
    _key_hints: ClassVar[dict[str, str]] = {}

    @classmethod
    def allowed_keys(cls) -> list[str]:
        return [f.alias or name for name, f in cls.model_fields.items()]

    @model_validator(mode="before")
    @classmethod
    def _unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            allowed = cls.allowed_keys()
            for key in data:
                if not isinstance(key, str):
                    raise PydanticCustomError("key_type", "keys must be text, got {key}", {"key": str(key)})
                if key not in allowed:
                    hint = cls._key_hints.get(key) or did_you_mean(key, allowed)
                    raise PydanticCustomError(
                        "unknown_key", "unknown key {key}",
                        {"key": key, "suggestion": hint or "", "allowed": allowed, "what": cls._what},
                    )
        return data


# ---- text ----------------------------------------------------------------------------------


class Text(_Model):
    """A learner-facing text in every language of the lesson (Markdown allowed).

    A plain string is accepted by the parser (``plain`` is then True) so that a
    lesson that opted out of translations (``languages: [en]``) stays short; the
    loader rejects plain strings in lessons that promise Chinese.
    """

    en: str = Field(min_length=1, description="English text (Markdown)")
    zh: str | None = Field(default=None, min_length=1, description="Chinese text (Markdown)")
    _plain: bool = PrivateAttr(default=False)

    @model_validator(mode="wrap")
    @classmethod
    def _from_string(cls, data: Any, handler: Any) -> Any:
        if isinstance(data, str):
            if not data.strip():
                raise PydanticCustomError("empty_text", "text must not be empty", {})
            text = handler({"en": data})
            text._plain = True
            return text
        return handler(data)

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        target["description"] = ("Learner-facing text: {en, zh}; a plain string only in lessons "
                                 "with `languages: [en]`")
        return {"anyOf": [schema, {"type": "string", "minLength": 1}]}

    @property
    def plain(self) -> bool:
        return self._plain

    def get(self, lang: str) -> str:
        """The text in ``lang``; English when that translation is absent."""
        if lang == "zh" and self.zh:
            return self.zh
        return self.en


def text_in(text: Text | None, lang: str, default: str = "") -> str:
    return text.get(lang) if text is not None else default


# ---- checks ----------------------------------------------------------------------------------


def _valid_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as err:
        raise PydanticCustomError("bad_regex", "invalid regular expression: {error}", {"error": str(err)}) from None
    return value


def _valid_cidr(value: str) -> str:
    try:
        ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        raise PydanticCustomError("bad_cidr", "not an IPv4 address or prefix: {value}", {"value": value}) from None
    return value


Regex = Annotated[str, Field(min_length=1)]
Name = Annotated[str, Field(min_length=1)]


class ServiceReplicas(_Model):
    """A swarm service has exactly ``running`` tasks in state running (and wants ``desired``)."""

    service: Name
    running: int = Field(ge=0)
    desired: int | None = Field(default=None, ge=0)


class ContainerHasInterface(_Model):
    """A container (name, id prefix, or service task like ``test.1``) has an interface as described."""

    host: Name | None = None
    container: Name
    network: Name | None = None
    iface: Name | None = None
    mtu: int | None = Field(default=None, ge=68, le=65535)
    address_in: str | None = None

    @field_validator("address_in")
    @classmethod
    def _v_cidr(cls, v: str | None) -> str | None:
        return v if v is None else _valid_cidr(v)


class RouteExists(_Model):
    """A route in a host's, a named namespace's or a container's main table."""

    host: Name
    container: Name | None = None
    namespace: Name | None = None
    dst: str = Field(description="`default`, a prefix like 10.0.1.0/24, or an address")
    via: str | None = None
    dev: Name | None = None

    @field_validator("dst")
    @classmethod
    def _dst(cls, v: str) -> str:
        return v if v == "default" else _valid_cidr(v)

    @field_validator("via")
    @classmethod
    def _via(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                ipaddress.IPv4Address(v)
            except ValueError:
                raise PydanticCustomError("bad_ip", "not an IPv4 address: {value}", {"value": v}) from None
        return v

    @model_validator(mode="after")
    def _one_place(self) -> RouteExists:
        if self.container is not None and self.namespace is not None:
            raise PydanticCustomError("route_place", "give container or namespace, not both", {})
        return self


class Captured(_Model):
    """The session's captures saw packets on ``host`` ``iface`` matching ``filter`` during this step."""

    host: Name
    iface: Name
    filter: str = Field(default="", description="a tcpdump (BPF) filter expression")
    count: int | None = Field(default=None, ge=0, description="exactly this many packets")
    min: int | None = Field(default=None, ge=0, description="at least this many packets")

    @model_validator(mode="after")
    def _count_or_min(self) -> Captured:
        if self.count is not None and self.min is not None:
            raise PydanticCustomError("count_and_min", "give count or min, not both", {})
        return self


class PingSucceeds(_Model):
    """A real ping from a host, a named namespace or a container gets an answer."""

    host: Name
    from_: Name = Field(default="host", alias="from",
                        description="`host`, a named namespace, or a container (netns:NAME / container:REF to be explicit)")
    to: Name


class HttpReaches(_Model):
    """A real HTTP GET from a host, namespace or container gets a response (containing ``body_contains``)."""

    host: Name
    from_: Name = Field(default="host", alias="from")
    url: Name
    body_contains: str | None = None


class NetworkExists(_Model):
    """A Docker network exists (on ``host``, or anywhere in the lab)."""

    name: Name
    driver: Name | None = None
    scope: Literal["local", "swarm"] | None = None
    host: Name | None = None


class NodeAvailability(_Model):
    """A swarm node's availability (``docker node update --availability``)."""

    node: Name
    availability: Literal["active", "pause", "drain"]


class IptablesRule(_Model):
    """A rule in ``table``/``chain`` whose ``iptables -S`` text contains ``contains``."""

    host: Name
    namespace: Name | None = None
    table: Literal["filter", "nat", "mangle", "raw"] = "filter"
    chain: Name
    contains: Name


class OutputMatches(_Model):
    """The last command's output matches ``regex`` (a last resort: prefer a check on state)."""

    regex: Regex

    @field_validator("regex")
    @classmethod
    def _v_regex(cls, v: str) -> str:
        return _valid_regex(v)


class _CheckWrapper(_Model):
    """One check in a lesson: a mapping with one key, the check type."""

    @property
    def type(self) -> str:
        return next(iter(type(self).model_fields.values())).alias or next(iter(type(self).model_fields))

    @property
    def args(self) -> Any:
        return getattr(self, next(iter(type(self).model_fields)))


class ServiceReplicasCheck(_CheckWrapper):
    service_replicas: ServiceReplicas


class ContainerHasInterfaceCheck(_CheckWrapper):
    container_has_interface: ContainerHasInterface


class RouteExistsCheck(_CheckWrapper):
    route_exists: RouteExists


class CapturedCheck(_CheckWrapper):
    captured: Captured


class PingSucceedsCheck(_CheckWrapper):
    ping_succeeds: PingSucceeds


class HttpReachesCheck(_CheckWrapper):
    http_reaches: HttpReaches


class NetworkExistsCheck(_CheckWrapper):
    network_exists: NetworkExists


class NodeAvailabilityCheck(_CheckWrapper):
    node_availability: NodeAvailability


class IptablesRuleCheck(_CheckWrapper):
    iptables_rule: IptablesRule


class OutputMatchesCheck(_CheckWrapper):
    output_matches: OutputMatches


class AllCheck(_CheckWrapper):
    all: list[Check] = Field(min_length=1)


class AnyCheck(_CheckWrapper):
    any: list[Check] = Field(min_length=1)


class NotCheck(_CheckWrapper):
    not_: Check = Field(alias="not")


CHECK_TYPES: dict[str, type[_CheckWrapper]] = {
    "service_replicas": ServiceReplicasCheck,
    "container_has_interface": ContainerHasInterfaceCheck,
    "route_exists": RouteExistsCheck,
    "captured": CapturedCheck,
    "ping_succeeds": PingSucceedsCheck,
    "http_reaches": HttpReachesCheck,
    "network_exists": NetworkExistsCheck,
    "node_availability": NodeAvailabilityCheck,
    "iptables_rule": IptablesRuleCheck,
    "output_matches": OutputMatchesCheck,
    "all": AllCheck,
    "any": AnyCheck,
    "not": NotCheck,
}


def _check_tag(value: Any) -> str | None:
    """The check type of a raw mapping (its only key) or of a parsed check."""
    if isinstance(value, _CheckWrapper):
        return value.type
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        return key if isinstance(key, str) else None
    return None


Check = Annotated[
    Annotated[ServiceReplicasCheck, Tag("service_replicas")]
    | Annotated[ContainerHasInterfaceCheck, Tag("container_has_interface")]
    | Annotated[RouteExistsCheck, Tag("route_exists")]
    | Annotated[CapturedCheck, Tag("captured")]
    | Annotated[PingSucceedsCheck, Tag("ping_succeeds")]
    | Annotated[HttpReachesCheck, Tag("http_reaches")]
    | Annotated[NetworkExistsCheck, Tag("network_exists")]
    | Annotated[NodeAvailabilityCheck, Tag("node_availability")]
    | Annotated[IptablesRuleCheck, Tag("iptables_rule")]
    | Annotated[OutputMatchesCheck, Tag("output_matches")]
    | Annotated[AllCheck, Tag("all")]
    | Annotated[AnyCheck, Tag("any")]
    | Annotated[NotCheck, Tag("not")],
    Discriminator(_check_tag, custom_error_type="check_shape",
                  custom_error_message="a check is a mapping with one key, the check type"),
]


# ---- steps -----------------------------------------------------------------------------------


StepId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]


class SolutionCommand(_Model):
    """One command of a step's solution, on ``host`` (default: the step's host)."""

    host: Name | None = None
    command: Name


class _Step(_Model):
    id: StepId | None = Field(default=None, description="stable id (lowercase, digits, - and _)")
    title: Text | None = None
    hints: list[Text] = Field(default_factory=list, description="revealed one at a time")
    solution: list[SolutionCommand] = Field(default_factory=list,
                                            description="commands that solve the step (played by validate/run)")
    notes: Text | None = Field(default=None, description="speaker notes for instructors")

    @property
    def checks_list(self) -> list[Any]:
        """The checks that decide whether this step is done (none for explain/capture/quiz)."""
        return []

    @property
    def body(self) -> Text | None:
        """The step's main text (narrative, goal or question)."""
        return None


class ExplainStep(_Step):
    """Narrative (Markdown)."""

    _what: ClassVar[str] = "an explain step"
    kind: Literal["explain"]
    text: Text

    @property
    def body(self) -> Text | None:
        return self.text


class RunStep(_Step):
    """Commands the learner types on ``host`` (or that auto-run in presenter mode), then ``expect`` checks."""

    _what: ClassVar[str] = "a run step"
    _key_hints: ClassVar[dict[str, str]] = {"checks": "expect", "command": "commands", "cmd": "commands"}
    kind: Literal["run"]
    host: Name | None = None
    commands: list[Name] = Field(min_length=1)
    text: Text | None = None
    expect: list[Check] = Field(default_factory=list)

    @property
    def checks_list(self) -> list[Any]:
        return list(self.expect)

    @property
    def body(self) -> Text | None:
        return self.text


class TaskStep(_Step):
    """A goal reached however the learner likes, judged by checks on the state."""

    _what: ClassVar[str] = "a task step"
    _key_hints: ClassVar[dict[str, str]] = {"expect": "checks", "text": "goal"}
    kind: Literal["task"]
    goal: Text
    host: Name | None = None
    checks: list[Check] = Field(min_length=1)

    @property
    def checks_list(self) -> list[Any]:
        return list(self.checks)

    @property
    def body(self) -> Text | None:
        return self.goal


class Choice(_Model):
    """One answer of a choice quiz, with feedback shown when it is picked."""

    text: Text
    correct: bool = False
    feedback: Text | None = None


class QuizStep(_Step):
    """A question: choices (one or several correct) or a typed answer (``accept`` / ``accept_regex``)."""

    _what: ClassVar[str] = "a quiz step"
    _key_hints: ClassVar[dict[str, str]] = {"answers": "choices", "options": "choices", "text": "question"}
    kind: Literal["quiz"]
    question: Text
    choices: list[Choice] | None = None
    multiple: bool = Field(default=False, description="several choices are correct and all must be picked")
    accept: list[Name] | None = Field(default=None, description="accepted typed answers (case and spacing ignored)")
    accept_regex: Regex | None = None
    feedback: Text | None = Field(default=None, description="shown after a wrong typed answer")
    explanation: Text | None = Field(default=None, description="shown after a correct answer")

    @field_validator("accept_regex")
    @classmethod
    def _v_regex(cls, v: str | None) -> str | None:
        return v if v is None else _valid_regex(v)

    @property
    def body(self) -> Text | None:
        return self.question


class BreakStep(_Step):
    """A fault the system injects on ``host``; the learner diagnoses and repairs it (judged by checks)."""

    _what: ClassVar[str] = "a break step"
    _key_hints: ClassVar[dict[str, str]] = {"expect": "checks", "faults": "fault"}
    kind: Literal["break"]
    host: Name | None = None
    fault: list[Name] = Field(min_length=1, description="commands run by the system, not shown as typed")
    text: Text
    checks: list[Check] = Field(min_length=1)

    @property
    def checks_list(self) -> list[Any]:
        return list(self.checks)

    @property
    def body(self) -> Text | None:
        return self.text


class CaptureStep(_Step):
    """Start a tcpdump view of ``host`` ``iface`` with ``filter`` (headless: a background capture)."""

    _what: ClassVar[str] = "a capture step"
    kind: Literal["capture"]
    host: Name | None = None
    iface: Name
    filter: str = ""
    text: Text | None = None

    @property
    def body(self) -> Text | None:
        return self.text


Step = Annotated[
    ExplainStep | RunStep | TaskStep | QuizStep | BreakStep | CaptureStep,
    Field(discriminator="kind"),
]
STEP_KINDS: tuple[str, ...] = ("explain", "run", "task", "quiz", "break", "capture")


# ---- scenario and lesson ---------------------------------------------------------------------


class InlineHost(_Model):
    """A machine of an inline scenario (the fields of a scenario file's host)."""

    hostname: Name
    address: str = Field(description="underlay address with prefix, e.g. 10.0.2.197/24")
    docker: bool = True
    tcpdump: str = "4.9.3"

    @field_validator("address")
    @classmethod
    def _address(cls, v: str) -> str:
        try:
            ipaddress.IPv4Interface(v)
        except ValueError:
            raise PydanticCustomError("bad_cidr", "not an address with prefix: {value}", {"value": v}) from None
        if "/" not in v:
            raise PydanticCustomError("bad_cidr", "give the prefix length too, e.g. {value}/24", {"value": v})
        return v


class InlineScenario(_Model):
    """A scenario written into the lesson (same fields as a scenario file)."""

    _what: ClassVar[str] = "an inline scenario"
    name: Name = "inline"
    hosts: list[InlineHost] = Field(min_length=1)
    swarm: bool = False
    pins: dict[str, list[str]] = Field(default_factory=dict)
    ifindex: dict[str, int] = Field(default_factory=dict)


def _scenario_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "name"
    if isinstance(value, dict | InlineScenario):
        return "inline"
    return None


Scenario = Annotated[
    Annotated[Name, Tag("name")] | Annotated[InlineScenario, Tag("inline")],
    Discriminator(_scenario_tag, custom_error_type="scenario_shape",
                  custom_error_message="a scenario is a built-in name, a scenario file or an inline scenario"),
]


class Lesson(_Model):
    """One lesson: metadata, the scenario it starts from, and its steps."""

    _what: ClassVar[str] = "a lesson"
    _key_hints: ClassVar[dict[str, str]] = {"name": "title", "description": "summary", "minutes": "estimated_minutes"}
    id: StepId = Field(description="the lesson id (lowercase, digits, - and _)")
    title: Text
    summary: Text
    objectives: list[Text] = Field(min_length=1)
    estimated_minutes: int = Field(ge=1, le=600)
    scenario: Scenario = Field(description="a built-in scenario name, a scenario file, or an inline scenario")
    languages: list[Lang] = Field(default_factory=lambda: list(LANGS), min_length=1,
                                  description="[en, zh] (default) or [en] to opt out of translations")
    steps: list[Step] = Field(min_length=1)

    _source: Any = PrivateAttr(default=None)

    @field_validator("languages")
    @classmethod
    def _langs(cls, v: list[str]) -> list[str]:
        if "en" not in v:
            raise PydanticCustomError("languages", "languages must include en", {})
        if len(set(v)) != len(v):
            raise PydanticCustomError("languages", "languages are listed twice", {})
        return v

    @property
    def scenario_name(self) -> str:
        return self.scenario if isinstance(self.scenario, str) else self.scenario.name

    def text(self, value: Text | None, lang: str, default: str = "") -> str:
        """``value`` in ``lang`` when the lesson has that language, else English."""
        if value is None:
            return default
        return value.get(lang if lang in self.languages else "en")


AllCheck.model_rebuild()
AnyCheck.model_rebuild()
NotCheck.model_rebuild()
RunStep.model_rebuild()
TaskStep.model_rebuild()
BreakStep.model_rebuild()
Lesson.model_rebuild()

__all__ = [
    "CHECK_TYPES", "LANGS", "STEP_KINDS", "AllCheck", "AnyCheck", "BreakStep", "CaptureStep", "Captured",
    "CapturedCheck", "Check", "Choice", "ContainerHasInterface", "ContainerHasInterfaceCheck", "ExplainStep",
    "HttpReaches", "HttpReachesCheck", "InlineHost", "InlineScenario", "IptablesRule", "IptablesRuleCheck",
    "Lesson", "NetworkExists", "NetworkExistsCheck", "NodeAvailability", "NodeAvailabilityCheck", "NotCheck",
    "OutputMatches", "OutputMatchesCheck", "PingSucceeds", "PingSucceedsCheck", "QuizStep", "RouteExists",
    "RouteExistsCheck", "RunStep", "ServiceReplicas", "ServiceReplicasCheck", "SolutionCommand", "Step",
    "TaskStep", "Text", "did_you_mean", "text_in",
]
