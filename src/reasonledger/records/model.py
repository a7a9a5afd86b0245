"""The verifier-anchored record: one envelope for every kind of reasoning data.

A record is a task, the behaviour a model showed on it, the verdicts of the checks that judged
that behaviour, and the lineage that says where each part came from (see DESIGN.md).
"""

from __future__ import annotations

import hashlib
import json
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, field_validator, model_serializer, model_validator
from pydantic_core import to_jsonable_python

from reasonledger.records.canonical import has_non_finite, problem

# 2: label source `dataset`; stored with the behaviour as typed columns (records.arrow LAYOUT 2).
# 3: agent data: messages with tool calls, normalised actions, termination and scaffold (LAYOUT 3).
#    Records of 1 and 2 read unchanged and keep their ids.
SCHEMA_VERSION = 3


class Kind(str, Enum):
    prompt_answer = "prompt_answer"
    trace = "trace"
    step_trace = "step_trace"
    rollout_set = "rollout_set"
    preference_pair = "preference_pair"
    tool_trajectory = "tool_trajectory"
    episode = "episode"
    judgment = "judgment"


# `dataset`: a label the imported file carried (e.g. OpenR1's `correctness_math_verify`), kept as stored.
LabelSource = Literal["programmatic", "environment", "human", "judge", "mc_hard", "mc_soft", "consensus", "dataset"]


class _Strict(BaseModel):
    # No NaN or Infinity in typed numbers: JSON has no form for them (storage would write null).
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ToolFunction(_Strict):
    name: str
    # JSON text exactly as the model wrote it (it may not parse: that is the model's error, kept);
    # a mapping given here is written as JSON.
    arguments: str = "{}"

    @field_validator("arguments", mode="before")
    @classmethod
    def _arguments_text(cls, value: Any) -> Any:
        return json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value


class MessageToolCall(_Strict):
    """One entry of an assistant message's OpenAI-style `tool_calls`."""

    id: str | None = None
    type: Literal["function"] = "function"
    function: ToolFunction


class Message(_Strict):
    """A chat turn. Assistant turns may carry `tool_calls` (content then often empty); a `tool` turn
    answers one call by `tool_call_id` and may name the tool. Unset fields are left out when it is
    dumped, so a plain turn is {role, content} everywhere (content hash, request bodies, exports) as
    before schema 3."""

    role: str
    content: str = ""
    tool_calls: list[MessageToolCall] | None = None
    tool_call_id: str | None = None
    name: str | None = None

    @field_validator("content", mode="before")
    @classmethod
    def _null_content(cls, value: Any) -> Any:
        return "" if value is None else value

    @model_serializer(mode="wrap")
    def _without_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return {key: value for key, value in handler(self).items() if value is not None}


class Source(_Strict):
    """Where the task came from: enough to find the original row again and to know its licence."""

    dataset: str
    revision: str | None = None
    row_id: str | None = None
    license: str | None = None
    split: str | None = None


class VerifierSpec(_Strict):
    """The verification contract of a task: which verifier judges it, at which version and config."""

    name: str
    version: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)


class Task(_Strict):
    prompt: str | list[Message]
    reference: Any = None
    domain: str | None = None
    source: Source
    verifier: VerifierSpec | None = None


class Rollout(_Strict):
    response: str
    answer: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)


class Step(_Strict):
    text: str
    label: float | None = None
    label_source: LabelSource | None = None


# Why a tool call failed: the tool refused it, no tool has that name, the arguments do not fit the
# tool, or the environment's policy forbids it (the environment protocol's classification).
ErrorKind = Literal["tool_error", "unknown_tool", "bad_arguments", "policy"]
# `synthetic`: a turn a converter or generator made up (never evidence of what a model did).
Provenance = Literal["recorded", "synthetic"]
Termination = Literal["agent_stop", "user_stop", "max_steps", "error"]


def hash_observation(observation: Any) -> str:
    """The hash an action keeps of what its call returned, so replays compare without the text."""
    return json_digest(observation, length=32)


class Action(_Strict):
    """One tool call and what came back; failed calls are kept with `ok=False` and their `error_kind`.

    Normalised as (id, name, arguments); `action` holds a raw form that could not be normalised (a
    legacy record's whole assistant message, or arguments that are not a JSON object). `state_hash`
    is the environment's state after the call, when known."""

    id: str | None = None
    name: str | None = None
    arguments: dict[str, Any] | None = None
    observation: Any = None
    observation_hash: str | None = None
    ok: bool = True
    error_kind: ErrorKind | None = None
    provenance: Provenance = "recorded"
    state_hash: str | None = None
    state_diff: Any = None
    action: Any = None

    @model_validator(mode="after")
    def _consistent(self) -> "Action":
        if self.name is None and self.action is None:
            raise ValueError("an action needs the tool's `name` (or, for a raw form, `action`)")
        if self.error_kind is not None and self.ok:
            raise ValueError(f"an action with error_kind {self.error_kind!r} cannot be ok")
        if (self.observation is not None and self.observation_hash is not None
                and hash_observation(self.observation) != self.observation_hash):
            raise ValueError("observation_hash does not match the observation (records.model.hash_observation); "
                             "drop it or recompute it")
        return self


class Behaviour(_Strict):
    """What the model did. Which fields must be present depends on the record kind."""

    response: str | None = None
    trace: str | None = None
    answer: str | None = None
    steps: list[Step] | None = None
    rollouts: list[Rollout] | None = None
    chosen: str | None = None
    rejected: str | None = None
    actions: list[Action] | None = None
    judgment: Any = None
    # the whole conversation of a tool trajectory or episode, tool turns included
    messages: list[Message] | None = None
    # how the episode ended and the loop that ran it ({system_prompt_hash, agent_loop, ...}): recorded
    # by the harness, apart from what the model said
    termination: Termination | None = None
    scaffold: dict[str, Any] | None = None


# What each kind needs in its behaviour: every group must have one of its fields set. No group means
# "a task alone is enough" (an RLVR prompt set is prompt_answer records whose behaviour is still to come).
REQUIRED_BEHAVIOUR: dict[Kind, tuple[tuple[str, ...], ...]] = {
    Kind.prompt_answer: (),
    Kind.trace: (("trace",),),
    Kind.step_trace: (("steps",),),
    Kind.rollout_set: (("rollouts",),),
    Kind.preference_pair: (("chosen",), ("rejected",)),
    Kind.tool_trajectory: (("actions", "messages"),),
    Kind.episode: (("actions", "messages"),),
    Kind.judgment: (("judgment",),),
}


class Verdict(_Strict):
    """The result of one check: who judged, at which version and config, what, and why."""

    verifier: str
    version: str
    config_hash: str = ""
    target: str = "answer"
    score: float
    passed: bool
    label_source: LabelSource = "programmatic"
    evidence: dict[str, Any] = Field(default_factory=dict)


class LineageEvent(_Strict):
    stage: str
    step: str
    params_hash: str | None = None
    model: str | None = None
    revision: str | None = None
    sampling: dict[str, Any] | None = None
    seed: int | None = None


class Lineage(_Strict):
    parents: list[str] = Field(default_factory=list)
    events: list[LineageEvent] = Field(default_factory=list)


class Record(_Strict):
    id: str = ""
    kind: Kind
    schema_version: int = SCHEMA_VERSION
    task: Task
    behaviour: Behaviour = Field(default_factory=Behaviour)
    verdicts: list[Verdict] = Field(default_factory=list)
    lineage: Lineage = Field(default_factory=Lineage)
    meta: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_kind_and_id(self) -> "Record":
        missing = [" or behaviour.".join(group) for group in REQUIRED_BEHAVIOUR[self.kind]
                   if all(getattr(self.behaviour, f) in (None, []) for f in group)]
        if missing:
            raise ValueError(f"a {self.kind.value} record needs behaviour.{', behaviour.'.join(missing)}")
        expected = content_id(self)
        free_form = [self.meta, self.task.verifier and self.task.verifier.config,
                     *(v.evidence for v in self.verdicts), *(e.sampling for e in self.lineage.events)]
        if has_non_finite(free_form):
            raise ValueError(problem({
                "meta": self.meta, "task.verifier.config": self.task.verifier and self.task.verifier.config,
                **{f"verdicts.{i}.evidence": v.evidence for i, v in enumerate(self.verdicts)},
                **{f"lineage.events.{i}.sampling": e.sampling for i, e in enumerate(self.lineage.events)}}))
        if not self.id:
            self.id = expected
        elif self.id != expected:
            raise ValueError(f"id {self.id} does not match the content hash {expected}; drop the id to recompute it")
        return self

    def with_verdict(self, verdict: Verdict) -> "Record":
        """A copy with one more verdict; the id is unchanged because verdicts are not content."""
        return self.model_copy(update={"verdicts": [*self.verdicts, verdict]})


def canonical_json(value: Any) -> str:
    """The one serialisation that hashes are taken over: sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def json_digest(value: Any, length: int = 16) -> str:
    """The first `length` hex digits of sha256 over `canonical_json(value)`: the rule every content
    hash, config hash and parameter hash follows."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()[:length]


def content_id(record: Record) -> str:
    """sha256 over (kind, prompt, reference, behaviour): provenance and verdicts are not content.

    The same bytes as `json_digest`, except that content JSON cannot store faithfully (NaN, a lone
    surrogate) is a ValueError naming where it is, and values that are not plain JSON (dates, bytes)
    are hashed as storage writes them (pydantic's JSON form), so id and stored content always agree."""
    prompt = record.task.prompt
    if not isinstance(prompt, str):
        prompt = [m.model_dump(exclude_none=True) for m in prompt]
    behaviour = record.behaviour.model_dump(exclude_none=True)
    for action in behaviour.get("actions") or ():
        # provenance came with schema 3: its default is left out so older records keep their ids
        if action.get("provenance") == "recorded":
            del action["provenance"]
    payload = {"kind": record.kind.value, "prompt": prompt, "reference": record.task.reference, "behaviour": behaviour}
    try:
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
                          default=to_jsonable_python).encode()
    except (ValueError, TypeError, RecursionError) as exc:
        why = problem({"task.prompt": prompt, "task.reference": record.task.reference, "behaviour": behaviour})
        raise ValueError(why or f"content is not JSON: {type(exc).__name__}: {exc}") from None
    return hashlib.sha256(text).hexdigest()[:32]


def prompt_text(task: Task) -> str:
    """The prompt as plain text (the last user turn of a chat prompt)."""
    if isinstance(task.prompt, str):
        return task.prompt
    users = [m.content for m in task.prompt if m.role == "user"]
    return users[-1] if users else task.prompt[-1].content
